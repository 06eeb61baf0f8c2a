"""What a real run is made of: servers, traffic, health checks, breaks and heals, with limits.

The same setup drives the real balancer and the simulator beside it. Every check raises
`ConfigError` with one sentence naming the flag and the value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

from lbtutor.real import algorithms
from lbtutor.real.binaries import BALANCERS, PRINTABLE
from lbtutor.sim.config import SERVICE_DISTS, ConfigError, SimConfig, server_name

MAX_DURATION = 600.0  # seconds of real traffic a run may ask for
MAX_RATE = 2000.0  # requests per second the generator may be asked for
MAX_SERVERS = 16
MAX_WORKERS = 64
MAX_CLIENTS = 10_000  # source addresses spread over 127.0.0.0/8
MAX_WEIGHT = 256  # HAProxy's limit; nginx takes any positive whole number
DEFAULT_LOAD = 0.6  # arrival rate = 60% of capacity unless --arrival-rate says otherwise
MODES = ("refuse", "hang", "app-error", "slow")
DEFAULT_SLOW = 4.0  # "slow" alone: service times x 4


@dataclass(frozen=True)
class Break:
    """At `at` seconds, server `server` fails in `mode` ("slow" multiplies service by `factor`)."""

    server: str
    mode: str
    at: float
    factor: float = 1.0


@dataclass(frozen=True)
class Heal:
    server: str
    at: float


@dataclass(frozen=True)
class RealSetup:
    balancer: str = "haproxy"
    algorithm: str = "round-robin"
    servers: int = 4
    weights: tuple[int, ...] | None = None
    workers: int = 2
    arrival_rate: float | None = None  # None: DEFAULT_LOAD of capacity
    service_rate: float = 50.0  # per worker: 20 ms mean
    service_dist: str = "exp"
    clients: int = 100
    check: str = "http"
    check_interval: float = 2.0
    check_timeout: float | None = None  # None: no `timeout check` (HAProxy reads for `inter`)
    fall: int = 3
    rise: int = 2
    slowstart: float = 0.0
    max_fails: int = 1  # nginx
    fail_timeout: float = 10.0  # nginx, whole seconds
    request_timeout: float = 10.0  # HAProxy timeout server, nginx proxy_read_timeout, the sim's
    breaks: tuple[Break, ...] = ()
    heals: tuple[Heal, ...] = ()
    duration: float = 20.0
    seed: int = 1
    given: frozenset[str] = field(default_factory=frozenset)  # flags the person set explicitly

    # ---------------------------------------------------------------- derived
    @property
    def names(self) -> list[str]:
        return [server_name(i) for i in range(self.server_count)]

    @property
    def server_count(self) -> int:
        return len(self.weights) if self.weights else self.servers

    @property
    def weight_list(self) -> list[int]:
        return list(self.weights) if self.weights else [1] * self.server_count

    @property
    def capacity(self) -> float:
        return self.server_count * self.workers * self.service_rate

    @property
    def rate(self) -> float:
        return self.arrival_rate if self.arrival_rate is not None else DEFAULT_LOAD * self.capacity

    def with_changes(self, **changes) -> RealSetup:
        return replace(self, **changes).validate()

    # ---------------------------------------------------------------- checks
    def validate(self, *, printable: bool = False) -> RealSetup:
        allowed = PRINTABLE if printable else BALANCERS
        if self.balancer not in allowed:
            raise ConfigError(f"--balancer must be one of {', '.join(allowed)} (got {self.balancer!r})")
        algorithms.check(self.balancer, self.algorithm)
        if not 1 <= self.server_count <= MAX_SERVERS:
            raise ConfigError(f"--servers must be 1 to {MAX_SERVERS} (got {self.server_count})")
        for i, w in enumerate(self.weight_list):
            if not (isinstance(w, int) and 1 <= w <= MAX_WEIGHT):
                raise ConfigError(
                    f"weight of server {i + 1} must be a whole number from 1 to {MAX_WEIGHT} "
                    f"(got {w!r}): HAProxy and nginx take whole weights")
        if not 1 <= self.workers <= MAX_WORKERS:
            raise ConfigError(f"--workers must be 1 to {MAX_WORKERS} (got {self.workers})")
        _positive("--service-rate", self.service_rate)
        if self.service_dist not in SERVICE_DISTS:
            raise ConfigError(f"--service-dist must be one of {', '.join(SERVICE_DISTS)} "
                              f"(got {self.service_dist!r})")
        rate = self.rate
        _positive("--arrival-rate", rate)
        if rate > MAX_RATE:
            raise ConfigError(f"--arrival-rate must be at most {MAX_RATE:,.0f} req/s "
                              f"(got {rate:g}): one machine's generator, balancer and backends")
        if not 0 < self.duration <= MAX_DURATION:
            raise ConfigError(f"--duration must be above 0 and at most {MAX_DURATION:g} s (got {self.duration:g})")
        if not 1 <= self.clients <= MAX_CLIENTS:
            raise ConfigError(f"--clients must be 1 to {MAX_CLIENTS:,} (got {self.clients})")
        if self.check not in ("tcp", "http"):
            raise ConfigError(f"--check must be tcp or http (got {self.check!r})")
        _positive("--check-interval", self.check_interval)
        if self.check_timeout is not None:
            _positive("--check-timeout", self.check_timeout)
        for flag, n in (("--fall", self.fall), ("--rise", self.rise), ("--max-fails", self.max_fails)):
            if not 1 <= n <= 100:
                raise ConfigError(f"{flag} must be 1 to 100 (got {n})")
        if not (math.isfinite(self.slowstart) and 0 <= self.slowstart <= MAX_DURATION):
            raise ConfigError(f"--slowstart must be 0 (off) to {MAX_DURATION:g} s (got {self.slowstart:g})")
        if not (self.fail_timeout >= 1 and float(self.fail_timeout).is_integer()):
            raise ConfigError(f"--fail-timeout must be a whole number of seconds, at least 1 "
                              f"(got {self.fail_timeout:g}): nginx counts in whole seconds")
        _positive("--request-timeout", self.request_timeout)
        self._check_balancer_flags()
        names = set(self.names)
        for ev in (*self.breaks, *self.heals):
            flag = "--break" if isinstance(ev, Break) else "--heal"
            if ev.server not in names:
                raise ConfigError(f"{flag}: no server named {ev.server!r}; servers are {', '.join(self.names)}")
            if not 0 <= ev.at < self.duration:
                raise ConfigError(f"{flag} {ev.server}@{ev.at:g}: the time must be from 0 to below "
                                  f"--duration ({self.duration:g} s)")
        return self

    def _check_balancer_flags(self) -> None:
        nginx_only = {"max_fails": "--max-fails", "fail_timeout": "--fail-timeout"}
        active_checks = {"check_interval": "--check-interval", "check_timeout": "--check-timeout",
                         "fall": "--fall", "rise": "--rise", "check": "--check"}
        if self.balancer == "nginx":
            for key, flag in active_checks.items():
                if key in self.given:
                    raise ConfigError(
                        f"{flag} does not apply to nginx: open-source nginx has no active health "
                        "checks, only passive ones (--max-fails, --fail-timeout)")
            if self.slowstart or "slowstart" in self.given:
                raise ConfigError("--slowstart does not apply to nginx: slow_start is NGINX Plus only")
        else:
            for key, flag in nginx_only.items():
                if key in self.given:
                    raise ConfigError(f"{flag} is nginx's passive check; {self.balancer} probes "
                                      "actively (--check-interval, --fall, --rise)")

    # ---------------------------------------------------------------- the simulator's view
    def sim_config(self) -> SimConfig:
        """The engine's config of the same setup (algorithm, servers, weights, traffic, seed)."""
        return SimConfig(
            algorithm=self.algorithm, servers=self.server_count,
            weights=[float(w) for w in self.weight_list], workers=self.workers,
            arrival_rate=self.rate, service_rate=self.service_rate,
            service_dist=self.service_dist, clients=self.clients, seed=self.seed,
        )


