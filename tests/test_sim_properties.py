"""Whatever the parameters and whatever happens to the servers, no request disappears."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lbtutor.sim import ALGORITHMS, SimConfig, Simulation

ALGORITHM = st.sampled_from(list(ALGORITHMS))
WEIGHT = st.one_of(st.floats(0.001, 0.01), st.floats(0.5, 5), st.floats(100, 10_000))

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["down", "up", "add", "remove", "weight", "rate", "algorithm", "all-down", "rotation"]),
        st.integers(0, 50),
        st.floats(0.1, 20),
    ),
    max_size=12,
)


def assert_conserved(sim: Simulation):
    assert sim.arrived == sim.completed + sim.dropped + sim.failed + sim.in_system
    for count in (sim.arrived, sim.completed, sim.dropped, sim.failed, sim.in_system):
        assert count >= 0
    for s in sim.servers:
        assert 0 <= s.busy <= s.workers
        assert s.active == s.busy + len(s.queue)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    algorithm=ALGORITHM,
    weights=st.lists(WEIGHT, min_size=1, max_size=8),
    workers=st.integers(1, 4),
    queue_limit=st.integers(0, 5),
    load=st.floats(0.05, 3.0),
    dist=st.sampled_from(["exp", "det", "lognormal", "pareto", "bimodal"]),
    seed=st.integers(0, 10_000),
    actions=ACTIONS,
)
def test_every_request_is_completed_dropped_failed_or_in_flight(
    algorithm, weights, workers, queue_limit, load, dist, seed, actions
):
    config = SimConfig(algorithm=algorithm, weights=weights, workers=workers, queue_limit=queue_limit,
                       arrival_rate=load * len(weights) * workers, service_dist=dist, seed=seed)
    sim = Simulation(config, sample_interval=0.5)
    t = 0.0
    for kind, index, value in actions:
        t += 1.0
        sim.advance_to(t)
        assert_conserved(sim)
        names = [s.name for s in sim.servers]
        name = names[index % len(names)] if names else None
        if kind == "down" and name:
            sim.take_down(name)
        elif kind == "up" and name:
            sim.bring_up(name)
        elif kind == "add":
            sim.add_server(weight=value, slow_start=value if index % 2 else 0.0)
        elif kind == "remove" and name:
            sim.remove_server(name)
        elif kind == "weight" and name:
            sim.set_weight(name, value)
        elif kind == "rate":
            sim.set_arrival_rate(value)
        elif kind == "algorithm":
            sim.set_algorithm(list(ALGORITHMS)[index % len(ALGORITHMS)])
        elif kind == "all-down":
            for n in names:
                sim.take_down(n)
        elif kind == "rotation" and name:
            sim.set_in_rotation(name, index % 2 == 0)
        assert_conserved(sim)
    sim.advance_to(t + 5.0)
    assert_conserved(sim)
    snap = sim.snapshot()
    assert snap.arrived == snap.completed + snap.dropped + snap.failed + snap.in_flight
    assert all(0.0 <= v.utilization <= 1.0 for v in snap.servers)


def test_with_every_server_down_requests_fail_and_none_complete():
    sim = Simulation(SimConfig(servers=3, arrival_rate=5.0))
    for name in ("s1", "s2", "s3"):
        sim.take_down(name)
    sim.advance_to(60)
    assert sim.completed == 0
    assert sim.failed == sim.arrived > 200
    assert_conserved(sim)


def test_with_no_server_in_rotation_requests_are_dropped_as_no_server():
    sim = Simulation(SimConfig(servers=2, arrival_rate=5.0))
    sim.set_in_rotation("s1", False)
    sim.set_in_rotation("s2", False)
    sim.advance_to(30)
    assert sim.dropped_no_server == sim.arrived > 50


def test_a_full_queue_drops_requests_and_says_why():
    sim = Simulation(SimConfig(servers=1, queue_limit=2, arrival_rate=10.0))
    sim.advance_to(30)
    assert sim.dropped_queue_full > 0
    assert max(len(s.queue) for s in sim.servers) <= 2
    assert_conserved(sim)


def test_removing_a_busy_server_drains_it_before_it_leaves():
    sim = Simulation(SimConfig(servers=2, arrival_rate=1.9, service_dist="det"))
    sim.advance_to(10)
    busy = next(s for s in sim.servers if s.active)
    sim.remove_server(busy.name)
    assert busy.state == "draining" and not busy.in_rotation
    sim.advance_to(200)
    assert busy not in sim.servers
    assert_conserved(sim)
