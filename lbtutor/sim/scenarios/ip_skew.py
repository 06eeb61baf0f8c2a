"""ip-skew: few client addresses, or many users behind one NAT address, under IP hash.

IP hash spreads addresses, not load: every request from one address lands on one server. When a
share `nat_share` of all traffic comes from a single address (an office, a mobile carrier), the
server that address hashes to gets at least that share, however many servers there are. Round
robin and least connections ignore addresses and stay even on the very same traffic.
"""

from __future__ import annotations

from lbtutor.sim.config import SimConfig
from lbtutor.sim.metrics import max_over_mean
from lbtutor.sim.scenarios.base import ChartSeries, Metric, Pane, Param, Scenario, ScenarioRun
from lbtutor.sim.scenarios.toolkit import lab_simulation, p99, record_latencies, sent_to
from lbtutor.sim.server import Request
from lbtutor.sim.traffic import Traffic

NAT_CLIENT = 0  # the population's first address stands for the NAT gateway
PANES = {  # label, metric suffix, algorithm
    "ip hash": ("iphash", "ip-hash"),
    "round robin": ("rr", "round-robin"),
    "least connections": ("lc", "least-connections"),
}


class NatTraffic(Traffic):
    """A share `nat_share` of requests comes from one address; the rest from `clients` addresses
    chosen uniformly (the NAT address among them, as one more ordinary client)."""

    def __init__(self, rate, service_mean, clients, nat_share, seed):
        super().__init__(rate, "exp", service_mean, clients=clients, seed=seed)
        self.nat_share = nat_share

    def decorate(self, req, rng):
        if rng.random() < self.nat_share:
            req.client = NAT_CLIENT
            req.key = self.clients.hashes[NAT_CLIENT]


class IpSkewRun(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        p = params
        self.sims = {}
        for label, (_, algorithm) in PANES.items():
            traffic = NatTraffic(p["arrival_rate"], 1.0 / p["service_rate"], p["clients"], p["nat_share"], seed)
            config = SimConfig(
                algorithm=algorithm, servers=p["servers"], clients=p["clients"],
                arrival_rate=p["arrival_rate"], service_rate=p["service_rate"], seed=seed,
            )
            self.sims[label] = lab_simulation(config, traffic=traffic)
        iphash = self.sims["ip hash"]
        nat_key = iphash.traffic.clients.hashes[NAT_CLIENT]
        # IP hash is a pure function of the address, so the NAT's server is known before any traffic.
        self.nat_server = iphash.balancer.pick(Request(-1, 0.0, 0.0, NAT_CLIENT, nat_key), iphash.pool)
        self.latencies = {label: record_latencies(sim) for label, sim in self.sims.items()}
        self.nat_latencies = record_latencies(iphash, lambda req, server: server is self.nat_server)
        self.note(f"the NAT address hashes to {self.nat_server.name} under ip hash", 0.0)

    def _advance(self, t: float) -> None:
        for sim in self.sims.values():
            sim.advance_to(t)

    def metrics(self) -> dict:
        out = {}
        for label, (key, _) in PANES.items():
            sim = self.sims[label]
            sent = [sent_to(s) for s in sim.servers]
            total = sum(sent)
            out[f"busiest_share_{key}"] = max(sent) / total if total else None
            out[f"max_over_mean_{key}"] = max_over_mean(sent) if total else None
            out[f"p99_{key}"] = p99(self.latencies[label])
        now = self.sims["ip hash"].env.now
        out["nat_server_utilization"] = self.nat_server.area_at(now) / now if now > 0 else None
        out["nat_server_p99"] = p99(self.nat_latencies)
        return {m.name: out[m.name] for m in self.scenario.metrics}  # in the documented order

    def sample(self) -> dict:
        return {
            f"most_waiting_{key}": max(s.active for s in self.sims[label].servers)
            for label, (key, _) in PANES.items()
        }

    def panes(self) -> list[Pane]:
        panes = []
        for label, sim in self.sims.items():
            note = f"the NAT address lands on {self.nat_server.name}" if label == "ip hash" else ""
            panes.append(Pane(label, sim.snapshot(), note))
        return panes


SCENARIO = Scenario(
    name="ip-skew",
    section=2,
    title="Few clients, or many behind one address",
    summary=(
        "A share of all traffic comes from one address: many users behind a NAT gateway. IP hash "
        "sends every request from an address to the same server, so that server gets at least "
        "that share and can pass 100% busy while others idle. Round robin and least connections "
        "ignore addresses and stay even on the same traffic. With few clients (and no NAT) the "
        "same happens on a smaller scale."
    ),
    look_for=(
        "Watch one server's bar climb far above the others under ip hash, while round robin and "
        "least connections stay even on the same requests."
    ),
    params=(
        Param("servers", 4, "servers behind the balancer", min=2, max=32),
        Param("clients", 200, "distinct client addresses (the NAT address is one of them)", min=1, max=100_000),
        Param("nat_share", 0.4, "share of all requests coming from the one NAT address", min=0.0, max=1.0),
        Param("arrival_rate", 20.0, "requests arriving per second", min=0.1, max=1000.0, unit="req/s"),
        Param("service_rate", 10.0, "requests one server finishes per second when busy",
              min=0.1, max=1000.0, unit="req/s"),
        Param("duration", 120.0, "simulated length of the run", min=10.0, max=3600.0, unit="s"),
    ),
    metrics=(
        Metric("busiest_share_iphash", "fraction", "share of all requests sent to the busiest server, ip hash"),
        Metric("busiest_share_rr", "fraction", "share of all requests sent to the busiest server, round robin"),
        Metric("busiest_share_lc", "fraction", "share of all requests sent to the busiest server, least connections"),
        Metric("max_over_mean_iphash", "x", "requests sent to the busiest server over the mean per server, ip hash (1 = even)", label="busiest server's requests ÷ mean, ip hash"),
        Metric("max_over_mean_rr", "x", "requests sent to the busiest server over the mean per server, round robin"),
        Metric("max_over_mean_lc", "x", "requests sent to the busiest server over the mean per server, least connections", label="busiest server's requests ÷ mean, least connections"),
        Metric("nat_server_utilization", "fraction", "share of time busy of the server the NAT address hashes to", label="NAT address's server busy"),
        Metric("nat_server_p99", "s", "99th percentile latency of requests finished by that server", label="p99 on the NAT address's server"),
        Metric("p99_iphash", "s", "99th percentile latency of all finished requests, ip hash", label="p99 latency, ip hash"),
        Metric("p99_rr", "s", "99th percentile latency of all finished requests, round robin"),
        Metric("p99_lc", "s", "99th percentile latency of all finished requests, least connections", label="p99 latency, least connections"),
    ),
    run_class=IpSkewRun,
    headline=("max_over_mean_iphash", "max_over_mean_lc", "nat_server_utilization", "nat_server_p99",
              "p99_iphash", "p99_lc"),
    chart=(
        ChartSeries("most_waiting_iphash", "ip hash"),
        ChartSeries("most_waiting_rr", "round robin"),
        ChartSeries("most_waiting_lc", "least connections"),
    ),
    chart_title="most requests waiting at one server",
    duration_param="duration",
    requests=lambda p: 3 * p["arrival_rate"] * p["duration"],  # one stream, three balancers
)
