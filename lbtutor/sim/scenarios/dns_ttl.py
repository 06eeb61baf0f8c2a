"""Scenario `dns-ttl` (section 4): DNS round robin has no health awareness, and caches outlive servers.

Two set-ups see identical traffic. In one, clients find a server through DNS round robin and keep
the answer for `ttl` seconds. In the other, clients talk to one balancer that health-checks its
servers. At `fail_at` a server dies; `withdraw_after` seconds later its record is removed from DNS.
Clients that cached its address keep sending it requests, which fail, until their answer expires;
the balancer stops sending it requests once its probes have failed `fall` times.
"""

from __future__ import annotations

import simpy

from lbtutor.sim.config import SimConfig
from lbtutor.sim.dns import CachingClients, RoundRobinDns, expected_failures_after_death
from lbtutor.sim.engine import Simulation
from lbtutor.sim.health import CRASH, HealthChecker
from lbtutor.sim.scenarios.base import Metric, Pane, Param, Scenario, ScenarioError, ScenarioRun
from lbtutor.sim.scenarios.toolkit import lab_simulation
from lbtutor.sim.traffic import stream

DEAD = "s1"
SERVICE_TIME = 0.05  # seconds of work per request: 50 ms
HEALTH_RISE = 2


class FailureClock:
    """Counts a simulation's failed requests and remembers when the last one happened."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.last_failure_at: float | None = None
        sim.on_fail = self._failed

    def _failed(self, sim, req, server) -> None:
        self.last_failure_at = sim.now

    def window(self, since: float) -> float | None:
        """Time from `since` to the last failed request (0 if only in-flight requests were lost)."""
        if self.sim.failed == 0:
            return None
        return max(0.0, (self.last_failure_at or since) - since)


class DnsTtlRun(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        p = params
        _check_story(p, duration)
        env = simpy.Environment()
        config = SimConfig(
            servers=p["servers"], arrival_rate=p["rate"], service_rate=1.0 / SERVICE_TIME,
            clients=p["clients"], seed=seed,
        )
        # Same config and seed: both see the same arrivals, clients and demands.
        self.dns_side = lab_simulation(config, env=env, generate_arrivals=False)
        self.balancer_side = lab_simulation(config, env=env)
        self.dns = RoundRobinDns([s.name for s in self.dns_side.servers], ttl=p["ttl"])
        self.clients = CachingClients(self.dns)
        self.clients.prime(p["clients"], p["clients"] / p["rate"], 0.0, stream(seed, "dns-prehistory"))
        self.checker = HealthChecker(
            self.balancer_side, interval=p["interval"], timeout=p["timeout"], fall=p["fall"],
            rise=HEALTH_RISE, check="tcp", on_change=self._verdict,
        )
        self.dns_failures = FailureClock(self.dns_side)
        self.balancer_failures = FailureClock(self.balancer_side)
        self.env = env
        self.caching_dead_at_failure: int | None = None
        env.process(self._clients_send())
        env.process(self._server_dies())

    # -- the story -------------------------------------------------------------------------
    def _clients_send(self):
        """Each request goes wherever its client's cached DNS answer points."""
        env, sim = self.env, self.dns_side
        traffic = sim.traffic
        rid = 0
        while True:
            yield env.timeout(traffic.next_gap(env.now))
            req = traffic.make_request(rid, env.now)
            rid += 1
            address = self.clients.address_for(req.client, env.now)
            sim.send_to(address, req)

    def _server_dies(self):
        p, env = self.params, self.env
        yield env.timeout(p["fail_at"])
        self.caching_dead_at_failure = self.clients.holding(DEAD, env.now)
        self.dns_side.take_down(DEAD)
        self.balancer_side.take_down(DEAD)
        self.note(f"{DEAD} dies; {self.caching_dead_at_failure} clients have its address cached",
                  at=env.now)
        yield env.timeout(p["withdraw_after"])
        self.dns.withdraw(DEAD)
        last = self.clients.last_expiry(DEAD)
        still = self.clients.holding(DEAD, env.now)
        tail = f"; the last cached copy expires at {last:.1f} s" if still and last else ""
        self.note(f"{DEAD}'s record is withdrawn from DNS; {still} clients still cache it{tail}",
                  at=env.now)

    def _verdict(self, name: str, healthy: bool, now: float) -> None:
        if not healthy:
            self.note(f"balancer: {name} failed {self.params['fall']} probes in a row, out of rotation", at=now)

    # -- the interface ---------------------------------------------------------------------
    def _advance(self, t: float) -> None:
        if t > self.env.now:
            self.env.run(until=t)

    def metrics(self) -> dict:
        p = self.params
        return {
            "failed_requests": self.dns_side.failed,
            "failure_window": self.dns_failures.window(p["fail_at"]),
            "predicted_failed_requests": expected_failures_after_death(
                rate=p["rate"], addresses=p["servers"], clients=p["clients"], ttl=p["ttl"],
                withdraw_after=p["withdraw_after"],
            ),
            "clients_caching_dead": self.caching_dead_at_failure,
            "balancer_failed_requests": self.balancer_side.failed,
            "balancer_failure_window": self.balancer_failures.window(p["fail_at"]),
            "balancer_detection_bound": self.checker.detection_bound(CRASH),
            "dns_queries": self.dns.queries,
        }

    def sample(self) -> dict:
        return {
            "dns_failed": self.dns_side.failed,
            "balancer_failed": self.balancer_side.failed,
            "clients_caching_dead": self.clients.holding(DEAD, self.env.now),
        }

    def panes(self) -> list[Pane]:
        p = self.params
        return [
            Pane(
                label=f"DNS round robin, clients cache answers for {p['ttl']:g} s",
                snapshot=self.dns_side.snapshot(),
                note=f"{self.clients.holding(DEAD, self.env.now)} clients cache {DEAD}'s address",
            ),
            Pane(
                label=f"one balancer, {self.checker.describe()}",
                snapshot=self.balancer_side.snapshot(),
                note=self._balancer_note(),
            ),
        ]

    def _balancer_note(self) -> str:
        """Where the dead server stands with the balancer (the counts beside it give the failures)."""
        if self.caching_dead_at_failure is None:
            return f"{DEAD} is up and in rotation"
        ejected = self.checker.health[DEAD].detected_at
        if not ejected:
            return f"{DEAD} is dead but still in rotation: its probes have not failed {self.params['fall']} times yet"
        return f"{DEAD} out of rotation since {ejected[0]:.1f} s"


