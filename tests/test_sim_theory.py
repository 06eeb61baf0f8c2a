"""The simulator agrees with queueing theory.

Tolerances: each check runs R independent replications (different seeds) of N requests and
compares the mean of the replication means with theory, allowing 4 standard errors estimated from
the spread between replications, plus 1% for the initial transient and the finite run. A real
modelling error (wrong routing, wrong service time) moves the mean by far more than that.
"""

import statistics

import pytest

from lbtutor.sim import SimConfig, run, theory

REPLICATIONS = 6
REQUESTS = 40_000
WARMUP = 2_000


def replicate(**kw):
    results = [
        run(SimConfig(requests=REQUESTS, warmup=WARMUP, seed=100 + i, **kw)) for i in range(REPLICATIONS)
    ]
    means = [r["latency"]["mean"] for r in results]
    return statistics.mean(means), statistics.stdev(means) / REPLICATIONS**0.5, results


def assert_agrees(simulated, standard_error, predicted):
    tolerance = 4 * standard_error + 0.01 * predicted
    assert abs(simulated - predicted) <= tolerance, (simulated, predicted, tolerance)


def test_random_routing_is_an_mm1_queue_per_server():
    mean, se, results = replicate(algorithm="random", servers=8, arrival_rate=5.6)
    predicted = theory.mm1_mean(5.6 / 8, 1.0)
    assert predicted == pytest.approx(1 / 0.3)
    assert results[0]["theory"]["model"].startswith("M/M/1")
    assert results[0]["theory"]["mean_latency"] == pytest.approx(predicted)
    assert_agrees(mean, se, predicted)


def test_round_robin_gives_each_server_erlang_interarrivals():
    mean, se, results = replicate(algorithm="round-robin", servers=8, arrival_rate=5.6)
    predicted = theory.ek_m1_mean(8, 5.6, 1.0)
    assert results[0]["theory"]["model"].startswith("E_8/M/1")
    assert_agrees(mean, se, predicted)
    # Regular gaps beat random ones: E_N/M/1 waits less than M/M/1 at the same load.
    assert predicted < theory.mm1_mean(0.7, 1.0)


def test_least_connections_lands_between_the_central_queue_and_random_routing():
    lc_mean, lc_se, results = replicate(algorithm="least-connections", servers=8, arrival_rate=5.6)
    lower = theory.mmc_mean(5.6, 1.0, 8)
    assert results[0]["theory"]["mmc_lower_bound"] == pytest.approx(lower)
    assert lc_mean >= lower - 4 * lc_se
    assert lc_mean < theory.mm1_mean(0.7, 1.0)
    rr_mean, _, _ = replicate(algorithm="round-robin", servers=8, arrival_rate=5.6)
    assert lc_mean < rr_mean  # joining the shortest queue uses the load information


def test_power_of_two_choices_approaches_the_supermarket_fixed_point_with_many_servers():
    # With 64 servers the finite-N correction is a few percent above the N -> infinity limit.
    mean, se, _ = replicate(algorithm="power-of-two-choices", servers=64, arrival_rate=0.8 * 64)
    predicted = theory.supermarket_mean(0.8, 1.0)
    assert predicted <= mean <= predicted * 1.06 + 4 * se
    assert mean < theory.mm1_mean(0.8, 1.0) / 2  # two choices: exponential improvement


@pytest.mark.parametrize(
    "algorithm",
    [
        "random", "round-robin", "weighted-round-robin", "least-connections",
        "weighted-least-connections", "ip-hash", "least-response-time",
        "power-of-two-choices", "consistent-hash", "peak-ewma",
    ],
)
def test_littles_law_holds_for_every_algorithm(algorithm):
    # Little's law needs a stationary system: servers sized so that every algorithm is stable.
    r = run(SimConfig(algorithm=algorithm, servers=5, weights=[2, 2, 1, 1, 1], speeds=[2, 2, 2, 2, 2],
                      arrival_rate=6.0, service_dist="lognormal", requests=30_000, warmup=1_000, seed=4))
    L = r["mean_in_system"]
    lam_w = r["throughput"] * r["latency"]["mean"]
    assert pytest.approx(lam_w, rel=0.03) == L


def test_theory_formulas_match_textbook_values():
    assert theory.erlang_c(2, 1.0) == pytest.approx(1 / 3)  # M/M/2 at rho = 0.5
    assert theory.mmc_mean(1.0, 1.0, 1) == pytest.approx(theory.mm1_mean(1.0, 1.0))
    # M/M/2 at lambda 1.5, mu 1: P0 = 1/7, C = 4.5/7, W = C/(2 - 1.5) + 1.
    assert theory.erlang_c(2, 1.5) == pytest.approx(4.5 / 7)
    assert theory.mmc_mean(1.5, 1.0, 2) == pytest.approx(4.5 / 7 / 0.5 + 1)
    # E_1/M/1 is M/M/1: sigma = rho.
    assert theory.ek_m1_sigma(1, 0.6, 1.0) == pytest.approx(0.6, abs=1e-9)
    # Supermarket with d=2: s_1 = rho, s_2 = rho^3, s_3 = rho^7.
    tail = theory.supermarket_tail(0.5)
    assert tail[1:4] == pytest.approx([0.5, 0.125, 0.5 ** 7])


def test_unstable_load_has_no_finite_prediction_and_says_so():
    r = run(SimConfig(algorithm="random", servers=2, arrival_rate=3.0, requests=2_000, warmup=0))
    assert r["theory"]["model"] == "unstable"
    assert r["theory"]["mean_latency"] is None
    assert "without bound" in r["theory"]["note"]
