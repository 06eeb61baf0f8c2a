"""The gateway's and the autoscaler's mechanisms on their own, with plain numbers for time."""

import math
import random

import pytest

from lbtutor.sim.gateway import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    CircuitBreaker,
    ResponseCache,
    Router,
    TokenBucket,
    admitted,
    admitted_bound,
    check_token,
    sign_token,
    ttl_cache_hit_ratio,
)
from lbtutor.sim.scaling import (
    HOLD,
    SCALE_IN,
    SCALE_OUT,
    DiurnalTraffic,
    ScalingPolicy,
    cpu_after,
    decide,
)

# ------------------------------------------------------------------------------ authentication


def test_a_signed_token_is_valid_until_it_expires():
    token = sign_token("alice", expires_at=100.0)
    assert check_token(token, now=99.9).ok
    assert check_token(token, now=99.9).user == "alice"
    assert check_token(token, now=100.0).reason == "expired"


def test_a_tampered_token_fails_its_signature():
    token = sign_token("alice", expires_at=100.0)
    forged_user = token.replace("alice", "admin", 1)
    longer_life = token.replace("100.000", "999.000", 1)
    assert check_token(forged_user, now=0).reason == "bad signature"
    assert check_token(longer_life, now=0).reason == "bad signature"
    assert check_token(sign_token("alice", 100.0, key="someone else's key"), now=0).reason == "bad signature"


def test_missing_and_malformed_tokens_are_rejected():
    assert check_token(None, now=0).reason == "missing"
    assert check_token("not-a-token", now=0).reason == "malformed"
    assert check_token("a.b.c.d", now=0).reason == "malformed"


# ------------------------------------------------------------------------------- token bucket


def test_a_full_bucket_passes_its_burst_then_one_per_refill():
    # The lesson's drill: holds 10, refills 1/s, 30 requests within one second -> about 11 pass.
    times = [i / 30 for i in range(30)]
    assert admitted(times, rate=1.0, burst=10) == 10  # by 29/30 s the 11th token is not whole yet
    assert admitted([*times, 1.0], rate=1.0, burst=10) == 11


def test_a_bucket_refills_over_time_but_never_beyond_its_burst():
    bucket = TokenBucket(rate=2.0, burst=5)
    assert sum(bucket.allow(0.0) for _ in range(8)) == 5  # the burst, then 429s
    assert bucket.tokens_at(1.0) == pytest.approx(2.0)
    assert bucket.tokens_at(1000.0) == 5  # a quiet spell refills it to the brim, no further
    assert sum(bucket.allow(1000.0) for _ in range(8)) == 5


def poisson_times(rate, span, seed=7):
    rng = random.Random(seed)
    t, times = rng.expovariate(rate), []
    while t < span:
        times.append(t)
        t += rng.expovariate(rate)
    return times


@pytest.mark.parametrize("rate, burst, offered", [(2.0, 10, 20.0), (5.0, 1, 6.0), (0.5, 30, 50.0)])
def test_accepted_in_any_window_is_at_most_burst_plus_rate_times_its_length(rate, burst, offered):
    bucket = TokenBucket(rate, burst)
    passed = [t for t in poisson_times(offered, 300) if bucket.allow(t)]
    # Every window [a, b] between two accepted requests, not just [0, T]:
    for i in range(0, len(passed), 7):
        for j in range(i, len(passed), 11):
            assert j - i + 1 <= admitted_bound(rate, burst, passed[j] - passed[i]) + 1e-9


@pytest.mark.parametrize("rate, burst", [(2.0, 10), (5.0, 5), (0.5, 30)])
def test_a_client_that_keeps_asking_gets_the_refill_rate_in_the_long_run(rate, burst):
    # accepted = burst + rate x T - tokens left - tokens wasted while full. Asking at 10 x the
    # rate, the bucket is empty all but a sliver of the time after the first burst, so nothing
    # is wasted and accepted / T lies within burst / T (plus at most one token) of the rate.
    span = 600
    bucket = TokenBucket(rate, burst)
    accepted = sum(bucket.allow(t) for t in poisson_times(10 * rate, span))
    assert rate * span - 1 <= accepted <= admitted_bound(rate, burst, span)


