"""What the UI (or a test) reads from a running simulation: plain frozen values, no live objects."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServerView:
    name: str
    state: str  # healthy | down | draining | starting
    in_rotation: bool
    weight: float
    speed: float
    workers: int
    active: int  # in service + queued
    busy: int  # in service
    queued: int
    served: int  # completions since the start (or since warm-up ended)
    utilization: float  # busy fraction over the recent window, 0..1
    peak_active: int
    utilization_total: float = 0.0  # busy fraction since the totals' start (or since it joined), 0..1


@dataclass(frozen=True, slots=True)
class LatencySummary:
    count: int
    mean: float | None
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None


@dataclass(frozen=True, slots=True)
class Totals:
    """Counts since `since`: the run's start, or the moment the count was restarted (a switch of
    algorithm). These converge to what theory and the lessons state; the recent window does not."""

    since: float
    arrived: int
    completed: int
    dropped: int
    failed: int
    mean_latency: float | None  # over the requests finished since `since`
    throughput: float  # completions per second since `since`
    utilization: float | None  # mean busy fraction of the servers in rotation since `since`


@dataclass(frozen=True, slots=True)
class Snapshot:
    time: float
    algorithm: str
    arrival_rate: float
    servers: tuple[ServerView, ...]
    arrived: int
    completed: int
    dropped: int
    failed: int
    in_flight: int
    recent: LatencySummary  # completions in the recent window
    throughput: float  # completions per second over the recent window
    window: float  # seconds the recent figures cover
    jain: float | None  # fairness of recent utilisation across servers in rotation
    max_over_mean: float | None
    offered_load: float  # arrival rate / capacity of servers in rotation (inf if none)
    theory: dict | None
    total: Totals | None = None  # the same run counted since its start (see Totals)
    window_dropped: int = 0  # requests dropped within the recent window
    window_failed: int = 0  # requests failed within the recent window
    picks: tuple[str, ...] = ()  # the latest servers picked, oldest first (see record_picks)
