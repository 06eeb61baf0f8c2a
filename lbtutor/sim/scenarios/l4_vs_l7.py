"""Scenario `l4-vs-l7` (section 3): balancing connections versus balancing requests.

The same clients send the same requests (/api, /static and /ws messages) to two set-ups:

  * L4 sees only TCP connections. A client's keep-alive connection carries
    `requests_per_connection` requests, and every one of them goes to the server the connection
    was given when it opened (round robin over connections). A websocket is a connection that
    never closes. A few busy clients therefore pin a lot of traffic to whichever server they got.
  * L7 terminates TLS and parses every request (`tls_ms` + `parse_ms` of balancer work, queued on
    the balancer's own workers), answers /static from its cache (`cache_hit_ratio`), and picks a
    server for each remaining request. An upgraded websocket stays on the server it was given.

A fair comparison by default (`l7_routing = "one-pool"`): both balancers use the same six servers
as one pool and the same algorithm, round robin, L4 per connection and L7 per request. So the
only differences are the ones the layer makes: the unit of each decision, the L7 balancer's own
work and its cache. `l7_routing = "by-path"` adds what only layer 7 can do on top: it splits the
servers into /api, /static and /ws pools and picks within a pool by least connections, so that
run differs in the pools and the algorithm as well.
"""

from __future__ import annotations

import simpy

from lbtutor.sim.config import SimConfig
from lbtutor.sim.engine import Simulation
from lbtutor.sim.scenarios.base import Metric, Pane, Param, Scenario, ScenarioError, ScenarioRun
from lbtutor.sim.scenarios.toolkit import (
    lab_simulation,
    on_complete,
    sent_to,
    utilization_since_start,
)
from lbtutor.sim.server import Request
from lbtutor.sim.traffic import Traffic, stream

PATHS = ("/api", "/static", "/ws")
WORK = {"/api": 0.2, "/static": 0.005, "/ws": 0.01}  # mean seconds of work per request
WORKERS = 4  # requests a server serves at once
BALANCER_WORKERS = 4  # requests the L7 balancer parses at once
SLOT = 5.0  # seconds: imbalance is measured on each slot's requests
MOVE_NOTES = 6
ONE_POOL, BY_PATH = "one-pool", "by-path"


