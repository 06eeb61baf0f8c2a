"""Scenario labs of sections 2-5 and 8: lrt-oscillation, slow-start, l4-vs-l7, dns-ttl,
health-check, lb-ha.

Each headline number is checked against a closed form or a bound that follows from the
parameters. Bounds that come from probe and heartbeat timing are exact (those clocks have no
randomness after a seeded phase); counts of random requests get about 4 standard deviations,
worked out beside each assert.
"""

import math
import time
from functools import cache

import pytest

from lbtutor.sim.scenarios import ScenarioError, get, run_scenario

MINE = ("lrt-oscillation", "slow-start", "l4-vs-l7", "dns-ttl", "health-check", "lb-ha")
EPS = 1e-9


@cache
def _metrics(name: str, frozen: tuple, seed: int) -> dict:
    return run_scenario(name, dict(frozen), seed=seed)["metrics"]


def metrics(name: str, seed: int = 1, **params) -> dict:
    """A scenario's final metrics (cached: several tests read the same run)."""
    return _metrics(name, tuple(sorted(params.items())), seed)


def finished(name: str, seed: int = 1, **params):
    run = get(name).build(params, seed=seed)
    run.run()
    return run


# ------------------------------------------------------------------------------- all six
@pytest.mark.parametrize("name", MINE)
def test_same_seed_gives_the_same_numbers_to_the_last_digit(name):
    assert run_scenario(name, seed=3) == run_scenario(name, seed=3)


@pytest.mark.parametrize("name", MINE)
def test_stepping_frame_by_frame_gives_what_a_headless_run_reports(name):
    live = get(name).build({}, 2)
    t = 0.0
    while not live.done:
        t += 1 / 3  # an odd frame length, never aligned with the scenario's own timers
        live.advance_to(t)
        live.panes()  # the UI reads panes and headline metrics every frame: no side effects
        live.metrics()
    assert live.result() == run_scenario(name, seed=2)


@pytest.mark.parametrize("name", MINE)
def test_every_scenario_documents_what_to_watch_its_params_and_its_metrics(name):
    scenario = get(name)
    assert scenario.look_for and scenario.summary
    assert all(p.meaning for p in scenario.params)
    assert all(p.choices or (p.min is not None and p.max is not None) for p in scenario.params)
    declared = [m.name for m in scenario.metrics]
    assert all(m.unit and m.meaning for m in scenario.metrics)
    assert set(scenario.headline) <= set(declared)
    assert list(run_scenario(name)["metrics"]) == declared  # every metric, in documented order


@pytest.mark.parametrize("name", MINE)
def test_a_headless_run_at_the_defaults_takes_well_under_two_seconds(name):
    start = time.perf_counter()
    result = run_scenario(name)
    assert time.perf_counter() - start < 2.0  # measured 0.05-0.3 s; 2 s allows a loaded machine
    assert 50 <= len(result["timeline"]) <= 101


@pytest.mark.parametrize("name", MINE)
def test_panes_show_the_simulations_side_by_side_with_a_label(name):
    run = get(name).build({}, 1)
    run.advance_to(40.0)
    panes = run.panes()
    assert panes and all(p.label and p.snapshot.servers for p in panes)


@pytest.mark.parametrize(
    ("name", "params", "named"),
    [
        ("health-check", {"check": "udp"}, "check is one of tcp, http"),
        ("health-check", {"interval": "0"}, "interval is a number from 0.1 to 60"),
        ("health-check", {"fall": "2.5"}, "fall is an integer from 1 to 10"),
        ("health-check", {"timeout": "5", "interval": "2", "schedule": "fixed-rate"},
         "with schedule=fixed-rate timeout must be at most interval"),
        ("health-check", {"failure": "melt"}, "failure is one of app-error, refuse, hang, crash"),
        ("health-check", {"recover_at": "20", "fail_at": "30"}, "recover_at must be after fail_at"),
        ("dns-ttl", {"ttl": "-1"}, "ttl is a number from 0 to 600"),
        ("dns-ttl", {"fail_at": "200"}, "fail_at must be before the end of the run"),
        ("lrt-oscillation", {"refresh": "ten"}, "refresh is a number from 0 to 10"),
        ("slow-start", {"join_at": "500"}, "join_at must be before the end of the run"),
        ("l4-vs-l7", {"static_fraction": "0.6", "ws_fraction": "0.5"}, r"static_fraction \+ ws_fraction must be at most 1"),
        ("l4-vs-l7", {"cache_hit_ratio": "1.5"}, "cache_hit_ratio is a number from 0 to 1"),
        ("lb-ha", {"misses": "0"}, "misses is an integer from 1 to 10"),
        ("health-check", {"flap_period": "1e-300"}, "flap_period=1e-300 is not allowed; it is 0"),
        ("lb-ha", {"heartbeat": "1"}, "its parameters are: heartbeat_interval"),
    ],
)
def test_bad_parameters_are_refused_naming_the_parameter_and_what_is_allowed(name, params, named):
    with pytest.raises(ScenarioError, match=named):
        get(name).build(params, seed=1)


