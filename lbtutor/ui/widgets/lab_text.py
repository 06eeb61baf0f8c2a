"""A Static for text that changes every frame: it redraws only when the text changed, and asks
for a new layout only when the number of lines it needs changed (a layout costs far more than
a redraw, and at 30 frames a second that difference is most of the lab's CPU)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class LabText(Static):
    def __init__(self, content: Content | str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(content, id=id, classes=classes)
        self._shown: Content | None = None
        self._lines: tuple[int, int] | None = None

    def show(self, content: Content | str) -> None:
        if isinstance(content, str):
            content = Content(content)
        if content == self._shown:
            return
        width = self.content_region.width
        lines = (width, content.get_height(self.styles, width)) if width else None
        layout = lines is None or lines != self._lines
        self._shown, self._lines = content, lines
        self.update(content, layout=layout)

    def on_resize(self) -> None:
        self._lines = None  # the next show lays out again at the new width
