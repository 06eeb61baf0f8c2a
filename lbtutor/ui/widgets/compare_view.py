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
from lbtutor.sim.readings import SINCE, headline_row
from lbtutor.ui.widgets.lab_bars import LabBars
from lbtutor.ui.widgets.lab_text import LabText, labelled_rows
from lbtutor.ui.widgets.server_bars import scale_need

MAX_PANES = 5
MIN_PANE_WIDTH = 52  # below this per pane, panes stack


def side_by_side(width: int, count: int, gap: int = 1) -> bool:
    """Whether `count` panes go side by side in `width` cells: by the width each pane would get
    (`gap` cells between them), not by the terminal's. Narrower than MIN_PANE_WIDTH a pane
    cuts its "+5q" or splits "205 ms" from its unit, so they stack."""
    return count <= 1 or (width - gap * (count - 1)) // count >= MIN_PANE_WIDTH


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
        self._counts: tuple[PaneView, str] | None = None  # what the counts line last showed

    def on_resize(self) -> None:
        """Pack the counts again for the new width: a pane first drawn before its layout (compare
        mode turned on while paused) had its figures on one line, wrapped inside 'mean busy 0%'."""
        if self._counts is not None:
            pane, span = self._counts
            counts = self.query_one(".pane-counts", LabText)
            counts.show(counts_content(pane, counts.content_region.width, span))

    def compose(self) -> ComposeResult:
        yield LabText(classes="pane-counts")
        yield LabBars()
        yield LabText(classes="pane-figures")

    def show(
        self, pane: PaneView, *, selected: str | None, title: str, badges: str, figures: Content | None,
        row_height: int, active: bool, winner: bool, need: int | None = None, span: str = SINCE,
    ) -> None:
        if self.border_title != title:
            self.border_title = title
        if self.border_subtitle != badges:
            self.border_subtitle = badges
        self.set_class(active, "-active")
        self.set_class(winner, "-winner")
        counts = self.query_one(".pane-counts", LabText)
        counts.show(counts_content(pane, counts.content_region.width, span))
        self._counts = (pane, span)
        bars = self.query_one(LabBars)
        bars.set_row_height(row_height)
        bars.set_span(span)
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
        self.set_class(bool(width) and not side_by_side(width, self._count), "-stacked")

    def show(
        self, panes: list[PaneView], *, selected: str | None, active: int, comparing: bool,
        verdict: Verdict | None, row_height: int, span: str = SINCE,
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
                span=span,
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


def counts_content(pane: PaneView, width: int = 0, span: str = SINCE) -> Content:
    """The pane's headline, under the span it counts over ("since start" or "last 10 s"):
    arrived, done, in flight, lost, rate, latency, busy share; wrapped between figures, never
    cutting one off its word."""
    head, figures = headline_row(pane.snapshot, span)
    if pane.note:
        figures.append(pane.note)
    return labelled_rows([(head, figures)], width)


def figures_content(pane: PaneView) -> Content:
    """Compare mode's big figures: whole-run percentiles and lost requests."""
    run = pane.run
    if run is None:
        return Content("")
    lost = run.dropped + run.failed
    return Content.assemble(
(f"{since_words_of(run)}, same requests on every side\n", "$text-muted"),
        "p50 ", (seconds_text(run.p50), "bold"),
        "   p95 ", (seconds_text(run.p95), "bold"),
        "   p99 ", (f" {seconds_text(run.p99)} ", "bold reverse"),
        "   lost ", (f" {lost:,} ", "bold reverse" if lost else "bold"),
    )


def since_words_of(run) -> str:
    return "Since start" if run.since <= 0 else f"Since {run.since:,.0f} s"


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
