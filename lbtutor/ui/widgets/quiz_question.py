"""One quiz question (or generated drill): options by letter, a number box, every option explained
after the answer, the lesson step that teaches it, and for "predict, then watch" questions the
scenario's real outcome. In presenter mode (`hold_marks`) the answer is registered at once but
the marks, the explanations and the scenario's outcome wait for `reveal()`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from lbtutor.content.drills import algorithm_name
from lbtutor.ui.widgets.quiz_scenario_result import QuizScenarioResult

if TYPE_CHECKING:
    from lbtutor.content.lessons import Course, Option
    from lbtutor.content.quiz import Question

LETTERS = "abcdefgh"


def option_label(question: Question, option: Option) -> str:
    """An option's text; an algorithm question's options without their own text show the
    algorithm's name."""
    if question.kind == "algorithm" and option.text in ("", option.key):
        return algorithm_name(option.key)
    return option.text or option.key


def teaches_label(course: Course | None, teaches: str) -> str:
    """"Lesson 2, Load Balancing Algorithms › Weighted least connections" (or the raw link)."""
    found = course.find_step(teaches) if course is not None and teaches else None
    if found is None:
        return teaches
    lesson, step = found
    return f"Lesson {lesson.section}, {lesson.title} › {step.title}"


def format_number(value: float) -> str:
    """As the explanations write numbers: 1,500 (not 1500, which sat beside '6 x 250 = 1,500'), 18.2."""
    return f"{value:,g}" if abs(value) < 1e6 else f"{value:,.0f}"


class QuizOptionLine(Static):
    """One option; clicking it is the same as pressing its letter."""

    def __init__(self, index: int) -> None:
        super().__init__(classes="quiz-option", markup=False)
        self.index = index

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.query_ancestor(QuizQuestionView).press(self.index)


class NumberInput(Input):
    """The number box: a letter or sign it cannot take is said in words, not only by a bell."""

    class Refused(Message):
        """A character that cannot be part of a number was typed."""

    def restricted(self) -> None:
        super().restricted()
        self.post_message(self.Refused())


def marked(text: Content, marker: Content, width: int) -> Content:
    """An option and its marker ("✓ the answer  ← you chose this") on one line when both fit
    in `width`, else the marker on a line of its own: a marker never breaks mid-phrase."""
    joined = Content.assemble(text, "   ", marker)
    if not width or joined.cell_length <= width or "\n" in text.plain:
        return joined
    return Content.assemble(text, "\n", marker)


