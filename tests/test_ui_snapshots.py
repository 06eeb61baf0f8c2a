"""What the learner sees, pinned: the course map, a lesson step with a paused seeded lab, a step
with a table too wide for the screen, and help.

Each at 80×24 and 120×36. The course is the fixed one in ui_course.py, labs never autoplay (the lab
is stepped a fixed number of times), and nothing on screen shows a clock. Update with
`pytest tests/test_ui_snapshots.py --snapshot-update`, then look at the SVGs before committing.
"""

from __future__ import annotations

import pytest
from ui_course import write_course

from lbtutor.content.progress import ProgressStore
from lbtutor.ui.app import make_app
from lbtutor.ui.widgets.lab_block import LabBlockView

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]


@pytest.fixture
def app(tmp_path, isolated_home):
    lessons = write_course(tmp_path / "lessons")
    with ProgressStore.open(isolated_home) as store:  # someone who has read a little
        store.record_view("basics", 0, "one-server")
        store.record_view("basics", 1, "three-servers")
        store.record_answer("basics#three-servers/1", "basics", ["a"], True)
        store.record_view("module-2", 0, "overview")
        store.record_view("basics", 1, "three-servers")
    return make_app(lessons_dir=lessons, data_dir=isolated_home, autoplay_labs=False)


async def ready(pilot) -> None:
    await pilot.app.ready.wait()
    await pilot.pause()


async def lesson_with_lab(pilot) -> None:
    await ready(pilot)
    await pilot.press("c")  # continue: step 2 of the first module, with its lab and answered check
    await pilot.pause()
    await pilot.pause()
    lab = pilot.app.screen.page.query_one(LabBlockView)
    for _ in range(16):  # 8 simulated seconds, always the same ones
        lab.step_once()
    await pilot.pause()


async def lesson_with_a_table(pilot) -> None:
    await ready(pilot)
    pilot.app.open_step("basics", 2)  # a two-column table too wide for the screen, then a check
    await pilot.pause()
    await pilot.pause()


async def help_screen(pilot) -> None:
    await ready(pilot)
    await pilot.press("f1")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_course_map(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_lesson_step_with_a_paused_lab(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=lesson_with_lab)


@pytest.mark.parametrize("size", SIZES)
def test_a_wide_table_shares_the_width_between_its_columns(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=lesson_with_a_table)


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=help_screen)
