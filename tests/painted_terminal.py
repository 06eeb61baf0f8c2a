"""What a real terminal would show: the tutor's paint updates applied, one after another, to a
grid of cells, as a terminal applies the bytes it receives.

A pilot's own screenshot renders the whole screen afresh, so it cannot see a row that a real
terminal kept from an earlier paint. This model can: feed it every update the app sends
(`watch(app)`), then compare `lines()` with a fresh render of the screen (`fresh_lines(app)`).
"""

from __future__ import annotations

from rich.segment import ControlType
from textual._compositor import CompositorUpdate


class PaintedTerminal:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.cells = [[" "] * width for _ in range(height)]

    def apply(self, update: CompositorUpdate, console) -> None:
        x = y = 0
        for segment in update.__rich_console__(console, console.options):
            if segment.control:
                for control in segment.control:
                    if control[0] == ControlType.CURSOR_MOVE_TO:
                        x, y = control[1], control[2]
                continue
            if segment.text == "\n":
                x, y = 0, y + 1
                continue
            for char in segment.text:  # the tutor draws single-width characters only
                if 0 <= y < self.height and 0 <= x < self.width:
                    self.cells[y][x] = char
                x += 1

    def lines(self) -> list[str]:
        return ["".join(row).rstrip() for row in self.cells]


def full_render(app) -> PaintedTerminal:
    """The screen rendered afresh, leaving the paint the app has pending as it was."""
    compositor = app.screen._compositor
    pending = set(compositor._dirty_regions)
    terminal = PaintedTerminal(*app.size)
    terminal.apply(compositor.render_full_update(), app.console)
    compositor._dirty_regions.update(pending)
    return terminal


def watch(app) -> PaintedTerminal:
    """Start recording the app's paints; the app must be running at its final size."""
    terminal = full_render(app)
    display = app._display

    def painted(screen, renderable) -> None:
        if isinstance(renderable, CompositorUpdate):
            terminal.apply(renderable, app.console)
        display(screen, renderable)

    app._display = painted
    return terminal


def fresh_lines(app) -> list[str]:
    """The screen rendered afresh, as a terminal that was cleared and repainted would show it."""
    return full_render(app).lines()
