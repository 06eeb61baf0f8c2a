"""The lab's model: a setup, the simulations it runs, and every control the lab screen offers.

Plain Python (no Textual), so tests drive the lab without a screen and the screen only draws
what this hands it. A sandbox session runs one simulation per algorithm on identical traffic
(same seed); a scenario session runs a named scenario. Controls that a person can get wrong
raise `ConfigError` with a sentence the screen shows as it is.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace

from lbtutor.sim.balancers import ALGORITHMS
from lbtutor.sim.config import SERVICE_DISTS, ConfigError
from lbtutor.sim.live import LiveRun
from lbtutor.sim.presets import (
    LAB_QUEUE_CAP,
    MAX_SERVERS,
    MAX_SIDES,
    PRESET_NAMES,
    LabSetup,
    ServerSetup,
    check_rate,
    check_speed,
    check_weight,
    preset,
)
from lbtutor.sim.scenario_code import ScenarioSpec, decode, encode
from lbtutor.sim.snapshot import Snapshot
from lbtutor.units import seconds as seconds_text

CHART_DT = 0.5  # simulated seconds between chart points at the start of a run
CHART_POINTS = 512  # points kept per pane: when full, every other one goes and the step doubles
RATE_STEP = 1.25  # one press of "more traffic" multiplies the arrival rate by this
LADDER = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0)
# Compare mode's verdict (see `verdict`): a winner on p99 needs this many completions on every
# side, this many batches, and batch-means intervals that do not overlap.
MIN_VERDICT = 2000
MIN_BATCHES = 10
MAX_BATCHES = 32  # past this, neighbouring batches merge and new ones last twice as long
FIRST_BATCH = 2.0  # simulated seconds a batch lasts at the start of a run
# Student's t for a two-sided 95% interval, by degrees of freedom (9..31); beyond, 2.04.
T95 = {9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120,
       17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064,
       25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042, 31: 2.040}

# Algorithms that prefer the server with the fewest connections: a dead one, which fails every
# request at once and so never holds any, looks best to them (the "black hole").
COUNTS_CONNECTIONS = {"least-connections", "weighted-least-connections", "power-of-two-choices"}

# The algorithm a compare starts against, chosen to make a point of the chapter.
PARTNERS = {
    "round-robin": "least-connections",
    "random": "power-of-two-choices",
    "weighted-round-robin": "weighted-least-connections",
    "least-connections": "round-robin",
    "weighted-least-connections": "weighted-round-robin",
    "ip-hash": "consistent-hash",
    "least-response-time": "least-connections",
    "power-of-two-choices": "random",
    "consistent-hash": "ip-hash",
    "peak-ewma": "least-connections",
}


# ------------------------------------------------------------------- run-wide latency
class LatencyHistogram:
    """Latencies since the run (re)started, in log-spaced bins 2% wide: percentiles over a whole
    run of any length in constant memory (an hour at 100× keeps exactly as much as a minute)."""

    LOW = 1e-4
    RATIO = 1.02

    def __init__(self) -> None:
        self._scale = 1.0 / math.log(self.RATIO)
        self.bins = [0] * (int(math.log(1e5 / self.LOW) * self._scale) + 2)
        self.count = 0

    def add(self, latency: float) -> None:
        i = int(math.log(latency / self.LOW) * self._scale) + 1 if latency > self.LOW else 0
        bins = self.bins
        bins[i if i < len(bins) else -1] += 1
        self.count += 1

    def merge(self, other: LatencyHistogram) -> None:
        self.bins = [a + b for a, b in zip(self.bins, other.bins, strict=True)]
        self.count += other.count

    def percentiles(self, *qs: float) -> tuple[float | None, ...]:
        """Nearest-rank percentiles (q in 0..100), each as the geometric middle of its bin."""
        if not self.count:
            return tuple(None for _ in qs)
        ranks = [max(1, math.ceil(q / 100 * self.count)) for q in qs]
        out: list[float | None] = [None] * len(qs)
        seen = 0
        pending = sorted(range(len(qs)), key=lambda k: ranks[k])
        j = 0
        for i, n in enumerate(self.bins):
            if not n:
                continue
            seen += n
            while j < len(pending) and ranks[pending[j]] <= seen:
                out[pending[j]] = self._middle(i)
                j += 1
            if j == len(pending):
                break
        return tuple(out)

    def _middle(self, i: int) -> float:
        if i == 0:
            return self.LOW
        return self.LOW * self.RATIO ** (i - 0.5)


class BatchP99:
    """The run cut into consecutive batches of time, each with its own p99: how much the batches
    differ is the noise a p99 over the run carries (the method of batch means). Batches start
    FIRST_BATCH seconds long; past MAX_BATCHES, neighbours merge and the length doubles, so
    memory stays flat however long the run."""

    def __init__(self, start: float) -> None:
        self.start = start
        self.length = FIRST_BATCH
        self.batches: list[LatencyHistogram] = []

    def add(self, now: float, latency: float) -> None:
        i = int((now - self.start) / self.length)
        while i >= MAX_BATCHES:
            merged = []
            for k in range(0, len(self.batches), 2):
                pair = self.batches[k]
                if k + 1 < len(self.batches):
                    pair.merge(self.batches[k + 1])
                merged.append(pair)
            self.batches = merged
            self.length *= 2
            i = int((now - self.start) / self.length)
        while len(self.batches) <= i:
            self.batches.append(LatencyHistogram())
        self.batches[i].add(latency)

    def p99s(self, now: float) -> list[float]:
        """The p99 of each batch that has ended by `now`."""
        done = min(len(self.batches), int((now - self.start) / self.length))
        return [p for b in self.batches[:done] if b.count for p in b.percentiles(99) if p is not None]


@dataclass(frozen=True)
class Interval:
    """A mean with its 95% confidence half-width, from `batches` batch values."""

    mean: float
    half: float
    batches: int

    @property
    def low(self) -> float:
        return self.mean - self.half

    @property
    def high(self) -> float:
        return self.mean + self.half


def batch_interval(values: list[float]) -> Interval | None:
    """Batch means: the mean of the batch values and a Student-t 95% interval around it."""
    n = len(values)
    if n < 2:
        return None
    mean = math.fsum(values) / n
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    return Interval(mean, T95.get(n - 1, 2.04 if n > 32 else 2.262) * sd / math.sqrt(n), n)


@dataclass(frozen=True)
class RunStats:
    """One side's figures since the run (re)started at `since`."""

    since: float
    completed: int
    p50: float | None
    p95: float | None
    p99: float | None
    dropped: int
    failed: int
    mean: float | None = None  # mean latency since `since`
    p99_interval: Interval | None = None  # batch means of p99 (None: too few batches yet)


