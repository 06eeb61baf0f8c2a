"""Scenario `black-hole` (section 5): a server that fails fast draws traffic to itself.

At `fail_at` one server's application (s1's) starts answering every request with an error after
`error_time` seconds (a millisecond by default) while its process stays up. A fast error frees
the connection at once, so s1 always has the fewest open connections: least connections sends it
more and more of the traffic (Google's SRE book calls this sinkholing), the busier the pool the
more, while round robin keeps giving it its 1/N. An http health check on HAProxy's schedule
(`interval` after each probe completes, out after `fall` failures) takes it out eventually;
meanwhile every request sent to it fails.

Two pools, round robin and least connections, see the very same requests. Mitigations, each off
at 0 and applied to both pools:

  * `error_penalty`: least connections counts every recent error as that many extra connections
    (decaying away over ERROR_MEMORY seconds), as failure-aware balancers do;
  * `outlier_ejection`: after that many errors in a row from a server, the balancer stops using
    it for `ejection_time` seconds (Envoy's consecutive_5xx outlier detection);
  * `retries`: a failed request is sent again, to another server, up to that many times.
"""

from __future__ import annotations

import math
from dataclasses import replace

import simpy

from lbtutor.sim.balancers import Balancer, _least
from lbtutor.sim.config import SimConfig
from lbtutor.sim.health import AFTER_COMPLETION, HealthChecker
from lbtutor.sim.scenarios.base import Metric, Pane, Param, Scenario, ScenarioError, ScenarioRun
from lbtutor.sim.scenarios.toolkit import at, lab_simulation, on_complete
from lbtutor.sim.server import APP_ERROR, Request, Server

FAILING = "s1"
SERVICE_TIME = 0.05  # seconds of work per request (exponential): 50 ms
WORKERS = 4  # requests one server works on at once
ERROR_MEMORY = 10.0  # seconds: an error's penalty decays with this time constant
# short name -> (engine slug, label on screen)
ALGORITHMS = {
    "rr": ("round-robin", "round robin"),
    "lc": ("least-connections", "least connections"),
}


class ErrorAwareLeastConnections(Balancer):
    """Least connections where each recent error of a server counts as `penalty` extra
    connections, fading with time constant ERROR_MEMORY."""

    def __init__(self, rng, penalty: float, env: simpy.Environment) -> None:
        super().__init__(rng)
        self.penalty = penalty
        self.env = env
        self.errors: dict[Server, tuple[float, float]] = {}  # server -> (penalty, as of when)

    def extra(self, server: Server, now: float) -> float:
        value, since = self.errors.get(server, (0.0, now))
        return value * math.exp(-(now - since) / ERROR_MEMORY)

    def error(self, server: Server) -> None:
        now = self.env.now
        self.errors[server] = (self.extra(server, now) + self.penalty, now)

    def pick(self, req, pool):
        now = self.env.now
        return _least(pool, lambda s: s.active + self.extra(s, now), self.rng)


class Tally(Balancer):
    """Counts the picks of the balancer it wraps, per server, while `counting` is on."""

    def __init__(self, inner: Balancer) -> None:
        super().__init__(inner.rng)
        self.inner = inner
        self.counting = False
        self.picks: dict[str, int] = {}
        self.total = 0

    def pool_changed(self, pool):
        self.inner.pool_changed(pool)

    def pick(self, req, pool):
        server = self.inner.pick(req, pool)
        if self.counting and server is not None:
            self.count(server)
        return server

    def count(self, server: Server) -> None:
        self.picks[server.name] = self.picks.get(server.name, 0) + 1
        self.total += 1


