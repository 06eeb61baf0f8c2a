"""The lab's load bars: `ServerBars` with tall rows when there is room, and click to select.

With few servers the lab has height to spare, so each server gets two lines (three in presenter
mode) and its bar is drawn as thick, which reads from the back of a classroom. Clicking a row
selects that server.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.message import Message
from textual.strip import Strip

from lbtutor.sim.readings import SINCE
from lbtutor.ui.widgets.server_bars import ServerBars

HEAD_SEGMENTS = 5  # marker, name, weight, state, gap: what ServerBars draws before the bar
MAX_ROW_HEIGHT = 3


class LabBars(ServerBars):
    """Load bars, `row_height` lines per server (1 to 3)."""

    class Selected(Message):
        """The learner clicked a server's row."""

        def __init__(self, bars: LabBars, name: str) -> None:
            super().__init__()
            self.bars = bars
            self.name = name

    def __init__(self, *, id: str | None = None, classes: str | None = None, span: str = SINCE) -> None:
        super().__init__(id=id, classes=classes, span=span)
        self.row_height = 1
        self._bars_style: Style | None = None

    # Every row asks for the widget's style, which walks the ancestors each time; with hundreds of
    # rows redrawn thirty times a second that walk was a fifth of the lab's CPU. It changes only
    # when styles do, so keep it until then.
    @property
    def rich_style(self) -> Style:
        cached = self._bars_style
        if cached is None:
            cached = self._bars_style = super().rich_style
        return cached

    def notify_style_update(self) -> None:
        self._bars_style = None
        super().notify_style_update()

    def set_row_height(self, height: int) -> None:
        height = max(1, min(MAX_ROW_HEIGHT, height))
        if height != self.row_height:
            self.row_height = height
            self.refresh(layout=True)

    def render_line(self, y: int) -> Strip:
        if self.row_height == 1:
            return super().render_line(y)
        snap = self.snapshot
        if snap is not None and snap.servers and y == len(snap.servers) * self.row_height and self.legend_shown:
            return self.legend_strip(self.size.width)
        index, sub = divmod(y, self.row_height)
        if sub == (self.row_height - 1) // 2:  # the words on the middle line (the first of two)
            return super().render_line(index)
        snap = self.snapshot
        width = self.size.width
        if snap is None or index >= len(snap.servers):
            return Strip.blank(width, self.rich_style)
        server = snap.servers[index]
        row = self._row(server, width)
        head = sum(seg.cell_length for seg in row[:HEAD_SEGMENTS])
        tail = row[-1].cell_length
        segments = [Segment(" " * head), *row[HEAD_SEGMENTS:-1], Segment(" " * tail)]
        strip = Strip(segments).adjust_cell_length(width)
        if server.name == self.selected:
            strip = strip.apply_style(self.style_of("server-bars--selected"))
        return strip.apply_style(self.rich_style)

    def on_click(self, event: events.Click) -> None:
        snap = self.snapshot
        if snap is None:
            return
        index = event.y // self.row_height
        if 0 <= index < len(snap.servers):
            self.post_message(self.Selected(self, snap.servers[index].name))
