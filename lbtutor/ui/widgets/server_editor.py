"""Type a server's weight and speed exactly (the w/s keys step along a ladder instead)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input, Static

from lbtutor.sim.config import ConfigError
from lbtutor.sim.presets import SPEED_RANGE, WEIGHT_RANGE, check_speed, check_weight
from lbtutor.ui.widgets.lab_dialog import LabDialog


class ServerEditor(LabDialog[tuple[float, float] | None]):
    """Dismisses with (weight, speed), or None when cancelled."""

    def __init__(self, name: str, weight: float, speed: float) -> None:
        super().__init__()
        self.server_name = name
        self.weight = weight
        self.speed = speed
        self.title_text = f"Server {name}: weight and speed"

    def body(self) -> ComposeResult:
        lo, hi = WEIGHT_RANGE
        yield Static(f"Weight: its share of traffic for weighted algorithms ({lo:g} to {hi:g})")
        yield Input(f"{self.weight:g}", id="weight", type="number")
        lo, hi = SPEED_RANGE
        yield Static(f"Speed: how fast it works, 1 = a standard server ({lo:g} to {hi:g})")
        yield Input(f"{self.speed:g}", id="speed", type="number")

    def on_mount(self) -> None:
        self.query_one("#weight", Input).focus()

    def result(self) -> tuple[float, float]:
        weight = _number(self.query_one("#weight", Input).value, "weight")
        speed = _number(self.query_one("#speed", Input).value, "speed")
        try:
            return check_weight(weight), check_speed(speed)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None


def _number(text: str, what: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise ValueError(f"the {what} must be a number (got {text!r})") from None
