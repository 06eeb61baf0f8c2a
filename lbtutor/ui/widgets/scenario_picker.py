"""Pick a named scenario to open in the lab; ones not in this build are listed as such.

Typing filters the list (by name or title: "dns" leaves dns-ttl), ↑ ↓ move the choice, enter
opens it. The chosen row is marked with ▶ and bold, not by colour alone.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from lbtutor.ui.widgets.lab_dialog import LabDialog

MARK = "▶ "
LEFT_OVER = 20  # lines of the dialog besides its list: frame, title, keys, filter, buttons


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


def matching(choices: list[tuple[str, str, bool]], typed: str) -> list[tuple[str, str, bool]]:
    """The choices whose name or title holds every word typed (any case)."""
    words = typed.lower().split()
    return [c for c in choices if all(w in f"{c[0]} {c[1]}".lower() for w in words)]


class ScenarioPicker(LabDialog[str | None]):
    title_text = "Open a scenario"
    apply_label = "Open"

    DEFAULT_CSS = """
    ScenarioPicker .picker-keys {
        color: $text-muted;
        margin-bottom: 1;
    }
    ScenarioPicker #scenario-filter {
        margin-bottom: 1;
    }
    """

    BINDINGS = [
        Binding("up", "move(-1)", "Up", tooltip="The scenario above", id="scenario-picker.up", show=False),
        Binding("down", "move(1)", "Down", tooltip="The scenario below", id="scenario-picker.down", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.choices = scenario_choices()

    def body(self) -> ComposeResult:
        yield Static("Type to filter · ↑ ↓ choose · enter open · esc cancel", classes="picker-keys")
        yield Input(placeholder="filter: a name or a word of the title, e.g. dns", id="scenario-filter")
        yield OptionList(id="scenarios")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def on_resize(self) -> None:
        # the list takes what the title, keys, filter and buttons leave, so the buttons show
        self.query_one(OptionList).styles.max_height = max(3, self.size.height - LEFT_OVER)

    def _fill(self, typed: str) -> None:
        options = self.query_one(OptionList)
        shown = matching(self.choices, typed)
        options.clear_options()
        options.add_options([
            Option(self._prompt(name, title, ok, False), id=name, disabled=not ok) for name, title, ok in shown
        ])
        first = next((i for i, (_, _, ok) in enumerate(shown) if ok), None)
        options.highlighted = first
        self._mark()

    @staticmethod
    def _prompt(name: str, title: str, ok: bool, chosen: bool) -> Content:
        text = f"{name}: {title}" if ok else f"{name} ({title})"
        if chosen:
            return Content.assemble((MARK + text, "bold"))
        return Content("  " + text)

    def _mark(self) -> None:
        """▶ and bold on the highlighted row, so the choice shows without colour."""
        options = self.query_one(OptionList)
        titles = {name: (title, ok) for name, title, ok in self.choices}
        for index in range(options.option_count):
            option = options.get_option_at_index(index)
            title, ok = titles[option.id]  # type: ignore[index]
            options.replace_option_prompt_at_index(index, self._prompt(option.id, title, ok, index == options.highlighted))  # type: ignore[arg-type]

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill(event.value)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._mark()

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if step < 0:
            options.action_cursor_up()
        else:
            options.action_cursor_down()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def result(self) -> str | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            raise ValueError("no scenario matches what you typed: clear the filter or type another word")
        return options.get_option_at_index(options.highlighted).id
