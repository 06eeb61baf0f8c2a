"""Closed forms from queueing theory, shown beside simulated numbers.

All rates are per second; results are mean sojourn times (queueing + service) in seconds.
  * M/M/1 and M/M/c (Erlang C): random routing to exponential servers is N independent M/M/c
    queues, and one central queue over all N*c workers bounds every dispatcher from below.
  * E_k/M/1: round robin hands each server every N-th Poisson arrival, so its gaps are Erlang-N.
  * The supermarket model: power-of-d choices as N -> infinity (Mitzenmacher; Vvedenskaya et al.).
"""

from __future__ import annotations

import math


def mm1_mean(arrival_rate: float, service_rate: float) -> float:
    if arrival_rate >= service_rate:
        return math.inf
    return 1.0 / (service_rate - arrival_rate)


def erlang_c(servers: int, offered: float) -> float:
    """Probability an arrival waits in M/M/c with `offered` = lambda/mu erlangs."""
    if offered >= servers:
        return 1.0
    b = 1.0  # Erlang B by its stable recursion
    for k in range(1, servers + 1):
        b = offered * b / (k + offered * b)
    rho = offered / servers
    return b / (1.0 - rho * (1.0 - b))


def mmc_mean(arrival_rate: float, service_rate: float, servers: int) -> float:
    if arrival_rate >= servers * service_rate:
        return math.inf
    c = erlang_c(servers, arrival_rate / service_rate)
    return c / (servers * service_rate - arrival_rate) + 1.0 / service_rate


def ek_m1_sigma(k: int, arrival_rate: float, service_rate: float) -> float:
    """Root in (0,1) of sigma = A*(mu(1 - sigma)) for Erlang-k gaps of total rate `arrival_rate`.

    Each server sees every k-th arrival: a gap is the sum of k exponentials of rate lambda, whose
    Laplace transform is (lambda / (lambda + s))^k.
    """
    lam, mu = arrival_rate, service_rate
    if lam / k >= mu:
        return 1.0

    def f(sigma: float) -> float:
        return (lam / (lam + mu * (1.0 - sigma))) ** k - sigma

    lo, hi = 0.0, 1.0 - 1e-15
    # f(0) > 0 and f is positive up to the root, negative between it and 1.
    for _ in range(200):
        mid = (lo + hi) / 2
        if f(mid) > 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def ek_m1_mean(k: int, arrival_rate: float, service_rate: float) -> float:
    sigma = ek_m1_sigma(k, arrival_rate, service_rate)
    if sigma >= 1.0:
        return math.inf
    return 1.0 / (service_rate * (1.0 - sigma))


def supermarket_tail(rho: float, d: int = 2, terms: int = 64) -> list[float]:
    """s_i: the fraction of servers holding at least i requests, i = 0, 1, 2, ..."""
    out = []
    for i in range(terms):
        v = rho ** ((d**i - 1) / (d - 1))
        out.append(v)
        if v < 1e-15:
            break
    return out


def supermarket_mean(rho: float, service_rate: float, d: int = 2) -> float:
    """Mean sojourn under power-of-d choices as N -> infinity (Little: sum s_i / lambda_per_server)."""
    if rho >= 1.0:
        return math.inf
    tail = supermarket_tail(rho, d)
    return math.fsum(tail[1:]) / (rho * service_rate)


def exp_quantile(rate: float, q: float) -> float:
    """The q-quantile (0..1) of an exponential with the given rate."""
    return -math.log(1.0 - q) / rate


def predict(
    *,
    algorithm: str,
    servers: int,
    workers: list[int],
    speeds: list[float],
    weights: list[float],
    arrival_rate: float,
    service_rate: float,
    service_dist: str,
    queue_limit: int,
) -> dict | None:
    """Theory for this setup, or None where no closed form fits (non-exponential, unequal servers,
    finite queues). Unstable setups return a model with infinite latency and a plain note."""
    if service_dist != "exp" or queue_limit or servers < 1:
        return None
    if len(set(speeds)) != 1 or len(set(workers)) != 1:
        return None
    c = workers[0]
    mu = service_rate * speeds[0]
    lam = arrival_rate
    rho = lam / (servers * c * mu)
    lower = mmc_mean(lam, mu, servers * c)
    out: dict = {
        "rho": rho,
        "mmc_lower_bound": lower,
        "mmc_model": f"M/M/{servers * c} (one central queue: no dispatcher beats it)",
    }
    if rho >= 1.0:
        out.update(
            model="unstable",
            mean_latency=math.inf,
            note="arrivals meet or exceed capacity: queues grow without bound",
        )
        return _finite(out)
    equal_weights = len(set(weights)) == 1
    if servers == 1 and c == 1:  # one server: every algorithm is the same M/M/1 queue
        rate = mu - lam
        out.update(model="M/M/1 (a single server)", mean_latency=1.0 / rate,
                   p50=exp_quantile(rate, 0.5), p95=exp_quantile(rate, 0.95),
                   p99=exp_quantile(rate, 0.99))
    elif algorithm == "random":
        per = lam / servers
        if c == 1:
            rate = mu - per
            out.update(model="M/M/1 per server (random routing)", mean_latency=1.0 / rate,
                       p50=exp_quantile(rate, 0.5), p95=exp_quantile(rate, 0.95),
                       p99=exp_quantile(rate, 0.99))
        else:
            out.update(model=f"M/M/{c} per server (random routing)", mean_latency=mmc_mean(per, mu, c))
    elif c == 1 and (algorithm == "round-robin" or (algorithm == "weighted-round-robin" and equal_weights)):
        sigma = ek_m1_sigma(servers, lam, mu)
        rate = mu * (1.0 - sigma)
        out.update(model=f"E_{servers}/M/1 per server (round robin)", mean_latency=1.0 / rate,
                   p50=exp_quantile(rate, 0.5), p95=exp_quantile(rate, 0.95),
                   p99=exp_quantile(rate, 0.99), sigma=sigma)
    elif c == 1 and algorithm == "power-of-two-choices":
        out.update(model="supermarket model, d=2 (power of two choices, N -> infinity)",
                   mean_latency=supermarket_mean(rho, mu, 2))
    else:
        out.update(model=out["mmc_model"], mean_latency=lower, lower_bound=True)
    return _finite(out)


def _finite(d: dict) -> dict:
    """JSON has no infinity: unbounded figures become None."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}
