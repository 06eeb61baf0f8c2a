"""gateway: every request passes authentication, a per-user rate limit, a response cache and path
routing, and a circuit breaker guards each service; then the orders service breaks for a while.

Each number is counted where the mechanism acts: a bad signature or an expired token is caught
by `check_token`, a 429 is an empty `TokenBucket`, a cache hit is a fresh `ResponseCache` entry,
a fail-fast is an open `CircuitBreaker`. Requests turned away at the edge never reach a service,
so the services' bars carry only what survived the chain.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate

import simpy

from lbtutor.sim.config import SimConfig
from lbtutor.sim.gateway import (
    BREAKER_STATES,
    CLOSED,
    HALF_OPEN,
    OPEN,
    CircuitBreaker,
    ResponseCache,
    Router,
    TokenBucket,
    check_token,
    sign_token,
    ttl_cache_hit_ratio,
)
from lbtutor.sim.scenarios.base import (
    ChartSeries,
    Metric,
    Pane,
    Param,
    Scenario,
    ScenarioError,
    ScenarioRun,
)
from lbtutor.sim.scenarios.toolkit import at, lab_simulation
from lbtutor.sim.server import Request
from lbtutor.sim.traffic import stream

ROUTES = {"/users/": "users", "/orders/": "orders", "/products/": "catalog"}
PATH_MIX = (("/users/", 0.35), ("/orders/", 0.30), ("/products/", 0.35))  # share of each user's calls
PATH_CUMULATIVE = list(accumulate(share for _, share in PATH_MIX[:-1]))
CACHEABLE = "/products/"  # public catalog GETs: the same answer for every caller
PRODUCTS = 200  # distinct /products/ paths, popularity Zipf(1): a few are asked for often
FAILING_SERVICE = "orders"
SERVICE_TIME = 0.1  # mean seconds of work per request at a service (exponential)
SERVERS_PER_SERVICE = 2
WORKERS_PER_SERVER = 2
TOKEN_LIFETIME = 3600.0  # valid tokens expire this long after the run ends


class GatewayRun(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        p = params
        # A failure at or after the end never happens, so when it would heal does not matter.
        if p["fail_at"] < duration and p["recover_at"] <= p["fail_at"]:
            raise ScenarioError(
                f"gateway: recover_at={p['recover_at']:g} must be later than fail_at={p['fail_at']:g}"
            )
        self.users = [f"u{i}" for i in range(p["users"] + p["abusers"])]
        self.abusive = set(self.users[p["users"]:])
        rates = [p["user_rate"]] * p["users"] + [p["abuse_rate"]] * p["abusers"]
        self.total_rate = sum(rates)
        self._user_cumulative = list(accumulate(rates))
        self.tokens = {u: sign_token(u, duration + TOKEN_LIFETIME) for u in self.users}
        self.buckets = {u: TokenBucket(p["rate"], p["burst"]) for u in self.users}
        self.cache = ResponseCache(p["cache_ttl"])
        self.router = Router(ROUTES)
        self.breakers = {
            service: CircuitBreaker(
                failures=p["breaker_failures"], cooloff=p["breaker_cooloff"], probes=p["breaker_probes"]
            )
            for service in ROUTES.values()
        }
        self._product_weights = list(accumulate(1.0 / (k + 1) for k in range(PRODUCTS)))

        self._rng = {name: stream(seed, f"gateway:{name}") for name in ("gaps", "who", "token", "path", "demand")}
        forwarded = self._expected_forward_rates()
        self.env = simpy.Environment()  # one clock for the gateway and every service
        self.services = {
            name: lab_simulation(
                SimConfig(
                    servers=SERVERS_PER_SERVICE, workers=WORKERS_PER_SERVER,
                    arrival_rate=max(forwarded[name], 0.01), service_rate=1.0 / SERVICE_TIME, seed=seed,
                ),
                env=self.env,
                generate_arrivals=False,
            )
            for name in ROUTES.values()
        }
        for sim in self.services.values():
            sim.on_complete = self._answered
            sim.on_fail = self._errored
        self._noted = dict.fromkeys(self.services, 1)  # breaker transitions already in the log
        self.in_flight_at_failure = 0
        self._pending: dict[int, tuple[str, int]] = {}  # request id -> (service, breaker ticket)
        self._next_id = 0

        self.requests = 0
        self.rejected_auth = 0
        self.rejected_reasons: dict[str, int] = {}
        self.rate_limited = 0
        self.rate_limited_normal = 0
        self.forwarded = dict.fromkeys(self.services, 0)
        self.failed = dict.fromkeys(self.services, 0)
        self.short_circuited = dict.fromkeys(self.services, 0)

        at(self.env, p["fail_at"], self._break)
        at(self.env, p["recover_at"], self._heal)
        self.env.process(self._clients())

    def _admitted_rate(self) -> float:
        """Requests per second past auth and the rate limit (the abusers held to `rate`)."""
        p = self.params
        return (1 - p["bad_tokens"]) * (
            p["users"] * p["user_rate"] + p["abusers"] * min(p["abuse_rate"], p["rate"])
        )

    def _expected_forward_rates(self) -> dict[str, float]:
        """What each service should see: valid tokens, within the limit, not answered by the cache."""
        rates = {ROUTES[prefix]: self._admitted_rate() * share for prefix, share in PATH_MIX}
        rates["catalog"] *= 1 - self.expected_hit_ratio()
        return rates

    def expected_hit_ratio(self) -> float:
        """TTL-cache theory for the /products/ lookups: each product gets its Zipf share of them."""
        catalog_rate = self._admitted_rate() * dict(PATH_MIX)[CACHEABLE]
        total = self._product_weights[-1]
        per_product = [catalog_rate / (k + 1) / total for k in range(PRODUCTS)]
        return ttl_cache_hit_ratio(per_product, self.params["cache_ttl"])

    # -- the story ------------------------------------------------------------------------------
    def _clients(self):
        """Every user sends Poisson requests at their own rate: one merged stream, user by rate."""
        gap, who = self._rng["gaps"].expovariate, self._rng["who"].random
        cumulative, total = self._user_cumulative, self.total_rate
        while True:
            yield self.env.timeout(gap(total))
            self._request(self.users[bisect_right(cumulative, who() * total)])

    def _token_of(self, user: str) -> str:
        """The user's token, or (with probability bad_tokens) a forged or an expired one."""
        rng = self._rng["token"]
        if rng.random() >= self.params["bad_tokens"]:
            return self.tokens[user]
        if rng.random() < 0.5:  # tampered: one digit of the signature changed, so it no longer matches
            token = self.tokens[user]
            return token[:-1] + ("0" if token[-1] != "0" else "1")
        return sign_token(user, self.env.now - 60.0)  # genuine, but expired a minute ago

    def _path(self) -> str:
        prefix = PATH_MIX[bisect_right(PATH_CUMULATIVE, self._rng["path"].random())][0]
        if prefix == CACHEABLE:
            weights = self._product_weights
            y = self._rng["path"].random() * weights[-1]
            return f"{prefix}{bisect_right(weights, y)}"
        return f"{prefix}{int(self._rng['path'].random() * 10_000)}"

    def _request(self, user: str) -> None:
        now = self.env.now
        self.requests += 1
        token = self._token_of(user)
        path = self._path()  # drawn even for requests turned away: same seed, same paths in order
        check = check_token(token, now)
        if not check.ok:  # 401 at the edge
            self.rejected_auth += 1
            self.rejected_reasons[check.reason] = self.rejected_reasons.get(check.reason, 0) + 1
            return
        if not self.buckets[user].allow(now):  # 429
            self.rate_limited += 1
            if user not in self.abusive:
                self.rate_limited_normal += 1
            if self.rate_limited == 1:
                p = self.params
                self.note(f"{user} has spent its burst of {p['burst']}: beyond {p['rate']:g} req/s it gets 429", now)
            return
        if path.startswith(CACHEABLE) and self.cache.get(path, now) is not None:
            return  # answered from the gateway's memory
        service = self.router.route(path)
        ticket = self.breakers[service].allow(now)
        self._note_breaker(service)
        if ticket is None:  # 503 at once: the breaker is open
            self.short_circuited[service] += 1
            return
        rid = self._next_id
        self._next_id += 1
        req = Request(rid, now, self._rng["demand"].expovariate(1.0 / SERVICE_TIME), 0, rid)
        req.path = path
        self._pending[rid] = (service, ticket)
        self.forwarded[service] += 1
        self.services[service].inject(req)

    def _answered(self, sim, req, server) -> None:
        service, ticket = self._pending.pop(req.id)
        self._breaker_saw(service, ticket, True)
        if req.path.startswith(CACHEABLE):
            self.cache.put(req.path, "200 OK", self.env.now)

    def _errored(self, sim, req, server) -> None:
        service, ticket = self._pending.pop(req.id)
        self.failed[service] += 1
        self._breaker_saw(service, ticket, False)

    def _breaker_saw(self, service: str, ticket: int, ok: bool) -> None:
        if self.params["breaker"]:
            self.breakers[service].record(ticket, ok, self.env.now)
            self._note_breaker(service)

    def _note_breaker(self, service: str) -> None:
        """Log the breaker's state changes not logged yet, each at the time it happened."""
        breaker = self.breakers[service]
        for t, state in breaker.transitions[self._noted[service]:]:
            self.note(f"{service} breaker {state}{_why(state, breaker)}", t)
        self._noted[service] = len(breaker.transitions)

    def _break(self) -> None:
        for server in self.services[FAILING_SERVICE].servers:
            self.services[FAILING_SERVICE].break_app(server.name)
        self.in_flight_at_failure = self.services[FAILING_SERVICE].in_system
        self.note(f"the {FAILING_SERVICE} service starts failing: every call returns an error", self.env.now)

    def _heal(self) -> None:
        for server in self.services[FAILING_SERVICE].servers:
            self.services[FAILING_SERVICE].break_app(server.name, False)
        self.note(f"the {FAILING_SERVICE} service recovers", self.env.now)

    # -- ScenarioRun ----------------------------------------------------------------------------
    def _advance(self, t: float) -> None:
        if t > self.env.now:
            self.env.run(until=t)

    def breaker_state(self) -> str:
        state = self.breakers[FAILING_SERVICE].state_at(self.env.now)
        self._note_breaker(FAILING_SERVICE)
        return state

    def metrics(self) -> dict:
        p = self.params
        breaker = self.breakers[FAILING_SERVICE]
        self.breaker_state()
        opened = breaker.opened_at()
        closes = [t for t, s in breaker.transitions[1:] if s == CLOSED]
        trials = [t for t, s in breaker.transitions if s == HALF_OPEN]
        after_recovery = [t for t in trials if t >= p["recover_at"]]
        abusers = [self.buckets[u] for u in self.abusive]
        span = min(self.now, self.duration)
        return {
            "requests": self.requests,
            "rejected_auth": self.rejected_auth,
            "rejected_auth_expected": self.requests * p["bad_tokens"],
            "rate_limited": self.rate_limited,
            "rate_limited_normal": self.rate_limited_normal,
            "abuser_accepted_rate": (
                sum(b.accepted for b in abusers) / len(abusers) / span if abusers and span > 0 else None
            ),
            "cache_hits": self.cache.hits,
            "cache_hit_ratio": self.cache.hit_ratio,
            "cache_hit_ratio_expected": self.expected_hit_ratio(),
            "forwarded": sum(self.forwarded.values()),
            "failed": self.failed[FAILING_SERVICE],
            "short_circuited": self.short_circuited[FAILING_SERVICE],
            "breaker_opened_at": opened[0] if opened else None,
            "breaker_opens": len(opened),
            "breaker_closed_at": closes[-1] if closes and closes[-1] >= p["recover_at"] else None,
            "breaker_first_trial_at": trials[0] if trials else None,
            "breaker_trials": len(trials),
            "breaker_recovery_trial_at": after_recovery[0] if after_recovery else None,
            "breaker_history": ", ".join(f"{s} {t:.1f}" for t, s in breaker.transitions[1:]) or "closed",
        }

    def sample(self) -> dict:
        state = self.breaker_state()
        return {
            "breaker": state,
            "breaker_code": BREAKER_STATES.index(state),
            "breaker_trials": sum(  # half-opens so far: they can last less than a timeline step
                1 for _, s in self.breakers[FAILING_SERVICE].transitions if s == HALF_OPEN
            ),
            "rejected_auth": self.rejected_auth,
            "rate_limited": self.rate_limited,
            "cache_hits": self.cache.hits,
            "failed": self.failed[FAILING_SERVICE],
            "short_circuited": self.short_circuited[FAILING_SERVICE],
        }

    def panes(self) -> list[Pane]:
        state = self.breaker_state()
        broken = self.params["fail_at"] <= self.now < self.params["recover_at"]
        notes = {
            "users": "",
            "orders": ("failing; " if broken else "") + f"breaker {state}",
            "catalog": f"cache hits {self.cache.hit_ratio or 0:.0%}",
        }
        prefix = {service: prefix for prefix, service in ROUTES.items()}
        return [
            Pane(f"{name} service ({prefix[name]}*)", sim.snapshot(), notes[name])
            for name, sim in self.services.items()
        ]