# ------------------------------------------------------------------------- health-check
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize(("interval", "fall"), [(2.0, 3), (5.0, 2), (1.0, 1)])
def test_http_check_detects_a_broken_application_within_fall_probe_intervals(seed, interval, fall):
    # A 500 comes back at once: the fall-th failing probe lands (fall-1, fall] intervals after.
    m = metrics("health-check", seed, interval=interval, fall=fall, timeout=interval / 2)
    assert interval * (fall - 1) <= m["detection_delay"] <= interval * fall + EPS
    assert m["detection_delay"] <= m["detection_bound"]
    assert m["detected_at"] == pytest.approx(30.0 + m["detection_delay"])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_round_robin_fails_one_request_in_four_while_the_broken_server_is_in_rotation(seed):
    # 40 req/s over 4 servers: s1 gets every 4th, 10/s, until detected. Count ~ Poisson-ish with
    # mean 10 x delay (<= 60) and sd <= sqrt(60) ~ 8; 4 sd is 31.
    m = metrics("health-check", seed)
    assert abs(m["failed_requests"] - 10.0 * m["detection_delay"]) <= 31


def test_a_tcp_check_never_notices_a_broken_application_and_its_share_keeps_failing():
    # Broken from 30 s to 90 s: a quarter of 40 req/s for 60 s = 600 failures, never detected.
    # Arrivals in 60 s are Poisson(2400), sd 49; a quarter of them has sd 12.2; 4 sd = 49.
    m = metrics("health-check", check="tcp")
    assert m["detected_at"] is None and m["ejections"] == 0
    assert abs(m["failed_requests"] - 600) <= 49
    assert m["failed_requests"] > 8 * metrics("health-check")["failed_requests"]


def test_least_connections_feeds_an_instantly_failing_server_more_than_its_share():
    # Errors come back at once, so the broken server never holds a connection and always looks
    # least loaded: it gets well over the quarter round robin gives it (600 requests).
    failed = metrics("health-check", check="tcp", algorithm="least-connections")["failed_requests"]
    assert failed > 1.3 * metrics("health-check", check="tcp")["failed_requests"]


@pytest.mark.parametrize("check", ["tcp", "http"])
def test_a_host_that_is_gone_is_noticed_by_either_check_each_probe_waiting_out_its_timeout(check):
    # No answer at all (failure=crash): after completion each failing probe waits out the 1 s
    # timeout and the next starts 2 s later: the 3rd failure lands in (2 x 3 + 1, 3 x 3] s.
    m = metrics("health-check", check=check, failure="crash")
    assert 2 * 3.0 + 1.0 < m["detection_delay"] <= 3 * 3.0 + EPS == m["detection_bound"] + EPS


def test_at_a_fixed_rate_only_the_last_probes_timeout_adds_to_the_delay():
    m = metrics("health-check", failure="crash", schedule="fixed-rate")
    assert 2.0 * 2 + 1.0 < m["detection_delay"] <= 2.0 * 3 + 1.0 + EPS == m["detection_bound"] + EPS


@pytest.mark.parametrize(("timeout", "low", "high"), [(0.0, 2 * 4.0 + 2.0, 3 * 4.0), (1.0, 2 * 3.0 + 1.0, 3 * 3.0)])
def test_an_http_check_times_out_on_a_hung_process_and_the_timeout_stretches_every_gap(timeout, low, high):
    # HAProxy inter 2s fall 3: without `timeout check` (0) a probe waits the whole interval.
    m = metrics("health-check", failure="hang", timeout=timeout)
    assert low < m["detection_delay"] <= high + EPS
    assert m["detection_bound"] == pytest.approx(high)


