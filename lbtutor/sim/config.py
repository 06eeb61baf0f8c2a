"""The parameters of one simulation run, with validation that names the offending value."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

SERVICE_DISTS = ("exp", "det", "lognormal", "pareto", "bimodal")


class ConfigError(ValueError):
    """A parameter a person chose is not allowed; the message says which and why."""


@dataclass
class ServerSpec:
    """One backend server as configured (its live state lives in `server.Server`)."""

    name: str
    weight: float = 1.0
    speed: float = 1.0
    workers: int = 1
    queue_limit: int = 0  # waiting requests allowed; 0 = unbounded


@dataclass
class SimConfig:
    """Everything that determines a run. Same config (including seed) -> same numbers."""

    algorithm: str = "round-robin"
    servers: int = 4
    weights: list[float] | None = None
    speeds: list[float] | None = None
    workers: int = 1
    queue_limit: int = 0
    arrival_rate: float = 3.2  # requests per simulated second
    service_rate: float = 1.0  # per worker at speed 1 (mean demand = 1 / service_rate)
    service_dist: str = "exp"
    clients: int = 1000
    zipf: float = 0.0
    requests: int = 100_000
    warmup: int = 1_000
    seed: int = 1
    algorithm_options: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = None
        if self.weights is not None:
            n = len(self.weights)
        if self.speeds is not None:
            if n is not None and len(self.speeds) != n:
                raise ConfigError(
                    f"--speeds has {len(self.speeds)} values but --weights has {n}; give one per server"
                )
            n = len(self.speeds)
        if n is not None:
            self.servers = n

    def validate(self) -> SimConfig:
        from lbtutor.sim.balancers import ALGORITHMS

        if self.algorithm not in ALGORITHMS:
            raise ConfigError(
                f"unknown algorithm {self.algorithm!r}; choose one of: {', '.join(ALGORITHMS)}"
            )
        if self.servers < 1:
            raise ConfigError(f"--servers must be at least 1 (got {self.servers})")
        for label, values in (("weight", self.weights), ("speed", self.speeds)):
            for i, v in enumerate(values or []):
                if not math.isfinite(v) or v <= 0:
                    raise ConfigError(f"{label} of server {i + 1} must be a positive number (got {v:g})")
        _positive("--arrival-rate", self.arrival_rate)
        _positive("--service-rate", self.service_rate)
        if self.workers < 1:
            raise ConfigError(f"--workers must be at least 1 (got {self.workers})")
        if self.queue_limit < 0:
            raise ConfigError(f"--queue-limit must be 0 (unbounded) or more (got {self.queue_limit})")
        if self.service_dist not in SERVICE_DISTS:
            raise ConfigError(
                f"unknown service distribution {self.service_dist!r}; choose one of: {', '.join(SERVICE_DISTS)}"
            )
        if self.clients < 1:
            raise ConfigError(f"--clients must be at least 1 (got {self.clients})")
        if not math.isfinite(self.zipf) or self.zipf < 0:
            raise ConfigError(f"--zipf must be 0 (uniform) or more (got {self.zipf:g})")
        if self.requests < 1:
            raise ConfigError(f"--requests must be at least 1 (got {self.requests})")
        if self.warmup < 0 or self.warmup >= self.requests:
            raise ConfigError(
                f"--warmup must be at least 0 and below --requests ({self.requests}) (got {self.warmup})"
            )
        return self

    def server_specs(self) -> list[ServerSpec]:
        return [
            ServerSpec(
                name=server_name(i),
                weight=(self.weights[i] if self.weights else 1.0),
                speed=(self.speeds[i] if self.speeds else 1.0),
                workers=self.workers,
                queue_limit=self.queue_limit,
            )
            for i in range(self.servers)
        ]

    @property
    def capacity(self) -> float:
        """Requests per second all servers together can complete when fully busy."""
        speeds = self.speeds or [1.0] * self.servers
        return sum(speeds) * self.workers * self.service_rate

    @property
    def offered_load(self) -> float:
        """rho: arrival rate over capacity. At 1 or above, queues grow without bound."""
        return self.arrival_rate / self.capacity

    def to_dict(self) -> dict:
        d = asdict(self)
        d["weights"] = [s.weight for s in self.server_specs()]
        d["speeds"] = [s.speed for s in self.server_specs()]
        return d


def server_name(index: int) -> str:
    """s1, s2, ... : short enough for a load-bar label, stable for hashing."""
    return f"s{index + 1}"


def _positive(flag: str, value: float) -> None:
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{flag} must be a positive number (got {value:g})")
