"""Scenario `lb-ha` (section 8): the balancer itself dies; active-passive versus active-active.

The bars here are the two balancer nodes, lb1 and lb2; the same clients send the same requests to
two set-ups, and lb1 dies at `fail_at` in both.

  * Active-passive: lb1 owns the virtual IP and sends lb2 a heartbeat every `heartbeat_interval`
    seconds. When `misses` heartbeats in a row fail to arrive, lb2 claims the VIP, which takes
    `takeover` seconds (announcing the address, syncing state). Until then every request fails.
  * Active-active: DNS hands out both addresses and clients cache the answer for `ttl` seconds.
    When lb1 dies, the clients that cached lb1 fail until their answer expires (DNS stops handing
    lb1 out `withdraw_after` seconds after the death); the clients on lb2 never notice.

Either way the survivor must carry the whole load: `lb_capacity` is what one node can forward.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

from lbtutor.sim.config import SimConfig
from lbtutor.sim.dns import CachingClients, RoundRobinDns, expected_failures_after_death
from lbtutor.sim.engine import Simulation
from lbtutor.sim.scenarios.base import (
    ChartSeries,
    Metric,
    Pane,
    Param,
    Scenario,
    ScenarioError,
    ScenarioRun,
)
from lbtutor.sim.scenarios.dns_ttl import FailureClock
from lbtutor.sim.scenarios.toolkit import lab_simulation
from lbtutor.sim.server import Request
from lbtutor.sim.traffic import stream

NODES = ("lb1", "lb2")


class HeartbeatPair:
    """lb1 beats every `interval` seconds while alive; lb2 claims the VIP after `misses` silent beats."""

    def __init__(self, env: simpy.Environment, interval: float, misses: int, takeover: float,
                 first_beat: float, on_event: Callable[[str], None],
                 on_takeover: Callable[[], None]) -> None:
        self.env = env
        self.interval = interval
        self.misses = misses
        self.takeover = takeover
        self.vip_owner = NODES[0]
        self.active_alive = True
        self.last_heartbeat = 0.0
        self.suspected_at: float | None = None
        self.moved_at: float | None = None
        self._on_event = on_event
        self._on_takeover = on_takeover
        env.process(self._beat(first_beat))
        env.process(self._watch())

    def _beat(self, first_beat: float):
        yield self.env.timeout(first_beat)
        while self.active_alive:
            self.last_heartbeat = self.env.now
            yield self.env.timeout(self.interval)

    def _watch(self):
        """lb2 waits for the next heartbeat; silence for `misses` intervals means lb1 is gone."""
        silence = self.misses * self.interval
        while True:
            deadline = self.last_heartbeat + silence
            if self.env.now >= deadline:
                break
            yield self.env.timeout(deadline - self.env.now)
        self.suspected_at = self.env.now
        self._on_event(f"lb2 heard no heartbeat for {self.misses} intervals: taking over the VIP")
        yield self.env.timeout(self.takeover)
        self.vip_owner = NODES[1]
        self.moved_at = self.env.now
        self._on_event("the VIP now points at lb2: requests flow again")
        self._on_takeover()


class LbHaRun(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        p = params
        if p["fail_at"] >= duration:
            raise ScenarioError(
                f"lb-ha: fail_at={p['fail_at']:g} is not allowed; fail_at must be before the end of "
                f"the run (duration {duration:g} s)"
            )
        self.env = simpy.Environment()
        config = SimConfig(
            servers=2, arrival_rate=p["rate"], service_rate=p["lb_capacity"], service_dist="det",
            clients=p["clients"], seed=seed,
        )
        self.passive_pair = self._pair(config)
        self.active_pair = self._pair(config)
        self.heartbeat = HeartbeatPair(
            self.env, p["heartbeat_interval"], p["misses"], p["takeover"],
            first_beat=stream(seed, "heartbeat").random() * p["heartbeat_interval"],
            on_event=lambda text: self.note(f"active-passive: {text}", at=self.env.now),
            on_takeover=lambda: self._mark_survivor(self.passive_pair),
        )
        self.dns = RoundRobinDns(NODES, ttl=p["ttl"])
        self.clients = CachingClients(self.dns)
        self.clients.prime(p["clients"], p["clients"] / p["rate"], 0.0, stream(seed, "dns-prehistory"))
        self.passive_failures = FailureClock(self.passive_pair)
        self.active_failures = FailureClock(self.active_pair)
        self._survivor_from: dict[Simulation, tuple[float, float]] = {}
        self.env.process(self._clients_send())
        self.env.process(self._lb1_dies())

    def _pair(self, config: SimConfig) -> Simulation:
        sim = lab_simulation(config, env=self.env, generate_arrivals=False)
        for node, server in zip(NODES, sim.servers, strict=True):
            server.name = node
        return sim

    # -- the story -------------------------------------------------------------------------
    def _clients_send(self):
        env, traffic = self.env, self.passive_pair.traffic
        rid = 0
        while True:
            yield env.timeout(traffic.next_gap(env.now))
            req = traffic.make_request(rid, env.now)
            rid += 1
            self.passive_pair.send_to(self.heartbeat.vip_owner, req)
            twin = _twin(req)
            address = self.clients.address_for(twin.client, env.now)
            self.active_pair.send_to(address, twin)

    def _lb1_dies(self):
        p, env = self.params, self.env
        yield env.timeout(p["fail_at"])
        holding = self.clients.holding(NODES[0], env.now)
        for sim in (self.passive_pair, self.active_pair):
            sim.take_down(NODES[0])
        self.heartbeat.active_alive = False
        self.note(f"lb1 dies; in active-active {holding} of {p['clients']} clients have its address cached",
                  at=env.now)
        yield env.timeout(p["withdraw_after"])
        self.dns.withdraw(NODES[0])
        if p["withdraw_after"] > 0:
            self.note("active-active: lb1's address is withdrawn from DNS", at=env.now)
        yield env.timeout(p["ttl"])  # every answer naming lb1 has expired by now
        self._mark_survivor(self.active_pair)

    def _mark_survivor(self, sim: Simulation) -> None:
        """From now on lb2 carries everything: remember its busy time so far."""
        self._survivor_from[sim] = (self.env.now, sim.server(NODES[1]).area_at(self.env.now))

    # -- the interface ---------------------------------------------------------------------
    def _advance(self, t: float) -> None:
        if t > self.env.now:
            self.env.run(until=t)

    def metrics(self) -> dict:
        p = self.params
        moved = self.heartbeat.moved_at
        figures = {
            "downtime_active_passive": None if moved is None else moved - p["fail_at"],
            "requests_lost_active_passive": self.passive_pair.failed,
            "takeover_bound": p["heartbeat_interval"] * p["misses"] + p["takeover"],
            "downtime_active_active": self.active_failures.window(p["fail_at"]),
            "requests_lost_active_active": self.active_pair.failed,
            "predicted_lost_active_active": expected_failures_after_death(
                rate=p["rate"], addresses=2, clients=p["clients"], ttl=p["ttl"],
                withdraw_after=p["withdraw_after"],
            ),
            "survivor_utilization_active_passive": self._survivor_utilization(self.passive_pair),
            "survivor_utilization_active_active": self._survivor_utilization(self.active_pair),
        }
        pair = p["setup"].replace("-", "_")
        figures["downtime"] = figures[f"downtime_{pair}"]
        figures["requests_lost"] = figures[f"requests_lost_{pair}"]
        return figures

    def _survivor_utilization(self, sim: Simulation) -> float | None:
        mark = self._survivor_from.get(sim)
        if mark is None or self.env.now <= mark[0]:
            return None
        t0, area0 = mark
        return (sim.server(NODES[1]).area_at(self.env.now) - area0) / (self.env.now - t0)

    def sample(self) -> dict:
        return {
            "lost_active_passive": self.passive_pair.failed,
            "lost_active_active": self.active_pair.failed,
            "clients_caching_lb1": self.clients.holding(NODES[0], self.env.now),
        }

    def panes(self) -> list[Pane]:
        p = self.params
        owner = self.heartbeat.vip_owner
        return [
            Pane(f"active-passive: VIP on {owner}, heartbeat every {p['heartbeat_interval']:g} s",
                 self.passive_pair.snapshot(), note=self._passive_note()),
            Pane(f"active-active: DNS hands out both, clients cache {p['ttl']:g} s",
                 self.active_pair.snapshot(),
                 note=f"{self.clients.holding(NODES[0], self.env.now)} clients "
                     f"{'still ' if not self.heartbeat.active_alive else ''}cache lb1's address"),
        ]

    def _passive_note(self) -> str:
        """Who serves the VIP right now (the counts beside it give the requests lost)."""
        hb = self.heartbeat
        if hb.moved_at is not None:
            return f"lb2 took over the VIP at {hb.moved_at:.1f} s"
        if hb.active_alive:
            return "lb1 serves the VIP; lb2 stands by"
        if hb.suspected_at is None:
            return "lb1 is dead and still owns the VIP: every request fails"
        return "lb2 is claiming the VIP: every request still fails"


def _twin(req: Request) -> Request:
    twin = Request(req.id, req.arrival, req.demand, req.client, req.key)
    twin.path = req.path
    return twin


SCENARIO = Scenario(
    name="lb-ha",
    section=8,
    title="When the balancer dies: active-passive versus active-active",
    summary=(
        "100 clients send 50 req/s through a pair of balancers that can each forward 80 req/s. "
        "Left: lb1 owns a virtual IP and lb2 stands by, listening for heartbeats. Right: DNS hands "
        "out both addresses and each carries about half. Then lb1 dies (fail_at)."
    ),
    look_for=(
        "Watch the lost-request counters: active-passive loses everything for a few heartbeat "
        "intervals, then lb2 carries it all; active-active keeps serving the clients on lb2 and "
        "loses only lb1's clients, for about one TTL, as their cached answers expire."
    ),
    params=(
        Param("heartbeat_interval", 1.0, "time between two heartbeats from the active node", min=0.05, max=30, unit="s"),
        Param("misses", 3, "heartbeats in a row the passive node must miss before it takes over", min=1, max=10),
        Param("takeover", 1.0, "time to claim the VIP once the passive node decides (ARP, state)", min=0, max=60, unit="s"),
        Param("ttl", 30.0, "active-active: how long clients cache the DNS answer", min=0, max=600, unit="s"),
        Param("withdraw_after", 0.0, "active-active: time from the death until DNS stops handing out "
              "lb1 (a DNS health check)", min=0, max=600, unit="s"),
        Param("fail_at", 30.0, "when lb1 dies", min=0, max=600, unit="s"),
        Param("rate", 50.0, "requests per second from all clients", min=1, max=500, unit="req/s"),
        Param("clients", 100, "clients, each with its own DNS cache", min=1, max=5000),
        Param("lb_capacity", 80.0, "requests per second one balancer node can forward", min=1, max=1000, unit="req/s"),
        Param("duration", 120.0, "length of the run", min=20, max=900, unit="s"),
        Param("setup", "active-passive", "which pair the plain downtime and requests_lost metrics describe "
              "(both pairs run side by side either way)", choices=("active-passive", "active-active")),
    ),
    metrics=(
        Metric("downtime_active_passive", "s", "from lb1's death until the VIP points at lb2; nothing is served meanwhile", label="active-passive: down for"),
        Metric("requests_lost_active_passive", "requests", "requests that failed in the active-passive pair", label="request lost, active-passive|requests lost, active-passive"),
        Metric("takeover_bound", "s", "heartbeat_interval x misses + takeover: the longest the VIP can stay dead"),
        Metric("downtime_active_active", "s", "from lb1's death to the last failed request (only lb1's clients fail)", label="active-active: failing for"),
        Metric("requests_lost_active_active", "requests", "requests that failed in the active-active pair", label="request lost, active-active|requests lost, active-active"),
        Metric("predicted_lost_active_active", "requests", "closed form: rate/2 x (withdraw_after + "
               "share of clients with a valid answer x ttl/2)"),
        Metric("survivor_utilization_active_passive", "share", "lb2's busy share once it carries everything"),
        Metric("survivor_utilization_active_active", "share", "the same for active-active, once every cache has expired"),
        Metric("downtime", "s", "downtime of the pair named by setup (one of the two above)"),
        Metric("requests_lost", "requests", "requests lost by the pair named by setup (one of the two above)"),
    ),
    run_class=LbHaRun,
    headline=("downtime_active_passive", "requests_lost_active_passive", "downtime_active_active",
              "requests_lost_active_active"),
    chart=(
        ChartSeries("lost_active_passive", "active-passive", rate=True),
        ChartSeries("lost_active_active", "active-active", rate=True),
    ),
    chart_title="failed requests per second",
    duration_param="duration",
    requests=lambda p: 2 * p["rate"] * p["duration"],  # active-passive and active-active
)
