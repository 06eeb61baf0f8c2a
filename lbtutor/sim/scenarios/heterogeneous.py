"""heterogeneous: servers of different speeds under round robin, weighted round robin and weighted
least connections (weights = speeds), on identical traffic.

Round robin gives each of N servers lambda/N, so a server of speed s runs at
rho = (lambda/N) / (mu s): the small ones pass 1 and their queues grow without end while the big
ones idle. Weights equal to speeds give each server lambda s / sum(s), so every one runs at
rho = lambda / (mu sum(s)).
"""

from __future__ import annotations

import math

from lbtutor.sim.config import SimConfig
from lbtutor.sim.scenarios.base import Metric, Pane, Param, Scenario, ScenarioError, ScenarioRun
from lbtutor.sim.scenarios.toolkit import lab_simulation, p99, record_latencies

MIN_SERVERS, MAX_SERVERS = 2, 12
MIN_SPEED, MAX_SPEED = 0.1, 16.0
SERVICE_DISTS = ("exp", "det", "lognormal", "pareto", "bimodal")
ALGORITHMS = {  # label, metric suffix, algorithm
    "round robin": ("rr", "round-robin"),
    "weighted round robin": ("wrr", "weighted-round-robin"),
    "weighted least connections": ("wlc", "weighted-least-connections"),
}


def parse_speeds(text: str) -> list[float]:
    """"4,2,1,1" -> [4.0, 2.0, 1.0, 1.0], or a ScenarioError saying what is allowed."""
    allowed = (
        f"heterogeneous: speeds={text!r} is not allowed; speeds is a comma-separated list of "
        f"{MIN_SERVERS} to {MAX_SERVERS} numbers from {MIN_SPEED:g} to {MAX_SPEED:g}, e.g. 4,2,1,1"
    )
    try:
        speeds = [float(part) for part in str(text).split(",")]
    except ValueError:
        raise ScenarioError(allowed) from None
    if not MIN_SERVERS <= len(speeds) <= MAX_SERVERS:
        raise ScenarioError(allowed)
    if not all(math.isfinite(s) and MIN_SPEED <= s <= MAX_SPEED for s in speeds):
        raise ScenarioError(allowed)
    return speeds


def predicted_rho(arrival_rate: float, service_rate: float, speeds: list[float]) -> dict[str, list[float]]:
    """Offered load per server: equal shares under round robin, shares by weight otherwise."""
    n, total = len(speeds), sum(speeds)
    return {
        "round-robin": [(arrival_rate / n) / (service_rate * s) for s in speeds],
        "weighted": [arrival_rate / (service_rate * total) for _ in speeds],
    }


class HeterogeneousRun(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        self.speeds = parse_speeds(params["speeds"])
        self.sims = {
            label: lab_simulation(
                SimConfig(
                    algorithm=algorithm, speeds=self.speeds, weights=self.speeds,
                    arrival_rate=params["arrival_rate"], service_rate=params["service_rate"],
                    service_dist=params["service_dist"], seed=seed,
                )
            )
            for label, (_, algorithm) in ALGORITHMS.items()
        }
        self.latencies = {label: record_latencies(sim) for label, sim in self.sims.items()}
        self.rho = predicted_rho(params["arrival_rate"], params["service_rate"], self.speeds)

    def _advance(self, t: float) -> None:
        for sim in self.sims.values():
            sim.advance_to(t)

    def utilizations(self, label: str) -> list[float]:
        """Each server's busy fraction over the whole run, in server order."""
        sim = self.sims[label]
        now = sim.env.now
        return [s.area_at(now) / (s.workers * now) if now > 0 else 0.0 for s in sim.servers]

    def metrics(self) -> dict:
        out = {
            "rho_rr_max": max(self.rho["round-robin"]),
            "rho_weighted": self.rho["weighted"][0],
        }
        for label, (key, _) in ALGORITHMS.items():
            sim = self.sims[label]
            out[f"max_utilization_{key}"] = max(self.utilizations(label))
            out[f"p99_{key}"] = p99(self.latencies[label])
            out[f"backlog_{key}"] = sim.in_system
        return {m.name: out[m.name] for m in self.scenario.metrics}  # in the documented order

    def sample(self) -> dict:
        return {f"backlog_{key}": self.sims[label].in_system for label, (key, _) in ALGORITHMS.items()}

    def panes(self) -> list[Pane]:
        speeds = ":".join(f"{s:g}" for s in self.speeds)
        notes = {
            "round robin": f"speeds {speeds}, equal shares",
            "weighted round robin": f"shares by weight {speeds}",
            "weighted least connections": f"fewest connections per unit of weight {speeds}",
        }
        return [Pane(label, sim.snapshot(), notes[label]) for label, sim in self.sims.items()]


SCENARIO = Scenario(
    name="heterogeneous",
    section=2,
    title="Three answers to uneven servers",
    summary=(
        "Servers of different speeds on identical traffic. Round robin gives each the same share, "
        "so a small server runs at (arrival rate / N) / (its capacity) and can pass 100% while the "
        "big ones idle. Weighted round robin and weighted least connections (weights = speeds) "
        "give each its share by size, so all run at arrival rate / total capacity."
    ),
    look_for=(
        "Compare bar heights and latency: plain round robin overloads the small servers, weights "
        "fix the shares, and weighted least connections also steers around servers busy with "
        "long requests."
    ),
    params=(
        Param("speeds", "4,2,1,1", "relative speed of each server (also its weight), comma-separated"),
        Param("arrival_rate", 48.0, "requests arriving per second", min=0.1, max=1000.0, unit="req/s"),
        Param("service_rate", 10.0, "requests a speed-1 server finishes per second when busy",
              min=0.1, max=1000.0, unit="req/s"),
        Param("service_dist", "exp", "how request lengths vary (bimodal: a few very long ones)",
              choices=SERVICE_DISTS),
        Param("duration", 120.0, "simulated length of the run", min=10.0, max=3600.0, unit="s"),
    ),
    metrics=(
        Metric("rho_rr_max", "fraction", "theory: the smallest server's offered load under round robin, (lambda/N)/(mu x speed)"),
        Metric("rho_weighted", "fraction", "theory: every server's offered load with weights = speeds, lambda/(mu x total speed)"),
        Metric("max_utilization_rr", "fraction", "busiest server's share of time busy, round robin", label="busiest server busy, round robin"),
        Metric("max_utilization_wrr", "fraction", "busiest server's share of time busy, weighted round robin", label="busiest server busy, weighted round robin"),
        Metric("max_utilization_wlc", "fraction", "busiest server's share of time busy, weighted least connections", label="busiest server busy, weighted least connections"),
        Metric("p99_rr", "s", "99th percentile latency of finished requests, round robin", label="p99 latency, round robin"),
        Metric("p99_wrr", "s", "99th percentile latency of finished requests, weighted round robin", label="p99 latency, weighted round robin"),
        Metric("p99_wlc", "s", "99th percentile latency of finished requests, weighted least connections", label="p99 latency, weighted least connections"),
        Metric("backlog_rr", "requests", "requests still queued or in service at the end, round robin"),
        Metric("backlog_wrr", "requests", "requests still queued or in service at the end, weighted round robin"),
        Metric("backlog_wlc", "requests", "requests still queued or in service at the end, weighted least connections"),
    ),
    run_class=HeterogeneousRun,
    headline=("max_utilization_rr", "max_utilization_wrr", "max_utilization_wlc", "p99_rr", "p99_wrr", "p99_wlc"),
    duration_param="duration",
    requests=lambda p: 3 * p["arrival_rate"] * p["duration"],  # one stream, three balancers
)
