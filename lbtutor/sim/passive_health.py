"""Passive health checks, as open-source nginx does them: no probes, only the requests themselves.

nginx's rules (ngx_http_upstream_round_robin.c, 1.22), followed here step by step:

  * an attempt that fails with a connection error or a timeout counts against its server
    (`fails += 1`) and the request is retried on the next server not yet tried
    (`proxy_next_upstream error timeout`, the default); when every server has been tried the
    client gets the error. A 500 is passed to the client and counts as a success (unless
    `proxy_next_upstream` lists http_500, which the default does not);
  * a server with `fails >= max_fails` is skipped while `now - checked <= fail_timeout`, where
    `now` and `checked` are whole seconds (nginx's cached clock) and `checked` is the second of
    the last failure;
  * after that it is eligible again; the first request it gets is its trial (picking it sets
    `checked = now`, so it is skipped again until the trial ends); a trial that succeeds resets
    `fails` (a success resets it only if the server was picked after a quiet fail_timeout), one
    that fails keeps it out for another fail_timeout.

So nginx notices a refused server at its first refused request (max_fails=1) and its clients
never see the error (the request is retried), notices a hung one only when a request to it times
out, and never notices an application that answers 500s.

One difference remains: the requests a server is serving at the moment it starts refusing are
lost here (the engine fails them without handing them back), where nginx would retry them.
nginx also lowers a failed server's weight for smooth round robin (`effective_weight`) and lets
it climb back one step per pick; this model leaves the weight alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from lbtutor.sim.config import ConfigError
from lbtutor.sim.server import APP_ERROR, Request, Server


@dataclass
class Peer:
    """nginx's bookkeeping for one server, in whole seconds as nginx keeps it."""

    name: str
    fails: int = 0
    accessed: int = -1  # the second of the last failure
    checked: int = -1  # the second of the last failure, or of the pick that began a trial
    out: bool = False  # skipped by the balancer (fails >= max_fails within fail_timeout)
    generation: int = 0  # bumped whenever a scheduled return is superseded
    detected_at: list[float] = field(default_factory=list)
    readmitted_at: list[float] = field(default_factory=list)


class _Gate:
    """Stands in front of the balancer: a server on trial leaves rotation the moment it is picked."""

    def __init__(self, inner, passive: PassiveHealth) -> None:
        self.inner = inner
        self.passive = passive

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def pool_changed(self, pool) -> None:
        self.inner.pool_changed(pool)

    def observe(self, server, latency, now) -> None:
        self.inner.observe(server, latency, now)

    def pick(self, req: Request, pool) -> Server | None:
        server = self.inner.pick(req, pool)
        if server is not None:
            self.passive.picked(server)
        return server


