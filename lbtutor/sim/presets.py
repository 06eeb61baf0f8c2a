"""Traffic presets for the lab, and `LabSetup`: everything that determines a lab run.

A preset is data: the servers, the request mix and the offered load of one classic situation
(identical servers, mixed sizes, long-lived connections, a few heavy clients, bursts). A
`LabSetup` starts from a preset and records what the learner changed; it builds one simulation
per algorithm, all with the same seed, so compared algorithms see identical traffic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from lbtutor.sim.balancers import ALGORITHMS
from lbtutor.sim.config import SERVICE_DISTS, ConfigError, SimConfig
from lbtutor.sim.traffic import Traffic

MAX_SERVERS = 256
MAX_SIDES = 4  # algorithms compared side by side
MAX_RATE = 100_000.0  # requests per simulated second the lab accepts
MIN_RATE = 0.01
WEIGHT_RANGE = (0.05, 1000.0)
# Past capacity a queue with no limit ("0: none") grows by every arrival: at 100,000 req/s and
# 100x the lab held millions of requests (gigabytes) within a minute. So even then it stops here:
# waiting requests a simulation may hold, shared out among its servers; past it they are dropped.
LAB_QUEUE_CAP = 200_000
SPEED_RANGE = (0.05, 100.0)

LONG_PATH = "/ws"  # the path long-lived connections carry
SERVICE_DIST_NAMES = {
    "exp": "exponential (memoryless)",
    "det": "constant (every request the same)",
    "lognormal": "lognormal (a long right tail)",
    "pareto": "Pareto (heavy tail: a few huge requests)",
    "bimodal": "bimodal (5% last 100× longer)",
}


@dataclass(frozen=True)
class Bursts:
    """Arrivals come in bursts: `factor` times the rate for `length` seconds every `period`
    seconds, and a lower rate in between chosen so the average stays the nominal rate."""

    period: float = 10.0
    length: float = 2.0
    factor: float = 3.0

    @property
    def quiet_factor(self) -> float:
        return (self.period - self.factor * self.length) / (self.period - self.length)


@dataclass(frozen=True)
class Preset:
    """One classic traffic situation, as data."""

    name: str
    title: str
    look_for: str  # one sentence: what this preset makes visible
    speeds: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0)
    weights: tuple[float, ...] | None = None  # None: all 1
    workers: int = 4
    service_rate: float = 5.0  # per worker at speed 1: mean demand 1/5 s
    service_dist: str = "exp"
    load: float = 0.8  # offered load (rho) the arrival rate is set to
    queue_limit: int = 0
    clients: int = 1000
    zipf: float = 0.0
    bursts: Bursts | None = None
    long_fraction: float = 0.0  # share of requests that are long-lived connections
    long_mean: float = 0.0  # their mean length, seconds of work at speed 1

    @property
    def mean_demand(self) -> float:
        return (1 - self.long_fraction) / self.service_rate + self.long_fraction * self.long_mean

    @property
    def capacity(self) -> float:
        return sum(self.speeds) * self.workers / self.mean_demand

    @property
    def arrival_rate(self) -> float:
        return round(self.load * self.capacity, 2)


PRESETS: tuple[Preset, ...] = (
    Preset(
        "identical",
        "Identical servers, short requests",
        "Every algorithm does about as well here: the servers are equal and requests are short.",
    ),
    Preset(
        "mixed-sizes",
        "Mixed server sizes",
        "One big server and three small ones: round robin overloads the small ones, weights fix it.",
        speeds=(4.0, 2.0, 1.0, 1.0),
        weights=(4.0, 2.0, 1.0, 1.0),
        queue_limit=32,
    ),
    Preset(
        "long-lived",
        "Long-lived connections",
        "One request in 200 is a connection that stays a minute; round robin piles them up, least connections does not.",
        workers=8,
        load=0.7,
        queue_limit=16,
        long_fraction=0.005,
        long_mean=60.0,
    ),
    Preset(
        "heavy-clients",
        "A few heavy clients",
        "Twelve clients, two of them sending most requests: hashing by client address overloads a server.",
        clients=12,
        zipf=1.2,
        load=0.7,
        queue_limit=32,
    ),
    Preset(
        "bursts",
        "Bursts",
        "Traffic triples for 2 s in every 10: queues build in each burst and drain after it.",
        load=0.7,
        queue_limit=32,
        bursts=Bursts(),
    ),
)
PRESET_NAMES = tuple(p.name for p in PRESETS)


def preset(name: str) -> Preset:
    for p in PRESETS:
        if p.name == name:
            return p
    raise ConfigError(f"unknown traffic preset {name!r}; choose one of: {', '.join(PRESET_NAMES)}")


class LabTraffic(Traffic):
    """The lab's request stream: Poisson arrivals, optionally in bursts (the rate follows the
    burst pattern and `rate` stays the average), optionally with a share of long-lived
    connections mixed into the short requests (drawn from the seeded mix stream)."""

    def __init__(
        self, rate: float, *, bursts: Bursts | None = None, long_fraction: float = 0.0,
        long_mean: float = 0.0, **kwargs,
    ) -> None:
        self.bursts = bursts
        if bursts is not None:
            kwargs.update(rate_fn=self._rate_at, rate_max=rate * bursts.factor)
        super().__init__(rate, **kwargs)
        self.long_fraction = long_fraction
        self._long_rate = 1.0 / long_mean if long_fraction > 0 else 0.0
        self._decorates = long_fraction > 0
        if long_fraction > 0:
            # The true mean, so windows and offered load are right; and a label that keeps the
            # engine's theory (which assumes one exponential distribution) from claiming a fit.
            self.service_mean = (1 - long_fraction) * self.service_mean + long_fraction * long_mean
            self.service_dist = f"{self.service_dist}+long-lived"

    def _rate_at(self, t: float) -> float:
        b = self.bursts
        assert b is not None
        factor = b.factor if (t % b.period) < b.length else b.quiet_factor
        return self._rate * factor

    @property
    def rate(self) -> float:
        return self._rate

    @rate.setter
    def rate(self, value: float) -> None:
        self._rate = value
        if self.bursts is not None:
            self.rate_max = value * self.bursts.factor

    def decorate(self, req, rng) -> None:
        if rng.random() < self.long_fraction:
            req.path = LONG_PATH
            req.demand = rng.expovariate(self._long_rate)


@dataclass(frozen=True)
class ServerSetup:
    weight: float = 1.0
    speed: float = 1.0
    down: bool = False


@dataclass(frozen=True)
class LabSetup:
    """What a lab run is made of. Same setup (seed included) -> the same run, to the last digit."""

    preset: str = "identical"
    algorithms: tuple[str, ...] = ("round-robin",)
    arrival_rate: float = PRESETS[0].arrival_rate
    service_dist: str = "exp"
    servers: tuple[ServerSetup, ...] = field(default_factory=lambda: tuple(ServerSetup() for _ in range(4)))
    seed: int = 1
    # None: as the preset has it. Set when a lesson's lab opens in the lab with its own shape.
    workers: int | None = None
    service_rate: float | None = None
    queue_limit: int | None = None
    clients: int | None = None
    zipf: float | None = None

    @classmethod
    def from_config(cls, config: SimConfig, algorithms: tuple[str, ...] | None = None) -> LabSetup:
        """The lab setup of an engine config (a lesson's lab block, `lbtutor sim` options)."""
        servers = tuple(ServerSetup(s.weight, s.speed) for s in config.server_specs())
        base = preset("identical")
        return cls(
            "identical", tuple(algorithms or (config.algorithm,))[:MAX_SIDES], config.arrival_rate,
            config.service_dist, servers, config.seed,
            workers=None if config.workers == base.workers else config.workers,
            service_rate=None if config.service_rate == base.service_rate else config.service_rate,
            queue_limit=None if config.queue_limit == base.queue_limit else config.queue_limit,
            clients=None if config.clients == base.clients else config.clients,
            zipf=None if config.zipf == base.zipf else config.zipf,
        ).validate()

    @property
    def shape(self) -> Preset:
        """The preset with this setup's own workers, service rate, queue limit and clients."""
        p = preset(self.preset)
        changes = {
            k: getattr(self, k)
            for k in ("workers", "service_rate", "queue_limit", "clients", "zipf")
            if getattr(self, k) is not None
        }
        return replace(p, **changes) if changes else p

    # ------------------------------------------------------------ building
    @classmethod
    def from_preset(cls, name: str, algorithms: tuple[str, ...] = ("round-robin",), seed: int = 1) -> LabSetup:
        p = preset(name)
        weights = p.weights or (1.0,) * len(p.speeds)
        servers = tuple(ServerSetup(w, s) for w, s in zip(weights, p.speeds, strict=True))
        return cls(name, tuple(algorithms), p.arrival_rate, p.service_dist, servers, seed).validate()

    def validate(self) -> LabSetup:
        preset(self.preset)
        if not 1 <= len(self.algorithms) <= MAX_SIDES:
            raise ConfigError(f"compare 1 to {MAX_SIDES} algorithms (got {len(self.algorithms)})")
        for slug in self.algorithms:
            if slug not in ALGORITHMS:
                raise ConfigError(f"unknown algorithm {slug!r}; choose one of: {', '.join(ALGORITHMS)}")
        check_rate(self.arrival_rate)
        if self.service_dist not in SERVICE_DISTS:
            raise ConfigError(
                f"unknown service distribution {self.service_dist!r}; choose one of: {', '.join(SERVICE_DISTS)}"
            )
        if len(self.servers) > MAX_SERVERS:
            raise ConfigError(f"the lab runs at most {MAX_SERVERS} servers (got {len(self.servers)})")
        for s in self.servers:
            check_weight(s.weight)
            check_speed(s.speed)
        shape = self.shape
        if not isinstance(shape.workers, int) or not 1 <= shape.workers <= 1000:
            raise ConfigError(f"workers per server must be from 1 to 1000 (got {shape.workers!r})")
        if not _number(shape.service_rate) or not 0.001 <= shape.service_rate <= 10_000:
            raise ConfigError(f"the service rate must be from 0.001 to 10,000 per second (got {_show(shape.service_rate)})")
        if not isinstance(shape.queue_limit, int) or not 0 <= shape.queue_limit <= 100_000:
            raise ConfigError(f"the queue limit must be from 0 (none) to 100,000 (got {shape.queue_limit!r})")
        if not isinstance(shape.clients, int) or not 1 <= shape.clients <= 1_000_000:
            raise ConfigError(f"the number of clients must be from 1 to 1,000,000 (got {shape.clients!r})")
        if not _number(shape.zipf) or not 0 <= shape.zipf <= 10:
            raise ConfigError(f"the client skew (zipf) must be from 0 to 10 (got {_show(shape.zipf)})")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or not 0 <= self.seed < 2**63:
            raise ConfigError(f"the seed must be a whole number from 0 up (got {self.seed!r})")
        return self

    def config(self, algorithm: str) -> SimConfig:
        p = self.shape
        n = len(self.servers)
        return SimConfig(
            algorithm=algorithm,
            servers=max(1, n),
            weights=[s.weight for s in self.servers] or None,
            speeds=[s.speed for s in self.servers] or None,
            workers=p.workers,
            queue_limit=lab_queue_limit(p.queue_limit, n),
            arrival_rate=self.arrival_rate,
            service_rate=1.0 / p.mean_demand,
            service_dist=self.service_dist,
            clients=p.clients,
            zipf=p.zipf,
            seed=self.seed,
        )

    def traffic(self, *, record: bool = False) -> Traffic:
        """A fresh request stream for this setup; every call with the same seed is identical."""
        p = self.shape
        kwargs = dict(
            service_dist=self.service_dist, service_mean=1.0 / p.service_rate,
            clients=p.clients, zipf=p.zipf, seed=self.seed,
        )
        traffic = LabTraffic(
            self.arrival_rate, bursts=p.bursts, long_fraction=p.long_fraction, long_mean=p.long_mean, **kwargs
        )
        if record:
            _record_requests(traffic)
        return traffic

    def build(self, make: Callable, *, record: bool = False) -> list:
        """One simulation per algorithm via make(config, traffic=...), all on identical traffic.

        A setup with no servers starts with one and removes it at once (the engine needs one)."""
        sims = []
        for slug in self.algorithms:
            sim = make(self.config(slug), traffic=self.traffic(record=record))
            if not self.servers:
                sim.remove_server(sim.servers[0].name)
            for server, spec in zip(list(sim.servers), self.servers, strict=False):
                if spec.down:
                    sim.take_down(server.name)
            sims.append(sim)
        return sims

    # ------------------------------------------------------------ changing
    def with_(self, **changes) -> LabSetup:
        return replace(self, **changes).validate()

    @property
    def offered_load(self) -> float:
        p = self.shape
        capacity = sum(s.speed for s in self.servers if not s.down) * p.workers / p.mean_demand
        return self.arrival_rate / capacity if capacity > 0 else math.inf


def _record_requests(traffic: Traffic) -> None:
    """Make `traffic` keep (arrival time, demand, client) of every request in `traffic.recorded`."""
    recorded: list[tuple[float, float, int]] = []
    issue = traffic.make_request

    def make_request(rid, now):
        req = issue(rid, now)
        recorded.append((req.arrival, req.demand, req.client))
        return req

    traffic.recorded = recorded  # type: ignore[attr-defined]
    traffic.make_request = make_request  # type: ignore[method-assign]


def lab_queue_limit(limit: int, servers: int) -> int:
    """The queue limit a lab server runs with: the one set, within its share of LAB_QUEUE_CAP."""
    share = max(1, LAB_QUEUE_CAP // max(1, servers))
    return min(limit, share) if limit else share


def check_rate(rate: float) -> float:
    if not _number(rate) or not MIN_RATE <= rate <= MAX_RATE:
        raise ConfigError(
            f"the arrival rate must be from {MIN_RATE:g} to {MAX_RATE:,.0f} requests/s (got {_show(rate)})"
        )
    return float(rate)


def check_weight(weight: float) -> float:
    lo, hi = WEIGHT_RANGE
    if not _number(weight) or not lo <= weight <= hi:
        raise ConfigError(f"a weight must be from {lo:g} to {hi:g} (got {_show(weight)})")
    return round(float(weight), 2)  # to hundredths, as a scenario code holds it: the code reproduces the run


def check_speed(speed: float) -> float:
    lo, hi = SPEED_RANGE
    if not _number(speed) or not lo <= speed <= hi:
        raise ConfigError(f"a speed must be from {lo:g}× to {hi:g}× (got {_show(speed)})")
    return round(float(speed), 2)  # to hundredths, as above


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _show(value) -> str:
    return f"{value:g}" if _number(value) else repr(value)
