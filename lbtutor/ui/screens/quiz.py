"""A quiz: one question at a time (or an endless run of generated drills), every option explained
after the answer, the lesson step one key away, and a summary with "retry missed" at the end.

The same screen runs a practice session, whose items may also be interview prompts: each item is
shown by its own widget (`QuizQuestionView` or `InterviewAnswerView`), and every answer feeds the
spaced-repetition schedule (drills are kept as history only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from lbtutor.content import srs
from lbtutor.content.interview import InterviewPrompt
from lbtutor.content.quiz import Question
from lbtutor.ui.screens.dismiss_once import DismissOnce
from lbtutor.ui.widgets.fitting_footer import FittingFooter
from lbtutor.ui.widgets.interview_answer import InterviewAnswerView
from lbtutor.ui.widgets.quiz_question import LETTERS, QuizQuestionView
from lbtutor.ui.widgets.tutor_header import TutorHeader

if TYPE_CHECKING:
    from lbtutor.content.lessons import Course

Item = Question | InterviewPrompt

ANSWER = Binding.Group("Answer")
RATE = Binding.Group("Rate")


@dataclass(frozen=True)
class ItemResult:
    item: Item
    chosen: list[str]  # option keys, the number typed, or the interview answer
    correct: bool  # interview prompts: rated good or easy
    rating: str | None = None  # interview prompts only
    covered: tuple[int, int] | None = None  # interview prompts: (points made, points)

    @property
    def missed(self) -> bool:
        """Wrong, or an interview prompt rated "again" (one rated hard waits its days: it is
        not offered again now)."""
        if self.rating is not None:
            return self.rating == "again"
        return not self.correct


def score_line(results: list[ItemResult]) -> str:
    """"3 of 4 right", "2 prompts practised", or both."""
    questions = [r for r in results if not isinstance(r.item, InterviewPrompt)]
    prompts = len(results) - len(questions)
    parts = []
    if questions:
        parts.append(f"{sum(r.correct for r in questions)} of {len(questions)} right")
    if prompts:
        parts.append(f"{prompts} prompt{'s' if prompts != 1 else ''} practised")
    return ", ".join(parts) or "no answers yet"


class QuizScreen(DismissOnce, Screen[None]):
    """Asks `items` in order. `schedule=False` keeps answers as drill history instead of moving
    them through the Leitner boxes; an iterator of items makes an endless session."""

    BINDINGS = [
        *[Binding(letter, f"pick({i})", "Answer", group=ANSWER, id=f"quiz.pick_{letter}",
                  tooltip="Choose this option") for i, letter in enumerate(LETTERS)],  # fmt: skip
        Binding("enter", "reveal", "Reveal", tooltip="Presenter mode: show whether the answer given is right, and why",
                id="quiz.reveal"),  # fmt: skip
        Binding("enter", "enter", "Check / next", tooltip="Check the answer, or go on to the next question",
                id="quiz.enter"),  # fmt: skip
        Binding("n", "next", "Next", tooltip="The next question", id="quiz.next"),
        Binding("ctrl+r", "check_interview", "Check answer", tooltip="See which key points your answer makes",
                id="quiz.check_interview"),  # fmt: skip
        *[Binding(str(n), f"rate('{rating}')", "Rate", group=RATE, id=f"quiz.rate_{rating}",
                  tooltip=f"Rate yourself: {rating}") for n, rating in enumerate(srs.RATINGS, 1)],  # fmt: skip
        Binding("l", "lesson", "Lesson step", tooltip="Read the lesson step that teaches this", id="quiz.lesson"),
        Binding("w", "watch", "Watch live", tooltip="Open this question's scenario in the lab", id="quiz.watch"),
        Binding("escape", "finish", "End", tooltip="End here and see your score", id="quiz.finish",
                key_display="esc"),  # fmt: skip
    ]

    DEFAULT_CSS = """
    QuizScreen #quiz-status {
        height: auto;
        padding: 0 1;
        background: $boost;
    }
    QuizScreen Footer.-compact FooterLabel {
        margin: 0 1 0 0;
    }
    QuizScreen #quiz-body {
        height: 1fr;
        padding: 1 1 0 1;
    }
    """

    def __init__(self, items: Iterable[Item], *, title: str, schedule: bool = True, noun: str = "Question",
                 watch: bool = True) -> None:  # fmt: skip
        super().__init__()
        self.quiz_title = title
        self.schedule = schedule
        self.noun = noun
        self.watch = watch
        if isinstance(items, Iterator):
            self._source: Iterator[Item] = items
            self.total: int | None = None
        else:
            listed = list(items)
            self._source = iter(listed)
            self.total = len(listed)
        self.items: list[Item] = []  # asked so far, the current one last
        self.results: list[ItemResult] = []
        self.finished = False
        self._warned = False

    # ------------------------------------------------------------------ building
    def compose(self) -> ComposeResult:
        yield TutorHeader()
        yield Static("", id="quiz-status")
        yield VerticalScroll(id="quiz-body")
        yield FittingFooter(compact=True)

    async def on_mount(self) -> None:
        self.sub_title = self.quiz_title
        await self._advance()

    @property
    def view(self) -> QuizQuestionView | InterviewAnswerView | None:
        found = self.query("#quiz-body > .quiz-question, #quiz-body > .interview-item")
        return found.first() if found else None  # type: ignore[return-value]

    @property
    def course(self) -> Course | None:
        return getattr(self.app, "course", None)

    async def _advance(self) -> None:
        item = next(self._source, None)
        if item is None:
            await self._finish()
            return
        self.items.append(item)
        body = self.query_one("#quiz-body", VerticalScroll)
        await body.remove_children()
        if isinstance(item, InterviewPrompt):
            view = InterviewAnswerView(item, when_back=self._when_back(item))
        else:
            presenting = bool(getattr(self.app, "presenting", False))
            view = QuizQuestionView(item, self.course, watch=self.watch, hold_marks=presenting)
        await body.mount(view)
        body.scroll_home(animate=False)
        view.focus_answer()
        if self.focused is None:
            body.focus()
        self._draw_status()
        self.refresh_bindings()

    def _draw_status(self) -> None:
        n = len(self.items)
        of = f" of {self.total}" if self.total is not None else ""
        held = isinstance(self.view, QuizQuestionView) and self.view.held
        score = score_line(self.results[:-1] if held else self.results)  # the class has not seen it yet
        item = self.items[-1] if self.items else None
        noun = "Interview prompt" if isinstance(item, InterviewPrompt) else self.noun
        self.query_one("#quiz-status", Static).update(Content.assemble(
            (self.quiz_title, "bold"), f"  ·  {noun} {n}{of}  ·  {score}"))  # fmt: skip

    # --------------------------------------------------------------- what applies
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        view = self.view
        question = view if isinstance(view, QuizQuestionView) else None
        interview = view if isinstance(view, InterviewAnswerView) else None
        if action == "pick":
            index = int(parameters[0])  # type: ignore[call-overload]
            return bool(question and not question.answered and not question.is_number
                        and index < len(question.question.options))  # fmt: skip
        if action == "reveal":
            return bool(question and question.held)
        if action == "enter":
            if question and question.held:
                return False  # Enter reveals first
            return bool(question and (question.answered or question.question.multiple or question.is_number)
                        or interview and interview.answered)  # fmt: skip
        if action == "next":
            return bool(view and view.answered)
        if action == "check_interview":
            return bool(interview and not interview.checked)
        if action == "rate":
            return bool(interview and interview.checked and not interview.answered)
        if action == "lesson":
            return bool(question and question.question.teaches)
        if action == "watch":
            return bool(question and question.marked and question.question.scenario)
        return True

    # --------------------------------------------------------------------- input
    def action_pick(self, index: int) -> None:
        view = self.view
        if isinstance(view, QuizQuestionView):
            view.press(index)
            self.refresh_bindings()

    async def action_enter(self) -> None:
        view = self.view
        if view is None:
            return
        if view.answered:
            await self.action_next()
        elif isinstance(view, QuizQuestionView) and not view.submit():
            self.notify("Choose an answer first." if not view.is_number else "Type a number first.",
                        severity="warning", timeout=3)  # fmt: skip

    def action_reveal(self) -> None:
        view = self.view
        if isinstance(view, QuizQuestionView) and view.reveal():
            self._draw_status()
            self.refresh_bindings()

    async def action_next(self) -> None:
        view = self.view
        if view is not None and view.answered:
            await self._advance()

    def action_check_interview(self) -> None:
        view = self.view
        if isinstance(view, InterviewAnswerView):
            view.check()

    def action_rate(self, rating: str) -> None:
        view = self.view
        if isinstance(view, InterviewAnswerView):
            view.rate(rating)

    def action_lesson(self) -> None:
        from lbtutor.ui.widgets.quiz_lesson_peek import QuizLessonPeek

        view = self.view
        if not isinstance(view, QuizQuestionView):
            return
        teaches = view.question.teaches
        found = self.course.find_step(teaches) if self.course is not None else None
        if found is None:
            self.notify(f"The lesson step {teaches} is not available.", severity="warning", markup=False)
            return
        self.app.push_screen(QuizLessonPeek(*found))

    def action_watch(self) -> None:
        view = self.view
        if not (isinstance(view, QuizQuestionView) and view.marked and view.question.scenario):
            return
        try:
            from lbtutor.ui.lab_commands import open_scenario
        except ImportError:
            self.notify("The lab is not part of this build.", severity="warning")
            return
        open_scenario(self.app, view.question.scenario, view.question.scenario_set)

    async def action_finish(self) -> None:
        view = self.view
        if isinstance(view, InterviewAnswerView) and not view.checked and view.has_draft and not self._warned:
            self._warned = True  # a typed answer is not thrown away by one stray esc
            view.query_one("#interview-check").focus()
            self.notify("Press esc again to end without checking your answer, or ctrl+r to check it.",
                        severity="warning", timeout=5)  # fmt: skip
            return
        await self._finish()

    # ------------------------------------------------------------------- answers
    def on_quiz_question_view_answered(self, event: QuizQuestionView.Answered) -> None:
        q = event.question
        store = getattr(self.app, "progress", None)
        lesson_id = q.teaches.partition("#")[0]
        if store is not None:
            if self.schedule:
                srs.review_quiz(store, q, event.chosen, event.correct, lesson_id=lesson_id)
            else:
                srs.record_unscheduled(store, srs.DRILL, q.id, event.chosen, event.correct, lesson_id=lesson_id)
        self.results.append(ItemResult(q, event.chosen, event.correct))
        self.query_one("#quiz-body", VerticalScroll).focus()
        self._draw_status()
        self.refresh_bindings()

    def on_interview_answer_view_checked(self, event: InterviewAnswerView.Checked) -> None:
        self.refresh_bindings()

    def _when_back(self, prompt) -> Callable[[str], str] | None:
        """When a rated prompt comes back, in words, as the schedule will have it."""
        store = getattr(self.app, "progress", None)
        if store is None:
            return None
        return lambda rating: srs.when_back(srs.preview(store, srs.INTERVIEW, prompt.id, rating))

    def on_interview_answer_view_rated(self, event: InterviewAnswerView.Rated) -> None:
        store = getattr(self.app, "progress", None)
        if store is not None:
            srs.review(store, srs.INTERVIEW, event.prompt.id, event.rating, chosen=[event.answer[:4000]])
        covered = (event.coverage.covered, event.coverage.total) if event.coverage else None
        self.results.append(ItemResult(event.prompt, [event.answer], event.rating in ("good", "easy"),
                                       event.rating, covered))  # fmt: skip
        self.query_one("#quiz-body", VerticalScroll).focus()
        self._draw_status()
        self.refresh_bindings()

    # -------------------------------------------------------------------- the end
    async def _finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        if not self.results:
            self.dismiss()
            return
        from lbtutor.ui.screens.quiz_summary import QuizSummaryScreen

        unanswered = 0 if self.total is None else self.total - len(self.results)
        self.replace_with(QuizSummaryScreen(
            self.results, title=self.quiz_title, schedule=self.schedule, noun=self.noun, unanswered=unanswered))  # fmt: skip
