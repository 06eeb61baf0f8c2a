"""A real run for a screen: driven from its own thread and asyncio loop, read as frames.

The screen never waits on a process: controls (`break_server`, `heal`, `set_algorithm`,
`set_weight`, `set_rate`, `pause`, `resume`) hand a coroutine to the run's loop and return a
future; every REFRESH seconds the loop builds a `LiveFrame` (the real servers as the same
`Snapshot` the lab draws, the balancer's own words for each, the simulator's snapshot of the same
setup stepped to the same clock, and a log) and the screen reads `frame` at its own rate.
Every process is forked from the run's thread (PR_SET_PDEATHSIG follows that thread) and stopped
when `stop()` ends it. Without the balancer (or when it fails to start) the simulator runs alone
and the frame says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field

from lbtutor.real import algorithms, report
from lbtutor.real.backends import BackendError
from lbtutor.real.beside import BesideRun
from lbtutor.real.binaries import BalancerMissing, require
from lbtutor.real.haproxy import BalancerFailed, ServerStatus
from lbtutor.real.loadgen import OK
from lbtutor.real.ownership import within
from lbtutor.real.run import RealRun
from lbtutor.real.setup import RealSetup
from lbtutor.sim.metrics import jain_index, max_over_mean, summarize
from lbtutor.sim.server import DOWN, HEALTHY
from lbtutor.sim.snapshot import ServerView, Snapshot

REFRESH = 0.1  # seconds between two frames
WINDOW = 10.0  # seconds the live percentiles and throughput cover (as the lab's)
UTIL_WINDOW = WINDOW  # seconds a server's utilisation is averaged over (as the simulator's bars)
KEEP = 50_000  # outcomes a live generator remembers
LOG_LINES = 200
MODE_STATES = {"ok": HEALTHY, "refuse": DOWN, "hang": "hang", "app-error": "500s", "slow": "slow"}
RELOADED = {  # what a reload does to the balancer's view of its servers
    "haproxy": "HAProxy reloaded: a new process, which starts every server UP and checks it afresh",
    "nginx": "nginx reloaded: new workers, which have forgotten every failure",
}
ACTION_WORDS = {
    "refuse": "refuses connections (its process is gone)",
    "hang": "hangs: it accepts connections and never answers",
    "app-error": "answers every request with a 500",
    "slow": "serves {factor:g}x slower",
    "heal": "is healthy again",
}


@dataclass(frozen=True)
class LiveFrame:
    """Everything a screen draws for one moment of a live run."""

    time: float  # seconds since the run started
    state: str  # starting | running | balancer-gone | sim-only | stopped
    message: str  # why the real side is missing or stopped ("" when all is well)
    algorithm: str
    rate: float
    paused: bool
    real: Snapshot | None
    views: dict[str, ServerStatus]
    modes: dict[str, str]
    sim: Snapshot | None
    sim_health: dict[str, bool]  # the simulator's balancer: server in rotation?
    log: tuple[str, ...]
    generator: dict = field(default_factory=dict)
    real_events: tuple[dict, ...] = ()  # each break and heal with when the balancer noticed
    sim_events: tuple[dict, ...] = ()  # the same in the simulator, with its worst-case bound


class LiveLab:
    def __init__(self, setup: RealSetup, *, real: bool = True) -> None:
        self.setup = setup
        self.want_real = real
        self.run: RealRun | None = None
        self.beside: BesideRun | None = None
        self.frame: LiveFrame | None = None
        self.state = "starting"
        self.message = ""
        self.paused = False
        self.modes = {name: "ok" for name in setup.names}
        self.log: deque[str] = deque(maxlen=LOG_LINES)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._t0 = 0.0  # loop time of t = 0 when the simulator runs alone
        self._seen: dict[tuple[str, str], int] = {}
        self._busy: dict[str, deque[tuple[float, float]]] = {n: deque() for n in setup.names}

    # ---------------------------------------------------------------- thread
    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="lbtutor-real", daemon=True)
        self._thread.start()
        self._ready.wait(5.0)

    def _main(self) -> None:
        asyncio.run(self._amain())

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the run and every process it started (returns when they are gone)."""
        loop, stop = self.loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout)

    async def _amain(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._ready.set()
        try:
            await self._start_real()
            self._start_beside()
            for ev in sorted((*self.setup.breaks, *self.setup.heals), key=lambda e: e.at):
                action = getattr(ev, "mode", "heal")
                self.loop.call_at(self._loop_t0() + ev.at, self._schedule_act, ev.server, action,
                                  getattr(ev, "factor", 1.0))
            while not self._stop.is_set():
                self._refresh()
                with contextlib.suppress(TimeoutError):
                    await within(REFRESH, self._stop.wait())
        finally:
            self.state = "stopped"
            if self.run is not None:
                await self.run.close()
            self._refresh()

    async def _start_real(self) -> None:
        if not self.want_real:
            self._sim_only("")
            return
        try:
            require(self.setup.balancer)
            self.run = RealRun(self.setup)
            self.run.keep = KEEP
            await self.run.start()
        except (BalancerMissing, BalancerFailed, BackendError, OSError) as exc:
            if self.run is not None:
                await self.run.close()
            self.run = None
            message = str(exc) or "the real balancer did not start in time"
            self._sim_only(message + ". The simulator runs alone.")
            return
        self.run.begin(schedule=False)  # the setup's breaks and heals go through _act, for both sides
        with contextlib.suppress(BackendError):
            await self.run._read_backends()
        self.run.probe_phase = self.run._probe_phase()
        self.state = "running"

    def _sim_only(self, message: str) -> None:
        self.state = "sim-only"
        self.message = message
        self._t0 = self.loop.time()

    def _start_beside(self) -> None:
        run = self.run
        self.beside = BesideRun(
            self.setup, first_probes=(run.probe_phase or None) if run else None,
            clock_phase=((run.t0_wall or 0.0) % 1.0) if run else 0.0, record=False)

    def _loop_t0(self) -> float:
        return self.run.t0 if self.run is not None and self.run.t0 is not None else self._t0

    def _schedule_act(self, server: str, action: str, factor: float) -> None:
        self.loop.create_task(self._act(server, action, factor))

    # ---------------------------------------------------------------- the clock
    def now(self) -> float:
        if self.run is not None and self.run.t0 is not None:
            return self.run.now()
        return self.loop.time() - self._t0 if self.loop else 0.0

    # ---------------------------------------------------------------- controls
    def _submit(self, coro) -> Future:
        if self.loop is None or self.loop.is_closed() or self.state == "stopped":
            coro.close()
            future: Future = Future()
            future.set_exception(RuntimeError("the run has stopped"))
            return future
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def break_server(self, name: str, mode: str, factor: float = 4.0) -> Future:
        return self._submit(self._act(name, mode, factor))

    def heal(self, name: str) -> Future:
        return self._submit(self._act(name, "heal", 1.0))

    async def _act(self, name: str, action: str, factor: float) -> None:
        if self.run is not None:
            if action == "heal":
                await self.run.heal(name)
            else:
                await self.run.break_server(name, action, factor)
            at = self.run.actions[-1].at
        else:
            at = self.now()
        self.modes[name] = "ok" if action == "heal" else action
        self.beside.sim.advance_to(at)
        self.beside.act(name, action, factor)
        self.log.append(f"{at:6.1f} s  {name} " + ACTION_WORDS[action].format(factor=factor))

    def set_algorithm(self, slug: str) -> Future:
        return self._submit(self._set_algorithm(slug))

    async def _set_algorithm(self, slug: str) -> None:
        algorithms.check(self.setup.balancer, slug)
        if self.run is not None:
            await self.run.reconfigure(algorithm=slug)
            self.setup = self.run.setup
        else:
            self.setup = self.setup.with_changes(algorithm=slug)
        self.beside.sim.advance_to(self.now())
        self.beside.set_algorithm(slug)
        what = (RELOADED[self.setup.balancer] if self.run else "the simulator switched")
        self.log.append(f"{self.now():6.1f} s  algorithm {slug} ({what})")

    def set_weight(self, name: str, weight: int) -> Future:
        return self._submit(self._set_weight(name, weight))

    async def _set_weight(self, name: str, weight: int) -> None:
        weights = list(self.setup.weight_list)
        weights[self.setup.names.index(name)] = weight
        if self.run is not None:
            await self.run.reconfigure(weights=tuple(weights))
            self.setup = self.run.setup
        else:
            self.setup = self.setup.with_changes(weights=tuple(weights))
        self.beside.sim.advance_to(self.now())
        self.beside.sim.set_weight(name, float(weight))
        what = f" ({RELOADED[self.setup.balancer]})" if self.run else ""
        self.log.append(f"{self.now():6.1f} s  {name} weight {weight}{what}")

    def set_rate(self, rate: float) -> Future:
        return self._submit(self._set_rate(rate))

    async def _set_rate(self, rate: float) -> None:
        self.setup = self.setup.with_changes(arrival_rate=rate)
        if self.run is not None:
            self.run.set_rate(rate)
        sim = self.beside.sim
        sim.advance_to(self.now())
        if not self.paused:
            sim.set_arrival_rate(rate)
        else:
            sim.traffic.rate = sim.traffic.rate_max = rate
        self.log.append(f"{self.now():6.1f} s  {rate:g} req/s")

    def pause(self) -> Future:
        return self._submit(self._pause(True))

    def resume(self) -> Future:
        return self._submit(self._pause(False))

    async def _pause(self, paused: bool) -> None:
        if paused == self.paused:
            return
        self.paused = paused
        sim = self.beside.sim
        sim.advance_to(self.now())
        if paused:
            if self.run is not None:
                self.run.pause()
            sim.pause_arrivals()
        else:
            if self.run is not None:
                self.run.resume()
            sim.set_arrival_rate(self.setup.rate)
        self.log.append(f"{self.now():6.1f} s  traffic {'paused' if paused else 'resumed'}")

    @property
    def config_text(self) -> str:
        return self.run.balancer.config_text if self.run is not None else ""

    # ---------------------------------------------------------------- frames
    def _notice_a_gone_balancer(self) -> None:
        """The balancer's process ended on its own (killed, crashed): say so, once, and how; the
        backends, the load generator and the simulator run on, so the counts show what clients got."""
        run = self.run
        if self.state != "running" or run is None or run.balancer_gone is None:
            return
        at, how = run.balancer_gone
        if self.setup.balancer == "nginx":  # the master: its workers can outlive it, and still log
            what = (f"nginx's master process is gone ({how}) at t = {at:.1f} s: its workers may serve on, "
                    "but nothing can reload them")
        else:
            what = f"HAProxy's process is gone ({how}) at t = {at:.1f} s"
        self.state = "balancer-gone"
        self.message = (f"{what}. What the clients got since is in the counts; the backends and the simulator "
                        "run on, and esc leaves and stops them.")
        self.log.append(f"{at:6.1f} s  {self.setup.balancer}: its process is gone ({how})")

    def _refresh(self) -> None:
        if self.beside is None:
            return
        now = self.now()
        self._notice_a_gone_balancer()
        self.beside.sim.advance_to(now)
        real = views = None
        if self.run is not None and self.run.generator is not None and self.run.t0 is not None:
            real = self._real_snapshot(now)
            views = {n: t.status for n, t in self.run.tracks.items() if t.status is not None}
            self._log_transitions()
        sim = self.beside.sim
        sim_health = {s.name: s.in_rotation for s in sim.servers}
        gen = {}
        if self.run is not None and self.run.generator is not None:
            g = self.run.generator
            recent = list(g.lateness)[-500:]
            gen = {"sent": g.sent - g.capped, "ok": g.ok, "failed": g.failed, "in_flight": g.in_flight,
                   "lateness_p99": summarize(recent).p99 if recent else None}
        self.frame = LiveFrame(
            time=now, state=self.state, message=self.message, algorithm=self.setup.algorithm,
            rate=self.setup.rate, paused=self.paused, real=real, views=views or {},
            modes=dict(self.modes), sim=sim.snapshot(), sim_health=sim_health,
            log=tuple(self.log), generator=gen,
            real_events=tuple(self._real_events()), sim_events=tuple(self._sim_events()),
        )

    def _real_events(self) -> list[dict]:
        run = self.run
        if run is None:
            return []
        transitions = {n: [(x.at, x.up) for x in t.transitions] for n, t in run.tracks.items()}
        return report.events([(a.server, a.action, a.at) for a in run.actions], transitions)

    def _sim_events(self) -> list[dict]:
        rows = report.events(self.beside.actions, self.beside.transitions)
        bound = getattr(self.beside.health, "detection_bound", None)
        for row in rows:
            if bound is not None and row["action"] in ("refuse", "hang", "app-error"):
                row["bound"] = bound(row["action"])
        return rows

    def _log_transitions(self) -> None:
        """A line for each time the real balancer or the simulator took a server out or back."""
        name = self.setup.balancer
        for server, track in self.run.tracks.items():
            key = ("real", server)
            for tr in track.transitions[self._seen.get(key, 0):]:
                self.log.append(f"{tr.at:6.1f} s  {name}: {server} {'UP' if tr.up else 'DOWN'}")
            self._seen[key] = len(track.transitions)
        for server, flips in self.beside.transitions.items():
            key = ("sim", server)
            for at, up in flips[self._seen.get(key, 0):]:
                self.log.append(f"{at:6.1f} s  simulator: {server} {'back in' if up else 'out of'} rotation")
            self._seen[key] = len(flips)

    def _real_snapshot(self, now: float) -> Snapshot:
        run = self.run
        gen = run.generator
        stats = run.backend_stats
        views = []
        utils = []
        for name, weight in zip(self.setup.names, self.setup.weight_list, strict=True):
            s = stats.get(name, {})
            track = run.tracks[name]
            util = self._utilization(name, s, now)
            mode = self.modes.get(name, "ok")
            in_service, queued, held = s.get("in_service", 0), s.get("queued", 0), s.get("held", 0)
            up = track.status.up if track.status is not None else True
            if up:
                utils.append(util)
            views.append(ServerView(
                name=name, state=MODE_STATES.get(mode, mode), in_rotation=up, weight=float(weight),
                speed=1.0 / s.get("factor", 1.0) if s.get("factor") else 1.0, workers=self.setup.workers,
                active=in_service + queued + held, busy=in_service, queued=queued + held,
                served=s.get("served", 0), utilization=util, peak_active=in_service + queued + held,
                utilization_total=self._utilization_since_start(s, now),
            ))
        window = min(WINDOW, now) if now > 0 else 0.0
        recent = [o for o in list(gen.outcomes) if o.done >= now - WINDOW]
        latencies = [o.latency for o in recent if o.kind == OK]
        failed = gen.failed
        capacity = sum(self.setup.workers * self.setup.service_rate
                       for v in views if v.in_rotation and v.state != DOWN)
        return Snapshot(
            time=now, algorithm=self.setup.algorithm, arrival_rate=self.setup.rate, servers=tuple(views),
            arrived=gen.sent, completed=gen.ok, dropped=gen.capped, failed=failed,
            in_flight=gen.in_flight, recent=summarize(latencies),
            throughput=len(latencies) / window if window > 0 else 0.0, window=window,
            jain=jain_index(utils), max_over_mean=max_over_mean(utils),
            offered_load=self.setup.rate / capacity if capacity > 0 else math.inf, theory=None,
        )

    def _utilization_since_start(self, stats: dict, now: float) -> float:
        """Busy worker-seconds since the run started, per worker: what the bars' "% busy since
        start" reads, as the simulator's utilization_total does beside it."""
        if now <= 0:
            return 0.0
        return max(0.0, min(1.0, stats.get("busy_seconds", 0.0) / (self.setup.workers * now)))

    def _utilization(self, name: str, stats: dict, now: float) -> float:
        """Busy worker-seconds over the last UTIL_WINDOW seconds, per worker."""
        busy = self._busy[name]
        busy.append((now, stats.get("busy_seconds", 0.0)))
        while len(busy) > 2 and busy[1][0] < now - UTIL_WINDOW:
            busy.popleft()
        (t0, b0), (t1, b1) = busy[0], busy[-1]
        if t1 <= t0:
            return 0.0
        return max(0.0, min(1.0, (b1 - b0) / (self.setup.workers * (t1 - t0))))


def wait_for_frame(live: LiveLab, limit: float = 10.0) -> LiveFrame | None:
    """Block until the first frame after the start (for tests and scripts, never a screen)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        frame = live.frame
        if frame is not None and frame.state != "starting":
            return frame
        time.sleep(0.05)
    return live.frame
