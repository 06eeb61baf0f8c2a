"""A small line chart over time: several series on one shared scale (latency by default, or
a scenario's own series: failures per second, instances, connections).

Each series has its own glyph as well as its own colour, so the chart reads without colour. The
y axis starts at zero and ends at a round number above the highest point shown; the newest
point is at the right edge. The legend never cuts a series' name: where one line is too narrow
the span and title give way, then the legend takes a second line. Drawn with the line API from
a grid computed once per `show`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

AXIS = 8  # columns for the y-axis labels
OFF_SCALE = -2  # grid mark: a point above the top of the scale
OUTLIER = 3.0  # points this many times the 90th percentile of those shown go off the scale
SIDE_GLYPHS = ("●", "▲", "■", "◆", "✚")  # one per series, each its own shape


@dataclass(frozen=True)
class Series:
    label: str
    glyph: str
    values: Sequence[float | None]  # oldest first; None where there is no figure yet


class LatencyChart(Widget):
    """Call `show(series, span)`; series later in the list are drawn on top."""

    COMPONENT_CLASSES = {
        "latency-chart--axis",
        "latency-chart--legend",
        "latency-chart--s0",
        "latency-chart--s1",
        "latency-chart--s2",
        "latency-chart--s3",
    }

    DEFAULT_CSS = """
    LatencyChart {
        height: 8;
    }
    LatencyChart > .latency-chart--axis { color: $foreground 50%; }
    LatencyChart > .latency-chart--legend { text-style: bold; }
    LatencyChart > .latency-chart--s0 { color: $success; }
    LatencyChart > .latency-chart--s1 { color: $warning; }
    LatencyChart > .latency-chart--s2 { color: $error; text-style: bold; }
    LatencyChart > .latency-chart--s3 { color: $accent; text-style: bold; }
    """

    def __init__(self, *, title: str = "", id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._title = title
        self.series: list[Series] = []
        self.span = 0.0
        self.top = 0.0
        self._grid: list[list[int]] = []  # per plot row: series index per column, -1 for empty
        self._width = 0
        self.clipped = False
        self.unit = "s"  # "s": seconds on the axis; "fraction": a share in %; "": plain numbers
        self._legend_lines: list[list[Segment]] = [[]]

    @property
    def title(self) -> str:
        return self._title

    @title.setter
    def title(self, title: str) -> None:
        self._title = title
        self._legend_lines = self._legend(self.size.width)

    def show(self, series: Sequence[Series], span: float = 0.0, title: str | None = None, unit: str = "s") -> None:
        """Draw these series; nothing is redrawn if the picture would be the same."""
        before = (self._grid, self.top, self.clipped, round(self.span), self.title, self.unit,
                  [(s.label, s.glyph) for s in self.series])
        self.series = list(series)
        self.span = span
        self.unit = unit
        if title is not None:
            self._title = title
        self._layout()
        after = (self._grid, self.top, self.clipped, round(self.span), self.title, self.unit,
                 [(s.label, s.glyph) for s in self.series])
        if after != before:
            self.refresh()

    def on_resize(self) -> None:
        self._layout()

    @property
    def plot_rows(self) -> int:
        return max(2, self.size.height - len(self._legend_lines))

    def _layout(self) -> None:
        cols = max(1, self.size.width - AXIS)
        self._width = cols
        shown = [list(s.values)[-cols:] for s in self.series]
        self.top = scale_top([v for values in shown for v in values if v is not None])
        # The legend says "↑ above the scale" for these values (it was drawn for the last ones).
        self.clipped = self.top > 0 and any(v is not None and v > self.top * (1 + 1e-9) for vs in shown for v in vs)
        self._legend_lines = self._legend(self.size.width)
        rows = self.plot_rows
        grid = [[-1] * cols for _ in range(rows)]
        if self.top > 0:
            for k, values in enumerate(shown):
                offset = cols - len(values)
                for x, v in enumerate(values):
                    if v is None:
                        continue
                    if v > self.top * (1 + 1e-9):
                        grid[0][offset + x] = OFF_SCALE
                        continue
                    level = min(rows - 1, max(0, round(v / self.top * (rows - 1))))
                    grid[rows - 1 - level][offset + x] = k
        self._grid = grid

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        style = self.get_component_rich_style
        legend = self._legend_lines
        if y < len(legend):
            return Strip(legend[y]).adjust_cell_length(width).apply_style(self.rich_style)
        row = y - len(legend)
        if row >= len(self._grid):
            return Strip.blank(width, self.rich_style)
        rows = len(self._grid)
        if row == 0:
            label = axis_label(self.top, self.unit) if self.top else ""
        elif row == rows - 1:
            label = "0"
        elif row == rows // 2 and self.top:
            label = axis_label(self.top * (rows - 1 - row) / (rows - 1), self.unit)
        else:
            label = ""
        segments = [Segment(f"{label:>{AXIS - 2}} ┤" if label else " " * (AXIS - 1) + "│", style("latency-chart--axis"))]
        line = self._grid[row]
        run_start = 0
        for x in range(1, len(line) + 1):
            if x == len(line) or line[x] != line[run_start]:
                k = line[run_start]
                n = x - run_start
                if k == OFF_SCALE:
                    segments.append(Segment("↑" * n, style("latency-chart--axis")))
                elif k < 0:
                    segments.append(Segment(" " * n, Style()))
                else:
                    segments.append(Segment(self.series[k].glyph * n, style(f"latency-chart--s{k % 4}")))
                run_start = x
        return Strip(segments).adjust_cell_length(width).apply_style(self.rich_style)

    def _legend(self, width: int) -> list[list[Segment]]:
        """Title, one glyph and label per series, and the span shown, on one line. Where that is
        too wide the span shortens, then goes; past that the title takes a line of its own (it
        says what the chart measures, so it never goes) and the series follow: a series' name is
        never cut."""
        style = self.get_component_rich_style
        entries: list[list[Segment]] = []
        for k, s in enumerate(self.series):
            entries.append([Segment(f"{s.glyph} ", style(f"latency-chart--s{k % 4}")), Segment(f"{s.label}   ", Style())])
        if self.clipped:
            entries.append([Segment("↑ above the scale   ", style("latency-chart--axis"))])
        series = [seg for entry in entries for seg in entry]
        title = [Segment(self.title + "  ", style("latency-chart--legend"))] if self.title else []
        spans: list[list[Segment]] = [[]]
        if self.span > 0:
            spans = [
                [Segment(f"{self.span:,.0f} s of the run ⟶ now", style("latency-chart--axis"))],
                [Segment(f"{self.span:,.0f} s ⟶ now", style("latency-chart--axis"))],
                [],
            ]
        if not width:
            return [title + series]
        for candidate in [title + series + span for span in spans]:
            if _cells(candidate) <= width:
                return [candidate]
        lines: list[list[Segment]] = [title] if title and _cells(title) <= width else []
        line: list[Segment] = []
        for entry in entries:  # whole entries a line: glyph and label stay together
            if line and _cells(line + entry) > width:
                lines.append(line)
                line = []
            line = line + entry
        return [*lines, line] if line else lines or [[]]


def show_scenario_chart(chart: LatencyChart, run) -> None:
    """A scenario's own chart: the series its story is about (`Scenario.chart`), over time."""
    declared = run.scenario.chart
    columns = max(1, chart.size.width - AXIS)
    series = [
        Series(c.label, SIDE_GLYPHS[i % len(SIDE_GLYPHS)], thinned(run.series(c), columns))
        for i, c in enumerate(declared)
    ]
    timeline = run.timeline
    span = timeline[-1]["t"] - timeline[0]["t"] if len(timeline) > 1 else 0.0
    chart.show(series, span, run.scenario.chart_title, unit=declared[0].unit)


