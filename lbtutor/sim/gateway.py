"""What an API gateway does to a request before any service sees it, one small mechanism each.

Authentication (`check_token`), rate limiting (`TokenBucket`), response caching (`ResponseCache`),
path routing (`Router`) and a circuit breaker (`CircuitBreaker`). Each works on its own with
plain numbers for time, so the quiz drills can ask "how many of these get through?" and the
gateway scenario can run them on simulated time. Nothing here schedules events or draws random
numbers: the caller says what happened and when.
"""

from __future__ import annotations

import hashlib
import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# ----------------------------------------------------------------------------- authentication

GATEWAY_KEY = "lbtutor-gateway-signing-key"


def _signature(user: str, expires_at: float, key: str) -> str:
    message = f"{user}.{expires_at:.3f}".encode()
    return hashlib.blake2b(message, key=key.encode(), digest_size=12).hexdigest()


def sign_token(user: str, expires_at: float, key: str = GATEWAY_KEY) -> str:
    """A JWT-like token "user.expiry.signature": claims plus a keyed hash only the issuer can make."""
    return f"{user}.{expires_at:.3f}.{_signature(user, expires_at, key)}"


@dataclass(frozen=True)
class TokenCheck:
    ok: bool
    user: str | None
    reason: str  # "valid", "missing", "malformed", "bad signature" or "expired"


def check_token(token: str | None, now: float, key: str = GATEWAY_KEY) -> TokenCheck:
    """Verify a token at the edge: the signature must match its claims and it must not be expired.

    No call to a login server is needed, which is why a gateway can afford it on every request.
    """
    if not token:
        return TokenCheck(False, None, "missing")
    parts = token.split(".")
    if len(parts) != 4:  # user . expiry (has one dot) . signature
        return TokenCheck(False, None, "malformed")
    user, whole, frac, signature = parts
    try:
        expires_at = float(f"{whole}.{frac}")
    except ValueError:
        return TokenCheck(False, None, "malformed")
    if signature != _signature(user, expires_at, key):
        return TokenCheck(False, user, "bad signature")
    if now >= expires_at:
        return TokenCheck(False, user, "expired")
    return TokenCheck(True, user, "valid")


# ------------------------------------------------------------------------------ rate limiting


TOKEN_EPSILON = 1e-9  # refills summed in floating point land a hair below a whole token


class TokenBucket:
    """Holds at most `burst` tokens, refilled at `rate` per second; each request spends one.

    Starts full. Over any span of T seconds it lets through at most burst + rate x T requests,
    and a client that keeps asking gets `rate` per second in the long run.
    """

    def __init__(self, rate: float, burst: float, now: float = 0.0) -> None:
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate must be a positive number (got {rate!r})")
        if not (math.isfinite(burst) and burst >= 1):
            raise ValueError(f"burst must be at least 1 (got {burst!r})")
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.updated = now
        self.accepted = 0
        self.rejected = 0

    def tokens_at(self, now: float) -> float:
        """Tokens in the bucket at `now` (refilled since the last request, capped at burst)."""
        return min(self.burst, self.tokens + self.rate * max(0.0, now - self.updated))

    def allow(self, now: float) -> bool:
        """A request arrives at `now`: True if a token was spent on it, False means 429."""
        self.tokens = self.tokens_at(now)
        self.updated = max(self.updated, now)
        if self.tokens >= 1.0 - TOKEN_EPSILON:
            self.tokens = max(0.0, self.tokens - 1.0)
            self.accepted += 1
            return True
        self.rejected += 1
        return False


def admitted(arrival_times: Iterable[float], rate: float, burst: float) -> int:
    """How many requests arriving at these times (seconds, ascending) a full bucket lets through."""
    bucket = TokenBucket(rate, burst)
    return sum(bucket.allow(t) for t in arrival_times)


def admitted_bound(rate: float, burst: float, span: float) -> float:
    """The most a token bucket can let through in `span` seconds: its burst plus its refill."""
    return burst + rate * span


# ------------------------------------------------------------------------------------ caching


class ResponseCache:
    """Stored responses keyed by path, each fresh for `ttl` seconds after it was stored."""

    def __init__(self, ttl: float) -> None:
        if not (math.isfinite(ttl) and ttl >= 0):
            raise ValueError(f"ttl must be 0 or more seconds (got {ttl!r})")
        self.ttl = ttl
        self._entries: dict[str, tuple[float, object]] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: str, now: float):
        """The stored response if still fresh (a hit), else None (a miss)."""
        entry = self._entries.get(key)
        if entry is not None and now < entry[0]:
            self.hits += 1
            return entry[1]
        self.misses += 1
        return None

    def put(self, key: str, value: object, now: float) -> None:
        if self.ttl > 0:
            self._entries[key] = (now + self.ttl, value)

    @property
    def hit_ratio(self) -> float | None:
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else None


