"""Textual's Header, with a title watcher that outlives the header's parts.

Textual 8.2.8's Header updates its title from a watcher that ignores only NoScreen. Keys that
open and close a screen faster than it settles ran the watcher after the header's title had
been removed, and the NoMatches it raised ended the app (found by key mashing, seeds 25, 41, 42).
"""

from __future__ import annotations

from contextlib import suppress

from textual.css.query import NoMatches
from textual.dom import NoScreen
from textual.events import Mount
from textual.widget import Widget
from textual.widgets import Header
from textual.widgets._header import HeaderTitle


class TutorHeader(Header):
    def _on_mount(self, event: Mount) -> None:
        event.prevent_default()  # instead of Header's own watcher, not beside it
        Widget._on_mount(self, event)

        async def set_title() -> None:
            with suppress(NoScreen, NoMatches):  # the header, or its title, is on its way out
                self.query_one(HeaderTitle).update(self.format_title())

        for node in (self.app, self.screen):
            self.watch(node, "title", set_title)
            self.watch(node, "sub_title", set_title)
