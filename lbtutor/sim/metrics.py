"""Turning latencies and counters into the figures a person reads: percentiles, fairness."""

from __future__ import annotations

import math
from collections.abc import Sequence

from lbtutor.sim.snapshot import LatencySummary


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of an already sorted, non-empty sequence."""
    n = len(sorted_values)
    rank = max(1, math.ceil(q / 100.0 * n))
    return sorted_values[min(rank, n) - 1]


def summarize(values: Sequence[float]) -> LatencySummary:
    if not values:
        return LatencySummary(0, None, None, None, None, None)
    s = sorted(values)
    return LatencySummary(
        count=len(s),
        mean=math.fsum(s) / len(s),
        p50=percentile(s, 50),
        p95=percentile(s, 95),
        p99=percentile(s, 99),
        max=s[-1],
    )


def jain_index(values: Sequence[float]) -> float | None:
    """Jain's fairness index: 1 when all equal, 1/n when one server takes everything."""
    if not values:
        return None
    total = math.fsum(values)
    squares = math.fsum(v * v for v in values)
    if squares == 0:
        return 1.0
    return total * total / (len(values) * squares)


def max_over_mean(values: Sequence[float]) -> float | None:
    if not values:
        return None
    mean = math.fsum(values) / len(values)
    return max(values) / mean if mean > 0 else 1.0
