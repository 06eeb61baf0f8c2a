"""aggregation: a gateway builds a dashboard from three services, calling them all at once or one
after another, on the very same service times; and a Backend-for-Frontend per client type.

Two gateways run side by side on one clock. Every dashboard request draws its three call times
once; the parallel gateway sends all calls at once and answers when the last returns, the
sequential one sends each call when the previous one has returned. So per request the parallel
latency is the max of its parts and the sequential one their sum, and the means tend to E[max]
and E[sum] of the service-time distributions. The mobile BFF skips recommendations and trims
the payload, so its dashboards are smaller and wait only for the slower of two calls.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass, field, replace
from itertools import combinations

import simpy

from lbtutor.sim.config import SimConfig
from lbtutor.sim.metrics import summarize
from lbtutor.sim.scenarios.base import ChartSeries, Metric, Pane, Param, Scenario, ScenarioRun
from lbtutor.sim.scenarios.toolkit import lab_simulation
from lbtutor.sim.server import Request
from lbtutor.sim.snapshot import Snapshot
from lbtutor.sim.traffic import stream

SERVICES = ("users", "orders", "recommendations")
CALLS = {"web": SERVICES, "mobile": ("users", "orders")}  # the mobile BFF skips recommendations
MOBILE_SHARE = 0.5  # with client=both, the share of dashboards asked for by the mobile app
WORKERS_PER_SERVICE = 8  # enough that calls (almost) never queue: latency = the drawn call time
RECENT_DASHBOARDS = 200  # the panes' live mean covers the latest this many
MEAN_ORDERS = 8  # orders a user has, geometric: the web shows up to 20, mobile the last 3


@dataclass(frozen=True)
class Payload:
    """Kilobytes of a dashboard response for one client type, as its BFF shapes it."""

    profile_kb: float
    kb_per_order: float
    max_orders: int
    recommendations_kb: float

    def size(self, orders: int) -> float:
        return self.profile_kb + self.kb_per_order * min(orders, self.max_orders) + self.recommendations_kb


PAYLOADS = {
    "web": Payload(profile_kb=2.0, kb_per_order=1.0, max_orders=20, recommendations_kb=10 * 3.0),
    "mobile": Payload(profile_kb=0.5, kb_per_order=0.4, max_orders=3, recommendations_kb=0.0),
}


def expected_max_of_exponentials(means: list[float]) -> float:
    """E[max] of independent exponentials, by inclusion-exclusion over subsets of the rates:
    sum over non-empty S of (-1)^(|S|+1) / (sum of the rates in S)."""
    rates = [1.0 / m for m in means]
    return math.fsum(
        (-1) ** (k + 1) / sum(subset)
        for k in range(1, len(rates) + 1)
        for subset in combinations(rates, k)
    )


@dataclass
class Dashboard:
    id: int
    arrival: float
    client: str
    call_times: dict[str, float]  # drawn once; both gateways use the same
    orders: int
    parts: dict[str, dict[str, float]] = field(default_factory=lambda: {"parallel": {}, "sequential": {}})
    latency: dict[str, float] = field(default_factory=dict)


class AggregationRun(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        p = params
        self.means = {"users": p["users_time"], "orders": p["orders_time"], "recommendations": p["recommendations_time"]}
        self.env = simpy.Environment()
        self.gateways = {mode: self._gateway(mode, seed) for mode in ("parallel", "sequential")}
        self._rng = {name: stream(seed, f"aggregation:{name}") for name in ("gaps", "client", "calls", "orders")}
        self.dashboards: dict[int, Dashboard] = {}
        self.answered: list[Dashboard] = []
        self._sampled = {"parallel": 0, "sequential": 0}
        self._finished = {"parallel": [], "sequential": []}  # dashboard latencies, in finishing order
        self._finished_at = {"parallel": [], "sequential": []}  # ... and when each finished
        self._next_id = 0
        self.env.process(self._clients())

    def _gateway(self, mode: str, seed: int):
        """One gateway and its three services: a server per service, many worker threads each."""
        rate = self.params["rate"]
        sim = lab_simulation(
            SimConfig(servers=1, workers=WORKERS_PER_SERVICE, arrival_rate=3 * rate, seed=seed),
            env=self.env, generate_arrivals=False,
        )
        for name in SERVICES:
            sim.add_server(name=name, workers=WORKERS_PER_SERVICE)
        sim.remove_server("s1")  # idle: it leaves at once, leaving only the named services
        sim.on_complete = self._call_returned
        return sim

    # -- the story ------------------------------------------------------------------------------
    def _clients(self):
        rate, gap = self.params["rate"], self._rng["gaps"].expovariate
        while True:
            yield self.env.timeout(gap(rate))
            self._dashboard_requested()

    def _client(self) -> str:
        choice = self.params["client"]
        if choice != "both":
            return choice
        return "mobile" if self._rng["client"].random() < MOBILE_SHARE else "web"

    def _dashboard_requested(self) -> None:
        draw = self._rng["calls"].expovariate
        call_times = {name: draw(1.0 / self.means[name]) for name in SERVICES}  # all three, always
        orders = int(math.log(1.0 - self._rng["orders"].random()) / math.log(1 - 1 / (MEAN_ORDERS + 1)))
        d = Dashboard(self._next_id, self.env.now, self._client(), call_times, orders)
        self._next_id += 1
        self.dashboards[d.id] = d
        for service in CALLS[d.client]:  # parallel: every call now
            self._call("parallel", d, service)
        self._call("sequential", d, CALLS[d.client][0])  # sequential: the first call only

    def _call(self, mode: str, d: Dashboard, service: str) -> None:
        req = Request(d.id, self.env.now, d.call_times[service], 0, d.id)
        req.path = service
        self.gateways[mode].send_to(service, req)

    def _call_returned(self, sim, req, server) -> None:
        mode = "parallel" if sim is self.gateways["parallel"] else "sequential"
        d = self.dashboards[req.id]
        now = self.env.now
        d.parts[mode][req.path] = now - req.arrival
        calls = CALLS[d.client]
        if len(d.parts[mode]) < len(calls):
            if mode == "sequential":
                self._call(mode, d, calls[len(d.parts[mode])])
            return
        d.latency[mode] = now - d.arrival
        self._finished[mode].append(d.latency[mode])
        self._finished_at[mode].append(now)
        if len(d.latency) == 2:
            del self.dashboards[d.id]
            self.answered.append(d)

    # -- ScenarioRun ----------------------------------------------------------------------------
    def _advance(self, t: float) -> None:
        if t > self.env.now:
            self.env.run(until=t)

    def expected_latency(self, mode: str) -> float:
        """E[max] (parallel) or E[sum] (sequential) of the calls, averaged over the client mix."""
        share = {"web": 1.0, "mobile": 0.0, "both": 1 - MOBILE_SHARE}[self.params["client"]]
        out = 0.0
        for client, weight in (("web", share), ("mobile", 1 - share)):
            means = [self.means[s] for s in CALLS[client]]
            out += weight * (expected_max_of_exponentials(means) if mode == "parallel" else sum(means))
        return out

    def metrics(self) -> dict:
        parallel = summarize([d.latency["parallel"] for d in self.answered])
        sequential = summarize([d.latency["sequential"] for d in self.answered])
        out = {
            "dashboards": len(self.answered),
            "parallel_mean": parallel.mean,
            "parallel_p99": parallel.p99,
            "sequential_mean": sequential.mean,
            "sequential_p99": sequential.p99,
            "parallel_mean_expected": self.expected_latency("parallel"),
            "sequential_mean_expected": self.expected_latency("sequential"),
            "speedup": sequential.mean / parallel.mean if parallel.mean else None,
        }
        for client in ("web", "mobile"):
            mine = [d for d in self.answered if d.client == client]
            out[f"{client}_parallel_mean"] = _mean([d.latency["parallel"] for d in mine])
            out[f"{client}_kb"] = _mean([PAYLOADS[client].size(d.orders) for d in mine])
        return out

    def sample(self) -> dict:
        point = {}
        for mode, finished in self._finished.items():
            point[f"{mode}_latency"] = _mean(finished[self._sampled[mode]:])  # since the last point
            self._sampled[mode] = len(finished)
        return point

    def panes(self) -> list[Pane]:
        def recent(mode: str, what: str) -> str:
            latency = _mean(self._finished[mode][-RECENT_DASHBOARDS:])
            return what if latency is None else f"{what}: {latency * 1000:.0f} ms"

        return [
            Pane("parallel fan-out", self._snapshot("parallel"), recent("parallel", "max of calls")),
            Pane("one call after another", self._snapshot("sequential"), recent("sequential", "sum of calls")),
        ]

    def _snapshot(self, mode: str) -> Snapshot:
        """The gateway's snapshot, its recent latency that of whole dashboards, not of single
        calls: both gateways make the very same calls, so per call the two panes (and their
        chart lines) would be identical, hiding the max-versus-sum the scenario is about."""
        snap = self.gateways[mode].snapshot()
        start = bisect_left(self._finished_at[mode], snap.time - snap.window)
        # theory=None: the config's nominal arrival rate does not describe the calls the gateway makes
        return replace(snap, recent=summarize(self._finished[mode][start:]), theory=None)


def _mean(values: list[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


SCENARIO = Scenario(
    name="aggregation",
    section=6,
    title="Gateway aggregation: parallel is the max, sequential is the sum",
    summary=(
        "A dashboard needs users, orders and recommendations. One gateway calls the three services "
        "at once and answers when the slowest returns; another calls them one after another. Both "
        "see the very same call times, so each parallel dashboard takes the max of its three calls "
        "and each sequential one their sum. With a Backend for Frontend, the mobile app's gateway "
        "skips recommendations and trims the order list: a smaller, faster dashboard."
    ),
    look_for=(
        "Compare the two latency lines: parallel tracks the slowest call, sequential the total; then "
        "compare web and mobile dashboards, which differ in size and in how many calls they wait for."
    ),
    params=(
        Param("rate", 10.0, "dashboards requested per second", min=0.1, max=50.0, unit="req/s"),
        Param("users_time", 0.04, "mean time of the users call (exponential)", min=0.001, max=5.0, unit="s"),
        Param("orders_time", 0.06, "mean time of the orders call (exponential)", min=0.001, max=5.0, unit="s"),
        Param("recommendations_time", 0.12, "mean time of the recommendations call (exponential)",
              min=0.001, max=5.0, unit="s"),
        Param("client", "both", "who asks: the web app, the mobile app (its BFF skips recommendations) or both, half each",
              choices=("web", "mobile", "both")),
        Param("duration", 120.0, "simulated length of the run", min=10.0, max=3600.0, unit="s"),
    ),
    metrics=(
        Metric("dashboards", "requests", "dashboards answered by both gateways"),
        Metric("parallel_mean", "s", "mean dashboard latency, calls in parallel", label="mean, calls in parallel"),
        Metric("parallel_p99", "s", "99th percentile, calls in parallel", label="p99, calls in parallel"),
        Metric("sequential_mean", "s", "mean dashboard latency, calls one after another", label="mean, calls one after another"),
        Metric("sequential_p99", "s", "99th percentile, calls one after another", label="p99, calls one after another"),
        Metric("parallel_mean_expected", "s", "expected max of the call times (inclusion-exclusion over exponentials)"),
        Metric("sequential_mean_expected", "s", "expected sum of the call times: the sum of their means"),
        Metric("speedup", "x", "sequential mean over parallel mean"),
        Metric("web_parallel_mean", "s", "mean parallel latency of web dashboards (three calls)", label="web dashboard, mean in parallel"),
        Metric("mobile_parallel_mean", "s", "mean parallel latency of mobile dashboards (two calls)", label="mobile dashboard, mean in parallel"),
        Metric("web_kb", "KB", "mean size of a web dashboard: profile, up to 20 orders, 10 recommendations", label="web dashboard size"),
        Metric("mobile_kb", "KB", "mean size of a mobile dashboard: short profile, last 3 orders, none", label="mobile dashboard size"),
    ),
    run_class=AggregationRun,
    headline=(
        "parallel_mean", "sequential_mean", "parallel_p99", "sequential_p99",
        "web_parallel_mean", "mobile_parallel_mean", "web_kb", "mobile_kb",
    ),
    chart=(
        ChartSeries("parallel_latency", "in parallel", "s"),
        ChartSeries("sequential_latency", "one after another", "s"),
    ),
    chart_title="dashboard latency",
    duration_param="duration",
    requests=lambda p: 6 * p["rate"] * p["duration"],  # three service calls a dashboard, two clients
)
