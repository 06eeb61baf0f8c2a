"""The command palette (ctrl+p): every lesson and every step by name, plus Home, Help and Reset.

Each screen or feature adds its commands with `@command_source`: a function that takes the app
and yields `PaletteCommand`s. The provider asks every source each time the palette opens, so
commands always reflect the course and progress as they are now.

    @command_source
    def lab_commands(app):
        yield PaletteCommand("Open the lab", "The full sandbox", app.action_open_lab)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from lbtutor.ui.themes import theme_commands

if TYPE_CHECKING:
    from textual.app import App


@dataclass(frozen=True)
class PaletteCommand:
    text: str  # what the learner types to find it; plain text, never markup
    help: str
    run: Callable[[], Any]
    discover: bool = True  # listed when the palette opens with an empty query
    boost: float = 1.0  # lessons and their steps score above a quiz or drill that matches as well


LESSON_BOOST = 1.2  # "Algorithms" offers the lesson before its quiz

CommandSource = Callable[["App[Any]"], Iterable[PaletteCommand]]
COMMAND_SOURCES: list[CommandSource] = []


def command_source(source: CommandSource) -> CommandSource:
    """Register a function that yields palette commands (decorator)."""
    COMMAND_SOURCES.append(source)
    return source


@command_source
def navigation_commands(app: App[Any]) -> Iterator[PaletteCommand]:
    yield PaletteCommand("Home: the course map", "All nine modules with your progress", app.go_home)  # type: ignore[attr-defined]
    yield PaletteCommand("Help: every key", "The keys of every screen", app.action_help)  # type: ignore[attr-defined]
    yield PaletteCommand(
        "Reset progress",
        "Forget every step read and every answer (asks first)",
        app.action_reset_progress,  # type: ignore[attr-defined]
    )


@command_source
def lesson_commands(app: App[Any]) -> Iterator[PaletteCommand]:
    course = getattr(app, "course", None)
    if course is None:
        return
    for lesson in course.lessons:
        yield PaletteCommand(
            f"Lesson {lesson.section}: {lesson.title}",
            f"{len(lesson.steps)} steps, about {lesson.minutes} min",
            _opener(app, lesson.id, 0),
            boost=LESSON_BOOST,
        )
    for lesson in course.lessons:
        for step in lesson.steps:
            yield PaletteCommand(
                f"{lesson.title} › {step.title}",
                f"Lesson {lesson.section}, step {step.index + 1} of {len(lesson.steps)}",
                _opener(app, lesson.id, step.index),
                discover=False,
                boost=LESSON_BOOST,
            )


command_source(theme_commands)  # monochrome, Okabe-Ito and back (lbtutor/ui/themes.py)


def _opener(app: App[Any], lesson_id: str, index: int) -> Callable[[], None]:
    return lambda: app.open_step(lesson_id, index)  # type: ignore[attr-defined]


def all_commands(app: App[Any]) -> list[PaletteCommand]:
    return [command for source in COMMAND_SOURCES for command in source(app)]


class TutorCommands(Provider):
    """Serves every registered command to the palette."""

    async def discover(self) -> Hits:
        for command in all_commands(self.app):
            if command.discover:
                yield DiscoveryHit(Content(command.text), command.run, text=command.text, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in all_commands(self.app):
            score = matcher.match(command.text) * command.boost
            if score > 0:
                yield Hit(score, _highlight(matcher, command.text), command.run, text=command.text, help=command.help)


def _highlight(matcher, text: str) -> Content:
    """Like Matcher.highlight, but the text is literal: a lesson title is never read as markup."""
    content = Content(text)
    score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    if not score:
        return content
    for offset in offsets:
        if not text[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content
