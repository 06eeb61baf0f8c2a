"""Compare mode's "Repeat over 20 seeds": the same sides over 20 seeds, each figure's mean and interval.

A learner who watched one run saw one draw. This box reruns the compared setups (same servers,
traffic and algorithms, each seed on identical traffic for every side) over 20 seeds in a worker
thread, then shows every figure the lab reads as a mean with its 95% interval per side, marks
the winner when its interval is clear of the runner-up's, and says so when it is not: "not a
clear winner on p99 at this load". The numbers come from lbtutor.sim.lab_repeat.
"""

from __future__ import annotations

import contextlib

from textual.content import Content
from textual.worker import get_current_worker

from lbtutor.sim.lab_repeat import (
    FIGURES,
    REPEAT_SEEDS,
    UNITS,
    Cancelled,
    RepeatResult,
    repeat_duration,
    repeat_setup,
)
from lbtutor.sim.replications import Interval
from lbtutor.ui.widgets.lab_text import LabText, pack_figures
from lbtutor.units import seconds as seconds_text

HEADLINE = ("p99", "lost")  # the figures the live verdict speaks about: their verdicts are spelled out


class SeedRepeat(LabText):
    """Hidden until asked; then progress, then the table. `follow` hides it outside compare mode
    and marks results that belong to an earlier setup."""

    DEFAULT_CSS = """
    SeedRepeat {
        height: auto;
        padding: 0 1;
        margin-bottom: 1;
        border: round $accent 60%;
        border-title-style: bold;
        border-title-color: $text-accent;
        display: none;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = f"Repeated over {REPEAT_SEEDS} seeds"
        self.setup = None  # the LabSetup the shown (or running) repeat is for
        self.result: RepeatResult | None = None
        self.running = False
        self._stale = False
        self._progress = (0, REPEAT_SEEDS)
        self._duration = 0.0

    # ---------------------------------------------------------------- control
    def start(self, session) -> None:
        """Repeat the session's compared setup over REPEAT_SEEDS seeds, in a worker thread."""
        setup = session.setup
        self.setup, self.result, self.running, self._stale = setup, None, True, False
        self._duration = repeat_duration(setup, session.now)
        self._progress = (0, REPEAT_SEEDS)
        self.display = True
        self._redraw()
        self.call_after_refresh(self.scroll_visible, animate=False)
        self.run_worker(lambda: self._work(setup, self._duration), thread=True, exclusive=True, group="seed-repeat",
                        exit_on_error=False)

    def _work(self, setup, duration: float) -> None:
        worker = get_current_worker()

        def tell(callback, *args) -> None:
            if worker.is_cancelled:
                return
            with contextlib.suppress(RuntimeError):  # the app closed while this ran: nobody is left to tell
                self.app.call_from_thread(callback, *args)

        try:
            result = repeat_setup(
                setup, duration,
                progress=lambda done, total: tell(self._advanced, setup, done, total),
                cancelled=lambda: worker.is_cancelled,
            )  # fmt: skip
        except Cancelled:
            return
        except Exception as exc:  # a setup that cannot run must not take the lab down
            tell(self._failed, setup, str(exc))
            return
        tell(self._finished, setup, result)

    def _advanced(self, setup, done: int, total: int) -> None:
        if setup is self.setup:
            self._progress = (done, total)
            self._redraw()

    def _finished(self, setup, result: RepeatResult) -> None:
        if setup is self.setup:
            self.running, self.result = False, result
            self._redraw()
            self.call_after_refresh(self.scroll_visible, animate=False)

    def _failed(self, setup, message: str) -> None:
        if setup is self.setup:
            self.running = False
            self.show(Content(f"The repeat stopped: {message}"))

    def follow(self, session) -> None:
        """Called as the lab redraws: hide outside compare mode, and say when the setup changed."""
        comparing = session is not None and session.comparing
        if not comparing:
            if self.display:
                self.display = False
            return
        if self.setup is None:
            return
        stale = session.setup != self.setup
        if stale != self._stale:
            self._stale = stale
            self._redraw()

    # ---------------------------------------------------------------- drawing
    def _redraw(self) -> None:
        if self.running:
            done, total = self._progress
            self.show(Content.assemble(
                (f"Running the same sides over {total} seeds, {self._duration:,.0f} simulated s each: ", "bold"),
                f"{done} of {total} done. The lab keeps playing meanwhile.",
            ))
            return
        if self.result is not None:
            self.show(result_content(self.result, self.content_region.width, stale=self._stale))

    def on_resize(self) -> None:
        super().on_resize()
        if self.result is not None and not self.running:
            self.call_after_refresh(self._redraw)


