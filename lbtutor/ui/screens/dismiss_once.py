"""Screens that close (or hand over to another screen) once, however many keys are queued behind the first.

Textual 8.2.8's `Screen.dismiss` runs the result callback and pops whatever screen is on top.
Keys typed faster than the screen closes (`y` then `n` on a confirmation, `q q` on help) reach
the screen after it has left the stack: a second dismiss then answered again (a pushed screen's
future raised `InvalidStateError`) and popped the screen underneath. Found by key mashing.
"""

from __future__ import annotations

from typing import Any

from textual.await_complete import AwaitComplete


async def _nothing() -> None:
    return None


class DismissOnce:
    """Mix in before `Screen`/`ModalScreen`: a dismiss on a screen that is not on top does nothing."""

    def dismiss(self, result: Any = None) -> AwaitComplete:  # type: ignore[override]
        if not self.is_active:  # type: ignore[attr-defined]  # already closed, or something covers it
            return AwaitComplete(_nothing())
        return super().dismiss(result)  # type: ignore[misc]

    def replace_with(self, screen) -> None:
        """Put `screen` in this one's place on the stack, if this one is still on top.

        `App.switch_screen` replaces whatever is on top: a hand-over that runs late (after an
        awaited load, or a key queued behind esc) replaced the screen below instead, even the
        course map, leaving a stack without it."""
        if self.is_active:  # type: ignore[attr-defined]
            self.app.switch_screen(screen)  # type: ignore[attr-defined]
