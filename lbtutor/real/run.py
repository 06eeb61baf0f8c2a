"""One real run: backends, a balancer in front, the generator feeding it, breaks and heals on
schedule, and the balancer's own view of every server read live.

`RealRun` is driven from one asyncio loop (the CLI's, or the TUI's worker thread's): `start()`,
then `play()` for a headless run to its duration, or the live controls (`break_server`, `heal`,
`set_algorithm`, `set_rate`, `pause`...) and `live()` for a screen; `close()` on every path.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import time
from dataclasses import dataclass, field

from lbtutor.real import report
from lbtutor.real.backends import Backends
from lbtutor.real.haproxy import HAProxy, ServerStatus
from lbtutor.real.loadgen import LoadGenerator
from lbtutor.real.nginx import Nginx
from lbtutor.real.ownership import Ownership
from lbtutor.real.setup import Break, Heal, RealSetup
from lbtutor.sim.traffic import Traffic

POLL = 0.05  # seconds between two readings of the balancer's view
STATS_EVERY = 0.25  # seconds between two readings of the backends' counters
DRAIN = 2.0  # seconds the run waits after its last arrival for the requests still open
START_LIMIT = 40.0  # seconds to start backends and balancer before giving up
PLAY_SLACK = 30.0  # seconds past the duration a headless run may take before it is abandoned
READY_LIMIT = 1.0  # seconds beyond one check interval to wait for the first checks to pass


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Transition:
    at: float  # seconds since the run started
    up: bool


@dataclass
class ServerTrack:
    """What the run learnt about one server: the balancer's words over time, up/down flips."""

    name: str
    status: ServerStatus | None = None
    changes: list[tuple[float, str]] = field(default_factory=list)  # every new status string
    transitions: list[Transition] = field(default_factory=list)
    up: bool = True


@dataclass
class Action:
    """A break or heal as it happened (the time the backend switched, seconds since start)."""

    server: str
    action: str  # refuse | hang | app-error | slow | heal
    at: float
    factor: float = 1.0


