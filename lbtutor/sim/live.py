"""Playing simulations in wall-clock time: speed, pause, single step, and a lag notice.

The UI calls `tick(wall_dt)` once per frame; everything here is plain Python, so the same player
drives a lesson's mini-lab, the lab screen and the tests.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from lbtutor.sim.engine import Simulation
from lbtutor.sim.scenarios.base import Pane, ScenarioRun

SPEEDS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0)
FRAME_BUDGET = 0.020  # seconds of computing per frame before we admit we are lagging
CHUNKS = 8


class LiveRun:
    """Advances one or more simulations (or one scenario run) together in simulated time."""

    def __init__(
        self,
        source: Simulation | Sequence[Simulation] | ScenarioRun,
        *,
        speed: float = 1.0,
        paused: bool = False,
        step_size: float = 0.5,
        labels: Sequence[str] | None = None,
    ) -> None:
        self.scenario: ScenarioRun | None = source if isinstance(source, ScenarioRun) else None
        if isinstance(source, Simulation):
            self.sims: list[Simulation] = [source]
        elif self.scenario is None:
            self.sims = list(source)  # type: ignore[arg-type]
        else:
            self.sims = []
        self.labels = list(labels) if labels else None
        # Any speed within the ladder's ends plays as asked (`lbtutor lab --speed 3` is 3×, not
        # the nearest rung); + and - then step to the rungs beside it.
        self.speed = min(max(speed, SPEEDS[0]), SPEEDS[-1]) if math.isfinite(speed) else 1.0
        self.paused = paused
        self.step_size = step_size
        self.now = 0.0
        self.lagging = False
        self._behind = 0.0  # simulated seconds we could not keep up with, recently

    # ------------------------------------------------------------------ control
    def toggle_pause(self) -> bool:
        self.paused = not self.paused
        return self.paused

    def faster(self) -> float:
        bigger = [s for s in SPEEDS if s > self.speed]
        self.speed = bigger[0] if bigger else self.speed
        return self.speed

    def slower(self) -> float:
        smaller = [s for s in SPEEDS if s < self.speed]
        self.speed = smaller[-1] if smaller else self.speed
        return self.speed

    @property
    def done(self) -> bool:
        return self.scenario is not None and self.scenario.done

    def tick(self, wall_dt: float) -> None:
        """One frame: move simulated time on by wall_dt x speed, within the frame budget."""
        if self.paused or self.done or wall_dt <= 0:
            self.lagging = False
            return
        target = self.now + wall_dt * self.speed
        started = time.perf_counter()
        chunk = (target - self.now) / CHUNKS
        while self.now < target - 1e-12:
            self._advance(min(target, self.now + chunk))
            if time.perf_counter() - started > FRAME_BUDGET:
                break
        missed = max(0.0, target - self.now)
        self._behind = 0.8 * self._behind + missed
        self.lagging = self._behind > 0.5 * wall_dt * self.speed

    def run_to(self, t: float) -> None:
        """Jump to simulated time `t` at once (within a scenario's length)."""
        if self.scenario is not None:
            t = min(t, self.scenario.duration)
        while self.now < t - 1e-9 and not self.done:
            self._advance(min(t, self.now + 1.0))

    def step(self) -> None:
        """Single step (works while paused): advance `step_size` simulated seconds."""
        self._advance(self.now + self.step_size)

    def _advance(self, t: float) -> None:
        if self.scenario is not None:
            self.scenario.advance_to(t)
            self.now = self.scenario.now
            return
        for sim in self.sims:
            sim.advance_to(t)
        self.now = t

    # -------------------------------------------------------------------- views
    def panes(self) -> list[Pane]:
        if self.scenario is not None:
            return self.scenario.panes()
        labels = self.labels or [sim.algorithm for sim in self.sims]
        return [Pane(label, sim.snapshot()) for label, sim in zip(labels, self.sims, strict=False)]

    def headline(self) -> dict | None:
        """The scenario's headline metrics as they stand, or None for a plain engine lab."""
        if self.scenario is None:
            return None
        metrics = self.scenario.metrics()
        names = self.scenario.scenario.headline or tuple(metrics)
        return {name: metrics.get(name) for name in names}
