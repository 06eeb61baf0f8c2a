"""The load-balancing algorithms: one class each, one job each (pick a server), one registry.

A balancer sees only the servers in rotation (`pool`), each with `active` connections (in service
plus queued), a `weight` and a slow-start `ramp`. It learns latencies through `observe`.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Sequence

from lbtutor.sim.server import Request, Server
from lbtutor.sim.traffic import stable_hash


class Balancer:
    """Picks a server for each request. Subclasses set `slug`, `summary` and implement `pick`."""

    slug = ""
    summary = ""
    in_chapter = True  # the chapter's seven; the rest go beyond it
    options: dict[str, float] = {}  # option name -> default

    def __init__(self, rng: random.Random, **options: float) -> None:
        self.rng = rng
        unknown = set(options) - set(self.options)
        if unknown:
            raise ValueError(
                f"{self.slug} has no option {sorted(unknown)[0]!r}"
                + (f"; it takes {', '.join(self.options)}" if self.options else "")
            )
        self.opts = {**self.options, **options}

    def pool_changed(self, pool: Sequence[Server]) -> None:
        """Called when servers join or leave rotation, or a weight changes."""

    def pick(self, req: Request, pool: Sequence[Server]) -> Server | None:
        raise NotImplementedError

    def observe(self, server: Server, latency: float, now: float) -> None:
        """Called when `server` completes a request after `latency` seconds."""


def _least(pool: Sequence[Server], score, rng: random.Random) -> Server:
    """The server with the lowest score; ties broken by the seeded RNG."""
    best = None
    ties: list[Server] = []
    for s in pool:
        v = score(s)
        if best is None or v < best:
            best = v
            ties = [s]
        elif v == best:
            ties.append(s)
    return ties[0] if len(ties) == 1 else ties[int(rng.random() * len(ties))]


class RandomChoice(Balancer):
    slug = "random"
    summary = "Pick a server uniformly at random: no state, surprisingly effective."

    def pick(self, req, pool):
        return pool[int(self.rng.random() * len(pool))]


class RoundRobin(Balancer):
    slug = "round-robin"
    summary = "Take servers in turn, 1 -> 2 -> 3 -> 1: fair counts, blind to load and capacity."

    def __init__(self, rng, **options):
        super().__init__(rng, **options)
        self.next = 0

    def pick(self, req, pool):
        i = self.next % len(pool)
        self.next = i + 1
        return pool[i]


class WeightedRoundRobin(Balancer):
    """nginx's smooth weighted round robin: weights 5,1,1 give a a b a c a a."""

    slug = "weighted-round-robin"
    summary = "Round robin in proportion to weight, interleaved smoothly (nginx's method)."

    def __init__(self, rng, **options):
        super().__init__(rng, **options)
        self.current: dict[Server, float] = {}

    def pool_changed(self, pool):
        self.current = {s: self.current.get(s, 0.0) for s in pool}

    def pick(self, req, pool):
        current = self.current
        total = 0.0
        best = None
        best_value = -math.inf
        for s in pool:
            w = s.weight * s.ramp
            value = current.get(s, 0.0) + w
            current[s] = value
            total += w
            if value > best_value:
                best, best_value = s, value
        current[best] -= total
        return best


class LeastConnections(Balancer):
    slug = "least-connections"
    summary = "Send to the server with the fewest active connections (ties at random)."

    def pick(self, req, pool):
        return _least(pool, _active, self.rng)


class WeightedLeastConnections(Balancer):
    """Lowest active / weight; among equal scores the heavier server (as nginx does), then random.

    The weight tie-break matters when servers sit idle: 0/4 and 0/1 tie, and the big server
    should get the request."""

    slug = "weighted-least-connections"
    summary = "Lowest active connections / weight: least connections for unequal servers."

    def pick(self, req, pool):
        return _least(pool, _score_then_heavier, self.rng)


class IPHash(Balancer):
    slug = "ip-hash"
    summary = "hash(client address) mod N: a client always lands on the same server."

    def pick(self, req, pool):
        return pool[req.key % len(pool)]


class LeastResponseTime(Balancer):
    """Lowest expected response time: the EWMA of a server's observed latency x (active + 1).

    Like NGINX's least_time, it weighs the latency estimate by the connections already there, so
    an idle server with an old, slow estimate is tried again. The balancer reads a snapshot of
    both numbers published every `refresh` seconds (0 = live): on stale numbers it sends every
    request to the same "fastest" server until the next refresh, so traffic herds back and forth.
    """

    slug = "least-response-time"
    summary = "Lowest recent response time (EWMA x connections), read from a periodic snapshot."
    options = {"alpha": 0.2, "refresh": 0.0}

    def __init__(self, rng, **options):
        super().__init__(rng, **options)
        self.ewma: dict[Server, float] = {}
        self.published: dict[Server, float] = {}
        self.published_at = -math.inf

    def observe(self, server, latency, now):
        old = self.ewma.get(server)
        self.ewma[server] = latency if old is None else old + self.opts["alpha"] * (latency - old)

    def score(self, s: Server, default: float) -> float:
        return self.ewma.get(s, default) * (s.active + 1)

    def pick(self, req, pool):
        ewma = self.ewma
        default = math.fsum(ewma.values()) / len(ewma) if ewma else 1.0
        if self.opts["refresh"] <= 0:
            return _least(pool, lambda s: self.score(s, default), self.rng)
        now = req.arrival
        if now - self.published_at >= self.opts["refresh"]:
            self.published = {s: self.score(s, default) for s in pool}
            self.published_at = now
        published = self.published
        return _least(pool, lambda s: published.get(s, 0.0), self.rng)


