"""Health checks: a balancer probing each server on an interval and ejecting the ones that fail.

The checker is a simpy process per server in the simulation's own clock, so it only learns what
its probes tell it, when they tell it:

  * a probe of a server whose process is down gets no answer and fails once `timeout` has passed;
  * a "tcp" probe passes whenever the process is up (the port accepts the connection), even if the
    application behind it answers every request with an error;
  * an "http" probe asks the application, so a broken application fails it at once (a 500).

`fall` failures in a row take a server out of rotation; `rise` passes in a row put it back.
Probes of different servers are staggered by a seeded offset, as real balancers spread them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lbtutor.sim.config import ConfigError
from lbtutor.sim.server import DOWN, Server
from lbtutor.sim.traffic import stream

CHECK_TYPES = ("tcp", "http")


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
    """Probes every server of `sim` every `interval` seconds and keeps the pool to those that pass."""

    def __init__(
        self,
        sim,
        *,
        interval: float,
        timeout: float,
        fall: int,
        rise: int,
        check: str = "tcp",
        on_change: Callable[[str, bool, float], None] | None = None,
    ) -> None:
        _check_settings(interval, timeout, fall, rise, check)
        self.sim = sim
        self.env = sim.env
        self.interval = interval
        self.timeout = timeout
        self.fall = fall
        self.rise = rise
        self.check = check
        self.on_change = on_change  # called as on_change(server name, healthy, time)
        self.health: dict[str, ServerHealth] = {}
        self.events: list[tuple[float, str, bool]] = []  # (time, server, now healthy?)
        self._offsets = stream(sim.config.seed, "health-check")
        for server in list(sim.servers):
            self.watch(server.name)

    def watch(self, name: str) -> None:
        """Start probing a server (every server of the simulation is watched from the start)."""
        if name in self.health:
            return
        self.health[name] = ServerHealth(name)
        first_probe = self._offsets.random() * self.interval
        self.env.process(self._probe_loop(name, first_probe))

    def _probe_loop(self, name: str, first_probe: float):
        yield self.env.timeout(first_probe)
        while True:
            server = self._find(name)
            if server is None:
                return  # the server left the pool for good
            sent = self.env.now
            answered = server.state != DOWN
            if not answered:
                yield self.env.timeout(self.timeout)  # no answer: wait for the timeout to expire
            self._record(name, answered and self.passes(server))
            # max(): with timeout == interval the subtraction can come out at -1e-15
            yield self.env.timeout(max(0.0, self.interval - (self.env.now - sent)))

    def passes(self, server: Server) -> bool:
        """The verdict of one probe of a server whose process answers."""
        if self.check == "http":
            return not server.app_broken
        return True  # tcp: the port accepted the connection; that is all it asks

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

    def worst_detection_delay(self) -> float:
        """The longest a failure can go unnoticed: fall probes, the last one waiting out its timeout."""
        return self.interval * self.fall + self.timeout

    def describe(self) -> str:
        return f"{self.check} check every {self.interval:g} s, timeout {self.timeout:g} s, fall {self.fall}, rise {self.rise}"


def _check_settings(interval: float, timeout: float, fall: int, rise: int, check: str) -> None:
    if check not in CHECK_TYPES:
        raise ConfigError(f"check must be one of {', '.join(CHECK_TYPES)} (got {check!r})")
    if not interval > 0:
        raise ConfigError(f"interval must be a positive number of seconds (got {interval!r})")
    if not 0 < timeout <= interval:
        raise ConfigError(
            f"timeout must be positive and at most the interval ({interval:g} s) (got {timeout!r})"
        )
    for label, value in (("fall", fall), ("rise", rise)):
        if not isinstance(value, int) or value < 1:
            raise ConfigError(f"{label} must be a whole number of probes, at least 1 (got {value!r})")
