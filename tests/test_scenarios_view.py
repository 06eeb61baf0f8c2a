"""What a learner reads when a scenario opens in the lab: its panes' rows line up, and a chart
line per pane shows the quantity the scenario is about."""

from __future__ import annotations

from textual.app import App, ComposeResult

from lbtutor.sim.scenario_code import ScenarioSpec
from lbtutor.sim.scenarios import get
from lbtutor.ui.app import make_app
from lbtutor.ui.screens.lab import LabScreen
from lbtutor.ui.widgets.lab_bars import LabBars
from lbtutor.ui.widgets.server_bars import ServerBars

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


class _OnePane(App):
    """ServerBars alone, as narrow as a lesson's side-by-side pane (the lesson's aggregation lab)."""

    CSS = "ServerBars { width: 54; }"

    def __init__(self, snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def compose(self) -> ComposeResult:
        yield ServerBars()

    def on_mount(self) -> None:
        self.query_one(ServerBars).show(self.snapshot)


async def test_in_a_narrow_pane_a_long_name_is_cut_before_the_load_and_utilisation_are():
    # 54 cells: "recommendations" in full left the row a cell too long, and every row lost its "%".
    run = get("aggregation").build({}, 1)
    run.advance_to(30.0)
    app = _OnePane(run.panes()[0].snapshot)
    async with app.run_test(size=(60, 10)) as pilot:
        await pilot.pause()
        bars = app.query_one(ServerBars)
        rows = [bars.render_line(y).text.rstrip() for y in range(3)]
        assert all(row.endswith("%") and len(row) <= 54 for row in rows), rows
        assert rows[2].split()[0].startswith("recomm") and rows[2].split()[0].endswith("…")
        assert len({min(row.index(g) for g in BAR_GLYPHS if g in row) for row in rows}) == 1, rows
