"""Auto-scaling: a policy that reads average CPU and adds or removes instances, and traffic that
rises and falls over a day with a sudden spike in it.

`decide` is the policy as a pure function (the quiz drills use it with made-up numbers);
`Autoscaler` runs it on a simulation's clock, launching instances that take traffic only after
their warm-up and billing every second an instance exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lbtutor.sim.config import server_name
from lbtutor.sim.engine import Simulation
from lbtutor.sim.server import DRAINING, HEALTHY, STARTING

SCALE_OUT = 1
SCALE_IN = -1
HOLD = 0


@dataclass(frozen=True)
class ScalingPolicy:
    scale_out_cpu: float = 0.70  # add an instance when average CPU is above this (0..1)
    scale_in_cpu: float = 0.30  # remove one when it is below this
    period: float = 5.0  # seconds between evaluations; CPU is averaged over one period
    cooldown: float = 15.0  # seconds after a scaling action before the next one
    warmup: float = 10.0  # seconds a new instance boots before it takes traffic
    min_instances: int = 2
    max_instances: int = 20

    def validate(self) -> ScalingPolicy:
        if not 0 <= self.scale_in_cpu < self.scale_out_cpu <= 1:
            raise ValueError(
                "thresholds need 0 <= scale-in CPU < scale-out CPU <= 1 "
                f"(got {self.scale_in_cpu:g} and {self.scale_out_cpu:g})"
            )
        if not 1 <= self.min_instances <= self.max_instances:
            raise ValueError(
                f"instances need 1 <= min <= max (got {self.min_instances} and {self.max_instances})"
            )
        if self.period <= 0 or self.cooldown < 0 or self.warmup < 0:
            raise ValueError("period must be positive; cooldown and warm-up 0 or more")
        return self


def decide(cpu: float, instances: int, since_last_action: float, policy: ScalingPolicy) -> int:
    """One evaluation: SCALE_OUT (+1), SCALE_IN (-1) or HOLD (0).

    Above the scale-out threshold add one, below the scale-in threshold remove one; the gap
    between the two is a dead band where nothing happens (hysteresis). Nothing happens during a
    cooldown, nor beyond the min/max bounds.
    """
    if since_last_action < policy.cooldown:
        return HOLD
    if cpu > policy.scale_out_cpu and instances < policy.max_instances:
        return SCALE_OUT
    if cpu < policy.scale_in_cpu and instances > policy.min_instances:
        return SCALE_IN
    return HOLD


def cpu_after(cpu: float, instances: int, change: int) -> float:
    """The average CPU the same load gives once the fleet has `instances + change` instances."""
    return cpu * instances / (instances + change)


@dataclass(frozen=True)
class DiurnalTraffic:
    """A day of traffic squeezed into `day` seconds, starting at the night-time low, plus a spike.

    rate(t) = base x (1 - amplitude x cos(2 pi t / day)), multiplied by `spike_factor` for
    `spike_length` seconds from `spike_at`.
    """

    base: float
    amplitude: float
    day: float
    spike_at: float
    spike_length: float
    spike_factor: float

    def rate(self, t: float) -> float:
        r = self.base * (1.0 - self.amplitude * math.cos(2.0 * math.pi * t / self.day))
        if self.spike_at <= t < self.spike_at + self.spike_length:
            r *= self.spike_factor
        return r

    @property
    def peak(self) -> float:
        """An upper bound of rate(t): what the thinning of the arrival process draws at."""
        return self.base * (1.0 + self.amplitude) * max(1.0, self.spike_factor)


@dataclass
class Instance:
    name: str
    launched_at: float
    ready_at: float
    terminated_at: float | None = None
    removed: bool = False  # scaled in: takes no new traffic, billed until it has drained


class Autoscaler:
    """Evaluates `policy` every period on `sim`'s clock, launching and retiring instances.

    `fleet` (instances launched and not scaled in) is what the policy bounds by min/max;
    `billed` also counts instances still draining their last requests. Both are step functions
    kept as (time, count) changes, so a cost is an exact integral.
    """

    def __init__(self, sim: Simulation, policy: ScalingPolicy, on_event=None) -> None:
        self.sim = sim
        self.env = sim.env
        self.policy = policy.validate()
        self.on_event = on_event or (lambda text: None)
        self.instances: dict[str, Instance] = {}
        self.actions: list[tuple[float, int, float]] = []  # (time, +1/-1, cpu that triggered it)
        self.evaluations: list[tuple[float, float, int]] = []  # (time, cpu, fleet)
        self.fleet_history: list[tuple[float, int]] = []
        self.billed_history: list[tuple[float, int]] = []
        self._last_action = -math.inf
        for server in sim.servers:  # the starting fleet is warm
            self.instances[server.name] = Instance(server.name, self.env.now, self.env.now)
        self._record()
        self._areas = self._busy_areas()
        self._areas_at = self.env.now
        previous = sim.on_complete
        sim.on_complete = lambda s, req, server: self._completed(s, req, server, previous)
        self.env.process(self._evaluate_every_period())

    # ------------------------------------------------------------------ counts
    @property
    def fleet(self) -> int:
        return sum(1 for i in self.instances.values() if not i.removed)

    @property
    def billed(self) -> int:
        return sum(1 for i in self.instances.values() if i.terminated_at is None)

    @property
    def warming(self) -> int:
        now = self.env.now
        return sum(1 for i in self.instances.values() if not i.removed and i.ready_at > now)

    def _record(self) -> None:
        now = self.env.now
        for history, count in ((self.fleet_history, self.fleet), (self.billed_history, self.billed)):
            if history and history[-1][0] == now:
                history[-1] = (now, count)
            elif not history or history[-1][1] != count:
                history.append((now, count))

    def instance_seconds(self, until: float | None = None) -> float:
        """Billed instance-seconds: every instance from launch until it is terminated (or `until`)."""
        end = self.env.now if until is None else until
        return math.fsum(
            min(end, i.terminated_at if i.terminated_at is not None else end) - i.launched_at
            for i in self.instances.values()
            if i.launched_at < end
        )

    # -------------------------------------------------------------- the policy
    def _busy_areas(self) -> dict[str, float]:
        now = self.env.now
        return {s.name: s.area_at(now) for s in self.sim.servers}

    def _cpu_since_last_evaluation(self) -> float:
        """Average CPU of the instances taking traffic since the last evaluation (and starts the
        next averaging window)."""
        now = self.env.now
        areas = self._busy_areas()
        busy = available = 0.0
        for server in self.sim.pool:
            start = max(self._areas_at, self.instances[server.name].ready_at)
            if now <= start:
                continue
            busy += areas[server.name] - (self._areas.get(server.name, 0.0) if start == self._areas_at else 0.0)
            available += server.workers * (now - start)
        self._areas, self._areas_at = areas, now
        return busy / available if available > 0 else 0.0

    def _evaluate_every_period(self):
        while True:
            yield self.env.timeout(self.policy.period)
            cpu = self._cpu_since_last_evaluation()
            now = self.env.now
            action = decide(cpu, self.fleet, now - self._last_action, self.policy)
            self.evaluations.append((now, cpu, self.fleet))
            if action == SCALE_OUT:
                self._launch(cpu)
            elif action == SCALE_IN:
                self._scale_in(cpu)

    def _launch(self, cpu: float) -> None:
        now = self.env.now
        name = server_name(len(self.instances))  # never reuses a retired instance's name
        self.sim.add_server(name=name)
        self.sim.set_in_rotation(name, False)
        self.sim.server(name).state = STARTING  # shown as starting until its warm-up is over
        self.instances[name] = Instance(name, now, now + self.policy.warmup)
        self._last_action = now
        self.actions.append((now, SCALE_OUT, cpu))
        self._record()
        self.on_event(f"CPU {cpu:.0%} > {self.policy.scale_out_cpu:.0%}: launched {name}, "
                      f"ready in {self.policy.warmup:g} s ({self.fleet} instances)")
        self.env.process(self._warm_up(name))

    def _warm_up(self, name: str):
        yield self.env.timeout(self.policy.warmup)
        instance = self.instances[name]
        if instance.removed:
            return
        self.sim.server(name).state = HEALTHY
        self.sim.set_in_rotation(name, True)
        self.on_event(f"{name} warmed up and takes traffic")

    def _scale_in(self, cpu: float) -> None:
        """Remove the newest instance (one still warming first): it drains, then stops billing."""
        now = self.env.now
        live = [i for i in self.instances.values() if not i.removed]  # oldest first
        warming = [i for i in live if i.ready_at > now]
        victim = (warming or live)[-1]
        victim.removed = True
        if self.sim.server(victim.name).active == 0:
            victim.terminated_at = now  # nothing to drain; otherwise `_completed` terminates it
        self.sim.remove_server(victim.name)
        self._last_action = now
        self.actions.append((now, SCALE_IN, cpu))
        self._record()
        self.on_event(f"CPU {cpu:.0%} < {self.policy.scale_in_cpu:.0%}: removed {victim.name} "
                      f"({self.fleet} instances)")

    def _completed(self, sim, req, server, previous) -> None:
        if previous:
            previous(sim, req, server)
        if server.state == DRAINING and server.active == 0:  # the engine retires it right after
            instance = self.instances.get(server.name)
            if instance and instance.terminated_at is None:
                instance.terminated_at = self.env.now
                self._record()
