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


def metric(value: object, unit: str) -> str:
    """A scenario metric with its unit (see Metric.unit): 1,234 requests, 12.5%, 2.20×, 142 ms."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" + (f" {unit}" if unit and unit not in ("count", "fraction") else "")
    if isinstance(value, float):
        if unit == "fraction":
            return f"{value * 100:.1f}%"
        if unit == "x":
            return f"{value:.2f}×"
        if unit == "s":
            return seconds(value)
        return _significant(value) + (f" {unit}" if unit else "")
    return str(value)


def _significant(value: float) -> str:
    """3 significant figures for small numbers, whole numbers with separators for big ones."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


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

