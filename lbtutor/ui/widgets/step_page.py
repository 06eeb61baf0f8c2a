"""One step of a lesson as a page: its Markdown, labs and checks in the order the file gives them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from lbtutor.ui.widgets.check_block import CheckBlockView
from lbtutor.ui.widgets.lab_block import LabBlockView
from lbtutor.ui.widgets.lesson_markdown import LessonMarkdown

if TYPE_CHECKING:
    from lbtutor.content.lessons import Step


class StepPage(Vertical):
    """A step's widgets. The lesson screen keeps visited pages (hidden) so going back is instant."""

    DEFAULT_CSS = """
    StepPage {
        height: auto;
    }
    StepPage > LessonMarkdown {
        margin: 0;
        padding: 0;
    }
    StepPage > .step-end {
        margin: 1 0;
        color: $text-muted;
    }
    """

    def __init__(
        self,
        step: Step,
        *,
        end_note: Content,
        autoplay: bool,
        answer_for: Callable[[str], tuple[list[str], bool] | None],
        presenting: bool = False,
    ) -> None:
        super().__init__(id=f"page-{step.index}", classes="step-page")
        self.step = step
        self.end_note = end_note
        self.autoplay = autoplay
        self.answer_for = answer_for
        # Presenter mode: checks start unanswered (a rehearsal's answers stay in the progress
        # file, off the screen) and keep their marks back until revealed.
        self.presenting = presenting

    def compose(self) -> ComposeResult:
        from lbtutor.content.lessons import CheckBlock, LabBlock, RealBlock

        lab = None  # the last lab before a check: the one its run_to names
        for segment in self.step.segments:
            if isinstance(segment, LabBlock):
                lab = segment
                yield LabBlockView(segment, autoplay=self.autoplay)
            elif isinstance(segment, RealBlock):
                from lbtutor.ui.widgets.real_block import RealBlockView

                yield RealBlockView(segment)
            elif isinstance(segment, CheckBlock):
                previous = None if self.presenting else self.answer_for(segment.id)
                yield CheckBlockView(segment, previous, hold_marks=self.presenting, lab=lab)
            elif segment.strip():
                yield LessonMarkdown(segment, open_links=False)
        yield Static(self.end_note, classes="step-end")

    @property
    def labs(self) -> list[LabBlockView]:
        return list(self.query_children(LabBlockView))

    @property
    def checks(self) -> list[CheckBlockView]:
        return list(self.query_children(CheckBlockView))

    def set_active(self, active: bool) -> None:
        for lab in self.labs:
            lab.set_active(active)
        if not active:
            from lbtutor.ui.widgets.real_block import RealBlockView

            for real in self.query_children(RealBlockView):
                real.set_active(False)
