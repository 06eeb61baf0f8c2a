"""The section 1-2 scenario labs show what the chapter claims, in numbers theory predicts.

lb-benefits, tiers, long-lived, heterogeneous, hash-remap, ip-skew. Each headline number is
checked against a closed form or a bound that follows from the parameters. Tolerances are about
4 standard deviations of the quantity being checked (named in each test), so a fixed seed passing
is no accident and a modelling error (wrong share, wrong routing, wrong remapping) fails. Where
no closed form fits (how far round robin piles up, how least connections breaks ties), the bound
is loose, and the comment says how it fared across 30 seeds.
"""

import json
import math
import subprocess
import sys
from functools import cache

import pytest

from lbtutor.sim import theory
from lbtutor.sim.balancers import ConsistentHash, build_ring
from lbtutor.sim.config import server_name
from lbtutor.sim.scenarios import ScenarioError, get, run_scenario
from lbtutor.sim.scenarios.base import Pane
from lbtutor.sim.scenarios.hash_remap import owners
from lbtutor.sim.scenarios.toolkit import sent_to
from lbtutor.sim.traffic import ClientPopulation

SECTION_1_2 = ("lb-benefits", "tiers", "long-lived", "heterogeneous", "hash-remap", "ip-skew")


@cache
def _metrics(name: str, frozen: tuple, seed: int) -> dict:
    return run_scenario(name, dict(frozen), seed=seed)["metrics"]


def metrics(name: str, seed: int = 1, **params) -> dict:
    """A scenario's final metrics (cached: several tests read the same default run)."""
    return _metrics(name, tuple(sorted(params.items())), seed)


def finished(name: str, seed: int = 1, **params):
    """The run object itself, run to the end, for tests that look inside it."""
    run = get(name).build(params, seed=seed)
    run.run()
    return run


def poisson_tail(mean: float, k: int) -> float:
    """P(Poisson(mean) >= k)."""
    term, below = math.exp(-mean), 0.0
    for i in range(k):
        below += term
        term *= mean / (i + 1)
    return 1.0 - below


# --------------------------------------------------------------------------- lb-benefits
def test_one_server_finishes_its_own_rate_at_most_while_the_pool_keeps_up():
    # 12 req/s against one 10 req/s server, and against three. Completions by a busy server and
    # Poisson arrivals both count with sd sqrt(rate x T) over T = 60 s before the death.
    m = metrics("lb-benefits")
    lam, mu, t = 12.0, 10.0, 60.0
    assert m["throughput_single"] <= mu + 4 * math.sqrt(mu / t)
    assert m["throughput_single"] >= mu - 4 * math.sqrt(mu / t) - 0.5  # - it starts idle
    assert m["throughput_pool"] == pytest.approx(lam, abs=4 * math.sqrt(lam / t))
    # Past its rate the lone server's wait grows with the run (seconds after a minute), while
    # the pool's stays near E_3/M/1's 0.13 s: across 30 seeds the ratio never fell below 12.
    assert m["mean_latency_single"] > 5 * m["mean_latency_pool"]


def test_one_server_past_its_rate_builds_a_queue_that_grows_with_time():
    # lambda - mu = 10 req/s of surplus for 60 s: about 600 waiting; arrivals and completions
    # are both Poisson-like, so the backlog's sd is sqrt((lambda + mu) T).
    m = metrics("lb-benefits", arrival_rate=20.0, service_rate=10.0)
    expected, sd = (20 - 10) * 60, math.sqrt((20 + 10) * 60)
    assert m["backlog_single"] == pytest.approx(expected, abs=4 * sd)


def test_the_pool_waits_as_round_robin_theory_predicts():
    # Round robin on 3 exponential servers is E_3/M/1 per server. 600 s at 12 req/s gives 7,200
    # latencies; across seeds the run mean varies by under 2%, so 8% is 4 sd.
    m = metrics("lb-benefits", duration=600.0, kill_at=600.0)
    predicted = theory.ek_m1_mean(3, 12.0, 10.0)
    assert m["mean_latency_pool"] == pytest.approx(predicted, rel=0.08)
    assert m["failed_pool"] == m["failed_single"] == 0  # nobody died


