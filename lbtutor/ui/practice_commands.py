"""Practice in the command palette, and the ways in: a quiz per section, drills, interview practice,
the decision tree, "Quiz me on the tree" and "Practice due items".

The question bank, interview prompts and tree are loaded once per lessons folder (`content(app)`)
and shared by every practice screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from lbtutor.ui.commands import _highlight


@dataclass
class PracticeContent:
    bank: Any  # QuizBank
    prompts: list = field(default_factory=list)  # InterviewPrompt
    tree: Any = None  # DecisionTree, or None if the file has problems
    problems: list = field(default_factory=list)

    def section_title(self, app, section: int) -> str:
        course = getattr(app, "course", None)
        for lesson in course.lessons if course is not None else ():
            if lesson.section == section:
                return lesson.title
        return f"Section {section}"

    def lesson_id(self, app, section: int) -> str:
        course = getattr(app, "course", None)
        for lesson in course.lessons if course is not None else ():
            if lesson.section == section:
                return lesson.id
        return ""


_CACHE: dict[tuple[str, int], PracticeContent] = {}


def content(app) -> PracticeContent:
    """The bank, prompts and tree of the app's lessons folder (loaded on first use)."""
    from lbtutor.content.flowchart import load_tree, tree_file
    from lbtutor.content.interview import interview_file, load_interview
    from lbtutor.content.quiz import load_quiz_bank
    from lbtutor.paths import lessons_dir

    folder = Path(getattr(app, "lessons_dir", None) or lessons_dir())
    course = getattr(app, "course", None)
    key = (str(folder), id(course))
    if key not in _CACHE:
        bank, problems = load_quiz_bank(folder, course=course)
        prompts, more = load_interview(interview_file(folder))
        tree, tree_problems = load_tree(tree_file(folder))
        _CACHE[key] = PracticeContent(bank, prompts, tree, [*problems, *more, *tree_problems])
    return _CACHE[key]


# -- the ways in ----------------------------------------------------------------------------------
# Each *_screen function builds the screen (or says why it cannot, and returns None); each open_*
# function pushes it.


def quiz_screen(app, section: int):
    from lbtutor.ui.screens.quiz import QuizScreen

    found = content(app)
    questions = found.bank.for_section(section)
    if not questions:
        app.notify(f"There are no quiz questions for section {section}.", severity="warning")
        return None
    return QuizScreen(questions, title=f"Quiz {section}: {found.section_title(app, section)}")


def drills_screen(app, seed: int | None = None, kinds: list[str] | None = None):
    import random

    from lbtutor.content.drills import drill_stream
    from lbtutor.ui.screens.quiz import QuizScreen

    seed = random.randrange(1, 1_000_000) if seed is None else seed
    title = "Drills" if not kinds or len(kinds) != 1 else f"Drills: {kinds[0]}"
    return QuizScreen(drill_stream(seed, kinds), title=title, schedule=False, noun="Drill")


def interview_screen(app):
    from lbtutor.ui.screens.interview import InterviewScreen

    found = content(app)
    if not found.prompts:
        app.notify("There are no interview prompts to practise.", severity="warning")
        return None
    return InterviewScreen(found.prompts, getattr(app, "progress", None))


def practice_screen(app):
    from lbtutor.ui.screens.practice import PracticeScreen

    return PracticeScreen()


def tree_screen(app, quiz: bool = False, seed: int | None = None):
    from lbtutor.ui.screens.decision_tree import DecisionTreeScreen

    tree = content(app).tree
    if tree is None:
        app.notify("The decision tree file has problems; run lbtutor check.", severity="error")
        return None
    return DecisionTreeScreen(tree, quiz=quiz, seed=seed)


def _push(app, screen) -> None:
    if screen is not None:
        app.push_screen(screen)


def open_quiz(app, section: int) -> None:
    _push(app, quiz_screen(app, section))


def open_drills(app, seed: int | None = None, kinds: list[str] | None = None) -> None:
    _push(app, drills_screen(app, seed, kinds))


def open_interview(app) -> None:
    _push(app, interview_screen(app))


def open_practice(app) -> None:
    _push(app, practice_screen(app))