def test_a_bucket_of_one_wastes_the_refill_while_it_waits_for_the_next_request():
    # Burst 1: after each acceptance the token takes 1/rate to refill, then sits unused until
    # the next Poisson arrival (mean 1/offered). A renewal cycle of 1/rate + 1/offered seconds
    # per accepted request: 5/s offered 50/s gets 1 / (0.2 + 0.02) = 4.55/s, not 5.
    rate, offered, span = 5.0, 50.0, 600
    bucket = TokenBucket(rate, burst=1)
    accepted = sum(bucket.allow(t) for t in poisson_times(offered, span))
    expected = span / (1 / rate + 1 / offered)
    # The cycle's only randomness is the Exp(50) wait: sd of the count ~ sqrt(n) x 0.02 / 0.22
    # = 4.7 requests; allow 5 sd.
    assert abs(accepted - expected) <= 25


# ------------------------------------------------------------------------------------- cache


def test_a_cached_response_is_fresh_for_its_ttl_then_misses():
    cache = ResponseCache(ttl=10.0)
    assert cache.get("/static/a", now=0.0) is None
    cache.put("/static/a", "body", now=0.0)
    assert cache.get("/static/a", now=9.99) == "body"
    assert cache.get("/static/a", now=10.0) is None
    assert (cache.hits, cache.misses, cache.hit_ratio) == (1, 2, pytest.approx(1 / 3))


def test_ttl_cache_theory_hits_rate_times_ttl_per_miss():
    # One key at 2 req/s with a 4 s TTL: each miss is followed by 8 hits on average -> 8/9.
    assert ttl_cache_hit_ratio([2.0], ttl=4.0) == pytest.approx(8 / 9)
    assert ttl_cache_hit_ratio([1.0, 0.0], ttl=0.0) == 0.0


# ----------------------------------------------------------------------------------- routing


def test_the_longest_matching_prefix_routes_the_request():
    router = Router({"/users/": "users", "/orders/": "orders", "/": "web"})
    assert router.route("/orders/55/cancel") == "orders"
    assert router.route("/users/7") == "users"
    assert router.route("/about") == "web"
    assert Router({"/users/": "users"}).route("/orders/1") is None


# --------------------------------------------------------------------------- circuit breaker


def test_the_breaker_opens_after_n_failures_in_a_row_and_then_fails_fast():
    breaker = CircuitBreaker(failures=3, cooloff=10.0, probes=2)
    assert [breaker.call(False, t) for t in (1, 2)] == ["failed", "failed"]
    assert breaker.state == CLOSED
    assert breaker.call(False, 3) == "failed"
    assert breaker.state == OPEN
    assert [breaker.call(True, t) for t in (4, 8, 12.9)] == ["rejected"] * 3


def test_a_success_resets_the_run_of_failures():
    breaker = CircuitBreaker(failures=3, failure_ratio=1.0)
    for ok in (False, False, True, False, False):
        breaker.call(ok, 0)
    assert breaker.state == CLOSED


def test_the_breaker_also_opens_on_a_failure_ratio_over_its_window():
    breaker = CircuitBreaker(failures=100, failure_ratio=0.5, window=10)
    for i in range(10):
        breaker.call(i % 2 == 0, i)  # alternating: never two failures in a row, half of them fail
    assert breaker.state == OPEN


def test_half_open_lets_probes_through_and_closes_when_they_all_succeed():
    breaker = CircuitBreaker(failures=1, cooloff=10.0, probes=2)
    breaker.call(False, 0.0)
    assert breaker.state_at(9.99) == OPEN
    assert breaker.state_at(10.0) == HALF_OPEN
    first, second = breaker.allow(10.5), breaker.allow(10.6)
    assert first is not None and second is not None
    assert breaker.allow(10.7) is None  # only `probes` trials at a time
    breaker.record(first, True, 11.0)
    assert breaker.state == HALF_OPEN
    breaker.record(second, True, 11.2)
    assert breaker.state == CLOSED
    assert [s for _, s in breaker.transitions] == [CLOSED, OPEN, HALF_OPEN, CLOSED]
    assert breaker.transitions[2][0] == 10.0  # half-open exactly when the cool-off ended