def _cell(figure: str, iv: Interval | None) -> str:
    """A figure's mean and interval in one unit: '213 ms (205–222)', '1.07 s (1.03–1.11)', '12.4 (8.1–16.7)'."""
    if iv is None:
        return "—"
    low, high = max(0.0, iv.low), max(0.0, iv.high)  # a t-interval can dip below zero; these figures cannot
    if UNITS[figure] == "s":
        if iv.mean < 1.0:
            return f"{seconds_text(iv.mean)} ({low * 1000:.0f}–{high * 1000:.0f})"
        return f"{iv.mean:.2f} s ({low:.2f}–{high:.2f})"
    digits = 1 if UNITS[figure] == "req/s" or iv.mean % 1 else 0
    return f"{iv.mean:,.{digits}f} ({low:,.{digits}f}–{high:,.{digits}f})"


def result_content(result: RepeatResult, width: int = 0, *, stale: bool = False) -> Content:
    """The repeat as a table, a row per figure and a column per side with the winner at the end,
    where it fits in `width` (sides named, else numbered as the panes are); else one line per
    figure with the sides packed. Then the verdicts the live lab speaks about: p99 and losses."""
    last = result.first_seed + result.seeds - 1
    parts: list = [(f"Seeds {result.first_seed} to {last}, {result.duration:,.0f} simulated s each: "
                    "mean (95% interval)", "$text-muted")]
    if stale:
        parts += ["\n", ("For the setup before your last change: press i to repeat this one.", "bold $text-warning")]
    cells = {key: [_cell(key, iv) for iv in result.figures[key]] for key, _, _ in FIGURES}
    numbered = tuple(f"{i + 1}. {label}" for i, label in enumerate(result.labels))
    for names, heads in ((result.labels, result.labels), (tuple(str(i + 1) for i in range(len(numbered))), numbered)):
        table = _table(result, cells, names, width)
        if table is not None:
            if heads is not names:
                parts += ["\n", ("sides: " + ", ".join(heads), "$text-muted")]
            parts += table
            break
    else:
        for key, label, _ in FIGURES:
            line = pack_figures([f"{label}:", *(f"{n} {c}" for n, c in zip(numbered, cells[key], strict=True)),
                                 _mark(result.verdict(key), numbered)], width, gap="  ")
            parts += ["\n", line]
    for figure in HEADLINE:
        verdict = result.verdict(figure)
        mark = "★ " if verdict.clear else "≈ " if verdict.winner is not None else "= "
        parts += ["\n", (mark + _sentence(verdict.text), "bold $text-success" if verdict.clear else "bold")]
    return Content.assemble(*parts)


def _table(result: RepeatResult, cells: dict[str, list[str]], names: tuple[str, ...], width: int) -> list | None:
    """The table's lines with these side names, or None when it is wider than `width`."""
    label_w = max(len(label) for _, label, _ in FIGURES) + 2
    col_w = max([len(c) for row in cells.values() for c in row] + [len(n) for n in names]) + 2
    marks = {v.figure: _mark(v, names) for v in result.verdicts}
    if width and label_w + col_w * len(names) + max(len(m) for m in marks.values()) > width:
        return None
    lines: list = ["\n", " " * label_w, *(f"{n:<{col_w}}" for n in names)]
    for key, label, _ in FIGURES:
        lines += ["\n", f"{label:<{label_w}}", *(f"{c:<{col_w}}" for c in cells[key]),
                  (marks[key], "bold $text-success" if marks[key].startswith("★") else "")]
    return lines


def _mark(verdict, labels) -> str:
    if verdict.winner is None:
        return "= tie"
    if verdict.clear:
        return f"★ {labels[verdict.winner]}"
    return "≈ not clear"


def _sentence(text: str) -> str:
    return text + ("" if text.endswith(".") else ".")  # it may start with an algorithm's slug: keep its case
