"""Formatting numbers with their units, the same way everywhere (CLI tables and the app)."""

from __future__ import annotations

import math


def seconds(value: float | None) -> str:
    """A duration with a unit a person reads at a glance: 2.35 s, 235 ms, 0.8 ms."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if math.isinf(value):
        return "∞"
    if value >= 100:
        return f"{value:,.0f} s"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 0.01:
        return f"{value * 1000:.0f} ms"
    return f"{value * 1000:.2f} ms"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f} req/s"


def number(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, int) or float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.{digits}g}"
