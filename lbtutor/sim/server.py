"""A backend server's live state: worker slots, a FIFO queue, and the counters metrics need."""

from __future__ import annotations

from collections import deque

HEALTHY = "healthy"
DOWN = "down"
DRAINING = "draining"
STARTING = "starting"

# How a server whose host is up can fail (`Simulation.set_fault`); a host that is gone is state DOWN.
REFUSE = "refuse"  # the process is gone: connections are refused at once
HANG = "hang"  # the process accepts connections and never answers
APP_ERROR = "app-error"  # the process answers every request with an error (a 500) at once
FAULTS = (REFUSE, HANG, APP_ERROR)


class Request:
    """One request: when it arrived, who sent it, how much work it carries."""

    __slots__ = (
        "id", "arrival", "demand", "client", "key", "path", "session", "start", "epoch", "measured",
        "server",
    )

    def __init__(self, rid: int, arrival: float, demand: float, client: int, key: int) -> None:
        self.id = rid
        self.arrival = arrival
        self.demand = demand  # seconds of work at speed 1
        self.client = client  # index into the client population
        self.key = key  # stable 64-bit hash used by hashing balancers
        self.path = "/"
        self.session = None
        self.start = 0.0
        self.epoch = 0
        self.measured = True
        self.server: Server | None = None


class Server:
    """A server as the engine runs it. Balancers read `active`, `weight`, `ramp`; nothing else."""

    __slots__ = (
        "name", "index", "weight", "speed", "workers", "queue_limit", "state", "in_rotation",
        "busy", "queue", "active", "epoch", "ramp",
        "served", "latency_sum", "peak_active", "busy_area", "area_since", "created_at",
        "total_served", "fault",
    )

    def __init__(self, spec, index: int, now: float = 0.0) -> None:
        self.name = spec.name
        self.index = index
        self.weight = spec.weight
        self.speed = spec.speed
        self.workers = spec.workers
        self.queue_limit = spec.queue_limit
        self.state = HEALTHY
        self.in_rotation = True  # whether the balancer sends it new requests
        self.busy = 0  # workers serving a request
        self.queue: deque[Request] = deque()
        self.active = 0  # busy + queued: the "connections" least-connections counts
        self.epoch = 0  # bumped when the server dies, so completions scheduled before are void
        self.ramp = 1.0  # slow-start factor in (0, 1]; effective weight = weight * ramp
        self.served = 0  # completions in the measured window
        self.total_served = 0
        self.latency_sum = 0.0
        self.peak_active = 0
        self.busy_area = 0.0  # integral of busy workers over time, up to area_since
        self.area_since = now
        self.created_at = now
        self.fault: str | None = None  # one of FAULTS while the host is up but the process fails

    def area_at(self, now: float) -> float:
        """Busy worker-seconds from creation until `now`."""
        return self.busy_area + self.busy * (now - self.area_since)

    def set_busy(self, busy: int, now: float) -> None:
        self.busy_area += self.busy * (now - self.area_since)
        self.area_since = now
        self.busy = busy

    @property
    def app_broken(self) -> bool:
        """The process is up (its port accepts connections) but answers every request with an error."""
        return self.fault == APP_ERROR

    @property
    def effective_weight(self) -> float:
        return self.weight * self.ramp

    @property
    def capacity(self) -> int:
        """Connections it holds without queueing."""
        return self.workers

    def __repr__(self) -> str:
        return f"<Server {self.name} {self.state} active={self.active}>"