class GuardedPool:
    """One pool with its balancer, health checker, outlier detection and retries."""

    def __init__(self, run: BlackHoleRun, short: str, config: SimConfig) -> None:
        p = run.params
        self.run = run
        self.short = short
        self.sim = sim = lab_simulation(config, env=run.env)
        sim.error_time = p["error_time"]
        inner = sim.balancer
        if short == "lc" and p["error_penalty"] > 0:
            inner = ErrorAwareLeastConnections(sim.balancer.rng, p["error_penalty"], run.env)
        self.penalized = inner if isinstance(inner, ErrorAwareLeastConnections) else None
        self.tally = Tally(inner)
        sim.balancer = self.tally
        self.checker = HealthChecker(
            sim, interval=p["interval"], timeout=None, fall=p["fall"], rise=p["rise"], check="http",
            schedule=AFTER_COMPLETION, on_change=self._verdict,
        )
        self.in_a_row: dict[str, int] = {}  # server -> errors in a row (outlier detection)
        self.ejected_until: dict[str, float] = {}
        self.out_at: float | None = None  # when s1 first left rotation after it broke
        self.out_by = ""
        self.failed = 0  # requests that failed with no retry left
        self.retried = 0
        self.tries: dict[int, int] = {}  # request id -> retries it has had (while it has had any)
        self.ejections = 0
        sim.on_fail = self._failed
        on_complete(sim, self._answered)

    # -- outcomes --------------------------------------------------------------------------
    def _answered(self, sim, req, server) -> None:
        self.in_a_row[server.name] = 0
        if self.tries:
            self.tries.pop(req.id, None)

    def _failed(self, sim, req: Request, server: Server) -> None:
        p = self.run.params
        if self.penalized is not None:
            self.penalized.error(server)
        streak = self.in_a_row.get(server.name, 0) + 1
        self.in_a_row[server.name] = streak
        if p["outlier_ejection"] and streak >= p["outlier_ejection"] and server.in_rotation:
            self._eject(server)
        tries = self.tries.pop(req.id, 0)
        others = [s for s in sim.pool if s is not server]
        if tries < p["retries"] and others:
            self.retried += 1
            self.tries[req.id] = tries + 1
            retry = Request(req.id, sim.env.now, req.demand, req.client, req.key)
            sim.send_to(self.tally.pick(retry, others).name, retry)
        else:
            self.failed += 1

    # -- taking s1 out -----------------------------------------------------------------------
    def _eject(self, server: Server) -> None:
        now = self.run.env.now
        self.ejections += 1
        self.in_a_row[server.name] = 0
        self.sim.set_in_rotation(server.name, False)
        self._left(server.name, now, f"outlier detection ({self.run.params['outlier_ejection']} errors in a row)")
        back = now + self.run.params["ejection_time"]
        self.ejected_until[server.name] = back
        at(self.run.env, back, lambda: self._return(server.name))

    def _return(self, name: str) -> None:
        if self.ejected_until.get(name, math.inf) > self.run.env.now + 1e-12:
            return  # ejected again since; a later return will come
        del self.ejected_until[name]
        if self.checker.health[name].healthy:  # the health check keeps out what it took out
            self.sim.set_in_rotation(name, True)

    def _verdict(self, name: str, healthy: bool, now: float) -> None:
        if healthy and name in self.ejected_until:
            self.sim.set_in_rotation(name, False)  # still ejected by outlier detection
        if not healthy:
            self._left(name, now, f"the health check ({self.run.params['fall']} failed probes)")

    def _left(self, name: str, now: float, why: str) -> None:
        if name != FAILING or self.out_at is not None or now < self.run.params["fail_at"]:
            return
        self.out_at = now
        self.out_by = why
        self.tally.counting = False
        label = ALGORITHMS[self.short][1]
        self.run.note(f"{label}: {FAILING} out of rotation at {now:.1f} s by {why}", at=now)

    # -- figures ---------------------------------------------------------------------------
    @property
    def failing_share(self) -> float | None:
        t = self.tally
        return t.picks.get(FAILING, 0) / t.total if t.total else None


