"""Simulation edges: every scenario and algorithm at the ends of its ranges keeps every request
accounted for, and finishes in its time budget or refuses up front, saying why.

The policy (lbtutor/sim/scenarios/base.py): a scenario declares about how many requests a run
simulates (`Scenario.requests`); settings that would go past MAX_REQUESTS are refused with a
ScenarioError naming them. These tests hold that estimate to the runs (it may not undercount),
and hold every run that is accepted to a time budget.
"""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lbtutor.sim import ALGORITHMS, SimConfig, Simulation
from lbtutor.sim import scenarios as registry
from lbtutor.sim.scenarios import ScenarioError
from lbtutor.sim.scenarios.base import MAX_REQUESTS

SCENARIOS = registry.names()
RUN_WHOLE = 40_000  # runs expected to simulate at most this many requests are run to the end
TIME_BUDGET = 60.0  # seconds: the longest an accepted run may take, measured or projected
SLOWEST = 20_000  # requests per second: the slowest any run may go (they go 100k-500k here)


def simulations_in(obj, depth: int = 0, seen: set | None = None) -> list[Simulation]:
    """Every engine Simulation a scenario run holds (in attributes, lists, dicts), once each."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 4:
        return []
    seen.add(id(obj))
    if isinstance(obj, Simulation):
        return [obj]
    if isinstance(obj, dict):
        values = list(obj.values())
    elif isinstance(obj, list | tuple):
        values = list(obj)
    elif hasattr(obj, "__dict__") and type(obj).__module__.startswith("lbtutor."):
        values = list(vars(obj).values())
    else:
        return []
    return [sim for value in values for sim in simulations_in(value, depth + 1, seen)]


def assert_conserved(sim: Simulation, where: str) -> None:
    accounted = sim.completed + sim.dropped + sim.failed + sim.in_system
    assert sim.arrived == accounted, (
        f"{where}: arrived {sim.arrived} != completed {sim.completed} + dropped {sim.dropped} "
        f"+ failed {sim.failed} + in flight {sim.in_system}"
    )
    assert min(sim.completed, sim.dropped, sim.failed, sim.in_system) >= 0, where


def value_of(param, draw):
    """A value inside the parameter's declared range, its ends and default drawn most often."""
    if param.choices:
        return draw(st.sampled_from(param.choices))
    if isinstance(param.default, bool):
        return draw(st.booleans())
    if param.name == "speeds":  # heterogeneous: a list of server speeds as text
        speeds = draw(st.lists(st.sampled_from([0.25, 1, 2, 4, 8, 16]), min_size=1, max_size=16))
        return ",".join(f"{s:g}" for s in speeds)
    lo, hi = param.min, param.max
    if isinstance(param.default, int):
        inside = st.integers(int(lo), int(hi))
        return draw(st.one_of(st.sampled_from([int(lo), int(hi), param.default]), inside))
    tiny = lo + (hi - lo) * 1e-6
    inside = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    return draw(st.one_of(st.sampled_from([lo, hi, param.default, tiny]), inside))


@st.composite
def scenario_settings(draw):
    scenario = registry.get(draw(st.sampled_from(SCENARIOS)))
    chosen = draw(st.sets(st.sampled_from([p.name for p in scenario.params])))
    values = {p.name: value_of(p, draw) for p in scenario.params if p.name in chosen}
    return scenario, values, draw(st.integers(0, 2**31))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=scenario_settings())
def test_every_scenario_keeps_every_request_and_finishes_in_budget_or_refuses(case):
    scenario, values, seed = case
    try:
        run = scenario.build(values, seed=seed)
    except ScenarioError as exc:  # a refusal says which settings to change
        message = str(exc)
        assert message.startswith(f"{scenario.name}:"), message
        assert any(f"{name}=" in message for name in scenario.resolve({}) | values), message
        return
    expected = scenario.expected_requests(run.params)
    assert 0 < expected <= MAX_REQUESTS

    started = time.perf_counter()
    if expected <= RUN_WHOLE:
        result = run.run()
        elapsed = time.perf_counter() - started
        assert elapsed <= 2.0 + expected / SLOWEST, f"{expected:.0f} requests took {elapsed:.1f} s"
    else:  # long runs: run a slice, check its pace, project the whole
        share = RUN_WHOLE / expected
        run.advance_to(run.duration * share)
        elapsed = time.perf_counter() - started
        projected = elapsed / share
        assert projected <= TIME_BUDGET, f"{scenario.name} {values}: about {projected:.0f} s to finish"
        result = {"metrics": run.metrics()}
    assert isinstance(result["metrics"], dict)

    sims = simulations_in(run)
    for n, sim in enumerate(sims):
        assert_conserved(sim, f"{scenario.name} {values} seed {seed}, simulation {n}")
    # The estimate is what the budget rests on: it may overcount, never undercount by much.
    simulated = sum(sim.arrived for sim in sims)
    covered = expected * min(1.0, run.now / run.duration)
    assert simulated <= 1.15 * covered + 6 * math.sqrt(covered) + 50, (
        f"{scenario.name} {values}: simulated {simulated} requests, the estimate said {covered:.0f}"
    )


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_scenario_at_the_top_of_every_range_is_refused_with_the_settings_to_lower(name):
    scenario = registry.get(name)
    top = {p.name: p.max for p in scenario.params if p.max is not None and not isinstance(p.default, bool)}
    try:
        run = scenario.build(top, seed=1)
    except ScenarioError as exc:
        message = str(exc)
        if "would simulate about" in message:
            assert "lower the traffic or the duration" in message
            assert "duration=" in message
        return  # refused: for the budget, or because the top values clash with each other
    assert scenario.expected_requests(run.params) <= MAX_REQUESTS


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_scenario_counts_its_requests_and_its_defaults_are_well_inside_the_budget(name):
    scenario = registry.get(name)
    assert scenario.requests is not None, f"{name} declares no request estimate"
    assert scenario.expected_requests(scenario.resolve({})) <= MAX_REQUESTS / 10


