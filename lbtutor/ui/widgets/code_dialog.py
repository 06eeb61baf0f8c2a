"""The scenario code of this run in large type (to write on a board), and a field to open another."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input, Static

from lbtutor.sim.scenario_code import ScenarioCodeError, decode
from lbtutor.ui.widgets.lab_dialog import LabDialog


class CodeDialog(LabDialog[str | None]):
    """Dismisses with a valid code the learner typed (to open), or None."""

    DEFAULT_CSS = """
    CodeDialog .code {
        text-style: bold;
        content-align: center middle;
        height: 3;
        border: round $accent;
        margin-bottom: 1;
    }
    """

    title_text = "Scenario code"
    apply_label = "Open this code"

    def __init__(self, code: str, copied: bool) -> None:
        super().__init__()
        self.code = code
        self.copied = copied

    def body(self) -> ComposeResult:
        yield Static(
            "Anyone who opens this code (here, or with `lbtutor lab --code CODE`) sees this run from its start:"
            " the same setup, the same seed, the same requests.",
            markup=False,
        )
        yield Static(self.code, classes="code", markup=False)
        if self.copied:
            yield Static("It is on your clipboard too (where the terminal allows it).")
        yield Static("To open someone else's run, type or paste its code here:")
        yield Input(placeholder="LB-XXXX-XXXX-XXXX", id="other-code")

    def on_mount(self) -> None:
        self.query_one("#other-code", Input).focus()

    def result(self) -> str | None:
        text = self.query_one("#other-code", Input).value.strip()
        if not text:
            return None
        try:
            decode(text)
        except ScenarioCodeError as exc:
            raise ValueError(str(exc)) from None
        return text
