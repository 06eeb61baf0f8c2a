"""What the lab looks like, pinned: the sandbox, compare mode on long-lived connections, a
scenario, and a narrow terminal. Every run is seeded and paused, stepped to a fixed simulated time
(in the chart's half-second steps) before the capture, so no timer runs and nothing shows a clock.
Update with `pytest tests/test_ui_lab_snapshots.py --snapshot-update`, then look at the SVGs.
"""

from __future__ import annotations

from lbtutor.sim.presets import LabSetup
from lbtutor.sim.scenario_code import ScenarioSpec
from lbtutor.ui.app import make_app
from lbtutor.ui.screens.lab import LabScreen


def _app(tmp_path):
    return make_app(lessons_dir=tmp_path, data_dir=tmp_path / "data", autoplay_labs=False)


def _lab_at(t: float, keys: tuple[str, ...] = (), **screen_args):
    async def run_before(pilot) -> None:
        app = pilot.app
        await app.ready.wait()
        screen = LabScreen(paused=True, **screen_args)
        await app.push_screen(screen)
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
        screen.session.advance_to(t)
        screen.draw()
        app.clear_notifications()  # toasts expire on a timer: not part of a stable picture
        await pilot.pause()

    return run_before


def test_the_sandbox_after_thirty_seconds(snap_compare, tmp_path):
    setup = LabSetup.from_preset("identical", ("least-connections",), seed=4)
    assert snap_compare(_app(tmp_path), terminal_size=(120, 36), run_before=_lab_at(30, ("down", "d"), setup=setup))


def test_compare_mode_on_long_lived_connections(snap_compare, tmp_path):
    setup = LabSetup.from_preset("long-lived", ("round-robin", "least-connections"), seed=1)
    assert snap_compare(_app(tmp_path), terminal_size=(120, 40), run_before=_lab_at(300, setup=setup))


def test_mixed_server_sizes_in_a_narrow_terminal(snap_compare, tmp_path):
    setup = LabSetup.from_preset("mixed-sizes", ("round-robin",), seed=2)
    assert snap_compare(_app(tmp_path), terminal_size=(80, 30), run_before=_lab_at(20, setup=setup))


def test_a_scenario_in_the_lab(snap_compare, tmp_path):
    spec = ScenarioSpec("long-lived", {}, 1)
    assert snap_compare(_app(tmp_path), terminal_size=(120, 36), run_before=_lab_at(40, scenario=spec))