def test_the_lone_servers_death_fails_its_queue_and_everything_after():
    run = finished("lb-benefits")
    m = run.metrics()
    single = run.single
    assert single.completed == round(m["throughput_single"] * 60)  # nothing finished after it
    assert single.in_system == 0
    assert m["failed_single"] == single.arrived - single.completed  # so every other request failed
    arrived_after = m["failed_single"] - m["backlog_single"]
    assert arrived_after == pytest.approx(12.0 * 60, abs=4 * math.sqrt(12.0 * 60))


def test_without_health_checks_the_dead_server_keeps_failing_its_share():
    # Round robin keeps sending the dead server every 3rd request: lambda (D - K) / N of them.
    m = metrics("lb-benefits", health_checks=False)
    sent_to_dead = m["failed_pool"] - m["lost_in_flight_pool"]
    assert sent_to_dead == pytest.approx(12.0 * 60 / 3, abs=4 * math.sqrt(12.0 * 60) / 3)
    assert m["throughput_pool_after"] == pytest.approx(12.0 * 2 / 3, abs=4 * math.sqrt(12.0 / 60))
    assert m["detected_at"] is None


def test_with_health_checks_only_requests_sent_before_detection_fail():
    # Detection after d = 5 s: about lambda d / N = 20 requests reach the dead server; then the
    # two survivors (20 req/s of capacity) carry all 12 req/s.
    m = metrics("lb-benefits")
    assert m["detected_at"] == pytest.approx(65.0)
    sent_to_dead = m["failed_pool"] - m["lost_in_flight_pool"]
    assert sent_to_dead == pytest.approx(12.0 * 5 / 3, abs=4 * math.sqrt(12.0 * 5) / 3 + 1)
    assert m["throughput_pool_after"] == pytest.approx(12.0, abs=4 * math.sqrt(12.0 / 60))
    assert m["failed_single"] > 20 * m["failed_pool"]


def test_the_log_tells_each_death_and_detection_once_at_its_moment():
    # The screen prints an entry as "at 60.0 s: <text>", so a text must not carry its own clock
    # (it read "at 60.0 s: t=60 s: the lone server dies").
    log = finished("lb-benefits").log
    assert [(t, text.split(";")[0]) for t, text in log] == [
        (60.0, "the lone server dies"),
        (60.0, "s3 dies in the pool"),
        (65.0, "the balancer notices s3 is down and stops sending it requests"),
    ]


# --------------------------------------------------------------------------------- tiers
TIER_DEFAULTS = {"edge": (2, 100.0), "web": (4, 20.0), "app": (6, 10.0), "database": (2, 25.0)}


def offered(arrival_rate: float, tiers: dict) -> dict:
    return {tier: arrival_rate / (n * mu) for tier, (n, mu) in tiers.items()}


def test_each_tier_is_as_busy_as_its_share_of_the_work():
    # Utilisation = work arrived / capacity. The work is a sum of Poisson-many exponential
    # demands, relative sd sqrt(2 / (lambda T)) = 2% over 4,800 requests; +0.01 for the work
    # still queued when the run stops.
    m = metrics("tiers")
    rel_sd = math.sqrt(2 / (40.0 * 120))
    for tier, rho in offered(40.0, TIER_DEFAULTS).items():
        assert m[f"utilization_{tier}"] == pytest.approx(rho, abs=4 * rel_sd * rho + 0.01), tier


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"app_servers": 5, "database_servers": 3},
        {"web_servers": 3, "web_rate": 15.0},
        {"edge_servers": 1, "edge_rate": 45.0},
    ],
    ids=["database", "app", "web", "edge"],
)
def test_the_bottleneck_is_the_tier_with_the_highest_offered_load(change):
    tiers = dict(TIER_DEFAULTS)
    for key, value in change.items():
        tier, what = key.rsplit("_", 1)
        n, mu = tiers[tier]
        tiers[tier] = (value, mu) if what == "servers" else (n, value)
    rho = offered(40.0, tiers)
    assert metrics("tiers", **change)["bottleneck"] == max(rho, key=rho.get)


