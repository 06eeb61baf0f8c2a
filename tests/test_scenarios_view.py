"""What a learner reads when a scenario opens in the lab: its panes' rows line up, and a chart
line per pane shows the quantity the scenario is about."""

from __future__ import annotations

from lbtutor.sim.scenario_code import ScenarioSpec
from lbtutor.ui.app import make_app
from lbtutor.ui.screens.lab import LabScreen
from lbtutor.ui.widgets.lab_bars import LabBars

SIZE = (120, 36)
BAR_GLYPHS = "█▒·│"


async def _scenario(app, pilot, name: str, at: float) -> LabScreen:
    screen = LabScreen(scenario=ScenarioSpec(name, {}, 1))
    await app.push_screen(screen)
    await pilot.pause()
    screen.session.advance_to(at)
    screen.draw()
    await pilot.pause()
    return screen


async def test_long_service_names_keep_every_rows_bar_in_one_column(tmp_path):
    # aggregation's servers are its services: "users", "orders", "recommendations". The name
    # column was five cells, so each longer name pushed its bar (and its numbers) to the right.
    app = make_app(lessons_dir=tmp_path, data_dir=tmp_path / "data", autoplay_labs=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _scenario(app, pilot, "aggregation", 30.0)
        drawn = [bars for bars in screen.query(LabBars) if bars.snapshot is not None]
        assert len(drawn) == 2  # parallel fan-out, one call after another
        for pane in drawn:
            rows = [pane.render_line(y * pane.row_height).text for y in range(len(pane.snapshot.servers))]
            assert [row.split()[0] for row in rows] == ["users", "orders", "recommendations"]
            starts = {min(row.index(g) for g in BAR_GLYPHS if g in row) for row in rows}
            assert len(starts) == 1, rows
            assert len({row.rindex("%") for row in rows}) == 1, rows