class PassiveHealth:
    """nginx's max_fails / fail_timeout over a simulation, with retries on the next server."""

    def __init__(
        self,
        sim,
        *,
        max_fails: int = 1,
        fail_timeout: int = 10,
        clock_phase: float = 0.0,
        on_change: Callable[[str, bool, float], None] | None = None,
    ) -> None:
        if not (isinstance(max_fails, int) and max_fails >= 1):
            raise ConfigError(f"max_fails must be a whole number, at least 1 (got {max_fails!r})")
        if not (float(fail_timeout).is_integer() and fail_timeout >= 1):
            raise ConfigError(f"fail_timeout must be a whole number of seconds, at least 1 (got {fail_timeout!r})")
        self.sim = sim
        self.max_fails = max_fails
        self.fail_timeout = int(fail_timeout)
        self.clock_phase = clock_phase  # nginx's second ticks at t = k - clock_phase
        self.on_change = on_change
        self.peers = {s.name: Peer(s.name) for s in sim.servers}
        self.retried = 0  # attempts that failed and were retried on another server
        self.events: list[tuple[float, str, bool]] = []
        self._tried: dict[int, set[str]] = {}
        self._previous_fail = sim.on_fail
        self._previous_complete = sim.on_complete
        sim.on_fail = self._failed
        sim.on_complete = self._completed
        self.attach()

    def attach(self) -> None:
        """Put the trial gate in front of the simulation's balancer (again after set_algorithm)."""
        if not isinstance(self.sim.balancer, _Gate):
            self.sim.balancer = _Gate(self.sim.balancer, self)

    def second(self, t: float) -> int:
        return math.floor(t + self.clock_phase)

    # ---------------------------------------------------------------- the balancer's side
    def picked(self, server: Server) -> None:
        peer = self.peers.get(server.name)
        if peer is None:
            return
        now_s = self.second(self.sim.now)
        if now_s - peer.checked > self.fail_timeout:
            peer.checked = now_s
            if peer.fails >= self.max_fails:  # this request is its trial: skip it until it ends
                self._take_out(peer, report=False)

    # ---------------------------------------------------------------- outcomes
    def _completed(self, sim, req: Request, server: Server) -> None:
        self._tried.pop(req.id, None)
        self._success(server.name)
        if self._previous_complete:
            self._previous_complete(sim, req, server)

    def _failed(self, sim, req: Request, server: Server) -> None:
        if server.fault == APP_ERROR:  # a 500 reaches the client; for nginx the attempt succeeded
            self._tried.pop(req.id, None)
            self._success(server.name)
        else:
            self._failure(server.name)
            tried = self._tried.setdefault(req.id, set())
            tried.add(server.name)
            others = [s for s in sim.pool if s.name not in tried]
            if others:
                sim.failed -= 1  # not yet: nginx tries the next server
                self.retried += 1
                nxt = sim.balancer.pick(req, others)
                sim.admit(nxt, req)
                return
            self._tried.pop(req.id, None)
        if self._previous_fail:
            self._previous_fail(sim, req, server)

    def _success(self, name: str) -> None:
        peer = self.peers.get(name)
        if peer is None:
            return
        if peer.accessed < peer.checked:
            peer.fails = 0
            if peer.out:
                self._put_back(peer)

    def _failure(self, name: str) -> None:
        peer = self.peers.get(name)
        if peer is None:
            return
        now_s = self.second(self.sim.now)
        peer.fails += 1
        peer.accessed = peer.checked = now_s
        if peer.fails >= self.max_fails:
            self._take_out(peer, report=True)

    # ---------------------------------------------------------------- rotation
    def _take_out(self, peer: Peer, *, report: bool) -> None:
        now = self.sim.now
        if report and not _is_down(peer):
            peer.detected_at.append(now)
            self.events.append((now, peer.name, False))
            if self.on_change:
                self.on_change(peer.name, False, now)
        peer.out = True
        peer.generation += 1
        self.sim.set_in_rotation(peer.name, False)
        # eligible again once the whole-second clock is past checked + fail_timeout
        back = (peer.checked + self.fail_timeout + 1) - self.clock_phase
        self.sim.env.process(self._return(peer, peer.generation, max(0.0, back - now)))

    def _return(self, peer: Peer, generation: int, delay: float):
        yield self.sim.env.timeout(delay)
        if peer.generation == generation and peer.out:
            peer.out = False  # eligible for a trial; still counted down until a success
            self.sim.set_in_rotation(peer.name, True)

    def _put_back(self, peer: Peer) -> None:
        now = self.sim.now
        peer.out = False
        peer.generation += 1
        self.sim.set_in_rotation(peer.name, True)
        self._readmitted(peer, now)

    def _readmitted(self, peer: Peer, now: float) -> None:
        if _is_down(peer):
            peer.readmitted_at.append(now)
            self.events.append((now, peer.name, True))
            if self.on_change:
                self.on_change(peer.name, True, now)


def _is_down(peer: Peer) -> bool:
    """Taken out for failures and not back yet (a trial's own pick does not count)."""
    return bool(peer.detected_at) and (
        not peer.readmitted_at or peer.readmitted_at[-1] < peer.detected_at[-1])
