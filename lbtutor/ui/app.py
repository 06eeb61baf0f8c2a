"""The lbtutor Textual app: one App that owns the course, the learner's progress and navigation.

Screens ask the app to navigate (`open_step`, `go_home`, `show_help`). Start-up is kept to what
the first frame shows: the course map is drawn from the kept course's outline and the progress
store, and the course itself, the palette's commands and the help's sections load after it.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette
from textual.reactive import reactive

from lbtutor.paths import assets_dir
from lbtutor.ui.css_cache import kept_stylesheet, save_kept_css
from lbtutor.ui.frame_rate import default_fps
from lbtutor.ui.screens.home import HomeScreen
from lbtutor.ui.themes import register_themes

if TYPE_CHECKING:
    from lbtutor.content.course import Course
    from lbtutor.content.course_cache import KeptCourse
    from lbtutor.content.outline import CourseOutline

MIN_WIDTH, MIN_HEIGHT = 60, 20


# The palette's providers and the features that add help sections and palette commands when
# imported load after the first frame (`_features`), or when the palette or help first opens.
def _import_features() -> None:
    import lbtutor.ui.exports
    import lbtutor.ui.lab_commands
    import lbtutor.ui.practice_commands
    import lbtutor.ui.presenter  # noqa: F401  ("Presenter mode" in the palette)


def _tutor_commands():
    _import_features()
    from lbtutor.ui.commands import TutorCommands

    return TutorCommands


def _lab_commands():
    from lbtutor.ui.lab_commands import LabCommands

    return LabCommands


def _practice_commands():
    from lbtutor.ui.practice_commands import PracticeCommands

    return PracticeCommands


def _export_commands():
    from lbtutor.ui.exports import ExportCommands

    return ExportCommands


class LBTutorApp(App[None]):
    """The tutor: course map, lessons with live labs and checks, help."""

    TITLE = "lbtutor"
    SUB_TITLE = "Load Balancing & Scaling"
    CSS_PATH = [str(assets_dir() / "lbtutor.tcss")]
    COMMANDS = App.COMMANDS | {_tutor_commands, _lab_commands, _practice_commands, _export_commands}
    BINDINGS = [
        Binding("f1,question_mark", "help", "Help", tooltip="Every key, screen by screen", id="app.help", key_display="?"),
        Binding("ctrl+s", "save_svg", "Screenshot", tooltip="Save this screen as an SVG file", id="app.screenshot", show=False),
        Binding("f5", "toggle_presenting", "Present", tooltip="Presenter mode on or off: big bars, answers held until revealed, steps like slides", id="app.present", show=False),
    ]

    # Presenter mode: screens watch this; the app carries the CSS class -presenting for the styles.
    presenting: reactive[bool] = reactive(False, init=False)

    def __init__(
        self,
        lessons_dir: str | Path | None = None,
        data_dir: str | Path | None = None,
        *,
        autoplay_labs: bool = True,
        present: bool = False,
        fps: int | None = None,
    ) -> None:
        super().__init__()
        self.lessons_dir = Path(lessons_dir) if lessons_dir else None
        self.data_dir = data_dir
        self._data_folder = self._cache_folder()  # where the caches below are kept (None: nowhere)
        # Textual's CSS, parsed at an earlier start (lbtutor/ui/css_cache.py), before any is parsed.
        self.stylesheet = kept_stylesheet(self._data_folder, self.get_css_variables())
        # Live labs redraw this often (`--fps`); fewer frames when TEXTUAL_ANIMATIONS asks for less.
        self.fps = fps if fps is not None else default_fps(self.animation_level)
        self.set_reactive(LBTutorApp.presenting, present)
        self.set_class(present, "-presenting", update=False)
        register_themes(self)  # monochrome, Okabe-Ito; $LBTUTOR_THEME (lbtutor/ui/themes.py)
        # Tests and snapshots turn this off so a lab shows a fixed, seeded moment.
        self.autoplay_labs = autoplay_labs
        self._course: Course | None = None
        # What the course map shows (lbtutor/content/outline.py): read with the kept course's stamp
        # before the first frame, or made from the course once it has loaded.
        self.outline: CourseOutline | None = None
        self.course_error: str | None = None
        self.progress = None  # a ProgressStore, or a NullProgress if the store cannot be opened
        self.ready = asyncio.Event()
        self._kept: KeptCourse | None = None  # a course kept from an earlier start, until it is read

    @property
    def course(self) -> Course | None:
        """The course (None until it has loaded). When the map was drawn from a kept outline, the
        course itself is read just after the first frame, or here, at once, if asked for sooner."""
        if self._kept is not None:
            self._read_kept()
        return self._course

    # ------------------------------------------------------------------ start-up
    def get_default_screen(self) -> HomeScreen:
        return HomeScreen()

    def on_mount(self) -> None:
        self._check_size(self.size.width, self.size.height)
        # A course kept from an earlier start (see lbtutor/content/course_cache.py) has its outline
        # read in a few milliseconds: the first frame then shows the map with its lessons, and the
        # course itself is read after it. Otherwise the first frame says "Loading lessons…" while
        # they load and are validated.
        self._kept = self._kept_course()
        if self._kept is not None:
            self.outline = self._kept.outline
            self._show()
        else:
            self.call_after_refresh(self._load)

    def _cache_folder(self) -> Path | None:
        try:
            from lbtutor.paths import data_dir

            return data_dir(self.data_dir)
        except Exception:  # no data folder: no cache, the course loads all the same
            return None

    def _kept_course(self) -> KeptCourse | None:
        from lbtutor.content.course_cache import kept_course

        try:
            return kept_course(self.lessons_dir, self._data_folder)
        except Exception:
            return None

    def _load(self) -> None:
        self._load_course()
        self._show()

    def _load_course(self) -> None:
        """Load and validate the course (or take it from the cache), or say why it cannot be."""
        from lbtutor.content.course_cache import load_course_cached
        from lbtutor.content.outline import outline_of

        try:
            self._course = load_course_cached(self.lessons_dir, self._data_folder)
            self.outline = outline_of(self._course)
        except Exception as exc:  # a missing or unreadable folder: say so on the course map
            self._course = self.outline = None
            self.course_error = f"Could not load lessons from {self.lessons_dir or 'the bundled folder'}: {exc}"

    def _read_kept(self) -> None:
        kept, self._kept = self._kept, None
        self._course = kept.course()
        if self._course is None:  # the kept file changed or went since its outline was read
            shown = self.outline
            self._load_course()
            if self.outline != shown:
                self._refresh_home()

    def _show(self) -> None:
        """The course map, with the learner's progress; then what the first frame does not need."""
        self.progress = self._open_progress()
        self._refresh_home()
        # Textual's Footer composes its keys after the first frame: they are drawn before the
        # course and the features load (about 30 ms), three refreshes on.
        self._after_refreshes(3, self._features)

    def _after_refreshes(self, count: int, callback) -> None:
        if count:
            self.call_after_refresh(self._after_refreshes, count - 1, callback)
        else:
            callback()

    def _refresh_home(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, HomeScreen) and screen.is_mounted:  # else its on_mount shows it
                screen.refresh_course()

    def _features(self) -> None:
        gc.enable()  # off for the start, when run from the command line (lbtutor/commands/tutor.py)
        if self._kept is not None:  # the course itself, now that the map is on screen
            self._read_kept()
        # the palette's commands and the help's sections
        _import_features()
        save_kept_css(self.stylesheet, self._data_folder)  # if this start parsed any
        self.ready.set()

    def _open_progress(self):
        try:
            from lbtutor.content.progress import ProgressStore

            store = ProgressStore.open(self.data_dir)
        except Exception as exc:
            from lbtutor.ui.null_progress import NullProgress

            self.notify(
                f"Progress cannot be saved this session: {exc}",
                title="Progress not saved",
                markup=False,
                severity="error",
                timeout=10,
            )
            return NullProgress()
        moved = getattr(store, "recovered_from", None)
        if moved:
            self.notify(
                f"Your progress file was damaged. It was moved to {moved} and a fresh one started.",
                title="Progress file recovered",
                markup=False,
                severity="warning",
                timeout=12,
            )
        return store

    def on_unmount(self) -> None:
        if self.progress is not None:
            self.progress.close()
        save_kept_css(self.stylesheet, self._data_folder)  # the CSS of screens opened since the start

    # ----------------------------------------------------------------- too small
    def on_resize(self, event: events.Resize) -> None:
        self._check_size(event.size.width, event.size.height)

    def _check_size(self, width: int, height: int) -> None:
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        module = sys.modules.get("lbtutor.ui.screens.too_small")  # not imported: not showing
        if not small and module is None:
            return
        from lbtutor.ui.screens.too_small import TooSmallScreen

        showing = isinstance(self.screen, TooSmallScreen)
        if small and not showing:
            self.push_screen(TooSmallScreen(MIN_WIDTH, MIN_HEIGHT))
        elif showing:
            if small:
                self.screen.update_size(width, height)
            else:
                self.pop_screen()

    # ---------------------------------------------------------------- navigation
    def go_home(self) -> None:
        """Close every screen above the course map."""
        while len(self.screen_stack) > 1 and not isinstance(self.screen, HomeScreen):
            self.pop_screen()

    def open_step(self, lesson_id: str, index: int = 0) -> None:
        """Show step `index` of a lesson, reusing the lesson screen if that lesson is open."""
        from lbtutor.ui.screens.lesson import LessonScreen

        if self.course is None:
            return
        try:
            lesson = self.course.lesson(lesson_id)
        except KeyError:
            lesson = None
        if lesson is None or not lesson.steps:
            self.notify(f"There is no lesson {lesson_id!r}.", severity="warning", markup=False)
            return
        index = max(0, min(index, len(lesson.steps) - 1))
        screen = self.screen
        if isinstance(screen, LessonScreen) and screen.lesson.id == lesson_id:
            screen.go_to(index)
            return
        self.go_home()
        self.push_screen(LessonScreen(lesson, index))

    def open_key(self, key: str) -> bool:
        """Open a `LESSON_ID#STEP_SLUG` (or a bare lesson id) link. False if it names nothing."""
        if self.course is None:
            return False
        found = self.course.find_step(key) if "#" in key else None
        if found is not None:
            lesson, step = found
            self.open_step(lesson.id, step.index)
            return True
        if "#" not in key and any(lesson.id == key for lesson in self.course.lessons):
            self.open_step(key, 0)
            return True
        return False

    # Textual's theme picker and command lists are palettes too: the same guards (lbtutor/ui/palette.py).
    def search_themes(self) -> None:
        from textual.theme import ThemeProvider

        from lbtutor.ui.palette import TutorPalette

        self.push_screen(TutorPalette(providers=[ThemeProvider], placeholder="Search for themes…"))

    def search_commands(self, commands, placeholder: str = "Search for commands…"):
        from textual.command import SimpleProvider

        from lbtutor.ui.palette import TutorPalette

        return self.push_screen(TutorPalette(providers=[SimpleProvider(self.screen, commands)], placeholder=placeholder))

    def action_command_palette(self) -> None:
        # Textual gives every palette the id "--command-palette"; one opened while the last is
        # still being removed (ctrl+p, esc, ctrl+p in a quick burst) clashed with it: DuplicateIds.
        if self.use_command_palette and not CommandPalette.is_open(self):
            from lbtutor.ui.palette import TutorPalette

            self.push_screen(TutorPalette())

    def action_open_lab(self) -> None:
        """Open the lab sandbox (lbtutor/ui/screens/lab.py)."""
        from lbtutor.ui.lab_commands import open_lab

        open_lab(self)

    def action_save_svg(self) -> None:
        """Save the screen as SVG (lbtutor/ui/exports.py)."""
        from lbtutor.ui.exports import save_screenshot

        save_screenshot(self)

    def watch_presenting(self, presenting: bool) -> None:
        self.set_class(presenting, "-presenting")

    def action_toggle_presenting(self) -> None:
        from lbtutor.ui.presenter import toggle_presenting

        toggle_presenting(self)

    def action_help(self) -> None:
        from lbtutor.ui.screens.help import HelpScreen

        _import_features()  # each adds its section to the help

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_reset_progress(self) -> None:
        from lbtutor.ui.screens.confirm import ConfirmScreen

        def done(confirmed: bool | None) -> None:
            if not confirmed or self.progress is None:
                return
            self.progress.reset()
            self.notify("Every step and answer is forgotten. Start again whenever you like.", title="Progress reset")
            for screen in self.screen_stack:
                if hasattr(screen, "refresh_progress"):
                    screen.refresh_progress()

        self.push_screen(
            ConfirmScreen(
                "Reset progress?",
                "This forgets every step you have read and every answer you have given. It cannot be undone.",
                yes="Reset",
                no="Keep my progress",
            ),
            done,
        )


def make_app(
    lessons_dir: str | Path | None = None,
    data_dir: str | Path | None = None,
    *,
    autoplay_labs: bool = True,
    present: bool = False,
    fps: int | None = None,
) -> LBTutorApp:
    """The app as the CLI runs it; tests pass their own lesson folder and data dir."""
    return LBTutorApp(lessons_dir, data_dir, autoplay_labs=autoplay_labs, present=present, fps=fps)
