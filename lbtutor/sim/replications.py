"""Replications: one setup run over seeds seed, seed+1, ..., and a 95% confidence interval per metric.

One run is one draw. Its mean latency, its p99, its share of lost requests all move from seed to
seed, so a number read off a single run can mislead. Run the same setup over independent seeds
and report, for every number the run measures, the mean across runs and a Student-t 95%
interval around it: the run-to-run spread says how far the mean can be trusted.

Used by `lbtutor sim --replications N`, the lab's "Repeat over 20 seeds" (lab_repeat.py) and
`lbtutor check --claims`. Plain Python: no Textual, no Rich.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from lbtutor.sim.config import ConfigError, SimConfig

MAX_REPLICATIONS = 1_000
CONFIDENCE = 0.95

# Keys of the engine's result that describe the setup, not what the run measured: they are the
# same in every replication, so they are left out of the replicated metrics.
_ENGINE_SETUP_KEYS = frozenset({"algorithm", "seed", "params", "theory", "measured_window", "offered_load"})
_SERVER_SETUP_KEYS = frozenset({"name", "weight", "speed", "workers", "state"})


class ReplicationError(ConfigError):
    """Replications that cannot be run as asked (too many, or past the request budget)."""


# ------------------------------------------------------------------ Student's t
def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz's method)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularized incomplete beta function, for a, b > 0 and 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):  # the fraction converges fast on this side; use symmetry on the other
        return front * _beta_continued_fraction(a, b, x) / a
    return 1.0 - front * _beta_continued_fraction(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with `df` degrees of freedom."""
    tail = 0.5 * regularized_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t with `df` degrees of freedom (t_{0.975, 9} = 2.262...)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be between 0 and 1 (got {p})")
    if df <= 0:
        raise ValueError(f"degrees of freedom must be positive (got {df})")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:  # the cdf rises monotonically: bracket the root, then halve it
        lo, hi = hi, hi * 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * max(1.0, hi):
            break
    return (lo + hi) / 2.0


# ------------------------------------------------------------------ intervals
@dataclass(frozen=True)
class Interval:
    """The mean of n values and its Student-t 95% confidence interval (infinite below n = 2)."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2.0

    def overlaps(self, other: Interval) -> bool:
        return self.low <= other.high and other.low <= self.high

    def as_list(self) -> list[float | None]:
        return [_finite(self.low), _finite(self.high)]


def interval(values: Iterable[float], confidence: float = CONFIDENCE) -> Interval:
    """Mean and Student-t interval of `values` (numbers; at least one)."""
    data = [float(v) for v in values]
    if not data:
        raise ValueError("an interval needs at least one value")
    mean = statistics.fmean(data)
    n = len(data)
    if n < 2:
        return Interval(mean, -math.inf, math.inf, n)
    half = t_quantile(0.5 + confidence / 2.0, n - 1) * statistics.stdev(data) / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


# ------------------------------------------------------------------ a run's numbers
def measured_values(result: dict) -> dict[str, float | int]:
    """Every number a run measured, by its dotted path in the run's JSON.

    A scenario run gives `metrics.<name>`; an engine run gives `latency.mean`, `latency.p99`,
    `requests.dropped`, `throughput`, `fairness.jain`, ... and per server
    `servers.<name>.utilization` (by server name, s1, s2, ...). What describes the setup rather
    than the run (params, seed, theory) is left out. A missing number (None) is left out too."""
    out: dict[str, float | int] = {}
    if "scenario" in result:
        for name, value in (result.get("metrics") or {}).items():
            if _is_number(value):
                out[f"metrics.{name}"] = value
        return out
    for key, value in result.items():
        if key in _ENGINE_SETUP_KEYS:
            continue
        if key == "servers" and isinstance(value, list):
            for server in value:
                for field, number in server.items():
                    if field not in _SERVER_SETUP_KEYS and _is_number(number):
                        out[f"servers.{server['name']}.{field}"] = number
        elif isinstance(value, dict):
            for field, number in value.items():
                if _is_number(number):
                    out[f"{key}.{field}"] = number
        elif _is_number(value):
            out[key] = value
    return out


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def summarize(runs: list[dict[str, float | int]]) -> dict:
    """The `replications` object: {"n", "metrics": {path: {"mean", "ci95": [lo, hi], "values"}}}.

    `runs` holds each run's measured values (see `measured_values`). A path missing from some
    runs has null in their place; its mean and interval are over the runs that have it."""
    paths = list(dict.fromkeys(path for run in runs for path in run))
    metrics = {}
    for path in paths:
        values = [run.get(path) for run in runs]
        present = [v for v in values if v is not None]
        ci = interval(present)
        metrics[path] = {"mean": ci.mean, "ci95": ci.as_list(), "values": values}
    return {"n": len(runs), "metrics": metrics}


# ------------------------------------------------------------------ running them
def check_count(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_REPLICATIONS:
        raise ReplicationError(f"--replications must be from 1 to {MAX_REPLICATIONS:,} (got {n})")


def check_budget(n: int, requests_each: float, what: str = "each run") -> None:
    """Refuse replications that together would simulate more than the request cap of one run."""
    from lbtutor.sim.scenarios.base import MAX_REQUESTS

    total = n * requests_each
    if total > MAX_REQUESTS:
        raise ReplicationError(
            f"{n:,} replications of about {requests_each:,.0f} requests ({what}) would simulate about "
            f"{total:,.0f} requests; one command simulates at most {MAX_REQUESTS:,}: lower --replications "
            "or the run's length"
        )


def engine_runner(config: SimConfig) -> Callable[[int], dict]:
    """run(seed) -> the engine's result for `config` with that seed."""
    from lbtutor.sim.engine import run

    return lambda seed: run(replace(config, seed=seed))


def scenario_runner(name: str, overrides: dict | None = None) -> Callable[[int], dict]:
    """run(seed) -> the named scenario's result with `overrides` and that seed."""
    from lbtutor.sim.scenarios import run_scenario

    settings = dict(overrides or {})
    return lambda seed: run_scenario(name, settings, seed=seed)


def replicate(run: Callable[[int], dict], seed: int, n: int) -> list[dict]:
    """The results of run(seed), run(seed + 1), ..., n runs in all."""
    return [run(seed + i) for i in range(n)]


def replicate_engine(config: SimConfig, n: int) -> tuple[list[dict], dict]:
    """n runs of `config` from its seed on: (the results, the `replications` object)."""
    check_count(n)
    check_budget(n, config.requests, "--requests")
    results = replicate(engine_runner(config), config.seed, n)
    return results, summarize([measured_values(r) for r in results])


def replicate_scenario(name: str, overrides: dict | None, seed: int, n: int) -> tuple[list[dict], dict]:
    """n runs of a scenario from `seed` on: (the results, the `replications` object)."""
    from lbtutor.sim import scenarios

    check_count(n)
    scenario = scenarios.get(name)
    params = scenario.resolve(overrides)
    scenario.check_budget(params)
    expected = scenario.expected_requests(params)
    if expected:
        check_budget(n, expected, f"{name} as set")
    results = replicate(scenario_runner(name, overrides), seed, n)
    return results, summarize([measured_values(r) for r in results])