def open_tree(app, quiz: bool = False, seed: int | None = None) -> None:
    _push(app, tree_screen(app, quiz, seed))


# -- the palette ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PracticeCommand:
    text: str  # plain text, never markup
    help: str
    run: Callable[[], Any]
    discover: bool = True


def practice_commands(app) -> Iterator[PracticeCommand]:
    from lbtutor.content.drills import DRILLS
    from lbtutor.content.srs import due_count

    due = due_count(getattr(app, "progress", None))
    yield PracticeCommand("Practice due items", f"{due} quiz question{'s' if due != 1 else ''} and interview "
                          "prompts due today (spaced repetition)", partial(open_practice, app))  # fmt: skip
    yield PracticeCommand("Drills", "Endless generated questions, answered by the simulator's own code",
                          partial(open_drills, app))  # fmt: skip
    yield PracticeCommand("Interview practice", "Say it as in an interview; see which key points you made",
                          partial(open_interview, app))  # fmt: skip
    yield PracticeCommand("Decision tree", "The chapter's algorithm-selection flowchart, one question at a time",
                          partial(open_tree, app))  # fmt: skip
    yield PracticeCommand("Quiz me on the tree", "A described system: walk the tree to the right algorithm",
                          partial(open_tree, app, True))  # fmt: skip
    found = content(app)
    for section in found.bank.sections:
        count = len(found.bank.for_section(section))
        yield PracticeCommand(f"Quiz: {found.section_title(app, section)}",
                              f"Section {section}: {count} questions, each explained", partial(open_quiz, app, section))  # fmt: skip
    for kind, drill in DRILLS.items():
        yield PracticeCommand(f"Drill: {drill.title}", "Only this kind of drill, endless",
                              partial(open_drills, app, None, [kind]), discover=False)  # fmt: skip


class PracticeCommands(Provider):
    """Serves the practice commands to the palette (ctrl+p)."""

    async def discover(self) -> Hits:
        for command in practice_commands(self.app):
            if command.discover:
                yield DiscoveryHit(Content(command.text), command.run, text=command.text, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in practice_commands(self.app):
            score = matcher.match(command.text)
            if score > 0:
                yield Hit(score, _highlight(matcher, command.text), command.run, text=command.text,
                          help=command.help)  # fmt: skip



def _register_help() -> None:
    """The practice screens' keys in the Help screen, read from their own bindings when help opens."""
    from textual.binding import Binding

    from lbtutor.ui.screens.help import HELP_SECTIONS, HelpSection

    def bindings_of(module: str, name: str):
        def load() -> list[Binding]:
            import importlib
            from dataclasses import replace

            found = []
            groups = {"pick(": ("pick", "Answer", "Choose that option (a click works too)"),
                      "rate(": ("rate", "Rate", "Rate yourself: 1 again, 2 hard, 3 good, 4 easy")}  # fmt: skip
            for binding in Binding.make_bindings(getattr(importlib.import_module(module), name).BINDINGS):
                group = next((g for g in groups if binding.action.startswith(g)), None)
                if group is None:
                    found.append(binding)
                else:  # one row per group: the help screen merges keys of the same action and text
                    action, description, tooltip = groups[group]
                    found.append(replace(binding, action=action, description=description, tooltip=tooltip))
            return found

        return load

    HELP_SECTIONS.extend([
        HelpSection("Quiz, drills, interview practice", bindings_of("lbtutor.ui.screens.quiz", "QuizScreen"), (
            ("ctrl+p", "Quiz: <section>, Drills, Interview practice, Practice due items"),
            ("mouse", "Click an option to choose it; buttons rate an interview answer"),
            ("shell", "lbtutor practice: open the tutor on today's due questions and prompts"),
        )),
        HelpSection("Quiz results", bindings_of("lbtutor.ui.screens.quiz_summary", "QuizSummaryScreen")),
        HelpSection("Practice due items", bindings_of("lbtutor.ui.screens.practice", "PracticeScreen")),
        HelpSection("Decision tree", bindings_of("lbtutor.ui.screens.decision_tree", "DecisionTreeScreen"), (
            ("ctrl+p", "Decision tree, Quiz me on the tree"),
        )),
    ])  # fmt: skip


_register_help()
