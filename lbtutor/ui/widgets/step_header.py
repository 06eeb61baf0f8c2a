"""The line above a lesson step: the step's title, and which step of how many (with a dot per step)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static

if TYPE_CHECKING:
    from lbtutor.content.lessons import Lesson

MAX_DOTS = 20


class StepHeader(Horizontal):
    DEFAULT_CSS = """
    StepHeader {
        height: auto;
        padding: 0 1;
        background: $boost;
    }
    StepHeader > #step-title {
        width: 1fr;
        text-style: bold;
    }
    StepHeader > #step-count {
        width: auto;
        color: $text-muted;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="step-title")
        yield Static("", id="step-count")

    def show(self, lesson: Lesson, index: int, seen: frozenset[int]) -> None:
        total = len(lesson.steps)
        dots = ""
        if total <= MAX_DOTS:
            dots = " " + "".join("◆" if i == index else ("●" if i in seen else "○") for i in range(total))
        self.query_one("#step-title", Static).update(Content(lesson.steps[index].title))
        self.query_one("#step-count", Static).update(Content(f"step {index + 1} of {total}{dots}"))