def _positive(flag: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ConfigError(f"{flag} must be a positive number (got {value!r})")


_EVENT = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*(?:=\s*([a-z-]+?)(?:x(\d+(?:\.\d+)?))?)?\s*@\s*([0-9.]+)\s*$")


def parse_break(text: str) -> Break:
    """NAME=MODE@T, MODE one of refuse, hang, app-error, slow (x4) or slowxK (x K): s1=hang@5."""
    m = _EVENT.match(text)
    if not m or not m.group(2):
        raise ConfigError(f"--break expects NAME=MODE@SECONDS, e.g. s1=hang@5 (got {text!r})")
    name, mode, factor, at = m.groups()
    if mode not in MODES:
        raise ConfigError(f"--break {text!r}: the mode must be one of {', '.join(MODES)} (slowxK for x K)")
    if factor is not None and mode != "slow":
        raise ConfigError(f"--break {text!r}: only slow takes a factor (slowx8)")
    k = float(factor) if factor is not None else (DEFAULT_SLOW if mode == "slow" else 1.0)
    if mode == "slow" and not 1 <= k <= 1000:
        raise ConfigError(f"--break {text!r}: the slow factor must be 1 to 1000")
    return Break(name, mode, _seconds(at, "--break", text), k)


def parse_heal(text: str) -> Heal:
    m = _EVENT.match(text)
    if not m or m.group(2):
        raise ConfigError(f"--heal expects NAME@SECONDS, e.g. s1@15 (got {text!r})")
    return Heal(m.group(1), _seconds(m.group(4), "--heal", text))


def _seconds(text: str, flag: str, whole: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{flag} {whole!r}: {text!r} is not a number of seconds") from None
    if not math.isfinite(value):
        raise ConfigError(f"{flag} {whole!r}: {text!r} is not a number of seconds")
    return value


def from_lab(lab, balancer: str = "haproxy") -> tuple[RealSetup, list[str]]:
    """The real setup of a lab sandbox's setup (`lbtutor.sim.presets.LabSetup`), and a sentence
    for each thing the real run cannot carry over (it sends Poisson traffic to equal machines)."""
    shape = lab.shape
    notes = []
    weights = []
    breaks = []
    for i, server in enumerate(lab.servers):
        w = max(1, min(MAX_WEIGHT, round(server.weight)))
        if w != server.weight:
            notes.append(f"weights are whole numbers on a real balancer: {server.weight:g} became {w}")
        weights.append(w)
        name = server_name(i)
        if server.down:
            breaks.append(Break(name, "refuse", 0.0))
        elif server.speed < 1:
            breaks.append(Break(name, "slow", 0.0, round(1 / server.speed, 2)))
        elif server.speed > 1:
            notes.append(f"{name} is {server.speed:g}x faster in the lab; real backends serve at one speed")
    if shape.queue_limit:
        notes.append("queue limits are not carried over: the real backends queue every request")
    if shape.bursts is not None or shape.long_fraction:
        notes.append("the real generator sends plain Poisson traffic: bursts and long-lived connections stay in the lab")
    if shape.zipf:
        notes.append("every client sends alike here (no Zipf skew)")
    rate = min(lab.arrival_rate, MAX_RATE)
    if rate < lab.arrival_rate:
        notes.append(f"the rate is capped at {MAX_RATE:,.0f} req/s")
    setup = RealSetup(
        balancer=balancer, algorithm=lab.algorithms[0], weights=tuple(weights[:MAX_SERVERS]),
        workers=min(shape.workers, MAX_WORKERS), arrival_rate=rate, service_rate=shape.service_rate,
        service_dist=lab.service_dist, clients=min(shape.clients, MAX_CLIENTS), seed=lab.seed,
        breaks=tuple(breaks),
    )
    return setup.validate(), list(dict.fromkeys(notes))
