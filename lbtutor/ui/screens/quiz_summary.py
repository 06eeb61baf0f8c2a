"""The end of a quiz: the score, every question missed with its explanation, and "retry missed"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Static

from lbtutor.content.interview import InterviewPrompt
from lbtutor.ui.screens.dismiss_once import DismissOnce
from lbtutor.ui.widgets.fitting_footer import FittingFooter
from lbtutor.ui.widgets.quiz_question import LETTERS, format_number, option_label, teaches_label
from lbtutor.ui.widgets.tutor_header import TutorHeader

if TYPE_CHECKING:
    from lbtutor.content.quiz import Question
    from lbtutor.ui.screens.quiz import ItemResult


class QuizSummaryScreen(DismissOnce, Screen[None]):
    BINDINGS = [
        Binding("r", "retry", "Retry missed", tooltip="Ask the questions you missed again", id="summary.retry"),
        Binding("escape,q", "close", "Done", tooltip="Back to where you started", id="summary.close",
                key_display="esc"),  # fmt: skip
    ]

    DEFAULT_CSS = """
    QuizSummaryScreen #summary-body {
        height: 1fr;
        padding: 1 2 0 2;
    }
    QuizSummaryScreen #summary-score {
        text-style: bold;
        margin-bottom: 1;
    }
    QuizSummaryScreen #summary-buttons {
        height: auto;
        margin-bottom: 1;
    }
    QuizSummaryScreen #summary-buttons > Button {
        margin-right: 2;
    }
    QuizSummaryScreen .summary-missed {
        margin-bottom: 1;
        padding: 0 1;
        border-left: outer $error;
    }
    QuizSummaryScreen .summary-heading {
        text-style: bold;
        margin-bottom: 1;
    }
    """

    def __init__(self, results: list[ItemResult], *, title: str, schedule: bool = True, noun: str = "Question",
                 unanswered: int = 0) -> None:  # fmt: skip
        super().__init__()
        self.results = results
        self.quiz_title = title
        self.schedule = schedule
        self.noun = noun
        self.unanswered = unanswered

    @property
    def missed(self) -> list[ItemResult]:
        return [r for r in self.results if r.missed]

    def compose(self) -> ComposeResult:
        yield TutorHeader()
        with VerticalScroll(id="summary-body"):
            yield Static(self._score(), id="summary-score")
            with Horizontal(id="summary-buttons"):
                yield Button(f"Retry missed ({len(self.missed)})", id="summary-retry", compact=True,
                             disabled=not self.missed)  # fmt: skip
                yield Button("Done", id="summary-done", compact=True)
            if self.missed:
                yield Static(Content("What you missed, and why"), classes="summary-heading")
            for result in self.missed:
                yield Static(self._missed(result), classes="summary-missed")
        yield FittingFooter(compact=True)

    def on_mount(self) -> None:
        self.sub_title = f"{self.quiz_title} · results"
        self.query_one("#summary-retry" if self.missed else "#summary-done", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return bool(self.missed)
        return True

    # ------------------------------------------------------------------ drawing
    def _score(self) -> Content:
        questions = [r for r in self.results if not isinstance(r.item, InterviewPrompt)]
        prompts = [r for r in self.results if isinstance(r.item, InterviewPrompt)]
        parts: list = [(f"{self.quiz_title} · ", "")]
        said = []
        if questions:
            right = sum(r.correct for r in questions)
            said.append(f"{right} of {len(questions)} right ({round(100 * right / len(questions))}%)")
        if prompts:
            good = sum(r.correct for r in prompts)
            said.append(f"{len(prompts)} interview prompt{'s' if len(prompts) != 1 else ''} practised, "
                        f"{good} rated good or easy")  # fmt: skip
        parts.append("; ".join(said) + ".")
        if self.unanswered:
            parts.append(f" {self.unanswered} not answered.")
        if not self.missed:
            parts.append(" Nothing missed. Well done!")
        if self.schedule:
            # "Missed" also counts a prompt rated hard, which stays in its box (a day or more), so
            # only what really returns in 10 minutes is promised that.
            parts.append(("\nWrong answers, and prompts you rated again, come back in 10 minutes; the rest wait "
                          "longer each time you get them right (lbtutor practice).", "italic"))  # fmt: skip
        return Content.assemble(*parts)

    def _missed(self, result: ItemResult) -> Content:
        item = result.item
        if isinstance(item, InterviewPrompt):
            covered = f"{result.covered[0]} of {result.covered[1]} key points" if result.covered else ""
            return Content.assemble(
                ("Interview: ", "bold"), item.prompt, "\n",
                f"You rated it {result.rating}" + (f" ({covered})." if covered else "."), "\n",
                ("Model answer: ", "bold"), item.model_answer,
            )  # fmt: skip
        return question_review(item, result.chosen, getattr(self.app, "course", None))

    # --------------------------------------------------------------------- input
    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "summary-retry":
            self.action_retry()
        else:
            self.action_close()

    def action_retry(self) -> None:
        from lbtutor.ui.screens.quiz import QuizScreen

        missed = [r.item for r in self.missed]
        if missed:
            self.replace_with(QuizScreen(missed, title=f"{self.quiz_title} (retry missed)",
                                              schedule=self.schedule, noun=self.noun))  # fmt: skip

    def action_close(self) -> None:
        self.dismiss()


def question_review(q: Question, chosen: list[str], course) -> Content:
    """A missed question: what was asked, what the learner said, the answer, and why."""
    parts: list = [(q.prompt, "bold"), "\n"]
    if q.kind == "number":
        said = chosen[0] if chosen else "nothing"
        parts += [f"You said {said}; the answer is {format_number(q.number)} {q.unit}.".replace(" .", "."), "\n"]
    else:
        for i, option in enumerate(q.options):
            right = option.key in q.answers
            picked = option.key in chosen
            if not (right or picked):
                continue
            mark = ("✓ ", "bold $text-success") if right else ("✗ ", "bold $text-error")
            note = "  ← you chose this" if picked else "  ← you left it out" if q.multiple else ""
            parts += [mark, f"{LETTERS[i]}) {option_label(q, option)}", (note, "italic"), "\n"]
            if option.explain:
                parts += ["   ", option.explain, "\n"]
    if q.explain:
        parts += [q.explain, "\n"]
    parts.append((f"Taught in: {teaches_label(course, q.teaches)}", "italic"))
    return Content.assemble(*parts)
