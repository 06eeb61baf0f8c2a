"""DNS load balancing: a name server handing out addresses in turn, and clients that cache its answer.

DNS knows nothing about health: it keeps handing out an address until someone withdraws the
record, and a client that got an answer keeps using it until the answer's TTL runs out, whatever
happened to the server behind it in the meantime.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from lbtutor.sim.config import ConfigError


class RoundRobinDns:
    """An authoritative name server for one name with several A records, answered in rotation."""

    def __init__(self, addresses: Iterable[str], ttl: float) -> None:
        if not ttl >= 0:
            raise ConfigError(f"ttl must be 0 or more seconds (got {ttl!r})")
        self.records = list(addresses)
        if not self.records:
            raise ConfigError("DNS needs at least one address to hand out")
        self.ttl = ttl
        self.queries = 0
        self._turn = 0

    def resolve(self) -> str | None:
        """The next address in rotation (None once every record has been withdrawn)."""
        self.queries += 1
        return self._next_address()

    def _next_address(self) -> str | None:
        if not self.records:
            return None
        address = self.records[self._turn % len(self.records)]
        self._turn += 1
        return address

    def withdraw(self, address: str) -> None:
        """An operator (or a monitoring system) removes a record; caches still hold it."""
        if address in self.records:
            self.records.remove(address)

    def restore(self, address: str) -> None:
        if address not in self.records:
            self.records.append(address)


class CachingClients:
    """Clients that resolve once and reuse the answer until its TTL expires."""

    def __init__(self, dns: RoundRobinDns) -> None:
        self.dns = dns
        self.cache: dict[int, tuple[str, float]] = {}  # client -> (address, expires at)
        self.lookups = 0

    def address_for(self, client: int, now: float) -> str | None:
        """Where `client` sends a request at `now`: its cached answer, or a fresh one."""
        cached = self.cache.get(client)
        if cached is not None and now < cached[1]:
            return cached[0]
        self.lookups += 1
        address = self.dns.resolve()
        if address is None:
            self.cache.pop(client, None)
            return None
        self.cache[client] = (address, now + self.dns.ttl)
        return address

    def prime(self, clients: int, mean_gap: float, now: float, rng: random.Random) -> None:
        """Start as if the clients had been running for a long time, not all resolving at once.

        A client re-resolves at its first request after its answer expires, so it holds a valid
        answer for ttl seconds out of every ttl + mean_gap on average (mean_gap: the mean time
        between its requests), and a valid answer's remaining life is uniform on (0, ttl).
        """
        ttl = self.dns.ttl
        if ttl <= 0:
            return
        valid_share = ttl / (ttl + mean_gap)
        for client in range(clients):
            if rng.random() < valid_share:
                address = self.dns._next_address()
                if address is not None:
                    self.cache[client] = (address, now + rng.random() * ttl)

    def holding(self, address: str, now: float) -> int:
        """How many clients have an unexpired answer pointing at `address`."""
        return sum(1 for a, expires in self.cache.values() if a == address and now < expires)

    def last_expiry(self, address: str) -> float | None:
        """When the last cached answer pointing at `address` expires (None if none is cached)."""
        times = [expires for a, expires in self.cache.values() if a == address]
        return max(times) if times else None


def expected_failures_after_death(
    *, rate: float, addresses: int, clients: int, ttl: float, withdraw_after: float
) -> float:
    """Expected failed requests when the server behind one of `addresses` DNS records dies.

    `rate` requests per second come from `clients` clients, each a Poisson stream.

    Until the record is withdrawn, 1/addresses of all requests go to the dead address (fresh
    answers come round robin, cached ones were). After that only clients holding a still-valid
    cached copy fail. A client re-resolves at its first request after expiry, so it holds a valid answer a
    share ttl / (ttl + clients/rate) of the time, and at the withdrawal the remaining life of its
    answer is uniform on (0, ttl): on average ttl / 2 more seconds of failures.
    """
    per_address = rate / addresses
    if ttl <= 0:
        return per_address * withdraw_after
    valid_share = ttl / (ttl + clients / rate)
    return per_address * (withdraw_after + valid_share * ttl / 2)