def test_a_refused_connection_fails_probes_at_once_so_detection_is_whole_intervals():
    m = metrics("health-check", failure="refuse", check="tcp")
    assert 2.0 * 2 < m["detection_delay"] <= 2.0 * 3 + EPS == m["detection_bound"] + EPS


def test_a_tcp_check_passes_a_hung_process_forever():
    m = metrics("health-check", failure="hang", check="tcp")
    assert m["detected_at"] is None and m["detection_bound"] is None


@pytest.mark.parametrize(("rise", "seed"), [(1, 1), (2, 2), (3, 3), (5, 4)])
def test_a_healed_server_is_readmitted_after_rise_passing_probes(rise, seed):
    m = metrics("health-check", seed, rise=rise)
    assert 2.0 * (rise - 1) < m["readmission_delay"] <= 2.0 * rise + EPS
    assert m["readmitted_at"] == pytest.approx(90.0 + m["readmission_delay"])


def test_a_flapping_server_is_let_back_in_on_every_lucky_probe_unless_rise_asks_for_a_run():
    # Broken/working every 4 s from 30 s to 90 s: 8 broken spells. Probes every 2 s land at
    # least once in each spell, so with fall 1 and rise 1 it is ejected and readmitted 8 times.
    # At most 2 probes fall in a 4 s working spell, so rise 3 keeps it out until it heals.
    jumpy = metrics("health-check", flap_period=4.0, fall=1, rise=1)
    steady = metrics("health-check", flap_period=4.0, fall=1, rise=3)
    assert jumpy["ejections"] == 8
    assert steady["ejections"] == 1
    assert steady["failed_requests"] * 3 < jumpy["failed_requests"]


def test_the_event_log_tells_the_story_at_the_moments_it_happened():
    run = finished("health-check")
    m = run.metrics()
    times = {round(t, 9): text for t, text in run.log}
    assert "application breaks" in times[30.0]
    assert "out of rotation" in times[round(m["detected_at"], 9)]
    assert "back in rotation" in times[round(m["readmitted_at"], 9)]


# ------------------------------------------------------------------------------ dns-ttl
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_dns_clients_keep_failing_for_about_one_ttl_and_never_longer(seed):
    # A request can only fail while a cached answer naming the dead server is valid, so the
    # window is at most ttl (exact). About 46 of 200 clients hold such an answer, each sending
    # every 5 s: that none of them sends in the last quarter of the TTL has odds below 1e-6.
    m = metrics("dns-ttl", seed)
    assert 0.75 * 60 <= m["failure_window"] <= 60 + EPS


def test_dns_failures_match_the_caching_closed_form():
    # Per client holding the dead address: Poisson(0.2 x R), R ~ U(0, 60) -> variance 6 + 12;
    # ~46 such clients -> sd 29 per run, 17 for the mean of three; 4 sd = 67 of 277 (24%).
    runs = [metrics("dns-ttl", seed) for seed in (1, 2, 3)]
    mean = sum(m["failed_requests"] for m in runs) / 3
    predicted = runs[0]["predicted_failed_requests"]
    assert predicted == pytest.approx(10 * (60 / 65) * 30)
    assert abs(mean - predicted) <= 0.24 * predicted


def test_a_late_dns_withdrawal_adds_to_the_window_and_to_the_failures():
    # Until the record goes, a quarter of all requests fail; afterwards the caches run out.
    m = metrics("dns-ttl", withdraw_after=20.0)
    assert 20 + 0.75 * 60 <= m["failure_window"] <= 20 + 60 + EPS
    assert m["failed_requests"] > metrics("dns-ttl")["failed_requests"] + 150  # 10/s x 20 s = 200


def test_without_caching_and_with_instant_withdrawal_only_requests_in_flight_fail():
    m = metrics("dns-ttl", ttl=0.0)
    assert m["failed_requests"] <= 10  # what the dead server held: ~1 at 50% busy
    assert m["dns_queries"] > 4000  # every request asked DNS


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_health_checked_balancer_stops_failing_within_its_detection_bound(seed):
    m = metrics("dns-ttl", seed)
    assert m["balancer_failure_window"] <= m["balancer_detection_bound"] + EPS == 3 * (2.0 + 1.0) + EPS
    assert m["balancer_failure_window"] < m["failure_window"] / 5
    assert m["balancer_failed_requests"] < m["failed_requests"]


