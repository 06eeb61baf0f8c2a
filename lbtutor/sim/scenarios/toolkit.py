"""Building blocks for scenarios that run several simulations at once: side by side or in tiers.

Two simulations built from configs with the same seed draw arrivals, demands and clients from
the same named random streams, so they see identical traffic (common random numbers): any
difference between them is the algorithm's doing, not luck's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import simpy
from simpy.events import Timeout

from lbtutor.sim.engine import Simulation
from lbtutor.sim.metrics import summarize

LIVE_WINDOW = 10.0  # seconds the live bars and percentiles average over
CHECKPOINT_EVERY = 0.5  # seconds between the checkpoints that window is cut from


def lab_simulation(config, **kwargs) -> Simulation:
    """A simulation set up for a lab: bars and live percentiles over a short recent window.

    It does not use the engine's `keep_latencies` (that turns the live percentiles off); a
    scenario that needs every latency records them with `record_latencies`."""
    return Simulation(config, window=LIVE_WINDOW, sample_interval=CHECKPOINT_EVERY, **kwargs)


def on_complete(sim: Simulation, hook: Callable) -> None:
    """Add a completion hook, hook(sim, request, server), keeping any already there."""
    previous = sim.on_complete
    if previous is None:
        sim.on_complete = hook
        return

    def both(s, req, server):
        previous(s, req, server)
        hook(s, req, server)

    sim.on_complete = both


def record_latencies(sim: Simulation, keep: Callable | None = None) -> list[float]:
    """A list that fills with the latency of every request `sim` finishes (for which
    keep(request, server) is true, if given)."""
    latencies: list[float] = []
    append = latencies.append

    def record(s, req, server):
        if keep is None or keep(req, server):
            append(s.env.now - req.arrival)

    on_complete(sim, record)
    return latencies


def at(env: simpy.Environment, t: float, action: Callable[[], None]) -> None:
    """Run `action()` at simulated time `t` exactly, however the caller steps the clock."""
    ev = Timeout(env, max(0.0, t - env.now))
    ev.callbacks.append(lambda _ev: action())


def p99(values: Iterable[float]) -> float | None:
    return summarize(list(values)).p99


def mean(values: list[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def sent_to(server) -> int:
    """Requests a server has been handed and not lost: finished plus still held."""
    return server.total_served + server.active


def peak_connections(sim: Simulation) -> int:
    """The most connections any one server held at once during the run."""
    return max((s.peak_active for s in sim.servers), default=0)


def utilization_since_start(sim: Simulation) -> float:
    """Busy worker-seconds over worker-seconds available, for all servers, over the whole run."""
    now = sim.env.now
    available = math.fsum(s.workers * (now - s.created_at) for s in sim.servers)
    busy = math.fsum(s.area_at(now) for s in sim.servers)
    return busy / available if available > 0 else 0.0


class ImbalanceProbe:
    """Every `every` seconds from `start`, reads (most connections on one server) / (mean
    connections per server) across the servers in rotation; `average` is its time-average.

    It runs on the simulation's own clock, so the figure does not depend on how the UI steps it.
    """

    def __init__(self, sim: Simulation, start: float, every: float = 0.25) -> None:
        self.sim = sim
        self.every = every
        self.total = 0.0
        self.samples = 0
        at(sim.env, start, self._read)

    def _read(self) -> None:
        counts = [s.active for s in self.sim.pool]
        total = sum(counts)
        if total:
            self.total += max(counts) * len(counts) / total
            self.samples += 1
        at(self.sim.env, self.sim.env.now + self.every, self._read)

    @property
    def average(self) -> float | None:
        return self.total / self.samples if self.samples else None
