"""Health checks: a balancer probing each server and ejecting the ones that fail.

The checker is a simpy process per server in the simulation's own clock, so it only learns what
its probes tell it, when they tell it. What one probe sees depends on how the server fails:

  * healthy: the probe passes at once;
  * the process refuses connections ("refuse"): every probe fails at once;
  * the process hangs ("hang"): the connect succeeds, so a "tcp" probe passes; an "http" probe
    waits for an answer that never comes and fails when its timeout runs out;
  * the application answers 500s ("app-error"): a "tcp" probe passes (the port accepts the
    connection); an "http" probe fails at once;
  * the host is gone (state DOWN, "crash"): no answer at all; every probe fails after its timeout.

When the next probe starts is the `schedule`:

  * "after-completion", HAProxy's and Envoy's way: the next probe of a server starts `interval`
    after the previous one COMPLETED, so a probe that waits out its timeout stretches the spacing
    to interval + timeout;
  * "fixed-rate", the Kubernetes kubelet's way (a ticker every periodSeconds): a probe starts
    every `interval` whatever the previous one did (so the timeout must not exceed the interval).
    AWS target groups also require the timeout to be shorter than the interval, but do not say
    from which moment the interval counts.

With `timeout=None` no check timeout is set and a probe may take the whole interval, as HAProxy
does without `timeout check`. `connect_timeout` models HAProxy 2.6's `timeout connect` (math.inf:
not set). HAProxy wakes a check at min(inter, timeout connect) when `timeout check` is set (at inter
otherwise); once connected, `timeout check` moves the expiry but does not requeue the task. So a probe
of a hung server fails after max(timeout, min(interval, connect_timeout)), and a probe of a host that
is gone (the connect never completes) after min(interval, connect_timeout). With no `timeout
connect`, `timeout check` changes nothing. None (the default): not modelled, a probe that gets no
answer waits its check timeout, as balancers that enforce the check timeout directly do. `fall` failures in a row take a server out of rotation; `rise`
passes in a row put it back. Probes of different servers are staggered by a seeded offset, as
real balancers spread them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from lbtutor.sim.config import ConfigError
from lbtutor.sim.server import APP_ERROR, DOWN, HANG, REFUSE, Server
from lbtutor.sim.traffic import stream

CHECK_TYPES = ("tcp", "http")
AFTER_COMPLETION = "after-completion"
FIXED_RATE = "fixed-rate"
SCHEDULES = (AFTER_COMPLETION, FIXED_RATE)
CRASH = "crash"  # the whole host is gone: probes get no answer (Simulation.take_down)
FAILURES = (REFUSE, HANG, APP_ERROR, CRASH)


@dataclass
class ServerHealth:
    """What the checker believes about one server, and when it changed its mind."""

    name: str
    healthy: bool = True  # the verdict: in rotation or not
    failures: int = 0  # consecutive failed probes
    passes: int = 0  # consecutive passed probes
    probes: int = 0
    detected_at: list[float] = field(default_factory=list)  # each time it was taken out
    readmitted_at: list[float] = field(default_factory=list)  # each time it was put back


class HealthChecker:
    """Probes every server of `sim` on `schedule` and keeps the pool to those that pass."""

    def __init__(
        self,
        sim,
        *,
        interval: float,
        timeout: float | None,
        fall: int,
        rise: int,
        check: str = "tcp",
        schedule: str = AFTER_COMPLETION,
        on_change: Callable[[str, bool, float], None] | None = None,
        first_probes: dict[str, float] | None = None,
        connect_timeout: float | None = None,
    ) -> None:
        """`first_probes`: when each server's first probe starts (seconds), to line the probes up
        with a real balancer's; servers not in it get a seeded offset within the first interval.
        `connect_timeout`: HAProxy's `timeout connect` (see the module's notes), after completion only."""
        _check_settings(interval, timeout, fall, rise, check, schedule)
        _check_connect_timeout(connect_timeout, schedule)
        self.sim = sim
        self.env = sim.env
        self.interval = interval
        self.timeout = timeout  # None: not set
        self.connect_timeout = connect_timeout  # None: not modelled; math.inf: not set
        self.fall = fall
        self.rise = rise
        self.check = check
        self.schedule = schedule
        self.on_change = on_change  # called as on_change(server name, healthy, time)
        self.health: dict[str, ServerHealth] = {}
        self.events: list[tuple[float, str, bool]] = []  # (time, server, now healthy?)
        self._offsets = stream(sim.config.seed, "health-check")
        self._first_probes = dict(first_probes or {})
        for server in list(sim.servers):
            self.watch(server.name)

    @property
    def read_timeout(self) -> float:
        """How long a probe waits for an answer: the check timeout, or the interval if none is set."""
        return self.interval if self.timeout is None else self.timeout

    @property
    def hung_wait(self) -> float:
        """How long a probe of a server that accepts and never answers takes to fail."""
        return hung_probe_wait(self.interval, self.timeout, self.connect_timeout)

    @property
    def unanswered_wait(self) -> float:
        """How long a probe of a host that is gone (no answer to the connect) takes to fail."""
        if self.connect_timeout is None or self.timeout is None:
            return self.read_timeout
        return min(self.interval, self.connect_timeout)

    def watch(self, name: str) -> None:
        """Start probing a server (every server of the simulation is watched from the start)."""
        if name in self.health:
            return
        self.health[name] = ServerHealth(name)
        first_probe = self._offsets.random() * self.interval
        if name in self._first_probes:
            first_probe = max(0.0, self._first_probes[name] - self.env.now)
        self.env.process(self._probe_loop(name, first_probe))

    def _probe_loop(self, name: str, first_probe: float):
        yield self.env.timeout(first_probe)
        while True:
            server = self._find(name)
            if server is None:
                return  # the server left the pool for good
            sent = self.env.now
            passed, waited = self.probe(server)
            if waited:
                yield self.env.timeout(waited)  # no answer: the probe waits out its timeout
            self._record(name, passed)
            if self.schedule == AFTER_COMPLETION:
                yield self.env.timeout(self.interval)
            else:  # max(): with timeout == interval the subtraction can come out at -1e-15
                yield self.env.timeout(max(0.0, self.interval - (self.env.now - sent)))

    def probe(self, server: Server) -> tuple[bool, float]:
        """One probe of a server as it is now: (passed?, seconds it takes to know)."""
        if server.state == DOWN:
            return False, self.unanswered_wait  # the host is gone: nothing answers
        if server.fault == REFUSE:
            return False, 0.0  # connection refused at once
        if self.check == "tcp":
            return True, 0.0  # the port accepted the connection; that is all a tcp probe asks
        if server.fault == HANG:
            return False, self.hung_wait
        return server.fault != APP_ERROR, 0.0

    def probe_wait(self, failure: str) -> float:
        """Seconds a failing probe takes for a failure mode; inf if this check never fails on it."""
        if failure == CRASH:
            return self.unanswered_wait
        if failure == HANG and self.check == "http":
            return self.hung_wait
        if failure == REFUSE or (failure == APP_ERROR and self.check == "http"):
            return 0.0
        return math.inf  # a tcp probe passes a hung or erroring process

    def detection_bound(self, failure: str) -> float:
        """The longest a failure can go unnoticed: the break lands just after a probe passed;
        `fall` failing probes follow, each taking `probe_wait`. After completion the spacing is
        interval + wait, so fall x (interval + wait); at a fixed rate fall x interval + wait.
        inf when this check cannot see the failure."""
        wait = self.probe_wait(failure)
        if self.schedule == AFTER_COMPLETION:
            return self.fall * (self.interval + wait)
        return self.fall * self.interval + wait

    def _record(self, name: str, passed: bool) -> None:
        h = self.health[name]
        h.probes += 1
        now = self.env.now
        if passed:
            h.passes += 1
            h.failures = 0
            if not h.healthy and h.passes >= self.rise:
                h.healthy = True
                h.readmitted_at.append(now)
                self._changed(name, True, now)
        else:
            h.failures += 1
            h.passes = 0
            if h.healthy and h.failures >= self.fall:
                h.healthy = False
                h.detected_at.append(now)
                self._changed(name, False, now)

    def _changed(self, name: str, healthy: bool, now: float) -> None:
        self.sim.set_in_rotation(name, healthy)
        self.events.append((now, name, healthy))
        if self.on_change:
            self.on_change(name, healthy, now)

    def _find(self, name: str) -> Server | None:
        for s in self.sim.servers:
            if s.name == name:
                return s
        return None

    def describe(self) -> str:
        timeout = "no check timeout" if self.timeout is None else f"timeout {self.timeout:g} s"
        if self.connect_timeout is not None and self.timeout is not None:
            connect = "not set" if math.isinf(self.connect_timeout) else f"{self.connect_timeout:g} s"
            timeout += f" (timeout connect {connect}: a hung probe fails after {self.hung_wait:g} s)"
        spacing = "after each probe" if self.schedule == AFTER_COMPLETION else "at a fixed rate"
        return (f"{self.check} check every {self.interval:g} s {spacing}, {timeout}, "
                f"fall {self.fall}, rise {self.rise}")


def hung_probe_wait(interval: float, timeout: float | None, connect_timeout: float | None) -> float:
    """Seconds a probe of a server that accepts and never answers takes to fail (module notes):
    the interval without a check timeout; the check timeout when connect_timeout is None (not
    modelled); HAProxy 2.6's max(timeout, min(interval, connect_timeout)) otherwise."""
    if timeout is None:
        return interval
    if connect_timeout is None:
        return timeout
    return max(timeout, min(interval, connect_timeout))


