"""The command palette lbtutor opens (ctrl+p, the theme picker, command lists): Textual's, with guards
against keys pressed faster than it lays out. Imported when a palette first opens."""

from __future__ import annotations

import contextlib

from textual import events, on, work
from textual.command import CommandPalette
from textual.css.query import NoMatches
from textual.widgets import Button, Input


class TutorPalette(CommandPalette):
    """Textual's command palette, safe against keys pressed faster than it lays out (Textual 8.2.8):
    page up/down while its list's line map lags its options (before it has a size, or just after
    new results) raised KeyError in OptionList._move_page."""

    def _action_command_list(self, action: str) -> None:
        if action in ("page_up", "page_down"):
            with contextlib.suppress(KeyError):  # no lines yet, so no page to move by
                super()._action_command_list(action)
            return
        super()._action_command_list(action)

    @on(Input.Submitted)
    @on(Button.Pressed)
    def _select_or_command(self, event: Input.Submitted | Button.Pressed | None = None) -> None:
        # Replaces the palette's own handler (prevent_default stops Textual calling that one too).
        # An enter queued behind the one that chose a command arrives after the palette closed;
        # Textual then dismissed it again, popping the screen below it (or raising on the last).
        if event is not None:
            event.prevent_default()
        if self.app.screen is not self:
            return
        super()._select_or_command(event)

    def _on_click(self, event: events.Click) -> None:  # type: ignore[override]
        event.prevent_default()  # replaces the palette's own handler, as above
        if self.app.screen is self:  # a second click on the background came after the first closed it
            super()._on_click(event)

    @work(exclusive=True, group=CommandPalette._GATHER_COMMANDS_GROUP)
    async def _gather_commands(self, search_value: str) -> None:  # type: ignore[override]
        # A search can start, or still run, after the palette closed (typing queued behind esc);
        # Textual's search worker then failed to find its list (NoMatches: CommandList).
        with contextlib.suppress(NoMatches):
            await CommandPalette._gather_commands.__wrapped__(self, search_value)