class WebTraffic(Traffic):
    """Requests with a path; /api work is exponential, /static and /ws are small and fixed-ish."""

    def __init__(self, *, static_fraction: float, ws_fraction: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.static_fraction = static_fraction
        self.ws_fraction = ws_fraction

    def decorate(self, req: Request, rng) -> None:
        u = rng.random()
        if u < self.ws_fraction:
            req.path, req.demand = "/ws", WORK["/ws"]
        elif u < self.ws_fraction + self.static_fraction:
            req.path, req.demand = "/static", WORK["/static"]
        else:
            req.path, req.demand = "/api", rng.expovariate(1.0 / WORK["/api"])


def _copy(req: Request) -> Request:
    twin = Request(req.id, req.arrival, req.demand, req.client, req.key)
    twin.path = req.path
    return twin


class RequestCounter:
    """Requests each server of some pools took, per SLOT; imbalance = busiest / mean in a slot."""

    def __init__(self, env: simpy.Environment, pools: list[Simulation]) -> None:
        self.pools = [p for p in pools if len(p.servers) > 1]
        self.slots: list[float] = []
        self._last = self._taken()
        env.process(self._measure(env))

    def _taken(self) -> dict:
        # Nothing is dropped or fails here: every request a server took is served or still there.
        return {(i, s.name): sent_to(s) for i, p in enumerate(self.pools) for s in p.servers}

    def _measure(self, env):
        while True:
            yield env.timeout(SLOT)
            now = self._taken()
            worst = None
            for i, pool in enumerate(self.pools):
                counts = [now[i, s.name] - self._last[i, s.name] for s in pool.servers]
                mean = sum(counts) / len(counts)
                if mean > 0:
                    worst = max(worst or 0.0, max(counts) / mean)
            self._last = now
            if worst is not None:
                self.slots.append(worst)

    @property
    def imbalance(self) -> float | None:
        return sum(self.slots) / len(self.slots) if self.slots else None

    @property
    def latest(self) -> float | None:
        return self.slots[-1] if self.slots else None


class L4VersusL7Run(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        p = params
        if p["static_fraction"] + p["ws_fraction"] > 1:
            raise ScenarioError(
                f"l4-vs-l7: ws_fraction={p['ws_fraction']:g} is not allowed; static_fraction + "
                f"ws_fraction must be at most 1 (static_fraction is {p['static_fraction']:g})"
            )
        self.env = simpy.Environment()
        self.traffic = WebTraffic(
            rate=p["rate"], service_mean=WORK["/api"], clients=p["clients"], zipf=p["client_skew"],
            seed=seed, static_fraction=p["static_fraction"], ws_fraction=p["ws_fraction"],
        )
        sizes = {"/api": p["api_servers"], "/static": p["static_servers"], "/ws": p["ws_servers"]}
        self.l4 = self._pool("L4", sum(sizes.values()), "round-robin", p["rate"])
        share = {"/api": 1 - p["static_fraction"] - p["ws_fraction"],
                 "/static": p["static_fraction"] * (1 - p["cache_hit_ratio"]), "/ws": p["ws_fraction"]}
        self.by_path = p["l7_routing"] == BY_PATH
        if self.by_path:
            self.pools = {
                path: self._pool(path, n, "least-connections", max(p["rate"] * share[path], 1e-3), WORK[path])
                for path, n in sizes.items()
            }
            for path, pool in self.pools.items():
                for i, server in enumerate(pool.servers):
                    server.name = f"{path.strip('/')}{i + 1}"  # api1, static1, ws1: one bar label per pool
        else:  # the very servers and algorithm L4 has: only the layer differs
            one = self._pool("L7", sum(sizes.values()), "round-robin", max(p["rate"] * sum(share.values()), 1e-3))
            self.pools = dict.fromkeys(PATHS, one)
        overhead = (p["parse_ms"] + p["tls_ms"]) / 1000.0
        self.overhead = overhead
        self.balancer = lab_simulation(
            SimConfig(servers=1, workers=BALANCER_WORKERS, arrival_rate=p["rate"],
                      service_rate=1.0 / max(overhead, 1e-6), seed=seed),
            env=self.env, generate_arrivals=False,
        )
        self.balancer.servers[0].name = "L7"
        on_complete(self.balancer, self._parsed)
        for pool in self._l7_pools:
            on_complete(pool, self._served_by_l7)
        on_complete(self.l4, self._served_by_l4)

        self._cache = stream(seed, "l7-cache").random
        self._l4_connections: dict[tuple[int, bool], list] = {}  # (client, websocket?) -> [server, left]
        self._l4_turn = 0
        self._l7_websockets: dict[int, str] = {}  # client -> /ws server
        self._waiting: dict[Request, Request] = {}  # balancer job -> the request it carries
        self.requests = {path: 0 for path in PATHS}
        self.cache_hits = 0
        self.l4_latency = [0, 0.0]  # count, sum
        self.l7_latency = [0, 0.0]
        self.balancer_time = [0, 0.0]
        self.l4_counter = RequestCounter(self.env, [self.l4])
        self.l7_counter = RequestCounter(self.env, self._l7_pools)
        self.env.process(self._clients())

    @property
    def _l7_pools(self) -> list[Simulation]:
        """The distinct pools behind L7: three by path, or the one pool L4 also has."""
        return list({id(pool): pool for pool in self.pools.values()}.values())

    def _pool(self, label: str, servers: int, algorithm: str, rate: float, work: float = WORK["/api"]):
        config = SimConfig(algorithm=algorithm, servers=servers, workers=WORKERS, arrival_rate=rate,
                           service_rate=1.0 / work, seed=self.seed)
        return lab_simulation(config, env=self.env, generate_arrivals=False)

    # -- the story -------------------------------------------------------------------------
    def _clients(self):
        env, traffic = self.env, self.traffic
        rid = 0
        while True:
            yield env.timeout(traffic.next_gap(env.now))
            req = traffic.make_request(rid, env.now)
            rid += 1
            self.requests[req.path] += 1
            self._to_l4(req)
            self._to_l7(_copy(req))

    def _to_l4(self, req: Request) -> None:
        """L4: the request rides its client's open connection, or opens one (round robin)."""
        websocket = req.path == "/ws"
        key = (req.client, websocket)
        conn = self._l4_connections.get(key)
        if conn is None or conn[1] <= 0:
            servers = self.l4.servers
            server = servers[self._l4_turn % len(servers)].name
            self._l4_turn += 1
            left = float("inf") if websocket else self.params["requests_per_connection"]
            conn = self._l4_connections[key] = [server, left]
            if req.client == 0 and not websocket and len(self.log) < MOVE_NOTES:
                who = "the busiest client" if self.params["client_skew"] > 0 else "client 1"
                self.note(f"L4: {who} opened a keep-alive connection; its next {left} requests "
                          f"all go to {server}", at=self.env.now)
        conn[1] -= 1
        self.l4.send_to(conn[0], req)

    def _to_l7(self, req: Request) -> None:
        """L7: every request is decrypted and parsed by the balancer first."""
        job = Request(req.id, req.arrival, self.overhead, req.client, req.key)
        self._waiting[job] = req
        self.balancer.inject(job)

    def _parsed(self, sim, job: Request, server) -> None:
        req = self._waiting.pop(job)
        self.balancer_time[0] += 1
        self.balancer_time[1] += sim.now - job.arrival
        if req.path == "/static" and self._cache() < self.params["cache_hit_ratio"]:
            self.cache_hits += 1
            self._record(self.l7_latency, sim.now - req.arrival)
            return
        pool = self.pools[req.path]
        if req.path != "/ws":
            pool.inject(req)  # the pool's balancer picks a server for this one request
            return
        server = self._l7_websockets.get(req.client)
        if server is None and not self.by_path:  # the upgrade is a request: the pool picks its server
            pool.inject(req)
            self._l7_websockets[req.client] = req.server.name
            return
        if server is None:  # the upgrade: the websocket goes to the /ws server holding fewest
            held = {s.name: 0 for s in pool.servers}
            for name in self._l7_websockets.values():
                held[name] += 1
            server = min(held, key=lambda n: (held[n], n))
            self._l7_websockets[req.client] = server
        pool.send_to(server, req)

    def _served_by_l4(self, sim, req, server) -> None:
        self._record(self.l4_latency, sim.now - req.arrival)

    def _served_by_l7(self, sim, req, server) -> None:
        self._record(self.l7_latency, sim.now - req.arrival)

    @staticmethod
    def _record(acc: list, latency: float) -> None:
        acc[0] += 1
        acc[1] += latency

    # -- the interface ---------------------------------------------------------------------
    def _advance(self, t: float) -> None:
        if t > self.env.now:
            self.env.run(until=t)

    def metrics(self) -> dict:
        return {
            "imbalance_l4": self.l4_counter.imbalance,
            "imbalance_l7": self.l7_counter.imbalance,
            "mean_latency_l4": _mean(self.l4_latency),
            "mean_latency_l7": _mean(self.l7_latency),
            "l7_balancer_time": _mean(self.balancer_time),
            "cache_hits": self.cache_hits,
            "static_requests": self.requests["/static"],
            "utilization_l4": utilization_since_start(self.l4),
            "utilization_api_pool": self._pool_utilization("/api"),
            "utilization_static_pool": self._pool_utilization("/static"),
            "utilization_ws_pool": self._pool_utilization("/ws"),
            "utilization_l7_balancer": utilization_since_start(self.balancer),
            "utilization_l7": _utilization_of(self._l7_pools),
        }

    def _pool_utilization(self, path: str) -> float | None:
        """A path's own pool: only when L7 routes by path (one shared pool has no /api pool)."""
        return utilization_since_start(self.pools[path]) if self.by_path else None

    def sample(self) -> dict:
        return {
            "imbalance_l4": self.l4_counter.latest,
            "imbalance_l7": self.l7_counter.latest,
            "cache_hits": self.cache_hits,
        }

    def panes(self) -> list[Pane]:
        k = self.params["requests_per_connection"]
        l4, l7 = self.l4_counter.latest, self.l7_counter.latest
        panes = [
            Pane(f"L4: one pool, connections round robin ({k} requests per connection)",
                 self.l4.snapshot(), note="" if l4 is None else f"busiest server: {l4:.2f} x the mean"),
            Pane(f"L7 balancer: TLS + parsing, {self.overhead * 1000:g} ms per request",
                 self.balancer.snapshot(), note=f"{self.cache_hits} /static requests answered from cache"),
        ]
        if not self.by_path:
            return [*panes, Pane("L7: the same servers, requests round robin (cache misses only)",
                                 self.pools["/api"].snapshot(),
                                 note="" if l7 is None else f"busiest server: {l7:.2f} x the mean")]
        return [
            *panes,
            Pane("L7 /api pool (least connections per request)", self.pools["/api"].snapshot(),
                 note="" if l7 is None else f"worst pool's busiest server: {l7:.2f} x the mean"),
            Pane("L7 /static pool (cache misses only)", self.pools["/static"].snapshot()),
            Pane("L7 /ws pool (websockets stay where they were upgraded)", self.pools["/ws"].snapshot()),
        ]


def _mean(acc: list) -> float | None:
    return acc[1] / acc[0] if acc[0] else None


def _utilization_of(pools: list[Simulation]) -> float:
    """Busy worker-seconds over available worker-seconds, across every server of these pools."""
    now = pools[0].env.now
    available = sum(s.workers * (now - s.created_at) for p in pools for s in p.servers)
    busy = sum(s.area_at(now) for p in pools for s in p.servers)
    return busy / available if available > 0 else 0.0


SCENARIO = Scenario(
    name="l4-vs-l7",
    section=3,
    title="Layer 4 balances connections, layer 7 balances requests",
    summary=(
        "20 clients send 100 req/s: 60% /api (200 ms of work), 30% /static (5 ms), 10% /ws "
        "messages (10 ms). A few clients send most of it (client_skew). Six servers, 4 requests "
        "at once each. Both balancers use all six as one pool, round robin: L4 per connection, "
        "L7 per request, after its own TLS and parsing work and its /static cache. With "
        "l7_routing=by-path, L7 instead splits the servers into /api, /static and /ws pools and "
        "uses least connections within each."
    ),
    look_for=(
        "Watch the L4 bars: the server holding the busiest client's keep-alive connection runs "
        "far hotter than the rest until that connection closes, while the L7 bars on the same "
        "servers stay level; then compare the latencies, the L7 balancer's own time and the "
        "cache hits."
    ),
    params=(
        Param("requests_per_connection", 1000, "requests a keep-alive connection carries before "
              "the client opens a new one (1 = a new connection per request)", min=1, max=100_000),
        Param("clients", 20, "clients, each with its own connections", min=1, max=1000),
        Param("client_skew", 1.0, "how unevenly clients send (Zipf exponent; 0 = all equal)", min=0, max=3),
        Param("rate", 100.0, "requests per second from all clients", min=10, max=500, unit="req/s"),
        Param("static_fraction", 0.3, "share of requests for /static", min=0, max=1),
        Param("ws_fraction", 0.1, "share of requests that are /ws messages", min=0, max=1),
        Param("cache_hit_ratio", 0.8, "share of /static requests the L7 balancer answers from its cache",
              min=0, max=1),
        Param("parse_ms", 0.5, "L7 balancer work to parse one HTTP request", min=0, max=50, unit="ms"),
        Param("tls_ms", 1.5, "L7 balancer work to decrypt and re-encrypt one request", min=0, max=50, unit="ms"),
        Param("api_servers", 4, "servers in the L7 /api pool (all pools together are the servers "
              "both balancers share)", min=1, max=10),
        Param("static_servers", 1, "servers in the L7 /static pool", min=1, max=5),
        Param("ws_servers", 1, "servers in the L7 /ws pool", min=1, max=5),
        Param("l7_routing", ONE_POOL, "how L7 uses the servers: one-pool = the same single pool and "
              "round robin as L4, so only the layer differs; by-path = /api, /static and /ws pools "
              "(api_servers, static_servers, ws_servers) with least connections in each",
              choices=(ONE_POOL, BY_PATH)),
        Param("duration", 120.0, "length of the run", min=20, max=600, unit="s"),
    ),
    metrics=(
        Metric("imbalance_l4", "x mean", "L4: busiest server's requests over the mean, averaged over 5 s slots"),
        Metric("imbalance_l7", "x mean", "L7: the same over its servers (by path: within each pool, the worst pool)"),
        Metric("mean_latency_l4", "s", "mean latency behind L4 (no balancer work)"),
        Metric("mean_latency_l7", "s", "mean latency behind L7, including the balancer's own time"),
        Metric("l7_balancer_time", "s", "mean time a request spends in the L7 balancer (queue + parse + TLS)"),
        Metric("cache_hits", "requests", "/static requests answered by the L7 balancer's cache"),
        Metric("static_requests", "requests", "/static requests sent"),
        Metric("utilization_l4", "share", "busy share of the L4 pool's workers"),
        Metric("utilization_api_pool", "share", "busy share of the L7 /api pool (by path only)"),
        Metric("utilization_static_pool", "share", "busy share of the L7 /static pool (by path only)"),
        Metric("utilization_ws_pool", "share", "busy share of the L7 /ws pool (by path only)"),
        Metric("utilization_l7_balancer", "share", "busy share of the L7 balancer's workers"),
        Metric("utilization_l7", "share", "busy share of all the servers behind L7"),
    ),
    run_class=L4VersusL7Run,
    headline=("imbalance_l4", "imbalance_l7", "mean_latency_l4", "mean_latency_l7", "cache_hits"),
    duration_param="duration",
    requests=lambda p: 3 * p["rate"] * p["duration"],  # the L4 pool, then the L7 balancer and its pools
)
