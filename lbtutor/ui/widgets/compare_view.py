"""The lab's panes: one bordered box per simulation, side by side (stacked when narrow).

Alone, the pane shows the one algorithm. In compare mode each box is one algorithm on the very
same requests, with its whole-run p50/p95/p99 and lost requests in large type, and the winner
on p99 and on lost requests marked with a word and a star, not by colour alone.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content

from lbtutor.sim.lab_session import PaneView, Verdict, seconds_text
from lbtutor.ui.widgets.lab_bars import LabBars
from lbtutor.ui.widgets.lab_text import LabText, pack_figures
from lbtutor.ui.widgets.server_bars import scale_need

MAX_PANES = 5
MIN_PANE_WIDTH = 52  # below this per pane, panes stack


class LabPane(Vertical):
    """One simulation: counts, load bars, and (comparing) its whole-run figures."""

    DEFAULT_CSS = """
    LabPane {
        height: auto;
        width: 1fr;
        border: round $primary 50%;
        border-title-style: bold;
        border-title-color: $text;
        border-subtitle-color: $text-success;
        border-subtitle-style: bold;
        padding: 0 1;
    }
    LabPane.-active {
        border: heavy $accent;
    }
    LabPane.-winner {
        border: double $success;
    }
    LabPane.-active.-winner {
        border: heavy $success;
    }
    LabPane > .pane-counts {
        height: auto;
        color: $text-muted;
    }
    LabPane > .pane-figures {
        height: auto;
        margin-top: 1;
    }
    """

    def __init__(self, index: int) -> None:
        super().__init__(classes="lab-pane")
        self.index = index

    def compose(self) -> ComposeResult:
        yield LabText(classes="pane-counts")
        yield LabBars()
        yield LabText(classes="pane-figures")

    def show(
        self, pane: PaneView, *, selected: str | None, title: str, badges: str, figures: Content | None,
        row_height: int, active: bool, winner: bool, need: int | None = None,
    ) -> None:
        if self.border_title != title:
            self.border_title = title
        if self.border_subtitle != badges:
            self.border_subtitle = badges
        self.set_class(active, "-active")
        self.set_class(winner, "-winner")
        counts = self.query_one(".pane-counts", LabText)
        counts.show(counts_content(pane, figures is not None, counts.content_region.width))
        bars = self.query_one(LabBars)
        bars.set_row_height(row_height)
        bars.show(pane.snapshot, selected, need=need)
        box = self.query_one(".pane-figures", LabText)
        box.display = figures is not None
        if figures is not None:
            box.show(figures)


class LabPanes(Horizontal):
    """Up to four panes; `show` draws the panes it is given and hides the rest."""

    DEFAULT_CSS = """
    LabPanes {
        height: auto;
    }
    LabPanes.-stacked {
        layout: vertical;
    }
    LabPanes > LabPane {
        margin-right: 1;
    }
    LabPanes.-stacked > LabPane {
        margin-right: 0;
    }
    """

    _count = 1

    def compose(self) -> ComposeResult:
        for i in range(MAX_PANES):
            yield LabPane(i)

    def on_resize(self) -> None:
        self._restack()  # the first layout, or a resized terminal, even while paused

    def _restack(self) -> None:
        width = self.size.width
        self.set_class(bool(width) and self._count > 1 and width // self._count < MIN_PANE_WIDTH, "-stacked")

    def show(
        self, panes: list[PaneView], *, selected: str | None, active: int, comparing: bool,
        verdict: Verdict | None, row_height: int,
    ) -> None:
        self._count = len(panes)
        self._restack()
        need = _shared_need(panes)
        for view in self.query_children(LabPane):
            i = view.index
            if i >= len(panes):
                view.display = False
                continue
            view.display = True
            pane = panes[i]
            badges = []
            winner = False
            if verdict is not None and verdict.p99_winner == i:
                badges.append("★ best p99")
                winner = True
            if verdict is not None and verdict.loss_winner == i:
                badges.append("★ fewest lost")
                winner = True
            label = pane.label
            if comparing:
                label = f"{i + 1}. {label}"
                if i == active:
                    label = f"▸ {label} ◂ (a changes it)"
            view.show(
                pane,
                selected=selected,
                title=label,
                badges="  ".join(badges),
                figures=figures_content(pane) if comparing else None,
                row_height=row_height,
                active=comparing and i == active,
                winner=winner,
                need=need,
            )

    def show_bars(self, panes: list[PaneView], *, selected: str | None) -> None:
        """Only the load bars (between redraws of the numbers)."""
        need = _shared_need(panes)
        for view in self.query_children(LabPane):
            if view.index < len(panes) and view.display:
                view.query_one(LabBars).show(panes[view.index].snapshot, selected, need=need, numbers=False)

    def reset_scale(self) -> None:
        """A new run starts: every pane measures its bars afresh, all on one scale again."""
        for bars in self.query(LabBars):
            bars.reset_scale()


def _shared_need(panes: list[PaneView]) -> int:
    """One bar scale for every pane: side by side, four connections are as long on the left as
    on the right, so the eye compares the algorithms and not their scales."""
    return max((scale_need(p.snapshot) for p in panes), default=1)


def counts_content(pane: PaneView, comparing: bool = False, width: int = 0) -> Content:
    """Arrived, done, in flight and lost, on one line of `width` cells where they fit. Narrow
    (side by side, big counts) the in-flight count goes first, as it is the difference of the
    others; past that the figures wrap between themselves, never cutting one off its word."""
    snap = pane.snapshot
    parts = [f"{snap.arrived:,} arrived", f"{snap.completed:,} done"]
    in_flight = f"{snap.in_flight:,} in flight"
    parts.append(in_flight)
    if comparing:  # narrower boxes: dropped and failed together, as the verdict counts them
        if snap.dropped + snap.failed:
            parts.append(f"{snap.dropped + snap.failed:,} lost")
    else:
        if snap.dropped:
            parts.append(f"{snap.dropped:,} dropped")
        if snap.failed:
            parts.append(f"{snap.failed:,} failed")
    if pane.note:
        parts.append(pane.note)
    separator = " · "
    if width and len(separator.join(parts)) > width:
        parts.remove(in_flight)
    return pack_figures(parts, width, separator)  # width 0 (not laid out yet): one line


def figures_content(pane: PaneView) -> Content:
    """Compare mode's big figures: whole-run percentiles and lost requests."""
    run = pane.run
    if run is None:
        return Content("")
    lost = run.dropped + run.failed
    return Content.assemble(
        ("Whole run, same requests on every side\n", "$text-muted"),
        "p50 ", (seconds_text(run.p50), "bold"),
        "   p95 ", (seconds_text(run.p95), "bold"),
        "   p99 ", (f" {seconds_text(run.p99)} ", "bold reverse"),
        "   lost ", (f" {lost:,} ", "bold reverse" if lost else "bold"),
    )


def verdict_content(verdict: Verdict | None) -> Content:
    if verdict is None:
        return Content("")
    lines: list = []
    for winner, text in ((verdict.p99_winner, verdict.p99_text), (verdict.loss_winner, verdict.loss_text)):
        if not text:
            continue
        if lines:
            lines.append("\n")
        mark = "★ " if winner is not None else "= "
        lines.append((mark + text, "bold $text-success" if winner is not None else "bold"))
    return Content.assemble(*lines)
