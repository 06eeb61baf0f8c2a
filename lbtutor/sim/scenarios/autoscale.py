"""autoscale: a day of traffic with a spike in it, and an autoscaler that adds an instance above
70% CPU and removes one below 30%, with a cooldown, a warm-up and min/max instances.

Nothing here is scripted: arrivals follow the day's curve by thinning a Poisson process, the
scaler reads the pool's measured CPU every period (`scaling.Autoscaler`), new instances take
traffic only after their warm-up, and the cost is the integral of the instances billed.
"""

from __future__ import annotations

import math

from lbtutor.sim.config import SimConfig
from lbtutor.sim.scaling import Autoscaler, DiurnalTraffic, ScalingPolicy
from lbtutor.sim.scenarios.base import (
    ChartSeries,
    Metric,
    Pane,
    Param,
    Scenario,
    ScenarioError,
    ScenarioRun,
)
from lbtutor.sim.scenarios.toolkit import lab_simulation
from lbtutor.sim.traffic import Traffic

START_CPU = 0.5  # the starting fleet is sized to run at about this CPU: inside the dead band


class AutoscaleRun(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        p = params
        # Named as the learner set them, so `lbtutor check` and the lab point at the right key.
        if not p["scale_in_cpu"] < p["scale_out_cpu"]:
            raise ScenarioError(
                f"autoscale: scale_in_cpu={p['scale_in_cpu']:g} is not allowed with "
                f"scale_out_cpu={p['scale_out_cpu']:g}; scale_in_cpu must be below scale_out_cpu"
            )
        if not p["min_instances"] <= p["max_instances"]:
            raise ScenarioError(
                f"autoscale: min_instances={p['min_instances']} is not allowed with "
                f"max_instances={p['max_instances']}; min_instances must be at most max_instances"
            )
        try:
            self.policy = ScalingPolicy(
                scale_out_cpu=p["scale_out_cpu"], scale_in_cpu=p["scale_in_cpu"], period=p["period"],
                cooldown=p["cooldown"], warmup=p["warmup"],
                min_instances=p["min_instances"], max_instances=p["max_instances"],
            ).validate()
        except ValueError as exc:
            raise ScenarioError(f"autoscale: {exc}") from None
        self.shape = DiurnalTraffic(
            base=p["base_rate"], amplitude=p["amplitude"], day=p["day_length"],
            spike_at=p["spike_at"], spike_length=p["spike_length"], spike_factor=p["spike_factor"],
        )
        capacity = p["service_rate"]  # requests per second one instance finishes
        start = math.ceil(self.shape.rate(0.0) / (START_CPU * capacity))
        start = max(self.policy.min_instances, min(self.policy.max_instances, start))
        traffic = Traffic(rate=self.shape.rate(0.0), service_mean=1.0 / capacity, seed=seed,
                          rate_fn=self.shape.rate, rate_max=self.shape.peak)
        self.sim = lab_simulation(
            SimConfig(algorithm="least-connections", servers=start, service_rate=capacity,
                      queue_limit=p["queue_limit"], arrival_rate=self.shape.rate(0.0), seed=seed),
            traffic=traffic,
        )
        self.slo = p["slo"]
        self.slow = 0  # completions slower than the SLO
        self.slow_in_spike = 0
        self.sim.on_complete = self._completed
        self.sim.on_drop = self._turned_away
        self.scaler = Autoscaler(self.sim, self.policy, on_event=lambda text: self.note(text, self.sim.now))

    def _completed(self, sim, req, server) -> None:
        if sim.now - req.arrival > self.slo:
            self._violated(req)

    def _turned_away(self, sim, req, server) -> None:
        self._violated(req)  # a full queue answers 503: that misses any latency objective

    def _violated(self, req) -> None:
        self.slow += 1
        spike = self.shape
        if spike.spike_at <= req.arrival < spike.spike_at + spike.spike_length:
            self.slow_in_spike += 1

    # -- ScenarioRun ----------------------------------------------------------------------------
    def _advance(self, t: float) -> None:
        self.sim.advance_to(t)
        self.sim.traffic.rate = self.shape.rate(self.sim.now)  # what the live view shows as the rate

    def metrics(self) -> dict:
        now = min(self.now, self.duration)
        scaler = self.scaler
        fleet = [count for _, count in scaler.fleet_history]
        answered = self.sim.completed + self.sim.dropped
        return {
            "instances_max": max(fleet),
            "instances_min": min(fleet),
            "scale_outs": sum(1 for _, action, _ in scaler.actions if action > 0),
            "scale_ins": sum(1 for _, action, _ in scaler.actions if action < 0),
            "slo_violations": self.slow,
            "turned_away": self.sim.dropped,
            "slo_violations_in_spike": self.slow_in_spike,
            "slo_violation_share": self.slow / answered if answered else None,
            "instance_seconds": scaler.instance_seconds(now),
            "peak_instance_seconds": max(fleet) * now,
            "mean_latency": self.sim.measured_latency_sum / self.sim.measured_completed
            if self.sim.measured_completed else None,
        }

    def sample(self) -> dict:
        evaluations = self.scaler.evaluations
        return {
            "rate": self.shape.rate(min(self.now, self.duration)),
            "instances": self.scaler.fleet,
            # the traffic in instances: how many it would keep 100% busy (the curve to follow)
            "needed": self.shape.rate(min(self.now, self.duration)) / self.params["service_rate"],
            "warming": self.scaler.warming,
            "cpu": evaluations[-1][1] if evaluations else None,  # the scaler's last reading
            "latency": self.sim.snapshot().recent.mean,
            "slo_violations": self.slow,
        }

    def panes(self) -> list[Pane]:
        scaler = self.scaler
        note = f"{scaler.fleet} instances, {scaler.warming} warming"
        if scaler.evaluations:
            note = f"CPU {scaler.evaluations[-1][1]:.0%} · " + note
        return [Pane("auto-scaled pool", self.sim.snapshot(), note)]


SCENARIO = Scenario(
    name="autoscale",
    section=7,
    title="Auto-scaling through a day and a spike",
    summary=(
        "Traffic follows a day squeezed into a few minutes, from a night-time low to a midday peak, "
        "with a sudden spike on top. Every period the autoscaler reads the pool's average CPU: "
        "above 70% it launches an instance, below 30% it removes one, then waits out a cooldown. "
        "A new instance takes traffic only after its warm-up. The slow daily curve is followed "
        "comfortably; the spike is not, and requests break the latency SLO until new instances "
        "are warm."
    ),
    look_for=(
        "Watch the instance count trail the traffic curve: it follows the slow daily rise and fall, "
        "but in the spike CPU and latency overshoot for the whole warm-up before new instances help."
    ),
    params=(
        Param("base_rate", 30.0, "mean traffic over the day", min=1.0, max=500.0, unit="req/s"),
        Param("amplitude", 0.5, "daily swing: traffic runs from base x (1 - a) at night to base x (1 + a)",
              min=0.0, max=0.95),
        Param("day_length", 300.0, "simulated seconds a whole day is squeezed into", min=30.0, max=3600.0, unit="s"),
        Param("spike_at", 60.0, "when the sudden spike starts", min=0.0, max=3600.0, unit="s"),
        Param("spike_length", 40.0, "how long the spike lasts", min=0.0, max=3600.0, unit="s"),
        Param("spike_factor", 1.5, "traffic is multiplied by this during the spike", min=1.0, max=10.0, unit="x"),
        Param("service_rate", 10.0, "requests per second one instance finishes at 100% CPU", min=0.5, max=200.0, unit="req/s"),
        Param("scale_out_cpu", 0.7, "add an instance when average CPU is above this", min=0.05, max=1.0),
        Param("scale_in_cpu", 0.3, "remove an instance when average CPU is below this", min=0.0, max=0.95),
        Param("period", 5.0, "seconds between evaluations; CPU is averaged over one period", min=0.5, max=300.0, unit="s"),
        Param("cooldown", 10.0, "seconds after a scaling action before the next one", min=0.0, max=1800.0, unit="s"),
        Param("warmup", 20.0, "seconds a new instance boots before it takes traffic", min=0.0, max=1800.0, unit="s"),
        Param("min_instances", 2, "the fleet never shrinks below this", min=1, max=100),
        Param("max_instances", 20, "the fleet never grows beyond this", min=1, max=100),
        Param("queue_limit", 20, "requests one instance lets wait; beyond it they are turned away (0: no limit)",
              min=0, max=10000, unit="requests"),
        Param("slo", 0.5, "latency objective: a request slower than this violates it", min=0.01, max=60.0, unit="s"),
        Param("duration", 300.0, "simulated length of the run", min=10.0, max=3600.0, unit="s"),
    ),
    metrics=(
        Metric("instances_max", "instances", "the most instances running (launched, not scaled in) at once", label="instance at most|instances at most"),
        Metric("instances_min", "instances", "the fewest instances running at once"),
        Metric("scale_outs", "actions", "instances launched", label="instance launched|instances launched"),
        Metric("scale_ins", "actions", "instances removed"),
        Metric("slo_violations", "requests", "requests slower than the SLO, or turned away by a full queue", label="request slower than the SLO or turned away|requests slower than the SLO or turned away"),
        Metric("turned_away", "requests", "requests a full queue turned away (counted in slo_violations)"),
        Metric("slo_violations_in_spike", "requests", "of those, requests that arrived while the spike was on"),
        Metric("slo_violation_share", "", "share of answered requests (finished or turned away) that violated the SLO"),
        Metric("instance_seconds", "instance-s", "the bill: every instance from launch until it stopped, warm-up included", label="bill"),
        Metric("peak_instance_seconds", "instance-s", "the bill had the peak fleet run all day instead", label="bill at the peak fleet all day"),
        Metric("mean_latency", "s", "mean latency of all finished requests"),
    ),
    run_class=AutoscaleRun,
    headline=("instances_max", "slo_violations", "instance_seconds", "peak_instance_seconds", "scale_outs"),
    chart=(
        ChartSeries("instances", "instances running"),
        ChartSeries("needed", "needed at 100% busy"),
    ),
    chart_title="instances against the traffic",
    duration_param="duration",
    requests=lambda p: p["base_rate"] * (1 + p["amplitude"]) * (  # the daily peak, plus the spike
        p["duration"] + (p["spike_factor"] - 1) * min(p["spike_length"], p["duration"])
    ),
)
