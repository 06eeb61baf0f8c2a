"""Failure detection, readmission and slow start on real HAProxy and nginx, against the simulator
running the same setup with the same breaks at the same moments (and HAProxy's probes lined up
with the real ones)."""

from __future__ import annotations

import pytest
from real_runs import needs_haproxy, needs_nginx, run_both

from lbtutor.real.haproxy import probe_wait
from lbtutor.real.setup import Break, Heal, RealSetup
from lbtutor.sim.config import SimConfig
from lbtutor.sim.engine import Simulation, haproxy_slowstart_steps

BREAK_AT = 0.5
MODES = ("refuse", "hang", "app-error")


def within_spec(real: float, sim: float) -> bool:
    """The issue's tolerance: within 10% or 0.5 s of the simulator."""
    return abs(real - sim) <= max(0.1 * sim, 0.5)


def three_breaks(**kwargs) -> RealSetup:
    """s1 refuses, s2 hangs, s3 answers 500s, all at BREAK_AT; s4 stays healthy."""
    breaks = tuple(Break(f"s{i + 1}", mode, BREAK_AT) for i, mode in enumerate(MODES))
    return RealSetup(breaks=breaks, request_timeout=1.0, **kwargs).validate()


@pytest.fixture(scope="module", params=[None, 0.3], ids=["no-timeout-check", "timeout-check-0.3s"])
def haproxy_breaks(request):
    # inter 1 s, fall 2: a hung server takes 2 x (1 + 1) s without `timeout check` (after
    # completion), which a fixed-rate schedule (2 x 1 + 1 = 3 s) could not pass for
    setup = three_breaks(balancer="haproxy", check_interval=1.0, check_timeout=request.param, fall=2,
                         duration=BREAK_AT + 4.4)
    return run_both(setup)


@needs_haproxy
@pytest.mark.parametrize("mode", MODES)
def test_haproxy_marks_a_broken_server_down_when_the_simulator_does(haproxy_breaks, mode):
    server = f"s{MODES.index(mode) + 1}"
    real = haproxy_breaks.event("real", server, mode)
    sim = haproxy_breaks.event("sim", server, mode)
    assert real["down_at"] is not None and sim["down_at"] is not None, (real, sim)
    real_delay, sim_delay = real["detection_delay"], sim["detection_delay"]
    print(f"{mode}: HAProxy {real_delay:.3f} s, simulator {sim_delay:.3f} s")
    assert within_spec(real_delay, sim_delay), (real_delay, sim_delay)
    # and both within the after-completion bound of the checker's own formula (+ one poll)
    bound = haproxy_breaks.sim_run.health.detection_bound(mode)
    assert real_delay <= bound + 0.1 and sim_delay <= bound + 1e-9, (real_delay, sim_delay, bound)


@needs_haproxy
def test_haproxy_holds_a_hung_servers_probe_for_inter_or_max_of_timeout_check_and_connect(haproxy_breaks):
    delay = haproxy_breaks.event("real", "s2", "hang")["detection_delay"]
    setup = haproxy_breaks.run.setup
    wait = probe_wait(setup)  # each failing probe waits this long: inter, or see probe_wait
    # fall probes after the break, the first starting within one interval of it
    assert setup.fall * wait + (setup.fall - 1) * setup.check_interval - 0.1 <= delay
    assert delay <= setup.fall * (wait + setup.check_interval) + 0.1


@pytest.fixture(scope="module")
def nginx_breaks():
    return run_both(three_breaks(balancer="nginx", duration=BREAK_AT + 2.0))


@needs_nginx
def test_nginx_notices_a_refused_server_at_its_first_failed_request_and_the_client_never_sees_it(nginx_breaks):
    real = nginx_breaks.event("real", "s1", "refuse")
    sim = nginx_breaks.event("sim", "s1", "refuse")
    assert real["detection_delay"] < 0.2 and sim["detection_delay"] < 0.2, (real, sim)
    s1 = next(r for r in nginx_breaks.real["servers"] if r["name"] == "s1")
    assert s1["failed"] == 0  # retried on the next server (proxy_next_upstream error)


