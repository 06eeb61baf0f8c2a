"""The balancer's generated config, whole, as it runs now; Save writes it to the exports folder."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from lbtutor.ui.widgets.lab_dialog import LabDialog


class ConfigDialog(LabDialog[bool]):
    """Dismisses with True when the learner asks to save the config."""

    DEFAULT_CSS = """
    ConfigDialog > Vertical {
        width: 110;
    }
    ConfigDialog .dialog-fields {
        max-height: 30;
    }
    ConfigDialog .config-text {
        background: $boost;
        padding: 0 1;
    }
    """

    BINDINGS = [Binding("s", "apply", "Save", tooltip="Save this config to the exports folder", id="config-dialog.save")]

    apply_label = "Save"

    def __init__(self, title: str, text: str, note: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.note = note

    def body(self) -> ComposeResult:
        yield Static(self.note, markup=False)
        yield Static(self.text.rstrip("\n"), classes="config-text", markup=False)

    def result(self) -> bool:
        return True
