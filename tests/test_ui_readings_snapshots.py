"""The layout decisions of "what the screen shows agrees with the lesson", pinned: a lesson lab's
since-start readings and bar legend at both sizes, a three-way lab stacked by the width each pane
gets, presenter mode paging through that tall lab, the scenario picker filtered by typing, a
scenario's own chart, and compare mode's setup line with its cautious verdict.

Every run is seeded and advanced to a fixed simulated time before the capture (no timer runs).
Update with `pytest tests/test_ui_readings_snapshots.py --snapshot-update`, then look at the SVGs.
"""

from __future__ import annotations

import pytest

from lbtutor.sim.presets import LabSetup
from lbtutor.sim.scenario_code import ScenarioSpec
from lbtutor.ui.app import make_app
from lbtutor.ui.screens.lab import LabScreen
from lbtutor.ui.widgets.lab_block import LabBlockView

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]


@pytest.fixture
def app(isolated_home):
    return make_app(data_dir=isolated_home, autoplay_labs=False)  # the bundled lessons


def lesson_lab_at(lesson: str, step: int | str, t: float | None, *, keys: tuple[str, ...] = ()):
    """Open a bundled lesson step (its index, or its slug), run its lab to `t` (None: a scenario's
    end), lab at the top."""

    async def run_before(pilot) -> None:
        app = pilot.app
        await app.ready.wait()
        index = step
        if isinstance(step, str):
            index = [s.slug for s in app.course.lesson(lesson).steps].index(step)
        app.open_step(lesson, index)
        await pilot.pause()
        await pilot.pause()
        lab = app.screen.page.query_one(LabBlockView)
        lab.run_to(t)
        await pilot.pause()
        app.screen.query_one("#body").scroll_to_widget(lab, animate=False, top=True, immediate=True)
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
            await pilot.pause()
        app.clear_notifications()
        await pilot.pause()

    return run_before


def lab_at(t: float, keys: tuple[str, ...] = (), typed: str = "", **screen_args):
    async def run_before(pilot) -> None:
        app = pilot.app
        await app.ready.wait()
        screen = LabScreen(paused=True, **screen_args)
        await app.push_screen(screen)
        await pilot.pause()
        screen.session.advance_to(t)
        screen.draw()
        app.clear_notifications()
        if keys:
            await pilot.press(*keys)
        if typed:
            await pilot.press(*typed)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_lesson_one_step_one_at_100_s_reads_since_start_with_a_bar_legend(snap_compare, app, size):
    """Mean latency and % busy since the start, near M/M/1's 250 ms and 60%; the p95 says its
    window; the legend under the bar; no label naming an algorithm not yet taught."""
    assert snap_compare(app, terminal_size=size, run_before=lesson_lab_at("fundamentals", 0, 100.0))


def test_a_three_way_lab_stacks_its_panes_at_120_columns(snap_compare, app):
    """Three panes side by side got 36 cells each: '+5q' was cut and '205 / ms' split. Each pane
    now gets the full width, one under another."""
    assert snap_compare(app, terminal_size=(120, 36), run_before=lesson_lab_at("algorithms", "weighted-least-connections", None))


def test_presenter_mode_pages_through_a_lab_taller_than_the_screen(snap_compare, isolated_home):
    """Lesson 2 step 9 at 80x24: → went from the first pane to the check, skipping the weighted
    round robin and weighted least connections panes. One → later the next panes are on screen."""
    app = make_app(data_dir=isolated_home, autoplay_labs=False, present=True)
    run_before = lesson_lab_at("algorithms", "weighted-least-connections", None, keys=("right",))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_the_scenario_picker_filters_as_you_type(snap_compare, app):
    assert snap_compare(app, terminal_size=(80, 24), run_before=lab_at(0.0, keys=("o",), typed="dns"))


def test_a_scenario_chart_plots_what_its_story_is_about(snap_compare, app):
    """lb-ha: failed requests per second in each setup, not latency; legend names whole."""
    spec = ScenarioSpec("lb-ha", {}, 1)
    assert snap_compare(app, terminal_size=(120, 36), run_before=lab_at(60.0, scenario=spec))


def test_compare_mode_keeps_its_setup_in_view_and_calls_no_winner_early(snap_compare, app):
    """The preset whose own description says every algorithm does about as well: at 10 s the
    verdict is 'no clear winner yet', and the traffic and servers stay in a line above."""
    setup = LabSetup.from_preset("identical", ("round-robin", "least-connections"), seed=1)
    assert snap_compare(app, terminal_size=(120, 36), run_before=lab_at(10.0, setup=setup))