@needs_nginx
def test_nginx_notices_a_hung_server_only_when_a_request_to_it_times_out(nginx_breaks):
    real = nginx_breaks.event("real", "s2", "hang")["detection_delay"]
    sim = nginx_breaks.event("sim", "s2", "hang")["detection_delay"]
    timeout = nginx_breaks.run.setup.request_timeout
    assert timeout <= real <= timeout + 0.3, real
    assert within_spec(real, sim), (real, sim)


@needs_nginx
def test_nginx_never_notices_an_application_answering_500s(nginx_breaks):
    assert nginx_breaks.event("real", "s3", "app-error")["down_at"] is None
    assert nginx_breaks.event("sim", "s3", "app-error")["down_at"] is None
    s3 = next(r for r in nginx_breaks.real["servers"] if r["name"] == "s3")
    assert s3["failed"] > 50  # its 500s reach the clients for the whole run


def test_the_simulators_slowstart_steps_are_haproxy_26s_whole_second_sixteenths():
    # server.c: slowstart is kept in whole seconds S (rounded up), the weight is recomputed every
    # second and is (16 e + S) // S sixteenths at e whole seconds after the server came UP.
    assert haproxy_slowstart_steps(3.0) == [(0.0, 1 / 16), (1.0, 6 / 16), (2.0, 11 / 16), (3.0, 1.0)]
    assert haproxy_slowstart_steps(2.5) == haproxy_slowstart_steps(3.0)
    assert haproxy_slowstart_steps(0.4) == [(0.0, 1 / 16), (1.0, 1.0)]
    assert haproxy_slowstart_steps(0.0004) == [(0.0, 1.0)]  # "slowstart 0s": none
    sixty = haproxy_slowstart_steps(60.0)
    assert len(sixty) == 61 and sixty[3] == (3.0, 1 / 16) and sixty[4] == (4.0, 2 / 16)
    assert sixty[56] == (56.0, 15 / 16) and sixty[57] == (57.0, 1.0)  # (16 x 57 + 60) // 60 = 16
    assert sixty[-1] == (60.0, 1.0)


def test_a_server_readmitted_with_slowstart_walks_those_steps_in_the_simulator():
    sim = Simulation(SimConfig(servers=2, algorithm="round-robin", arrival_rate=1.0, seed=1))
    sim.start_slowly("s1", 3.0)
    seen = []
    for t in (0.5, 1.5, 2.5, 3.5):
        sim.advance_to(t)
        seen.append(sim.server("s1").ramp)
    assert seen == [1 / 16, 6 / 16, 11 / 16, 1.0]


@needs_haproxy
def test_haproxy_slowstart_ramps_a_readmitted_servers_share_as_the_simulator_does():
    setup = RealSetup(balancer="haproxy", check_interval=0.5, fall=1, rise=1, slowstart=3.0,
                      breaks=(Break("s1", "refuse", 0.3),), heals=(Heal("s1", 1.0),),
                      arrival_rate=400.0, workers=4, duration=4.6).validate()
    both = run_both(setup)
    real_up = both.event("real", "s1", "heal")["up_at"]
    sim_up = both.event("sim", "s1", "heal")["up_at"]
    assert real_up is not None and abs(real_up - sim_up) < 0.15, (real_up, sim_up)

    def share(pairs, start, end):
        window = [server for t, server in pairs if start <= t < end]
        return window.count("s1") / len(window)

    real_pairs = [(o.planned, o.server) for o in both.run.generator.outcomes if o.kind == "ok"]
    sim_pairs = [(arrival, server) for arrival, server, _client in both.sim_run.completions]
    half = setup.slowstart / 2
    early = (share(real_pairs, real_up, real_up + half), share(sim_pairs, sim_up, sim_up + half))
    late = (share(real_pairs, real_up + half, real_up + 2 * half),
            share(sim_pairs, sim_up + half, sim_up + 2 * half))
    print(f"s1's share, first half of the ramp: real {early[0]:.3f} sim {early[1]:.3f}; "
          f"second half: real {late[0]:.3f} sim {late[1]:.3f}")
    for real, sim in (early, late):
        assert abs(real - sim) < 0.04, (early, late)
    assert early[0] < late[0] < 0.25 and early[1] < late[1] < 0.25  # ramping, below a full quarter
