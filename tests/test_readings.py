"""Readings that say what they are: a lab's headline counts since the start and converges to
what the lesson beside it says; a windowed figure names its window; compare mode calls a winner
only when the difference is beyond the noise."""

from __future__ import annotations

import re

from lbtutor.content.lessons import load_course
from lbtutor.sim.config import SimConfig
from lbtutor.sim.lab_session import Interval, LabSession, RunStats, judge, seconds_text
from lbtutor.sim.presets import LabSetup
from lbtutor.sim.readings import SINCE, headline_row, reading_rows
from lbtutor.sim.scenarios.toolkit import lab_simulation


def _lesson_lab(lesson_id: str, step: int):
    course = load_course()
    lab = course.lesson(lesson_id).steps[step].labs[0]
    return lab, lab_simulation(lab.sim_config())


def test_lesson_one_step_one_since_start_figures_approach_mm1_theory():
    """6 req/s into one server finishing 10 req/s: M/M/1 says mean latency 1/(10 - 6) = 250 ms
    and utilisation 6/10 = 60%. By t = 100 s the since-start figures are within 40% and 10
    points of them (the recent window swung from 67 ms to 1.33 s over the same run)."""
    lab, sim = _lesson_lab("fundamentals", 0)
    rate, service = lab.config["arrival_rate"], lab.config["service_rate"]
    theory_mean, theory_busy = 1 / (service - rate), rate / service
    sim.advance_to(100)
    total = sim.snapshot().total
    assert abs(total.mean_latency - theory_mean) <= 0.4 * theory_mean
    assert abs(total.utilization - theory_busy) <= 0.10
    assert abs(sim.snapshot().servers[0].utilization_total - theory_busy) <= 0.10


def test_lesson_one_step_two_drops_about_one_request_in_six_as_mm1k_says():
    """12 req/s into 10 req/s with 20 places to wait (21 in the system): M/M/1/K's blocking
    probability (1 - r) r^K / (1 - r^(K+1)) with r = 1.2, K = 21 is 17.0%, 2.04 req/s. The
    lesson's answer says so, and the lab's since-start dropped share is near it from 30 s on."""
    lab, sim = _lesson_lab("fundamentals", 1)
    r = lab.config["arrival_rate"] / lab.config["service_rate"]
    k = lab.config["queue_limit"] + 1
    blocking = (1 - r) * r**k / (1 - r ** (k + 1))
    assert round(blocking, 3) == 0.170
    check = [c for c in load_course().lesson("fundamentals").steps[1].checks][0]
    answer = check.option(next(iter(check.answers)))
    assert "2 req/s" in answer.text and "17%" in answer.explain and "1 request in 6" in answer.explain
    for t in (30, 60, 120):
        sim.advance_to(t)
        total = sim.snapshot().total
        assert abs(total.dropped / total.arrived - blocking) <= 0.03, t


def test_each_reading_row_names_its_span():
    sim = lab_simulation(SimConfig(algorithm="round-robin", servers=1, arrival_rate=12.0, service_rate=10.0,
                                   queue_limit=20, seed=12))
    sim.advance_to(60)
    rows = dict(reading_rows(sim.snapshot()))
    assert set(rows) == {"since start", "last 10 s"}
    assert any(f.startswith("mean latency") for f in rows["since start"])
    dropped = sim.snapshot().total.dropped
    assert f"{dropped:,} dropped ({100 * dropped / sim.snapshot().total.arrived:.1f}%)" in rows["since start"]
    assert any(f.startswith("p95 latency") for f in rows["last 10 s"])


def test_switching_algorithm_counts_the_readings_afresh_from_the_switch():
    sim = lab_simulation(SimConfig(algorithm="round-robin", servers=3, arrival_rate=20.0, service_rate=10.0, seed=1))
    sim.advance_to(30)
    before = sim.snapshot().total
    sim.set_algorithm("random")
    sim.restart_totals()
    sim.advance_to(40)
    after = sim.snapshot()
    assert after.total.since == 30 and before.since == 0
    assert after.total.arrived == after.arrived - before.arrived
    assert 150 < after.total.arrived < 250  # 20 req/s for 10 s
    assert dict(reading_rows(after)).keys() >= {"since 30 s"}


