"""The simulator beside the real run: the same setup, the same requests, the same breaks.

Same seed, same `Traffic`: the engine's arrivals, request sizes and clients are exactly the ones
the load generator sent. The balancer's health model follows the real one:

  * HAProxy: `HealthChecker` on HAProxy's schedule (the next probe `inter` after the previous
    one completes, a probe reading for `timeout check` or else `inter`), with each server's
    first probe lined up with the one the real backend received; `slowstart` ramps a server's
    weight when it comes back, in HAProxy's own steps (`haproxy_slowstart_steps`);
  * nginx: `PassiveHealth`, nginx's max_fails / fail_timeout with retries on the next server.

HAProxy's roundrobin and leastconn, and nginx's default and least_conn, all honour weights (and
HAProxy's slow start ramps the weight), so the simulator runs its weighted variants of
round-robin and least-connections: with equal weights they pick exactly as the plain ones.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from lbtutor.real import report
from lbtutor.real.haproxy import SERVER_CONNECT
from lbtutor.real.setup import RealSetup
from lbtutor.sim.health import AFTER_COMPLETION, HealthChecker
from lbtutor.sim.passive_health import PassiveHealth
from lbtutor.sim.scenarios.toolkit import lab_simulation
from lbtutor.sim.traffic import Traffic

SIM_ALGORITHM = {"round-robin": "weighted-round-robin", "least-connections": "weighted-least-connections"}


def arrivals_before(setup: RealSetup, duration: float) -> int:
    """How many requests the generator plans before `duration` (the engine's own arrival stream)."""
    traffic = Traffic(rate=setup.rate, service_dist=setup.service_dist,
                      service_mean=1.0 / setup.service_rate, clients=setup.clients, seed=setup.seed)
    t, n = 0.0, 0
    while True:
        t += traffic.next_gap(t)
        if t >= duration:
            return n
        n += 1


class BesideRun:
    """The engine running `setup`, with actions applied at the times they happened for real."""

    def __init__(self, setup: RealSetup, *, requests: int | None = None,
                 first_probes: dict[str, float] | None = None, clock_phase: float = 0.0,
                 record: bool = True) -> None:
        """`record`: keep every request's figures (a headless run); a live run draws the
        engine's own snapshot instead and keeps nothing that grows."""
        self.setup = setup
        self.record = record
        algorithm = SIM_ALGORITHM.get(setup.algorithm, setup.algorithm)
        config = replace(setup.sim_config(), algorithm=algorithm)
        self.sim = lab_simulation(config, max_requests=requests, warmup=0)
        self.sim.request_timeout = setup.request_timeout
        self.served: dict[str, list[float]] = defaultdict(list)
        self.failed: dict[str, int] = defaultdict(int)
        self.latencies: list[float] = []
        self.completions: list[tuple[float, str, int]] = []  # (arrival, server, client) of each success
        self.failed_total = 0
        self.changes: dict[str, list[tuple[float, str]]] = defaultdict(list)
        self.transitions: dict[str, list[tuple[float, bool]]] = defaultdict(list)
        self.actions: list[tuple[str, str, float]] = []
        self.cutoff = float("inf")  # requests arriving from here on are not counted
        self.sim.on_complete = self._completed
        self.sim.on_fail = self._failed
        self.start_states()
        if setup.balancer == "nginx":
            self.health = PassiveHealth(self.sim, max_fails=setup.max_fails,
                                        fail_timeout=int(setup.fail_timeout),
                                        clock_phase=clock_phase, on_change=self._changed)
        else:
            # HAProxy's timeout connect decides how long a hung server's probe really waits
            self.health = HealthChecker(
                self.sim, interval=setup.check_interval, timeout=setup.check_timeout,
                connect_timeout=SERVER_CONNECT,
                fall=setup.fall, rise=setup.rise, check=setup.check, schedule=AFTER_COMPLETION,
                first_probes=first_probes, on_change=self._changed)

    @property
    def algorithm(self) -> str:
        return self.sim.algorithm

    def set_algorithm(self, slug: str) -> None:
        self.sim.set_algorithm(SIM_ALGORITHM.get(slug, slug))
        if isinstance(self.health, PassiveHealth):
            self.health.attach()  # the trial gate stands in front of the new balancer too

    # ---------------------------------------------------------------- hooks
    def _completed(self, sim, req, server) -> None:
        if self.record and req.arrival < self.cutoff:
            latency = sim.now - req.arrival
            self.latencies.append(latency)
            self.served[server.name].append(latency)
            self.completions.append((req.arrival, server.name, req.client))

    def _failed(self, sim, req, server) -> None:
        if self.record and req.arrival < self.cutoff:
            self.failed_total += 1
            self.failed[server.name] += 1

    def start_states(self) -> None:
        for name in self.setup.names:
            self.changes[name].append((0.0, "UP"))

    def _changed(self, name: str, healthy: bool, now: float) -> None:
        self.transitions[name].append((now, healthy))
        self.changes[name].append((now, "UP" if healthy else "DOWN"))
        if healthy and self.setup.slowstart and self.setup.balancer == "haproxy":
            self.sim.start_slowly(name, self.setup.slowstart)

    # ---------------------------------------------------------------- actions
    def act(self, server: str, action: str, factor: float = 1.0) -> None:
        """A break or heal, now (the engine's clock)."""
        sim = self.sim
        if action == "heal":
            sim.set_fault(server, None)
            sim.set_speed(server, 1.0)
        elif action == "slow":
            sim.set_speed(server, 1.0 / factor)
        else:
            if action == "refuse":
                # the engine fails the requests in service without calling on_fail (it calls it
                # for the queued ones): count them here
                lost = sim.server(server).busy
                self.failed_total += lost
                self.failed[server] += lost
            sim.set_fault(server, action)
        self.actions.append((server, action, sim.now))

    def run_with(self, actions: list[tuple[str, str, float, float]], until: float) -> None:
        """Apply `actions` (server, action, at, factor) at their times and run to `until`."""
        for server, action, at, factor in sorted(actions, key=lambda a: a[2]):
            self.sim.advance_to(at)
            self.act(server, action, factor)
        self.sim.advance_to(until)

    # ---------------------------------------------------------------- figures
    def result(self, duration: float) -> dict:
        s = self.setup
        out = report.side(
            algorithm=self.algorithm, names=s.names, weights=s.weight_list, served=self.served,
            failed=self.failed, changes=self.changes, latencies=self.latencies,
            failed_total=self.failed_total, sent=self.sim.arrived, unfinished=self.sim.in_system,
            duration=duration, events_=report.events(self.actions, self.transitions),
        )
        out["health"] = (f"passive: max_fails {s.max_fails}, fail_timeout {s.fail_timeout:g} s, "
                         "retries on the next server") if s.balancer == "nginx" else self.health.describe()
        return out


def beside_run(setup: RealSetup, *, actions: list[tuple[str, str, float, float]], duration: float,
               drain: float, requests: int | None = None, first_probes: dict[str, float] | None = None,
               clock_phase: float = 0.0) -> BesideRun:
    """The simulated run of `duration` seconds of arrivals plus `drain` to finish, done."""
    if requests is None:
        requests = arrivals_before(setup, duration)
    beside = BesideRun(setup, requests=max(1, requests), first_probes=first_probes, clock_phase=clock_phase)
    beside.cutoff = duration
    beside.run_with(actions, duration + drain)
    return beside


def simulate(setup: RealSetup, *, duration: float, **kwargs) -> dict:
    """The simulated side of a run, in the report's shape."""
    return beside_run(setup, duration=duration, **kwargs).result(duration)


def sim_pick_order(algorithm: str, weights: list[int], n: int, seed: int = 1) -> list[str]:
    """The servers the simulator's balancer picks for `n` requests in a row with nothing in
    flight (the pick order a real balancer shows to requests sent one at a time)."""
    import random

    from lbtutor.sim.balancers import make_balancer
    from lbtutor.sim.config import ServerSpec, server_name
    from lbtutor.sim.server import Request, Server

    servers = [Server(ServerSpec(server_name(i), weight=float(w)), i) for i, w in enumerate(weights)]
    balancer = make_balancer(SIM_ALGORITHM.get(algorithm, algorithm), random.Random(seed))
    balancer.pool_changed(servers)
    return [balancer.pick(Request(i, 0.0, 0.0, 0, i), servers).name for i in range(n)]
