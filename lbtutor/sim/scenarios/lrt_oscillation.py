"""Scenario `lrt-oscillation` (section 2): least response time on stale numbers herds traffic.

Two pools see identical traffic (same seed: same arrivals and demands). One balancer picks the
server with the lowest expected response time (its latency average x connections), read from a
table republished every `refresh` seconds, as a dashboard or a shared metrics store would be.
Between refreshes every request goes to the same "fastest" server, which floods; at the next
refresh another server looks fastest and the flood moves on. The other balancer uses power of two
choices on live connection counts and never sends everyone to one place.
"""

from __future__ import annotations

import simpy

from lbtutor.sim.config import SimConfig
from lbtutor.sim.engine import Simulation
from lbtutor.sim.scenarios.base import ChartSeries, Metric, Pane, Param, Scenario, ScenarioRun
from lbtutor.sim.scenarios.toolkit import (
    lab_simulation,
    p99,
    peak_connections,
    record_latencies,
    sent_to,
)

SERVICE_TIME = 0.1  # seconds of work per request: 100 ms
SLOT = 1.0  # seconds: herding is measured on each second's arrivals
HERD_SHARE = 0.75  # a second in which one server got this share of arrivals is a herd
HERD_NOTES = 5


class ShareMeter:
    """Every SLOT seconds, the share of that slot's arrivals that went to the most-chosen server."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.shares: list[float] = []
        self.top: list[str] = []
        self._last = self._admitted()
        sim.env.process(self._measure())

    def _admitted(self) -> dict[str, int]:
        # No drops or failures in this scenario: every arrival is served or still there.
        return {s.name: sent_to(s) for s in self.sim.servers}

    def _measure(self):
        while True:
            yield self.sim.env.timeout(SLOT)
            now = self._admitted()
            arrivals = {name: now[name] - self._last.get(name, 0) for name in now}
            self._last = now
            total = sum(arrivals.values())
            if total:
                name = max(arrivals, key=lambda n: (arrivals[n], n))
                self.shares.append(arrivals[name] / total)
                self.top.append(name)

    @property
    def herding(self) -> float | None:
        """Mean over slots of the busiest server's share (1/servers = even, 1 = all to one)."""
        return sum(self.shares) / len(self.shares) if self.shares else None

    @property
    def latest(self) -> float | None:
        return self.shares[-1] if self.shares else None


class LrtOscillationRun(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        p = params
        self.env = simpy.Environment()

        def pool(algorithm: str, **options: float) -> Simulation:
            config = SimConfig(
                algorithm=algorithm, servers=p["servers"], arrival_rate=p["rate"],
                service_rate=1.0 / SERVICE_TIME, seed=seed, algorithm_options=options,
            )
            return lab_simulation(config, env=self.env)

        self.lrt = pool("least-response-time", refresh=p["refresh"], alpha=p["alpha"])
        self.p2c = pool("power-of-two-choices")
        self.lrt_latencies = record_latencies(self.lrt)
        self.p2c_latencies = record_latencies(self.p2c)
        self.lrt_shares = ShareMeter(self.lrt)
        self.p2c_shares = ShareMeter(self.p2c)
        self._herds_seen = 0

    def _advance(self, t: float) -> None:
        if t > self.env.now:
            self.env.run(until=t)
        self._note_herds()

    def _note_herds(self) -> None:
        meter = self.lrt_shares
        while self._herds_seen < len(meter.shares):
            i = self._herds_seen
            self._herds_seen += 1
            share = meter.shares[i]
            if share >= HERD_SHARE and len(self.log) < HERD_NOTES:
                self.note(
                    f"least response time sent {share:.0%} of the requests between {i} s and "
                    f"{i + 1} s to {meter.top[i]}", at=(i + 1) * SLOT,
                )

    def metrics(self) -> dict:
        return {
            "herding_lrt": self.lrt_shares.herding,
            "herding_p2c": self.p2c_shares.herding,
            "even_share": 1.0 / self.params["servers"],
            "p99_lrt": p99(self.lrt_latencies),
            "p99_p2c": p99(self.p2c_latencies),
            "peak_connections_lrt": peak_connections(self.lrt),
            "peak_connections_p2c": peak_connections(self.p2c),
        }

    def sample(self) -> dict:
        return {
            "lrt_share": self.lrt_shares.latest,
            "p2c_share": self.p2c_shares.latest,
            "lrt_busiest": max(s.active for s in self.lrt.servers),
            "p2c_busiest": max(s.active for s in self.p2c.servers),
        }

    def panes(self) -> list[Pane]:
        refresh = self.params["refresh"]
        stale = f"numbers refreshed every {refresh:g} s" if refresh > 0 else "live numbers"
        return [
            Pane(f"least response time ({stale})", self.lrt.snapshot(),
                 note=_share_note(self.lrt_shares)),
            Pane("power of two choices (live connection counts)", self.p2c.snapshot(),
                 note=_share_note(self.p2c_shares)),
        ]


def _share_note(meter: ShareMeter) -> str:
    if meter.latest is None:
        return ""
    return f"last second: {meter.latest:.0%} of requests went to {meter.top[-1]}"


SCENARIO = Scenario(
    name="lrt-oscillation",
    section=2,
    title="Least response time oscillates on stale numbers",
    summary=(
        "Four equal servers, 28 req/s of 100 ms requests (70% busy), the same traffic into two "
        "balancers. Least response time picks the server whose published response time x "
        "connections is lowest, from numbers refreshed every `refresh` seconds; power of two "
        "choices compares the live connection counts of two random servers."
    ),
    look_for=(
        "Watch the least-response-time bars: one server fills up while the others drain, then the "
        "flood jumps to another server at the next refresh; the power-of-two-choices bars stay "
        "level, and its p99 stays low."
    ),
    params=(
        Param("refresh", 1.0, "how often the least-response-time balancer gets fresh numbers "
              "(0 = live, every request)", min=0, max=10, unit="s"),
        Param("alpha", 0.2, "weight of the newest latency in the moving average", min=0.01, max=1),
        Param("servers", 4, "equal servers in each pool", min=2, max=10),
        Param("rate", 28.0, "requests per second (100 ms of work each; each server does 10/s)",
              min=1, max=200, unit="req/s"),
        Param("duration", 120.0, "length of the run", min=20, max=600, unit="s"),
    ),
    metrics=(
        Metric("herding_lrt", "share", "least response time: mean over seconds of the share of "
               "that second's requests sent to one server (1/servers = even, 1 = all to one)", label="share of each second's requests on one server, least response time"),
        Metric("herding_p2c", "share", "the same for power of two choices", label="the same, two choices"),
        Metric("even_share", "share", "1/servers: what perfectly even spreading gives"),
        Metric("p99_lrt", "s", "99th percentile latency under least response time", label="p99 latency, least response time"),
        Metric("p99_p2c", "s", "99th percentile latency under power of two choices", label="p99 latency, two choices"),
        Metric("peak_connections_lrt", "connections", "most connections one server ever held (LRT)"),
        Metric("peak_connections_p2c", "connections", "most connections one server ever held (P2C)"),
    ),
    run_class=LrtOscillationRun,
    headline=("herding_lrt", "herding_p2c", "p99_lrt", "p99_p2c"),
    chart=(
        ChartSeries("lrt_share", "least response time", "fraction"),
        ChartSeries("p2c_share", "two choices", "fraction"),
    ),
    chart_title="share of each second's requests on one server",
    duration_param="duration",
    requests=lambda p: 2 * p["rate"] * p["duration"],  # one stream, two balancers
)