def thinned(values: list, columns: int) -> list:
    """At most `columns` values spread evenly over the whole list, the newest kept: the run so
    far, one point per column."""
    if len(values) <= columns:
        return values
    step = len(values) / columns
    return [values[len(values) - 1 - int(i * step)] for i in range(columns)][::-1]


def _cells(segments: list[Segment]) -> int:
    return cell_len("".join(seg.text for seg in segments).rstrip())


def scale_top(values: list[float]) -> float:
    """The top of the y axis: above every point, except rare spikes far above the rest (those
    are drawn as ↑ at the top, so the everyday values keep a readable scale)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    typical = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    kept = [v for v in ordered if v <= OUTLIER * typical] if typical > 0 else ordered
    return nice_ceiling(max(kept or ordered))


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `value`."""
    if value <= 0 or not math.isfinite(value):
        return 0.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value * (1 - 1e-12):
            return step * power
    return 10 * power


def axis_label(value: float, unit: str) -> str:
    """An axis figure in the chart's unit: "250 ms", "40%", "12"."""
    if unit == "s":
        return seconds(value)
    if unit == "fraction":
        return f"{value * 100:.0f}%"
    return f"{value:,.3g}" if value < 1000 else f"{value:,.0f}"


def seconds(value: float) -> str:
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 10:
        return f"{value:.3g} s"
    return f"{value:.0f} s"
