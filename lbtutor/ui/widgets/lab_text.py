"""A Static for text that changes every frame: it redraws only when the text changed, and asks
for a new layout only when the number of lines it needs changed (a layout costs far more than
a redraw, and at 30 frames a second that difference is most of the lab's CPU)."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widgets import Static


def pack_figures(figures: Sequence[Content | str], width: int, gap: str = " · ") -> Content:
    """Figures side by side, `gap` between them, lines broken between figures and never inside
    one ('1,280 lost' stays whole; 'waited short lc' never ends a line without its '0.0%').
    A width of 0 (not laid out yet) keeps them on one line."""
    lines: list[Content] = []
    for figure in (Content(f) if isinstance(f, str) else f for f in figures):
        if lines and (not width or lines[-1].cell_length + len(gap) + figure.cell_length <= width):
            lines[-1] = Content.assemble(lines[-1], gap, figure)
        else:
            lines.append(figure)
    return Content("\n").join(lines)


def labelled_rows(rows: Sequence[tuple[str, Sequence[Content | str]]], width: int) -> Content:
    """Rows of figures, each under a heading that says what span it covers ("since start",
    "last 10 s"): the headings in a column, the figures packed beside them (see pack_figures)
    and wrapped lines indented under the first."""
    if not rows:
        return Content("")
    head = max(len(span) for span, _ in rows) + 2
    lines: list[Content] = []
    for span, figures in rows:
        packed = pack_figures(figures, max(1, width - head) if width else 0)
        for k, line in enumerate(packed.split("\n")):
            label = Content.styled(f"{span:<{head}}", "$text-muted") if k == 0 else Content(" " * head)
            lines.append(Content.assemble(label, line))
    return Content("\n").join(lines)


def headline_figures(scenario, values: dict) -> list[Content]:
    """A scenario's headline metrics as figures, each in words with its value in bold and its
    unit said once ("51 failed requests", "mean latency, one server, before it died 3.23 s")."""
    metrics = {m.name: m for m in scenario.metrics}
    figures = []
    for name, value in values.items():
        metric = metrics.get(name)
        if metric is None:
            before, shown, after = name.replace("_", " "), str(value), ""
        else:
            before, shown, after = metric.reading(value)
        figures.append(Content.assemble(
            (before + " ", "") if before else "", (shown, "bold"), (" " + after, "") if after else "",
        ))
    return figures


class LabText(Static):
    def __init__(self, content: Content | str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(content, id=id, classes=classes)
        self._shown: Content | None = None
        self._lines: tuple[int, int] | None = None

    def show(self, content: Content | str) -> None:
        if isinstance(content, str):
            content = Content(content)
        if content == self._shown:
            return
        width = self.content_region.width
        lines = (width, content.get_height(self.styles, width)) if width else None
        layout = lines is None or lines != self._lines
        self._shown, self._lines = content, lines
        self.update(content, layout=layout)

    def on_resize(self) -> None:
        self._lines = None  # the next show lays out again at the new width
