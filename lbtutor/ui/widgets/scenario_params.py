"""Edit the open scenario's parameters: one field per parameter, with its range beside it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input, Static

from lbtutor.sim.scenarios.base import Param, ScenarioError
from lbtutor.ui.widgets.lab_dialog import LabDialog


class ScenarioParams(LabDialog[dict | None]):
    """Dismisses with {name: value} for every parameter (checked), or None when cancelled."""

    apply_label = "Restart with these"

    def __init__(self, scenario: str, title: str, params: list[tuple[Param, object]]) -> None:
        super().__init__()
        self.scenario = scenario
        self.params = params
        self.title_text = f"{title}: parameters (the run restarts with the same seed)"

    def body(self) -> ComposeResult:
        for i, (param, value) in enumerate(self.params):
            unit = f" {param.unit}" if param.unit and param.unit not in ("count", "fraction") else ""
            yield Static(f"{param.name}{unit}: {param.meaning} ({param.allowed()})", markup=False)
            yield Input(_text(value), id=f"param-{i}")

    def on_mount(self) -> None:
        if self.params:
            self.query_one("#param-0", Input).focus()

    def result(self) -> dict:
        values = {}
        for i, (param, _value) in enumerate(self.params):
            text = self.query_one(f"#param-{i}", Input).value
            try:
                values[param.name] = param.parse(text, self.scenario)
            except ScenarioError as exc:
                raise ValueError(str(exc)) from None
        return values


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
