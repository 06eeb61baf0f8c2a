"""Themes for every eye: greys only, and the Okabe-Ito palette that stays apart for colour-blind eyes.

Load never depends on colour (bars differ by length and glyph, and carry a number), so these
themes change nothing but the colours. Both are in the theme picker (ctrl+p, "Theme") and the
palette has a direct command for each; `LBTUTOR_THEME=NAME` picks one at start (any theme name
the picker lists works). NO_COLOR is Textual's own: it turns every colour to grey.

Okabe-Ito (Okabe & Ito, "Color Universal Design", 2008): in this theme load levels are sky blue
(busy), yellow (nearly full) and vermillion (queued); simulated protanopia, deuteranopia and
tritanopia keep those three at least 34 CIELAB units apart (textual-dark's green, orange and red
fall to 22 under deuteranopia).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.theme import Theme

if TYPE_CHECKING:
    from lbtutor.ui.commands import PaletteCommand

THEME_ENV = "LBTUTOR_THEME"

MONOCHROME = Theme(
    name="monochrome",
    primary="#d0d0d0",
    secondary="#a0a0a0",
    accent="#ffffff",
    warning="#c8c8c8",
    error="#ffffff",
    success="#9a9a9a",
    foreground="#e8e8e8",
    background="#000000",
    surface="#101010",
    panel="#1e1e1e",
    dark=True,
)

OKABE_ITO = Theme(
    name="okabe-ito",
    primary="#0072b2",  # blue
    secondary="#009e73",  # bluish green
    accent="#e69f00",  # orange
    success="#56b4e9",  # sky blue: busy
    warning="#f0e442",  # yellow: nearly full
    error="#d55e00",  # vermillion: queued, down, wrong
    foreground="#ededed",
    background="#121212",
    surface="#1c1c1c",
    panel="#2a2a2a",
    dark=True,
)

THEMES = (MONOCHROME, OKABE_ITO)
LABELS = {
    "monochrome": ("Theme: monochrome", "Greys only; load still reads by bar length, glyph and number"),
    "okabe-ito": ("Theme: Okabe-Ito, colour-blind safe", "Load levels in sky blue, yellow and vermillion"),
}


def register_themes(app) -> None:
    """Add the themes to `app`, and switch to $LBTUTOR_THEME if it names one."""
    for theme in THEMES:
        app.register_theme(theme)
    wanted = os.environ.get(THEME_ENV, "").strip()
    if not wanted:
        return
    if wanted in app.available_themes:
        app.theme = wanted
    else:
        names = ", ".join(sorted(app.available_themes))
        app.notify(f"{THEME_ENV}={wanted} is not a theme; choose one of: {names}", title="Unknown theme",
                   severity="warning", markup=False, timeout=10)  # fmt: skip


def theme_commands(app: Any) -> Iterator[PaletteCommand]:
    """The palette's theme commands (a source lbtutor/ui/commands.py registers: the app imports
    this module at start, the palette's only when it is first needed)."""
    from lbtutor.ui.commands import PaletteCommand

    for theme in THEMES:
        text, help_text = LABELS[theme.name]
        current = " (now)" if app.theme == theme.name else ""
        yield PaletteCommand(text + current, help_text, partial(setattr, app, "theme", theme.name))
    if app.theme in LABELS:
        yield PaletteCommand("Theme: default colours", "Back to textual-dark", partial(setattr, app, "theme", "textual-dark"))
