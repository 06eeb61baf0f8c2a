"""Pick a named scenario to open in the lab; ones not in this build are listed as such."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from lbtutor.ui.widgets.lab_dialog import LabDialog


def scenario_choices() -> list[tuple[str, str, bool]]:
    """(name, title, available) for every scenario of the registry."""
    from lbtutor.sim import scenarios

    out = []
    for name in scenarios.names():
        try:
            out.append((name, scenarios.get(name).title, True))
        except Exception:  # a module still being written: list it, but say so
            out.append((name, "not in this build yet", False))
    return out


class ScenarioPicker(LabDialog[str | None]):
    title_text = "Open a scenario"
    apply_label = "Open"

    def body(self) -> ComposeResult:
        options = [
            Option(f"{name}: {title}" if ok else f"{name} ({title})", id=name, disabled=not ok)
            for name, title, ok in scenario_choices()
        ]
        yield OptionList(*options, id="scenarios")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def result(self) -> str | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            raise ValueError("choose a scenario first")
        return options.get_option_at_index(options.highlighted).id
