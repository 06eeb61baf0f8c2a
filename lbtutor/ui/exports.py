"""Saving what the tutor shows: the screen as SVG (ctrl+s, "Save screenshot (SVG)") and the run on
screen as JSON + CSV ("Export run (CSV/JSON)").

Files go to the `exports` folder of the learner's data folder (--data-dir, $LBTUTOR_HOME or the
platform's user data folder), and the notification names each file. In a browser (`lbtutor serve`)
a screenshot is also sent to the browser as a download.

Which run a screen shows: a screen may define `export_run_record() -> dict | None` (see
lbtutor/export.py for the record); otherwise the lab screen's session, or on a lesson the live lab
in view, is exported.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from textual.app import ScreenStackError
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from lbtutor.export import export_run, file_stem, lab_session_record, live_run_record, unique_stem

SCREENSHOT_COMMAND = "Save screenshot (SVG)"
EXPORT_COMMAND = "Export run (CSV/JSON)"


def exports_dir(app) -> Path:
    from lbtutor.paths import data_dir

    return data_dir(getattr(app, "data_dir", None)) / "exports"


def screen_name(screen) -> str:
    """'lesson' for LessonScreen, 'lab' for LabScreen, ..."""
    name = type(screen).__name__
    return name[: -len("Screen")].lower() if name.endswith("Screen") and name != "Screen" else name.lower()


# ------------------------------------------------------------------ screenshots
def save_screenshot(app) -> Path | None:
    """Write the current screen as SVG; say where in a notification. None if it could not be saved."""
    if not app.screen_stack or not app.screen.is_attached:
        return None  # the app is closing (ctrl+s queued behind ctrl+q): there is no screen to save
    screen = app.screen
    folder = exports_dir(app)
    stem = unique_stem(folder, file_stem(screen_name(screen)), [".svg"]) if folder.is_dir() else file_stem(screen_name(screen))
    path = folder / f"{stem}.svg"
    title = " — ".join(part for part in (app.title, getattr(app, "sub_title", "")) if part)
    try:
        svg = app.export_screenshot(title=title)
    except (KeyError, ScreenStackError):
        # Textual 8.2.8 reads each widget's component styles; a widget being removed has none
        # ("No 'text-area--gutter' key in COMPONENT_CLASSES"; found by key mashing at shutdown).
        app.notify("The screen was changing; press ctrl+s again.", title="Screenshot not saved",
                   severity="warning", markup=False)  # fmt: skip
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(svg, encoding="utf-8")
    except OSError as exc:
        app.notify(f"Could not save the screenshot in {folder}: {exc.strerror or exc}", title="Screenshot not saved",
                   severity="error", markup=False)  # fmt: skip
        return None
    where = f"{path.name}\nin {folder}"
    if getattr(app, "is_web", False):
        # In a browser the file on the server is out of reach: hand the learner a copy too.
        app.deliver_text(io.StringIO(svg), save_filename=path.name, open_method="download", mime_type="image/svg+xml")
        where += "\nand sent to this browser as a download"
    app.notify(where, title="Screenshot saved (SVG)", markup=False)
    return path


# ------------------------------------------------------------------ runs
def run_record(screen) -> Callable[[], tuple[dict, tuple[str, ...]]] | None:
    """How to read the run `screen` shows, as (record, words for the file name); None if it shows none."""
    own = getattr(screen, "export_run_record", None)
    if callable(own):
        return lambda: (own(), (screen_name(screen), "run"))
    from lbtutor.sim.lab_session import LabSession

    session = getattr(screen, "session", None)
    if isinstance(session, LabSession):
        def lab() -> tuple[dict, tuple[str, ...]]:
            words = (session.spec.name,) if session.spec is not None else tuple(session.setup.algorithms)
            title = f"Lab: scenario {session.spec.name}" if session.spec is not None else "Lab: " + " vs ".join(words)
            return lab_session_record(session, title=title), ("lab", *words)

        return lab
    block = _lab_in_view(screen)
    if block is not None:
        def lesson_lab() -> tuple[dict, tuple[str, ...]]:
            lesson = getattr(screen, "lesson", None)
            title = f"Lab: {block.lab.title}" + (f" (lesson {lesson.section}: {lesson.title})" if lesson else "")
            record = live_run_record(block.run, title=title)
            record["seed"] = block.lab.seed
            return record, ("lab", block.lab.title)

        return lesson_lab
    return None


def _lab_in_view(screen) -> Any:
    """The lesson's live lab a learner is looking at: the first one on screen, else the first active."""
    from lbtutor.ui.widgets.lab_block import LabBlockView

    try:
        labs = [lab for lab in screen.query(LabBlockView) if lab.run is not None]
    except Exception:  # a screen that is not mounted (yet) has nothing to query
        return None
    in_view = [lab for lab in labs if lab.region.overlaps(screen.region)]
    active = [lab for lab in labs if getattr(lab, "active", False)]
    return (in_view or active or [None])[0]


def export_screen_run(app, screen=None) -> list[Path]:
    """Write the run on `screen` (default: the current one) as JSON + CSV; notify either way."""
    screen = screen or app.screen
    reader = run_record(screen)
    if reader is None:
        app.notify("This screen shows no run. Open the lab (ctrl+p: Open the lab) or a lesson step with a lab.",
                   title="Nothing to export", severity="warning", markup=False)  # fmt: skip
        return []
    record, words = reader()
    folder = exports_dir(app)
    try:
        paths = export_run(record, folder, file_stem(*words))
    except OSError as exc:
        app.notify(f"Could not write to {folder}: {exc.strerror or exc}", title="Run not exported",
                   severity="error", markup=False)  # fmt: skip
        return []
    names = "\n".join(path.name for path in paths)
    app.notify(f"{names}\nin {folder}", title=f"Run exported at t = {record.get('time', 0):.1f} s", markup=False)
    return paths


# ------------------------------------------------------------------ palette
def export_commands(app, screen) -> Iterator[tuple[str, str, Callable[[], Any]]]:
    folder = exports_dir(app)
    # The palette closes first: wait for the screen beneath to be drawn again before taking it.
    yield SCREENSHOT_COMMAND, f"ctrl+s: this screen as an SVG file in {folder}", lambda: app.set_timer(0.1, lambda: save_screenshot(app))
    if run_record(screen) is not None:
        yield EXPORT_COMMAND, f"The run on screen as JSON, plus CSV tables of servers and timeline, in {folder}", \
            lambda: export_screen_run(app, screen)


class ExportCommands(Provider):
    """Serves the export commands to the palette (ctrl+p)."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        return list(export_commands(self.app, self.screen))

    async def discover(self) -> Hits:
        for text, help_text, run in self._commands():
            yield DiscoveryHit(Content(text), run, text=text, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, run in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), run, text=text, help=help_text)
