"""hash-remap: add (or remove) a server and count the clients whose server changes.

Modulo hashing (ip-hash: hash mod N) keeps a key in place only when hash mod N equals
hash mod (N+1), about 1 key in N+1, so N/(N+1) of them move. A consistent-hash ring moves only
the keys on the arcs the newcomer takes over, about 1/(N+1). With few virtual nodes per server
the arcs are uneven, so the ring's load (keys per server) is uneven; more virtual nodes even it.

The counts come from the very balancer classes the simulations use, applied to every client
address; the live part runs traffic through both and changes the pool at `change_at`, so the
bars show the shift and the moved share is measured again from real requests.
"""

from __future__ import annotations

import random
from collections import Counter

from lbtutor.sim.balancers import ConsistentHash, IPHash
from lbtutor.sim.config import ServerSpec, SimConfig, server_name
from lbtutor.sim.metrics import max_over_mean
from lbtutor.sim.scenarios.base import (
    ChartSeries,
    Metric,
    Pane,
    Param,
    Scenario,
    ScenarioError,
    ScenarioRun,
)
from lbtutor.sim.scenarios.toolkit import at, lab_simulation, on_complete
from lbtutor.sim.server import Request, Server
from lbtutor.sim.traffic import ClientPopulation

PANES = {"modulo (ip-hash)": "ip-hash", "consistent hash ring": "consistent-hash"}


def owners(balancer, names: list[str], keys: list[int]) -> list[str]:
    """The server name `balancer` picks for each key, for a pool of servers with these names."""
    pool = [Server(ServerSpec(name), i) for i, name in enumerate(names)]
    balancer.pool_changed(pool)
    return [balancer.pick(Request(0, 0.0, 0.0, 0, key), pool).name for key in keys]


def moved_fraction(before: list[str], after: list[str]) -> float:
    return sum(a != b for a, b in zip(before, after, strict=True)) / len(before)


def remap(keys: list[int], servers: int, change: str, vnodes: int) -> dict:
    """Static answer: which share of keys move under each method, and how even the ring is."""
    names_before = [server_name(i) for i in range(servers)]
    # Adding appends a server; removing takes the last one out, as remove_server does live.
    names_after = [server_name(i) for i in range(servers + 1)] if change == "add" else names_before[:-1]
    rng = random.Random(0)  # neither balancer draws from it; it only satisfies the constructor
    modulo_before = owners(IPHash(rng), names_before, keys)
    modulo_after = owners(IPHash(rng), names_after, keys)
    ring_before = owners(ConsistentHash(rng, vnodes=vnodes), names_before, keys)
    ring_after = owners(ConsistentHash(rng, vnodes=vnodes), names_after, keys)
    return {
        "remapped_fraction_modulo": moved_fraction(modulo_before, modulo_after),
        "remapped_fraction_consistent": moved_fraction(ring_before, ring_after),
        "max_over_mean": _keys_max_over_mean(ring_after, names_after),
        "max_over_mean_modulo": _keys_max_over_mean(modulo_after, names_after),
    }


def expected_fractions(servers: int, change: str) -> tuple[float, float]:
    """Closed forms (modulo, consistent) for N servers gaining or losing one."""
    if change == "add":
        return servers / (servers + 1), 1 / (servers + 1)
    return (servers - 1) / servers, 1 / servers


def _keys_max_over_mean(owner_names: list[str], names: list[str]) -> float | None:
    counts = Counter(owner_names)
    return max_over_mean([counts.get(name, 0) for name in names])


