"""The lab's "Repeat over 20 seeds": the compared setups run again over 20 seeds, side by side.

One run of a comparison is one draw: a side can win on p99 by luck. Repeating the same setup
(the same servers, traffic and algorithms) over seeds seed, seed+1, ... gives each side's mean
and 95% interval for every figure the lab reads, and says whether the winner's interval and the
runner-up's overlap: if they do, one run could have shown either order ("not a clear winner on
p99 at this load"). Every seed keeps the sides on identical traffic, as the live lab does.

Plain Python (no Textual): the lab screen runs it in a worker thread and draws what it returns.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from lbtutor.sim.presets import LabSetup
from lbtutor.sim.replications import Interval, interval

REPEAT_SEEDS = 20
MIN_DURATION = 60.0  # simulated seconds each repeat runs (a short run says little), budget allowing
REPEAT_BUDGET = 250_000  # requests over all seeds and sides: about a second of one core

# (key, label, better): what the lab reads for each side; "low" means lower is better.
FIGURES: tuple[tuple[str, str, str], ...] = (
    ("p50", "p50", "low"),
    ("p95", "p95", "low"),
    ("p99", "p99", "low"),
    ("mean", "mean latency", "low"),
    ("lost", "lost requests", "low"),
    ("throughput", "finished req/s", "high"),
)
UNITS = {"p50": "s", "p95": "s", "p99": "s", "mean": "s", "lost": "requests", "throughput": "req/s"}


class Cancelled(Exception):
    """The repeat was stopped before it finished (the lab changed or closed)."""


@dataclass(frozen=True)
class FigureVerdict:
    """Who is best on one figure over the seeds, and whether that is clear."""

    figure: str
    label: str
    winner: int | None  # side index; None when every side is equal
    runner_up: int | None
    clear: bool  # the winner's interval and the runner-up's do not overlap
    text: str


@dataclass(frozen=True)
class RepeatResult:
    labels: tuple[str, ...]
    first_seed: int
    seeds: int
    duration: float  # simulated seconds each run lasted
    figures: dict[str, tuple[Interval | None, ...]]  # figure -> one interval per side (None: no data)
    verdicts: tuple[FigureVerdict, ...]

    def verdict(self, figure: str) -> FigureVerdict:
        return next(v for v in self.verdicts if v.figure == figure)


def repeat_duration(setup: LabSetup, elapsed: float, seeds: int = REPEAT_SEEDS) -> float:
    """How long each repeat runs: as long as the run on screen (at least MIN_DURATION), within
    REPEAT_BUDGET requests over all seeds and sides together, so it takes about a second."""
    sides = max(1, len(setup.algorithms))
    rate = max(setup.arrival_rate, 1e-9)
    budget = REPEAT_BUDGET / (seeds * sides * rate)
    return max(1.0, min(max(MIN_DURATION, elapsed), budget))


def run_side_figures(sim, duration: float) -> dict[str, float | None]:
    """Advance one simulation to `duration` and read the lab's figures from it."""
    from lbtutor.sim.metrics import summarize

    sim.advance_to(duration)
    latency = summarize(sim.latencies or [])
    return {
        "p50": latency.p50, "p95": latency.p95, "p99": latency.p99, "mean": latency.mean,
        "lost": float(sim.dropped + sim.failed), "throughput": sim.completed / duration if duration > 0 else 0.0,
    }  # fmt: skip


def repeat_setup(
    setup: LabSetup,
    duration: float,
    seeds: int = REPEAT_SEEDS,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> RepeatResult:
    """Run `setup` (every side) for `duration` simulated seconds on seeds setup.seed, +1, ...

    progress(done, seeds) is called after each seed; cancelled() is polled between runs and
    stops the repeat with Cancelled."""
    from lbtutor.sim.engine import Simulation

    def make(config, traffic):
        return Simulation(config, traffic=traffic, keep_latencies=True)

    labels = tuple(setup.algorithms)
    values: dict[str, list[list[float]]] = {key: [[] for _ in labels] for key, _, _ in FIGURES}
    for i in range(seeds):
        for side, sim in enumerate(setup.with_(seed=setup.seed + i).build(make)):
            if cancelled is not None and cancelled():
                raise Cancelled
            figures = run_side_figures(sim, duration)
            for key, value in figures.items():
                if value is not None and math.isfinite(value):
                    values[key][side].append(value)
        if progress is not None:
            progress(i + 1, seeds)
    intervals = {key: tuple(interval(v) if v else None for v in per_side) for key, per_side in values.items()}
    verdicts = tuple(_verdict(key, label, better, intervals[key], labels) for key, label, better in FIGURES)
    return RepeatResult(labels, setup.seed, seeds, duration, intervals, verdicts)


def _verdict(key: str, label: str, better: str, sides: tuple[Interval | None, ...], labels: tuple[str, ...]) -> FigureVerdict:
    ranked = [i for i in range(len(sides)) if sides[i] is not None]
    if len(ranked) < 2:
        return FigureVerdict(key, label, None, None, False, f"{label}: too few runs to compare")
    sign = 1.0 if better == "low" else -1.0
    ranked.sort(key=lambda i: sign * sides[i].mean)  # type: ignore[union-attr]
    best, second = ranked[0], ranked[1]
    a, b = sides[best], sides[second]
    assert a is not None and b is not None
    if a.mean == b.mean:
        if key == "lost" and a.mean == 0:
            return FigureVerdict(key, label, None, None, False, f"no requests lost on any side in any of the {a.n} runs")
        return FigureVerdict(key, label, None, None, False, f"{label}: a tie ({labels[best]} and {labels[second]})")
    if a.overlaps(b):
        text = (f"not a clear winner on {label} at this load: {labels[best]} is ahead on average, "
                f"but its interval overlaps {labels[second]}'s, so one run can show either order")
        return FigureVerdict(key, label, best, second, False, text)
    text = (f"{labels[best]} wins on {label} at this load: over {a.n} seeds its interval "
            f"does not overlap {labels[second]}'s")
    return FigureVerdict(key, label, best, second, True, text)
