"""The two failure-detection mechanisms the later sections teach, checked as mechanisms.

HealthChecker: probes on its own interval in the simulation's clock; a dead process answers no
probe (failure after the timeout); tcp passes a broken application, http does not; fall failures
in a row eject, rise passes in a row readmit. DNS: addresses handed out in turn; a client reuses
its answer until the TTL runs out, whatever happened to the server meanwhile.

Probe times are exact (no randomness after the seeded first-probe offset), so the detection
bounds below are checked without tolerance.
"""

import math
import random

import pytest

from lbtutor.sim.config import ConfigError, SimConfig
from lbtutor.sim.dns import CachingClients, RoundRobinDns, expected_failures_after_death
from lbtutor.sim.engine import Simulation
from lbtutor.sim.health import HealthChecker

EPS = 1e-9


def pool(seed: int = 1, servers: int = 4, rate: float = 40.0) -> Simulation:
    return Simulation(SimConfig(servers=servers, arrival_rate=rate, service_rate=20.0, seed=seed))


def checker(sim: Simulation, **settings) -> HealthChecker:
    values = {"interval": 2.0, "timeout": 1.0, "fall": 3, "rise": 2, "check": "http"} | settings
    return HealthChecker(sim, **values)


# ------------------------------------------------------------------------------- probing
def test_each_server_is_probed_once_per_interval_from_a_staggered_start():
    sim = pool()
    hc = checker(sim, interval=2.0)
    sim.advance_to(100.0)
    for h in hc.health.values():
        assert h.probes in (50, 51)  # first probe at a seeded offset in [0, 2): 50 or 51 fit
    assert not hc.events  # nothing failed, nothing changed


def test_probe_offsets_differ_between_servers_and_repeat_with_the_seed():
    def first_probe_times(seed):
        sim = pool(seed)
        hc = checker(sim, interval=2.0)
        times = {}
        for step in range(1, 401):
            sim.advance_to(step * 0.005)
            for name, h in hc.health.items():
                if h.probes and name not in times:
                    times[name] = step
        return times

    a = first_probe_times(7)
    assert len(set(a.values())) > 1  # staggered, not all at once
    assert a == first_probe_times(7)


# --------------------------------------------------------------------- detecting failures
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize(("interval", "fall"), [(2.0, 3), (5.0, 2), (1.0, 1)])
def test_after_completion_each_probe_of_a_dead_host_waits_out_its_timeout_before_the_next(seed, interval, fall):
    # HAProxy's schedule: the next probe starts `interval` after the previous one completed. The
    # first failing probe starts within one interval of the death and every probe waits out the
    # timeout, so the fall-th failure lands in ((fall-1)(interval+timeout) + timeout,
    # fall x (interval + timeout)].
    timeout = interval / 2
    sim = pool(seed)
    hc = checker(sim, interval=interval, fall=fall, timeout=timeout, check="tcp")
    sim.advance_to(30.0)
    sim.take_down("s2")
    sim.advance_to(30.0 + fall * (interval + timeout) + EPS)
    [detected] = hc.health["s2"].detected_at
    delay = detected - 30.0
    assert (fall - 1) * (interval + timeout) + timeout < delay <= fall * (interval + timeout) + EPS
    assert not sim.server("s2").in_rotation
    assert delay <= hc.detection_bound("crash") + EPS == fall * (interval + timeout) + EPS


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize(("interval", "fall"), [(2.0, 3), (5.0, 2), (1.0, 1)])
def test_at_a_fixed_rate_probes_keep_their_spacing_and_only_the_last_timeout_adds(seed, interval, fall):
    # Kubernetes' way: a probe every interval whatever the last one did: the delay is in
    # ((fall-1) x interval, fall x interval] + timeout.
    timeout = interval / 2
    sim = pool(seed)
    hc = checker(sim, interval=interval, fall=fall, timeout=timeout, check="tcp", schedule="fixed-rate")
    sim.advance_to(30.0)
    sim.take_down("s2")
    sim.advance_to(30.0 + interval * fall + timeout + EPS)
    [detected] = hc.health["s2"].detected_at
    delay = detected - 30.0
    assert interval * (fall - 1) + timeout < delay <= interval * fall + timeout + EPS
    assert delay <= hc.detection_bound("crash") + EPS == interval * fall + timeout + EPS


