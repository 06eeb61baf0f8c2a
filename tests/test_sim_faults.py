"""How a server whose host stays up can fail (Simulation.set_fault), as the requests see it.

refuse: connections are refused, so what it held and every new request fail at once.
hang: it accepts and never answers: requests hold a connection until the client's timeout, then fail.
app-error: every request gets an error at once. Nothing disappears: arrived = completed + dropped +
failed + in flight, whatever the fault.
"""

import pytest

from lbtutor.sim.config import ConfigError, SimConfig
from lbtutor.sim.engine import Simulation


def pool(algorithm: str = "round-robin", seed: int = 1) -> Simulation:
    return Simulation(SimConfig(algorithm=algorithm, servers=4, arrival_rate=40.0, service_rate=20.0, seed=seed))


def conserved(sim: Simulation) -> bool:
    return sim.arrived == sim.completed + sim.dropped + sim.failed + sim.in_system


def test_a_refusing_process_fails_what_it_held_and_every_new_request_at_once():
    sim = pool()
    sim.advance_to(20.0)
    held = sim.server("s1").active
    failed_before = sim.failed
    sim.set_fault("s1", "refuse")
    assert sim.failed == failed_before + held and sim.server("s1").active == 0
    sim.advance_to(30.0)
    # Round robin sends s1 a quarter of 40 req/s for 10 s: about 100 instant failures.
    assert 60 < sim.failed - failed_before - held < 140
    assert sim.server("s1").active == 0
    assert conserved(sim)


def test_a_hung_process_holds_each_request_until_the_client_gives_up():
    sim = pool()
    sim.request_timeout = 5.0
    sim.advance_to(20.0)
    sim.set_fault("s1", "hang")
    sim.advance_to(24.9)
    assert sim.failed == 0  # nothing has timed out yet
    hung = sim.server("s1").active
    assert 30 < hung < 70  # a quarter of 40 req/s for 4.9 s, all still waiting
    sim.advance_to(40.0)
    # Every request sent to s1 up to t = 35 s has timed out by t = 40 s.
    assert 110 < sim.failed < 190
    assert conserved(sim)


def test_least_connections_steers_away_from_a_hung_server_as_its_connections_pile_up():
    rr, lc = pool("round-robin"), pool("least-connections")
    for sim in (rr, lc):
        sim.advance_to(20.0)
        sim.set_fault("s1", "hang")
        sim.advance_to(60.0)
    assert lc.server("s1").active < rr.server("s1").active / 4


def test_healing_a_hung_process_lets_new_requests_through_while_the_held_ones_still_time_out():
    sim = pool()
    sim.request_timeout = 5.0
    sim.advance_to(20.0)
    sim.set_fault("s1", "hang")
    sim.advance_to(22.0)
    held = sim.server("s1").active
    sim.set_fault("s1", None)
    sim.advance_to(30.0)
    assert sim.failed == held  # the requests that were waiting, and no others
    assert conserved(sim)


def test_a_process_that_dies_while_hung_fails_its_held_requests_once():
    sim = pool()
    sim.advance_to(20.0)
    sim.set_fault("s1", "hang")
    sim.advance_to(25.0)
    held = sim.server("s1").active
    sim.set_fault("s1", "refuse")
    assert sim.failed == held
    sim.advance_to(60.0)  # their timeouts pass without counting them again
    assert conserved(sim)


def test_break_app_is_the_app_error_fault():
    sim = pool()
    sim.break_app("s2")
    assert sim.server("s2").fault == "app-error" and sim.server("s2").app_broken
    sim.break_app("s2", False)
    assert sim.server("s2").fault is None and not sim.server("s2").app_broken


def test_an_unknown_fault_is_refused_naming_the_choices():
    with pytest.raises(ConfigError, match="fault must be one of refuse, hang, app-error or None"):
        pool().set_fault("s1", "melt")
