"""Accessibility, pinned: NO_COLOR and the monochrome theme show no colour at all, yet load still
reads by bar length, glyph and number; the Okabe-Ito theme is one palette command away; every
screen works from the keyboard alone.

Snapshots: the course map and a lesson with a paused lab under NO_COLOR, and the lab with a
server down under NO_COLOR, monochrome and Okabe-Ito. Update with
`pytest tests/test_ui_a11y_snapshots.py --snapshot-update`, then look at the SVGs.
"""

from __future__ import annotations

import re

import pytest
from textual.color import Color
from ui_course import write_course

from lbtutor.sim.presets import LabSetup
from lbtutor.ui.app import make_app
from lbtutor.ui.screens.lab import LabScreen
from lbtutor.ui.themes import OKABE_ITO
from lbtutor.ui.widgets.lab_bars import LabBars
from lbtutor.ui.widgets.lab_block import LabBlockView
from lbtutor.ui.widgets.server_bars import ServerBars

HEX = re.compile(r"#([0-9a-fA-F]{6})\b")


@pytest.fixture
def no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")  # Textual reads it when the App is made


@pytest.fixture(autouse=True)
def default_theme(monkeypatch):
    monkeypatch.delenv("LBTUTOR_THEME", raising=False)


def new_app(tmp_path):
    return make_app(lessons_dir=write_course(tmp_path / "lessons"), data_dir=tmp_path / "data", autoplay_labs=False)


@pytest.fixture
def app(tmp_path):
    return new_app(tmp_path)


@pytest.fixture
def grey_app(tmp_path, no_color):
    """The app made while NO_COLOR is set (Textual reads it once, when the App is made)."""
    return new_app(tmp_path)


async def ready(pilot) -> None:
    await pilot.app.ready.wait()
    await pilot.pause()


async def lesson_with_paused_lab(pilot) -> None:
    await ready(pilot)
    pilot.app.open_step("basics", 1)  # "Three servers": its lab, paused, stepped to 8 s
    await pilot.pause()
    await pilot.pause()
    lab = pilot.app.screen.query_one(LabBlockView)
    for _ in range(16):
        lab.step_once()
    await pilot.pause()


def lab_with_a_server_down(theme: str | None = None):
    async def run_before(pilot) -> None:
        app = pilot.app
        await app.ready.wait()
        if theme:
            app.theme = theme
        screen = LabScreen(LabSetup.from_preset("identical", ("least-connections",), seed=4), paused=True)
        await app.push_screen(screen)
        await pilot.pause()
        await pilot.press("down", "d")  # take s2 down
        screen.session.advance_to(20)
        screen.draw()
        app.clear_notifications()
        await pilot.pause()

    return run_before


def colours(svg: str) -> set[str]:
    """Colours of the terminal's cells (not of the window's three decorative buttons)."""
    return {m.lower() for m in HEX.findall(re.sub(r"<circle[^>]*/>", "", svg))}


def is_grey(colour: str, slack: int = 8) -> bool:
    r, g, b = (int(colour[i : i + 2], 16) for i in (0, 2, 4))
    return max(r, g, b) - min(r, g, b) <= slack  # Rich's own default text, #c5c8c6, counts as grey


def greys_only(svg: str) -> bool:
    return all(is_grey(c) for c in colours(svg))


# ------------------------------------------------------------------ snapshots
def test_course_map_without_colour(snap_compare, grey_app):
    assert snap_compare(grey_app, terminal_size=(100, 30), run_before=ready)


def test_lesson_with_a_paused_lab_without_colour(snap_compare, grey_app):
    assert snap_compare(grey_app, terminal_size=(100, 36), run_before=lesson_with_paused_lab)


def test_lab_with_a_server_down_without_colour(snap_compare, grey_app):
    assert snap_compare(grey_app, terminal_size=(120, 36), run_before=lab_with_a_server_down())


def test_lab_with_a_server_down_in_monochrome(snap_compare, app):
    assert snap_compare(app, terminal_size=(120, 36), run_before=lab_with_a_server_down("monochrome"))


def test_lab_with_a_server_down_in_okabe_ito(snap_compare, app):
    assert snap_compare(app, terminal_size=(120, 36), run_before=lab_with_a_server_down("okabe-ito"))


