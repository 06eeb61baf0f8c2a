"""The lesson step that teaches a question, read over the quiz without leaving it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

from lbtutor.ui.screens.dismiss_once import DismissOnce
from lbtutor.ui.widgets.fitting_footer import FittingFooter

if TYPE_CHECKING:
    from lbtutor.content.lessons import Lesson, Step


class QuizLessonPeek(DismissOnce, ModalScreen[None]):
    DEFAULT_CSS = """
    QuizLessonPeek {
        align: center middle;
    }
    QuizLessonPeek > Vertical {
        width: 90%;
        height: 90%;
        border: thick $accent;
        background: $surface;
        padding: 0 1;
    }
    QuizLessonPeek #peek-title {
        text-style: bold;
        margin-bottom: 1;
    }
    QuizLessonPeek #peek-body {
        height: 1fr;
    }
    QuizLessonPeek .peek-block {
        color: $text-muted;
        margin: 1 0;
    }
    """

    BINDINGS = [
        Binding("escape,l,q", "close", "Back to the quiz", id="peek.close", key_display="esc"),
        Binding("o", "open_lesson", "Open the lesson", tooltip="Leave the quiz and open this step in its lesson",
                id="peek.open"),  # fmt: skip
    ]

    def __init__(self, lesson: Lesson, step: Step) -> None:
        super().__init__()
        self.lesson = lesson
        self.step = step

    def compose(self) -> ComposeResult:
        from lbtutor.content.lessons import CheckBlock, LabBlock, RealBlock

        with Vertical():
            yield Static(Content(f"Lesson {self.lesson.section}, {self.lesson.title} › {self.step.title}"),
                         id="peek-title")  # fmt: skip
            with VerticalScroll(id="peek-body"):
                for segment in self.step.segments:
                    if isinstance(segment, LabBlock):
                        yield Static(Content(f"▶ Lab: {segment.title} (open the lesson to run it)"),
                                     classes="peek-block")  # fmt: skip
                    elif isinstance(segment, CheckBlock):
                        yield Static(Content(f"✎ Check: {segment.question}"), classes="peek-block")
                    elif isinstance(segment, RealBlock):
                        yield Static(Content(f"▶ Real lab: {segment.title} (open the lesson to run it)"),
                                     classes="peek-block")  # fmt: skip
                    elif segment.strip():
                        yield Markdown(segment, open_links=False)
            yield FittingFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#peek-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_open_lesson(self) -> None:
        app = self.app
        self.dismiss(None)
        opener = getattr(app, "open_step", None)
        if opener is not None:
            opener(self.lesson.id, self.step.index)