def test_a_failed_probe_reopens_the_breaker_and_restarts_the_cooloff():
    breaker = CircuitBreaker(failures=1, cooloff=10.0, probes=3)
    breaker.call(False, 0.0)
    assert breaker.call(False, 12.0) == "failed"
    assert breaker.state == OPEN
    assert breaker.state_at(21.9) == OPEN
    assert breaker.state_at(22.0) == HALF_OPEN
    assert breaker.opened_at() == [0.0, 12.0]


def test_a_late_answer_from_before_the_breaker_opened_cannot_close_it():
    breaker = CircuitBreaker(failures=1, cooloff=5.0, probes=1)
    slow = breaker.allow(0.0)
    breaker.call(False, 1.0)  # opens
    assert breaker.state_at(6.0) == HALF_OPEN
    breaker.record(slow, True, 6.5)  # a success, but from a call let through while closed
    assert breaker.state == HALF_OPEN


def test_while_a_service_is_dead_the_breaker_lets_few_calls_reach_it():
    # Calls every 0.1 s to a service dead for 100 s: without a breaker 1000 would fail. With
    # one, `failures` open it, then each cool-off lets one trial through, which fails.
    breaker = CircuitBreaker(failures=5, cooloff=10.0, probes=3)
    outcomes = [breaker.call(False, i / 10) for i in range(1000)]
    assert outcomes.count("failed") <= 5 + math.ceil(100 / 10)
    assert outcomes.count("rejected") >= 1000 - 15


# ------------------------------------------------------------------------------- auto-scaling

POLICY = ScalingPolicy(scale_out_cpu=0.7, scale_in_cpu=0.3, cooldown=60, min_instances=2, max_instances=10)


@pytest.mark.parametrize(
    "cpu, instances, since, expected",
    [
        (0.75, 4, 120, SCALE_OUT),  # above 70%
        (0.70, 4, 120, HOLD),  # exactly at the threshold is not above it
        (0.50, 4, 120, HOLD),  # the dead band between the thresholds
        (0.25, 4, 120, SCALE_IN),  # below 30%
        (0.95, 4, 30, HOLD),  # still cooling down from the last action
        (0.95, 10, 120, HOLD),  # at the maximum
        (0.05, 2, 120, HOLD),  # at the minimum
    ],
)
def test_the_policy_scales_out_above_70_in_below_30_and_waits_out_its_cooldown(cpu, instances, since, expected):
    assert decide(cpu, instances, since, POLICY) == expected


def test_the_dead_band_keeps_one_step_from_undoing_itself():
    # The lesson's numbers: 4 at 72% -> 5 at about 58%; 4 at 28% -> 3 at about 37%.
    assert cpu_after(0.72, 4, +1) == pytest.approx(0.576)
    assert decide(cpu_after(0.72, 4, +1), 5, 120, POLICY) == HOLD
    assert cpu_after(0.28, 4, -1) == pytest.approx(0.3733, abs=1e-4)
    assert decide(cpu_after(0.28, 4, -1), 3, 120, POLICY) == HOLD


def test_a_narrow_band_thrashes():
    narrow = ScalingPolicy(scale_out_cpu=0.60, scale_in_cpu=0.55, cooldown=0)
    assert decide(0.62, 4, 0, narrow) == SCALE_OUT
    assert decide(cpu_after(0.62, 4, +1), 5, 0, narrow) == SCALE_IN


def test_a_policy_with_crossed_thresholds_or_bounds_is_refused():
    with pytest.raises(ValueError, match="scale-in CPU < scale-out CPU"):
        ScalingPolicy(scale_out_cpu=0.3, scale_in_cpu=0.7).validate()
    with pytest.raises(ValueError, match="min <= max"):
        ScalingPolicy(min_instances=5, max_instances=3).validate()


def test_diurnal_traffic_starts_at_the_night_low_peaks_at_midday_and_spikes():
    shape = DiurnalTraffic(base=40, amplitude=0.5, day=300, spike_at=200, spike_length=30, spike_factor=2)
    assert shape.rate(0) == pytest.approx(20)
    assert shape.rate(150) == pytest.approx(60)
    def daily(t):
        return 40 * (1 - 0.5 * math.cos(2 * math.pi * t / 300))

    assert shape.rate(210) == pytest.approx(2 * daily(210))  # inside the spike: doubled
    assert shape.rate(230) == pytest.approx(daily(230))  # the spike is over
    assert all(shape.rate(t / 10) <= shape.peak for t in range(3000))
