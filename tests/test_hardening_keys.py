"""Key mashing: random keys, clicks, resizes and palette commands never crash the tutor or blank it.

A seeded random walk drives the real app over every screen it can reach. Nothing is hard-coded
about the screens: the keys come from the bindings active on the screen in front (plus any key a
keyboard has), and new screens are reached through whatever the command palette's providers
offer (`App.COMMANDS`), so a screen added later is mashed too. After every batch the test checks
that no exception escaped and that the screen shows something between its header and footer.

`benchmarks/key_mash.py` runs the same walk for more seeds and events.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import multiprocessing
import random
import string
import time
import traceback
import unicodedata
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rich.console import Console
from textual import events
from textual.errors import NoWidget
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from ui_course import write_course

from lbtutor.ui.app import LBTutorApp
from lbtutor.ui.lab_commands import open_scenario

SEEDS = range(5)
EVENTS = 2_000
BATCH = (16, 48)  # keys pressed between two looks at the screen
SIZES = [(100, 30), (80, 24), (120, 36), (60, 20), (40, 12), (250, 80), (72, 22)]
NAMED_KEYS = [
    "up", "down", "left", "right", "enter", "escape", "tab", "shift+tab", "space", "backspace",
    "delete", "home", "end", "pageup", "pagedown", "ctrl+p", "f1", "ctrl+s", "ctrl+r",
    "ctrl+a", "ctrl+e", "ctrl+k", "ctrl+u", "ctrl+w", "insert", "f2", "f10",
]  # fmt: skip
ANY_KEY = NAMED_KEYS + list(string.ascii_letters + string.digits + "+-=.,/?!;:'\"[]<>()#*_ ")


class WatchedStack(list):
    """A screen stack that remembers who took its last screen (Textual reports only the empty
    stack, later, from wherever it is next read)."""

    emptied_by = ""

    def _note(self) -> None:
        if not self and not self.emptied_by:
            self.emptied_by = "".join(traceback.format_stack(limit=14)[:-2])

    def pop(self, *args):
        screen = super().pop(*args)
        self._note()
        return screen

    def clear(self) -> None:
        super().clear()
        self._note()


class MashedApp(LBTutorApp):
    """The tutor with the ways out of a test closed: quitting is counted, not done, and Textual's
    own screenshot command (which writes into the user's Downloads folder) does nothing."""

    quits = 0

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._screen_stacks[self.DEFAULT_MODE] = WatchedStack()

    async def action_quit(self) -> None:
        self.quits += 1

    async def action_help_quit(self) -> None:
        self.quits += 1

    def deliver_screenshot(self, *args, **kwargs) -> None:
        pass

    # Nothing in a walk should end the app; if something does, the failure says what.
    exit_trace = ""

    def exit(self, *args, **kwargs) -> None:
        self.exit_trace = self.exit_trace or "".join(traceback.format_stack(limit=10)[:-1])
        super().exit(*args, **kwargs)

    def _close_messages_no_wait(self) -> None:
        self.exit_trace = self.exit_trace or "".join(traceback.format_stack(limit=10)[:-1])
        super()._close_messages_no_wait()


@dataclass
class MashReport:
    seed: int
    events: int = 0
    seconds: float = 0.0
    screens: set[str] = field(default_factory=set)
    commands_run: int = 0
    quits: int = 0
    trail: deque = field(default_factory=lambda: deque(maxlen=80))  # the last events, for a failure


class MashFailure(AssertionError):
    pass


def screen_lines(app) -> list[str]:
    """The screen as plain text, the way a screenshot would show it."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, color_system=None,
                      record=True, legacy_windows=False, safe_box=False)  # fmt: skip
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False).splitlines()


def is_blank(app) -> bool:
    """Nothing drawn between the top row (the header) and the bottom row (the footer)."""
    lines = screen_lines(app)
    return not any(line.strip() for line in lines[1:-1])


async def palette_commands(app, query: str) -> list[tuple[str, object]]:
    """What the command palette would offer on the current screen: everything it lists when
    opened, and whatever matches `query`. Discovered from the providers, never listed here."""
    found: list[tuple[str, object]] = []
    for source in app.COMMANDS:
        provider_class = source if isinstance(source, type) else source()
        provider = provider_class(app.screen)
        provider._post_init()
        await provider._wait_init()
        try:
            async for hit in provider.discover():
                found.append((hit.text or str(hit.display), hit.command))
            if query:
                async for hit in provider.search(query):
                    found.append((hit.text or str(hit.display), hit.command))
        finally:
            await provider.shutdown()
    return found


def key_event(key: str) -> events.Key:
    """The event a terminal sends for `key`, made as Pilot.press makes it."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    try:
        char = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


async def handled(node, timeout: float = 5.0) -> None:
    """Wait until `node` has handled every message queued for it so far (a node that closes in
    the meantime never will: the wait ends after `timeout` seconds)."""
    done = asyncio.Event()
    if node.call_later(done.set):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), timeout)