def _check_connect_timeout(connect_timeout: float | None, schedule: str) -> None:
    if connect_timeout is None:
        return
    if schedule != AFTER_COMPLETION:
        raise ConfigError("connect_timeout models HAProxy's timeout connect, so it needs the "
                          f"{AFTER_COMPLETION} schedule (got {schedule!r})")
    if not connect_timeout > 0:  # NaN fails too
        raise ConfigError(f"connect_timeout must be a positive number of seconds or inf (got {connect_timeout!r})")


def _check_settings(
    interval: float, timeout: float | None, fall: int, rise: int, check: str, schedule: str
) -> None:
    if check not in CHECK_TYPES:
        raise ConfigError(f"check must be one of {', '.join(CHECK_TYPES)} (got {check!r})")
    if schedule not in SCHEDULES:
        raise ConfigError(f"schedule must be one of {', '.join(SCHEDULES)} (got {schedule!r})")
    if not interval > 0:
        raise ConfigError(f"interval must be a positive number of seconds (got {interval!r})")
    if timeout is not None and not timeout > 0:
        raise ConfigError(f"timeout must be a positive number of seconds, or None (got {timeout!r})")
    if schedule == FIXED_RATE and timeout is not None and timeout > interval:
        raise ConfigError(
            f"timeout must be at most the interval ({interval:g} s) when probes start at a fixed "
            f"rate, or they would overlap (got {timeout!r})"
        )
    for label, value in (("fall", fall), ("rise", rise)):
        if not isinstance(value, int) or value < 1:
            raise ConfigError(f"{label} must be a whole number of probes, at least 1 (got {value!r})")
