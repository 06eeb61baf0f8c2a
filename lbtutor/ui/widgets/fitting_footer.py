"""The footer every screen uses: its keys in the screen's order (most used first), only as many
as fit whole, on one row or (where the screen allows, see `max_rows`) more. Textual's Footer lets
the last key run off the edge ("↑↓ Sel" at 80 columns); this one leaves out every key from the
first that would be cut, so no word is ever cut and no key is shown before one that matters more."""

from __future__ import annotations

from textual.compose import compose
from textual.containers import HorizontalGroup
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterLabel, KeyGroup

MEASURE_TRIES = 3  # frames to wait for the keys' first layout before waiting for the next trigger


class FooterRow(HorizontalGroup):
    """One row of keys; what does not fit is left out of it, never cut."""

    DEFAULT_CSS = """
    FooterRow {
        width: 1fr;
        height: 1;
        overflow: hidden hidden;
    }
    """


class FittingFooter(Footer):
    """Keys are measured once on a single row, then laid out whole on up to `max_rows` rows.

    The widths are kept for as long as the screen's keys stay the same (a key that is only
    dimmed keeps its width), so a change of bindings or size lays the keys out again without
    measuring them again."""

    DEFAULT_CSS = """
    FittingFooter {
        layout: vertical;
    }
    """

    max_rows: reactive[int] = reactive(1, init=False)
    """How many rows the keys may take (the screen decides, by the room it has)."""

    def __init__(self, *args, max_rows: int = 1, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.set_reactive(FittingFooter.max_rows, max(1, max_rows))
        self._measured: tuple | None = None  # the keys' signature when `_widths` was measured
        self._widths: list[int] = []  # per unit of keys (see `_units`), in the screen's order
        self._palette = 0  # the palette key's width, docked at the right of the first row
        self._laid_out: tuple | None = None  # (signature, room, rows) of the layout shown
        self._keys_asked: tuple | None = None  # the keys and states of the last layout asked for

    # ---------------------------------------------------------------- when to lay out again
    def on_mount(self) -> None:
        self.call_after_refresh(self._measure)

    def on_resize(self) -> None:
        self.call_after_refresh(self._measure_or_lay_out)

    def watch_max_rows(self) -> None:
        self.call_after_refresh(self._measure_or_lay_out)

    def _measure_or_lay_out(self) -> None:
        if not self.is_attached:
            return
        if self._measured is None or self._measured != self._signature():
            self._measure()
        elif self._laid_out != (self._measured, self._room_now(), self.max_rows):
            self.call_after_refresh(self.recompose)

    # ---------------------------------------------------------------- composing
    def compose(self):
        nodes = compose(self, super().compose())
        palette = [n for n in nodes if n.has_class("-command-palette")]
        units = _units([n for n in nodes if not n.has_class("-command-palette")])
        signature = self._signature() if self._bindings_ready else None
        room = self._room_now()
        if signature is None or signature != self._measured or len(units) != len(self._widths) or room <= 0:
            # Not measured yet: everything on one row, to be measured (see `_measure`).
            self._laid_out = None
            with FooterRow():
                for unit in units:
                    yield from unit
        else:
            rows = pack(self._widths, room, self.max_rows)
            self._laid_out = (signature, room, self.max_rows)
            self.styles.height = max(1, len(rows))
            for row in rows:
                with FooterRow():
                    for i in row:
                        yield from units[i]
        yield from palette

    def _keys_shown(self) -> tuple:
        """What compose draws: each binding with its state (dimmed or not) and tooltip."""
        return tuple((binding.key, binding.action, binding.description, binding.show, enabled, tooltip)
                     for _, binding, enabled, tooltip in self.screen.active_bindings.values())  # fmt: skip

    def _signature(self) -> tuple:
        """What the keys' widths depend on: the keys shown and their words (not whether dimmed)."""
        return tuple(
            (binding.key, binding.key_display, binding.description, binding.group.description if binding.group else "")
            for (_node, binding, _enabled, _tooltip) in self.screen.active_bindings.values()
            if binding.show
        )

    def _room_now(self) -> int:
        """Cells a row has for keys: the footer's width less the palette key docked at its right
        (measured with the keys: while the footer recomposes, the palette key is not there)."""
        if not self.is_attached or not self.size.width:
            return 0
        return self.size.width - self._palette

    # ---------------------------------------------------------------- measuring
    def _measure(self, tries: int = MEASURE_TRIES) -> None:
        """With every key on one row, note each unit's width, then lay them out in rows.

        Only on the screen that is shown: a screen underneath is not laid out, so its keys have
        no width yet (it measures when it is back on top and its bindings refresh)."""
        if not self.is_attached or not self._bindings_ready or not self.screen.is_current:
            return
        rows = list(self.query_children(FooterRow))
        if self._laid_out is not None or len(rows) != 1:
            self._laid_out = None
            self._measured = None
            self.call_after_refresh(self._recompose_then_measure)
            return
        units = _units(list(rows[0].children))
        if any(not node.display or not node.size.width for unit in units for node in unit) or not self.size.width:
            if tries > 0:  # not laid out yet; a resize or a change of keys measures again later
                self.call_after_refresh(self._measure, tries - 1)
            return
        self._widths = [sum(_outer_width(node) for node in unit) for unit in units]
        self._palette = sum(child.outer_size.width for child in self.children
                            if child.has_class("-command-palette") and child.display)
        self._measured = self._signature()
        self.call_after_refresh(self.recompose)

    async def _recompose_then_measure(self) -> None:
        await self.recompose()
        self.call_after_refresh(self._measure)

    def bindings_changed(self, screen) -> None:
        """The keys changed: lay them out again, measuring first when their words changed."""
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            keys = self._keys_shown()
            if keys == self._keys_asked and self._laid_out is not None and self._laid_out[0] == self._measured:
                return  # the same keys in the same states, laid out already: a screen says so often as it opens
            self._keys_asked = keys
            if self._measured is not None and self._measured == self._signature():
                self.call_after_refresh(self.recompose)
            else:
                self._measured = None
                self.call_after_refresh(self._recompose_then_measure)


def _outer_width(node: Widget) -> int:
    margin = node.styles.margin
    return node.outer_size.width + margin.left + margin.right


def _units(nodes: list[Widget]) -> list[list[Widget]]:
    """The keys as units that stay together: a group of keys with the label after it ("←→ Step")."""
    units: list[list[Widget]] = []
    for node in nodes:
        if isinstance(node, FooterLabel) and units and isinstance(units[-1][-1], KeyGroup):
            units[-1].append(node)
        else:
            units.append([node])
    return units


def pack(widths: list[int], room: int, max_rows: int) -> list[list[int]]:
    """The units (by index) on each row, in order, as many as fit whole in `room` cells a row on
    at most `max_rows` rows. The first unit that does not fit ends the footer: a key is never
    shown after one of higher priority that was left out."""
    rows: list[list[int]] = [[]]
    used = 0
    for i, width in enumerate(widths):
        if used + width <= room:
            rows[-1].append(i)
            used += width
            continue
        if len(rows) >= max_rows or width > room or not rows[-1]:
            break
        rows.append([i])
        used = width
    return [row for row in rows if row]
