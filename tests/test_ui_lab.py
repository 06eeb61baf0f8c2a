"""The lab: every control changes the run and the screen shows it; compare mode is fair; codes
reproduce runs; bad input is refused with a message, never a crash."""

from __future__ import annotations

import pytest

from lbtutor.commands import lab as lab_command
from lbtutor.sim.config import ConfigError
from lbtutor.sim.lab_session import LabSession
from lbtutor.sim.live import LiveRun
from lbtutor.sim.presets import MAX_RATE, PRESETS, LabSetup, ServerSetup
from lbtutor.sim.scenario_code import ScenarioCodeError, ScenarioSpec, decode, encode
from lbtutor.sim.theory import mmc_mean
from lbtutor.ui.app import make_app
from lbtutor.ui.screens.lab import LabScreen
from lbtutor.ui.widgets.code_dialog import CodeDialog
from lbtutor.ui.widgets.compare_view import LabPane
from lbtutor.ui.widgets.config_panel import BALANCERS, CONFIG_LINES
from lbtutor.ui.widgets.fitting_footer import FittingFooter, FooterRow, pack
from lbtutor.ui.widgets.lab_bars import LabBars
from lbtutor.ui.widgets.lab_metrics import LabMetrics, metrics_content
from lbtutor.ui.widgets.lab_status import LabStatus
from lbtutor.ui.widgets.latency_chart import LatencyChart
from lbtutor.ui.widgets.server_bars import BAR_FIELDS, next_scale, row_key
from lbtutor.ui.widgets.server_editor import ServerEditor

SIZE = (120, 36)


def _app(tmp_path):
    return make_app(lessons_dir=tmp_path, data_dir=tmp_path / "data", autoplay_labs=False)


async def _open(app, pilot, setup: LabSetup | None = None, **kwargs) -> LabScreen:
    screen = LabScreen(setup or LabSetup.from_preset("identical", ("round-robin",), seed=3), **kwargs)
    await app.push_screen(screen)
    await pilot.pause()
    return screen


def status(screen: LabScreen) -> str:
    return screen.query_one(LabStatus).content.plain


def bars(screen: LabScreen, index: int = 0) -> LabBars:
    return list(screen.query(LabBars))[index]


def rows(screen: LabScreen, index: int = 0) -> list[str]:
    """The server rows as the screen draws them (first line of each)."""
    widget = bars(screen, index)
    return [widget.render_line(y * widget.row_height).text for y in range(len(widget.snapshot.servers))]


def plain(widget) -> str:
    """The text a Static shows."""
    content = widget.content
    return content if isinstance(content, str) else content.plain


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


