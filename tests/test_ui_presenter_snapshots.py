"""Presenter mode as the class sees it, pinned at 80×24 and 120×36.

A lesson step with a paused, seeded lab (thick bars and large digits where they fit, the lab's
status kept in view under the step), then its check with the class's answer taken but held, then
the same check revealed. Labs never autoplay here (the lab is stepped a fixed number of times) and
nothing on screen shows a clock. Update with
`pytest tests/test_ui_presenter_snapshots.py --snapshot-update`, then look at the SVGs.
"""

from __future__ import annotations

import pytest
from ui_course import write_course

from lbtutor.ui.app import make_app
from lbtutor.ui.widgets.check_block import CheckBlockView
from lbtutor.ui.widgets.lab_block import LabBlockView

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]


@pytest.fixture
def app(tmp_path, isolated_home):
    lessons = write_course(tmp_path / "lessons")
    return make_app(lessons_dir=lessons, data_dir=isolated_home, autoplay_labs=False, present=True)


async def lab_step(pilot) -> None:
    """Step 2 of the first module: three servers on seed 7, eight simulated seconds in."""
    await pilot.app.ready.wait()
    await pilot.pause()
    pilot.app.open_step("basics", 1)
    await pilot.pause()
    await pilot.pause()
    lab = pilot.app.screen.page.query_one(LabBlockView)
    for _ in range(16):
        lab.step_once()
    await pilot.pause()
    await pilot.pause()


async def check_held(pilot) -> None:
    """The class answered b (wrong); → until the check is in view; its marks are still held."""
    await lab_step(pilot)
    await pilot.press("b")
    screen = pilot.app.screen
    check = screen.page.query_one(CheckBlockView)
    body = screen.query_one("#body")
    for _ in range(5):
        if check.region.bottom <= body.region.bottom:
            break
        await pilot.press("right")
        await pilot.pause()
    await pilot.pause()


async def check_revealed(pilot) -> None:
    await check_held(pilot)
    await pilot.press("enter")
    await pilot.pause()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_presenter_lesson_step_with_a_paused_lab(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=lab_step)


@pytest.mark.parametrize("size", SIZES)
def test_presenter_check_answered_but_held(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=check_held)


@pytest.mark.parametrize("size", SIZES)
def test_presenter_check_revealed(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=check_revealed)
