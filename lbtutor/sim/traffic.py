"""The request stream: Poisson arrivals, service demands and the client population.

Each source of randomness has its own stream, seeded from the run's seed, so two runs that differ
only in the algorithm see identical arrivals, demands and clients (common random numbers).
"""

from __future__ import annotations

import hashlib
import math
import random
from bisect import bisect_left
from collections.abc import Callable
from functools import partial
from itertools import accumulate

from lbtutor.sim.server import Request

_log = math.log

BIMODAL_LONG_FRACTION = 0.05
BIMODAL_LONG_RATIO = 100.0  # a long-lived connection lasts this many times a short request
PARETO_SHAPE = 2.5
LOGNORMAL_SIGMA = 1.0


def stream(seed: int, name: str) -> random.Random:
    """An independent, reproducible random stream for one purpose (str seeds hash with SHA-512)."""
    return random.Random(f"lbtutor:{seed}:{name}")


def stable_hash(text: str) -> int:
    """A 64-bit hash that is the same in every process and on every machine (unlike `hash()`)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def exponential(rng: random.Random, rate: float) -> Callable[[], float]:
    """`rng.expovariate(rate)` as one Python call, not two: it runs for every request.

    The same formula as the standard library's, so the same seed draws the same numbers."""
    uniform, log = rng.random, math.log
    return lambda: -log(1.0 - uniform()) / rate


def demand_sampler(dist: str, mean: float, rng: random.Random) -> Callable[[], float]:
    """A function drawing service demands (seconds of work at speed 1) with the given mean."""
    if dist == "exp":
        return exponential(rng, 1.0 / mean)
    if dist == "det":
        return partial(float, mean)
    if dist == "lognormal":
        mu = math.log(mean) - LOGNORMAL_SIGMA**2 / 2
        draw = rng.lognormvariate
        return lambda: draw(mu, LOGNORMAL_SIGMA)
    if dist == "pareto":
        scale = mean * (PARETO_SHAPE - 1) / PARETO_SHAPE
        draw = rng.paretovariate
        return lambda: scale * draw(PARETO_SHAPE)
    if dist == "bimodal":
        p, ratio = BIMODAL_LONG_FRACTION, BIMODAL_LONG_RATIO
        short_rate = (1 - p + p * ratio) / mean
        long_rate = short_rate / ratio
        uniform, draw = rng.random, rng.expovariate
        return lambda: draw(long_rate) if uniform() < p else draw(short_rate)
    raise ValueError(f"unknown service distribution {dist!r}")


def client_address(index: int) -> str:
    """A made-up IPv4 address for client `index` (a label only; no traffic is sent anywhere)."""
    return f"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"


class ClientPopulation:
    """K client addresses; with zipf > 0 the first addresses send most of the traffic."""

    def __init__(self, size: int, zipf: float, rng: random.Random) -> None:
        self.size = size
        self.addresses = [client_address(i) for i in range(size)]
        self.hashes = [stable_hash(a) for a in self.addresses]
        self.rng = rng
        self.uniform = not (zipf > 0 and size > 1)
        if zipf > 0 and size > 1:
            self._cumulative = list(accumulate(1.0 / (i + 1) ** zipf for i in range(size)))
        else:
            self._cumulative = None

    def pick(self) -> int:
        if self._cumulative is None:
            return int(self.rng.random() * self.size)
        total = self._cumulative[-1]
        return bisect_left(self._cumulative, self.rng.random() * total)


class Traffic:
    """Poisson arrivals at `rate` (optionally time-varying via `rate_fn`, by thinning).

    Subclasses (in scenarios) override `decorate` to give requests paths and sessions.
    """

    def __init__(
        self,
        rate: float,
        service_dist: str = "exp",
        service_mean: float = 1.0,
        clients: int = 1000,
        zipf: float = 0.0,
        seed: int = 1,
        rate_fn: Callable[[float], float] | None = None,
        rate_max: float | None = None,
    ) -> None:
        self.rate = rate
        self.rate_fn = rate_fn
        self.rate_max = rate_max if rate_max is not None else rate
        self._arrivals = stream(seed, "arrivals")
        self._draw_gap = self._arrivals.expovariate
        self._uniform_gap = self._arrivals.random
        self._thin = stream(seed, "thinning").random
        self._demand = demand_sampler(service_dist, service_mean, stream(seed, "demands"))
        self.clients = ClientPopulation(clients, zipf, stream(seed, "clients"))
        self._uniform_client = self.clients.rng.random
        self._extra = stream(seed, "mix")
        self.service_dist = service_dist
        self.service_mean = service_mean
        self._decorates = type(self).decorate is not Traffic.decorate

    def next_gap(self, now: float) -> float:
        """Seconds from `now` to the next arrival."""
        if self.rate_fn is None:  # expovariate(rate), inlined: this runs for every request
            return -_log(1.0 - self._uniform_gap()) / self.rate
        t = now
        while True:  # thinning of a Poisson process at rate_max (Lewis & Shedler)
            t += self._draw_gap(self.rate_max)
            if self._thin() * self.rate_max <= self.rate_fn(t):
                return t - now

    def make_request(self, rid: int, now: float) -> Request:
        clients = self.clients
        client = int(self._uniform_client() * clients.size) if clients.uniform else clients.pick()
        req = Request(rid, now, self._demand(), client, clients.hashes[client])
        if self._decorates:
            self.decorate(req, self._extra)
        return req

    def decorate(self, req: Request, rng: random.Random) -> None:
        """Hook for scenarios: set req.path / req.session / req.demand from the mix stream."""