# ---------------------------------------------------------------------- lrt-oscillation
def test_stale_least_response_time_herds_traffic_and_power_of_two_choices_does_not():
    m = metrics("lrt-oscillation")
    assert m["herding_lrt"] > 0.6  # most of each second's requests go to one of four servers
    assert m["herding_p2c"] < 0.4  # about a quarter each, plus sampling noise over ~28 requests
    assert m["p99_lrt"] > 2 * m["p99_p2c"]
    assert m["peak_connections_lrt"] > 2 * m["peak_connections_p2c"]


def test_fresher_numbers_herd_less():
    shares = [metrics("lrt-oscillation", refresh=r)["herding_lrt"] for r in (0.0, 1.0, 3.0)]
    assert shares[0] < shares[1] - 0.2
    assert shares[1] < shares[2]


def test_both_pools_see_the_same_traffic():
    run = finished("lrt-oscillation")
    assert run.lrt.arrived == run.p2c.arrived


# --------------------------------------------------------------------------- slow-start
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_least_connections_floods_the_cold_newcomer_and_slow_start_does_not(seed):
    m = metrics("slow-start", seed)
    # Each old server holds about rate x service_time / servers = 24 x 4 / 4 = 24 connections;
    # least connections feeds the newcomer until it has as many.
    assert m["cold_peak_connections"] >= 0.7 * 24
    assert m["first_second_share"] >= 0.5
    # With slow start its weight after 20 of 60 s is 7/20: weighted least connections keeps it
    # near 7/20 of the others' count, about 9 of 24 (+ a few for their fluctuations).
    assert m["cold_peak_connections_slow_start"] <= 7 / 20 * 24 + 4
    assert m["cold_peak_connections_slow_start"] < m["cold_peak_connections"]
    assert m["first_second_share_slow_start"] < 0.25
    assert m["cold_requests_slow_start"] < m["cold_requests"]


def test_a_newcomer_that_is_not_cold_does_no_worse_without_slow_start():
    m = metrics("slow-start", cold_speed=1.0)
    assert m["new_server_p99"] < 1.5 * m["new_server_p99_slow_start"] + 5


# ----------------------------------------------------------------------------- l4-vs-l7
def test_l4_pins_busy_clients_and_runs_one_server_hot_while_l7_stays_level():
    m = metrics("l4-vs-l7")
    assert m["imbalance_l4"] > 1.5
    assert m["imbalance_l4"] > m["imbalance_l7"] + 0.4
    assert m["mean_latency_l4"] > m["mean_latency_l7"]  # the hot server queues
    # Without websockets (whose messages stay on one server at either layer) L7's round robin over
    # requests gives every server the same count to within one per 5 s slot (~380 requests reach
    # the servers: the cache answers 80% of /static).
    assert metrics("l4-vs-l7", ws_fraction=0.0)["imbalance_l7"] <= 1 + 6 / 350


def test_with_one_request_per_connection_l4_is_round_robin_over_requests():
    # A new connection for every request: counts per server differ by at most one per 5 s slot
    # (~500 requests over 6 servers), so the busiest is within 6/500 of the mean.
    m = metrics("l4-vs-l7", requests_per_connection=1, ws_fraction=0.0)
    assert m["imbalance_l4"] <= 1 + 6 / 450


def test_by_default_only_the_layer_differs_so_with_nothing_for_l7_to_add_both_give_the_same_run():
    # The fair comparison: the same six servers as one pool and round robin at both layers. With
    # one request per connection, no websockets, no cache and no parsing, layer 7 has nothing of
    # its own to add, and every request meets the same server at the same moment behind either.
    m = metrics("l4-vs-l7", requests_per_connection=1, ws_fraction=0.0, cache_hit_ratio=0.0,
                parse_ms=0.0, tls_ms=0.0)  # fmt: skip
    assert m["mean_latency_l7"] == pytest.approx(m["mean_latency_l4"], rel=1e-9)
    assert m["imbalance_l7"] == pytest.approx(m["imbalance_l4"], rel=1e-9)
    assert m["utilization_l7"] == pytest.approx(m["utilization_l4"], rel=1e-9)
    run = finished("l4-vs-l7")
    assert len({id(p) for p in run.pools.values()}) == 1
    assert len(run.pools["/api"].servers) == len(run.l4.servers) == 6
    assert m["utilization_api_pool"] is None  # there is no /api pool to report


