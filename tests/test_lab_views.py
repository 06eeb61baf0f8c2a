"""A look-for line names only what its lab shows: every scenario's chart draws series its runs
record, its headline says each figure in words with its unit once, and every lab's look-for
(the lessons' and the scenarios' own) asks only for things on that lab's screen. Generic over
all scenarios, so a new one is held to the same rule."""

from __future__ import annotations

import re

import pytest

from lbtutor.content.lessons import LabBlock, load_course
from lbtutor.sim import scenarios
from lbtutor.sim.scenarios.base import COUNT_UNITS, LATENCY

# What any lab shows whatever it runs: the bars with their connections, queues and busy share,
# the counts since the start (arrived, done, dropped, failed, mean latency) and the p95 over the
# last 10 s.
ALWAYS = "bar bars busy served connection connections queue queues waiting arrived done dropped failed mean latency p95 state"

# Phrases a look-for may use, and the words the lab's view must then hold (any of them).
ASKS = (
    (r"\bp99\b", ("p99",)),
    (r"\bfail|\blost\b|\blose", ("fail", "lost")),
    (r"\binstance", ("instance",)),
    (r"order of dispatches|dispatch order", ("dispatch",)),
    (r"cache hit|cache counter", ("cache",)),
    (r"\bpeak\b(?! ewma)", ("peak",)),
    (r"price|cost", ("cost",)),
    (r"downtime", ("down for", "downtime")),
    (r"\b401\b", ("401",)),
    (r"\b429\b", ("429",)),
    (r"session", ("session",)),
    (r"dashboard size|sizes", ("size",)),
    (r"share of clients that move", ("moved",)),
)


def scenario_view(scenario) -> str:
    """The words a scenario lab puts on screen besides ALWAYS: its headline and chart."""
    metrics = {m.name: m for m in scenario.metrics}
    words = [metrics[name].label or name.replace("_", " ") for name in scenario.headline]
    words += [metrics[name].unit for name in scenario.headline]
    words += [scenario.chart_title, *(c.label for c in scenario.chart), *(c.key.replace("_", " ") for c in scenario.chart)]
    return " ".join(words).lower()


def lab_view(lab: LabBlock) -> str:
    if lab.scenario is not None:
        return f"{ALWAYS} {scenario_view(scenarios.get(lab.scenario))}"
    return f"{ALWAYS} {'dispatch order' if lab.chart == 'dispatch' else ''}"


def asked_but_missing(look_for: str, view: str) -> list[str]:
    return [pattern for pattern, words in ASKS
            if re.search(pattern, look_for, re.IGNORECASE) and not any(w in view for w in words)]


@pytest.mark.parametrize("scenario", scenarios.all_scenarios(), ids=lambda s: s.name)
def test_a_scenario_chart_draws_series_its_run_records(scenario):
    run = scenario.build({}, 1)
    run.advance_to(min(3.0, run.duration))
    recorded = set(run.timeline[-1])
    for series in scenario.chart:
        assert series is LATENCY or series.key in recorded, series.key
        assert len(series.label) <= 24  # a legend entry short enough to stay whole


@pytest.mark.parametrize("scenario", scenarios.all_scenarios(), ids=lambda s: s.name)
def test_a_scenario_headline_says_each_unit_once(scenario):
    """Not "failed requests 51 requests" nor "ejections 1 times"."""
    metrics = {m.name: m for m in scenario.metrics}
    for name in scenario.headline:
        metric = metrics[name]
        before, value, after = metric.reading(1 if metric.unit in COUNT_UNITS else 0.5)
        text = f"{before} {value} {after}"
        if metric.unit:
            assert text.count(metric.unit) <= 1 or metric.unit in (metric.label or ""), text


@pytest.mark.parametrize("scenario", scenarios.all_scenarios(), ids=lambda s: s.name)
def test_a_scenario_look_for_asks_only_for_what_its_lab_shows(scenario):
    assert asked_but_missing(scenario.look_for, f"{ALWAYS} {scenario_view(scenario)}") == []


def test_every_lesson_look_for_asks_only_for_what_its_lab_shows():
    missing = []
    for lesson in load_course().lessons:
        for step in lesson.steps:
            for lab in step.labs:
                for pattern in asked_but_missing(lab.look_for, lab_view(lab)):
                    missing.append(f"{lesson.path.name}:{lab.line}: {pattern}")
    assert missing == []


def test_the_dispatch_strip_shows_smooth_weighted_round_robin_interleaving():
    """Lesson 2 step 8 asks to follow the order of dispatches: weights 5, 1, 1 give s1 five of
    every seven picks, s2 and s3 one each, s1's turns never more than four in a row."""
    lab = next(lab for lesson in load_course().lessons for step in lesson.steps for lab in step.labs
               if lab.chart == "dispatch")
    from lbtutor.sim.scenarios.toolkit import lab_simulation

    sim = lab_simulation(lab.sim_config())
    sim.record_picks(42)
    sim.advance_to(60)
    picks = sim.snapshot().picks
    assert len(picks) == 42
    assert [picks.count(name) for name in ("s1", "s2", "s3")] == [30, 6, 6]
    assert "s1 " * 5 not in " ".join(picks) + " "