class QuizQuestionView(Vertical):
    """Asks `question`; once answered, marks every option right or wrong and explains it."""

    DEFAULT_CSS = """
    QuizQuestionView {
        height: auto;
        padding: 0 1;
    }
    QuizQuestionView > .quiz-prompt {
        text-style: bold;
        margin-bottom: 1;
    }
    QuizQuestionView > .quiz-option {
        padding: 0 1;
        margin-bottom: 1;
        border-left: blank;
    }
    QuizQuestionView > .quiz-option:hover {
        background: $boost;
    }
    QuizQuestionView > .quiz-option.-picked {
        border-left: outer $accent;
    }
    QuizQuestionView > .quiz-option.-right {
        border-left: outer $success;
    }
    QuizQuestionView > .quiz-option.-wrong {
        border-left: outer $error;
    }
    QuizQuestionView > Input {
        width: 40;
        margin-bottom: 1;
    }
    QuizQuestionView > .quiz-result {
        text-style: bold;
        margin-bottom: 1;
    }
    QuizQuestionView > .quiz-result.-right {
        color: $text-success;
    }
    QuizQuestionView > .quiz-result.-wrong {
        color: $text-error;
    }
    QuizQuestionView > .quiz-result.-held {
        color: $text-accent;
    }
    QuizQuestionView > .quiz-explain {
        margin-top: 1;
    }
    QuizQuestionView > .quiz-teaches {
        margin-top: 1;
        color: $text-muted;
    }
    """

    class Answered(Message):
        def __init__(self, view: QuizQuestionView, chosen: list[str], correct: bool) -> None:
            super().__init__()
            self.view = view
            self.question = view.question
            self.chosen = chosen
            self.correct = correct

    def __init__(self, question: Question, course: Course | None = None, *, watch: bool = True,
                 id: str | None = None, hold_marks: bool = False) -> None:  # fmt: skip
        super().__init__(id=id, classes="quiz-question")
        self.question = question
        self.course = course
        self.watch = watch  # run a "predict, then watch" scenario after the answer
        self.hold_marks = hold_marks  # presenter mode: marks wait for reveal()
        self.revealed = False
        self.picked: set[int] = set()
        self.answered = False
        self.correct = False
        self.typed = ""  # a number question's answer as typed
        self._chosen: list[str] = []

    # ------------------------------------------------------------------ building
    @property
    def is_number(self) -> bool:
        return self.question.kind == "number"

    @property
    def held(self) -> bool:
        """Answered, but the marks and explanations are kept back until reveal()."""
        return self.answered and self.hold_marks and not self.revealed

    @property
    def marked(self) -> bool:
        return self.answered and not self.held

    def reveal(self) -> bool:
        """Show the marks, explanations and outcome of a held answer. False if there is none."""
        if not self.held:
            return False
        self.revealed = True
        self._draw()
        self._watch_outcome()
        return True

    @property
    def letters(self) -> str:
        return LETTERS[: len(self.question.options)]

    def compose(self) -> ComposeResult:
        q = self.question
        yield Static(Content(q.prompt), classes="quiz-prompt")
        yield Static("", classes="quiz-result")
        for i, _ in enumerate(q.options[: len(LETTERS)]):
            yield QuizOptionLine(i)
        if self.is_number:
            yield NumberInput(placeholder=f"your answer, in {q.unit}" if q.unit else "your answer", type="number",
                              id="quiz-number")  # fmt: skip
        yield Static("", classes="quiz-explain")
        yield Static("", classes="quiz-teaches")

    def on_mount(self) -> None:
        self._draw()

    def focus_answer(self) -> None:
        """Put the cursor where the answer goes (the number box), if there is one."""
        if self.is_number and not self.answered:
            self.query_one(Input).focus()

    # --------------------------------------------------------------------- input
    def press(self, index: int) -> bool:
        """Choose option `index` (a letter or a click). True if it was used."""
        if self.answered or self.is_number or not 0 <= index < len(self.question.options):
            return False
        if self.question.multiple:
            self.picked ^= {index}
            self._draw()
        else:
            self.picked = {index}
            self._submit()
        return True

    @property
    def can_submit(self) -> bool:
        if self.answered:
            return False
        if self.is_number:
            return bool(self.query_one(Input).value.strip())
        return self.question.multiple and bool(self.picked)

    def submit(self) -> bool:
        if not self.can_submit:
            return False
        self._submit()
        return True

    @on(NumberInput.Refused)
    def _not_a_number(self, event: NumberInput.Refused) -> None:
        event.stop()
        unit = f" in {self.question.unit}" if self.question.unit else ""
        self.query_one(".quiz-result", Static).update(
            Content(f"This question wants a number{unit}: type digits (like 12 or 0.5), then press Enter.")
        )

    @on(Input.Submitted)
    def _number_entered(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self._submit()

    def _submit(self) -> None:
        q = self.question
        if self.is_number:
            box = self.query_one(Input)
            self.typed = box.value.strip()
            box.disabled = True
            chosen = [self.typed]
            self.correct = q.is_correct(self.typed)
        else:
            chosen = [q.options[i].key for i in sorted(self.picked)]
            self.correct = q.is_correct(chosen if q.multiple else chosen[0])
        self.answered = True
        self._chosen = chosen
        self._draw()
        if not self.held:
            self._watch_outcome()
        self.post_message(self.Answered(self, chosen, self.correct))

    def _watch_outcome(self) -> None:
        q = self.question
        if q.scenario and self.watch:
            self.mount(QuizScenarioResult(q.scenario, q, self._chosen), after=self.query_one(".quiz-result"))

    # ------------------------------------------------------------------- drawing
    def _draw(self) -> None:
        q = self.question
        marked = self.marked
        for line in self.query(QuizOptionLine):
            option = q.options[line.index]
            picked = line.index in self.picked
            right = option.key in q.answers
            line.set_class(picked and not marked, "-picked")
            line.set_class(marked and right, "-right")
            line.set_class(marked and not right and picked, "-wrong")
            line.update(self._option_content(line.index, option, picked, line.content_region.width))
        result = self.query_one(".quiz-result", Static)
        result.set_class(marked and self.correct, "-right")
        result.set_class(marked and not self.correct, "-wrong")
        result.set_class(self.held, "-held")
        result.update(self._result_text())
        explain = self.query_one(".quiz-explain", Static)
        explain.display = marked and bool(q.explain)
        explain.update(Content(q.explain))
        teaches = self.query_one(".quiz-teaches", Static)
        teaches.display = bool(q.teaches)
        teaches.update(Content.assemble(("Taught in: ", "bold"), teaches_label(self.course, q.teaches),
                                        ("  (l: read that step)", "italic")))  # fmt: skip

    def _option_content(self, index: int, option: Option, picked: bool, width: int = 0) -> Content:
        q = self.question
        chip = (f" {LETTERS[index]} ", "reverse bold")
        box = ("[x] " if picked else "[ ] ") if q.multiple else ""
        label = option_label(q, option)
        if self.held:
            return Content.assemble(chip, " ", box, label, ("  ← chosen" if picked else "", "bold"))
        if not self.answered:
            return Content.assemble(chip, " ", box, label)
        right = option.key in q.answers
        # the lessons' own words: "✓ the answer / ✗ not this one", "✓ applies / ✗ does not apply"
        if q.multiple:
            words = "✓ applies" if right else "✗ does not apply"
        else:
            words = "✓ the answer" if right else "✗ not this one"
        marker: list = [(words, "bold $text-success" if right else "bold $text-error")]
        if picked:
            marker.append(("  ← you chose this", "italic"))
        elif right and q.multiple:  # "[ ] … ✓ applies" alone could read as "right to leave it out"
            marker.append(("  ← you left it out", "italic"))
        text = marked(Content.assemble(chip, " ", box, label), Content.assemble(*marker), width)
        if option.explain:
            text = Content.assemble(text, "\n", option.explain)
        return text

    def _result_text(self) -> Content:
        q = self.question
        if self.held:
            said = self.typed if self.is_number else ", ".join(LETTERS[i] for i in sorted(self.picked))
            return Content(f"Answer {said} is in. Talk it over, then press Enter to reveal.")
        if not self.answered:
            if self.is_number:
                return Content(f"Type a number ({q.unit}) and press Enter.")
            if q.multiple:
                return Content(f"Choose every option that applies ({', '.join(self.letters)}), then press Enter.")
            return Content(f"Press {_or_list(self.letters)}, or click an option.")
        if self.is_number:
            answer = f"{format_number(q.number)} {q.unit}".strip()
            within = f" (within ±{format_number(q.tolerance)})" if q.tolerance else ""
            if self.correct:
                return Content(f"✓ Right: {answer}{within}.")
            return Content(f"✗ Not quite: you said {self.typed}; the answer is {answer}{within}.")
        letters = ", ".join(LETTERS[i] for i, o in enumerate(q.options) if o.key in q.answers)
        if self.correct:
            return Content("✓ Right. Every option is explained below.")
        return Content(f"✗ Not quite: the answer is {letters}. Every option is explained below.")


def _or_list(letters: str) -> str:
    if len(letters) <= 1:
        return letters
    return ", ".join(letters[:-1]) + " or " + letters[-1]