def mean_detection(failure: str, *, timeout: float | None, check: str = "http", seeds=range(1, 41)) -> float:
    """The mean delay from the failure to ejection over many staggered probe phases."""
    delays = []
    for seed in seeds:
        sim = pool(seed, rate=4.0)
        hc = checker(sim, interval=2.0, fall=3, timeout=timeout, check=check)
        sim.advance_to(30.0)
        sim.set_fault("s1", failure)
        sim.advance_to(60.0)
        delays.append(hc.health["s1"].detected_at[0] - 30.0)
    return sum(delays) / len(delays)


@pytest.mark.parametrize(
    ("failure", "timeout", "expected"),
    [
        # HAProxy 2.6 on loopback, inter 2s fall 3 (measured): refused ~5 s, hung ~11 s without
        # `timeout check` (the read timeout is inter), ~8 s with `timeout check 1s`. The first
        # failing probe starts uniformly within the interval: one second early on average.
        ("refuse", None, 3 * 2.0 - 1.0),
        ("app-error", None, 3 * 2.0 - 1.0),
        ("hang", None, 3 * (2.0 + 2.0) - 1.0),
        ("hang", 1.0, 3 * (2.0 + 1.0) - 1.0),
    ],
)
def test_detection_follows_haproxys_schedule_for_each_failure_mode(failure, timeout, expected):
    # 40 phases uniform on (0, 2]: the mean's sd is 2/sqrt(12 x 40) = 0.09 s; 0.4 s is 4 sd.
    assert mean_detection(failure, timeout=timeout) == pytest.approx(expected, abs=0.4)


def test_a_hung_process_passes_a_tcp_check_and_a_refusing_one_fails_it():
    sim = pool(2)
    hc = checker(sim, check="tcp")
    sim.advance_to(10.0)
    sim.set_fault("s1", "hang")
    sim.set_fault("s2", "refuse")
    sim.advance_to(40.0)
    assert hc.health["s1"].detected_at == [] and sim.server("s1").in_rotation
    assert hc.health["s2"].detected_at and not sim.server("s2").in_rotation
    assert hc.detection_bound("hang") == math.inf and hc.detection_bound("app-error") == math.inf
    assert hc.detection_bound("refuse") == 3 * 2.0


def test_without_a_check_timeout_a_probe_may_take_the_whole_interval():
    hc = checker(pool(), timeout=None, interval=5.0, fall=3)
    assert hc.read_timeout == 5.0
    assert hc.detection_bound("hang") == 3 * (5.0 + 5.0)  # the lesson's inter 5s fall 3: 30 s worst


@pytest.mark.parametrize(
    ("interval", "timeout", "connect", "hung", "gone"),
    [
        # HAProxy 2.6 (src/tcpcheck.c): with timeout check set, the check task wakes first at
        # min(inter, timeout connect); timeout check moves the expiry once connected, later only.
        (2.0, 1.0, 1.0, 1.0, 1.0),  # timeout connect <= timeout check: the check timeout holds
        (2.0, 1.0, 5.0, 2.0, 2.0),  # the common timeout connect 5s: the whole inter, as with no timeout check
        (5.0, 2.0, 1.0, 2.0, 1.0),  # a gone host never connects: the connect deadline alone
        (5.0, 2.0, math.inf, 5.0, 5.0),  # no timeout connect: timeout check changes nothing
        (2.0, None, 1.0, 2.0, 2.0),  # no timeout check: inter, whatever timeout connect says
    ],
)
def test_haproxys_timeout_connect_decides_how_long_a_hung_probe_really_waits(interval, timeout, connect, hung, gone):
    hc = checker(pool(), interval=interval, timeout=timeout, connect_timeout=connect)
    assert hc.probe_wait("hang") == hung and hc.probe_wait("crash") == gone
    assert hc.detection_bound("hang") == 3 * (interval + hung)