def test_the_system_finishes_no_more_than_its_smallest_tier_capacity():
    # One 25 req/s database against 40 req/s: it saturates and the whole system finishes 25 req/s
    # (completions of a busy server: sd sqrt(25 / 120)).
    m = metrics("tiers", database_servers=1)
    assert m["capacity"] == 25.0
    assert m["throughput"] == pytest.approx(25.0, abs=4 * math.sqrt(25.0 / 120))
    assert m["utilization_database"] > 0.97
    assert m["bottleneck"] == "database"


def test_random_routing_makes_the_tiers_a_jackson_network():
    # With random routing each server is M/M/1 and (Burke) passes on a Poisson stream, so the
    # mean end-to-end time is the sum of 1 / (mu - lambda/n) over tiers. Across seeds a 600 s run
    # varies by 2%: 10% is 5 sd.
    tiers = dict(TIER_DEFAULTS, database=(3, 25.0))
    m = metrics("tiers", algorithm="random", duration=600.0, database_servers=3)
    predicted = sum(1 / (mu - 40.0 / n) for n, mu in tiers.values())
    assert m["mean_latency"] == pytest.approx(predicted, rel=0.10)
    assert m["p99_latency"] > m["mean_latency"]


# ---------------------------------------------------------------------------- long-lived
def test_round_robin_and_least_connections_see_identical_connections():
    run = finished("long-lived")
    rr, lc = run.sims["round robin"], run.sims["least connections"]
    assert rr.arrived == lc.arrived > 4000
    assert rr.traffic.fingerprint() == lc.traffic.fingerprint()  # same times, lengths and kinds


def test_round_robin_piles_up_long_connections_while_least_connections_keeps_them_level():
    # Defaults: 80 conn/s on 8 servers of 16 slots, 5% lasting 100 x 0.2 s, so about
    # lambda E[S] = 95 connections are open: ~12 per server, roughly Poisson. The pool's 128 slots
    # are almost never all taken, but one server's 16 often are when it is fed blindly. Least
    # connections needs only the pool to have room, so short requests almost never wait and
    # their p99 stays near 0.2 s x ln(100), the p99 of the work itself.
    open_connections = 80.0 * 0.2 * (0.95 + 0.05 * 100)
    per_server = open_connections / 8
    assert poisson_tail(open_connections, 8 * 16) < 0.001
    assert poisson_tail(per_server, 16) > 0.10
    m = metrics("long-lived")
    assert m["waited_short_lc"] < 0.01
    assert m["waited_short_rr"] > 0.02  # ~P(own server full); 4-16% across 30 seeds
    no_wait_p99 = 0.2 * math.log(100)
    assert m["p99_short_lc"] <= 1.2 * no_wait_p99  # empirical p99 of ~9,000 exponentials: sd 2%
    assert m["p99_short_rr"] > m["p99_short_lc"]
    # Round robin leaves each server's count a Poisson draw: the busiest of 8 sits ~1.42 sd
    # above the mean (expected maximum of 8 normals), so max/mean >= 1 + 1.42 / sqrt(12) ~ 1.41;
    # allow 20% less for the approximation. Least connections keeps every count within one or
    # two of the others.
    assert m["imbalance_rr"] >= 1 + 0.8 * 1.42 / math.sqrt(per_server)
    assert m["imbalance_lc"] <= 1.1
    assert m["peak_connections_lc"] <= 16 + 4
    assert m["peak_connections_rr"] > 2 * 16


# ------------------------------------------------------------------------- heterogeneous
def test_weighted_round_robin_sends_each_server_its_weight_share_and_equal_load():
    # Smooth WRR is exact: every cycle of 8 gives 4, 2, 1, 1. Each server then runs at
    # lambda / (mu x sum(speed)) = 48 / 80 = 0.6; a server's work over 600 s has relative sd
    # sqrt(2 / n_i) for its n_i requests.
    run = finished("heterogeneous", duration=600.0)
    wrr = run.sims["weighted round robin"]
    sent = [sent_to(s) for s in wrr.servers]
    for share, count in zip((4, 2, 1, 1), sent, strict=True):
        assert abs(count - sum(sent) * share / 8) <= 1
    for count, util in zip(sent, run.utilizations("weighted round robin"), strict=True):
        assert util == pytest.approx(0.6, abs=4 * 0.6 * math.sqrt(2 / count) + 0.01)
    assert run.metrics()["rho_weighted"] == pytest.approx(0.6)


