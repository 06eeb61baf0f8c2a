"""Start-up: a start with the course kept from an earlier one shows a usable map in its first frame."""

from __future__ import annotations

import pytest
from textual.widgets import Button
from ui_course import write_course

from lbtutor.ui.app import make_app
from lbtutor.ui.screens.home import HomeScreen
from lbtutor.ui.screens.lesson import LessonScreen
from lbtutor.ui.widgets.course_map import CourseMap


@pytest.fixture
def lessons(tmp_path):
    return write_course(tmp_path / "lessons")


async def test_a_second_start_lists_the_lessons_and_continues_before_the_course_is_read(lessons, isolated_home):
    first = make_app(lessons_dir=lessons, data_dir=isolated_home, autoplay_labs=False)
    async with first.run_test(size=(100, 30)) as pilot:
        await first.ready.wait()
        first.open_step("basics", 1)
        await pilot.pause()

    app = make_app(lessons_dir=lessons, data_dir=isolated_home, autoplay_labs=False)
    async with app.run_test(size=(100, 30)) as pilot:  # returns at the first frame
        home = app.screen
        assert isinstance(home, HomeScreen)
        assert home.query_one(CourseMap).row_count == 9
        assert "Continue (c): Load Balancing Fundamentals › Three servers (2/3)" in str(home.query_one(Button).label)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert (app.screen.lesson.id, app.screen.index) == ("basics", 1)


async def test_the_course_is_read_at_once_when_asked_for_before_its_turn(lessons, isolated_home):
    first = make_app(lessons_dir=lessons, data_dir=isolated_home, autoplay_labs=False)
    async with first.run_test(size=(100, 30)):
        await first.ready.wait()

    app = make_app(lessons_dir=lessons, data_dir=isolated_home, autoplay_labs=False)
    async with app.run_test(size=(100, 30)):
        assert app.course.lesson("basics").steps[1].title == "Three servers"  # the same as loaded afresh
        await app.ready.wait()
        assert app.course.lesson("module-2").title == "Load Balancing Algorithms"


async def test_a_start_with_the_css_kept_parses_none_and_draws_what_a_start_that_parsed_it_draws(
    lessons, isolated_home, monkeypatch
):
    import textual.css.stylesheet

    parses = []
    parse = textual.css.stylesheet.parse
    monkeypatch.setattr(textual.css.stylesheet, "parse", lambda *a, **k: parses.append(a[2]) or parse(*a, **k))

    async def home_screen() -> tuple[str, int]:
        parses.clear()
        app = make_app(lessons_dir=lessons, data_dir=isolated_home, autoplay_labs=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await app.ready.wait()
            await pilot.pause()
            return app.export_screenshot(), len(parses)

    parsed, sources = await home_screen()  # a first start: every source parsed
    assert sources > 10 and (isolated_home / "cache" / "css.pickle").is_file()
    kept, sources = await home_screen()  # the next: every source the map needs is kept
    assert sources == 0
    assert kept == parsed


async def test_the_course_maps_footer_shows_its_keys_and_never_recomposes_in_a_loop(lessons, isolated_home, monkeypatch):
    from textual.widgets import Footer
    from textual.widgets._footer import FooterKey

    from lbtutor.ui.widgets.fitting_footer import FittingFooter

    recomposed = []
    recompose = Footer.recompose

    async def counted(self) -> None:
        recomposed.append(self)
        await recompose(self)

    monkeypatch.setattr(Footer, "recompose", counted)
    app = make_app(lessons_dir=lessons, data_dir=isolated_home, autoplay_labs=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.ready.wait()
        await pilot.pause()
        footer = app.screen.query_one(FittingFooter)
        keys = [key.description for key in footer.query(FooterKey) if key.display]
        assert keys[:5] == ["Open", "Continue", "Lab", "Practice", "Quit"]
        # The footer measures its keys on one row, then lays them out in rows (FittingFooter), and
        # the map's first screens change its bindings as they open: a handful of composes, never a loop
        assert len(recomposed) <= 8
