"""Shown instead of a squashed screen when the terminal is smaller than the app can draw."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Static


class TooSmallScreen(Screen[None]):
    """A notice that names the size needed; the app removes it once the terminal is big enough."""

    DEFAULT_CSS = """
    TooSmallScreen {
        align: center middle;
    }
    TooSmallScreen #too-small {
        width: auto;
        max-width: 100%;
        padding: 0 1;
        text-align: center;
        color: $text-warning;
    }
    """

    def __init__(self, min_width: int, min_height: int) -> None:
        super().__init__()
        self.min_width = min_width
        self.min_height = min_height

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Static(self._message(self.app.size.width, self.app.size.height), id="too-small", markup=False)

    def update_size(self, width: int, height: int) -> None:
        self.query_one("#too-small", Static).update(self._message(width, height))

    def _message(self, width: int, height: int) -> str:
        return (
            "Terminal too small\n"
            f"enlarge to at least {self.min_width}×{self.min_height}\n"
            f"(now {width}×{height})"
        )
