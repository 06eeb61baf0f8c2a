"""The course map's keys and mouse: a DataTable's, on the lighter widget it is."""

from __future__ import annotations

import pytest
from textual.widgets import Static
from ui_course import write_course

from lbtutor.ui.app import make_app
from lbtutor.ui.screens.home import HomeScreen
from lbtutor.ui.screens.lesson import LessonScreen
from lbtutor.ui.widgets.course_map import CourseMap


@pytest.fixture
def lessons(tmp_path):
    return write_course(tmp_path / "lessons")


def details(app) -> str:
    return str(app.screen.query_one("#module-details", Static).content)


async def test_keys_move_the_cursor_and_the_details_follow(lessons, isolated_home):
    app = make_app(lessons_dir=lessons, data_dir=isolated_home, autoplay_labs=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.ready.wait()
        course_map = app.screen.query_one(CourseMap)
        await pilot.press("down", "down")
        assert course_map.cursor_row == 2
        assert details(app).startswith("3. Layer 4 vs Layer 7 Load Balancing")
        await pilot.press("end")
        assert course_map.cursor_row == 8 and details(app).startswith("Summary is unavailable")
        await pilot.press("down")  # past the last row: it stays
        assert course_map.cursor_row == 8
        await pilot.press("home")
        assert course_map.cursor_row == 0 and details(app).startswith("1. Load Balancing Fundamentals")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen) and app.screen.lesson.id == "basics"


async def test_a_click_highlights_a_row_and_a_second_click_opens_it(lessons, isolated_home):
    app = make_app(lessons_dir=lessons, data_dir=isolated_home, autoplay_labs=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.ready.wait()
        course_map = app.screen.query_one(CourseMap)
        await pilot.click(CourseMap, offset=(10, 0))  # the header: nothing
        assert course_map.cursor_row == 0
        await pilot.click(CourseMap, offset=(10, 4))  # the fourth module
        await pilot.pause()
        assert course_map.cursor_row == 3 and isinstance(app.screen, HomeScreen)
        assert details(app).startswith("4. Load Balancer Types")
        await pilot.click(CourseMap, offset=(10, 4))
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen) and app.screen.lesson.title == "Load Balancer Types"

