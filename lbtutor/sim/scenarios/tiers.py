"""tiers: edge -> web -> app -> database, each tier a pool behind its own balancer.

Every request passes through all four tiers in turn, each doing its own piece of work, all on
one shared clock. Each tier's utilisation is its arrival rate over its capacity,
lambda / (servers x rate); the tier with the highest is the bottleneck, and the whole system
finishes no more than the smallest tier capacity.
"""

from __future__ import annotations

import simpy

from lbtutor.sim.config import SimConfig
from lbtutor.sim.scenarios.base import ChartSeries, Metric, Pane, Param, Scenario, ScenarioRun
from lbtutor.sim.scenarios.toolkit import (
    lab_simulation,
    mean,
    on_complete,
    p99,
    utilization_since_start,
)
from lbtutor.sim.server import Request
from lbtutor.sim.traffic import demand_sampler, stream

TIERS = ("edge", "web", "app", "database")
DEFAULTS = {  # servers, requests/s per server: the database is the busiest at 80%
    "edge": (2, 100.0),
    "web": (4, 20.0),
    "app": (6, 10.0),
    "database": (2, 25.0),
}


class TiersRun(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        self.env = simpy.Environment()
        self.tiers = []
        self._demands = []
        for i, tier in enumerate(TIERS):
            config = SimConfig(
                algorithm=params["algorithm"],
                servers=params[f"{tier}_servers"],
                arrival_rate=params["arrival_rate"],  # every request visits every tier once
                service_rate=params[f"{tier}_rate"],
                seed=seed,
            )
            sim = lab_simulation(config, env=self.env, generate_arrivals=i == 0)
            on_complete(sim, self._passer(i))
            self.tiers.append(sim)
            # Each tier draws its requests' work from its own stream, so changing one tier's
            # parameters leaves the others' work unchanged.
            self._demands.append(demand_sampler("exp", 1.0 / config.service_rate, stream(seed, f"tier:{tier}")))
        self.born: dict[int, float] = {}  # request id -> when it reached the edge
        self.latencies: list[float] = []

    def _passer(self, i: int):
        """What happens when tier i finishes a request: the next tier gets it, or it is done."""
        last = i == len(TIERS) - 1

        def passed(sim, req, server):
            now = self.env.now
            if i == 0:
                self.born[req.id] = req.arrival
            if last:
                self.latencies.append(now - self.born.pop(req.id))
                return
            onward = Request(req.id, now, self._demands[i + 1](), req.client, req.key)
            self.tiers[i + 1].inject(onward)

        return passed

    def _advance(self, t: float) -> None:
        if t > self.env.now:
            self.env.run(until=t)

    def utilizations(self) -> dict[str, float]:
        return {tier: utilization_since_start(sim) for tier, sim in zip(TIERS, self.tiers, strict=True)}

    def metrics(self) -> dict:
        util = self.utilizations()
        capacity = {tier: self.params[f"{tier}_servers"] * self.params[f"{tier}_rate"] for tier in TIERS}
        elapsed = min(self.now, self.duration)
        return {
            **{f"utilization_{tier}": u for tier, u in util.items()},
            "bottleneck": max(util, key=util.__getitem__),
            "capacity": min(capacity.values()),
            "throughput": len(self.latencies) / elapsed if elapsed > 0 else None,
            "mean_latency": mean(self.latencies),
            "p99_latency": p99(self.latencies),
        }

    def sample(self) -> dict:
        point = {f"waiting_{tier}": sim.in_system for tier, sim in zip(TIERS, self.tiers, strict=True)}
        recent = self.latencies[-200:]
        point["latency"] = mean(recent)
        return point

    def panes(self) -> list[Pane]:
        util = self.utilizations()
        busiest = max(util, key=util.__getitem__) if self.now > 0 else None
        return [
            Pane(
                f"{tier}: {len(sim.servers)} x {self.params[f'{tier}_rate']:g} req/s",
                sim.snapshot(),
                "busiest tier so far: the bottleneck" if tier == busiest else "",
            )
            for tier, sim in zip(TIERS, self.tiers, strict=True)
        ]


def _tier_params() -> tuple[Param, ...]:
    params = []
    for tier in TIERS:
        servers, rate = DEFAULTS[tier]
        params.append(Param(f"{tier}_servers", servers, f"servers in the {tier} tier", min=1, max=32))
        params.append(
            Param(f"{tier}_rate", rate, f"requests one {tier} server finishes per second when busy",
                  min=0.1, max=1000.0, unit="req/s")
        )
    return tuple(params)


SCENARIO = Scenario(
    name="tiers",
    section=1,
    title="Four tiers, four balancers",
    summary=(
        "Requests pass edge -> web -> app -> database, each tier a pool behind its own balancer. "
        "Each tier is as busy as its share of the work: arrival rate / (servers x rate). The "
        "busiest tier is the bottleneck: its queue grows first, and the system can finish no more "
        "than the smallest tier capacity."
    ),
    look_for=(
        "Find the tier whose bars are fullest and whose queue is longest: that tier sets the pace "
        "for the whole system (raise the arrival rate and its queue is the one that runs away)."
    ),
    params=(
        Param("arrival_rate", 40.0, "requests arriving at the edge per second", min=0.1, max=1000.0,
              unit="req/s"),
        *_tier_params(),
        Param("algorithm", "round-robin", "how every tier's balancer picks a server",
              choices=("round-robin", "random", "least-connections")),
        Param("duration", 120.0, "simulated length of the run", min=10.0, max=3600.0, unit="s"),
    ),
    metrics=(
        *(Metric(f"utilization_{tier}", "fraction", f"share of time the {tier} servers were busy", label=f"{tier} tier busy")
          for tier in TIERS),
        Metric("bottleneck", "tier", "the tier with the highest utilisation", label="bottleneck"),
        Metric("capacity", "req/s", "the smallest tier capacity (servers x rate): the most the system can finish"),
        Metric("throughput", "req/s", "requests that made it through all four tiers, per second"),
        Metric("mean_latency", "s", "mean time from reaching the edge to leaving the database"),
        Metric("p99_latency", "s", "99th percentile of that end-to-end time", label="p99 latency end to end"),
    ),
    run_class=TiersRun,
    headline=(
        "utilization_edge", "utilization_web", "utilization_app", "utilization_database",
        "bottleneck", "p99_latency",
    ),
    chart=(
        ChartSeries("waiting_edge", "edge"),
        ChartSeries("waiting_web", "web"),
        ChartSeries("waiting_app", "app"),
        ChartSeries("waiting_database", "database"),
    ),
    chart_title="requests waiting in each tier",
    duration_param="duration",
    requests=lambda p: 4 * p["arrival_rate"] * p["duration"],  # each request passes four tiers
)