def _stats(p99: float, low: float, high: float, completed: int = 5000, batches: int = 16) -> RunStats:
    return RunStats(0.0, completed, None, None, p99, 0, 0, None,
                    Interval((low + high) / 2, (high - low) / 2, batches))


def test_a_winner_on_p99_needs_enough_requests_and_intervals_that_do_not_overlap():
    labels = ["round-robin", "least-connections"]
    clear = judge(labels, [_stats(1.10, 1.00, 1.15), _stats(0.95, 0.90, 0.98)])
    assert clear.p99_winner == 1 and "least-connections wins on p99" in clear.p99_text
    overlapping = judge(labels, [_stats(1.10, 0.95, 1.20), _stats(0.95, 0.90, 1.00)])
    assert overlapping.p99_winner is None and "no clear winner on p99 yet" in overlapping.p99_text
    early = judge(labels, [_stats(1.10, 1.00, 1.15, completed=300), _stats(0.95, 0.90, 0.98, completed=300)])
    assert early.p99_winner is None and "300 done on each side; 2,000 needed" in early.p99_text
    few_batches = judge(labels, [_stats(1.10, 1.00, 1.15, batches=4), _stats(0.95, 0.90, 0.98, batches=4)])
    assert few_batches.p99_winner is None and "4 of the 10 batches" in few_batches.p99_text


def test_lost_requests_differ_only_beyond_twice_the_poisson_noise():
    labels = ["a", "b"]
    base = dict(since=0.0, completed=5000, p50=None, p95=None, p99=None, failed=0)
    near = judge(labels, [RunStats(dropped=40, **base), RunStats(dropped=30, **base)])
    assert near.loss_winner is None  # 10 apart, noise 2 x sqrt(70) = 16.7
    far = judge(labels, [RunStats(dropped=60, **base), RunStats(dropped=30, **base)])
    assert far.loss_winner == 1  # 30 apart, noise 2 x sqrt(90) = 19


def test_the_preset_where_every_algorithm_does_about_as_well_has_no_winner_early():
    """The issue's case: "★ least-connections wins on p99 (1.1× better)" 5 s in, on the preset
    whose description says every algorithm does about as well."""
    session = LabSession(LabSetup.from_preset("identical", ("round-robin", "least-connections"), seed=1))
    for t in (5, 30, 120):
        session.advance_to(t)
        verdict = session.verdict()
        assert verdict is not None and verdict.p99_winner is None, t


def test_compare_mode_shows_one_count_of_done_requests_per_side_wherever_it_appears():
    """Reported: the verdict said "666 requests finished, 2,000 needed" beside panes reading
    "666 done" and "675 done", and the since-start p99 beside it seemed to count other requests.
    Per side they are one quantity: the pane's "N done", the requests its since-start p50/p95/p99
    are taken over, and (for the side with the fewest) the verdict's count, which names its side;
    after a change of rate all of them count afresh together."""
    session = LabSession(LabSetup.from_preset("identical", ("round-robin", "least-connections"), seed=1))

    def agree() -> None:
        verdict = session.verdict()
        for pane, side in zip(session.panes, session.sides, strict=True):
            _span, figures = headline_row(pane.snapshot, SINCE)
            assert f"{pane.run.completed:,} done" in figures
            assert side.histogram.count == pane.run.completed  # behind its p50/p95/p99
        counts = [pane.run.completed for pane in session.panes]
        if min(counts) < 2000:
            named = re.search(r"(\S+) has ([\d,]+) done, the fewest", verdict.p99_text)
            assert named, verdict.p99_text
            pane = next(p for p in session.panes if p.label == named[1])
            assert int(named[2].replace(",", "")) == pane.run.completed == min(counts)
        else:  # the verdict quotes each side's since-start p99, as its pane shows it
            for pane in session.panes:
                assert seconds_text(pane.run.p99) in verdict.p99_text

    for t in (10, 25, 60):
        session.advance_to(t)
        agree()
    session.more_traffic()  # the counts since the change, and the histograms with them
    session.advance_to(70)
    agree()
