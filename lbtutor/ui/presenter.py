"""Presenter mode, for a class watching a projector: F5, `lbtutor --present`, or the palette.

The app's `presenting` reactive and its CSS class `-presenting` carry the mode; each screen reads
it: lessons read like slides with labs paused at t = 0 on their fixed seeds and their status kept
in view, checks and quiz questions keep their marks until Enter reveals them, lab bars grow as
thick as the terminal allows, and the lab asks before a new seed changes the demo.
"""

from __future__ import annotations

from typing import Any

from lbtutor.ui.commands import PaletteCommand, command_source

SUMMARY = "big bars and digits, answers held until Enter reveals them, steps like slides, fixed seeds"


def toggle_presenting(app: Any) -> None:
    app.presenting = not app.presenting
    if app.presenting:
        app.notify(f"Presenter mode: {SUMMARY}. F5 turns it off.", title="Presenter mode", timeout=4)
    else:
        app.notify("Presenter mode is off.", timeout=3)


@command_source
def presenter_commands(app: Any):
    on = bool(getattr(app, "presenting", False))
    yield PaletteCommand(
        "Presenter mode",
        ("On now: F5 or enter turns it off" if on else f"F5: {SUMMARY}"),
        lambda: toggle_presenting(app),
    )
