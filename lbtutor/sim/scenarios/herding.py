"""Scenario `herding` (section 2): many balancers, stale load information.

The chapter's algorithm chart pictures one balancer that knows every server's true load at the
instant it picks. Here `balancers` independent balancers (one per host, say) each take an equal
share of the arrivals (each request comes from one of them at random) and each draws from its own
random stream. What a balancer knows of the servers' load is its *view*:

  * `shared`: a load report (every server's open connections) that all balancers read, published
    every `refresh` seconds; between two reports nobody sees the connections that came or went,
    their own included (Mitzenmacher's "periodic update" model). `refresh` = 0: the live truth.
  * `local`: each balancer counts only the requests it has itself sent and not yet seen answered,
    as a per-host proxy does; the other balancers' requests are invisible to it.

Four fleets of balancers, one per algorithm, see the very same requests (same arrivals, same work,
same balancer for each request): least connections and power of two choices read the view; random
and round robin need none (each round-robin balancer keeps its own counter, started at a random
place, or all at the first server with `same_start`). With a fresh view least connections is best;
on a report older than a few service times every balancer sends every request to the server the
report calls emptiest, which floods (a herd), and least connections ends far worse than random.
Power of two choices only compares two random servers, so no single server is everyone's pick: it
degrades gracefully. With a local view and many balancers, least connections sees too little to
beat round robin by much.
"""

from __future__ import annotations

import math
from dataclasses import replace

import simpy

from lbtutor.sim.balancers import Balancer, _least
from lbtutor.sim.config import SimConfig
from lbtutor.sim.engine import Simulation
from lbtutor.sim.scenarios.base import Metric, Pane, Param, Scenario, ScenarioError, ScenarioRun
from lbtutor.sim.scenarios.lrt_oscillation import ShareMeter
from lbtutor.sim.scenarios.toolkit import lab_simulation, mean, on_complete, p99
from lbtutor.sim.traffic import stream

SERVICE_TIME = 0.1  # seconds of work per request (exponential): 100 ms
MIN_REFRESH = 0.01  # seconds: a report published more often than this is as good as live
WARM_UP = 0.1  # share of the run, at its start, whose requests the latency figures leave out
# short name -> (engine slug, label on screen)
ALGORITHMS = {
    "lc": ("least-connections", "least connections"),
    "p2c": ("power-of-two-choices", "power of two choices"),
    "random": ("random", "random"),
    "rr": ("round-robin", "round robin"),
}
READS_VIEW = ("lc", "p2c")


class LoadView:
    """What the balancers of one fleet know of each server's open connections."""

    def __init__(self, sim: Simulation, kind: str, balancers: int) -> None:
        self.sim = sim
        self.kind = kind  # "live", "report" or "local"
        n = len(sim.servers)
        self.report = [0] * n  # kind "report": the counts as last published
        self.own = [[0] * n for _ in range(balancers)]  # kind "local": each balancer's own counts
        if kind == "local":
            on_complete(sim, self._answered)

    def counts(self, balancer: int) -> list[int]:
        """The connection counts balancer `balancer` sees, by server index."""
        if self.kind == "report":
            return self.report
        if self.kind == "local":
            return self.own[balancer]
        return [s.active for s in self.sim.servers]

    def publish(self) -> None:
        self.report = [s.active for s in self.sim.servers]

    def sent(self, balancer: int, index: int) -> None:
        if self.kind == "local":
            self.own[balancer][index] += 1

    def _answered(self, sim, req, server) -> None:
        self.own[req.client][server.index] -= 1


class Fleet(Balancer):
    """`balancers` balancers running one algorithm. Each request names its balancer in
    `request.client` (the traffic has exactly one client per balancer, picked uniformly, so each
    balancer gets an equal share of the arrivals at random)."""

    def __init__(self, short: str, balancers: int, view: LoadView, seed: int, same_start: bool) -> None:
        super().__init__(stream(seed, f"herding:{short}"))
        self.short = short
        self.view = view
        self.rngs = [stream(seed, f"herding:{short}:balancer{b}") for b in range(balancers)]
        servers = len(view.sim.servers)
        self.next = [0 if same_start else int(rng.random() * servers) for rng in self.rngs]
        self.picks = 0
        self.misled = 0  # picks the view called least loaded that, in truth, were not

    def pick(self, req, pool):
        b = req.client
        rng = self.rngs[b]
        n = len(pool)
        if self.short == "rr":
            i = self.next[b] % n
            self.next[b] = i + 1
            return pool[i]
        if self.short == "random":
            return pool[int(rng.random() * n)]
        counts = self.view.counts(b)
        if self.short == "lc":
            server = _least(pool, lambda s: counts[s.index], rng)
            truth = min(s.active for s in pool)
        else:  # p2c: two different servers at random, the one the view calls lighter
            i = int(rng.random() * n)
            j = int(rng.random() * (n - 1))
            if j >= i:
                j += 1
            a, other = pool[i], pool[j]
            server, other = (other, a) if counts[other.index] < counts[a.index] else (a, other)
            truth = other.active
        self.picks += 1
        if server.active > truth:
            self.misled += 1
        self.view.sent(b, server.index)
        return server


