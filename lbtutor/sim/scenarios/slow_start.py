"""Scenario `slow-start` (section 2): a fresh server joins a busy pool under least connections.

Two pools see identical traffic of long-ish requests. At `join_at` a new server joins each. It
starts cold (empty caches, unwarmed runtime), so for its first `warmup` seconds it works at
`cold_speed`. Least connections sees its zero connections and sends it every new request until it
has as many as the others: a burst of requests lands on the coldest machine. With slow start its
weight ramps up over `slow_start` seconds, and weighted least connections (which divides
connections by weight) feeds it a trickle while it warms.
"""

from __future__ import annotations

import simpy

from lbtutor.sim.config import SimConfig
from lbtutor.sim.engine import Simulation
from lbtutor.sim.scenarios.base import (
    ChartSeries,
    Metric,
    Pane,
    Param,
    Scenario,
    ScenarioError,
    ScenarioRun,
)
from lbtutor.sim.scenarios.toolkit import lab_simulation, p99, record_latencies, sent_to

WORKERS = 32  # concurrent requests a server serves at once
FIRST_SECONDS = 1.0  # the burst is measured on the requests of the first seconds after joining


class Newcomer:
    """Watches the server that joins a pool: what it got while cold and how its requests fared."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.name: str | None = None
        self.latencies = record_latencies(sim, keep=lambda req, server: server.name == self.name)
        self.cold_peak: int | None = None  # most connections it held while cold
        self.cold_requests: int | None = None  # requests it took on while cold
        self.first_share: float | None = None  # its share of the first second's arrivals

    @property
    def server(self):
        return None if self.name is None else self.sim.server(self.name)

    def taken(self) -> int:
        s = self.server
        return 0 if s is None else sent_to(s)

    @property
    def p99(self) -> float | None:
        return p99(self.latencies)


class SlowStartRun(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        p = params
        if p["join_at"] >= duration:
            raise ScenarioError(
                f"slow-start: join_at={p['join_at']:g} is not allowed; join_at must be before the "
                f"end of the run (duration {duration:g} s)"
            )
        self.env = simpy.Environment()

        def pool(algorithm: str) -> Simulation:
            config = SimConfig(
                algorithm=algorithm, servers=p["servers"], workers=WORKERS, arrival_rate=p["rate"],
                service_rate=1.0 / p["service_time"], seed=seed,
            )
            return lab_simulation(config, env=self.env)

        self.plain = pool("least-connections")
        self.ramped = pool("weighted-least-connections")
        self.plain_new = Newcomer(self.plain)
        self.ramped_new = Newcomer(self.ramped)
        self.env.process(self._join())

    def _join(self):
        p, env = self.params, self.env
        yield env.timeout(p["join_at"])
        self.plain_new.name = self.plain.add_server(speed=p["cold_speed"])
        self.ramped_new.name = self.ramped.add_server(speed=p["cold_speed"], slow_start=p["slow_start"])
        others = _mean_connections(self.plain, self.plain_new.name)
        self.note(f"{self.plain_new.name} joins both pools cold (speed {p['cold_speed']:g}); the "
                  f"others hold about {others:.0f} connections each", at=env.now)
        start = {n: n.sim.arrived for n in (self.plain_new, self.ramped_new)}
        yield env.timeout(min(FIRST_SECONDS, p["warmup"]))
        for n in (self.plain_new, self.ramped_new):
            arrivals = n.sim.arrived - start[n]
            n.first_share = n.taken() / arrivals if arrivals else None
        if self.plain_new.first_share is None:  # so little traffic that none arrived yet
            self.note(f"in its first {FIRST_SECONDS:g} s no new requests arrived", at=env.now)
        else:
            self.note(f"in its first {FIRST_SECONDS:g} s least connections gave it "
                      f"{self.plain_new.first_share:.0%} of new requests, slow start "
                      f"{self.ramped_new.first_share:.0%}", at=env.now)
        yield env.timeout(max(0.0, p["warmup"] - FIRST_SECONDS))
        for n in (self.plain_new, self.ramped_new):
            n.cold_peak = n.server.peak_active
            n.cold_requests = n.taken()
            n.sim.set_speed(n.name, 1.0)
        self.note(f"{self.plain_new.name} is warm: it took {self.plain_new.cold_requests} requests "
                  f"while cold without slow start, {self.ramped_new.cold_requests} with it", at=env.now)

    def _advance(self, t: float) -> None:
        if t > self.env.now:
            self.env.run(until=t)

    def metrics(self) -> dict:
        a, b = self.plain_new, self.ramped_new
        return {
            "cold_peak_connections": a.cold_peak,
            "cold_peak_connections_slow_start": b.cold_peak,
            "first_second_share": a.first_share,
            "first_second_share_slow_start": b.first_share,
            "cold_requests": a.cold_requests,
            "cold_requests_slow_start": b.cold_requests,
            "new_server_p99": a.p99,
            "new_server_p99_slow_start": b.p99,
        }

    def sample(self) -> dict:
        return {
            "new_connections": _connections(self.plain_new),
            "new_connections_slow_start": _connections(self.ramped_new),
            "others_mean_connections": _mean_connections(self.plain, self.plain_new.name),
        }

    def panes(self) -> list[Pane]:
        return [
            Pane("least connections, no slow start", self.plain.snapshot(), note=_pane_note(self.plain_new)),
            Pane(f"weighted least connections, slow start over {self.params['slow_start']:g} s",
                 self.ramped.snapshot(), note=_pane_note(self.ramped_new)),
        ]


def _connections(n: Newcomer) -> int | None:
    s = n.server
    return None if s is None else s.active


def _mean_connections(sim: Simulation, exclude: str | None) -> float:
    others = [s.active for s in sim.servers if s.name != exclude]
    return sum(others) / len(others) if others else 0.0


def _pane_note(n: Newcomer) -> str:
    s = n.server
    if s is None:
        return "the new server has not joined yet"
    temperature = "cold" if s.speed < 1.0 else "warm"
    return f"new server {s.name} ({temperature}) holds {s.active} connections, weight x{s.ramp:.2f}"


SCENARIO = Scenario(
    name="slow-start",
    section=2,
    title="A new server is flooded under least connections",
    summary=(
        "Four servers each serve up to 32 requests at once; 24 req/s of 4 s requests keep about "
        "24 connections open on each. Then a fifth server joins cold (join_at), working at "
        "a fraction of full speed (cold_speed) while it warms up. Left: least connections. Right: weighted least "
        "connections with the newcomer's weight ramping up over its slow-start time (slow_start)."
    ),
    look_for=(
        "Watch the new server's bar the moment it joins: under least connections it takes every "
        "new request until it holds as many as the others, all of them served slowly while it is "
        "cold; with slow start its connections climb gently while it warms."
    ),
    params=(
        Param("join_at", 30.0, "when the new server joins", min=0, max=600, unit="s"),
        Param("warmup", 20.0, "how long the new server stays cold", min=1, max=300, unit="s"),
        Param("cold_speed", 0.25, "its speed while cold, as a fraction of a warm server's", min=0.05, max=1),
        Param("slow_start", 60.0, "how long its weight takes to ramp from 1/20 to full", min=1, max=600, unit="s"),
        Param("servers", 4, "servers before the new one joins", min=1, max=10),
        Param("rate", 24.0, "requests per second", min=0.5, max=100, unit="req/s"),
        Param("service_time", 4.0, "mean work per request on a warm server", min=0.1, max=60, unit="s"),
        Param("duration", 120.0, "length of the run", min=20, max=900, unit="s"),
    ),
    metrics=(
        Metric("cold_peak_connections", "connections", "most connections the new server held while cold, no slow start", label="connection at most on the cold server, no slow start|connections at most on the cold server, no slow start"),
        Metric("cold_peak_connections_slow_start", "connections", "the same with slow start", label="connection at most on the cold server, slow start|connections at most on the cold server, slow start"),
        Metric("first_second_share", "share", "share of the requests of its first second that went to the new server, no slow start"),
        Metric("first_second_share_slow_start", "share", "the same with slow start"),
        Metric("cold_requests", "requests", "requests the new server took on while cold, no slow start"),
        Metric("cold_requests_slow_start", "requests", "the same with slow start"),
        Metric("new_server_p99", "s", "99th percentile latency of the new server's requests, no slow start", label="p99 on the new server, no slow start"),
        Metric("new_server_p99_slow_start", "s", "the same with slow start", label="p99 on the new server, slow start"),
    ),
    run_class=SlowStartRun,
    headline=("cold_peak_connections", "cold_peak_connections_slow_start", "new_server_p99", "new_server_p99_slow_start"),
    chart=(
        ChartSeries("new_connections", "new server"),
        ChartSeries("new_connections_slow_start", "new server, slow start"),
        ChartSeries("others_mean_connections", "the others' mean"),
    ),
    chart_title="connections held",
    duration_param="duration",
    requests=lambda p: 2 * p["rate"] * p["duration"],  # one stream, with and without a ramp
)
