"""The lesson's table of contents: every step, marked when read; choosing one jumps to it."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from lbtutor.content.lessons import Lesson


class StepToc(OptionList):
    """A side panel listing the steps; hidden until the lesson screen shows it (key t)."""

    DEFAULT_CSS = """
    StepToc {
        width: 42;
        max-width: 45%;
        height: 1fr;
        border: tall $accent;
        border-title-style: bold;
        display: none;
    }
    StepToc.-open {
        display: block;
    }
    """

    BINDINGS = [
        Binding("escape,t", "close", "Close contents", tooltip="Back to the step", id="toc.close"),
    ]

    class Closed(Message):
        """The panel was closed without choosing a step."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Contents"

    def show_lesson(self, lesson: Lesson, current: int, seen: frozenset[int]) -> None:
        self.clear_options()
        options = []
        for step in lesson.steps:
            mark = "▶" if step.index == current else ("✓" if step.index in seen else " ")
            options.append(Option(Content(f"{mark} {step.index + 1:>2}. {step.title}"), id=str(step.index)))
        self.add_options(options)
        self.highlighted = current

    # Textual 8.2.8's page keys look the highlighted step up in a line map that lags the options
    # (empty until the panel is laid out); pressed right after `t` they raised KeyError.
    def action_page_down(self) -> None:
        with contextlib.suppress(KeyError):
            super().action_page_down()

    def action_page_up(self) -> None:
        with contextlib.suppress(KeyError):
            super().action_page_up()

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def open(self) -> None:
        self.add_class("-open")
        self.focus()

    def close(self) -> None:
        self.remove_class("-open")

    def action_close(self) -> None:
        self.close()
        self.post_message(self.Closed())
