"""The footer every screen uses: its keys in the screen's order (most used first), only as many
as fit whole. Textual's Footer lets the last key run off the edge ("↑↓ Sel" at 80 columns); this
one leaves out every key from the first that would be cut, so no word is ever cut."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Footer


class FittingFooter(Footer):
    def on_mount(self) -> None:
        self.call_after_refresh(self.fit)

    def on_resize(self) -> None:
        self._show_all_then_fit()

    async def recompose(self) -> None:
        await super().recompose()
        self.call_after_refresh(self.fit)

    def _show_all_then_fit(self) -> None:
        """Hidden keys have no width to measure: show them all for one layout, then fit."""
        for child in self._keys():
            child.display = True
        self.call_after_refresh(self.fit)

    def _keys(self) -> list[Widget]:
        return [child for child in self.children if not child.has_class("-command-palette")]

    def fit(self) -> None:
        if not self.is_attached:
            return
        keys = self._keys()
        if any(not key.display for key in keys):
            self._show_all_then_fit()
            return
        room = self.size.width
        for child in self.children:
            if child.has_class("-command-palette") and child.display:
                room -= child.outer_size.width
        used = 0
        fits = True
        for key in keys:
            margin = key.styles.margin
            used += key.outer_size.width + margin.left + margin.right
            fits = fits and used <= room
            key.display = fits
