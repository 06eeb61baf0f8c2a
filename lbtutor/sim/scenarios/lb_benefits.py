"""lb-benefits: the same traffic against one server and against a pool behind a balancer.

Three things to compare: throughput (one server finishes at most its own rate), latency (past
that rate its queue grows without bound) and failure. At `kill_at` one server dies in each
setup: the lone server's outage fails everything from then on; in the pool, what the dead
server held fails, then every request the balancer still sends it fails until it notices
(a health check's job, section 5) and the survivors carry the rest.
"""

from __future__ import annotations

from lbtutor.sim.config import SimConfig
from lbtutor.sim.scenarios.base import Metric, Pane, Param, Scenario, ScenarioRun
from lbtutor.sim.scenarios.toolkit import at, lab_simulation


class LbBenefitsRun(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        p = params
        common = dict(arrival_rate=p["arrival_rate"], service_rate=p["service_rate"], seed=seed)
        # Same seed: both setups see the very same arrivals and request sizes.
        self.single = lab_simulation(SimConfig(algorithm="round-robin", servers=1, **common))
        self.pool = lab_simulation(
            SimConfig(algorithm=p["algorithm"], servers=p["servers"], **common)
        )
        self.kill_at = float(p["kill_at"])
        self.victim = self.pool.servers[-1].name
        self.before: dict[str, dict] = {}  # counters of each setup at the moment of the death
        self.lost_in_flight = 0
        self.detected_at: float | None = None
        if self.kill_at < duration:
            at(self.single.env, self.kill_at, self._kill_single)
            at(self.pool.env, self.kill_at, self._kill_in_pool)
            if p["health_checks"]:
                at(self.pool.env, self.kill_at + p["detect_after"], self._detect)

    # -- the story --------------------------------------------------------------------------
    def _kill_single(self) -> None:
        self.before["single"] = _counters(self.single)
        self.single.take_down("s1")
        self.note("the lone server dies; every request now fails", self.kill_at)

    def _kill_in_pool(self) -> None:
        self.before["pool"] = _counters(self.pool)
        self.lost_in_flight = self.pool.server(self.victim).active
        self.pool.take_down(self.victim)
        held = self.lost_in_flight
        lost = "it held no requests" if held == 0 else f"the {_requests(held)} it held fail"
        self.note(f"{self.victim} dies in the pool; {lost}", self.kill_at)

    def _detect(self) -> None:
        self.detected_at = self.pool.now
        self.pool.set_in_rotation(self.victim, False)
        self.note(
            f"the balancer notices {self.victim} is down "
            "and stops sending it requests",
            self.detected_at,
        )

    # -- ScenarioRun ------------------------------------------------------------------------
    def _advance(self, t: float) -> None:
        self.single.advance_to(t)
        self.pool.advance_to(t)

    def metrics(self) -> dict:
        single_before = self.before.get("single") or _counters(self.single)
        pool_before = self.before.get("pool") or _counters(self.pool)
        now = min(self.now, self.duration)  # the base clock may overshoot by a rounding error
        whole_for = min(now, self.kill_at)  # seconds both setups had every server
        after_for = now - self.kill_at
        pool_after = self.pool.completed - pool_before["completed"]
        return {
            "throughput_single": _per_second(single_before["completed"], whole_for),
            "throughput_pool": _per_second(pool_before["completed"], whole_for),
            "mean_latency_single": single_before["mean_latency"],
            "mean_latency_pool": pool_before["mean_latency"],
            "backlog_single": single_before["in_system"],
            "failed_single": self.single.failed,
            "failed_pool": self.pool.failed,
            "lost_in_flight_pool": self.lost_in_flight,
            "throughput_pool_after": _per_second(pool_after, after_for) if after_for > 0 else None,
            "detected_at": self.detected_at,
        }

    def sample(self) -> dict:
        return {
            "waiting_single": self.single.in_system,
            "latency_single": self.single.snapshot().recent.mean,
            "latency_pool": self.pool.snapshot().recent.mean,
            "failed_single": self.single.failed,
            "failed_pool": self.pool.failed,
        }

    def panes(self) -> list[Pane]:
        dead = self.now >= self.kill_at
        pool_note = ""
        if dead:
            pool_note = f"{self.victim} dead" + (
                ", out of rotation" if self.detected_at is not None else ", still sent requests"
            )
        return [
            Pane("one server", self.single.snapshot(), "dead: every request fails" if dead else ""),
            Pane(f"{len(self.pool.servers)} servers, {self.pool.algorithm}", self.pool.snapshot(), pool_note),
        ]


def _counters(sim) -> dict:
    done = sim.measured_completed
    return {
        "completed": sim.completed,
        "in_system": sim.in_system,
        "mean_latency": sim.measured_latency_sum / done if done else None,
    }


def _requests(n: int) -> str:
    return "1 request" if n == 1 else f"{n} requests"


def _per_second(count: int, seconds: float) -> float | None:
    return count / seconds if seconds > 0 else None


SCENARIO = Scenario(
    name="lb-benefits",
    section=1,
    title="One server against a balanced pool",
    summary=(
        "The same traffic hits one server and a pool behind a balancer. One server finishes at "
        "most its own rate and, past it, its queue grows without bound; the pool keeps up. Then a "
        "server dies in each: the lone server's clients lose everything, the pool loses what the "
        "dead server held and what was sent to it before the balancer noticed."
    ),
    look_for=(
        "Compare finished req/s and latency of the two setups, then watch the failure counters "
        "when a server dies: one climbs for good, the other stops once the balancer notices."
    ),
    params=(
        Param("arrival_rate", 12.0, "requests arriving per second (the same stream for both setups)",
              min=0.1, max=500.0, unit="req/s"),
        Param("service_rate", 10.0, "requests one server finishes per second when busy (mean work 1/rate)",
              min=0.1, max=500.0, unit="req/s"),
        Param("servers", 3, "servers in the pool behind the balancer", min=2, max=16),
        Param("algorithm", "round-robin", "how the pool's balancer picks a server",
              choices=("round-robin", "random", "least-connections")),
        Param("kill_at", 60.0, "when one server dies in each setup (at or after the run's end: never)",
              min=0.0, max=3600.0, unit="s"),
        Param("health_checks", True, "whether the balancer notices the dead server and stops sending to it"),
        Param("detect_after", 5.0, "how long the balancer takes to notice a dead server (with health checks)",
              min=0.0, max=600.0, unit="s"),
        Param("duration", 120.0, "simulated length of the run", min=10.0, max=3600.0, unit="s"),
    ),
    metrics=(
        Metric("throughput_single", "req/s", "requests the lone server finished per second before it died", label="one server, done/s before it died"),
        Metric("throughput_pool", "req/s", "requests the pool finished per second before a server died", label="pool, done/s before the death"),
        Metric("mean_latency_single", "s", "mean latency of requests the lone server finished before it died", label="one server, mean latency before it died"),
        Metric("mean_latency_pool", "s", "mean latency of requests the pool finished before a server died", label="pool, mean latency before the death"),
        Metric("backlog_single", "requests", "requests waiting at (or in) the lone server when it died"),
        Metric("failed_single", "requests", "requests that failed in the one-server setup", label="request failed, one server|requests failed, one server"),
        Metric("failed_pool", "requests", "requests that failed in the pool: held by the dead server, or sent to it", label="request failed, pool|requests failed, pool"),
        Metric("lost_in_flight_pool", "requests", "requests the dead pool server was serving or queueing when it died"),
        Metric("throughput_pool_after", "req/s", "requests the surviving servers finished per second after the death"),
        Metric("detected_at", "s", "when the balancer took the dead server out of rotation (none: never)"),
    ),
    run_class=LbBenefitsRun,
    headline=(
        "throughput_single", "throughput_pool", "mean_latency_single", "mean_latency_pool",
        "failed_single", "failed_pool",
    ),
    duration_param="duration",
    requests=lambda p: 2 * p["arrival_rate"] * p["duration"],  # the same stream into both setups
)