class HashRemapRun(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        p = params
        self.change = p["change"]
        if self.change == "remove" and p["servers"] < 2:
            raise ScenarioError(
                f"hash-remap: servers={p['servers']} is not allowed with change=remove; "
                "removing a server needs servers of at least 2"
            )
        # The same client addresses the live traffic uses (the population ignores its rng here).
        keys = ClientPopulation(p["keys"], 0.0, random.Random(0)).hashes
        self.static = remap(keys, p["servers"], self.change, p["vnodes"])
        self.expected = expected_fractions(p["servers"], self.change)
        self.change_at = float(p["change_at"])
        self.sims = {}
        for label, algorithm in PANES.items():
            config = SimConfig(
                algorithm=algorithm, servers=p["servers"], clients=p["keys"],
                arrival_rate=p["arrival_rate"], service_rate=p["service_rate"], seed=seed,
                algorithm_options={"vnodes": p["vnodes"]},
            )
            sim = lab_simulation(config)
            self.sims[label] = sim
            if self.change_at < duration:
                at(sim.env, self.change_at, lambda sim=sim: self._change(sim))
        # client -> server name of its latest request before the change, per pane
        self.home: dict[str, dict[int, str]] = {label: {} for label in PANES}
        # clients seen after the change that were seen before: how many, and how many moved
        self.checked: dict[str, dict[int, bool]] = {label: {} for label in PANES}
        for label, sim in self.sims.items():
            on_complete(sim, self._tracker(label))

    def _change(self, sim) -> None:
        if self.change == "add":
            name = sim.add_server()
            text = f"server {name} joins"
        else:
            name = sim.servers[-1].name
            sim.remove_server(name)
            text = f"server {name} leaves"
        if sim is next(iter(self.sims.values())):
            self.note(text, self.change_at)

    def _tracker(self, label: str):
        home, checked = self.home[label], self.checked[label]

        def track(sim, req, server):
            if req.arrival < self.change_at:
                home[req.client] = server.name
            elif req.client in home and req.client not in checked:
                checked[req.client] = server.name != home[req.client]

        return track

    def _advance(self, t: float) -> None:
        for sim in self.sims.values():
            sim.advance_to(t)

    def live_moved(self, label: str) -> float | None:
        checked = self.checked[label]
        return sum(checked.values()) / len(checked) if checked else None

    def metrics(self) -> dict:
        modulo, ring = self.expected
        out = {
            **self.static,
            "expected_modulo": modulo,
            "expected_consistent": ring,
            "live_moved_modulo": self.live_moved("modulo (ip-hash)"),
            "live_moved_consistent": self.live_moved("consistent hash ring"),
        }
        return {m.name: out[m.name] for m in self.scenario.metrics}  # in the documented order

    def sample(self) -> dict:
        return {
            "live_moved_modulo": self.live_moved("modulo (ip-hash)"),
            "live_moved_consistent": self.live_moved("consistent hash ring"),
        }

    def panes(self) -> list[Pane]:
        panes = []
        for label, sim in self.sims.items():
            moved = self.live_moved(label)
            note = "" if moved is None else f"{moved:.0%} of returning clients moved server"
            panes.append(Pane(label, sim.snapshot(), note))
        return panes


SCENARIO = Scenario(
    name="hash-remap",
    section=2,
    title="Adding a server: modulo against a ring",
    summary=(
        "K clients hashed onto N servers; then one server joins (or leaves). Modulo hashing "
        "moves about N/(N+1) of the clients, and with them their sessions and warm caches; a "
        "consistent-hash ring moves only about 1/(N+1), the keys the newcomer takes over. More "
        "virtual nodes per server make the ring's shares more even."
    ),
    look_for=(
        "Add a server and compare the share of clients that move: most of them under modulo "
        "hashing, about one in N+1 on the ring."
    ),
    params=(
        Param("servers", 4, "servers before the change", min=1, max=64),
        Param("change", "add", "what happens at change_at: a server joins, or the last one leaves",
              choices=("add", "remove")),
        Param("vnodes", 100, "points per server on the consistent-hash ring (virtual nodes)",
              min=1, max=1000),
        Param("keys", 2000, "distinct client addresses (the keys being hashed)", min=10, max=100_000),
        Param("arrival_rate", 40.0, "requests per second in the live part", min=0.1, max=1000.0,
              unit="req/s"),
        Param("service_rate", 15.0, "requests one server finishes per second when busy",
              min=0.1, max=1000.0, unit="req/s"),
        Param("change_at", 60.0, "when the server joins or leaves in the live part", min=0.0,
              max=3600.0, unit="s"),
        Param("duration", 120.0, "simulated length of the live part", min=10.0, max=3600.0, unit="s"),
    ),
    metrics=(
        Metric("remapped_fraction_modulo", "fraction", "share of all client addresses whose server changes under hash mod N", label="clients moved by the change, modulo"),
        Metric("remapped_fraction_consistent", "fraction", "share of all client addresses whose server changes on the ring", label="clients moved by the change, ring"),
        Metric("expected_modulo", "fraction", "theory for modulo: N/(N+1) on add, (N-1)/N on remove"),
        Metric("expected_consistent", "fraction", "theory for the ring: 1/(N+1) on add, 1/N on remove"),
        Metric("max_over_mean", "x", "ring after the change: most keys on one server over the mean (1 = even)", label="ring after the change: most keys on one server ÷ mean"),
        Metric("max_over_mean_modulo", "x", "modulo after the change: most keys on one server over the mean"),
        Metric("live_moved_modulo", "fraction", "live: share of returning clients that landed on a new server, modulo", label="returning clients on a new server, modulo"),
        Metric("live_moved_consistent", "fraction", "live: share of returning clients that landed on a new server, ring", label="returning clients on a new server, ring"),
    ),
    run_class=HashRemapRun,
    headline=("remapped_fraction_modulo", "remapped_fraction_consistent", "max_over_mean",
              "live_moved_modulo", "live_moved_consistent"),
    chart=(
        ChartSeries("live_moved_modulo", "modulo", "fraction"),
        ChartSeries("live_moved_consistent", "ring", "fraction"),
    ),
    chart_title="returning clients on a new server",
    duration_param="duration",
    requests=lambda p: 2 * p["arrival_rate"] * p["duration"],  # one stream, two ways to map keys
)