def test_by_path_l7_splits_the_same_servers_into_three_pools_with_least_connections():
    run = finished("l4-vs-l7", l7_routing="by-path")
    sizes = {path: len(pool.servers) for path, pool in run.pools.items()}
    assert sizes == {"/api": 4, "/static": 1, "/ws": 1}
    assert {pool.balancer.slug for pool in run.pools.values()} == {"least-connections"}
    assert [p.label.split(" (")[0] for p in run.panes()][2:] == ["L7 /api pool", "L7 /static pool", "L7 /ws pool"]


def test_l7_pays_its_parse_and_tls_time_on_every_request():
    base = metrics("l4-vs-l7")
    assert base["l7_balancer_time"] >= (0.5 + 1.5) / 1000 - EPS
    # Lightly loaded (5% busy), the balancer adds little queueing on top.
    assert base["l7_balancer_time"] <= 1.05 * (0.5 + 1.5) / 1000
    # Same traffic, 20 ms more per request: the mean latency rises by about that much.
    slow = metrics("l4-vs-l7", parse_ms=20.5)
    assert 0.9 * 0.020 <= slow["mean_latency_l7"] - base["mean_latency_l7"] <= 1.5 * 0.020
    assert slow["mean_latency_l4"] == base["mean_latency_l4"]  # L4 does not parse


def test_the_cache_answers_its_share_of_static_requests():
    # Binomial: sd = sqrt(n x 0.8 x 0.2); 4 sd.
    m = metrics("l4-vs-l7")
    n = m["static_requests"]
    assert abs(m["cache_hits"] - 0.8 * n) <= 4 * math.sqrt(n * 0.8 * 0.2)
    assert metrics("l4-vs-l7", cache_hit_ratio=0.0)["cache_hits"] == 0


def test_pool_utilisation_is_the_work_sent_over_the_workers_there():
    # By path: /api gets 60% of 100 req/s x 200 ms = 12 worker-s/s over 4 servers x 4 workers = 0.75.
    # ~7200 exponential demands: relative sd of the total sqrt(1/7200 + 1/7200) ~ 1.7%; 4 sd.
    # The L7 balancer: 100 req/s x 2 ms over 4 workers = 0.05 (fixed cost, Poisson count).
    m = metrics("l4-vs-l7", l7_routing="by-path")
    assert m["utilization_api_pool"] == pytest.approx(0.75, rel=0.07)
    assert m["utilization_l7_balancer"] == pytest.approx(0.05, rel=0.05)
    assert m["utilization_static_pool"] < 0.01  # only cache misses of 5 ms requests get there
    # One pool (the default): the same /api work, plus /static (30 x 5 ms) and /ws (10 x 10 ms) at
    # L4, or only the 20% of /static the cache misses at L7, over 6 servers x 4 workers.
    m = metrics("l4-vs-l7")
    assert m["utilization_l4"] == pytest.approx((12 + 0.15 + 0.1) / 24, rel=0.07)
    assert m["utilization_l7"] == pytest.approx((12 + 0.03 + 0.1) / 24, rel=0.07)


def notes_at(name: str, times: tuple[float, ...], **params) -> list[list[str]]:
    """The pane notes a learner reads at each of these moments of a live run."""
    run = get(name).build(params, seed=1)
    seen = []
    for t in times:
        run.advance_to(t)
        seen.append([pane.note for pane in run.panes()])
    return seen


def test_the_balancer_pane_says_where_the_dead_server_stands_and_leaves_counting_to_the_counts():
    # s1 dies at 20 s; its third failed probe takes it out at detected_at (25.6 s with seed 1).
    # The counts beside a note already say "61 failed": the note used to say it again.
    detected = finished("dns-ttl").checker.health["s1"].detected_at[0]
    before, blind, after = notes_at("dns-ttl", (10.0, 21.0, 40.0))
    assert before == ["50 clients cache s1's address", "s1 is up and in rotation"]
    assert blind[1].startswith("s1 is dead but still in rotation")
    assert after[1] == f"s1 out of rotation since {detected:.1f} s"
    assert not any("requests failed" in note for note in before + blind + after)


