"""The frame the lab's small dialogs share: a titled box over the lab, Apply and Cancel.

A dialog checks what was typed before it closes: a refused value stays in the box with the
reason under it (and in a notification), so nothing out of range ever reaches the simulation.
"""

from __future__ import annotations

from typing import TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from lbtutor.ui.screens.dismiss_once import DismissOnce

ResultType = TypeVar("ResultType")


class LabDialog(DismissOnce, ModalScreen[ResultType]):
    """Subclasses implement `body()` (the fields) and `result()` (raises ValueError to refuse)."""

    DEFAULT_CSS = """
    LabDialog {
        align: center middle;
    }
    LabDialog > Vertical {
        width: 72;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }
    LabDialog .dialog-title {
        text-style: bold;
        margin-bottom: 1;
    }
    LabDialog .dialog-fields {
        height: auto;
        max-height: 24;
    }
    LabDialog .dialog-error {
        color: $text-error;
        text-style: bold;
        height: auto;
    }
    LabDialog Horizontal.dialog-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    LabDialog Button {
        margin-left: 2;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without changing anything", id="lab-dialog.cancel"),
    ]

    title_text = ""
    apply_label = "Apply"

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="dialog-title", markup=False)
            with VerticalScroll(classes="dialog-fields"):
                yield from self.body()
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button(f"{self.apply_label} (enter)", id="apply", variant="primary")

    def body(self) -> ComposeResult:
        yield from ()

    def result(self) -> ResultType:
        raise NotImplementedError

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "apply":
            self.action_apply()
        else:
            self.action_cancel()

    def on_input_submitted(self, event) -> None:
        event.stop()
        self.action_apply()

    def action_apply(self) -> None:
        try:
            value = self.result()
        except ValueError as exc:
            self.refuse(str(exc))
            return
        self.dismiss(value)

    def refuse(self, message: str) -> None:
        message = message.strip()
        message = message[:1].upper() + message[1:] + ("" if message.endswith((".", "!", "?")) else ".")
        self.query_one(".dialog-error", Static).update(message)
        self.notify(message, title="Not changed", severity="warning", markup=False)

    def action_cancel(self) -> None:
        self.dismiss(None)