@dataclass(frozen=True)
class PaneView:
    """What the screen draws for one simulation."""

    label: str
    algorithm: str | None
    snapshot: Snapshot
    note: str
    run: RunStats | None
    window_dropped: int
    window_failed: int
    theory: dict | None = None  # queueing theory's figures where a closed form fits the setup


@dataclass(frozen=True)
class Verdict:
    """Compare mode's call: who wins on p99 and on lost requests (None: a tie or too early)."""

    p99_winner: int | None
    p99_text: str
    loss_winner: int | None
    loss_text: str


class _Side:
    """Bookkeeping for one simulation: chart points, counters at chart points, histogram."""

    def __init__(self, label: str) -> None:
        self.label = label
        # (t, p50, p95, p99 over the recent window, p99 over the whole run so far)
        # The whole run in at most CHART_POINTS points (thinned as it grows), so memory stays flat.
        self.chart: list[tuple[float, float | None, float | None, float | None, float | None]] = []
        self.histogram = LatencyHistogram()
        self.batches = BatchP99(0.0)

    def add(self, now: float, latency: float) -> None:
        self.histogram.add(latency)
        self.batches.add(now, latency)

    def restart_stats(self, sim) -> None:
        """Count this side afresh from now: its histogram, and the engine's totals with it."""
        self.histogram = LatencyHistogram()
        self.batches = BatchP99(sim.now)
        sim.restart_totals()


