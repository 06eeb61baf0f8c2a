"""Compare mode's "Repeat over 20 seeds": the compared sides over 20 seeds, each figure's mean and
interval per side, and whether the winner is clear of the runner-up or one run could mislead."""

from __future__ import annotations

import pytest

from lbtutor.sim.lab_repeat import REPEAT_BUDGET, REPEAT_SEEDS, repeat_duration, repeat_setup
from lbtutor.sim.presets import LabSetup
from lbtutor.sim.replications import Interval
from lbtutor.ui.app import make_app
from lbtutor.ui.lab_commands import lab_commands
from lbtutor.ui.screens.lab import LabScreen
from lbtutor.ui.widgets.seed_repeat import SeedRepeat, result_content


@pytest.fixture(scope="module")
def rr_against_lc():
    # 4 servers x 4 workers at 80% load: least connections keeps every slot busy before queueing
    return repeat_setup(LabSetup.from_preset("identical", ("round-robin", "least-connections")), 60.0)


def test_least_connections_is_a_clear_winner_on_p99_over_twenty_seeds(rr_against_lc):
    result = rr_against_lc
    assert result.seeds == REPEAT_SEEDS and result.labels == ("round-robin", "least-connections")
    rr, lc = result.figures["p99"]
    assert rr.n == lc.n == 20 and lc.high < rr.low
    verdict = result.verdict("p99")
    assert verdict.clear and verdict.winner == 1 and verdict.runner_up == 0
    assert verdict.text.startswith("least-connections wins on p99 at this load")
    assert result.verdict("lost").text == "no requests lost on any side in any of the 20 runs"
    throughput = result.figures["throughput"]  # both finish what arrives: the same 64 req/s
    assert all(abs(iv.mean - 64) < 1.5 for iv in throughput) and not result.verdict("throughput").clear


def test_at_light_load_one_run_cannot_tell_random_from_two_choices_on_p99():
    setup = LabSetup.from_preset("identical", ("random", "power-of-two-choices")).with_(arrival_rate=32.77)
    result = repeat_setup(setup, 60.0)
    verdict = result.verdict("p99")
    assert not verdict.clear and verdict.winner is not None
    assert verdict.text.startswith("not a clear winner on p99 at this load")
    a, b = result.figures["p99"]
    assert a.overlaps(b)


def test_each_seed_keeps_the_sides_on_identical_traffic(rr_against_lc):
    # the same requests arrive on both sides, seed after seed: only the finishing differs
    assert rr_against_lc.figures["throughput"][0].n == 20


def test_the_repeat_runs_as_long_as_the_run_on_screen_within_its_request_budget():
    setup = LabSetup.from_preset("identical", ("round-robin", "least-connections"))  # 64 req/s
    assert repeat_duration(setup, 10) == 60  # at least a simulated minute
    assert repeat_duration(setup, 80) == 80
    cap = REPEAT_BUDGET / (REPEAT_SEEDS * 2 * 64)  # about 98 s: 250,000 requests in all
    assert repeat_duration(setup, 10_000) == pytest.approx(cap)


def test_a_winner_whose_interval_overlaps_the_runner_up_is_not_clear():
    from lbtutor.sim.lab_repeat import _verdict

    a, b = Interval(1.0, 0.9, 1.1, 20), Interval(1.05, 1.0, 1.1, 20)
    assert _verdict("p99", "p99", "low", (a, b), ("x", "y")).text.startswith("not a clear winner on p99")
    c = Interval(1.5, 1.4, 1.6, 20)
    verdict = _verdict("p99", "p99", "low", (c, a), ("x", "y"))
    assert verdict.clear and verdict.winner == 1
    assert _verdict("throughput", "finished req/s", "high", (c, a), ("x", "y")).winner == 0


def test_the_table_names_the_sides_where_they_fit_and_numbers_them_where_not(rr_against_lc):
    wide = result_content(rr_against_lc, 116).plain
    assert "round-robin" in wide.splitlines()[1] and "★ least-connections" in wide
    narrow = result_content(rr_against_lc, 70).plain
    assert "sides: 1. round-robin, 2. least-connections" in narrow and "★ 2" in narrow
    assert all(len(line) <= 70 for line in narrow.splitlines()[:9])


async def test_i_repeats_the_comparison_over_twenty_seeds_in_the_background(tmp_path):
    app = make_app(lessons_dir=tmp_path, data_dir=tmp_path / "data", autoplay_labs=False)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = LabScreen(LabSetup.from_preset("identical", ("round-robin",), seed=3))
        await app.push_screen(screen)
        await pilot.pause()
        box = screen.query_one(SeedRepeat)
        assert screen.check_action("repeat_seeds", ()) is False  # compare mode's key: not in the footer yet
        assert "Repeat over 20 seeds" not in [c.text for c in lab_commands(app, screen)]
        await pilot.press("i")
        assert not box.display
        await pilot.press("c")
        assert screen.check_action("repeat_seeds", ()) is True
        assert "Repeat over 20 seeds" in [c.text for c in lab_commands(app, screen)]
        await pilot.press("i")
        assert box.display  # "Running the same sides over 20 seeds", then the table
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert box.result is not None and box.result.first_seed == 3 and box.result.labels == ("round-robin", "least-connections")
        text = box.content.plain
        assert "Seeds 3 to 22, 60 simulated s each: mean (95% interval)" in text
        assert "least-connections wins on p99 at this load" in text
        await pilot.press("right")  # more traffic: a new setup, so the results are for the one before
        screen.draw()
        assert "For the setup before your last change: press i to repeat this one." in box.content.plain
        await pilot.press("c")
        screen.draw()
        assert not box.display
