"""Scenario `slow-server` (section 2): one server turns slow for a while; who notices?

Linkerd's "Beyond Round Robin" experiment (2016), scaled to a learner's run: 11 servers whose
responses take 167 ms with a spread of 5 ms, an open-loop client sending a steady stream, and
after `slow_at` seconds one server (s1) takes 2 s per request for 30 s, then recovers. Servers
have ample concurrency (many workers), so a response takes its service time and nothing queues:
the only question is how many requests each algorithm hands the slow server while it is slow.

Five pools see the very same requests: round robin (blind: s1 keeps its 1/11), least connections
and power of two choices (s1's slow requests pile up as open connections, so they send it less),
least response time and peak EWMA (both weigh a latency estimate that jumps to 2 s, so they send it
almost nothing). Linkerd reported the ordering: round robin's tail is slow from the 95th
percentile up, least loaded holds until about the 99th, peak EWMA until about the 99.9th.
"""

from __future__ import annotations

from bisect import bisect_right

import simpy

from lbtutor.sim.config import SimConfig
from lbtutor.sim.engine import Simulation
from lbtutor.sim.metrics import percentile
from lbtutor.sim.scenarios.base import Metric, Pane, Param, Scenario, ScenarioError, ScenarioRun
from lbtutor.sim.scenarios.toolkit import at, lab_simulation, on_complete, sent_to
from lbtutor.sim.traffic import Traffic, stream

SLOW = "s1"
SPREAD = 0.005  # seconds: standard deviation of a healthy response (Linkerd's: 5 ms)
FLOOR = 0.001  # no response is faster than 1 ms
# short name -> (engine slug, label on screen)
ALGORITHMS = {
    "rr": ("round-robin", "round robin"),
    "lc": ("least-connections", "least connections"),
    "lrt": ("least-response-time", "least response time"),
    "p2c": ("power-of-two-choices", "power of two choices"),
    "ewma": ("peak-ewma", "peak EWMA"),
}
QUANTILES = {"p50": 50.0, "p95": 95.0, "p99": 99.0, "p999": 99.9}


class SteadyTraffic(Traffic):
    """Poisson arrivals whose work is nearly constant: normal, mean `service_time`, sd 5 ms."""

    def __init__(self, rate: float, service_time: float, seed: int) -> None:
        super().__init__(rate, "exp", service_time, seed=seed)
        gauss = stream(seed, "demands").gauss
        self._demand = lambda: max(FLOOR, gauss(service_time, SPREAD))
        self.service_dist = "normal"  # no closed form in theory.py describes it: none is claimed


