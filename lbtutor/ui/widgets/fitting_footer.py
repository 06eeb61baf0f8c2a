"""The footer every screen uses: its keys in the screen's order (most used first), only as many
as fit whole. Textual's Footer lets the last key run off the edge ("↑↓ Sel" at 80 columns); this
one leaves out every key from the first that would be cut, so no word is ever cut.

Textual's Footer composes its keys again each time the screen says its bindings changed, about
10 ms each, and a screen says so several times as it opens (three times before the course map's
keys were drawn): this one composes them again only when the keys it would show have changed."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Footer


class FittingFooter(Footer):
    _keys_asked: tuple | None = None  # the keys of the last recompose asked for

    def bindings_changed(self, screen) -> None:  # type: ignore[override]
        if screen is self.screen and self.is_attached:
            keys = self._keys_shown()
            if self._bindings_ready and keys == self._keys_asked:
                return  # the same keys (a recompose for them is done or on its way)
            self._keys_asked = keys
        super().bindings_changed(screen)

    def _keys_shown(self) -> tuple:
        """What compose draws: each shown binding (and the palette's) with its state."""
        return tuple((binding.key, binding.action, binding.description, binding.show, enabled, tooltip)
                     for _, binding, enabled, tooltip in self.screen.active_bindings.values())  # fmt: skip

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