# ------------------------------------------------------------------ no colour, same meaning
@pytest.mark.parametrize("how", ["NO_COLOR", "monochrome"])
async def test_without_colour_every_screen_is_grey_and_load_reads_by_length_and_number(tmp_path, how, monkeypatch):
    if how == "NO_COLOR":
        monkeypatch.setenv("NO_COLOR", "1")
    app = new_app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await lab_with_a_server_down("monochrome" if how == "monochrome" else None)(pilot)
        svg = app.export_screenshot()
        assert greys_only(svg), sorted(colours(svg))
        bars = app.screen.query_one(LabBars)
        snapshot = bars.snapshot
        for y, server in enumerate(snapshot.servers):
            row = bars.render_line(y * bars.row_height).text
            if server.state == "down":
                assert "down" in row
                continue
            # Each busy worker is a solid block and each queued request shaded: the bar is as long
            # as the load, and the number beside it says the same.
            assert f"{server.busy}/{server.workers}" in row
            if server.queued:
                assert f"+{server.queued}q" in row
            assert ("█" in row) == (server.busy > 0)
            assert ("▒" in row) == (server.queued > 0)
        await pilot.press("escape")
        await pilot.pause()
        assert greys_only(app.export_screenshot())  # the course map too


async def test_server_bars_draw_load_with_distinct_glyphs_in_lessons(grey_app):
    app = grey_app
    async with app.run_test(size=(100, 36)) as pilot:
        await lesson_with_paused_lab(pilot)
        bars = app.screen.query_one(ServerBars)
        text = "\n".join(bars.render_line(y).text for y in range(bars.size.height))
        assert "█" in text and re.search(r"\d+/\d+", text)
        assert greys_only(app.export_screenshot())


# ------------------------------------------------------------------ themes
async def test_the_colour_blind_theme_is_one_palette_command_away(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert {"monochrome", "okabe-ito"} <= set(app.available_themes)
        await pilot.press("ctrl+p", *"colour", "enter")
        await pilot.pause()
        assert app.theme == "okabe-ito"
        variables = app.get_css_variables()
        for name in ("success", "warning", "error"):  # Textual rounds a theme's colours a little
            got, want = Color.parse(variables[name]), Color.parse(getattr(OKABE_ITO, name))
            assert max(abs(a - b) for a, b in zip(got.rgb, want.rgb, strict=True)) <= 2, name
        await pilot.press("ctrl+p", *"default col", "enter")
        await pilot.pause()
        assert app.theme == "textual-dark"


async def test_lbtutor_theme_picks_the_theme_at_start(tmp_path, monkeypatch):
    monkeypatch.setenv("LBTUTOR_THEME", "monochrome")
    app = make_app(lessons_dir=write_course(tmp_path / "lessons"), data_dir=tmp_path / "data", autoplay_labs=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert app.theme == "monochrome"
        assert greys_only(app.export_screenshot())


# ------------------------------------------------------------------ keyboard only
async def test_a_learner_with_only_a_keyboard_reaches_every_screen_and_comes_back(app):
    """No clicks: the map, a lesson, its check, the lab and its controls, help, the palette."""
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        screens = [type(app.screen).__name__]
        await pilot.press("enter")  # open the highlighted module
        await pilot.pause()
        screens.append(type(app.screen).__name__)
        await pilot.press("right")  # next step: the lab and its check
        await pilot.pause()
        await pilot.press("a")  # answer the check
        await pilot.pause()
        await pilot.press("p", "full_stop")  # pause and step the lab
        await pilot.pause()
        await pilot.press("ctrl+p", *"the lab", "enter")
        await pilot.pause()
        screens.append(type(app.screen).__name__)
        lab = app.screen
        await pilot.press("space", "space", "full_stop", "d")  # run, pause, step, take s1 down
        await pilot.pause()
        assert lab.session.panes[0].snapshot.servers[0].state == "down"
        await pilot.press("u", "n")  # bring it up, add a server
        await pilot.pause()
        assert lab.session.server_names == ["s1", "s2", "s3", "s4", "s5"]
        assert lab.session.panes[0].snapshot.servers[0].state != "down"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        screens.append(type(app.screen).__name__)
        await pilot.press("escape", "escape")
        await pilot.pause()
        screens.append(type(app.screen).__name__)
        assert screens == ["HomeScreen", "LessonScreen", "LabScreen", "HelpScreen", "HomeScreen"]
