"""long-lived: short requests mixed with long-lived connections, round robin against least connections.

Both simulations get the same seed and so the very same connections: the same arrival times, the
same lengths, the same ones long. Round robin hands every server its turn however many long
connections it still holds, so those pile up unevenly and short requests queue behind them; least
connections sends each new one to the emptiest server and the counts stay level.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import replace

from lbtutor.sim.config import SimConfig
from lbtutor.sim.engine import RECENT_LATENCIES
from lbtutor.sim.metrics import summarize
from lbtutor.sim.scenarios.base import ChartSeries, Metric, Pane, Param, Scenario, ScenarioRun
from lbtutor.sim.scenarios.toolkit import (
    LIVE_WINDOW,
    ImbalanceProbe,
    lab_simulation,
    on_complete,
    p99,
    peak_connections,
    record_latencies,
)
from lbtutor.sim.traffic import Traffic

SHORT_PATH = "/api"
LONG_PATH = "/ws"
ALGORITHMS = {"round robin": "round-robin", "least connections": "least-connections"}


class LongLivedTraffic(Traffic):
    """Poisson arrivals; each is a short request (exponential, mean `short_time`) or, with
    probability `long_fraction`, a long-lived connection lasting `long_ratio` times as long on
    average. Like traffic.py's bimodal mix, but with its knobs exposed and each request labelled
    by path so short and long latencies can be told apart."""

    def __init__(self, rate, short_time, long_fraction, long_ratio, seed):
        super().__init__(rate, "exp", short_time, seed=seed)
        self.long_fraction = long_fraction
        self.long_rate = 1.0 / (short_time * long_ratio)
        # The true mean, so the engine's windows and offered load are right; the label keeps the
        # engine's theory (which assumes exponential service) from claiming a model that is wrong.
        self.service_mean = short_time * (1 - long_fraction + long_fraction * long_ratio)
        self.service_dist = "bimodal"
        self._fingerprint = hashlib.blake2b(digest_size=16)

    def decorate(self, req, rng):
        # The choice and the long length come from the mix stream, the short length from the
        # demands stream: both seeded, so every simulation with this seed sees the same mix.
        if rng.random() < self.long_fraction:
            req.path = LONG_PATH
            req.demand = rng.expovariate(self.long_rate)
        else:
            req.path = SHORT_PATH
        self._fingerprint.update(f"{req.arrival!r} {req.demand!r} {req.path};".encode())

    def fingerprint(self) -> str:
        """A digest of every request issued so far: equal digests mean identical traffic."""
        return self._fingerprint.hexdigest()


class LongLivedRun(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        p = params
        self.sims = {}
        self.short_latencies: dict[str, list[float]] = {}
        self.short_waits: dict[str, list[float]] = {}  # latencies of short requests that queued
        self.recent_shorts: dict[str, deque] = {}  # (time, latency) of the latest short requests
        self.probes = {}
        # Count imbalance only once the long connections have had one lifetime to build up.
        warmed_up = min(p["short_time"] * p["long_ratio"], duration / 2)
        for label, algorithm in ALGORITHMS.items():
            traffic = LongLivedTraffic(p["arrival_rate"], p["short_time"], p["long_fraction"], p["long_ratio"], seed)
            config = SimConfig(
                algorithm=algorithm, servers=p["servers"], workers=p["slots"],
                arrival_rate=p["arrival_rate"], service_rate=1.0 / traffic.service_mean, seed=seed,
            )
            sim = lab_simulation(config, traffic=traffic)
            self.sims[label] = sim
            # A long connection's latency is its lifetime; the short ones show the queueing.
            self.short_latencies[label] = record_latencies(sim, lambda req, server: req.path == SHORT_PATH)
            self.short_waits[label] = record_latencies(sim, _short_and_waited)
            self.recent_shorts[label] = recent = deque(maxlen=RECENT_LATENCIES)
            on_complete(sim, _recent_recorder(recent))
            self.probes[label] = ImbalanceProbe(sim, start=warmed_up)

    def _advance(self, t: float) -> None:
        for sim in self.sims.values():
            sim.advance_to(t)

    def metrics(self) -> dict:
        out = {}
        for label, key in (("round robin", "rr"), ("least connections", "lc")):
            sim = self.sims[label]
            out[f"p99_short_{key}"] = p99(self.short_latencies[label])
            shorts = len(self.short_latencies[label])
            out[f"waited_short_{key}"] = len(self.short_waits[label]) / shorts if shorts else None
            out[f"peak_connections_{key}"] = peak_connections(sim)
            out[f"imbalance_{key}"] = self.probes[label].average
        return {m.name: out[m.name] for m in self.scenario.metrics}  # in the documented order

    def sample(self) -> dict:
        point = {}
        for label, key in (("round robin", "rr"), ("least connections", "lc")):
            sim = self.sims[label]
            point[f"most_connections_{key}"] = max(s.active for s in sim.servers)
            point[f"p99_short_{key}"] = p99(self.short_latencies[label][-500:])
        return point

    def panes(self) -> list[Pane]:
        panes = []
        for label, sim in self.sims.items():
            # A long connection's "latency" is its lifetime and would swamp the live percentiles
            # in both panes alike; the short requests' latency is what shows the difference.
            horizon = sim.now - LIVE_WINDOW
            recent = summarize([lat for t, lat in self.recent_shorts[label] if t >= horizon])
            held = sum(1 for s in sim.servers for r in s.queue if r.path == SHORT_PATH)
            note = "latency: short requests only"
            if held:
                note += f"; {held} waiting for a free slot"
            panes.append(Pane(label, replace(sim.snapshot(), recent=recent), note))
        return panes


def _recent_recorder(recent: deque):
    def record(sim, req, server):
        if req.path == SHORT_PATH:
            recent.append((sim.env.now, sim.env.now - req.arrival))

    return record


def _short_and_waited(req, server) -> bool:
    """A short request that found every slot of its server taken and queued."""
    return req.path == SHORT_PATH and req.start > req.arrival


SCENARIO = Scenario(
    name="long-lived",
    section=2,
    title="Round robin meets long-lived connections",
    summary=(
        "Many short requests and a few long-lived connections (think WebSockets) on identical "
        "servers, each holding a limited number of connections at once. Round robin gives every "
        "server its turn however many long connections it still holds, so they pile up unevenly "
        "and short requests wait; least connections keeps the counts level."
    ),
    look_for=(
        "Watch open connections pile up on some servers under round robin while least "
        "connections keeps the counts level, and compare how long short requests take."
    ),
    params=(
        Param("arrival_rate", 80.0, "new requests and connections per second", min=0.1, max=1000.0,
              unit="req/s"),
        Param("servers", 8, "identical servers behind the balancer", min=2, max=16),
        Param("slots", 16, "connections one server serves at once; more wait in its queue", min=1, max=1000),
        Param("short_time", 0.2, "mean length of a short request", min=0.001, max=60.0, unit="s"),
        Param("long_fraction", 0.05, "share of arrivals that are long-lived connections", min=0.0, max=1.0),
        Param("long_ratio", 100.0, "how many times longer a long-lived connection lasts than a short request",
              min=1.0, max=10000.0, unit="x"),
        Param("duration", 120.0, "simulated length of the run", min=10.0, max=3600.0, unit="s"),
    ),
    metrics=(
        Metric("p99_short_rr", "s", "99th percentile latency of short requests under round robin", label="p99 of short requests, round robin"),
        Metric("p99_short_lc", "s", "99th percentile latency of short requests under least connections", label="p99 of short requests, least connections"),
        Metric("waited_short_rr", "fraction", "share of short requests that queued because every slot of their server was taken, round robin", label="short requests that waited, round robin"),
        Metric("waited_short_lc", "fraction", "share of short requests that queued because every slot of their server was taken, least connections", label="short requests that waited, least connections"),
        Metric("peak_connections_rr", "connections", "most connections one server held at once, round robin"),
        Metric("peak_connections_lc", "connections", "most connections one server held at once, least connections"),
        Metric("imbalance_rr", "x", "time-averaged busiest server's connections over the mean, round robin (1 = level)", label="busiest server's connections ÷ mean, round robin"),
        Metric("imbalance_lc", "x", "time-averaged busiest server's connections over the mean, least connections (1 = level)", label="busiest server's connections ÷ mean, least connections"),
    ),
    run_class=LongLivedRun,
    headline=("imbalance_rr", "imbalance_lc", "waited_short_rr", "waited_short_lc", "p99_short_rr", "p99_short_lc"),
    chart=(
        ChartSeries("most_connections_rr", "round robin"),
        ChartSeries("most_connections_lc", "least connections"),
    ),
    chart_title="busiest server's open connections",
    duration_param="duration",
    requests=lambda p: 2 * p["arrival_rate"] * p["duration"],  # one stream, two balancers
)