class RealRun:
    def __init__(self, setup: RealSetup, *, poll: float = POLL) -> None:
        self.setup = setup.validate()
        self.poll = poll
        self.owner: Ownership | None = None
        self.backends: Backends | None = None
        self.balancer: HAProxy | Nginx | None = None
        self.generator: LoadGenerator | None = None
        self.tracks = {name: ServerTrack(name) for name in setup.names}
        self.actions: list[Action] = []
        self.modes = {name: "ok" for name in setup.names}
        self.backend_stats: dict = {}
        self.t0: float | None = None  # loop time of the run's t = 0
        self.t0_monotonic: float | None = None
        self.t0_wall: float | None = None
        self.end: float | None = None  # seconds the generator sent for
        self.unfinished = 0
        self.probe_phase: dict[str, float] = {}
        self._tasks: list[asyncio.Task] = []
        self._timers: list[asyncio.TimerHandle] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self.keep: int | None = None  # outcomes the generator remembers (None: all of them)
        # (seconds into the run, how) once the balancer's process has ended on its own
        self.balancer_gone: tuple[float, str] | None = None
        self._closing = False

    # ---------------------------------------------------------------- start and stop
    async def start(self) -> None:
        """Backends, then the balancer; waits until the balancer has checked every server once."""
        async with asyncio.timeout(START_LIMIT):
            await self._start()

    async def _start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.owner = Ownership()
        s = self.setup
        self.backends = Backends(self.owner, s.names, workers=s.workers, service_dist=s.service_dist,
                                 service_mean=1.0 / s.service_rate, seed=s.seed)
        await self.backends.start()
        cls = HAProxy if s.balancer == "haproxy" else Nginx
        self.balancer = cls(self.owner, s, port=free_port(), server_ports=self.backends.ports)
        await self.balancer.start()
        if s.balancer == "haproxy":
            await self._first_checks()
        self.generator = LoadGenerator(
            Traffic(rate=s.rate, service_dist=s.service_dist, service_mean=1.0 / s.service_rate,
                    clients=s.clients, seed=s.seed),
            port=self.balancer.port, timeout=s.request_timeout, clients=s.clients, keep=self.keep)

    async def _first_checks(self) -> None:
        """HAProxy starts each server "UP 1/3" (one failed check from DOWN) until its first check
        passes; the clock starts once every server is fully UP, as the simulator's start."""
        deadline = self.loop.time() + self.setup.check_interval + READY_LIMIT
        while self.loop.time() < deadline:
            view = await self.balancer.view()
            if view and all(v.status == "UP" for v in view.values()):
                return
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        """Stop everything this run started and remove its temp dir (safe to call twice)."""
        self._closing = True  # the watcher loops end even if a cancellation goes astray
        for timer in self._timers:
            timer.cancel()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5.0)
        self._tasks.clear()
        if self.generator is not None and self.generator.in_flight:
            with contextlib.suppress(Exception):
                await self.generator.drain(0.0)
        if self.owner is not None:
            await self.owner.aclose()

    # ---------------------------------------------------------------- the clock
    def now(self) -> float:
        """Seconds since the run started (0 before)."""
        return 0.0 if self.t0 is None else self.loop.time() - self.t0

    def begin(self, duration: float = math.inf, *, schedule: bool = True) -> None:
        """t = 0: the generator starts, the watchers start, and (with `schedule`) the setup's
        breaks and heals are set for their times."""
        self.t0 = self.loop.time() + 0.01
        self.t0_monotonic = time.monotonic() + (self.t0 - self.loop.time())
        self.t0_wall = time.time() + (self.t0 - self.loop.time())
        self.generator.start(self.t0, duration)
        self._tasks.append(self.loop.create_task(self._watch()))
        self._tasks.append(self.loop.create_task(self._watch_backends()))
        if schedule:
            for ev in sorted((*self.setup.breaks, *self.setup.heals), key=lambda e: e.at):
                self._timers.append(self.loop.call_at(self.t0 + ev.at, self._spawn_event, ev))

    def _spawn_event(self, ev: Break | Heal) -> None:
        if isinstance(ev, Break):
            coro = self.break_server(ev.server, ev.mode, ev.factor)
        else:
            coro = self.heal(ev.server)
        self._tasks.append(self.loop.create_task(coro))

    async def play(self) -> dict:
        """A headless run: send for `duration` seconds, wait for what is open; the real figures.
        Bounded: past duration + PLAY_SLACK seconds it gives up with TimeoutError."""
        duration = self.setup.duration
        async with asyncio.timeout(duration + PLAY_SLACK):
            self.begin(duration)
            await asyncio.sleep(max(0.0, self.t0 + duration - self.loop.time()))
            self.end = duration
            self.unfinished = await self.generator.drain(DRAIN)
            self._notice_gone()
            with contextlib.suppress(OSError):
                await self._read_view()  # the last word of the balancer
            await self._read_backends()
        self.probe_phase = self._probe_phase()
        return self.result()

    # ---------------------------------------------------------------- controls
    async def break_server(self, name: str, mode: str, factor: float = 1.0) -> None:
        await self.backends.set_mode(name, mode, factor)
        self.modes[name] = mode
        self.actions.append(Action(name, mode, self.now(), factor))

    async def heal(self, name: str) -> None:
        await self.backends.set_mode(name, "ok")
        self.modes[name] = "ok"
        self.actions.append(Action(name, "heal", self.now()))

    async def reconfigure(self, **changes) -> None:
        """New algorithm or weights: a new config and a graceful reload of the balancer."""
        setup = self.setup.with_changes(**changes)
        await self.balancer.reload(setup)
        self.setup = setup

    def set_rate(self, rate: float) -> None:
        self.setup = self.setup.with_changes(arrival_rate=rate)
        self.generator.set_rate(rate)

    def pause(self) -> None:
        self.generator.pause()

    def resume(self) -> None:
        self.generator.resume()

    # ---------------------------------------------------------------- watching
    async def _watch(self) -> None:
        while not self._closing:
            self._notice_gone()
            with contextlib.suppress(OSError):
                await self._read_view()
            await asyncio.sleep(self.poll)

    def _notice_gone(self) -> None:
        """Record when the balancer's process ended under the run (killed, crashed), the first time."""
        if self.balancer_gone is None and not self._closing and self.balancer is not None:
            how = self.balancer.gone()
            if how is not None:
                self.balancer_gone = (max(0.0, self.now()), how)

    async def _read_view(self) -> None:
        view = await self.balancer.view()
        at = max(0.0, self.now())
        for name, status in view.items():
            track = self.tracks[name]
            if track.status is None or status.status != track.status.status:
                track.changes.append((at, status.status))
            track.status = status
            if status.up != track.up:
                when = at
                if status.since is not None and self.t0_monotonic is not None:
                    when = status.since - self.t0_monotonic
                track.transitions.append(Transition(when, status.up))
                track.up = status.up

    async def _watch_backends(self) -> None:
        while not self._closing:
            with contextlib.suppress(Exception):
                await self._read_backends()
            await asyncio.sleep(STATS_EVERY)

    async def _read_backends(self) -> None:
        stats = await self.backends.stats()
        self.backend_stats = {s["name"]: s for s in stats["servers"]}

    def _probe_phase(self) -> dict[str, float]:
        """When each server's first health probe after t = 0 started (seconds since start): the
        last probe the backend saw before t = 0, plus one interval (HAProxy's next probe starts
        `inter` after the previous one completes; a passing probe takes a millisecond). A probe
        after t = 0 may never reach a broken backend, so the phase is read from before."""
        out = {}
        inter = self.setup.check_interval
        for name, s in self.backend_stats.items():
            times = [t - self.t0_monotonic for t in s.get("probe_times", [])]
            before = [t for t in times if t < 0]
            if before:
                out[name] = before[-1] + inter
            elif times:
                out[name] = times[0]
        return out

    # ---------------------------------------------------------------- figures
    def result(self) -> dict:
        return report.real_result(self)

    async def pick_order(self, n: int) -> list[str]:
        """The servers that answer `n` requests sent one after another (no work, one at a time):
        the balancer's pick order, with nothing in flight to sway it."""
        from lbtutor.real.loadgen import one_request

        order = []
        for _ in range(n):
            _status, server = await one_request(self.balancer.port)
            order.append(server)
        return order