class LabSession:
    """A running lab. Build with a `LabSetup` (sandbox) or a `ScenarioSpec` (a named scenario)."""

    def __init__(
        self,
        setup: LabSetup | None = None,
        *,
        scenario: ScenarioSpec | None = None,
        speed: float = 1.0,
        paused: bool = False,
        record_arrivals: bool = False,
    ) -> None:
        self.setup = (setup or LabSetup.from_preset("identical")).validate()
        self.spec: ScenarioSpec | None = None
        self.record_arrivals = record_arrivals
        self.active_side = 0
        self.selected: str | None = None
        self.sims: list = []
        self.sides: list[_Side] = []
        self.run: LiveRun
        self.panes: list[PaneView] = []
        self._next_sample = 0.0
        self._next_chart = 0.0
        self._chart_dt = CHART_DT
        self._theory_cache: dict[int, tuple[tuple, dict | None]] = {}
        self.generation = 0  # counts the runs this session started: a new one restarts from t = 0
        if scenario is not None:
            self._start_scenario(scenario, speed, paused)
        else:
            self._build(speed, paused)

    # ================================================================= building
    @classmethod
    def from_code(cls, code: str, **kwargs) -> LabSession:
        item = decode(code)
        if isinstance(item, ScenarioSpec):
            return cls(scenario=item, **kwargs)
        return cls(item, **kwargs)

    @property
    def is_scenario(self) -> bool:
        return self.spec is not None

    @property
    def comparing(self) -> bool:
        return not self.is_scenario and len(self.setup.algorithms) > 1

    def _build(self, speed: float | None = None, paused: bool | None = None) -> None:
        from lbtutor.sim.scenarios.toolkit import lab_simulation

        old = getattr(self, "run", None)
        speed = old.speed if speed is None and old else (speed or 1.0)
        paused = old.paused if paused is None and old else bool(paused)
        self.spec = None
        self.generation += 1
        self.sims = self.setup.build(lab_simulation, record=self.record_arrivals)
        self.sides = [_Side(slug) for slug in self.setup.algorithms]
        for sim, side in zip(self.sims, self.sides, strict=True):
            self._hook(sim, side)
        self.run = LiveRun(self.sims, speed=speed, paused=paused, labels=list(self.setup.algorithms))
        self.active_side = min(self.active_side, len(self.sims) - 1)
        self._next_sample = 0.0
        self._next_chart = 0.0
        self._chart_dt = CHART_DT
        names = [s.name for s in self.sims[0].servers]
        if self.selected not in names:
            self.selected = names[0] if names else None
        self.refresh()

    def _hook(self, sim, side: _Side) -> None:
        def record(s, req, server) -> None:
            now = s.env.now
            side.add(now, now - req.arrival)

        previous = sim.on_complete
        if previous is None:
            sim.on_complete = record
        else:
            def both(s, req, server) -> None:
                previous(s, req, server)
                record(s, req, server)

            sim.on_complete = both

    def _start_scenario(self, spec: ScenarioSpec, speed: float = 1.0, paused: bool = False) -> None:
        from lbtutor.sim import scenarios
        from lbtutor.sim.scenarios.base import ScenarioError

        try:
            scenario = scenarios.get(spec.name)
        except ScenarioError as exc:
            raise ConfigError(str(exc)) from None
        except ImportError:
            raise ConfigError(
                f"the scenario {spec.name!r} is not in this build of lbtutor yet; try another one"
            ) from None
        try:
            run = scenario.build(spec.params, spec.seed)
        except ScenarioError as exc:
            raise ConfigError(str(exc)) from None
        self.spec = spec
        self.generation += 1
        self.sims = []
        self.run = LiveRun(run, speed=speed, paused=paused)
        self.sides = []
        self.active_side = 0
        self._next_sample = 0.0
        self._next_chart = 0.0
        self._chart_dt = CHART_DT
        self.selected = None
        self.refresh()

    # ================================================================= playing
    def tick(self, wall_dt: float) -> None:
        self.run.tick(wall_dt)
        self.refresh()

    def step(self) -> None:
        self.run.step()
        self.refresh()

    def advance_to(self, t: float) -> None:
        """Move simulated time to `t` in chart-sized steps (tests and benchmarks use this)."""
        while self.run.now < t - 1e-9 and not self.run.done:
            self.run._advance(min(t, self.run.now + CHART_DT))
            self.refresh()

    def toggle_pause(self) -> bool:
        return self.run.toggle_pause()

    def faster(self) -> float:
        return self.run.faster()

    def slower(self) -> float:
        return self.run.slower()

    @property
    def now(self) -> float:
        return self.run.now

    # ================================================================= views
    def refresh(self) -> None:
        """Read every simulation once; take a chart point when one is due."""
        raw = self.run.panes()
        if not self.sides or [s.label for s in self.sides] != [p.label for p in raw]:
            self.sides = [_Side(p.label) for p in raw] if self.is_scenario else self.sides
        sample = self.run.now >= self._next_sample - 1e-9
        chart = sample and self.run.now >= self._next_chart - 1e-9
        thinned = False
        views = []
        for i, pane in enumerate(raw):
            snap = pane.snapshot
            side = self.sides[i] if i < len(self.sides) else None
            run = None
            if side is not None:
                if not self.is_scenario and snap.total is not None:
                    p50, p95, p99 = side.histogram.percentiles(50, 95, 99)
                    total = snap.total
                    run = RunStats(
                        total.since, total.completed, p50, p95, p99, total.dropped, total.failed,
                        total.mean_latency, batch_interval(side.batches.p99s(snap.time)),
                    )
                if chart:
                    r = snap.recent
                    side.chart.append((snap.time, r.p50, r.p95, r.p99, run.p99 if run else None))
                    if len(side.chart) > CHART_POINTS:
                        del side.chart[1::2]
                        thinned = True
            algorithm = self.setup.algorithms[i] if not self.is_scenario else None
            figures = snap.theory if self.is_scenario else self._theory(i, snap)
            views.append(PaneView(pane.label, algorithm, snap, pane.note, run, snap.window_dropped, snap.window_failed, figures))
        if chart:
            if thinned:
                self._chart_dt *= 2  # half the points are gone: sample half as often from now on
            step = self._chart_dt
            self._next_chart = (math.floor(self.run.now / step + 1e-9) + 1) * step
        if sample:
            self._next_sample = (math.floor(self.run.now / CHART_DT + 1e-9) + 1) * CHART_DT
        self.panes = views

    def _theory(self, index: int, snap: Snapshot) -> dict | None:
        """Theory for a sandbox pane. The engine's own (snap.theory) gives up on any queue limit,
        and every lab server has one: LAB_QUEUE_CAP's share, a guard against runaway memory that
        never binds below capacity. Where the setup itself sets no limit, the queues are
        unbounded as far as theory is concerned. A server that is down fails what it is sent,
        which no closed form here describes."""
        if self.setup.shape.queue_limit:
            return snap.theory
        sim = self.sims[index]
        pool = sim.pool
        if not pool or sim.traffic.rate_fn is not None or any(s.state == "down" for s in pool):
            return None
        key = (sim.algorithm, sim.traffic.rate, sim.traffic.service_mean, sim.traffic.service_dist,
               tuple((s.workers, s.speed, s.weight) for s in pool))
        cached = self._theory_cache.get(index)
        if cached is None or cached[0] != key:
            cached = self._theory_cache[index] = (key, sim.theory(queue_limit=0))
        return cached[1]

    def chart(self, index: int = 0) -> list[tuple[float, float | None, float | None, float | None, float | None]]:
        """Chart points of pane `index`: (t, window p50, window p95, window p99, whole-run p99)."""
        return list(self.sides[index].chart) if index < len(self.sides) else []

    def chart_points(self, index: int, columns: int) -> list:
        """Pane `index`'s chart thinned evenly to at most `columns` points, newest kept: the
        whole run, drawn one point per column."""
        points = self.chart(index)
        if len(points) <= columns:
            return points
        step = len(points) / columns
        return [points[len(points) - 1 - int(i * step)] for i in range(columns)][::-1]

    def headline(self) -> dict | None:
        return self.run.headline()

    @property
    def server_names(self) -> list[str]:
        if not self.panes:
            return []
        return [s.name for s in self.panes[0].snapshot.servers]

    def banner(self) -> str | None:
        """Why requests are failing or dropped, when the setup itself is the reason."""
        if self.is_scenario or not self.panes:
            return None
        snap = self.panes[0].snapshot
        servers = snap.servers
        rotation = [s for s in servers if s.in_rotation]
        if not rotation:
            return ("No server is in rotation, so the balancer has nowhere to send requests: every "
                    "one is dropped. Add a server with n.")
        if all(s.state == "down" for s in rotation):
            return ("Every server is down. With no health checks in this lab the balancer keeps "
                    "sending them requests, and every one fails. Bring one back with u.")
        down = [s.name for s in rotation if s.state == "down"]
        if down:
            names = ", ".join(down)
            verb = "is" if len(down) == 1 else "are"
            text = (f"{names} {verb} down: the requests the balancer still sends there fail "
                    "(no health checks here; lesson 5 adds them).")
            if set(self.setup.algorithms) & COUNTS_CONNECTIONS:
                text += (" Counting connections makes it worse: a dead server holds none, so it "
                         "looks emptiest and draws the most requests.")
            return text
        if snap.offered_load >= 1.0:
            text = (f"Arrivals exceed what the servers can do (offered load {snap.offered_load:.0%}): "
                    "queues grow until requests are dropped.")
            if not self.setup.shape.queue_limit:
                text += f" With no queue limit set, the lab still stops at {LAB_QUEUE_CAP:,} waiting requests."
            return text
        return None

    def verdict(self) -> Verdict | None:
        """In compare mode, which side wins on p99 and on lost requests, in words (see `judge`)."""
        if not self.comparing or len(self.panes) < 2:
            return None
        runs = [p.run for p in self.panes]
        if any(r is None for r in runs):
            return Verdict(None, "no clear winner yet: waiting for requests to finish", None, "")
        return judge([p.label for p in self.panes], runs)  # type: ignore[arg-type]

    def code(self) -> str:
        """The scenario code that reproduces this run from its start."""
        if self.spec is not None:
            return encode(self.spec)
        return encode(self.setup)

    # ================================================================= controls
    def _sandbox_only(self, what: str) -> None:
        if self.is_scenario:
            raise ConfigError(f"{what} is a sandbox control; this is the scenario {self.spec.name!r} "  # type: ignore[union-attr]
                              "(edit its parameters with e, or open the sandbox from the palette)")

    def set_algorithm(self, slug: str, side: int | None = None) -> None:
        """Choose the algorithm of one side. Alone it switches live; in a compare the race
        restarts (same seed) so both sides are judged on the same requests from the start."""
        self._sandbox_only("Choosing an algorithm")
        if slug not in ALGORITHMS:
            raise ConfigError(f"unknown algorithm {slug!r}; choose one of: {', '.join(ALGORITHMS)}")
        side = self.active_side if side is None else side
        algorithms = list(self.setup.algorithms)
        algorithms[side] = slug
        self.setup = self.setup.with_(algorithms=tuple(algorithms))
        if self.comparing:
            self._build()
            return
        sim = self.sims[side]
        sim.set_algorithm(slug)
        self.sides[side].label = slug
        self.run.labels = list(self.setup.algorithms)
        self.sides[side].restart_stats(sim)
        self.refresh()

    def next_algorithm(self, step: int = 1) -> str:
        slugs = list(ALGORITHMS)
        current = self.setup.algorithms[self.active_side]
        slug = slugs[(slugs.index(current) + step) % len(slugs)]
        self.set_algorithm(slug)
        return slug

    def set_rate(self, rate: float) -> float:
        self._sandbox_only("The arrival rate")
        rate = round(check_rate(rate), 2)
        self.setup = self.setup.with_(arrival_rate=rate)
        for sim, side in zip(self.sims, self.sides, strict=True):
            sim.set_arrival_rate(rate)
            side.restart_stats(sim)  # the figures since the start judge the new rate alone
        self.refresh()
        return rate

    def more_traffic(self) -> float:
        return self.set_rate(self.setup.arrival_rate * RATE_STEP)

    def less_traffic(self) -> float:
        return self.set_rate(self.setup.arrival_rate / RATE_STEP)

    # -- servers ------------------------------------------------------------------
    def _index_of(self, name: str | None) -> int:
        """Position in setup.servers of the live server `name` (servers draining away are not there)."""
        if name is None:
            raise ConfigError("no server is selected: add one with n")
        live = [s.name for s in self.sims[0].servers if s.in_rotation or s.state == "down"]
        if name not in live:
            raise ConfigError(f"{name} is leaving the pool (draining); choose another server")
        return live.index(name)

    def add_server(self, weight: float = 1.0, speed: float = 1.0) -> str:
        self._sandbox_only("Adding a server")
        if len(self.setup.servers) >= MAX_SERVERS:
            raise ConfigError(f"the lab runs at most {MAX_SERVERS} servers")
        weight, speed = check_weight(weight), check_speed(speed)
        name = ""
        for sim in self.sims:
            name = sim.add_server(weight=weight, speed=speed)
        self.setup = self.setup.with_(servers=(*self.setup.servers, ServerSetup(weight, speed)))
        self.selected = name
        self.refresh()
        return name

    def remove_server(self, name: str | None = None) -> str:
        """Take a server out (it drains: finishes what it holds, then leaves); the selection moves on."""
        self._sandbox_only("Removing a server")
        name = name or self.selected
        i = self._index_of(name)
        for sim in self.sims:
            sim.remove_server(name)
        servers = list(self.setup.servers)
        del servers[i]
        self.setup = self.setup.with_(servers=tuple(servers))
        if self.selected == name:
            live = [s.name for s in self.sims[0].servers if s.in_rotation or s.state == "down"]
            self.selected = live[min(i, len(live) - 1)] if live else None
        self.refresh()
        return name  # type: ignore[return-value]

    def _change_server(self, name: str | None, **changes) -> None:
        i = self._index_of(name)
        servers = list(self.setup.servers)
        servers[i] = replace(servers[i], **changes)
        self.setup = self.setup.with_(servers=tuple(servers))

    def take_down(self, name: str | None = None) -> str:
        self._sandbox_only("Taking a server down")
        name = name or self.selected
        self._change_server(name, down=True)
        for sim in self.sims:
            sim.take_down(name)
        self.refresh()
        return name  # type: ignore[return-value]

    def bring_up(self, name: str | None = None) -> str:
        self._sandbox_only("Bringing a server up")
        name = name or self.selected
        self._change_server(name, down=False)
        for sim in self.sims:
            sim.bring_up(name)
        self.refresh()
        return name  # type: ignore[return-value]

    def server_setup(self, name: str | None = None) -> ServerSetup:
        return self.setup.servers[self._index_of(name or self.selected)]

    def set_weight(self, weight: float, name: str | None = None) -> float:
        self._sandbox_only("A server's weight")
        name = name or self.selected
        weight = round(check_weight(weight), 2)
        self._change_server(name, weight=weight)
        for sim in self.sims:
            sim.set_weight(name, weight)
        self.refresh()
        return weight

    def set_speed(self, speed: float, name: str | None = None) -> float:
        self._sandbox_only("A server's speed")
        name = name or self.selected
        speed = round(check_speed(speed), 2)
        self._change_server(name, speed=speed)
        for sim in self.sims:
            sim.set_speed(name, speed)
        self.refresh()
        return speed

    def nudge_weight(self, step: int) -> float:
        return self.set_weight(_ladder(self.server_setup().weight, step, "weight"))

    def nudge_speed(self, step: int) -> float:
        return self.set_speed(_ladder(self.server_setup().speed, step, "speed"))

    def select(self, step: int) -> str | None:
        names = self.server_names
        if not names:
            self.selected = None
            return None
        i = names.index(self.selected) if self.selected in names else -step if step > 0 else 0
        self.selected = names[max(0, min(len(names) - 1, i + step))]
        return self.selected

    # -- traffic ------------------------------------------------------------------
    def set_preset(self, name: str) -> None:
        """Start over on a traffic preset: its servers, mix and rate; algorithms and seed stay."""
        self._sandbox_only("A traffic preset")
        preset(name)
        self.setup = LabSetup.from_preset(name, self.setup.algorithms, self.setup.seed)
        self._build()

    def next_preset(self, step: int = 1) -> str:
        names = list(PRESET_NAMES)
        name = names[(names.index(self.setup.preset) + step) % len(names)]
        self.set_preset(name)
        return name

    def set_service_dist(self, dist: str) -> None:
        """Service times drawn from another distribution (the run restarts: same seed)."""
        self._sandbox_only("The service-time distribution")
        if dist not in SERVICE_DISTS:
            raise ConfigError(f"unknown service distribution {dist!r}; choose one of: {', '.join(SERVICE_DISTS)}")
        self.setup = self.setup.with_(service_dist=dist)
        self._build()

    def next_service_dist(self, step: int = 1) -> str:
        dists = list(SERVICE_DISTS)
        dist = dists[(dists.index(self.setup.service_dist) + step) % len(dists)]
        self.set_service_dist(dist)
        return dist

    # -- runs ---------------------------------------------------------------------
    def reset(self, new_seed: bool = False) -> int:
        """Start the run again from t = 0: with the same seed (the same requests) or a new one."""
        if self.spec is not None:
            spec = self.spec
            if new_seed:
                spec = replace(spec, seed=_new_seed(spec.seed))
            self._start_scenario(spec, self.run.speed, self.run.paused)
            return spec.seed
        if new_seed:
            self.setup = self.setup.with_(seed=_new_seed(self.setup.seed))
        self._build()
        return self.setup.seed

    def compare(self, on: bool | None = None) -> bool:
        """Toggle compare mode: the algorithm and its partner, side by side on identical traffic."""
        self._sandbox_only("Compare mode")
        on = not self.comparing if on is None else on
        current = self.setup.algorithms[self.active_side]
        if on and not self.comparing:
            self.setup = self.setup.with_(algorithms=(current, PARTNERS.get(current, "round-robin")))
            self.active_side = 1
        elif not on and self.comparing:
            self.setup = self.setup.with_(algorithms=(current,))
            self.active_side = 0
        else:
            return self.comparing
        self._build()
        return self.comparing

    def add_side(self, slug: str | None = None) -> str:
        self._sandbox_only("Compare mode")
        if len(self.setup.algorithms) >= MAX_SIDES:
            raise ConfigError(f"compare mode shows at most {MAX_SIDES} algorithms side by side")
        taken = set(self.setup.algorithms)
        slug = slug or next((a for a in ALGORITHMS if a not in taken), "random")
        if slug not in ALGORITHMS:
            raise ConfigError(f"unknown algorithm {slug!r}; choose one of: {', '.join(ALGORITHMS)}")
        self.setup = self.setup.with_(algorithms=(*self.setup.algorithms, slug))
        self.active_side = len(self.setup.algorithms) - 1
        self._build()
        return slug

    def remove_side(self) -> str:
        self._sandbox_only("Compare mode")
        if len(self.setup.algorithms) < 2:
            raise ConfigError("only one algorithm is running: nothing to remove")
        algorithms = list(self.setup.algorithms)
        gone = algorithms.pop(self.active_side)
        self.setup = self.setup.with_(algorithms=tuple(algorithms))
        self.active_side = min(self.active_side, len(algorithms) - 1)
        self._build()
        return gone

    def next_side(self, step: int = 1) -> int:
        if self.comparing:
            self.active_side = (self.active_side + step) % len(self.setup.algorithms)
        return self.active_side

    def open_scenario(self, name: str, params: dict | None = None, seed: int | None = None) -> None:
        """Run a named scenario (its panes and headline metrics) instead of the sandbox."""
        spec = ScenarioSpec(name, dict(params or {}), self.setup.seed if seed is None else seed)
        self._start_scenario(spec, self.run.speed, self.run.paused)

    def set_scenario_params(self, params: dict) -> None:
        """Change the open scenario's parameters (checked against its ranges) and restart it."""
        if self.spec is None:
            raise ConfigError("no scenario is open")
        self._start_scenario(replace(self.spec, params=dict(params)), self.run.speed, self.run.paused)

    def open_sandbox(self, setup: LabSetup | None = None) -> None:
        if setup is not None:
            self.setup = setup.validate()
        self._build()

    def scenario_parameters(self) -> list[tuple[object, object]]:
        """(Param, current value) for each parameter of the open scenario."""
        if self.spec is None:
            return []
        from lbtutor.sim import scenarios

        scenario = scenarios.get(self.spec.name)
        values = scenario.resolve(self.spec.params)
        return [(p, values[p.name]) for p in scenario.params]


