"""The simulation: requests arrive, a balancer picks a server, servers queue and serve.

One class, two ways to drive it:
  * stepping, for the UI: `advance_to(t)` then `snapshot()`, thirty times a second;
  * batch, for the CLI and tests: `run(config)` runs N requests to completion.
Both are the same code. Requests are simpy events with callbacks rather than one process each,
which keeps the engine within a small factor of a bare event loop.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Callable
from heapq import heappop, heappush

import simpy
from simpy.events import NORMAL

from lbtutor.sim import theory
from lbtutor.sim.balancers import ALGORITHMS, Balancer, make_balancer
from lbtutor.sim.config import ConfigError, ServerSpec, SimConfig, server_name
from lbtutor.sim.metrics import jain_index, max_over_mean, summarize
from lbtutor.sim.server import (
    APP_ERROR,
    DOWN,
    DRAINING,
    FAULTS,
    HANG,
    HEALTHY,
    REFUSE,
    STARTING,
    Request,
    Server,
)
from lbtutor.sim.snapshot import ServerView, Snapshot, Totals
from lbtutor.sim.traffic import Traffic, stream

RECENT_LATENCIES = 4096  # completions kept for the live percentiles
REQUEST_TIMEOUT = 30.0  # s a client waits on a hung server before its request fails
SLOW_START_STEPS = 20


HAPROXY_WEIGHT_SCALE = 16  # HAProxy's BE_WEIGHT_SCALE: an effective weight is in 16ths of the user's


def haproxy_slowstart_steps(duration: float) -> list[tuple[float, float]]:
    """HAProxy 2.6's slow start as its source does it (server.c, server_recalc_eweight and
    server_warmup): `slowstart` is kept in whole seconds S (rounded up); the weight is recomputed
    every max(1 s, S/20 ms), which is every second; at e whole seconds after the server came UP it
    is (16 e + S) // S sixteenths of full, and full from e = S. Returns (seconds after UP, share of
    the weight) with the last step at full weight: for 3 s, 1/16, 6/16, 11/16, then full at 3 s."""
    seconds = math.ceil(round(duration * 1000) / 1000)
    if seconds <= 0:  # under half a millisecond is written "0s": HAProxy has no slow start then
        return [(0.0, 1.0)]
    period = max(1.0, seconds / 20 / 1000)
    steps, elapsed = [], 0
    while elapsed * period < seconds:
        whole = math.floor(elapsed * period)
        steps.append((elapsed * period, ((HAPROXY_WEIGHT_SCALE * whole + seconds) // seconds) / HAPROXY_WEIGHT_SCALE))
        elapsed += 1
    steps.append((elapsed * period, 1.0))
    return steps


class _Call:
    """A bare scheduled callback: what `simpy.Environment.step` needs of an event, and no more.

    Requests schedule two of these each (arrival, completion); skipping Timeout's bookkeeping keeps
    the engine within a small factor of a hand-written heapq loop. Relies on simpy 4.1's queue
    layout (time, priority, id, event), which is why simpy is pinned exactly.
    """

    __slots__ = ("callbacks", "_value")
    _ok = True

    def __init__(self, callbacks: tuple, value) -> None:
        self.callbacks = callbacks  # step() only iterates over it
        self._value = value


class Simulation:
    """A load balancer in front of servers, fed by a request stream."""

    def __init__(
        self,
        config: SimConfig,
        *,
        traffic: Traffic | None = None,
        max_requests: int | None = None,
        warmup: int = 0,
        window: float | None = None,
        sample_interval: float | None = None,
        keep_latencies: bool = False,
        env: simpy.Environment | None = None,
        generate_arrivals: bool = True,
    ) -> None:
        """`env` lets several simulations share one clock (tiers, pairs of balancers); with
        generate_arrivals=False requests come only from `dispatch` calls made by the caller."""
        config.validate()
        self.config = config
        self.env = env or simpy.Environment()
        self.traffic = traffic or Traffic(
            rate=config.arrival_rate,
            service_dist=config.service_dist,
            service_mean=1.0 / config.service_rate,
            clients=config.clients,
            zipf=config.zipf,
            seed=config.seed,
        )
        self._balancer_rng = stream(config.seed, "balancer")
        self.algorithm = config.algorithm
        self.balancer = self._make_balancer(config.algorithm)
        self.servers: list[Server] = []
        self.pool: list[Server] = []
        self._server_count = 0
        for spec in config.server_specs():
            self._add(spec)
        self._pool_changed()

        self.max_requests = max_requests
        self.warmup = warmup
        self.arrived = 0
        self.completed = 0
        self.dropped_no_server = 0
        self.dropped_queue_full = 0
        self.failed = 0
        self.in_system = 0
        self._system_area = 0.0  # integral of requests in system over time (Little's law)
        self._system_since = 0.0

        # The measured window: from the warm-up'th arrival to the last arrival.
        self.measure_start: float | None = 0.0 if warmup == 0 else None
        self.measure_end: float | None = None
        self._measure_marks: dict = {}
        self.latencies: list[float] | None = [] if keep_latencies else None
        self.measured_completed = 0
        self.measured_latency_sum = 0.0

        self.window = window if window is not None else 20.0 * self.traffic.service_mean
        # Live percentiles need only the latest completions; batch runs keep them all instead.
        self.recent: deque[tuple[float, float]] | None = (
            None if keep_latencies else deque(maxlen=RECENT_LATENCIES)
        )
        self.sample_interval = sample_interval
        self.picks: deque[str] | None = None  # the latest servers picked, once record_picks is on
        self._totals_base: tuple = ()
        self.restart_totals()
        self._checkpoints: deque[tuple[float, int, int, int, dict[Server, float]]] = deque()
        if sample_interval:
            self._checkpoints = deque(maxlen=int(self.window / sample_interval) + 2)
            self._take_checkpoint(None)

        # Hooks for scenarios: called as hook(sim, request, server).
        self.on_complete: Callable | None = None
        self.on_fail: Callable | None = None
        self.on_drop: Callable | None = None
        # How long a request sent to a hung server waits before it fails (the client's timeout).
        self.request_timeout = REQUEST_TIMEOUT
        # How long an erroring application ("app-error") takes to send its error back; 0 = at
        # once. While it does, the request holds a connection that least-connections counts.
        self.error_time = 0.0

        self._arrival_generation = 0
        # Bound once: otherwise each request makes new bound methods and tuples for its events.
        self._arrival_callbacks = (self._on_arrival,)
        self._complete_callbacks = (self._on_complete,)
        self._arrival_callback = self._on_arrival
        self._next_gap = self.traffic.next_gap
        self._make_request = self.traffic.make_request
        if warmup == 0:
            self._mark_measure_start()
        if generate_arrivals:
            self._schedule_arrival()

    # ----------------------------------------------------------------- time
    @property
    def now(self) -> float:
        return self.env.now

    def advance_to(self, t: float) -> None:
        """Run every event before simulated time `t`."""
        if t > self.env.now:
            self.env.run(until=t)

    def step(self, dt: float) -> None:
        self.advance_to(self.env.now + dt)

    def run_to_completion(self) -> None:
        """Batch mode: run until every request has arrived and left."""
        if self.max_requests is None:
            raise RuntimeError("run_to_completion needs max_requests")
        self._run_queue()

    def _run_queue(self) -> None:
        """Process events until none are left: `simpy.Environment.step` in a tight loop.

        Same semantics as `env.run()` with no `until` (callbacks in order, failed events raise),
        minus a method call per event, which is a tenth of a batch run's time. The engine's own
        `_Call` events (one callback, never failed) are called straight away."""
        env = self.env
        queue = env._queue
        pop = heappop
        call = _Call
        while queue:
            env._now, _, _, event = pop(queue)
            if event.__class__ is call:  # the engine's own events: one callback, never failed
                event.callbacks[0](event)
                continue
            callbacks, event.callbacks = event.callbacks, None
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                raise event._value

    # ----------------------------------------------------------- arrivals
    def _at(self, delay: float, callback, value) -> None:
        """Call callback(event) `delay` seconds from now, with event._value = value."""
        env = self.env
        heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), _Call((callback,), value)))

    def _schedule_arrival(self) -> None:
        if self.max_requests is not None and self.arrived >= self.max_requests:
            return
        self._at(self._next_gap(self.env.now), self._arrival_callback, self._arrival_generation)

    def _on_arrival(self, ev) -> None:
        if ev._value != self._arrival_generation:
            return  # superseded: the arrival rate changed after this was drawn
        rid = self.arrived
        env = self.env
        now = env._now
        req = self._make_request(rid, now)
        self.arrived = rid + 1
        if rid < self.warmup:
            req.measured = False
        elif rid == self.warmup and self.measure_start is None:
            self._mark_measure_start()
        if self.arrived == self.max_requests:
            self._mark_measure_end()
        else:
            ev.callbacks = self._arrival_callbacks  # the spent event carries the next arrival
            heappush(env._queue, (now + self._next_gap(now), NORMAL, next(env._eid), ev))
        pool = self.pool
        server = self.balancer.pick(req, pool) if pool else None
        if server is None:
            self.dropped_no_server += 1
            if self.on_drop:
                self.on_drop(self, req, None)
            return
        self.admit(server, req)

    def set_arrival_rate(self, rate: float) -> None:
        if not math.isfinite(rate) or rate <= 0:
            raise ConfigError(f"arrival rate must be a positive number (got {rate:g})")
        self.traffic.rate = rate
        if self.traffic.rate_fn is None:
            self.traffic.rate_max = rate
        self._arrival_generation += 1  # memoryless: redrawing the next gap from now is exact
        self._schedule_arrival()

    def pause_arrivals(self) -> None:
        """No more arrivals until `set_arrival_rate` is called again (the pending one is void)."""
        self._arrival_generation += 1

    @property
    def arrival_rate(self) -> float:
        return self.traffic.rate

    # ----------------------------------------------------------- dispatch
    def dispatch(self, req: Request) -> None:
        """Hand a request to the balancer and then to the server it picks."""
        pool = self.pool
        server = self.balancer.pick(req, pool) if pool else None
        if server is None:
            self.dropped_no_server += 1
            if self.on_drop:
                self.on_drop(self, req, None)
            return
        self.admit(server, req)

    def inject(self, req: Request) -> None:
        """A request made by the caller (another tier, a scenario's clients) arrives now."""
        self.arrived += 1
        self.dispatch(req)

    def send_to(self, name: str, req: Request) -> None:
        """A request arrives already addressed to one server (a cached DNS answer, a pinned
        keep-alive connection, a virtual IP): no balancer is asked."""
        self.arrived += 1
        self.admit(self.server(name), req)

    def admit(self, server: Server, req: Request) -> None:
        """A request reaches `server`: fails at once if its host is gone or its connection is
        refused; fails after `error_time` if its application answers with an error; waits for
        the client's timeout if its process hangs; else is served, queued or dropped."""
        req.server = server
        if self.picks is not None:
            self.picks.append(server.name)
        if server.state == DOWN or server.fault is not None:
            if server.state != DOWN:
                if server.fault == HANG:
                    self._hold(server, req, self.request_timeout)
                    return
                if server.fault == APP_ERROR and self.error_time > 0:
                    self._hold(server, req, self.error_time)
                    return
            self.failed += 1
            if self.on_fail:
                self.on_fail(self, req, server)
            return
        now = self.env._now  # the attribute, not the property: this runs for every request
        if server.busy < server.workers:
            self._start(server, req, now)
        elif server.queue_limit and len(server.queue) >= server.queue_limit:
            self.dropped_queue_full += 1
            if self.on_drop:
                self.on_drop(self, req, server)
            return
        else:
            server.queue.append(req)
        active = server.active + 1
        server.active = active
        if active > server.peak_active:
            server.peak_active = active
        self._system_area += self.in_system * (now - self._system_since)
        self._system_since = now
        self.in_system += 1

    def _start(self, server: Server, req: Request, now: float) -> None:
        server.busy_area += server.busy * (now - server.area_since)
        server.area_since = now
        server.busy += 1
        req.start = now
        req.epoch = server.epoch
        env = self.env
        heappush(env._queue, (now + req.demand / server.speed, NORMAL, next(env._eid),
                              _Call(self._complete_callbacks, req)))

    def _hold(self, server: Server, req: Request, delay: float) -> None:
        """The request holds a connection (which least-connections counts) for `delay` seconds and
        then fails: a hung process until the client gives up (`request_timeout`), an erroring
        application until its error arrives (`error_time`)."""
        now = self.env.now
        req.epoch = server.epoch
        server.active += 1
        server.peak_active = max(server.peak_active, server.active)
        self._system_area += self.in_system * (now - self._system_since)
        self._system_since = now
        self.in_system += 1
        self._at(delay, self._on_hold_timeout, req)

    def _on_hold_timeout(self, ev) -> None:
        req: Request = ev._value
        server = req.server
        if req.epoch != server.epoch:
            return  # the connection was already lost (and counted) when the process died
        now = self.env.now
        server.active -= 1
        self._system_area += self.in_system * (now - self._system_since)
        self._system_since = now
        self.in_system -= 1
        self.failed += 1
        if self.on_fail:
            self.on_fail(self, req, server)
        if server.state == DRAINING and server.active == 0:
            self._retire(server)

    def _on_complete(self, ev) -> None:
        req: Request = ev._value
        server = req.server
        if req.epoch != server.epoch:
            return  # the server died while serving it; already counted as failed
        now = self.env._now
        busy = server.busy
        server.busy_area += busy * (now - server.area_since)
        server.area_since = now
        server.busy = busy - 1
        server.active -= 1
        server.total_served += 1
        in_system = self.in_system
        self._system_area += in_system * (now - self._system_since)
        self._system_since = now
        self.in_system = in_system - 1
        self.completed += 1
        latency = now - req.arrival
        if req.measured:
            server.served += 1
            server.latency_sum += latency
            self.measured_completed += 1
            self.measured_latency_sum += latency
            if self.latencies is not None:
                self.latencies.append(latency)
        if self.recent is not None:
            self.recent.append((now, latency))
        if self._observes:
            self.balancer.observe(server, latency, now)
        if self.on_complete:
            self.on_complete(self, req, server)
        if server.queue:
            self._start(server, server.queue.popleft(), now)
        elif server.state == DRAINING and server.active == 0:
            self._retire(server)

    # ------------------------------------------------------- measurement
    def _mark_measure_start(self) -> None:
        now = self.env.now
        self.measure_start = now
        self._measure_marks = {
            "areas": {s: s.area_at(now) for s in self.servers},
            "system_area": self._system_area + self.in_system * (now - self._system_since),
        }
        for s in self.servers:
            s.served = 0
            s.latency_sum = 0.0
            s.peak_active = s.active

    def _mark_measure_end(self) -> None:
        now = self.env.now
        self.measure_end = now
        self._measure_marks["end_areas"] = {s: s.area_at(now) for s in self.servers}
        self._measure_marks["end_system_area"] = self._system_area + self.in_system * (
            now - self._system_since
        )
        self._measure_marks["end_completed"] = self.measured_completed

    # ------------------------------------------------------------ servers
    def _make_balancer(self, slug: str):
        cls = ALGORITHMS.get(slug)
        if cls is None:
            raise ConfigError(f"unknown algorithm {slug!r}; choose one of: {', '.join(ALGORITHMS)}")
        opts = {k: v for k, v in self.config.algorithm_options.items() if k in cls.options}
        self._observes = cls.observe is not Balancer.observe  # skip a no-op call per request
        return make_balancer(slug, self._balancer_rng, **opts)

    def _add(self, spec: ServerSpec) -> Server:
        server = Server(spec, self._server_count, self.env.now)
        self._server_count += 1
        self.servers.append(server)
        return server

    def _pool_changed(self) -> None:
        self.pool = [s for s in self.servers if s.in_rotation]
        self.balancer.pool_changed(self.pool)

    def server(self, name: str) -> Server:
        for s in self.servers:
            if s.name == name:
                return s
        raise ConfigError(f"no server named {name!r}; servers are {', '.join(s.name for s in self.servers)}")

    def add_server(
        self, *, weight: float = 1.0, speed: float = 1.0, workers: int | None = None,
        slow_start: float = 0.0, name: str | None = None,
    ) -> str:
        """A new server joins the pool; with slow_start > 0 its weight ramps up over that many seconds."""
        _check_positive("weight", weight)
        _check_positive("speed", speed)
        taken = {s.name for s in self.servers}
        if name is None:
            i = len(self.servers)
            while server_name(i) in taken:
                i += 1
            name = server_name(i)
        elif name in taken:
            raise ConfigError(f"a server named {name!r} already exists")
        spec = ServerSpec(name, weight, speed, workers or self.config.workers, self.config.queue_limit)
        server = self._add(spec)
        if slow_start > 0:
            server.state = STARTING
            server.ramp = 1.0 / SLOW_START_STEPS
            self.env.process(self._ramp_up(server, slow_start))
        self._pool_changed()
        return name

    def start_slowly(self, name: str, duration: float) -> None:
        """A server back in rotation ramps its weight up as HAProxy 2.6's `slowstart` does after a
        server comes back UP (see `haproxy_slowstart_steps`); only weighted algorithms see it."""
        server = self.server(name)
        if duration > 0 and server.state == HEALTHY:
            steps = haproxy_slowstart_steps(duration)
            server.state = STARTING
            server.ramp = steps[0][1]
            self.env.process(self._ramp_steps(server, steps))
            self._pool_changed()

    def _ramp_up(self, server: Server, duration: float):
        """Slow start: the server's effective weight climbs from 1/20 to full over `duration`."""
        return self._ramp_steps(server, [(duration * (step - 1) / SLOW_START_STEPS, step / SLOW_START_STEPS)
                                         for step in range(1, SLOW_START_STEPS + 1)])

    def _ramp_steps(self, server: Server, steps: list[tuple[float, float]]):
        """Walk `server` through (seconds after the start, share of its weight) steps, then to full
        weight; a server that leaves the starting state (it died) stops ramping."""
        for (start, _), (at, ramp) in itertools.pairwise(steps):
            yield self.env.timeout(at - start)
            if server.state != STARTING:
                return
            server.ramp = ramp
            self._pool_changed()
        server.state = HEALTHY
        server.ramp = 1.0

    def remove_server(self, name: str) -> None:
        """Take a server out of rotation; it finishes what it holds (draining), then leaves."""
        server = self.server(name)
        server.in_rotation = False
        self._pool_changed()
        if server.active == 0 or server.state == DOWN:
            self._retire(server)
        else:
            server.state = DRAINING

    def _retire(self, server: Server) -> None:
        if server in self.servers:
            server.set_busy(server.busy, self.env.now)
            self.servers.remove(server)
            self._pool_changed()

    def take_down(self, name: str) -> None:
        """The server dies: what it was serving or queueing fails; new requests sent to it fail."""
        server = self.server(name)
        if server.state == DOWN:
            return
        self._lose_in_flight(server)
        was_draining = server.state == DRAINING
        server.state = DOWN
        if was_draining:
            self._retire(server)

    def _lose_in_flight(self, server: Server) -> None:
        """Every request the server holds (served, queued or waiting on a hung process) fails."""
        now = self.env.now
        lost = server.active
        self.failed += lost
        if self.on_fail:
            for req in server.queue:
                self.on_fail(self, req, server)
        self._system_area += self.in_system * (now - self._system_since)
        self._system_since = now
        self.in_system -= lost
        server.set_busy(0, now)
        server.queue.clear()
        server.active = 0
        server.epoch += 1

    def bring_up(self, name: str) -> None:
        server = self.server(name)
        if server.state == DOWN:
            server.state = HEALTHY
            server.ramp = 1.0

    def break_app(self, name: str, broken: bool = True) -> None:
        """The server's process stays up (its port accepts connections) but the application
        answers every request with an error at once, until `break_app(name, False)`."""
        self.set_fault(name, APP_ERROR if broken else None)

    def set_fault(self, name: str, fault: str | None) -> None:
        """The server's host stays up while its process fails in one of three ways (None: heals):

        * "refuse": the process is gone, so connections are refused; what it held fails now and
          new requests fail at once;
        * "hang": the process accepts connections and never answers; new requests wait until
          the client's timeout (`request_timeout`) and fail;
        * "app-error": the process answers every request with an error at once.
        """
        if fault is not None and fault not in FAULTS:
            raise ConfigError(f"fault must be one of {', '.join(FAULTS)} or None (got {fault!r})")
        server = self.server(name)
        if fault == REFUSE and server.fault != REFUSE and server.state != DOWN:
            self._lose_in_flight(server)
            if server.state == DRAINING:
                self._retire(server)
        server.fault = fault

    def set_in_rotation(self, name: str, in_rotation: bool) -> None:
        """What a health checker does: stop (or resume) sending a server new requests."""
        server = self.server(name)
        if server.in_rotation != in_rotation:
            server.in_rotation = in_rotation
            self._pool_changed()

    def set_weight(self, name: str, weight: float) -> None:
        _check_positive("weight", weight)
        self.server(name).weight = weight
        self._pool_changed()

    def set_speed(self, name: str, speed: float) -> None:
        _check_positive("speed", speed)
        self.server(name).speed = speed

    def set_algorithm(self, slug: str) -> None:
        self.balancer = self._make_balancer(slug)
        self.algorithm = slug
        self.balancer.pool_changed(self.pool)

    # --------------------------------------------------------------- views
    @property
    def dropped(self) -> int:
        return self.dropped_no_server + self.dropped_queue_full

    def record_picks(self, keep: int) -> None:
        """Keep the names of the last `keep` servers requests were sent to (the dispatch order a
        lab can show as a strip); off by default, since batch runs have no use for it."""
        self.picks = deque(maxlen=keep)

    def restart_totals(self) -> None:
        """Count the snapshot's totals (`Snapshot.total`) from now on: a lab that switches
        algorithm mid-run judges the new one on its own requests."""
        now = self.env.now
        self._totals_base = (
            now, self.arrived, self.completed, self.dropped, self.failed,
            self.measured_completed, self.measured_latency_sum,
            {s: (s.area_at(now), s.total_served) for s in self.servers},
        )

    def _take_checkpoint(self, _ev) -> None:
        now = self.env.now
        self._checkpoints.append(
            (now, self.completed, self.dropped, self.failed, {s: s.area_at(now) for s in self.servers})
        )
        self._at(self.sample_interval, self._take_checkpoint, None)

    def _window_start(self):
        """The oldest checkpoint inside the recent window, or None."""
        horizon = self.env.now - self.window
        for cp in self._checkpoints:
            if cp[0] >= horizon - 1e-9:
                return cp
        return self._checkpoints[-1] if self._checkpoints else None

    def snapshot(self) -> Snapshot:
        now = self.env.now
        cp = self._window_start()
        if cp is not None and now > cp[0]:
            t0, completed0, dropped0, failed0, areas0 = cp
        else:
            t0, completed0, dropped0, failed0, areas0 = 0.0, 0, 0, 0, {}
        span = now - t0
        since, arrived1, completed1, dropped1, failed1, measured1, latency1, bases = self._totals_base
        views = []
        for s in self.servers:
            area = s.area_at(now)
            start = max(t0, s.created_at)
            base = areas0.get(s, 0.0) if s.created_at <= t0 else 0.0
            dt = now - start
            util = (area - base) / (s.workers * dt) if dt > 0 else 0.0
            base_area, base_served = bases.get(s, (0.0, 0))
            dt = now - max(since, s.created_at)
            util_total = (area - base_area) / (s.workers * dt) if dt > 0 else 0.0
            views.append(
                ServerView(
                    name=s.name, state=s.state, in_rotation=s.in_rotation, weight=s.weight,
                    speed=s.speed, workers=s.workers, active=s.active, busy=s.busy,
                    queued=len(s.queue), served=s.total_served - base_served,
                    utilization=min(1.0, max(0.0, util)), peak_active=s.peak_active,
                    utilization_total=min(1.0, max(0.0, util_total)),
                )
            )
        horizon = now - self.window
        recent = summarize([lat for t, lat in (self.recent or ()) if t >= horizon])
        in_rotation = [v.utilization for v in views if v.in_rotation]
        measured = self.measured_completed - measured1
        busy_total = [v.utilization_total for v in views if v.in_rotation]
        total = Totals(
            since=since,
            arrived=self.arrived - arrived1,
            completed=self.completed - completed1,
            dropped=self.dropped - dropped1,
            failed=self.failed - failed1,
            mean_latency=(self.measured_latency_sum - latency1) / measured if measured > 0 else None,
            throughput=(self.completed - completed1) / (now - since) if now > since else 0.0,
            utilization=math.fsum(busy_total) / len(busy_total) if busy_total else None,
        )
        capacity = sum(s.speed * s.workers for s in self.pool) / self.traffic.service_mean
        return Snapshot(
            time=now,
            algorithm=self.algorithm,
            arrival_rate=self.traffic.rate,
            servers=tuple(views),
            arrived=self.arrived,
            completed=self.completed,
            dropped=self.dropped,
            failed=self.failed,
            in_flight=self.in_system,
            recent=recent,
            throughput=(self.completed - completed0) / span if span > 0 else 0.0,
            window=min(self.window, span),
            jain=jain_index(in_rotation),
            max_over_mean=max_over_mean(in_rotation),
            offered_load=self.traffic.rate / capacity if capacity > 0 else math.inf,
            theory=self.theory(),
            total=total,
            picks=tuple(self.picks) if self.picks is not None else (),
            window_dropped=self.dropped - dropped0 if cp is not None else 0,
            window_failed=self.failed - failed0 if cp is not None else 0,
        )

    def theory(self, queue_limit: int | None = None) -> dict | None:
        """Queueing theory's prediction for the current setup, where a model fits it; with
        `queue_limit`, for queues of that limit (0: unbounded) instead of the servers' own."""
        pool = self.pool
        if not pool or self.traffic.rate_fn is not None:
            return None
        return theory.predict(
            algorithm=self.algorithm,
            servers=len(pool),
            workers=[s.workers for s in pool],
            speeds=[s.speed for s in pool],
            weights=[s.weight for s in pool],
            arrival_rate=self.traffic.rate,
            service_rate=1.0 / self.traffic.service_mean,
            service_dist=self.traffic.service_dist,
            queue_limit=max(s.queue_limit for s in pool) if queue_limit is None else queue_limit,
        )

    # -------------------------------------------------------------- result
    def result(self) -> dict:
        """The batch result, as `lbtutor sim --json` prints it."""
        marks = self._measure_marks
        end = self.measure_end if self.measure_end is not None else self.env.now
        start = self.measure_start or 0.0
        span = end - start
        areas0 = marks.get("areas", {})
        areas1 = marks.get("end_areas", {})
        servers = []
        utils = []
        for s in self.servers:
            a1 = areas1.get(s, s.area_at(end))
            util = (a1 - areas0.get(s, 0.0)) / (s.workers * span) if span > 0 else 0.0
            utils.append(util)
            servers.append(
                {
                    "name": s.name,
                    "weight": s.weight,
                    "speed": s.speed,
                    "workers": s.workers,
                    "state": s.state,
                    "served": s.served,
                    "utilization": util,
                    "mean_latency": s.latency_sum / s.served if s.served else None,
                    "peak_connections": s.peak_active,
                }
            )
        lat = summarize(self.latencies or [])
        system_area = marks.get("end_system_area", self._system_area) - marks.get("system_area", 0.0)
        completed_in_window = marks.get("end_completed", self.measured_completed)
        cfg = self.config
        return {
            "algorithm": self.algorithm,
            "seed": cfg.seed,
            "params": cfg.to_dict(),
            "sim_time": self.env.now,
            "measured_window": {"start": start, "end": end},
            "requests": {
                "arrived": self.arrived,
                "completed": self.completed,
                "dropped": self.dropped,
                "failed": self.failed,
                "in_flight": self.in_system,
                "dropped_no_server": self.dropped_no_server,
                "dropped_queue_full": self.dropped_queue_full,
                "measured": self.measured_completed,
            },
            "latency": {
                "mean": lat.mean,
                "p50": lat.p50,
                "p95": lat.p95,
                "p99": lat.p99,
                "max": lat.max,
            },
            "throughput": completed_in_window / span if span > 0 else 0.0,
            "mean_in_system": system_area / span if span > 0 else 0.0,
            "servers": servers,
            "fairness": {
                "jain": jain_index(utils),
                "max_over_mean": max_over_mean(utils),
                "of": "utilization",
            },
            "offered_load": cfg.offered_load,
            "theory": self.theory(),
        }


def _check_positive(label: str, value: float) -> None:
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{label} must be a positive number (got {value!r})")


def run(config: SimConfig) -> dict:
    """Batch API: run `config.requests` requests to completion and return the result."""
    sim = Simulation(
        config, max_requests=config.requests, warmup=config.warmup, keep_latencies=True
    )
    sim.run_to_completion()
    return sim.result()