def test_round_robin_overloads_the_servers_too_small_for_an_equal_share():
    # Equal shares: 12 req/s each. Speed 4 and 2 run at 12/40 = 0.3 and 12/20 = 0.6; speed 1 at
    # 12/10 = 1.2 > 1, so they are always busy and their queues grow by 2 req/s each: ~480 waiting
    # after 120 s (sd from both servers' Poisson completions and the shared arrival count).
    run = finished("heterogeneous")
    m = run.metrics()
    assert m["rho_rr_max"] == pytest.approx(1.2)
    fast, medium, small_a, small_b = run.utilizations("round robin")
    rel_sd = math.sqrt(2 / (12.0 * 120))
    assert fast == pytest.approx(0.3, abs=4 * 0.3 * rel_sd + 0.01)
    assert medium == pytest.approx(0.6, abs=4 * 0.6 * rel_sd + 0.01)
    assert min(small_a, small_b) > 0.97
    sd = 2 * math.sqrt(10.0 * 120) + 2 * math.sqrt(48.0 * 120) / 4
    assert m["backlog_rr"] == pytest.approx(2 * (12.0 - 10.0) * 120, abs=4 * sd)
    assert m["p99_rr"] > 10 * m["p99_wrr"]


def test_weighted_least_connections_keeps_every_server_well_below_saturation():
    # WLC has no fixed shares: it breaks ties among idle servers at random, so at 60% load the
    # small servers run somewhat hotter than 0.6 (about 0.71 across seeds) and the big one cooler.
    # Every server stays within 0.15 of lambda / (mu x sum(speed)), far from round robin's 1.0,
    # and the work done still adds up: sum(util x speed x mu) = lambda.
    run = finished("heterogeneous", duration=600.0)
    utils = run.utilizations("weighted least connections")
    assert all(abs(u - 0.6) <= 0.15 for u in utils), utils
    work_rate = sum(u * s * 10.0 for u, s in zip(utils, (4, 2, 1, 1), strict=True))
    assert work_rate == pytest.approx(48.0, rel=4 * math.sqrt(2 / (48.0 * 600)) + 0.01)
    m = run.metrics()
    assert m["p99_wlc"] < m["p99_wrr"]  # it also steers around servers busy with long requests


# ----------------------------------------------------------------------------- hash-remap
@pytest.mark.parametrize(("servers", "change"), [(4, "add"), (4, "remove"), (9, "add")])
def test_modulo_hashing_moves_about_n_over_n_plus_one_of_clients(servers, change):
    # A key stays only if hash mod N = hash mod N', true for 1 residue in N+1 (add) or N
    # (remove); the 2,000 keys are independent hashes, so the moved share is binomial.
    m = metrics("hash-remap", servers=servers, change=change)
    p = servers / (servers + 1) if change == "add" else (servers - 1) / servers
    assert m["expected_modulo"] == pytest.approx(p)
    assert m["remapped_fraction_modulo"] == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / 2000))


def test_a_ring_moves_only_the_clients_the_new_server_takes_over():
    keys = ClientPopulation(2000, 0.0, None).hashes
    before = owners(ConsistentHash(None, vnodes=100), [server_name(i) for i in range(4)], keys)
    after = owners(ConsistentHash(None, vnodes=100), [server_name(i) for i in range(5)], keys)
    moved = [a != b for a, b in zip(before, after, strict=True)]
    assert moved == [owner == "s5" for owner in after]  # every move is onto the newcomer
    assert metrics("hash-remap")["remapped_fraction_consistent"] == sum(moved) / 2000


@pytest.mark.parametrize(("servers", "change"), [(4, "add"), (4, "remove"), (9, "add")])
def test_a_ring_with_many_virtual_nodes_moves_about_one_in_n_plus_one(servers, change):
    # The moved share is the arc of the ring that changes hands. With v points per server that
    # arc is a sum of v spacings: relative sd 1/sqrt(v) = 3% at v = 1000. On top, which of 2,000
    # keys fall in it is binomial.
    vnodes = 1000
    m = metrics("hash-remap", servers=servers, change=change, vnodes=vnodes)
    p = 1 / (servers + 1) if change == "add" else 1 / servers
    assert m["expected_consistent"] == pytest.approx(p)
    sd = math.sqrt((p / math.sqrt(vnodes)) ** 2 + p * (1 - p) / 2000)
    assert m["remapped_fraction_consistent"] == pytest.approx(p, abs=4 * sd)