def ttl_cache_hit_ratio(rates: Iterable[float], ttl: float) -> float:
    """Expected hit ratio of a TTL cache under Poisson requests at these per-key rates.

    A key's life is a cycle: a miss stores it, then it hits for `ttl` seconds (rate x ttl hits on
    average), then the next request misses. So a key with rate r hits r.ttl / (1 + r.ttl) of the
    time (ignoring the fetch time of a miss, which only lowers it a little).
    """
    rates = list(rates)
    total = math.fsum(rates)
    if total <= 0:
        return 0.0
    return math.fsum(r * (r * ttl) / (1.0 + r * ttl) for r in rates) / total


# ------------------------------------------------------------------------------------ routing


class Router:
    """Path prefix -> service; the longest matching prefix wins (`/orders/` beats `/`)."""

    def __init__(self, routes: Mapping[str, str]) -> None:
        self.routes = sorted(routes.items(), key=lambda item: len(item[0]), reverse=True)

    def route(self, path: str) -> str | None:
        for prefix, service in self.routes:
            if path.startswith(prefix):
                return service
        return None


# ---------------------------------------------------------------------------- circuit breaker

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half-open"
BREAKER_STATES = (CLOSED, HALF_OPEN, OPEN)


class CircuitBreaker:
    """Stops calling a service that keeps failing, and tests it now and then until it recovers.

    closed: calls pass; it opens after `failures` failures in a row, or when at least
      `failure_ratio` of the last `window` calls failed.
    open: every call fails fast without touching the service, for `cooloff` seconds.
    half-open: up to `probes` trial calls go through; the first failure opens it again (the
      cool-off restarts), `probes` successes close it.

    `allow(now)` returns a ticket for a call that may go ahead (None: fail fast); pass it back to
    `record` with the outcome. Outcomes of calls let through in an earlier state are ignored, so a
    slow success from before the breaker opened cannot close it.
    """

    def __init__(
        self, failures: int = 5, failure_ratio: float = 0.5, window: int = 20,
        cooloff: float = 10.0, probes: int = 3,
    ) -> None:
        if failures < 1 or probes < 1 or window < 1:
            raise ValueError("failures, probes and window must be at least 1")
        if not 0 < failure_ratio <= 1:
            raise ValueError(f"failure_ratio must be in (0, 1] (got {failure_ratio!r})")
        if not (math.isfinite(cooloff) and cooloff > 0):
            raise ValueError(f"cooloff must be a positive number of seconds (got {cooloff!r})")
        self.failures = failures
        self.failure_ratio = failure_ratio
        self.window = window
        self.cooloff = cooloff
        self.probes = probes
        self.state = CLOSED
        self.transitions: list[tuple[float, str]] = [(0.0, CLOSED)]
        self._generation = 0  # bumped on every state change; tickets carry it
        self._consecutive = 0
        self._recent: deque[bool] = deque(maxlen=window)  # True = failed
        self._reopen_at = math.inf
        self._probes_sent = 0
        self._probes_passed = 0
        self.rejected = 0  # calls failed fast while open (or half-open with its trials taken)

    def _enter(self, state: str, at: float) -> None:
        self.state = state
        self._generation += 1
        self.transitions.append((at, state))
        if state == OPEN:
            self._reopen_at = at + self.cooloff
        elif state == HALF_OPEN:
            self._probes_sent = self._probes_passed = 0
        else:
            self._consecutive = 0
            self._recent.clear()

    def state_at(self, now: float) -> str:
        """The state at `now`: an open breaker turns half-open when its cool-off ends."""
        if self.state == OPEN and now >= self._reopen_at:
            self._enter(HALF_OPEN, self._reopen_at)
        return self.state

    def allow(self, now: float) -> int | None:
        state = self.state_at(now)
        if state == CLOSED:
            return self._generation
        if state == HALF_OPEN and self._probes_sent < self.probes:
            self._probes_sent += 1
            return self._generation
        self.rejected += 1
        return None

    def record(self, ticket: int, ok: bool, now: float) -> None:
        """The call let through with `ticket` finished at `now`, successfully or not."""
        if ticket != self._generation:
            return
        if self.state == HALF_OPEN:
            if not ok:
                self._enter(OPEN, now)
                return
            self._probes_passed += 1
            if self._probes_passed >= self.probes:
                self._enter(CLOSED, now)
            return
        self._recent.append(not ok)
        self._consecutive = 0 if ok else self._consecutive + 1
        if self._consecutive >= self.failures or (
            len(self._recent) == self.window and sum(self._recent) >= self.failure_ratio * self.window
        ):
            self._enter(OPEN, now)

    def call(self, ok: bool, now: float) -> str:
        """One call whose outcome is known at once: "passed", "failed" or "rejected" (failed fast)."""
        ticket = self.allow(now)
        if ticket is None:
            return "rejected"
        self.record(ticket, ok, now)
        return "passed" if ok else "failed"

    def opened_at(self) -> list[float]:
        return [t for t, state in self.transitions if state == OPEN]