class BlackHoleRun(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        p = params
        if p["fail_at"] >= duration:
            raise ScenarioError(
                f"black-hole: fail_at={p['fail_at']:g} is not allowed; fail_at must be before the end "
                f"of the run (duration {duration:g} s)"
            )
        self.env = simpy.Environment()
        capacity = p["servers"] * WORKERS / SERVICE_TIME
        self.pools: dict[str, GuardedPool] = {}
        for short, (slug, _label) in ALGORITHMS.items():
            config = SimConfig(
                algorithm=slug, servers=p["servers"], workers=WORKERS, arrival_rate=p["load"] * capacity,
                service_rate=1.0 / SERVICE_TIME, seed=seed,
            )
            self.pools[short] = GuardedPool(self, short, config)
        at(self.env, p["fail_at"], self._breaks)

    def _breaks(self) -> None:
        for pool in self.pools.values():
            pool.sim.set_fault(FAILING, APP_ERROR)
            pool.tally.counting = True
        self.note(f"{FAILING}'s application breaks: every request gets an error after "
                  f"{self.params['error_time'] * 1000:g} ms")

    # -- the interface ---------------------------------------------------------------------
    def _advance(self, t: float) -> None:
        if t > self.env.now:
            self.env.run(until=t)

    def metrics(self) -> dict:
        p = self.params
        figures: dict = {}
        for short, pool in self.pools.items():
            figures[f"failing_share_{short}"] = pool.failing_share
        for short, pool in self.pools.items():
            figures[f"failed_{short}"] = pool.failed
        for short, pool in self.pools.items():
            figures[f"ejected_at_{short}"] = pool.out_at
        for short, pool in self.pools.items():
            figures[f"ejection_delay_{short}"] = None if pool.out_at is None else pool.out_at - p["fail_at"]
        figures["even_share"] = 1.0 / p["servers"]
        figures["detection_bound"] = self.pools["rr"].checker.detection_bound(APP_ERROR)
        return figures

    def sample(self) -> dict:
        point = {}
        for short, pool in self.pools.items():
            point[f"failing_share_{short}"] = pool.failing_share
        for short, pool in self.pools.items():
            point[f"failed_{short}"] = pool.failed
        return point

    def panes(self) -> list[Pane]:
        panes = []
        for short, (_slug, label) in ALGORITHMS.items():
            pool = self.pools[short]
            extra = " + error penalty" if pool.penalized is not None else ""
            share = pool.failing_share
            if pool.out_at is not None:
                note = f"{FAILING} out at {pool.out_at:.1f} s by {pool.out_by}"
            elif self.env.now >= self.params["fail_at"]:
                note = f"{FAILING} is failing and still in rotation"
            else:
                note = f"{FAILING} is healthy"
            if share is not None:
                note += f"; it got {share:.0%} of the requests while failing"
            snap = pool.sim.snapshot()
            if self.env.now >= self.params["fail_at"]:
                # The requests s1 fails never wait, so no queueing formula (nor its bound) describes
                # the latency of the ones that are served.
                snap = replace(snap, theory=None)
            panes.append(Pane(f"{label}{extra}", snap, note))
        return panes


SCENARIO = Scenario(
    name="black-hole",
    section=5,
    title="The black hole: a server that fails fast attracts the traffic",
    summary=(
        "Ten servers (4 workers each, 50 ms requests) at 90% busy. At 10 s s1's application starts "
        "answering every request with an error after 1 ms; its process stays up. An http check "
        "probes 2 s after each probe completes and takes it out after 3 failures. Round robin and "
        "least connections get the same requests."
    ),
    look_for=(
        "Watch s1 between its failure and its ejection: least connections sees it always nearly "
        "empty and sends it most of the requests, all failing; round robin keeps sending it one "
        "in ten."
    ),
    params=(
        Param("servers", 10, "servers in each pool (4 workers each, 50 ms per request)", min=2, max=50),
        Param("load", 0.9, "arrival rate as a fraction of the pool's capacity", min=0.05, max=0.98),
        Param("fail_at", 10.0, "when s1's application starts answering with errors", min=0, max=600,
              unit="s"),
        Param("error_time", 0.001, "how long s1 takes to answer with its error", min=0, max=5, unit="s"),
        Param("error_penalty", 0.0, "least connections counts each recent error as this many extra "
              "connections, fading over 10 s (0 = off)", min=0, max=100),
        Param("outlier_ejection", 0, "errors in a row from one server after which the balancer "
              "ejects it (0 = off)", min=0, max=100),
        Param("ejection_time", 30.0, "how long an ejected server stays out", min=0.1, max=600, unit="s"),
        Param("retries", 0, "times a failed request is sent again, to another server", min=0, max=5),
        Param("interval", 2.0, "http health check: seconds after one probe completes until the next",
              min=0.1, max=60, unit="s"),
        Param("fall", 3, "failed probes in a row that take a server out", min=1, max=10),
        Param("rise", 2, "passed probes in a row that put it back", min=1, max=10),
        Param("duration", 40.0, "length of the run", min=10, max=600, unit="s"),
    ),
    metrics=(
        Metric("failing_share_rr", "share", "round robin: share of the requests sent to s1 from its "
               "failure until it left rotation"),
        Metric("failing_share_lc", "share", "the same under least connections"),
        Metric("failed_rr", "requests", "round robin: requests that failed (after any retries)"),
        Metric("failed_lc", "requests", "least connections: requests that failed (after any retries)"),
        Metric("ejected_at_rr", "s", "round robin: when s1 first left rotation after failing "
               "(health check or outlier detection)"),
        Metric("ejected_at_lc", "s", "the same under least connections"),
        Metric("ejection_delay_rr", "s", "ejected_at_rr - fail_at"),
        Metric("ejection_delay_lc", "s", "ejected_at_lc - fail_at"),
        Metric("even_share", "share", "1/servers: the share round robin gives every server"),
        Metric("detection_bound", "s", "the health check's worst case for an erroring application: "
               "fall x interval (each failing probe answers at once)"),
    ),
    run_class=BlackHoleRun,
    headline=("failing_share_rr", "failing_share_lc", "failed_rr", "failed_lc"),
    duration_param="duration",
    # each pool: every request, plus up to `retries` more for those that fail
    requests=lambda p: len(ALGORITHMS) * (1 + p["retries"]) * p["load"] * p["servers"] * WORKERS
    / SERVICE_TIME * p["duration"],
)
