"""Lesson text: Textual's Markdown, with fences that have no language shown as plain text.

Lessons draw diagrams in bare ``` fences. Left alone, the Markdown widget asks Pygments to guess
their language, which costs tens of milliseconds per fence and colours box drawings as if they
were code.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownFence


class PlainFence(MarkdownFence):
    # Textual's fence has a fixed light-grey text colour, unreadable on the light theme.
    DEFAULT_CSS = """
    PlainFence {
        color: $foreground;
        background: $boost;
        &:light {
            background: $boost;
        }
        & > Label {
            padding: 0 1;
        }
    }
    """

    @classmethod
    def highlight(cls, code: str, language: str, ansi: bool = False, dark: bool = False) -> Content:
        return super().highlight(code, language or "text", ansi=ansi, dark=dark)


class LessonMarkdown(Markdown):
    BLOCKS = {**Markdown.BLOCKS, "fence": PlainFence, "code_block": PlainFence}
