"""One widget that draws every server as a row: name, weight, state, load bar, numbers.

Drawn with the line API (`render_line`), so 256 servers cost one widget, not 256. Load is shown
by bar length and by a number; colour only reinforces it. Busy workers are solid blocks, queued
requests a shaded block, and a `│` marks capacity (the worker count). Under the rows a one-line
legend says what each glyph and number means, over which span the "% busy" is measured, and how
many requests a full bar stands for (the scale, which grows with a queue); every screen that
draws bars gets it, and it gives way only when the terminal is too short for it.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

from lbtutor.sim.readings import RECENT, SINCE, since_words, window_words
from lbtutor.sim.snapshot import ServerView, Snapshot

STATE_LABELS = {
    "healthy": "✓ up",
    "down": "✗ down",
    "draining": "↓ drain",
    "starting": "↑ start",
}
OUT_OF_ROTATION = "⊘ out"
BUSY, QUEUED, EMPTY, CAPACITY = "█", "▒", "·", "│"
MIN_BAR = 6
HOT = 0.9  # utilisation from which a bar is drawn in the warning colour
LEGEND_MIN_HEIGHT = 20  # terminals shorter than this many lines leave the legend out

SHRINK = 0.96  # per frame, while the bar scale is more than twice what the rows need


class ServerBars(Widget):
    """Rows of load bars for one snapshot. Call `show(snapshot, selected)` each frame."""

    COMPONENT_CLASSES = {
        "server-bars--name",
        "server-bars--busy",
        "server-bars--hot",
        "server-bars--queued",
        "server-bars--empty",
        "server-bars--down",
        "server-bars--selected",
        "server-bars--dim",
    }

    DEFAULT_CSS = """
    ServerBars {
        height: auto;
        min-height: 1;
    }
    ServerBars > .server-bars--name { text-style: bold; }
    ServerBars > .server-bars--busy { color: $success; }
    ServerBars > .server-bars--hot { color: $warning; }
    ServerBars > .server-bars--queued { color: $error; }
    ServerBars > .server-bars--empty { color: $foreground 30%; }
    ServerBars > .server-bars--down { color: $error; text-style: bold; }
    ServerBars > .server-bars--selected { background: $accent 30%; }
    ServerBars > .server-bars--dim { color: $foreground 60%; }
    """

    row_height = 1  # lines per server (LabBars draws taller rows)

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None,
        span: str = SINCE, legend: bool = True,
    ):
        super().__init__(name=name, id=id, classes=classes)
        self.span = span  # SINCE: % busy since the run's start; RECENT: over its recent window
        self.legend = legend
        self.snapshot: Snapshot | None = None
        self.selected: str | None = None
        self._scale = 1  # bar length in connections; see next_scale
        self._rows = 0
        self._marked: list[tuple] = []  # per row: row_key when it was last marked for redrawing
        self._styles: dict[str, Style] = {}
        self._name_width = NAME_WIDTH
        self._legend_drawn: tuple = ()
        self._legend_was = False

    def show(
        self, snapshot: Snapshot, selected: str | None = None, *, need: int | None = None, numbers: bool = True,
    ) -> None:
        """Draw `snapshot`. Bars side by side pass the `need` of them all (see `scale_need`), so
        the same number of connections is the same length in every one.

        Only the rows that changed are redrawn: at 32 servers and 30 frames a second most rows
        are unchanged from one frame to the next, and each costs as much as a line of text.
        With numbers=False (frames between the lab's text redraws) a row whose bar is the same
        waits for its served count and utilisation too."""
        before, before_selected, before_scale = self.snapshot, self.selected, self._scale
        self.snapshot = snapshot
        self.selected = selected
        self._scale = next_scale(self._scale, scale_need(snapshot) if need is None else need)
        servers = snapshot.servers
        rows = len(servers)
        keys = [row_key(s) for s in servers]
        # Names longer than the usual s1..s99 (a scenario's "recommendations", "static1") widen
        # the name column for every row, so the bars and numbers still line up.
        name_width = max([NAME_WIDTH, *(len(s.name) for s in servers)])
        renamed, self._name_width = name_width != self._name_width, name_width
        legend = self.legend_shown
        if rows != self._rows or legend != self._legend_was:
            self._legend_was = legend
            self.refresh(layout=True)
        elif before is None or selected != before_selected or self._scale != before_scale or not rows or renamed:
            self.refresh()
        else:
            marked = self._marked
            cut = BAR_FIELDS
            changed = [
                y for y, (key, was) in enumerate(zip(keys, marked, strict=True))
                if (key != was if numbers else key[:cut] != was[:cut])
            ]
            if changed:
                height, width = self.row_height, self.size.width
                self.refresh(*(Region(0, y * height, width, height) for y in changed))
                for y in changed:
                    marked[y] = keys[y]
            if self.legend_shown and self._legend_key() != self._legend_drawn:
                self.refresh(Region(0, rows * self.row_height, self.size.width, 1))
            self._rows = rows
            return
        self._rows = rows
        self._marked = keys

    def set_span(self, span: str) -> None:
        """Which busy share the rows show: SINCE or RECENT."""
        if span != self.span:
            self.span = span
            self._marked = []
            self._rows = -1  # every row, and the legend, drawn again
            self.refresh()

    @property
    def legend_shown(self) -> bool:
        """The legend line is drawn unless it is turned off or the terminal is too short."""
        return self.legend and self.snapshot is not None and self.app.size.height >= LEGEND_MIN_HEIGHT

    def _legend_key(self) -> tuple:
        snap = self.snapshot
        return (round(self._scale), self.span, round(snap.window) if snap else 0, self.size.width)

    def span_words(self) -> str:
        """What the % averages over, in words: "since start" or "last 10 s"."""
        snap = self.snapshot
        if snap is None:
            return ""
        return window_words(snap) if self.span == RECENT else since_words(snap.total)

    def legend_strip(self, width: int) -> Strip:
        self._legend_drawn = self._legend_key()
        text = legend_text(width, self.span_words(), round(self._scale))
        return Strip([Segment(text, self.style_of("server-bars--dim"))]).adjust_cell_length(width).apply_style(
            self.rich_style
        )

    def reset_scale(self) -> None:
        """A new run: the bars' length is measured afresh, not against the last run's peak."""
        self._scale = 1

    def style_of(self, component: str) -> Style:
        """A component class's style, kept until styles change (Textual forgets its own copy on
        every refresh, which is every frame here)."""
        style = self._styles.get(component)
        if style is None:
            style = self._styles[component] = self.get_component_rich_style(component)
        return style

    def notify_style_update(self) -> None:
        self._styles = {}
        super().notify_style_update()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        rows = max(1, len(self.snapshot.servers) * self.row_height) if self.snapshot else 1
        return rows + (1 if self.legend_shown and self.snapshot.servers else 0)  # type: ignore[union-attr]

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        snap = self.snapshot
        if snap is None or not snap.servers:
            text = "no servers: add one to take traffic" if snap is not None else ""
            dim = self.style_of("server-bars--dim")
            return Strip([Segment(text[:width], dim)]).adjust_cell_length(width).apply_style(self.rich_style)
        if y == len(snap.servers) * self.row_height and self.legend_shown:
            return self.legend_strip(width)
        if y >= len(snap.servers):
            return Strip.blank(width, self.rich_style)
        server = snap.servers[y]
        strip = Strip(self._row(server, width)).adjust_cell_length(width)
        if server.name == self.selected:
            strip = strip.apply_style(self.style_of("server-bars--selected"))
        return strip.apply_style(self.rich_style)

    def _row(self, s: ServerView, width: int) -> list[Segment]:
        style = self.style_of
        plain = Style()
        marker = "▶ " if s.name == self.selected else "  "
        state = STATE_LABELS.get(s.state, s.state)
        if s.state == "healthy" and not s.in_rotation:
            state = OUT_OF_ROTATION
        name_width = self._name_width
        if name_width > NAME_WIDTH:  # in a narrow pane a long name gives way before the bar does
            name_width = max(NAME_WIDTH, min(name_width, width - HEAD_FIXED - SHORT_NUMBERS - MIN_BAR))
        name = s.name if len(s.name) <= name_width else s.name[: name_width - 1] + "…"
        head = [
            Segment(marker, plain),
            Segment(f"{name:<{name_width}}", style("server-bars--name")),
            Segment(f" w{_short(s.weight):<4}", style("server-bars--dim")),
            Segment(f" {state:<8}", style("server-bars--down") if s.state == "down" else plain),
            Segment(" ", plain),
        ]
        head_width = sum(seg.cell_length for seg in head)
        load = f" {s.busy}/{s.workers}" + (f" +{str(s.queued) + 'q':<5}" if s.queued else "       ")
        busy = s.utilization if self.span == RECENT else s.utilization_total
        util = f" {round(100 * busy):>3}%"
        numbers = f"{load} {s.served:>7,} served{util} busy"
        if head_width + len(numbers) + 2 * MIN_BAR > width:  # narrow: keep the essentials
            numbers = f"{load}{util} busy"
            if head_width + len(numbers) + MIN_BAR > width:
                numbers = f"{load}{util}"
        bar_width = max(MIN_BAR, width - head_width - len(numbers))
        return head + self._bar(s, bar_width) + [Segment(numbers, plain)]

    def _bar(self, s: ServerView, width: int) -> list[Segment]:
        style = self.style_of
        if s.state == "down":
            return [Segment(("✗" + " " * (width - 1)), style("server-bars--down"))]
        scale = self._scale
        def cells(n: int) -> int:  # at least one cell for anything non-zero
            return 0 if n <= 0 else min(width, max(1, round(n * width / scale)))

        busy = cells(s.busy)
        queued = min(width - busy, cells(s.active) - busy)
        cap = min(width - 1, cells(s.workers))
        chars = [BUSY] * busy + [QUEUED] * max(0, queued)
        chars += [EMPTY] * (width - len(chars))
        if chars[cap] == EMPTY:
            chars[cap] = CAPACITY
        busy_style = style("server-bars--hot" if s.utilization >= HOT else "server-bars--busy")
        segments = []
        for ch, group_style in ((BUSY, busy_style), (QUEUED, style("server-bars--queued"))):
            n = chars.count(ch)
            if n:
                segments.append(Segment(ch * n, group_style))
        rest = "".join(chars[busy + max(0, queued):])
        segments.append(Segment(rest, style("server-bars--empty")))
        return segments


NAME_WIDTH = 5  # cells of the name column, unless a server's name is longer
HEAD_FIXED = 18  # a row's head besides the name: marker, weight and state
SHORT_NUMBERS = len(" 99/99") + len(" +99q  ") + len(" 100%")  # the numbers a narrow row keeps
BAR_FIELDS = 9  # row_key's first fields: what the bar and the words beside it show


def row_key(s: ServerView) -> tuple:
    """Everything a server's row shows: the bar (and its name, weight and state) first, then
    the numbers that change with every completion."""
    return (
        s.name, s.weight, s.state, s.in_rotation, s.workers, s.busy, s.active, s.queued, s.utilization >= HOT,
        s.served, round(100 * s.utilization), round(100 * s.utilization_total),
    )


# The legend's items in the order they read, and how the line gives way when narrow: each step
# shortens or drops one item; "█ busy ▒ queued", the span of "% busy" and the scale stay longest.
LEGEND_ITEMS = {
    "busy": "█ busy worker", "queued": "▒ queued", "free": "· free", "limit": "│ worker limit",
    "weight": "w1: weight 1", "numbers": "2/4 +3q: 2 of 4 workers busy, 3 queued",
}
LEGEND_STEPS = (
    ("free", ""), ("weight", ""), ("numbers", "+3q: 3 queued"), ("limit", "│ limit"), ("busy", "█ busy"),
    ("numbers", ""), ("limit", ""),
)


def legend_text(width: int, span: str, scale: int) -> str:
    """The one-line key to the bars for `width` cells: glyphs, numbers, the span of "% busy"
    and the scale ("full bar = 8 requests")."""
    items = dict(LEGEND_ITEMS)
    tails = (f"% busy {span}  full bar = {scale:,} requests", f"% busy {span}  bar = {scale:,}")
    for tail in tails:
        items = dict(LEGEND_ITEMS)
        for name, shorter in (("", ""), *LEGEND_STEPS):
            if name:
                items[name] = shorter
            text = "  ".join([*(item for item in items.values() if item), tail])
            if len(text) <= width:
                return text
    for text in (f"% busy {span} · bar = {scale:,}", f"% busy {span}"):
        if len(text) <= width:
            return text
    return ""


def scale_need(snapshot: Snapshot) -> int:
    """Connections a full bar should stand for now: the busiest server, and at least twice the
    worker count, so capacity (the `│`) sits mid-bar while nothing queues."""
    peak = max((s.active for s in snapshot.servers), default=0)
    capacity = max((s.workers for s in snapshot.servers), default=1)
    return max(peak, 2 * capacity)


def next_scale(scale: float, need: int) -> float:
    """The bar scale after a frame that needs `need`: it grows at once, so no bar overflows; it
    stays while the need is within half of it, so bars do not jump about; past that it shrinks
    by SHRINK a frame (four seconds at 30 frames from a queue of 2,000 back to 8 workers), so
    bars that a burst squeezed to a cell grow back once the queues drain."""
    if need >= scale:
        return need
    if 2 * need < scale:
        return max(2 * need, scale * SHRINK)
    return scale


def _short(value: float) -> str:
    return f"{value:g}" if value < 1000 else f"{value:.0e}"