async def press_burst(app, keys: list[str]) -> None:
    """Send keys all at once, as a terminal delivers what was typed while the app was busy: they
    queue, and each lands on whatever is in front when its turn comes."""
    for key in keys:
        event = key_event(key)
        event.set_sender(app)
        app._driver.send_message(event)


async def press_keys(app, pilot, keys: list[str]) -> None:
    """Press keys one after another as fast as the app takes them: each key is handled by the
    screen in front before the next is sent, and a screen it opens is mounted first (as
    Pilot.press does, without its wait for the CPU to go idle and a frame to be drawn after every
    key, which makes ten thousand keys take ten minutes)."""
    for key in keys:
        before = app.screen_stack[-1] if app.screen_stack else None
        event = key_event(key)
        event.set_sender(app)
        app._driver.send_message(event)
        await handled(app)
        if app.screen_stack and app.screen_stack[-1] is not before:
            await pilot._wait_for_screen()  # a new screen: let it compose and mount
        elif app.screen_stack:
            await handled(app.screen)


def pick_key(app, rng: random.Random) -> str:
    """Half the time a key the screen in front binds (so its actions run), else any key at all."""
    if rng.random() < 0.5:
        try:
            bound = [key for key in app.active_bindings if key not in ("ctrl+q", "ctrl+c")]
        except Exception:  # noqa: BLE001 -- a screen mid-switch; any key will do
            bound = []
        if bound:
            return rng.choice(bound)
    return rng.choice(ANY_KEY)


def _traceback(exc: BaseException) -> str:
    """The last frames of the traceback: enough to find the line, short enough to read."""
    lines = "".join(traceback.format_exception(exc)).splitlines()
    return "\n".join(lines[-24:])


def _failed(report: MashReport, app, what: str) -> MashFailure:
    trail = "\n  ".join(report.trail)
    if app.exit_trace:
        what += f"\nthe app was told to exit, by:\n{app.exit_trace}"
    emptied_by = getattr(app._screen_stacks.get(app.DEFAULT_MODE), "emptied_by", "")
    if emptied_by:
        what += f"\nthe screen stack was emptied by:\n{emptied_by}"
    return MashFailure(f"seed {report.seed}, after {report.events} events: {what}\n"
                       f"screen stack: {[type(s).__name__ for s in app.screen_stack]}\nlast events:\n  {trail}")