def test_a_refusal_is_reported_by_lbtutor_sim_in_one_line(capsys):
    from lbtutor.cli import main

    assert main(["sim", "--scenario", "tiers", "--set", "arrival_rate=1000", "--set", "duration=3600"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "arrival_rate=1000.0, duration=3600.0 would simulate about 14,400,000 requests" in err[0]


# ------------------------------------------------------------------------------- the engine

ALGORITHM = st.sampled_from(list(ALGORITHMS))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    algorithm=ALGORITHM,
    servers=st.sampled_from([1, 2, 500]),
    weight=st.sampled_from([None, "extreme"]),
    load=st.sampled_from([1e-6, 0.01, 1.0, 50.0]),
    queue_limit=st.sampled_from([0, 1]),
    dist=st.sampled_from(["exp", "pareto", "bimodal"]),
    seed=st.integers(0, 10_000),
)
def test_the_engine_at_its_edges_keeps_every_request(algorithm, servers, weight, load, queue_limit, dist, seed):
    """Zero-ish traffic, far more than capacity, one server, 500 servers, weights from 1e-3 to 1e6."""
    weights = None
    if weight == "extreme":
        weights = [(1e-3, 1.0, 1e6)[i % 3] for i in range(servers)]
    config = SimConfig(algorithm=algorithm, servers=servers, weights=weights, queue_limit=queue_limit,
                       arrival_rate=load * servers, service_dist=dist, seed=seed).validate()  # fmt: skip
    sim = Simulation(config, sample_interval=0.5)
    horizon = min(60.0, 20_000 / config.arrival_rate)  # at most about 20k requests
    started = time.perf_counter()
    for t in (horizon / 3, 2 * horizon / 3, horizon):
        sim.advance_to(t)
        assert_conserved(sim, f"{algorithm} x{servers} load {load}")
    assert time.perf_counter() - started < 20.0
    if load >= 50.0 and queue_limit:
        assert sim.dropped > 0  # far above capacity with short queues: drops, counted
    snapshot = sim.snapshot()
    assert snapshot.arrived == snapshot.completed + snapshot.dropped + snapshot.failed + snapshot.in_flight
    assert all(0.0 <= server.utilization <= 1.0 for server in snapshot.servers)


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_five_hundred_servers_all_down_fail_every_request_and_lose_none(algorithm):
    sim = Simulation(SimConfig(algorithm=algorithm, servers=500, arrival_rate=200.0, seed=3).validate())
    sim.advance_to(2.0)
    for server in list(sim.servers):
        sim.take_down(server.name)
    sim.advance_to(12.0)
    assert_conserved(sim, algorithm)
    assert sim.failed > 1_000
    assert sim.in_system == 0


def test_the_lab_at_its_highest_rate_and_speed_holds_a_bounded_number_of_requests():
    """Past capacity with no queue limit, a lab queue grew by every arrival: gigabytes in a minute."""
    from lbtutor.sim.lab_session import LabSession
    from lbtutor.sim.presets import LAB_QUEUE_CAP, MAX_RATE

    session = LabSession(speed=100.0)
    assert session.setup.shape.queue_limit == 0  # the default preset sets no limit
    session.set_rate(MAX_RATE)
    for _ in range(30):  # a second of frames: about 12 simulated seconds, over a million arrivals
        session.tick(1 / 30)
    sim = session.sims[0]
    assert sim.arrived > 500_000
    waiting = sum(len(server.queue) for server in sim.servers)
    assert waiting <= LAB_QUEUE_CAP
    assert sim.dropped > 0
    assert_conserved(sim, "the lab at its highest rate")
    assert f"stops at {LAB_QUEUE_CAP:,} waiting requests" in session.banner()