def test_a_hung_server_is_timed_with_timeout_connect_as_haproxy_times_it():
    # inter 2s, timeout check 0.3s, timeout connect 1s: each hung probe fails after 1 s, so the
    # failures come 3 s apart; the ejection lands fall x 3 s after the probe before the hang at most.
    sim = pool(4, rate=4.0)
    hc = checker(sim, interval=2.0, timeout=0.3, connect_timeout=1.0)
    sim.advance_to(30.0)
    sim.set_fault("s1", "hang")
    sim.advance_to(60.0)
    delay = hc.health["s1"].detected_at[0] - 30.0
    assert 3 * 3.0 - 2.0 - EPS <= delay <= 3 * 3.0 + EPS


def test_timeout_connect_is_haproxys_so_a_fixed_rate_checker_refuses_it():
    with pytest.raises(ConfigError, match="connect_timeout models HAProxy's timeout connect"):
        checker(pool(), schedule="fixed-rate", connect_timeout=1.0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tcp_passes_a_broken_application_and_http_ejects_it_without_waiting_for_a_timeout(seed):
    results = {}
    for check in ("tcp", "http"):
        sim = pool(seed)
        hc = checker(sim, check=check, interval=2.0, fall=3, timeout=1.0)
        sim.advance_to(20.0)
        sim.break_app("s1")
        sim.advance_to(80.0)
        results[check] = (hc.health["s1"], sim)
    tcp, tcp_sim = results["tcp"]
    http, http_sim = results["http"]
    assert tcp.detected_at == [] and tcp.healthy and tcp_sim.server("s1").in_rotation
    [detected] = http.detected_at
    # An error page comes back at once: the delay is whole probe intervals, no timeout.
    assert 2.0 * 2 < detected - 20.0 <= 2.0 * 3 + EPS
    # While it stays in rotation, a broken application fails requests: far more under tcp.
    assert tcp_sim.failed > 5 * http_sim.failed > 0


def test_once_ejected_a_server_gets_no_more_requests():
    sim = pool(3)
    hc = checker(sim, check="http")
    sim.advance_to(10.0)
    sim.break_app("s3")
    sim.advance_to(20.0)
    assert hc.health["s3"].detected_at
    failed_at_ejection = sim.failed
    sim.advance_to(60.0)
    assert sim.failed == failed_at_ejection


@pytest.mark.parametrize(("rise", "seed"), [(1, 1), (2, 2), (4, 3)])
def test_a_healed_server_returns_after_rise_passing_probes(rise, seed):
    sim = pool(seed)
    hc = checker(sim, rise=rise, check="http", interval=2.0)
    sim.advance_to(10.0)
    sim.break_app("s1")
    sim.advance_to(40.0)
    sim.break_app("s1", False)
    sim.advance_to(40.0 + 2.0 * rise + EPS)
    [back] = hc.health["s1"].readmitted_at
    assert 2.0 * (rise - 1) < back - 40.0 <= 2.0 * rise + EPS
    assert sim.server("s1").in_rotation


def test_fewer_than_fall_failures_in_a_row_eject_nothing():
    # Broken for 3 s with probes every 2 s: at most 2 probes can fail in a row; fall is 3.
    sim = pool(5)
    hc = checker(sim, fall=3, interval=2.0, check="http")
    for start in (10.0, 30.0, 50.0):
        sim.advance_to(start)
        sim.break_app("s4")
        sim.advance_to(start + 3.0)
        sim.break_app("s4", False)
    sim.advance_to(70.0)
    assert hc.health["s4"].detected_at == []


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"check": "udp"}, "check must be one of tcp, http"),
        ({"timeout": 3.0, "interval": 2.0, "schedule": "fixed-rate"}, "timeout must be at most the interval"),
        ({"timeout": 0.0}, "timeout must be a positive number of seconds, or None"),
        ({"schedule": "sometimes"}, "schedule must be one of after-completion, fixed-rate"),
        ({"fall": 0}, "fall must be a whole number of probes"),
        ({"rise": 1.5}, "rise must be a whole number of probes"),
        ({"interval": 0.0}, "interval must be a positive number"),
    ],
)
def test_impossible_checker_settings_are_refused_with_the_reason(settings, complaint):
    with pytest.raises(ConfigError, match=complaint):
        checker(pool(), **settings)