async def mash(seed: int, events: int, *, data_dir: Path, lessons_dir: Path | None = None,
               size: tuple[int, int] = (80, 24), burst: float = 0.0, limit: float = 600.0) -> MashReport:  # fmt: skip
    """Drive the app with `events` random events from `seed`. Raises MashFailure on a crash, a
    blank screen, or a walk that takes more than `limit` seconds; returns what it did.

    `burst` is the share of key batches sent all at once, as a terminal delivers keys typed
    while the app is busy (the benchmark's --burst); the rest go one key at a time."""
    rng = random.Random(seed)
    report = MashReport(seed)
    app = MashedApp(lessons_dir, data_dir, autoplay_labs=rng.random() < 0.5)
    app.animation_level = "none"
    started = time.perf_counter()
    failure: MashFailure | None = None
    try:
        async with app.run_test(size=size) as pilot:
            try:
                async with asyncio.timeout(limit):
                    await _walk(app, pilot, rng, report, events, size, burst)
            except MashFailure as exc:
                failure = exc
            except TimeoutError:
                failure = _failed(report, app, f"the walk took more than {limit:g} s (the app stopped answering?)")
            except Exception as exc:  # noqa: BLE001 -- whatever left the walk is the failure to report
                failure = _failed(report, app, _traceback(app._exception or exc))
    except Exception as exc:  # noqa: BLE001 -- the app raised while it shut down
        if failure is None:
            failure = _failed(report, app, _traceback(exc))
    if failure is not None:
        raise failure  # the first thing that went wrong, not what the shutdown said after it
    report.seconds = time.perf_counter() - started
    report.quits = app.quits
    return report


async def _walk(app, pilot, rng: random.Random, report: MashReport, events: int, size: tuple[int, int],
                burst: float) -> None:  # fmt: skip
    await app.ready.wait()
    await pilot.pause()
    width, height = size
    resized_for = 0  # rolls left before a resized terminal goes back to `size`
    while report.events < events:
        roll = rng.random()
        began = time.perf_counter()
        if resized_for and (resized_for := resized_for - 1) == 0:
            width, height = size
            report.trail.append(f"resize {width}x{height}")
            await pilot.resize_terminal(width, height)
        if roll < 0.06:
            commands = await palette_commands(app, rng.choice(string.ascii_lowercase))
            if commands:
                text, command = rng.choice(commands)
                report.trail.append(f"palette: {text}")
                app.call_later(command)
                report.commands_run += 1
            report.events += 1
        elif roll < 0.14:
            x, y = rng.randrange(width), rng.randrange(height)
            report.trail.append(f"click ({x}, {y}) on {type(app.screen).__name__}")
            # Pilot looks up the widget under the click itself and raises when the screen has not
            # been laid out at a new size yet; the app never sees such a click, so it counts as missed.
            with contextlib.suppress(NoWidget):
                await pilot.click(offset=(x, y))
            report.events += 1
        elif roll < 0.16:
            width, height = rng.choice(SIZES)
            resized_for = rng.randint(1, 3)
            report.trail.append(f"resize {width}x{height}")
            await pilot.resize_terminal(width, height)
            report.events += 1
        else:
            keys = [pick_key(app, rng) for _ in range(min(rng.randint(*BATCH), events - report.events))]
            if rng.random() < burst:
                report.trail.append(f"burst on {type(app.screen).__name__}: {' '.join(keys)}")
                await press_burst(app, keys)
            else:
                report.trail.append(f"keys on {type(app.screen).__name__}: {' '.join(keys)}")
                await press_keys(app, pilot, keys)
            report.events += len(keys)
        await pilot.pause()
        if (took := time.perf_counter() - began) > 5:
            report.trail.append(f"(that took {took:.0f} s)")
        report.screens.add(type(app.screen).__name__)
        if app._exception is not None:
            raise _failed(report, app, _traceback(app._exception))
        if is_blank(app):
            raise _failed(report, app, f"{type(app.screen).__name__} is blank:\n" + "\n".join(screen_lines(app)))


def quicken_pilot(monkeypatch) -> None:
    """The pilot waits for the app to go idle by sleeping 20 ms at a time and checking the CPU;
    checking every 2 ms keeps thousands of events inside the suite's time budget."""
    import textual._wait

    monkeypatch.setattr(textual._wait, "SLEEP_GRANULARITY", 0.002)
    monkeypatch.setattr(textual._wait, "SLEEP_IDLE", 0.0002)