def judge(labels: list[str], runs: list[RunStats]) -> Verdict:
    """Compare mode's call, from each side's figures on the same requests.

    p99: a winner only once every side has finished MIN_VERDICT requests over at least
    MIN_BATCHES batches, and the best side's batch-means 95% interval lies wholly below every
    other side's (the difference is beyond what the batches vary by); else "no clear winner
    yet". Lost requests: counted as Poisson, the fewest wins when it is more than twice the
    standard deviation of the difference, 2 x sqrt(a + b), below the next.
    (Replications, when a run has them, can stand in for the batches: each gives one value.)"""
    p99s = [r.p99 for r in runs]
    intervals = [r.p99_interval for r in runs]
    fewest = min(r.completed for r in runs)
    if fewest < MIN_VERDICT or any(p is None for p in p99s):
        p99_winner, p99_text = None, f"no clear winner yet on p99: {_done_so_far(labels, runs)}; {MIN_VERDICT:,} needed on each side"
    elif any(iv is None or iv.batches < MIN_BATCHES for iv in intervals):
        have = min((iv.batches if iv else 0) for iv in intervals)
        p99_winner, p99_text = None, f"no clear winner yet on p99: {have} of the {MIN_BATCHES} batches of the run it needs are done"
    else:
        order = sorted(range(len(runs)), key=lambda i: p99s[i])  # type: ignore[arg-type,return-value]
        best, second = order[0], order[1]
        a = intervals[best]
        ratio = p99s[second] / p99s[best]  # type: ignore[operator]
        if all(a.high < intervals[i].low for i in order[1:]):  # type: ignore[union-attr]
            p99_winner = best
            p99_text = (f"{labels[best]} wins on p99: {seconds_text(p99s[best])} against "
                        f"{seconds_text(p99s[second])} ({ratio:.2g}× better, beyond the noise of "
                        f"{a.batches} batches of the run)")  # type: ignore[union-attr]
        else:
            p99_winner = None
            p99_text = (f"no clear winner on p99 yet: {seconds_text(p99s[best])} against "
                        f"{seconds_text(p99s[second])} is within the run's noise so far")
    losses = [r.dropped + r.failed for r in runs]
    order = sorted(range(len(runs)), key=lambda i: losses[i])
    best, second = order[0], order[1]
    if losses[second] == 0:
        loss_winner, loss_text = None, "no requests lost on any side"
    elif losses[second] - losses[best] > 2 * math.sqrt(losses[best] + losses[second]):
        loss_winner = best
        loss_text = f"{labels[best]} loses fewest requests: {losses[best]:,} against {losses[second]:,}"
    else:
        loss_winner = None
        loss_text = f"lost requests: no clear difference ({losses[best]:,} against {losses[second]:,})"
    return Verdict(p99_winner, p99_text, loss_winner, loss_text)


def _done_so_far(labels: list[str], runs: list[RunStats]) -> str:
    """The count the verdict waits on, as the side with the fewest shows it in its own pane
    ("666 done" there, "round-robin has 666 done" here): one quantity, one number, and the side
    it belongs to, so it never reads as a second value of the other pane's count."""
    fewest = min(r.completed for r in runs)
    if all(r.completed == fewest for r in runs):
        return f"{fewest:,} done on each side"
    side = min(range(len(runs)), key=lambda i: runs[i].completed)
    return f"{labels[side]} has {fewest:,} done, the fewest"


def _ladder(value: float, step: int, what: str) -> float:
    if step > 0:
        bigger = [v for v in LADDER if v > value + 1e-9]
        if not bigger:
            raise ConfigError(f"the {what} is already {value:g}, the most these keys give; type a value with e")
        return bigger[0]
    smaller = [v for v in LADDER if v < value - 1e-9]
    if not smaller:
        raise ConfigError(f"the {what} is already {value:g}, the least these keys give; type a value with e")
    return smaller[-1]


def _new_seed(old: int) -> int:
    rng = random.SystemRandom()
    while True:
        seed = rng.randrange(1, 10_000)
        if seed != old:
            return seed


