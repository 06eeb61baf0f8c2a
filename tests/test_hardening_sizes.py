"""Terminal sizes: every screen renders at 40x12, 60x20, 80x24, 120x36 and 250x80 without an
exception, and below 60x20 the app shows the "enlarge" notice instead.

The screens are found, not listed: everything the command palette offers from the course map
(lessons, the lab, each practice screen, help, reset's confirmation, Textual's own pickers),
plus a lesson step with a lab and a check, the lab comparing and running a scenario, and the
palette itself.
"""

from __future__ import annotations

from collections import Counter

from test_hardening_keys import is_blank, palette_commands, screen_lines

from lbtutor.sim import scenarios
from lbtutor.ui.app import MIN_HEIGHT, MIN_WIDTH
from lbtutor.ui.screens.home import HomeScreen
from lbtutor.ui.screens.too_small import TooSmallScreen

SIZES = [(40, 12), (60, 20), (80, 24), (120, 36), (250, 80)]
HOME_SIZE = (100, 30)
PER_KIND = 2
SKIP = ("Quit", "Screenshot", "Save screenshot", "Export run")  # they open nothing to draw


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.pause()


async def check_every_size(app, pilot, what: str) -> list[str]:
    """Resize through SIZES with `what` on screen; problems found, as sentences."""
    problems = []
    shown = type(app.screen).__name__
    for width, height in SIZES:
        await pilot.resize_terminal(width, height)
        await settle(pilot)
        if app._exception is not None:
            raise AssertionError(f"{what} at {width}x{height}: {app._exception!r}") from app._exception
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        text = "\n".join(screen_lines(app))
        if small:
            if not isinstance(app.screen, TooSmallScreen) or f"enlarge to at least {MIN_WIDTH}×{MIN_HEIGHT}" not in text:
                problems.append(f"{what} at {width}x{height}: no enlarge notice ({type(app.screen).__name__})")
        else:
            if isinstance(app.screen, TooSmallScreen):
                problems.append(f"{what} at {width}x{height}: still says the terminal is too small")
            elif type(app.screen).__name__ != shown:
                problems.append(f"{what} at {width}x{height}: {shown} became {type(app.screen).__name__}")
            elif is_blank(app):
                problems.append(f"{what} at {width}x{height}: the screen is blank")
    await pilot.resize_terminal(*HOME_SIZE)
    await settle(pilot)
    return problems


async def back_home(app, pilot) -> None:
    app.go_home()
    await settle(pilot)
    assert isinstance(app.screen, HomeScreen), app.screen_stack


async def test_every_screen_the_palette_opens_renders_at_every_size(tutor):
    app = tutor
    problems: list[str] = []
    opened: Counter[str] = Counter()
    async with app.run_test(size=HOME_SIZE) as pilot:
        await app.ready.wait()
        await settle(pilot)
        problems += await check_every_size(app, pilot, "the course map")
        commands = [(text, run) for text, run in await palette_commands(app, "") if not text.startswith(SKIP)]
        assert len(commands) >= 15, [text for text, _ in commands]
        seen_texts = set()
        for text, run in commands:
            if text in seen_texts:
                continue
            seen_texts.add(text)
            app.call_later(run)
            await settle(pilot)
            if isinstance(app.screen, HomeScreen):
                continue  # it did something in place (a theme, the help panel)
            kind = type(app.screen).__name__
            if opened[kind] >= PER_KIND:  # nine lessons, nine quizzes: two of each kind will do
                await back_home(app, pilot)
                continue
            opened[kind] += 1
            problems += await check_every_size(app, pilot, f"{text!r} ({kind})")
            await back_home(app, pilot)
    assert not problems, "\n".join(problems)
    assert {"LessonScreen", "HelpScreen", "LabScreen", "ConfirmScreen"} <= set(opened), opened


async def test_a_lesson_step_with_a_lab_and_a_check_renders_at_every_size(tutor):
    app = tutor
    async with app.run_test(size=HOME_SIZE) as pilot:
        await app.ready.wait()
        await settle(pilot)
        lesson, step = next((lesson, step) for lesson in app.course.lessons for step in lesson.steps
                            if step.labs and step.checks)  # fmt: skip
        app.open_step(lesson.id, step.index)
        await settle(pilot)
        problems = await check_every_size(app, pilot, f"{lesson.id} step {step.index + 1}")
        await pilot.press("t")  # with the contents panel open
        await settle(pilot)
        problems += await check_every_size(app, pilot, f"{lesson.id} step {step.index + 1} with contents")
    assert not problems, "\n".join(problems)


async def test_the_lab_comparing_and_running_a_scenario_renders_at_every_size(tutor):
    app = tutor
    async with app.run_test(size=HOME_SIZE) as pilot:
        await app.ready.wait()
        await settle(pilot)
        app.action_open_lab()
        await settle(pilot)
        problems = await check_every_size(app, pilot, "the lab")
        labs = {text: run for text, run in await palette_commands(app, "compare")}
        app.call_later(labs["Compare"])
        await settle(pilot)
        assert app.screen.session.comparing
        problems += await check_every_size(app, pilot, "the lab comparing")
        names = [f"Open scenario {name}" for name in scenarios.names()]
        scenario = next(run for text, run in await palette_commands(app, "scenario") if text in names)
        app.call_later(scenario)
        await settle(pilot)
        assert app.screen.session.is_scenario
        problems += await check_every_size(app, pilot, "the lab running a scenario")
    assert not problems, "\n".join(problems)


async def test_the_command_palette_renders_at_every_size(tutor):
    app = tutor
    async with app.run_test(size=HOME_SIZE) as pilot:
        await app.ready.wait()
        await settle(pilot)
        await pilot.press("ctrl+p", *"lesson")
        await settle(pilot)
        problems = await check_every_size(app, pilot, "the command palette")
    assert not problems, "\n".join(problems)


async def test_the_too_small_notice_names_the_size_needed_and_the_size_now(tutor):
    app = tutor
    async with app.run_test(size=(40, 12)) as pilot:
        await app.ready.wait()
        await settle(pilot)
        text = "\n".join(screen_lines(app))
        assert "Terminal too small" in text and "enlarge to at least 60×20" in text and "(now 40×12)" in text
        await pilot.resize_terminal(59, 30)
        await settle(pilot)
        assert "(now 59×30)" in "\n".join(screen_lines(app))
        await pilot.resize_terminal(60, 20)
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