# -------------------------------------------------------------------------------------- DNS
def test_dns_hands_out_its_addresses_in_turn_and_forgets_withdrawn_ones():
    dns = RoundRobinDns(["a", "b", "c"], ttl=30)
    assert [dns.resolve() for _ in range(6)] == ["a", "b", "c", "a", "b", "c"]
    dns.withdraw("b")
    assert {dns.resolve() for _ in range(4)} == {"a", "c"}
    dns.withdraw("a")
    dns.withdraw("c")
    assert dns.resolve() is None
    assert dns.queries == 11


def test_a_client_reuses_its_answer_until_the_ttl_expires_then_asks_again():
    dns = RoundRobinDns(["a", "b"], ttl=30)
    clients = CachingClients(dns)
    first = clients.address_for(7, now=0.0)
    assert [clients.address_for(7, now=t) for t in (1.0, 15.0, 29.999)] == [first] * 3
    assert clients.lookups == 1
    dns.withdraw(first)  # the record is gone, the cache does not know
    assert clients.address_for(7, now=29.999) == first
    assert clients.holding(first, now=29.999) == 1
    assert clients.last_expiry(first) == 30.0
    assert clients.address_for(7, now=30.0) != first  # expired: a fresh answer
    assert clients.lookups == 2


def test_with_a_ttl_of_zero_every_request_asks_dns():
    clients = CachingClients(RoundRobinDns(["a", "b"], ttl=0))
    assert [clients.address_for(1, now=float(t)) for t in range(4)] == ["a", "b", "a", "b"]
    assert clients.lookups == 4


def test_primed_clients_hold_valid_answers_in_the_steady_state_share_spread_evenly():
    # 4000 clients, ttl 30 s, a request every 10 s: a valid answer ttl/(ttl+gap) = 75% of the
    # time. Binomial sd = sqrt(4000 x 0.75 x 0.25) = 27 clients; 4 sd is 110 of 3000.
    dns = RoundRobinDns(["a", "b", "c", "d"], ttl=30)
    clients = CachingClients(dns)
    clients.prime(4000, mean_gap=10.0, now=0.0, rng=random.Random(1))
    holding = [clients.holding(a, now=0.0) for a in "abcd"]
    assert abs(sum(holding) - 3000) <= 110
    assert max(holding) - min(holding) <= 1  # handed out round robin
    expiries = [e for _, e in clients.cache.values()]
    assert min(expiries) > 0.0 and max(expiries) <= 30.0
    # Residual life uniform on (0, ttl): mean 15 s, sd of the mean 30/sqrt(12 x 3000) = 0.16 s.
    assert abs(sum(expiries) / len(expiries) - 15.0) < 0.65
    assert dns.queries == 0  # the prehistory is not counted as this run's lookups


def test_the_failure_closed_form_has_the_limits_one_expects():
    kw = {"rate": 40.0, "addresses": 4, "clients": 200}
    assert expected_failures_after_death(ttl=0, withdraw_after=20, **kw) == pytest.approx(200.0)
    assert expected_failures_after_death(ttl=60, withdraw_after=0, **kw) == pytest.approx(
        10 * 60 / 65 * 30
    )
    # Clients that ask all the time hold a valid answer all the time: half a TTL of failures.
    busy = expected_failures_after_death(rate=1e6, addresses=4, clients=1, ttl=60, withdraw_after=0)
    assert math.isclose(busy, 1e6 / 4 * 30, rel_tol=1e-6)


def test_dns_refuses_a_negative_ttl_or_no_addresses():
    with pytest.raises(ConfigError, match="ttl must be 0 or more"):
        RoundRobinDns(["a"], ttl=-1)
    with pytest.raises(ConfigError, match="at least one address"):
        RoundRobinDns([], ttl=5)