def _why(state: str, breaker: CircuitBreaker) -> str:
    if state == OPEN:
        return f": calls fail fast for {breaker.cooloff:g} s"
    if state == HALF_OPEN:
        return f": cool-off over, up to {breaker.probes} trial calls go through"
    return f": {breaker.probes} trial calls succeeded"


SCENARIO = Scenario(
    name="gateway",
    section=6,
    title="An API gateway: auth, rate limits, a cache and a circuit breaker",
    summary=(
        "Users call /users/*, /orders/* and /products/* through a gateway. Requests with a forged or "
        "expired token get 401 at the edge; each user has a token bucket, so two abusive users get "
        "429 beyond their rate while everyone else is untouched; repeated catalog reads are "
        "answered from a cache; each path is routed to its service. Then the orders service fails "
        "for a while: its circuit breaker opens after a run of errors, fails calls fast, half-opens "
        "after a cool-off to let a few trial calls through, and closes once they succeed."
    ),
    look_for=(
        "Watch the orders breaker: after a few errors it opens and failed calls stop piling up, every "
        "cool-off it half-opens for a trial, and it closes soon after the service recovers; meanwhile "
        "401s, 429s and cache hits never reach any service's bars."
    ),
    params=(
        Param("users", 40, "well-behaved users", min=1, max=1000),
        Param("user_rate", 0.5, "requests per second each well-behaved user sends", min=0.01, max=10.0, unit="req/s"),
        Param("abusers", 2, "abusive users sending far above their limit", min=0, max=50),
        Param("abuse_rate", 20.0, "requests per second each abusive user sends", min=0.1, max=200.0, unit="req/s"),
        Param("bad_tokens", 0.05, "fraction of requests carrying a forged or expired token", min=0.0, max=1.0),
        Param("rate", 2.0, "token bucket refill: requests per second one user may sustain", min=0.1, max=100.0, unit="req/s"),
        Param("burst", 10, "token bucket size: requests one user may send at once after a quiet spell", min=1, max=1000, unit="requests"),
        Param("cache_ttl", 10.0, "how long a cached /products/ response stays fresh (0: no cache)", min=0.0, max=600.0, unit="s"),
        Param("fail_at", 40.0, "when the orders service starts answering every call with an error (at or after the run's end: never)", min=0.0, max=3600.0, unit="s"),
        Param("recover_at", 80.0, "when the orders service works again", min=0.0, max=3600.0, unit="s"),
        Param("breaker", True, "whether a circuit breaker guards each service"),
        Param("breaker_failures", 5, "failures in a row that open the breaker", min=1, max=100, unit="calls"),
        Param("breaker_cooloff", 10.0, "how long an open breaker fails calls fast before a trial", min=0.5, max=600.0, unit="s"),
        Param("breaker_probes", 3, "trial calls a half-open breaker lets through; all must succeed to close it", min=1, max=50, unit="calls"),
        Param("duration", 120.0, "simulated length of the run", min=10.0, max=3600.0, unit="s"),
    ),
    metrics=(
        Metric("requests", "requests", "requests that reached the gateway"),
        Metric("rejected_auth", "requests", "401: forged or expired token, rejected at the edge", label="rejected at the edge (401)|rejected at the edge (401)"),
        Metric("rejected_auth_expected", "requests", "bad_tokens x requests: what the token mix predicts"),
        Metric("rate_limited", "requests", "429: the user's token bucket was empty", label="rate-limited (429)|rate-limited (429)"),
        Metric("rate_limited_normal", "requests", "429s that hit well-behaved users (the abusers' do not spill over)"),
        Metric("abuser_accepted_rate", "req/s", "requests per second an abusive user got through (tends to rate)"),
        Metric("cache_hits", "requests", "/products/ reads answered from the gateway's cache", label="answered from cache|answered from cache"),
        Metric("cache_hit_ratio", "", "share of /products/ lookups that hit"),
        Metric("cache_hit_ratio_expected", "", "TTL cache theory: sum of r.(r.ttl)/(1 + r.ttl) over products, over sum of r"),
        Metric("forwarded", "requests", "requests routed on to a service"),
        Metric("failed", "requests", "calls that reached the failing orders service and got an error", label="call failed at the orders service|calls failed at the orders service"),
        Metric("short_circuited", "requests", "orders calls the open breaker failed fast, sparing the service", label="call failed fast by the breaker|calls failed fast by the breaker"),
        Metric("breaker_opened_at", "s", "when the orders breaker first opened (none: never)", label="breaker first opened at"),
        Metric("breaker_opens", "times", "how often the orders breaker opened (once, plus once per failed trial)"),
        Metric("breaker_closed_at", "s", "when the orders breaker closed again after the recovery (none: not yet)"),
        Metric("breaker_first_trial_at", "s", "when the orders breaker first half-opened to let a trial through (none: never)"),
        Metric("breaker_trials", "times", "how often the orders breaker half-opened for trials"),
        Metric("breaker_recovery_trial_at", "s", "the orders breaker's first half-open after the service recovered (none: not yet)"),
        Metric("breaker_history", "", "the orders breaker's state changes with their times in seconds"),
    ),
    run_class=GatewayRun,
    headline=("rejected_auth", "rate_limited", "cache_hits", "failed", "short_circuited", "breaker_opened_at"),
    chart=(
        ChartSeries("failed", "failed at orders", rate=True),
        ChartSeries("short_circuited", "failed fast", rate=True),
        ChartSeries("rate_limited", "rate-limited", rate=True),
    ),
    chart_title="requests per second",
    duration_param="duration",
    requests=lambda p: (p["users"] * p["user_rate"] + p["abusers"] * p["abuse_rate"]) * p["duration"],
)