class SlowServerRun(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        p = params
        if p["slow_at"] >= duration:
            raise ScenarioError(
                f"slow-server: slow_at={p['slow_at']:g} is not allowed; slow_at must be before the end "
                f"of the run (duration {duration:g} s)"
            )
        self.env = simpy.Environment()
        self.slow_from = p["slow_at"]
        self.slow_until = min(duration, p["slow_at"] + p["slow_for"])
        self.sims: dict[str, Simulation] = {}
        self.latencies: dict[str, list[float]] = {}
        self._sent_at_slow: dict[str, tuple[int, int]] | None = None
        self._sent_at_end: dict[str, tuple[int, int]] | None = None
        for short, (slug, _label) in ALGORITHMS.items():
            config = SimConfig(
                algorithm=slug, servers=p["servers"], workers=p["workers"], arrival_rate=p["rate"],
                service_rate=1.0 / p["service_time"], seed=seed,
            )
            sim = lab_simulation(config, env=self.env, traffic=SteadyTraffic(p["rate"], p["service_time"], seed))
            self.sims[short] = sim
            self.latencies[short] = self._record(sim)
        at(self.env, self.slow_from, self._slow_down)
        at(self.env, self.slow_until, self._recover)

    def _record(self, sim: Simulation) -> list[float]:
        latencies: list[float] = []
        append = latencies.append
        on_complete(sim, lambda s, req, server: append(s.env.now - req.arrival))
        return latencies

    def _sent(self) -> dict[str, tuple[int, int]]:
        """For each pool: requests handed to the slow server so far, and to all servers."""
        return {
            short: (sent_to(sim.server(SLOW)), sum(sent_to(s) for s in sim.servers))
            for short, sim in self.sims.items()
        }

    def slow_share(self, short: str) -> float | None:
        """Share of the requests that arrived while s1 was slow (so far) that went to s1."""
        if self._sent_at_slow is None:
            return None
        now = self._sent_at_end or self._sent()
        to_slow = now[short][0] - self._sent_at_slow[short][0]
        total = now[short][1] - self._sent_at_slow[short][1]
        return to_slow / total if total else None

    def _slow_down(self) -> None:
        p = self.params
        self._sent_at_slow = self._sent()
        for sim in self.sims.values():
            sim.set_speed(SLOW, p["service_time"] / p["slow_time"])
        self.note(f"{SLOW} turns slow: every request it starts now takes about {p['slow_time']:g} s")

    def _recover(self) -> None:
        if self.slow_until >= self.duration:
            return  # still slow at the end: the share counts up to the end
        self._sent_at_end = self._sent()
        for sim in self.sims.values():
            sim.set_speed(SLOW, 1.0)
        self.note(f"{SLOW} is fast again (requests it started while slow still take their time)")

    # -- the interface ---------------------------------------------------------------------
    def _advance(self, t: float) -> None:
        if t > self.env.now:
            self.env.run(until=t)

    def metrics(self) -> dict:
        timeout = self.params["timeout"]
        figures: dict = {}
        ordered = {short: sorted(values) for short, values in self.latencies.items()}
        for name, q in QUANTILES.items():
            for short, values in ordered.items():
                figures[f"{name}_{short}"] = percentile(values, q) if values else None
        for short in ALGORITHMS:
            figures[f"slow_share_{short}"] = self.slow_share(short)
        for short, values in ordered.items():
            if timeout > 0 and values:
                figures[f"success_{short}"] = _share_at_most(values, timeout)
            else:
                figures[f"success_{short}"] = None
        figures["even_share"] = 1.0 / self.params["servers"]
        return figures

    def sample(self) -> dict:
        return {f"held_by_slow_{short}": sim.server(SLOW).active for short, sim in self.sims.items()}

    def panes(self) -> list[Pane]:
        slow_now = self.slow_from <= self.env.now < self.slow_until
        panes = []
        for short, (_slug, label) in ALGORITHMS.items():
            sim = self.sims[short]
            note = f"{SLOW} holds {sim.server(SLOW).active} requests"
            note += " (it is slow)" if slow_now else ""
            share = self.slow_share(short)
            if share is not None:
                note += f"; it got {share:.1%} of the requests while slow"
            panes.append(Pane(label, sim.snapshot(), note))
        return panes


def _share_at_most(ordered: list[float], limit: float) -> float:
    """The share of sorted `ordered` that is at most `limit`."""
    return bisect_right(ordered, limit) / len(ordered)


def _requests(p: dict) -> float:
    return len(ALGORITHMS) * p["rate"] * p["duration"]


SCENARIO = Scenario(
    name="slow-server",
    section=2,
    title="One slow server: who keeps sending it requests?",
    summary=(
        "Linkerd's experiment at a learner's scale: 11 servers answering in 167 ms, a steady 300 "
        "req/s, one minute. From 15 s, s1 takes 2 s per request for 30 s. The same requests go to "
        "round robin, least connections, least response time, power of two choices and peak EWMA."
    ),
    look_for=(
        "Watch s1's bar in each pane while it is slow: round robin keeps handing it every 11th "
        "request and its slow requests pile up; least connections and two choices hold its count "
        "near the others'; least response time and peak EWMA leave it almost empty."
    ),
    params=(
        Param("servers", 11, "servers in the pool", min=2, max=50),
        Param("rate", 300.0, "requests per second from the client (Linkerd ran 1,000)", min=10,
              max=2000, unit="req/s"),
        Param("service_time", 0.167, "a healthy response's time (spread 5 ms)", min=0.01, max=2,
              unit="s"),
        Param("slow_at", 15.0, "when s1 turns slow", min=0, max=600, unit="s"),
        Param("slow_for", 30.0, "how long it stays slow", min=0.1, max=600, unit="s"),
        Param("slow_time", 2.0, "how long each request takes on s1 while it is slow", min=0.01,
              max=30, unit="s"),
        Param("timeout", 1.0, "the caller's timeout: a response slower than this counts as a "
              "failure (0 = no timeout)", min=0, max=60, unit="s"),
        Param("workers", 200, "requests one server works on at once (ample: nothing queues)",
              min=1, max=1000),
        Param("duration", 60.0, "length of the run", min=10, max=600, unit="s"),
    ),
    metrics=(
        *(Metric(f"{name}_{short}", "s", f"{name[1:3] if name != 'p999' else '99.9'}th percentile "
                 f"latency under {label}")
          for name in QUANTILES for short, (_slug, label) in ALGORITHMS.items()),
        *(Metric(f"slow_share_{short}", "share", f"{label}: share of the requests that arrived while "
                 "s1 was slow that were sent to s1") for short, (_slug, label) in ALGORITHMS.items()),
        *(Metric(f"success_{short}", "share", f"{label}: share of requests answered within the timeout "
                 "(none without one)") for short, (_slug, label) in ALGORITHMS.items()),
        Metric("even_share", "share", "1/servers: what s1 would get if no algorithm noticed"),
    ),
    run_class=SlowServerRun,
    headline=("p99_rr", "p99_lc", "p999_lc", "p999_ewma", "success_rr"),
    duration_param="duration",
    requests=_requests,
)