def test_the_newcomers_arc_on_the_ring_is_the_share_of_keys_it_takes():
    ring = build_ring([server_name(i) for i in range(5)], 100)
    points = [p for p, _ in ring]
    arcs = {name: 0 for _, name in ring}
    for i, (point, name) in enumerate(ring):
        arcs[name] += point - (points[i - 1] if i else points[-1] - 2**64)  # the arc ending here
    share = arcs["s5"] / 2**64
    moved = metrics("hash-remap")["remapped_fraction_consistent"]
    assert moved == pytest.approx(share, abs=4 * math.sqrt(share * (1 - share) / 2000))


def test_more_virtual_nodes_even_out_the_keys_per_server():
    # 20,000 keys keep the counting noise (1% per server) below the ring's own unevenness.
    loads = [metrics("hash-remap", vnodes=v, keys=20_000)["max_over_mean"] for v in (1, 10, 100)]
    assert loads[0] > loads[1] > loads[2]
    assert loads[0] > 1.3 and loads[2] < 1.15


def test_live_clients_move_as_the_static_count_says():
    # Clients that came back after the change are a random sample of all the keys, so the share
    # of them that moved is binomial around the static share.
    run = finished("hash-remap")
    m = run.metrics()
    for label, key in (("modulo (ip-hash)", "modulo"), ("consistent hash ring", "consistent")):
        returning = len(run.checked[label])
        assert returning > 500
        p = m[f"remapped_fraction_{key}"]
        assert m[f"live_moved_{key}"] == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / returning))


@pytest.mark.parametrize("change", ["add", "remove"])
def test_the_log_names_the_server_that_joins_or_leaves_at_the_change(change):
    log = finished("hash-remap", change=change, duration=70.0).log
    assert log == [(60.0, "server s5 joins" if change == "add" else "server s4 leaves")]


# -------------------------------------------------------------------------------- ip-skew
def nat_server_share(nat_share: float, clients: int, servers: int) -> float:
    """Expected share of requests landing on the NAT address's server under ip-hash: the NAT's
    traffic plus the uniform rest's share of the addresses hashing to the same server."""
    hashes = ClientPopulation(clients, 0.0, None).hashes
    same = sum(1 for h in hashes if h % servers == hashes[0] % servers)
    return nat_share + (1 - nat_share) * same / clients


def test_with_half_the_traffic_behind_one_nat_the_ip_hash_server_gets_at_least_half():
    # Requests are independent draws, so a share over n = 2,400 requests has sd sqrt(p(1-p)/n).
    m = metrics("ip-skew", nat_share=0.5)
    n = 20.0 * 120
    expected = nat_server_share(0.5, 200, 4)
    assert expected >= 0.5
    assert m["busiest_share_iphash"] == pytest.approx(expected, abs=4 * math.sqrt(0.25 / n))
    assert m["busiest_share_iphash"] >= 0.5 - 4 * math.sqrt(0.25 / n)
    for key in ("rr", "lc"):  # ignoring addresses, they stay near 1/N
        assert m[f"busiest_share_{key}"] <= 0.25 + 4 * math.sqrt(0.25 * 0.75 / n)


def test_the_nat_server_saturates_when_its_share_exceeds_its_capacity():
    # Defaults: 40% from the NAT plus its share of the rest is ~55% of 20 req/s = 11 req/s
    # against 10 req/s: rho > 1, so once its queue takes off it never idles again. Starting
    # empty, it is idle on about 1 / (1 - mu/lambda) = 11 visits of 1/lambda each: ~1 s of 120,
    # sd about as much; 0.93 allows 8 s. Its queue, and so its latency, grows with the run.
    share = nat_server_share(0.4, 200, 4)
    assert share * 20.0 / 10.0 > 1.05
    m = metrics("ip-skew")
    assert m["nat_server_utilization"] > 0.93
    assert m["max_over_mean_iphash"] == pytest.approx(4 * share, abs=4 * 4 * math.sqrt(0.25 / 2400))
    assert m["max_over_mean_lc"] < 1.1
    assert m["nat_server_p99"] > 3 * m["p99_lc"]  # least connections' p99 stays under a second