# -------------------------------------------------------------------------------- lb-ha
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize(("interval", "misses", "takeover"), [(1.0, 3, 1.0), (0.5, 5, 2.0)])
def test_active_passive_downtime_is_a_few_missed_heartbeats_plus_the_takeover(seed, interval, misses, takeover):
    # The last heartbeat was sent within one interval before the death; the passive node waits
    # `misses` intervals after it, then takes `takeover` to claim the VIP.
    m = metrics("lb-ha", seed, heartbeat_interval=interval, misses=misses, takeover=takeover)
    assert interval * (misses - 1) + takeover < m["downtime_active_passive"] <= m["takeover_bound"] + EPS
    # Everything sent meanwhile is lost: Poisson(50 x downtime <= 200), sd <= 14; 4 sd = 57.
    assert abs(m["requests_lost_active_passive"] - 50 * m["downtime_active_passive"]) <= 57


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_active_active_loses_only_the_dead_nodes_clients_for_about_one_ttl(seed):
    m = metrics("lb-ha", seed)
    assert 0.75 * 30 <= m["downtime_active_active"] <= 30 + EPS
    # At most lb1's half of 50 req/s for one TTL could fail; caches expiring make it ~15/32 of it.
    assert m["requests_lost_active_active"] < 25 * 30


def test_active_active_losses_match_the_caching_closed_form():
    # Per client on lb1: Poisson(0.5 x R), R ~ U(0, 30): variance 7.5 + 18.75; ~47 clients ->
    # sd 35 per run, 20 for the mean of three; 4 sd = 81 of 352 (23%).
    runs = [metrics("lb-ha", seed) for seed in (1, 2, 3)]
    mean = sum(m["requests_lost_active_active"] for m in runs) / 3
    assert abs(mean - runs[0]["predicted_lost_active_active"]) <= 0.23 * runs[0]["predicted_lost_active_active"]


def test_the_survivor_carries_the_whole_load_at_rate_over_capacity():
    # 50 req/s through a node that forwards 80 req/s: busy 62.5% (Poisson count over ~85 s,
    # relative sd 1.5%; 4 sd = 6%).
    m = metrics("lb-ha")
    assert m["survivor_utilization_active_passive"] == pytest.approx(50 / 80, rel=0.06)
    assert m["survivor_utilization_active_active"] == pytest.approx(50 / 80, rel=0.06)


@pytest.mark.parametrize("setup", ["active-passive", "active-active"])
def test_downtime_and_requests_lost_describe_the_pair_the_setup_names(setup):
    m = metrics("lb-ha", setup=setup)
    pair = setup.replace("-", "_")
    assert m["downtime"] == m[f"downtime_{pair}"] and m["requests_lost"] == m[f"requests_lost_{pair}"]
    # the setup only chooses what the plain names report: both pairs ran the same
    other = metrics("lb-ha", setup="active-active" if setup == "active-passive" else "active-passive")
    assert {k: v for k, v in m.items() if k not in ("downtime", "requests_lost")} == \
        {k: v for k, v in other.items() if k not in ("downtime", "requests_lost")}


def test_the_active_passive_pane_tells_who_holds_the_vip_through_the_takeover():
    # lb1 dies at 30 s; lb2 decides after 3 silent heartbeats and claims the VIP 1 s later.
    moved = metrics("lb-ha")["downtime_active_passive"] + 30.0
    alive, dead, claiming, over = notes_at("lb-ha", (10.0, 30.5, moved - 0.5, moved + 1.0))
    assert alive[0] == "lb1 serves the VIP; lb2 stands by"
    assert dead[0] == "lb1 is dead and still owns the VIP: every request fails"
    assert claiming[0] == "lb2 is claiming the VIP: every request still fails"
    assert over[0] == f"lb2 took over the VIP at {moved:.1f} s"
    assert alive[1].endswith(" clients cache lb1's address") and " still cache lb1" in over[1]
    assert not any("requests lost" in note for note in alive + dead + claiming + over)