class PowerOfTwoChoices(Balancer):
    in_chapter = False
    slug = "power-of-two-choices"
    summary = "Sample two servers at random, send to the one with fewer connections."

    def pick(self, req, pool):
        n = len(pool)
        if n == 1:
            return pool[0]
        rnd = self.rng.random
        i = int(rnd() * n)
        j = int(rnd() * (n - 1))
        if j >= i:
            j += 1
        a, b = pool[i], pool[j]
        return b if b.active < a.active else a


class ConsistentHash(Balancer):
    """A hash ring with `vnodes` points per server; a key goes to the next point clockwise."""

    in_chapter = False
    slug = "consistent-hash"
    summary = "Hash ring with virtual nodes: adding a server moves only ~1/(n+1) of keys."
    options = {"vnodes": 100}

    def __init__(self, rng, **options):
        super().__init__(rng, **options)
        self.points: list[int] = []
        self.owners: list[Server] = []

    def pool_changed(self, pool):
        ring = build_ring([s.name for s in pool], int(self.opts["vnodes"]))
        by_name = {s.name: s for s in pool}
        self.points = [p for p, _ in ring]
        self.owners = [by_name[name] for _, name in ring]

    def pick(self, req, pool):
        if not self.points:
            self.pool_changed(pool)
        i = bisect_right(self.points, req.key)
        return self.owners[i % len(self.owners)]


class PeakEWMA(Balancer):
    """Finagle/Linkerd's peak EWMA: cost = latency estimate x (active + 1), chosen by P2C.

    The estimate jumps up to any slower observation at once (the peak) and decays towards faster
    ones with time constant `tau` seconds.
    """

    in_chapter = False
    slug = "peak-ewma"
    summary = "Cost = peak-sensitive latency EWMA x (active+1), best of two random picks."
    options = {"tau": 10.0}

    def __init__(self, rng, **options):
        super().__init__(rng, **options)
        self.estimate: dict[Server, tuple[float, float]] = {}  # server -> (value, time)

    def observe(self, server, latency, now):
        old = self.estimate.get(server)
        if old is None or latency > old[0]:
            self.estimate[server] = (latency, now)
        else:
            w = math.exp(-(now - old[1]) / self.opts["tau"])
            self.estimate[server] = (old[0] * w + latency * (1 - w), now)

    def cost(self, s: Server, now: float) -> float:
        est = self.estimate.get(s)
        if est is None:
            return float(s.active)  # unmeasured: only its connections count
        value, at = est
        value *= math.exp(-(now - at) / self.opts["tau"])
        return value * (s.active + 1)

    def pick(self, req, pool):
        n = len(pool)
        if n == 1:
            return pool[0]
        rnd = self.rng.random
        i = int(rnd() * n)
        j = int(rnd() * (n - 1))
        if j >= i:
            j += 1
        a, b = pool[i], pool[j]
        now = req.arrival
        return b if self.cost(b, now) < self.cost(a, now) else a


def _active(s: Server) -> float:
    return s.active


def _score_then_heavier(s: Server) -> tuple[float, float]:
    w = s.weight * s.ramp
    return (s.active / w, -w)


def build_ring(names: Sequence[str], vnodes: int) -> list[tuple[int, str]]:
    """Sorted (point, server name) pairs of a consistent-hash ring."""
    return sorted((stable_hash(f"{name}#{v}"), name) for name in names for v in range(vnodes))


ALGORITHMS: dict[str, type[Balancer]] = {
    cls.slug: cls
    for cls in (
        RandomChoice,
        RoundRobin,
        WeightedRoundRobin,
        LeastConnections,
        WeightedLeastConnections,
        IPHash,
        LeastResponseTime,
        PowerOfTwoChoices,
        ConsistentHash,
        PeakEWMA,
    )
}


def make_balancer(slug: str, rng: random.Random, **options: float) -> Balancer:
    try:
        cls = ALGORITHMS[slug]
    except KeyError:
        raise ValueError(f"unknown algorithm {slug!r}; choose one of: {', '.join(ALGORITHMS)}") from None
    return cls(rng, **options)