def test_a_handful_of_clients_leaves_ip_hash_uneven():
    # 3 addresses on 4 servers: at least one server gets nothing, the busiest at least a third.
    run = finished("ip-skew", clients=3, nat_share=0.0)
    sent = [sent_to(s) for s in run.sims["ip hash"].servers]
    assert min(sent) == 0
    assert max(sent) / sum(sent) >= 1 / 3


# ------------------------------------------------------------------ common to all six
@pytest.mark.parametrize("name", SECTION_1_2)
def test_same_seed_gives_identical_results(name):
    first = run_scenario(name, seed=7)
    assert run_scenario(name, seed=7) == first
    assert run_scenario(name, seed=8)["metrics"] != first["metrics"]


@pytest.mark.parametrize("name", SECTION_1_2)
def test_stepping_frame_by_frame_gives_the_batch_result(name):
    # The lab advances a run in small uneven steps and draws panes; the CLI runs it in one go.
    run = get(name).build(seed=3)
    t = 0.0
    while not run.done:
        t += 0.7 if int(t) % 2 else 1.9
        run.advance_to(t)
        if int(t) % 10 == 0:
            panes = run.panes()
            assert panes and all(isinstance(p, Pane) and p.snapshot.servers for p in panes)
            run.metrics()
    assert run.result() == run_scenario(name, seed=3)


@pytest.mark.parametrize("name", SECTION_1_2)
def test_results_carry_the_documented_metrics_and_a_bounded_timeline(name):
    scenario = get(name)
    result = run_scenario(name)
    assert list(result["metrics"]) == [m.name for m in scenario.metrics]
    assert set(scenario.headline) <= set(result["metrics"])
    assert 2 <= len(result["timeline"]) <= 101
    assert scenario.look_for and all(p.meaning for p in scenario.params)
    assert all(m.unit and m.meaning for m in scenario.metrics)


@pytest.mark.parametrize(
    ("name", "params", "names", "allowed"),
    [
        ("lb-benefits", {"servers": 1}, "servers", "from 2 to 16"),
        ("lb-benefits", {"algorithm": "fastest"}, "algorithm", "one of round-robin"),
        ("tiers", {"database_rate": 0}, "database_rate", "from 0.1 to 1000"),
        ("long-lived", {"long_fraction": 1.5}, "long_fraction", "from 0 to 1"),
        ("heterogeneous", {"speeds": "4,x,1"}, "speeds", "comma-separated list of 2 to 12 numbers"),
        ("heterogeneous", {"speeds": "4"}, "speeds", "comma-separated list of 2 to 12 numbers"),
        ("hash-remap", {"change": "double"}, "change", "one of add, remove"),
        ("hash-remap", {"servers": 1, "change": "remove"}, "servers", "at least 2"),
        ("ip-skew", {"nat_share": -0.1}, "nat_share", "from 0 to 1"),
        ("ip-skew", {"nat": 0.5}, "nat", "parameters are: servers, clients, nat_share"),
    ],
)
def test_bad_parameters_are_refused_with_what_is_allowed(name, params, names, allowed):
    with pytest.raises(ScenarioError) as caught:
        get(name).build(params)
    message = str(caught.value)
    assert names in message and allowed in message, message


def test_cli_prints_the_documented_json():
    out = subprocess.run(
        [sys.executable, "-m", "lbtutor", "sim", "--scenario", "hash-remap", "--set", "vnodes=50",
         "--seed", "2", "--json"],
        capture_output=True, text=True, check=True,
    )
    result = json.loads(out.stdout)
    assert set(result) == {"scenario", "seed", "params", "metrics", "timeline"}
    assert result["scenario"] == "hash-remap" and result["seed"] == 2
    assert result["params"]["vnodes"] == 50
    assert list(result["metrics"]) == [m.name for m in get("hash-remap").metrics]