# ------------------------------------------------------------------------------ playing
async def test_space_pauses_and_resumes_and_the_status_line_says_so(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        assert screen.session.run.paused and "PAUSED" in status(screen)
        await pilot.press("space")
        assert not screen.session.run.paused and "RUNNING" in status(screen)
        await pilot.pause(0.3)
        assert screen.session.now > 0  # the frame timer moved the clock
        await pilot.press("space")
        assert screen.session.run.paused and "PAUSED" in status(screen)


async def test_step_advances_half_a_second_while_paused(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("full_stop", "full_stop")
        assert screen.session.now == pytest.approx(1.0)
        assert "t = 1.0 s" in status(screen)
        assert screen.session.panes[0].snapshot.arrived > 0


async def test_speed_keys_walk_the_speed_ladder(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("plus", "plus")
        assert screen.session.run.speed == 5.0 and "5×" in status(screen)
        for _ in range(12):
            await pilot.press("minus")
        assert screen.session.run.speed == 0.25 and "0.25×" in status(screen)


async def test_a_speed_between_rungs_plays_as_asked_and_the_keys_step_from_it(tmp_path):
    """`lbtutor lab --speed 3` played at 2× (the nearest rung) and the status line said 2×."""
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot, speed=3.0)
        assert screen.session.run.speed == 3.0 and "3×" in status(screen)
        await pilot.press("plus")
        assert screen.session.run.speed == 5.0
        await pilot.press("minus", "minus")
        assert screen.session.run.speed == 1.0
    assert LiveRun([], speed=1000).speed == 100 and LiveRun([], speed=float("nan")).speed == 1.0


async def test_arrow_keys_change_the_arrival_rate(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("right")
        assert screen.session.setup.arrival_rate == 80.0
        assert screen.session.panes[0].snapshot.arrival_rate == 80.0
        assert "80 req/s" in status(screen)
        await pilot.press("left", "left")
        assert screen.session.setup.arrival_rate == 51.2 and "51.2 req/s" in status(screen)


async def test_an_absurd_arrival_rate_is_refused_with_a_message(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot, LabSetup.from_preset("identical").with_(arrival_rate=MAX_RATE))
        await pilot.press("right")
        assert screen.session.setup.arrival_rate == MAX_RATE
        assert any("arrival rate must be" in n for n in notes(app))
        with pytest.raises(ConfigError):
            screen.session.set_rate(0)
        with pytest.raises(ConfigError):
            screen.session.set_rate(float("nan"))


async def test_a_and_shift_a_choose_the_algorithm_and_the_config_panel_follows(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("a")
        assert screen.session.setup.algorithms == ("weighted-round-robin",)
        assert screen.session.sims[0].algorithm == "weighted-round-robin"
        await pilot.press("a")
        assert "least-connections" in status(screen)
        panel = plain(screen.query_one("#lab-config"))
        assert "least_conn;" in panel and "balance leastconn" in panel and "LEAST_REQUEST" in panel
        await pilot.press("A", "A")
        assert screen.session.setup.algorithms == ("round-robin",)


# ------------------------------------------------------------------------------ servers
async def test_up_and_down_select_a_server_and_the_row_is_marked(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        assert screen.session.selected == "s1"
        await pilot.press("down", "down")
        assert screen.session.selected == "s3"
        assert rows(screen)[2].startswith("▶ s3")
        await pilot.press("up")
        assert screen.session.selected == "s2"


async def test_clicking_a_row_selects_that_server(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        widget = bars(screen)
        await pilot.click(widget, offset=(3, 2 * widget.row_height))
        assert screen.session.selected == "s3"


async def test_n_adds_a_server_and_it_gets_a_row(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("n")
        assert len(screen.session.setup.servers) == 5
        assert screen.session.selected == "s5"
        assert any(row.startswith("▶ s5") for row in rows(screen))


async def test_removing_the_selected_server_moves_the_selection(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("down")  # s2
        await pilot.press("x")
        assert len(screen.session.setup.servers) == 3
        assert screen.session.selected == "s3"
        assert not any(s.name == "s2" and s.in_rotation for s in screen.session.panes[0].snapshot.servers)
        for _ in range(3):
            await pilot.press("x")
        assert screen.session.setup.servers == ()
        assert screen.session.selected is None
        await pilot.press("full_stop")
        assert "No server is in rotation" in plain(screen.query_one("#lab-banner"))
        assert screen.session.panes[0].snapshot.dropped > 0


async def test_d_takes_a_server_down_and_u_brings_it_back(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("full_stop", "d")
        assert screen.session.panes[0].snapshot.servers[0].state == "down"
        assert "✗ down" in rows(screen)[0]
        assert "s1 is down" in plain(screen.query_one("#lab-banner"))
        await pilot.press("u")
        assert screen.session.panes[0].snapshot.servers[0].state == "healthy"
        assert not screen.query_one("#lab-banner").display


async def test_all_servers_down_counts_failed_requests_and_says_why(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        for _ in range(4):
            await pilot.press("d", "down")
        for _ in range(4):
            await pilot.press("full_stop")
        snap = screen.session.panes[0].snapshot
        assert all(s.state == "down" for s in snap.servers)
        assert snap.failed > 0 and snap.completed == 0
        assert "Every server is down" in plain(screen.query_one("#lab-banner"))
        assert snap.arrived == snap.completed + snap.dropped + snap.failed + snap.in_flight


async def test_w_and_s_change_the_selected_servers_weight_and_speed(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("w", "w")
        assert screen.session.server_setup().weight == 2.0
        assert screen.session.sims[0].servers[0].weight == 2.0
        assert "w2" in rows(screen)[0]
        await pilot.press("W")
        assert screen.session.server_setup().weight == 1.5
        await pilot.press("s")
        assert screen.session.sims[0].servers[0].speed == 1.5
        await pilot.press("S", "S", "S", "S", "S")
        assert screen.session.server_setup().speed == 0.25
        await pilot.press("S")  # the bottom of the ladder: refused, with the way to go lower
        assert screen.session.server_setup().speed == 0.25
        assert any("type a value with e" in n for n in notes(app))


async def test_a_new_speed_is_shown_even_where_the_setup_box_is_hidden(tmp_path):
    """Comparing (or under 110 columns) the Setup box is hidden and no row shows a server's
    speed: s changed it without a trace on screen. Then a notice says it; beside the Setup box,
    which shows it, none is needed."""
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("s")
        assert "speed 1.5×" in plain(screen.query_one("#lab-setup")) and not notes(app)
        await pilot.press("c")
        await pilot.pause()
        app.clear_notifications()
        await pilot.press("s", "W")
        assert notes(app) == ["s1: speed 2×", "s1: weight 0.75"]


async def test_the_server_editor_sets_exact_values_and_refuses_absurd_ones(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, ServerEditor)
        weight = editor.query_one("#weight")
        weight.value = "0"
        await pilot.press("enter")
        assert app.screen is editor  # refused: the dialog stays, the reason is shown
        assert "weight must be from" in plain(editor.query_one(".dialog-error"))
        weight.value = "3.5"
        editor.query_one("#speed").value = "2"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        assert screen.session.server_setup() == ServerSetup(3.5, 2.0)
        assert "w3.5" in rows(screen)[0]


async def test_a_dialog_states_its_refusal_as_a_sentence(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#speed").value = "1e400"
        await pilot.press("enter")
        assert plain(app.screen.query_one(".dialog-error")) == "A speed must be from 0.05× to 100× (got inf)."
        assert notes(app)[-1] == "A speed must be from 0.05× to 100× (got inf)."


# ------------------------------------------------------------------------------ traffic and runs
async def test_t_cycles_traffic_presets_and_v_service_distributions(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("t")
        assert screen.session.setup.preset == "mixed-sizes"
        assert [s.speed for s in screen.session.setup.servers] == [4.0, 2.0, 1.0, 1.0]
        assert "Mixed server sizes" in plain(screen.query_one("#lab-setup"))
        await pilot.press("T")
        assert screen.session.setup.preset == "identical"
        await pilot.press("v")
        assert screen.session.setup.service_dist == "det"
        assert "constant" in plain(screen.query_one("#lab-setup"))
        await pilot.press("V")
        assert screen.session.setup.service_dist == "exp"


async def test_reset_same_seed_repeats_the_run_and_new_seed_changes_it(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        for _ in range(4):
            await pilot.press("full_stop")
        first = screen.session.panes[0].snapshot
        await pilot.press("r")
        assert screen.session.now == 0 and screen.session.setup.seed == 3
        for _ in range(4):
            await pilot.press("full_stop")
        again = screen.session.panes[0].snapshot
        assert (again.arrived, again.completed, again.servers) == (first.arrived, first.completed, first.servers)
        await pilot.press("R")
        assert screen.session.setup.seed != 3 and f"seed {screen.session.setup.seed}" in status(screen)


# ------------------------------------------------------------------------------ compare
async def test_compare_mode_shows_two_algorithms_on_identical_traffic_and_calls_a_winner(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot, LabSetup.from_preset("long-lived", ("round-robin",)))
        await pilot.press("c")
        session = screen.session
        assert session.setup.algorithms == ("round-robin", "least-connections")
        panes = [p for p in screen.query(LabPane) if p.display]
        assert [p.border_title for p in panes] == ["1. round-robin", "▸ 2. least-connections ◂ (a changes it)"]
        session.advance_to(10)
        screen.draw()
        assert "no clear winner yet on p99" in plain(screen.query_one("#lab-verdict"))
        session.advance_to(600)  # seed 1: from about 600 s the p99s differ beyond the batches' noise
        screen.draw()
        a, b = session.panes
        assert a.snapshot.arrived == b.snapshot.arrived
        verdict = plain(screen.query_one("#lab-verdict"))
        assert "least-connections wins on p99" in verdict
        assert "★ best p99" in panes[1].border_subtitle
        await pilot.press("tab", "a")
        assert session.active_side == 0
        assert session.setup.algorithms == ("weighted-round-robin", "least-connections")
        assert session.now == 0  # a compare restarts when a side changes: both judged from t = 0
        await pilot.press("C")  # a third side needs 156 columns; this terminal has 120
        assert len(session.setup.algorithms) == 2
        assert any("need a terminal 156 columns wide" in n for n in notes(app))
        await pilot.press("c")
        assert not session.comparing and session.setup.algorithms == ("weighted-round-robin",)


async def test_compare_mode_says_whose_figures_the_metrics_table_shows(tmp_path):
    """The table under the panes showed one side's figures without saying which."""
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("c")
        metrics = screen.query_one(LabMetrics)
        assert plain(metrics).startswith("2. least-connections in detail (tab: the next side)\n")
        await pilot.press("tab")
        assert plain(metrics).startswith("1. round-robin in detail")
        await pilot.press("c")
        assert plain(metrics).split()[0] == "done/s"  # alone, the table needs no caption


async def test_a_wide_terminal_compares_more_algorithms_side_by_side(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(170, 40)) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("c", "C")
        assert screen.session.setup.algorithms == ("round-robin", "least-connections", "random")
        panes = [p for p in screen.query(LabPane) if p.display]
        assert len(panes) == 3 and len({p.region.y for p in panes}) == 1  # one row: side by side
        await pilot.press("C")
        assert len(screen.session.setup.algorithms) == 3


async def test_compared_bars_share_one_scale_so_equal_loads_are_equal_lengths(tmp_path):
    """Round robin piles long-lived connections onto one server (8 busy + 16 queued); least
    connections does not. Drawn each on its own scale, 4 busy connections were 2 cells on the
    left and 4 on the right, and the capacity mark sat in different columns."""
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot, LabSetup.from_preset("long-lived", ("round-robin", "least-connections")))
        screen.session.advance_to(110)  # seed 1: round robin's pile-up at its worst
        screen.draw()
        await pilot.pause()
        peaks = [max(s.active for s in p.snapshot.servers) for p in screen.session.panes]
        assert peaks[0] > 2 * 8 >= peaks[1]  # only round robin needs a longer scale
        assert bars(screen, 0)._scale == bars(screen, 1)._scale == peaks[0]
        capacity_columns = {row.index("│") for i in (0, 1) for row in rows(screen, i) if "│" in row}
        assert len(capacity_columns) == 1


async def test_a_new_run_measures_its_bars_afresh(tmp_path):
    """Past capacity the queues grow to hundreds and the bar scale with them; after r (or a new
    preset) the run starts from nothing, and full workers fill the bar to its capacity mark
    again instead of a single cell."""
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot, LabSetup.from_preset("identical").with_(arrival_rate=200.0))
        screen.session.advance_to(20)
        screen.draw()
        assert bars(screen)._scale > 100
        await pilot.press("r")
        assert bars(screen)._scale == 8  # twice the 4 workers: capacity mid-bar
        await pilot.press("t")
        assert bars(screen)._scale == 8


def test_bars_shrink_back_once_a_queue_has_drained():
    """The scale grows at once and holds while the need moves within half of it (no jumping
    about); once the rows need less than half, it shrinks over a few seconds of frames."""
    scale = next_scale(1, 8)
    assert scale == 8
    assert next_scale(next_scale(scale, 2000), 1500) == 2000
    scale = 2000
    for _ in range(150):  # five seconds at 30 frames a second
        scale = next_scale(scale, 8)
    assert scale == 16
    assert next_scale(16, 8) == 16 and next_scale(16, 12) == 16


async def test_a_narrow_pane_keeps_every_count_with_its_word(tmp_path):
    """Side by side at 120 columns a pane has 52 cells: "5,431 arrived · 4,120 done · 31 in
    flight · 1,280 lost" lost its last word ("lost"). The figures wrap between themselves under
    their span's heading, each whole, and say the same numbers as the run."""
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        setup = LabSetup.from_preset("identical", ("least-connections", "round-robin")).with_(
            servers=(ServerSetup(down=True), *[ServerSetup()] * 31), arrival_rate=512.0,
        )
        screen = await _open(app, pilot, setup)
        screen.session.advance_to(10)
        screen.draw()
        await pilot.pause()
        counts = screen.query(".pane-counts").first()
        width = counts.content_region.width
        lines = plain(counts).split("\n")
        assert lines[0].startswith("since start  ") and len(lines) > 1
        assert all(len(line) <= width for line in lines)
        figures = [f for line in lines for f in line[len("since start  "):].split(" · ")]
        snap = screen.session.panes[0].snapshot
        assert f"{snap.arrived:,} arrived" in figures and f"{snap.completed:,} done" in figures
        assert f"{snap.in_flight:,} in flight" in figures
        assert f"{snap.failed:,} failed ({100 * snap.failed / snap.arrived:.1f}%)" in figures


async def test_a_frame_redraws_only_the_server_rows_that_changed(tmp_path):
    """32 servers side by side at 30 frames a second: redrawing every row every frame was most
    of compare mode's CPU. Between text redraws a row is redrawn when its bar changed; at a text
    redraw, when anything in it changed; and what the screen shows is always the current run."""
    app = _app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        setup = LabSetup.from_preset("identical", ("least-connections", "round-robin")).with_(
            servers=tuple(ServerSetup() for _ in range(32)), arrival_rate=512.0,
        )
        screen = await _open(app, pilot, setup)
        screen.session.advance_to(5)
        screen.draw()
        await pilot.pause()
        widget = bars(screen, 0)
        drawn: list[int] = []
        render_line = widget.render_line

        def counting(y):
            drawn.append(y)
            return render_line(y)

        widget.render_line = counting
        before = [row_key(s) for s in screen.session.panes[0].snapshot.servers]
        screen.session.run._advance(5.01)  # a tenth of a frame at 1×: a few servers change
        screen.session.refresh()
        screen.draw(text=False)
        await pilot.pause()
        after = [row_key(s) for s in screen.session.panes[0].snapshot.servers]
        bar_changed = {y for y, (a, b) in enumerate(zip(before, after, strict=True)) if a[:BAR_FIELDS] != b[:BAR_FIELDS]}
        assert 0 < len(bar_changed) < 16
        assert set(drawn) == bar_changed
        drawn.clear()
        screen.draw(text=True)
        await pilot.pause()
        assert set(drawn) == {y for y, (a, b) in enumerate(zip(before, after, strict=True)) if a != b} - bar_changed
        shown = [line.text for line in widget._styles_cache.render_widget(widget, widget.size.region)]
        widget.refresh()
        assert shown == [line.text for line in widget._styles_cache.render_widget(widget, widget.size.region)]


async def test_the_chart_legend_keeps_every_algorithms_glyph_when_narrow(tmp_path):
    """Three algorithms compared at 80 columns: the legend ran off the edge and the third
    algorithm's glyph went with it. The span shortens, then goes; then the title, which says what
    the chart measures, takes a line of its own above the series."""
    app = _app(tmp_path)
    async with app.run_test(size=(80, 60)) as pilot:
        screen = await _open(app, pilot, LabSetup.from_preset("identical", ("round-robin", "least-connections", "random")))
        screen.session.advance_to(300)
        screen.draw()
        await pilot.pause()
        chart = screen.query_one(LatencyChart)
        series = "● round-robin   ▲ least-connections   ■ random"
        assert chart.render_line(0).text.rstrip() == f"p99 since start  {series}"
        chart.title = "p99 so far"
        assert chart.render_line(0).text.rstrip() == f"p99 so far  {series}   {chart.span:,.0f} s ⟶ now"
        chart.title = "p99 so far, the whole run, on identical requests"
        assert chart.render_line(0).text.rstrip() == "p99 so far, the whole run, on identical requests"
        assert chart.render_line(1).text.rstrip() == series


def test_compared_algorithms_see_the_very_same_arrivals_and_demands():
    setup = LabSetup.from_preset("bursts", ("round-robin", "least-connections", "ip-hash"), seed=11)
    session = LabSession(setup, record_arrivals=True)
    session.advance_to(60)
    streams = [sim.traffic.recorded for sim in session.sims]
    assert len(streams[0]) > 1000
    assert streams[0] == streams[1] == streams[2]
    # ...and the algorithms did make different choices with them.
    loads = [[s.served for s in p.snapshot.servers] for p in session.panes]
    assert loads[0] != loads[1]


async def test_a_narrow_terminal_keeps_the_metrics_table_whole(tmp_path):
    """At 60 columns the table (72 cells) wrapped every row in two. Now fairness and throughput
    give way, and each row stays one line with the tail latencies and the lost requests."""
    app = _app(tmp_path)
    async with app.run_test(size=(60, 20)) as pilot:
        screen = await _open(app, pilot)
        screen.session.advance_to(5)
        screen.draw()
        await pilot.pause()
        metrics = screen.query_one(LabMetrics)
        lines = plain(metrics).splitlines()
        assert lines[0].split() == ["p50", "p95", "p99", "dropped", "failed"]
        assert lines[1].startswith("Last 5 s") and lines[2].startswith("Since start")
        assert all(len(line.rstrip()) <= metrics.content_region.width for line in lines[:3])
    assert metrics_content(screen.session.panes[0]).plain.splitlines()[0].split() == [
        "done/s", "p50", "p95", "p99", "dropped", "failed", "fairness",
    ]


# ------------------------------------------------------------------------------ theory
def test_theory_mean_stands_beside_the_live_one_for_identical_servers_with_unbounded_queues():
    """Random routing to 4 identical servers of 4 workers is four M/M/4 queues at 16 req/s each:
    Erlang C says 349 ms. The lab's guard against runaway queues (LAB_QUEUE_CAP) is no queue
    limit to theory, so the figure is shown; 20 simulated minutes land within 10% of it (about
    three standard errors at that length; seeds 1-8 fell within 8%)."""
    session = LabSession(LabSetup.from_preset("identical", ("random",), seed=1))
    latencies: list[float] = []
    record = session.sims[0].on_complete

    def also_keep(sim, req, server):
        record(sim, req, server)
        latencies.append(sim.env.now - req.arrival)

    session.sims[0].on_complete = also_keep
    session.advance_to(1200)
    pane = session.panes[0]
    assert pane.theory["model"] == "M/M/4 per server (random routing)"
    assert pane.theory["mean_latency"] == pytest.approx(mmc_mean(16.0, 5.0, 4))
    assert sum(latencies) / len(latencies) == pytest.approx(pane.theory["mean_latency"], rel=0.10)
    assert metrics_content(pane).plain.splitlines()[-1].startswith("Theory      mean 349 ms (M/M/4 per server")


def test_theory_is_a_lower_bound_for_least_connections_and_absent_where_no_model_fits():
    session = LabSession(LabSetup.from_preset("identical", ("least-connections",)))
    session.advance_to(5)
    assert session.panes[0].theory["lower_bound"]
    assert "mean ≥ 219 ms (no balancer beats one central queue)" in metrics_content(session.panes[0]).plain
    # the first seconds come from empty queues, under the steady state's bound: the table says so
    assert "warming up" in metrics_content(session.panes[0]).plain
    session.advance_to(30)
    assert "warming up" not in metrics_content(session.panes[0]).plain
    session.take_down("s2")  # a dead server fails what it is sent: no closed form for that
    assert session.panes[0].theory is None
    session.bring_up("s2")
    assert session.panes[0].theory is not None
    for setup in (LabSetup.from_preset("mixed-sizes"), LabSetup.from_preset("long-lived"), LabSetup.from_preset("bursts")):
        session = LabSession(setup)
        session.advance_to(5)
        assert session.panes[0].theory is None, setup.preset
        assert "no closed form fits this setup" in metrics_content(session.panes[0]).plain


# ------------------------------------------------------------------------------ codes
@pytest.mark.parametrize("name", [p.name for p in PRESETS])
def test_a_scenario_code_round_trips_and_reproduces_the_run(name):
    setup = LabSetup.from_preset(name, ("least-connections", "power-of-two-choices"), seed=42).with_(
        arrival_rate=33.3, servers=(ServerSetup(2, 1.5), ServerSetup(), ServerSetup(0.5, 3, down=True)),
    )
    code = encode(setup)
    assert code.startswith("LB-") and len(code) < 80
    assert decode(code) == setup
    assert decode(code.lower().replace("-", " ")) == setup  # case and separators do not matter
    one, two = LabSession.from_code(code), LabSession(setup)
    one.advance_to(20)
    two.advance_to(20)
    assert [p.snapshot for p in one.panes] == [p.snapshot for p in two.panes]


def test_a_plain_setup_has_a_code_short_enough_for_a_whiteboard():
    code = encode(LabSetup.from_preset("long-lived", ("least-connections",), seed=7))
    assert len(code) <= 24, code


def test_scenario_codes_carry_the_scenario_its_parameters_and_seed():
    spec = ScenarioSpec("long-lived", {"servers": 6, "long_fraction": 0.1}, 9)
    assert decode(encode(spec)) == spec


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "not a scenario code"),
        ("LB-UUUU", "without I, L, O, U"),
        ("LB-0400", "too short"),
    ],
)
def test_a_bad_code_is_refused_with_a_clear_reason(text, says):
    with pytest.raises(ScenarioCodeError, match=says):
        decode(text)


def test_weights_speeds_and_rates_a_learner_types_are_kept_to_the_hundredths_a_code_holds():
    session = LabSession(LabSetup.from_preset("identical", ("round-robin",), seed=3))
    session.set_rate(33.3333)
    session.set_weight(1.2345)  # the selected server
    session.set_speed(0.6666)
    assert session.setup.arrival_rate == 33.33
    assert (session.setup.servers[0].weight, session.setup.servers[0].speed) == (1.23, 0.67)
    assert decode(session.code()) == session.setup  # so its code opens this very run


def test_a_run_finer_than_a_code_holds_gets_no_code_rather_than_a_different_run():
    setup = LabSetup.from_preset("identical", ("round-robin",), seed=3).with_(service_rate=0.001)
    with pytest.raises(ScenarioCodeError, match="service rate of 0.001 is finer than"):
        encode(setup)


def test_a_mistyped_code_fails_its_check_digits():
    code = encode(LabSetup.from_preset("identical", ("random",), seed=5))
    i = 5
    typo = code[:i] + ("1" if code[i] != "1" else "2") + code[i + 1:]
    with pytest.raises(ScenarioCodeError, match="typo"):
        decode(typo)


async def test_y_shows_and_copies_the_code_and_a_typed_code_opens_that_run(tmp_path, monkeypatch):
    app = _app(tmp_path)
    copied = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    other = encode(LabSetup.from_preset("mixed-sizes", ("weighted-round-robin",), seed=8))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("y")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, CodeDialog)
        assert copied == [screen.session.code()]
        assert plain(dialog.query_one(".code")) == copied[0]
        dialog.query_one("#other-code").value = "LB-NOPE"
        await pilot.press("enter")
        assert app.screen is dialog and "O" not in plain(dialog.query_one(".dialog-error"))[:0]
        dialog.query_one("#other-code").value = other
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        assert screen.session.setup == decode(other)
        assert "weighted-round-robin" in status(screen)


def test_lbtutor_lab_checks_its_arguments_before_opening_the_app(capsys):
    parser = __import__("lbtutor.cli", fromlist=["build_parser"]).build_parser()
    args = parser.parse_args(["lab", "least-connections", "--compare", "round-robin", "--traffic", "long-lived"])
    screen_args = lab_command.lab_arguments(args)
    assert screen_args["setup"].algorithms == ("least-connections", "round-robin")
    assert screen_args["setup"].preset == "long-lived"
    code = encode(screen_args["setup"])
    assert lab_command.lab_arguments(parser.parse_args(["lab", "--code", code]))["code"] == code
    for argv, says in [
        (["lab", "fastest"], "unknown algorithm 'fastest'"),
        (["lab", "--code", "LB-0000-0000"], "typo"),
        (["lab", "--traffic", "rush-hour"], "unknown traffic preset"),
        (["lab", "--code", code, "--seed", "3"], "drop --seed"),
        (["lab", "--speed", "1000"], "--speed must be"),
    ]:
        assert lab_command.run(parser.parse_args(argv)) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and says in err


# ------------------------------------------------------------------------------ scenarios, palette, timers
async def test_a_named_scenario_opens_with_its_panes_headline_and_editable_parameters(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot, scenario=ScenarioSpec("long-lived", {"servers": 4}, 2))
        session = screen.session
        assert session.is_scenario and [p.label for p in session.panes] == ["round robin", "least connections"]
        session.advance_to(10)
        screen.draw()
        assert "p99 of short requests, round robin" in plain(screen.query_one("#lab-headline"))
        assert "servers 4" in plain(screen.query_one("#lab-setup"))
        await pilot.press("d")  # a sandbox control: refused quietly (dimmed in the footer)
        assert session.is_scenario
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        fields = {p.name: i for i, (p, _v) in enumerate(session.scenario_parameters())}
        dialog.query_one(f"#param-{fields['servers']}").value = "0"
        await pilot.press("enter")
        assert app.screen is dialog  # out of range: refused
        dialog.query_one(f"#param-{fields['servers']}").value = "6"
        await pilot.press("enter")
        await pilot.pause()
        assert len(screen.session.panes[0].snapshot.servers) == 6
        assert screen.session.code() == encode(ScenarioSpec("long-lived", screen.session.spec.params, 2))


async def test_a_scenarios_headline_breaks_lines_between_figures(tmp_path):
    """The headline wrapped like prose: 'waited short lc' ended one line and its '0.0%' began
    the next. Each figure now stays whole on its line."""
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot, scenario=ScenarioSpec("long-lived", {}, 1))
        screen.session.advance_to(40)
        screen.draw()
        await pilot.pause()
        headline = screen.query_one("#lab-headline")
        lines = plain(headline).splitlines()
        figures = [figure for line in lines for figure in line.split("   ")]
        assert len(lines) > 1 and len(figures) == len(screen.session.headline())
        metrics = {m.name: m for m in screen.session.run.scenario.scenario.metrics}
        assert figures == [
            " ".join(part for part in metrics[name].reading(value) if part)
            for name, value in screen.session.headline().items()
        ]
        assert "p99 of short requests, round robin 1.21 s" in figures  # words, not "p99 short rr"
        assert all(len(line) <= headline.content_region.width for line in lines)


def test_a_scenario_that_is_not_in_this_build_gives_a_clear_message(monkeypatch):
    from lbtutor.sim import scenarios

    monkeypatch.setitem(scenarios._MODULES, "not-yet", "module_that_does_not_exist")
    session = LabSession()
    with pytest.raises(ConfigError, match="not in this build"):
        session.open_scenario("not-yet")
    with pytest.raises(ConfigError, match="unknown scenario"):
        session.open_scenario("no-such-thing")
    assert not session.is_scenario  # the sandbox carries on


async def test_the_palette_finds_lab_actions_by_their_plain_names(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"Take server down")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert screen.session.server_setup("s1").down
        from lbtutor.ui.lab_commands import lab_commands

        texts = {c.text for c in lab_commands(app, screen)}
        for name in ("Pause", "Resume", "Step", "Faster", "Slower", "Compare", "Add server", "Remove server",
                     "Take server down", "Bring server up", "Set weight", "Set speed", "Next algorithm",
                     "Algorithm: peak-ewma", "Traffic: Bursts", "Reset same seed", "Reset new seed",
                     "Copy scenario code", "Open scenario long-lived"):
            assert name in texts, name


async def test_selecting_a_server_and_stepping_back_are_in_the_palette_too(tmp_path):
    """Every key has a palette command: ↑/↓ (select), A (previous algorithm), t and v had none."""
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("ctrl+p", *"Select next server")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert screen.session.selected == "s2"
        from lbtutor.ui.lab_commands import lab_commands

        commands = {c.text: c for c in lab_commands(app, screen)}
        commands["Previous algorithm"].run()
        assert screen.session.setup.algorithms == ("random",)
        commands["Next traffic preset"].run()
        assert screen.session.setup.preset == "mixed-sizes"
        commands["Next service-time distribution"].run()
        assert screen.session.setup.service_dist == "det"
        assert "Select previous server" in commands


async def test_the_lab_opens_from_anywhere_through_the_palette(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.press(*"Open the lab")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LabScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, LabScreen)


async def test_the_clock_stops_while_the_lab_is_hidden(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot, paused=False)
        await pilot.pause(0.2)
        assert screen.session.now > 0
        await pilot.press("question_mark")
        await pilot.pause(0.1)
        hidden_at = screen.session.now
        await pilot.pause(0.3)
        assert screen.session.now == hidden_at
        await pilot.press("escape")
        await pilot.pause(0.3)
        assert screen.session.now > hidden_at


def test_every_algorithm_has_a_line_or_an_honest_note_for_every_balancer():
    from lbtutor.sim.balancers import ALGORITHMS

    for slug in ALGORITHMS:
        for balancer in BALANCERS:
            line = CONFIG_LINES[slug][balancer]
            assert line.config or line.note, (slug, balancer)
    assert CONFIG_LINES["least-response-time"]["nginx"].config is None
    assert "NGINX Plus" in CONFIG_LINES["least-response-time"]["nginx"].note
    assert CONFIG_LINES["power-of-two-choices"]["HAProxy"].config == "balance random(2)"


def test_the_config_panel_teaches_the_lines_the_real_lab_writes_into_haproxy_and_nginx():
    """What the panel says to write is what lbtutor writes when it runs the real balancer; where
    the real lab refuses an algorithm as no true equivalent, the panel's line says it differs."""
    from lbtutor.real.algorithms import HAPROXY, NGINX, NO_EQUIVALENT
    from lbtutor.sim.balancers import ALGORITHMS

    for slug in ALGORITHMS:
        for balancer, table, shown in (("haproxy", HAPROXY, "HAProxy"), ("nginx", NGINX, "nginx")):
            line = CONFIG_LINES[slug][shown]
            refused = NO_EQUIVALENT.get((balancer, slug))
            if refused and line.config is not None:
                assert "its own way" in line.note, (slug, shown, line)
            elif slug not in table:
                assert line.config is None, (slug, shown, line)
            elif balancer == "haproxy":
                first, *rest = table[slug]
                assert line.config == first and all(f"`{more}`" in line.note for more in rest), (slug, line)
            elif table[slug]:
                assert line.config == table[slug], (slug, line)
            else:  # nginx's default, smooth weighted round robin: weights go on the server lines
                assert line.config in ("(no directive)", "server s1 weight=4;"), (slug, line)


def test_a_lessons_lab_block_opens_in_the_lab_with_its_parameters():
    from lbtutor.content.lessons import LabBlock

    engine = LabBlock(
        "Three servers", "look", 1, algorithms=("round-robin", "random"),
        config={"servers": 3, "arrival_rate": 24.0, "service_rate": 10.0}, seed=7, speed=2.0,
    )
    screen = LabScreen.from_lab_block(engine)
    setup, _scenario, _code = screen._start
    assert setup.algorithms == ("round-robin", "random") and setup.seed == 7
    assert len(setup.servers) == 3 and setup.arrival_rate == 24.0 and setup.shape.service_rate == 10.0
    assert decode(encode(setup)) == setup  # its code carries the lesson's own shape too
    scenario = LabBlock("Long", "look", 1, scenario="long-lived", settings={"servers": 4}, seed=5)
    _setup, spec, _code = LabScreen.from_lab_block(scenario)._start
    assert spec == ScenarioSpec("long-lived", {"servers": 4}, 5)


async def test_the_status_line_takes_clicks(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        line = screen.query_one(LabStatus)

        async def click(mark: str, nth: int = 0) -> None:
            text = status(screen)
            x = -1
            for _ in range(nth + 1):
                x = text.index(mark, x + 1)
            await pilot.click(line, offset=(x + 1, 0))  # +1: the line's left padding
            await pilot.pause()

        await click("▶")
        assert screen.session.setup.algorithms == ("weighted-round-robin",)
        await click("◀")
        assert screen.session.setup.algorithms == ("round-robin",)
        await click("+")
        assert screen.session.setup.arrival_rate == 80.0
        await click("+", 1)
        assert screen.session.run.speed == 2.0
        await click("PAUSED")
        assert not screen.session.run.paused


# ------------------------------------------------------------------------------ the footer
def footer_rows(screen) -> list[list[str]]:
    """The footer as a person reads it: each row's keys with their words, and only keys drawn
    whole inside the room left of the palette key."""
    footer = screen.query_one(FittingFooter)
    palette = [key for key in footer.query("FooterKey.-command-palette")]
    right = palette[0].region.x if palette else footer.region.right
    return [
        [f"{key.key_display} {key.description}" for key in row.query("FooterKey") if key.region.right <= right]
        for row in footer.query_children(FooterRow)
    ]


async def _settled_footer(pilot) -> None:
    for _ in range(4):  # measured on one row, then laid out
        await pilot.pause()


async def test_the_lab_footer_at_120_columns_has_traffic_span_edit_scenario_code_and_help(tmp_path):
    """The issue: at 120 columns the footer stopped at 'w/W Weight'. Two rows where the screen
    is tall enough; compare mode's own keys only in compare mode; the key that applies to the
    selected server (d takes it down, u brings it back), never a dimmed one."""
    app = _app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open(app, pilot)
        await _settled_footer(pilot)
        rows = footer_rows(screen)
        shown = [key for row in rows for key in row]
        assert len(rows) == 2
        assert shown[:5] == ["space Pause", "+/- Speed", "→/← Rate", "a/A Algorithm", "c Compare"]
        for key in ("w/W Weight", "t/T Traffic", "h Since/recent", "e Edit", "o Scenario", "y Code", "? Help"):
            assert key in shown
        assert "d Take down" in shown and "u Bring up" not in shown
        assert not {"tab Side", "i 20 seeds", "C Add side"} & set(shown)
        await pilot.press("d")
        await _settled_footer(pilot)
        shown = [key for row in footer_rows(screen) for key in row]
        assert "u Bring up" in shown and "d Take down" not in shown
        await pilot.press("c")
        await _settled_footer(pilot)
        shown = [key for row in footer_rows(screen) for key in row]
        assert shown.index("c Compare") + 1 == shown.index("tab Side")
        assert {"i 20 seeds", "C Add side", "h Since/recent", "y Code"} <= set(shown)


async def test_the_lab_footer_at_80x24_is_one_row_of_the_most_used_keys(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(app, pilot)
        await _settled_footer(pilot)
        assert footer_rows(screen) == [["space Pause", "+/- Speed", "→/← Rate", "a/A Algorithm", "c Compare", "↑↓ Select"]]
        screen.open_scenario("health-check")  # a scenario: its own keys, not the sandbox's
        await _settled_footer(pilot)
        assert footer_rows(screen) == [["space Pause", "+/- Speed", "h Since/recent", "e Edit", "o Scenario", "y Code"]]


def test_footer_keys_are_packed_whole_in_order_and_stop_at_the_first_that_does_not_fit():
    assert pack([12, 10, 9], 25, 1) == [[0, 1]]
    assert pack([12, 10, 9], 25, 2) == [[0, 1], [2]]
    assert pack([12, 30, 5], 25, 2) == [[0]]  # wider than a row: it and all after it stay out
    assert pack([20, 20, 20], 25, 2) == [[0], [1]]


async def test_a_footer_on_a_screen_underneath_waits_instead_of_measuring_every_frame(tmp_path, monkeypatch):
    """The course map's footer, under the lab, has no layout to measure: it once asked again
    every frame (13,000 times a second), which kept the app from ever being idle and made keys
    and notices late. It measures when its screen is back on top."""
    import asyncio

    measured = []
    original = FittingFooter._measure

    def counting(self, *args):
        measured.append(self)
        return original(self, *args)

    monkeypatch.setattr(FittingFooter, "_measure", counting)
    app = _app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("c")
        await _settled_footer(pilot)
        measured.clear()
        await asyncio.sleep(0.3)
        assert measured == []
        await pilot.press("escape")
        await _settled_footer(pilot)
        home = app.screen
        assert home is not screen and footer_rows(home)[0]  # back on top, measured and laid out