class HerdingRun(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        p = params
        if 0 < p["refresh"] < MIN_REFRESH:
            raise ScenarioError(
                f"herding: refresh={p['refresh']:g} is not allowed; refresh is 0 (live) or at least "
                f"{MIN_REFRESH:g} s"
            )
        self.env = simpy.Environment()
        self.view_kind = (
            "local" if p["view"] == "local" else "report" if p["refresh"] > 0 else "live"
        )
        rate = p["load"] * p["servers"] / SERVICE_TIME
        self.sims: dict[str, Simulation] = {}
        self.views: dict[str, LoadView] = {}
        self.fleets: dict[str, Fleet] = {}
        self.latencies: dict[str, list[float]] = {}
        self.shares: dict[str, ShareMeter] = {}
        warm_up = WARM_UP * duration
        for short, (slug, _label) in ALGORITHMS.items():
            config = SimConfig(
                algorithm=slug, servers=p["servers"], arrival_rate=rate,
                service_rate=1.0 / SERVICE_TIME, clients=p["balancers"], seed=seed,
            )
            sim = lab_simulation(config, env=self.env)
            view = LoadView(sim, self.view_kind if short in READS_VIEW else "live", p["balancers"])
            fleet = Fleet(short, p["balancers"], view, seed, p["same_start"])
            sim.balancer = fleet  # the fleet picks instead of the engine's single balancer
            self.sims[short], self.views[short], self.fleets[short] = sim, view, fleet
            self.latencies[short] = _record_after(sim, warm_up)
            self.shares[short] = ShareMeter(sim)
        if self.view_kind == "report":
            self.env.process(self._publish(p["refresh"]))

    def _publish(self, every: float):
        """The load report: every `every` seconds, each fleet's report takes the true counts."""
        k = 0
        while True:
            for short in READS_VIEW:
                self.views[short].publish()
            k += 1
            yield self.env.timeout(k * every - self.env.now)

    # -- the interface ---------------------------------------------------------------------
    def _advance(self, t: float) -> None:
        if t > self.env.now:
            self.env.run(until=t)

    def metrics(self) -> dict:
        figures: dict = {}
        for short in ALGORITHMS:
            figures[f"mean_{short}"] = mean(self.latencies[short])
        for short in ALGORITHMS:
            figures[f"p99_{short}"] = p99(self.latencies[short])
        for short in ALGORITHMS:
            share = self.shares[short].herding
            figures[f"max_over_mean_{short}"] = None if share is None else share * self.params["servers"]
        for short in READS_VIEW:
            fleet = self.fleets[short]
            figures[f"misled_{short}"] = fleet.misled / fleet.picks if fleet.picks else None
        figures["mean_random_theory"] = _mm1_mean(self.params["load"])
        return figures

    def sample(self) -> dict:
        return {f"busiest_{short}": max(s.active for s in sim.servers) for short, sim in self.sims.items()}

    def panes(self) -> list[Pane]:
        p = self.params
        if self.view_kind == "local":
            seen = "own counts"
        elif self.view_kind == "report":
            seen = f"report every {p['refresh']:g} s"
        else:
            seen = "live counts"
        panes = []
        for short, (_slug, label) in ALGORITHMS.items():
            sim = self.sims[short]
            title = f"{label}, {seen}" if short in READS_VIEW else label
            busiest = max(s.active for s in sim.servers)
            note = f"busiest server now: {busiest} connections"
            fleet = self.fleets[short]
            if short in READS_VIEW and fleet.picks:
                note += f"; {fleet.misled / fleet.picks:.0%} of picks misled so far"
            panes.append(Pane(title, self._snapshot(short), note))
        return panes

    def _snapshot(self, short: str):
        """The engine's snapshot, with its theory kept only where the model it names holds: its
        single-balancer formulas do not describe a fleet on partial or stale counts."""
        snap = self.sims[short].snapshot()
        theory = snap.theory
        one = self.params["balancers"] == 1
        if short == "random":
            exact = True  # random splitting of Poisson arrivals is random splitting, however many split it
        elif short == "rr":
            exact = one  # several round-robin counters interleave: no longer Erlang gaps
        else:
            exact = self.view_kind == "live" or (self.view_kind == "local" and one)
        if theory and not exact and theory.get("model") != "unstable" and "mmc_lower_bound" in theory:
            theory = {**theory, "model": theory["mmc_model"], "mean_latency": theory["mmc_lower_bound"],
                      "lower_bound": True}
            for key in ("p50", "p95", "p99", "sigma"):
                theory.pop(key, None)
        return replace(snap, theory=theory)


def _record_after(sim: Simulation, start: float) -> list[float]:
    """Latencies of the requests that arrived from `start` on (the empty start would flatter all)."""
    latencies: list[float] = []
    append = latencies.append

    def record(s, req, server):
        if req.arrival >= start:
            append(s.env.now - req.arrival)

    on_complete(sim, record)
    return latencies


def _mm1_mean(load: float) -> float:
    """Random routing splits Poisson arrivals into independent M/M/1 queues: S / (1 - load)."""
    return SERVICE_TIME / (1.0 - load) if load < 1 else math.inf


SCENARIO = Scenario(
    name="herding",
    section=2,
    title="Many balancers, stale load: least connections herds",
    summary=(
        "Ten servers at 90% busy (100 ms requests), fed by ten balancers that each get a tenth of "
        "the requests. Four fleets see the same requests: least connections and power of two "
        "choices read a load report published every `refresh` seconds (or, with view=local, only "
        "their own connections); random and round robin read nothing."
    ),
    look_for=(
        "Watch the least-connections bars: between two reports one server takes every request and "
        "floods while the others drain, so its mean latency ends far above random's; the "
        "power-of-two-choices bars stay nearly level."
    ),
    params=(
        Param("balancers", 10, "independent balancers, each taking an equal share of the requests",
              min=1, max=50),
        Param("servers", 10, "equal servers behind them (100 ms of work per request)", min=2, max=50),
        Param("load", 0.9, "arrival rate as a fraction of the servers' capacity", min=0.1, max=0.98),
        Param("refresh", 1.0, "view=shared: seconds between two load reports (0 = the live truth; "
              "otherwise at least 0.01 s)", min=0, max=60, unit="s"),
        Param("view", "shared", "what a balancer knows: shared = the load report every balancer reads; "
              "local = only the requests it sent itself", choices=("shared", "local")),
        Param("same_start", False, "round robin: every balancer starts its turn at the first server "
              "(false: each at a random one)"),
        Param("duration", 240.0, "length of the run", min=20, max=1200, unit="s"),
    ),
    metrics=(
        *(Metric(f"mean_{short}", "s", f"mean latency under {label} (requests after the first 10% "
                 "of the run)") for short, (_slug, label) in ALGORITHMS.items()),
        *(Metric(f"p99_{short}", "s", f"99th percentile latency under {label}")
          for short, (_slug, label) in ALGORITHMS.items()),
        *(Metric(f"max_over_mean_{short}", "ratio", f"{label}: requests sent to the busiest server in "
                 "each second over the mean per server, averaged over the seconds (1 = even, servers = "
                 "all to one)") for short, (_slug, label) in ALGORITHMS.items()),
        Metric("misled_lc", "share", "least connections: share of picks the view called least loaded "
               "that, in truth, were not"),
        Metric("misled_p2c", "share", "power of two choices: share of picks where the server chosen "
               "held, in truth, more connections than the other one drawn"),
        Metric("mean_random_theory", "s", "random routing's mean latency from theory: M/M/1 per "
               "server, 100 ms / (1 - load)"),
    ),
    run_class=HerdingRun,
    headline=("mean_lc", "mean_p2c", "mean_random", "mean_rr"),
    duration_param="duration",
    requests=lambda p: len(ALGORITHMS) * p["load"] * p["servers"] / SERVICE_TIME * p["duration"],
)