def _check_story(p: dict, duration: float) -> None:
    if p["timeout"] > p["interval"]:
        raise ScenarioError(
            f"dns-ttl: timeout={p['timeout']:g} is not allowed; timeout must be at most interval "
            f"({p['interval']:g} s)"
        )
    if p["fail_at"] >= duration:
        raise ScenarioError(
            f"dns-ttl: fail_at={p['fail_at']:g} is not allowed; fail_at must be before the end of "
            f"the run (duration {duration:g} s)"
        )


SCENARIO = Scenario(
    name="dns-ttl",
    section=4,
    title="DNS round robin: the cache outlives the server",
    summary=(
        "200 clients send 40 req/s. On the left they find one of four servers through DNS round "
        "robin and cache the answer for ttl seconds; on the right they all talk to one balancer "
        "that health-checks the same four servers. A server dies at fail_at. DNS keeps no watch "
        "on health, and clients keep using a cached dead address until its TTL expires."
    ),
    look_for=(
        "Watch the failed-request counters after the server dies: behind the balancer they stop "
        "within a few probe intervals; with DNS they keep climbing for about one TTL, as the "
        "clients still caching the dead address dwindle to zero."
    ),
    params=(
        Param("ttl", 60.0, "how long a client keeps a DNS answer before asking again", min=0, max=600, unit="s"),
        Param("fail_at", 20.0, "when server s1 dies", min=0, max=600, unit="s"),
        Param("withdraw_after", 0.0, "time from the death until s1's record is removed from DNS "
              "(by an operator or monitoring: DNS itself does not check health)", min=0, max=600, unit="s"),
        Param("clients", 200, "clients, each with its own DNS cache", min=1, max=5000),
        Param("rate", 40.0, "requests per second from all clients together (50 ms of work each)",
              min=1, max=400, unit="req/s"),
        Param("servers", 4, "servers (DNS records)", min=2, max=10),
        Param("interval", 2.0, "the balancer's probe interval", min=0.1, max=60, unit="s"),
        Param("timeout", 1.0, "how long a probe waits for an answer (at most interval)", min=0.05, max=60, unit="s"),
        Param("fall", 3, "failed probes in a row before the balancer stops using a server", min=1, max=10),
        Param("duration", 120.0, "length of the run", min=30, max=900, unit="s"),
    ),
    metrics=(
        Metric("failed_requests", "requests", "requests sent to the dead server by DNS-balanced clients"),
        Metric("failure_window", "s", "DNS: time from the death to the last failed request (about ttl)"),
        Metric("predicted_failed_requests", "requests",
               "queueing-free closed form: rate/servers x (withdraw_after + share of clients with a "
               "valid answer x ttl/2)"),
        Metric("clients_caching_dead", "clients", "clients holding a valid answer for s1 when it died"),
        Metric("balancer_failed_requests", "requests", "requests the health-checked balancer sent to the dead server"),
        Metric("balancer_failure_window", "s", "balancer: time from the death to the last failed request"),
        Metric("balancer_detection_bound", "s", "fall x (interval + timeout): the balancer's worst case, "
               "each probe of the dead server waiting out its timeout before the next is sent"),
        Metric("dns_queries", "queries", "DNS lookups the clients made (fewer with a longer ttl)"),
    ),
    run_class=DnsTtlRun,
    headline=("failure_window", "failed_requests", "balancer_failure_window", "balancer_failed_requests"),
    duration_param="duration",
    requests=lambda p: 2 * p["rate"] * p["duration"],  # one stream, DNS and a balancer
)
