"""Practice due items: the quiz questions and interview prompts the schedule says are due today
(`lbtutor practice` opens the tutor here). With nothing due, it says when the next review is
and offers new questions, drills, interview practice or the decision tree instead."""

from __future__ import annotations

import datetime as dt
import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from lbtutor.content import srs
from lbtutor.ui.screens.dismiss_once import DismissOnce
from lbtutor.ui.widgets.fitting_footer import FittingFooter
from lbtutor.ui.widgets.tutor_header import TutorHeader

NEW_ITEMS = 5


def due_session(app, now: float | None = None) -> list:
    """The due items as questions and prompts, soonest due first (items no longer in the bank are
    left out)."""
    from lbtutor.ui.practice_commands import content

    found = content(app)
    questions = {q.id: q for q in found.bank.questions}
    prompts = {p.id: p for p in found.prompts}
    known = {(srs.QUIZ, i) for i in questions} | {(srs.INTERVIEW, i) for i in prompts}
    store = getattr(app, "progress", None)
    if store is None:
        return []
    items = []
    for item in srs.due_items(store, now, known=known):
        items.append(questions[item.item_id] if item.kind == srs.QUIZ else prompts[item.item_id])
    return items


def new_items(app, count: int = NEW_ITEMS) -> list:
    """Questions never answered, a few from each section in turn, starting with the first."""
    from lbtutor.ui.practice_commands import content

    found = content(app)
    store = getattr(app, "progress", None)
    seen = {i.item_id for i in srs.scheduled(store, (srs.QUIZ,))} if store is not None else set()
    by_section = [[q for q in found.bank.for_section(s) if q.id not in seen] for s in found.bank.sections]
    picked = []
    while len(picked) < count and any(by_section):
        for questions in by_section:
            if questions and len(picked) < count:
                picked.append(questions.pop(0))
    return picked


class PracticeScreen(DismissOnce, Screen[None]):
    """Starts the session of due items, or says there is nothing due and what to do instead."""

    BINDINGS = [
        Binding("n", "new", "New questions", tooltip=f"{NEW_ITEMS} questions you have not answered yet",
                id="practice.new"),  # fmt: skip
        Binding("d", "drills", "Drills", tooltip="Endless generated drills", id="practice.drills"),
        Binding("i", "interview", "Interview", tooltip="Interview practice", id="practice.interview"),
        Binding("t", "tree", "Decision tree", tooltip="Walk the algorithm-selection flowchart", id="practice.tree"),
        Binding("escape,q", "close", "Back", tooltip="Back to the course map", id="practice.close",
                key_display="esc"),  # fmt: skip
    ]

    DEFAULT_CSS = """
    PracticeScreen > Vertical {
        height: 1fr;
        padding: 1 2;
    }
    PracticeScreen #practice-title {
        text-style: bold;
        margin-bottom: 1;
    }
    """

    def __init__(self, now: float | None = None) -> None:
        super().__init__()
        self.now = now
        self.started = False

    def compose(self) -> ComposeResult:
        yield TutorHeader()
        with Vertical():
            yield Static(Content("Practice due items"), id="practice-title")
            yield Static("", id="practice-message")
        yield FittingFooter(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "Spaced repetition"
        self.run_worker(self._start_when_ready(), exclusive=True)

    async def _start_when_ready(self) -> None:
        ready = getattr(self.app, "ready", None)
        if ready is not None:  # the app loads the course and opens the progress store after its first frame
            await ready.wait()
        await self.start()

    async def start(self) -> None:
        """Hand over to a quiz of the due items, if there are any."""
        from lbtutor.ui.screens.quiz import QuizScreen

        items = due_session(self.app, self.now)
        if items:
            self.started = True
            self.replace_with(QuizScreen(items, title="Practice: due today", noun="Item"))
            return
        self.query_one("#practice-message", Static).update(self._nothing_due())

    def _nothing_due(self) -> Content:
        store = getattr(self.app, "progress", None)
        now = time.time() if self.now is None else self.now
        parts: list = [("Nothing is due today.", "bold"), " "]
        upcoming = srs.next_due(store, now) if store is not None else None
        if upcoming is None:
            parts.append("Questions and interview prompts join the schedule when you first answer them, in a "
                         "quiz or here.")  # fmt: skip
        else:
            when = dt.datetime.fromtimestamp(upcoming)
            days = (when.date() - dt.datetime.fromtimestamp(now).date()).days
            later = "tomorrow" if days == 1 else f"in {days} days, on {when:%A %d %B}"
            parts.append(f"The next review is {later}.")
        parts.append("\n\nMeanwhile:\n"
                     f"  n  {NEW_ITEMS} questions you have not answered yet\n"
                     "  d  drills: endless questions worked out by the simulator\n"
                     "  i  interview practice\n"
                     "  t  the decision tree")  # fmt: skip
        return Content.assemble(*parts)

    # --------------------------------------------------------------------- input
    async def action_new(self) -> None:
        from lbtutor.ui.screens.quiz import QuizScreen

        items = new_items(self.app)
        if not items:
            self.notify("You have answered every question at least once.", timeout=4)
            return
        self.replace_with(QuizScreen(items, title="Practice: new questions"))

    def action_drills(self) -> None:
        from lbtutor.ui.practice_commands import drills_screen

        self._switch(drills_screen(self.app))

    def action_interview(self) -> None:
        from lbtutor.ui.practice_commands import interview_screen

        self._switch(interview_screen(self.app))

    def action_tree(self) -> None:
        from lbtutor.ui.practice_commands import tree_screen

        self._switch(tree_screen(self.app))

    def _switch(self, screen) -> None:
        if screen is not None:
            self.replace_with(screen)

    def action_close(self) -> None:
        self.dismiss()
