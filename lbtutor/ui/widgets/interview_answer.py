"""One interview prompt: the learner types an answer, sees which rubric points it covers (and the
words that showed each), reads the model answer, and rates themself: again, hard, good or easy."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static, TextArea

from lbtutor.content.rubric import Coverage, match, words
from lbtutor.content.srs import RATINGS

if TYPE_CHECKING:
    from lbtutor.content.interview import InterviewPrompt

RATING_HELP = {
    "again": "I could not say it",
    "hard": "I got there with effort",
    "good": "I said most of it",
    "easy": "I said it all, easily",
}


class InterviewAnswerView(Vertical):
    DEFAULT_CSS = """
    InterviewAnswerView {
        height: auto;
        padding: 0 1;
    }
    InterviewAnswerView > .interview-prompt {
        text-style: bold;
        margin-bottom: 1;
    }
    InterviewAnswerView > .interview-hint {
        color: $text-muted;
    }
    InterviewAnswerView > TextArea {
        height: 8;
        margin-bottom: 1;
    }
    InterviewAnswerView > TextArea.-checked {
        height: auto;
        max-height: 8;
    }
    InterviewAnswerView > #interview-check {
        margin-bottom: 1;
    }
    InterviewAnswerView > .interview-coverage, InterviewAnswerView > .interview-model {
        margin-bottom: 1;
    }
    InterviewAnswerView > .interview-model {
        padding: 0 1;
        border: round $accent;
        border-title-color: $accent;
    }
    InterviewAnswerView > #interview-ratings {
        height: auto;
    }
    InterviewAnswerView > #interview-ratings > Button {
        margin-right: 1;
    }
    InterviewAnswerView > .interview-rated {
        text-style: bold;
    }
    """

    class Checked(Message):
        def __init__(self, view: InterviewAnswerView) -> None:
            super().__init__()
            self.view = view

    class Rated(Message):
        def __init__(self, view: InterviewAnswerView, rating: str) -> None:
            super().__init__()
            self.view = view
            self.prompt = view.prompt
            self.rating = rating
            self.answer = view.answer
            self.coverage = view.coverage

    def __init__(self, prompt: InterviewPrompt, *, id: str | None = None,
                 when_back: Callable[[str], str] | None = None) -> None:  # fmt: skip
        super().__init__(id=id, classes="interview-item")
        self.prompt = prompt
        self._said = ""
        # rating -> when the prompt comes back, in words ("back in 3 days"); from the schedule
        self.when_back = when_back
        self.answer = ""
        self.coverage: Coverage | None = None
        self.rating: str | None = None

    @property
    def checked(self) -> bool:
        return self.coverage is not None

    @property
    def has_draft(self) -> bool:
        """Something typed and not yet checked."""
        return not self.checked and bool(self.query_one(TextArea).text.strip())

    @property
    def answered(self) -> bool:
        """Rated: the item is done."""
        return self.rating is not None

    def compose(self) -> ComposeResult:
        yield Static(Content(self.prompt.prompt), classes="interview-prompt")
        yield Static(Content("Answer as you would out loud in an interview, then press ctrl+r (or the button) "
                             "to see which key points you made."), classes="interview-hint")  # fmt: skip
        yield TextArea(id="interview-text", soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
        yield Button("Check my answer (ctrl+r)", id="interview-check", compact=True)
        yield Static("", classes="interview-coverage")
        model = Static(Content(self.prompt.model_answer), classes="interview-model")
        model.border_title = "Model answer"
        yield model
        with Horizontal(id="interview-ratings"):
            for n, rating in enumerate(RATINGS, 1):
                button = Button(f"{n} {rating.capitalize()}", id=f"rate-{rating}", compact=True)
                button.tooltip = self.rating_words(rating)
                yield button
        yield Static("", classes="interview-rated")

    def on_mount(self) -> None:
        self._draw()

    def focus_answer(self) -> None:
        if not self.checked:
            self.query_one(TextArea).focus()

    # --------------------------------------------------------------------- input
    def check(self) -> bool:
        if self.checked:
            return False
        area = self.query_one(TextArea)
        self.answer = area.text.strip()
        self.coverage = match(self.prompt, self.answer)
        area.read_only = True
        area.add_class("-checked")
        self._draw()
        suggested = self.coverage.suggested_rating()
        self.query_one(f"#rate-{suggested}", Button).focus()
        self.post_message(self.Checked(self))
        return True

    def rating_words(self, rating: str) -> str:
        """What a rating means, and what it does: "I got there with effort: back in 3 days"."""
        back = self.when_back(rating) if self.when_back else ""
        return f"{RATING_HELP[rating]}: {back}" if back else RATING_HELP[rating]

    def rate(self, rating: str) -> bool:
        if not self.checked or self.answered or rating not in RATINGS:
            return False
        self._said = self.rating_words(rating)  # said before the review moves the prompt
        self.rating = rating
        self._draw()
        self.post_message(self.Rated(self, rating))
        return True

    @on(Button.Pressed, "#interview-check")
    def _check_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.check()

    @on(Button.Pressed, "#interview-ratings Button")
    def _rate_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.rate((event.button.id or "").removeprefix("rate-"))

    # ------------------------------------------------------------------- drawing
    def _draw(self) -> None:
        checked = self.checked
        self.query_one("#interview-check").display = not checked
        self.query_one(".interview-hint").display = not checked
        for selector in (".interview-coverage", ".interview-model", "#interview-ratings"):
            self.query_one(selector).display = checked and (selector != "#interview-ratings" or not self.answered)
        rated = self.query_one(".interview-rated", Static)
        rated.display = self.answered
        if self.coverage is not None:
            self.query_one(".interview-coverage", Static).update(coverage_text(self.coverage, self.prompt.model_answer))
        if self.rating:
            rated.update(Content(f"You rated this {self.rating}: {self._said or self.rating_words(self.rating)}."))
        for rating in RATINGS:
            self.query_one(f"#rate-{rating}", Button).disabled = self.answered


def shown_term(term: str, context: str) -> str:
    """A term as the learner reads it: one cut short to match several endings ("redundan", which
    the matcher lets match "redundant" and "redundancy") gets an ellipsis, "redundan…", so it does
    not read as a typo. A term is cut short when `context` (the model answer) has a longer word
    that starts with its last word, and never that word itself."""
    found = words(term)
    if not found:
        return term
    last = found[-1]
    seen = set(words(context))
    if last not in seen and any(w.startswith(last) for w in seen):
        return term + "…"
    return term


def coverage_text(coverage: Coverage, context: str = "") -> Content:
    parts: list = [(f"You covered {coverage.covered} of {coverage.total} key points.", "bold")]
    if not coverage.points or coverage.covered == 0:
        parts.append(" (Points count when your answer uses one of their words; they are listed below.)")
    for result in coverage.points:
        point = result.point
        if result.covered:
            parts += ["\n", ("✓ ", "bold $text-success"), point.text, ("  — you said ", "italic"),
                      (f"“{result.evidence}”", "bold")]  # fmt: skip
            if result.term and not result.evidence.lower().startswith(result.term.lower()):
                parts.append((f" (counts as “{result.term}”)", "italic"))
        else:
            terms = ", ".join(shown_term(t, context) for t in point.terms[:5]) + (", …" if len(point.terms) > 5 else "")
            parts += ["\n", ("✗ ", "bold $text-error"), point.text, ("  — words that show it: ", "italic"), terms]
    parts += ["\n", ("Suggested rating: ", "bold"), coverage.suggested_rating(),
              " (your call: press 1–4)"]  # fmt: skip
    return Content.assemble(*parts)
