"""A quick question inside a lesson step: pick by key (a, b, c…) or mouse; every option explained.

In presenter mode (`hold_marks`) the pick is registered at once, but the marks and explanations
wait for `reveal()`, so a class can argue about the answer before it sees it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from lbtutor.ui.widgets.quiz_question import marked

if TYPE_CHECKING:
    from lbtutor.content.lessons import CheckBlock, LabBlock, Option


class OptionLine(Vertical):
    """One option of a check, and its explanation once answered; a click is the same as its key."""

    DEFAULT_CSS = """
    OptionLine {
        height: auto;
    }
    OptionLine > Horizontal {
        height: auto;
    }
    OptionLine .option-key {
        width: auto;
        margin-right: 1;
        text-style: bold reverse;
    }
    OptionLine .option-text {
        width: 1fr;
    }
    OptionLine > .option-explain {
        padding-left: 4;
        display: none;
    }
    OptionLine.-answered > .option-explain {
        display: block;
    }
    """

    def __init__(self, option: Option) -> None:
        super().__init__(classes="check-option")
        self.option = option

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(Content(f" {self.option.key} "), classes="option-key")
            yield Static("", classes="option-text")
        yield Static(Content(self.option.explain), classes="option-explain")

    @property
    def text_width(self) -> int:
        for widget in self.query(".option-text").results(Static):
            return widget.content_region.width
        return 0

    def show(self, text: Content, answered: bool) -> None:
        self.set_class(answered, "-answered")
        for widget in self.query(".option-text").results(Static):  # none while the app shuts down
            widget.update(text)

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.query_ancestor(CheckBlockView).press(self.option.key)


class CheckBlockView(Vertical):
    """Asks `check.question`; after an answer, marks it right or wrong and explains every option."""

    DEFAULT_CSS = """
    CheckBlockView {
        height: auto;
        margin: 0 0 1 0;
        padding: 0 1;
        border: round $accent;
        border-title-color: $accent;
        border-title-style: bold;
    }
    CheckBlockView > .check-question {
        text-style: bold;
        margin-bottom: 1;
    }
    CheckBlockView > .check-run-to {
        color: $text-muted;
        margin-bottom: 1;
    }
    CheckBlockView > .check-option {
        padding: 0 1;
        border-left: blank;
    }
    CheckBlockView.-answered > .check-option {
        margin-bottom: 1;
    }
    CheckBlockView > .check-result {
        margin-top: 1;
    }
    CheckBlockView.-answered > .check-result {
        margin-top: 0;
    }
    CheckBlockView > .check-option:hover {
        background: $boost;
    }
    CheckBlockView > .check-option.-picked {
        border-left: outer $accent;
    }
    CheckBlockView.-held > .check-result {
        margin-top: 1;
        text-style: bold;
        color: $text-accent;
    }
    CheckBlockView > .check-option.-right {
        border-left: outer $success;
    }
    CheckBlockView > .check-option.-right .option-text {
        color: $text-success;
    }
    CheckBlockView > .check-option.-wrong {
        border-left: outer $error;
    }
    CheckBlockView > .check-option.-wrong .option-text {
        color: $text-error;
    }
    CheckBlockView > .check-result {
        text-style: bold;
    }
    CheckBlockView > .check-result.-right {
        color: $text-success;
    }
    CheckBlockView > .check-result.-wrong {
        color: $text-error;
    }
    """

    class Answered(Message):
        """The learner submitted an answer."""

        def __init__(self, view: CheckBlockView, chosen: list[str], correct: bool) -> None:
            super().__init__()
            self.view = view
            self.check = view.check
            self.chosen = chosen
            self.correct = correct

    def __init__(
        self, check: CheckBlock, previous: tuple[list[str], bool] | None = None, *, hold_marks: bool = False,
        lab: LabBlock | None = None,
    ) -> None:
        super().__init__(classes="check-block")
        self.check = check
        self.lab = lab  # the lab before the check, the one its `run_to` names
        self.border_title = "Check yourself"
        self.picked: set[str] = set()
        self.answered = False
        self.hold_marks = hold_marks  # presenter mode: marks wait for reveal()
        self.revealed = False
        if previous is not None:
            chosen, _ = previous
            known = {option.key for option in check.options}
            self.picked = {key for key in chosen if key in known}
            self.answered = bool(self.picked)

    @property
    def correct(self) -> bool:
        return self.answered and self.check.is_correct(self.picked)

    @property
    def held(self) -> bool:
        """Answered, but the marks and explanations are kept back until reveal()."""
        return self.answered and self.hold_marks and not self.revealed

    @property
    def marked(self) -> bool:
        """Answered and showing which options are right, with every explanation."""
        return self.answered and not self.held

    @property
    def keys(self) -> list[str]:
        return [option.key for option in self.check.options]

    def compose(self) -> ComposeResult:
        yield Static(Content(self.check.question), classes="check-question")
        if self.check.run_to is not None:
            yield Static(Content(run_to_hint(self.check.run_to, self.lab)), classes="check-run-to")
        for option in self.check.options:
            yield OptionLine(option)
        yield Static("", classes="check-result")

    def on_mount(self) -> None:
        self._draw()

    # ------------------------------------------------------------------ input
    def press(self, key: str) -> bool:
        """A letter from the keyboard or a click. True if this check used it."""
        if self.answered or key not in self.keys:
            return False
        if self.check.multiple:
            self.picked ^= {key}
            self._draw()
        else:
            self.picked = {key}
            self._submit()
        return True

    @property
    def can_submit(self) -> bool:
        return self.check.multiple and not self.answered and bool(self.picked)

    def submit(self) -> bool:
        if not self.can_submit:
            return False
        self._submit()
        return True

    def retry(self) -> bool:
        if not self.answered:
            return False
        self.answered = False
        self.revealed = False
        self.picked = set()
        self._draw()
        return True

    def reveal(self) -> bool:
        """Show the marks and explanations of a held answer. False if there is none."""
        if not self.held:
            return False
        self.revealed = True
        self._draw()
        return True

    def _submit(self) -> None:
        self.answered = True
        self._draw()
        chosen = [key for key in self.keys if key in self.picked]
        self.post_message(self.Answered(self, chosen, self.correct))

    # ---------------------------------------------------------------- drawing
    def redraw(self) -> None:
        self._draw()

    def _draw(self) -> None:
        marked = self.marked
        self.set_class(marked, "-answered")
        self.set_class(self.held, "-held")
        answers = self.check.answers
        for line in self.query(OptionLine):
            option = line.option
            picked = option.key in self.picked
            line.set_class(picked and not marked, "-picked")
            line.set_class(marked and option.key in answers, "-right")
            line.set_class(marked and option.key not in answers and picked, "-wrong")
            line.show(self._option_content(option, picked, line.text_width), marked)
        for result in self.query(".check-result").results(Static):  # none while the app shuts down
            result.set_class(marked and self.correct, "-right")
            result.set_class(marked and not self.correct, "-wrong")
            result.update(self._result_text())

    def _option_content(self, option: Option, picked: bool, width: int = 0) -> Content:
        box = ""
        if self.check.multiple:
            box = "[x] " if picked else "[ ] "
        if self.held:
            return Content.assemble(box, option.text, ("  ← chosen" if picked else "", "bold"))
        if not self.answered:
            return Content.assemble(box, option.text)
        right = option.key in self.check.answers
        if self.check.multiple:
            mark = "✓ applies" if right else "✗ does not apply"
        else:
            mark = "✓ the answer" if right else "✗ not this one"
        marker: list = [(mark, "bold")]
        if picked:
            marker.append(("  ← you chose this", "italic"))
        return marked(Content.assemble(box, option.text), Content.assemble(*marker), width)

    def _result_text(self) -> Content:
        keys = ", ".join(self.keys)
        if self.held:
            chosen = ", ".join(key for key in self.keys if key in self.picked)
            return Content(f"Answer {chosen} is in. Talk it over, then press Enter to reveal.")
        if not self.answered:
            if self.check.multiple:
                return Content(f"Choose every option that applies ({keys}), then press Enter.")
            return Content(f"Press {_or_list(self.keys)}, or click an option.")
        answer = ", ".join(key for key in self.keys if key in self.check.answers)
        said = "✓ Right. Each option is explained above." if self.correct else (
            f"✗ Not quite: the answer is {answer}. Each option is explained above.")
        width = 0
        for result in self.query(".check-result").results(Static):
            width = result.content_region.width
        return marked(Content(said), Content("(r: try again)"), width)  # never "(r: try" / "again)"


def run_to_hint(run_to: float | str, lab: LabBlock | None = None) -> str:
    """Where the explanations' numbers come from, and the key that takes the lab there. An engine
    lab's numbers are long-run averages, which its one run (its seed) approaches, counted since
    the start; a scenario lab's are that run's own."""
    if run_to == "end":
        return "The explanations quote the lab above over its full run: g runs it to the end."
    if lab is not None and lab.is_engine:
        hint = (f"The explanations' numbers are long-run averages; the lab's since-start readings "
                f"come close by t = {float(run_to):g} s: g runs it there.")
        if len(lab.algorithms) > 1:
            hint += " Switch algorithm, then g again."
        return hint
    return f"The explanations quote the lab above at t = {float(run_to):g} s: g runs it there."


def _or_list(keys: list[str]) -> str:
    if len(keys) <= 1:
        return "".join(keys)
    return ", ".join(keys[:-1]) + " or " + keys[-1]

