"""How often live labs redraw: `--fps`, `TEXTUAL_ANIMATIONS`, and a pacer that keeps simulated time honest.

The simulation always advances `SIM_HZ` times a second, whatever the frame rate, so a lab shows the
same simulated seconds per wall second at 4 fps as at 30; only how often the bars are redrawn
changes. Plain Python (no Textual import), so the command line can check `--fps` cheaply.
"""

from __future__ import annotations

import math

DEFAULT_FPS = 30
REDUCED_FPS = 4  # TEXTUAL_ANIMATIONS=none or basic: projectors, SSH, people who want less motion
MIN_FPS, MAX_FPS = 1, 60
SIM_HZ = 30  # simulation steps a second: small steps keep every key responsive at any frame rate
MAX_STEP = 0.25  # wall seconds one step may cover after a stall (it does not try to catch up more)


def default_fps(animation_level: str) -> int:
    """The frame rate when `--fps` is not given: low when the terminal asked for less animation."""
    return REDUCED_FPS if animation_level in ("none", "basic") else DEFAULT_FPS


def check_fps(value: object) -> int:
    """A whole number of frames a second from 1 to 60; ValueError says what is wrong."""
    try:
        fps = int(str(value).strip(), 10)
    except ValueError:
        raise ValueError(f"must be a whole number from {MIN_FPS} to {MAX_FPS} (got {value!r})") from None
    if not MIN_FPS <= fps <= MAX_FPS:
        raise ValueError(f"must be from {MIN_FPS} to {MAX_FPS} (got {fps})")
    return fps


class FramePacer:
    """Splits a lab's timer ticks into simulation steps (every tick) and redraws (at `fps`).

    The owner calls `set_interval(pacer.interval, ...)`; on each tick `step(now)` gives the wall
    seconds to advance the simulation by and `draw_due(now)` says whether to redraw this time.
    """

    def __init__(self, fps: int = DEFAULT_FPS) -> None:
        self.fps = max(MIN_FPS, min(MAX_FPS, int(fps)))
        self.interval = 1.0 / max(self.fps, SIM_HZ)
        self._last_step = 0.0
        self._next_draw = -math.inf

    def start(self, now: float) -> None:
        """The clock (re)starts: the first step covers only time from now, the first tick draws."""
        self._last_step = now
        self._next_draw = -math.inf

    def step(self, now: float) -> float:
        dt = min(now - self._last_step, MAX_STEP)
        self._last_step = now
        return max(0.0, dt)

    def draw_due(self, now: float) -> bool:
        """Redraws keep to a grid of 1/fps, so timer jitter neither adds frames nor loses them."""
        if now + 0.25 * self.interval < self._next_draw:
            return False
        period = 1.0 / self.fps
        following = self._next_draw + period
        self._next_draw = following if following > now else now + period
        return True
