"""The simulator's model of nginx's passive health checks (max_fails, fail_timeout), rule by rule
as ngx_http_upstream_round_robin.c applies them."""

from __future__ import annotations

import pytest

from lbtutor.sim.config import ConfigError, SimConfig
from lbtutor.sim.engine import Simulation
from lbtutor.sim.passive_health import PassiveHealth


def passive_sim(*, max_fails=1, fail_timeout=10, rate=100.0, servers=4, request_timeout=1.0):
    sim = Simulation(SimConfig(algorithm="weighted-round-robin", servers=servers, workers=2,
                               arrival_rate=rate, service_rate=50.0, seed=3))
    sim.request_timeout = request_timeout
    return sim, PassiveHealth(sim, max_fails=max_fails, fail_timeout=fail_timeout)


def test_a_refused_server_is_out_at_its_first_failure_and_no_client_sees_the_error():
    sim, passive = passive_sim()
    sim.advance_to(1.0)
    in_service = sim.server("s1").busy
    sim.set_fault("s1", "refuse")
    sim.advance_to(5.0)
    peer = passive.peers["s1"]
    assert len(peer.detected_at) == 1 and peer.detected_at[0] - 1.0 < 0.05
    # every refused attempt was retried on the next server; only the requests s1 was serving
    # when it went are lost (the engine does not hand those back; nginx would retry them too)
    assert sim.failed == in_service <= 2
    assert passive.retried >= 1
    assert not sim.server("s1").in_rotation


def test_after_fail_timeout_one_trial_request_goes_to_the_server_and_a_success_brings_it_back():
    sim, passive = passive_sim(fail_timeout=2)
    sim.advance_to(1.0)
    sim.set_fault("s1", "refuse")
    sim.advance_to(1.5)
    sim.set_fault("s1", None)
    before = sim.server("s1").total_served
    sim.advance_to(10.0)
    peer = passive.peers["s1"]
    # out from the failure's second (1) until nginx's whole-second clock is past 1 + 2: t = 4
    assert peer.readmitted_at and 4.0 <= peer.readmitted_at[0] < 4.1
    assert sim.server("s1").in_rotation and sim.server("s1").total_served > before + 100


def test_a_failed_trial_keeps_the_server_out_for_another_fail_timeout():
    sim, passive = passive_sim(fail_timeout=2)
    sim.advance_to(1.0)
    sim.set_fault("s1", "refuse")
    sim.advance_to(9.5)
    peer = passive.peers["s1"]
    assert len(peer.detected_at) == 1 and not peer.readmitted_at
    # trials at t = 4 and 7 failed: three failures counted (the first, then one per trial)
    assert peer.fails == 3


def test_max_fails_3_needs_three_failures_before_the_server_is_out():
    sim, passive = passive_sim(max_fails=3, rate=4.0)
    sim.advance_to(0.5)
    sim.set_fault("s1", "refuse")
    sim.advance_to(30.0)
    peer = passive.peers["s1"]
    # round robin over 4 servers at 4 req/s: s1 fails about once a second
    assert peer.detected_at and peer.detected_at[0] > 1.5


def test_a_hung_server_is_out_only_when_a_request_to_it_times_out():
    sim, passive = passive_sim(request_timeout=1.0)
    sim.advance_to(1.0)
    sim.set_fault("s1", "hang")
    sim.advance_to(4.0)
    peer = passive.peers["s1"]
    assert 2.0 <= peer.detected_at[0] < 2.1  # the first request after 1.0 waited its 1 s
    assert sim.failed == 0  # the timed-out attempts were retried elsewhere


def test_an_application_answering_500s_is_never_taken_out():
    sim, passive = passive_sim()
    sim.advance_to(1.0)
    sim.set_fault("s1", "app-error")
    sim.advance_to(6.0)
    assert not passive.peers["s1"].detected_at
    assert sim.failed > 100  # its 500s reach the clients


def test_fail_timeout_must_be_whole_seconds():
    sim = Simulation(SimConfig())
    with pytest.raises(ConfigError, match="whole number of seconds"):
        PassiveHealth(sim, fail_timeout=2.5)