@pytest.fixture
def quick_pilot(monkeypatch):
    quicken_pilot(monkeypatch)


def mash_in_child(seed: int, events: int) -> tuple[bool, str]:
    """One seed's walk in a process of its own: (passed, what happened)."""
    import os
    import tempfile

    import textual._wait

    textual._wait.SLEEP_GRANULARITY = 0.002  # as quicken_pilot does
    textual._wait.SLEEP_IDLE = 0.0002
    with tempfile.TemporaryDirectory() as home:
        os.environ["LBTUTOR_HOME"] = home  # never a real learner's progress
        try:
            report = asyncio.run(mash(seed, events, data_dir=Path(home) / "data", limit=400))
        except MashFailure as exc:
            return False, str(exc)
    screens = ", ".join(sorted(report.screens))
    return True, f"{report.events} events in {report.seconds:.0f} s, {report.commands_run} palette commands: {screens}"


@pytest.fixture(scope="module")
def walks():
    """The seeds' walks, two at a time in other processes (one per core), started together."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        yield {seed: pool.submit(mash_in_child, seed, EVENTS) for seed in SEEDS}


@pytest.mark.parametrize("seed", SEEDS)
def test_random_keys_clicks_and_resizes_never_crash_or_blank_the_tutor(seed, walks):
    passed, what = walks[seed].result(timeout=900)
    assert passed, what
    for screen in ("HomeScreen", "LessonScreen"):
        assert screen in what  # the walk left the course map


# ------------------------------------------------------------------------------- races it found
# Keys typed faster than a screen settles: each of these crashed the tutor before its fix.


@pytest.fixture
async def tutor_app(tmp_path, quick_pilot):
    app = MashedApp(write_course(tmp_path / "lessons"), tmp_path / "data", autoplay_labs=False)
    app.animation_level = "none"
    async with app.run_test(size=(100, 30)) as pilot:
        await app.ready.wait()
        await pilot.pause()
        yield app, pilot


async def settled(app, pilot) -> None:
    await pilot.pause()
    await pilot.pause()
    assert app._exception is None, _traceback(app._exception)


async def test_page_keys_pressed_before_the_palette_has_drawn_do_nothing(tutor_app):
    app, pilot = tutor_app
    await press_burst(app, ["ctrl+p", "pagedown", "pageup"])
    await settled(app, pilot)
    assert type(app.screen).__name__ == "TutorPalette"


async def test_an_enter_queued_behind_the_one_that_chose_a_command_closes_nothing_else(tutor_app):
    app, pilot = tutor_app
    from textual.command import CommandList, CommandPalette

    # The palette and its search first: the first Enter takes whichever hit is highlighted when it
    # arrives, and on a busy machine that was an earlier hit than "lesson 2" (Practice, in a
    # clean-clone CI run). The race under test is the Enters queued behind the one that chooses.
    await press_burst(app, ["ctrl+p", *"lesson 2"])

    def lesson_two_highlighted() -> bool:
        if not isinstance(app.screen, CommandPalette):
            return False
        results = app.screen.query_one(CommandList)
        option = results.highlighted_option if results.highlighted is not None else None
        return option is not None and "Algorithms" in str(option.prompt)

    for _ in range(200):
        if lesson_two_highlighted():
            break
        await pilot.pause(0.05)
    assert lesson_two_highlighted()
    await press_burst(app, ["enter", "enter", "enter"])
    await settled(app, pilot)
    for _ in range(100):  # the lesson's opening takes its time on a busy machine
        if type(app.screen).__name__ == "LessonScreen":
            break
        await pilot.pause(0.05)
    await settled(app, pilot)
    assert [type(s).__name__ for s in app.screen_stack] == ["HomeScreen", "LessonScreen"]


async def test_page_keys_reaching_the_lesson_contents_before_it_has_a_size_do_nothing(tutor_app):
    from lbtutor.ui.widgets.step_toc import StepToc

    app, pilot = tutor_app
    app.open_step("basics", 1)
    await settled(app, pilot)
    toc = app.screen.query_one(StepToc)
    toc.show_lesson(app.screen.lesson, 1, frozenset())
    assert not toc.scrollable_content_region  # not laid out yet, as in the frame after `t`
    toc.action_page_down()
    toc.action_page_up()
    await settled(app, pilot)


async def test_the_theme_picker_is_the_guarded_palette_too(tutor_app):
    app, pilot = tutor_app
    app.search_themes()
    await settled(app, pilot)
    assert type(app.screen).__name__ == "TutorPalette"
    await press_burst(app, ["pagedown", "enter", "enter"])
    await settled(app, pilot)
    assert [type(s).__name__ for s in app.screen_stack] == ["HomeScreen"]


def click_event(kind, x: int, y: int):
    return kind(None, x, y, 0, 0, 1, False, False, False, screen_x=x, screen_y=y)


async def test_a_double_click_beside_the_palette_closes_the_palette_and_nothing_else(tutor_app):
    app, pilot = tutor_app
    app.open_step("basics", 0)
    await settled(app, pilot)
    await pilot.press("ctrl+p")
    await settled(app, pilot)
    for _ in range(2):  # both clicks queue before the first is handled
        for kind in (events.MouseDown, events.MouseUp, events.Click):
            app._driver.send_message(click_event(kind, 2, 28))
    await settled(app, pilot)
    assert [type(s).__name__ for s in app.screen_stack] == ["HomeScreen", "LessonScreen"]


async def test_a_search_that_starts_after_the_palette_closed_does_nothing(tutor_app):
    app, pilot = tutor_app
    await pilot.press("ctrl+p")
    await settled(app, pilot)
    palette = app.screen
    app.pop_screen()
    await settled(app, pilot)
    palette._gather_commands("lesson")  # as an Input.Changed queued behind the esc would
    await settled(app, pilot)


async def test_a_lesson_lab_asked_to_draw_while_it_is_being_removed_does_nothing(tutor_app):
    from lbtutor.ui.widgets.lab_block import LabBlockView

    app, pilot = tutor_app
    app.open_step("basics", 1)  # "Three servers": an engine lab with two algorithms
    await settled(app, pilot)
    block = app.screen.query_one(LabBlockView)
    await block.query_one(".lab-algorithms").remove()  # its parts go first when a page is dropped
    block.draw()
    await settled(app, pilot)


async def test_frames_drawn_while_compare_panes_mount_build_the_panes_once(tutor_app, monkeypatch):
    """Panes on their way out are not counted: counting them made every frame remove and mount
    the panes again, a storm that kept the lesson from ever settling on a busy machine."""
    from lbtutor.ui.widgets import lab_block
    from lbtutor.ui.widgets.lab_block import LabBlockView, LabPane

    app, pilot = tutor_app
    app.open_step("basics", 1)  # "Three servers": an engine lab with two algorithms
    await settled(app, pilot)
    block = app.screen.query_one(LabBlockView)
    built = []
    monkeypatch.setattr(lab_block, "LabPane", lambda: built.append(LabPane()) or built[-1])
    block.toggle_compare()  # one pane becomes two
    for _ in range(5):
        block.draw()  # frames that come before the old pane has gone
    await settled(app, pilot)
    await settled(app, pilot)
    assert len(built) == 2
    assert list(block.query_one("#panes").query_children(LabPane)) == built


async def test_a_title_change_that_reaches_a_header_whose_title_is_gone_does_nothing(tutor_app):
    from textual.widgets._header import HeaderTitle

    app, pilot = tutor_app
    await app.screen.query_one(HeaderTitle).remove()  # a screen closing takes the header's parts first
    app.title = "lbtutor, renamed"  # the header's title watcher runs after that
    app.screen.sub_title = "and again"
    await settled(app, pilot)


async def test_a_lab_redraw_that_lands_after_the_lab_closed_does_nothing(tutor_app):
    app, pilot = tutor_app
    app.call_later(lambda: open_scenario(app, "heterogeneous"))
    await settled(app, pilot)
    lab = app.screen
    assert type(lab).__name__ == "LabScreen"
    app.pop_screen()
    await settled(app, pilot)
    lab.draw()  # what call_after_refresh(self.draw) from on_resize does when esc came first


async def test_a_double_enter_in_a_lab_dialog_closes_the_dialog_and_not_the_lab(tutor_app):
    app, pilot = tutor_app
    app.action_open_lab()
    await settled(app, pilot)
    await pilot.press("o")  # the scenario picker
    await settled(app, pilot)
    assert type(app.screen).__name__ == "ScenarioPicker"
    await press_burst(app, ["enter", "enter"])
    await settled(app, pilot)
    assert [type(s).__name__ for s in app.screen_stack] == ["HomeScreen", "LabScreen"]



async def test_a_confirmation_answered_while_the_palette_covers_it_waits_and_answers_once(tutor_app):
    from lbtutor.ui.screens.confirm import ConfirmScreen

    app, pilot = tutor_app
    answers = []
    confirm = ConfirmScreen("Reset progress?", "Forget everything?")
    app.push_screen(confirm, answers.append)
    await settled(app, pilot)
    await pilot.press("ctrl+p")
    await settled(app, pilot)
    confirm.dismiss(True)  # a click on Yes whose Pressed message arrives after ctrl+p opened the palette
    await settled(app, pilot)
    assert [type(s).__name__ for s in app.screen_stack] == ["HomeScreen", "ConfirmScreen", "TutorPalette"]
    await press_burst(app, ["escape"])
    await settled(app, pilot)
    await press_burst(app, ["y", "y"])
    await settled(app, pilot)
    assert answers == [True]
    assert [type(s).__name__ for s in app.screen_stack] == ["HomeScreen"]


async def test_a_yes_and_a_no_queued_on_a_confirmation_answer_once_and_close_only_it(tutor_app):
    app, pilot = tutor_app
    answers = []
    from lbtutor.ui.screens.confirm import ConfirmScreen

    app.push_screen(ConfirmScreen("Reset progress?", "Forget everything?"), answers.append)
    await settled(app, pilot)
    # enter presses the focused button (No), but its Pressed message arrives after y was handled
    await press_burst(app, ["enter", "y", "n", "escape"])
    await settled(app, pilot)
    assert len(answers) == 1
    assert [type(s).__name__ for s in app.screen_stack] == ["HomeScreen"]


async def test_help_closed_twice_in_a_row_closes_help_and_not_the_lesson_under_it(tutor_app):
    app, pilot = tutor_app
    app.open_step("basics", 0)
    await settled(app, pilot)
    await pilot.press("f1")
    await settled(app, pilot)
    assert type(app.screen).__name__ == "HelpScreen"
    await press_burst(app, ["q", "q"])
    await settled(app, pilot)
    assert [type(s).__name__ for s in app.screen_stack] == ["HomeScreen", "LessonScreen"]


async def test_a_hand_over_that_runs_after_its_screen_closed_leaves_the_course_map_alone(tutor_app):
    # PracticeScreen.start() awaits the lessons, then switches to the due quiz; an esc typed
    # meanwhile closed the practice screen, and switch_screen replaced the course map instead.
    from lbtutor.ui.screens.quiz import QuizScreen

    app, pilot = tutor_app
    await pilot.press("p")  # practice
    await settled(app, pilot)
    practice = app.screen
    assert type(practice).__name__ == "PracticeScreen"
    await pilot.press("escape")
    await settled(app, pilot)
    practice.replace_with(QuizScreen([], title="late"))
    await settled(app, pilot)
    assert [type(s).__name__ for s in app.screen_stack] == ["HomeScreen"]
