"""sticky-sessions: login sessions kept in server memory (so each user is pinned to one server)
versus kept in an external store that every server reads; then one server dies.

Both setups see the same users sending the same requests. Sticky: a consistent-hash ring on the
user pins each user to a server, and the session lives in that server's memory, so when the
server dies its sessions die with it and those users are logged out on their next request.
Store: any server serves any request (round robin) and reads the session from the store,
which costs `store_latency` of extra work per request, and a dead server loses no session.
"""

from __future__ import annotations

from bisect import bisect_right

from lbtutor.sim.balancers import build_ring
from lbtutor.sim.config import SimConfig
from lbtutor.sim.scenarios.base import ChartSeries, Metric, Pane, Param, Scenario, ScenarioRun
from lbtutor.sim.scenarios.toolkit import at, lab_simulation
from lbtutor.sim.traffic import Traffic, client_address, stable_hash

VNODES = 100  # points per server on the sticky ring
WORKERS = 8  # worker threads per server: at these loads requests (almost) never queue
VICTIM = "s1"


class StoreLookupTraffic(Traffic):
    """The same request stream, but every request also reads its session from the store."""

    def __init__(self, *args, lookup: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lookup = lookup

    def decorate(self, req, rng) -> None:
        req.demand += self.lookup  # a blocking read: the worker waits for the store (speed 1)


class SessionBook:
    """Where each user's session lives (a server's memory, or the shared store)."""

    def __init__(self) -> None:
        self.home: dict[int, str] = {}  # user -> server (or "store") holding their session
        self.logged_out: set[int] = set()  # sessions destroyed, users not back yet
        self.logins = 0
        self.relogins = 0  # users who came back and had to log in again

    def served(self, user: int, where: str) -> None:
        if self.home.get(user) == where:
            return
        if user in self.logged_out or user in self.home:  # their session is gone or elsewhere
            self.logged_out.discard(user)
            self.relogins += 1
        self.logins += 1
        self.home[user] = where

    def lose(self, where: str) -> int:
        gone = [user for user, home in self.home.items() if home == where]
        for user in gone:
            del self.home[user]
            self.logged_out.add(user)
        return len(gone)

    def count_on(self, where: str) -> int:
        return sum(1 for home in self.home.values() if home == where)


class StickySessionsRun(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        p = params
        rate = p["users"] * p["user_rate"]
        mean_work = 1.0 / p["service_rate"]
        common = dict(service_rate=p["service_rate"], servers=p["servers"], workers=WORKERS,
                      clients=p["users"], arrival_rate=rate, seed=seed)
        # Same seed: both setups draw the same users, arrival times and work (common random numbers).
        self.sticky = lab_simulation(
            SimConfig(algorithm="consistent-hash", algorithm_options={"vnodes": VNODES}, **common)
        )
        store_traffic = StoreLookupTraffic(rate, service_mean=mean_work, clients=p["users"], seed=seed,
                                           lookup=p["store_latency"])
        self.store = lab_simulation(SimConfig(algorithm="round-robin", **common), traffic=store_traffic)
        self.books = {"sticky": SessionBook(), "store": SessionBook()}
        self.sticky.on_complete = lambda sim, req, server: self.books["sticky"].served(req.client, server.name)
        self.store.on_complete = lambda sim, req, server: self.books["store"].served(req.client, "store")
        self.fail_at = p["fail_at"]
        self.active_at_failure: int | None = None
        self.sessions_lost: int | None = None
        self.latency_before: dict[str, float | None] = {}
        for sim in (self.sticky, self.store):
            at(sim.env, self.fail_at, lambda sim=sim: self._server_dies(sim))
            at(sim.env, self.fail_at + p["detect_after"], lambda sim=sim: sim.set_in_rotation(VICTIM, False))

    def ring_share(self, name: str = VICTIM) -> float:
        """The share of users the sticky ring sends to `name`: its expected share of sessions."""
        servers = [s.name for s in self.sticky.servers]
        ring = build_ring(servers, VNODES)
        users = [stable_hash(client_address(u)) for u in range(self.params["users"])]
        points = [point for point, _ in ring]
        owned = sum(1 for key in users if ring[bisect_right(points, key) % len(ring)][1] == name)
        return owned / len(users)

    # -- the story ------------------------------------------------------------------------------
    def _server_dies(self, sim) -> None:
        sim.take_down(VICTIM)
        if sim is self.sticky:
            book = self.books["sticky"]
            self.active_at_failure = len(book.home)
            self.sessions_lost = book.lose(VICTIM)
            self.note(f"{VICTIM} dies: {self.sessions_lost} of {self.active_at_failure} sessions lived in "
                      "its memory and are gone; those users will be logged out", sim.now)
        else:
            self.note(f"{VICTIM} dies in the store setup too: every session is safe in the store", sim.now)

    # -- ScenarioRun ----------------------------------------------------------------------------
    def _advance(self, t: float) -> None:
        self.sticky.advance_to(t)
        self.store.advance_to(t)

    def metrics(self) -> dict:
        sticky, store = self.books["sticky"], self.books["store"]
        lat = {name: _mean_latency(sim) for name, sim in (("sticky", self.sticky), ("store", self.store))}
        lost = self.sessions_lost
        active = self.active_at_failure
        return {
            "sessions_active": active if active is not None else len(sticky.home),
            "sessions_lost": lost or 0,
            "sessions_lost_store": len(store.logged_out),
            "lost_fraction": lost / active if lost is not None and active else None,
            "expected_fraction": 1.0 / self.params["servers"],
            "relogins": sticky.relogins,
            "failed_sticky": self.sticky.failed,
            "failed_store": self.store.failed,
            "mean_latency_sticky": lat["sticky"],
            "mean_latency_store": lat["store"],
            "added_latency": lat["store"] - lat["sticky"] if None not in lat.values() else None,
        }

    def sample(self) -> dict:
        return {
            "sessions_sticky": len(self.books["sticky"].home),
            "sessions_store": len(self.books["store"].home),
            "sessions_lost": self.sessions_lost or 0,
            "relogins": self.books["sticky"].relogins,
            "latency_sticky": self.sticky.snapshot().recent.mean,
            "latency_store": self.store.snapshot().recent.mean,
        }

    def panes(self) -> list[Pane]:
        in_memory = len(self.books["sticky"].home)
        sticky_note = (
            f"{in_memory:,} sessions in memory" if self.sessions_lost is None
            else f"{self.sessions_lost:,} sessions lost with {VICTIM}"
        )
        return [
            Pane("sessions in server memory (sticky)", self.sticky.snapshot(), sticky_note),
            Pane("sessions in a shared store", self.store.snapshot(),
                 f"{len(self.books['store'].home):,} sessions in store"),
        ]


def _mean_latency(sim) -> float | None:
    done = sim.measured_completed
    return sim.measured_latency_sum / done if done else None


SCENARIO = Scenario(
    name="sticky-sessions",
    section=7,
    title="Sticky sessions versus an external session store",
    summary=(
        "Users log in and keep sending requests. In one setup the session lives in the memory of "
        "the server that logged the user in, and a hash on the user pins them to it. In the other "
        "it lives in a shared store (Redis-like) that any server reads, at a small cost per request. "
        "Then one server dies: the sticky setup loses every session that server held, about 1/N of "
        "them, and those users are logged out; the store setup loses none."
    ),
    look_for=(
        "When the server dies, watch the lost-session counter jump by the number of users that "
        "server held, then compare the two mean latencies: the store adds only its lookup time."
    ),
    params=(
        Param("servers", 4, "servers behind the balancer in each setup", min=2, max=16),
        Param("users", 2000, "users, each with one login session", min=10, max=20000),
        Param("user_rate", 0.05, "requests per second each user sends", min=0.001, max=5.0, unit="req/s"),
        Param("service_rate", 20.0, "requests per second one worker finishes (mean work 1/rate)",
              min=1.0, max=500.0, unit="req/s"),
        Param("store_latency", 0.002, "extra time every request spends reading its session from the store",
              min=0.0, max=1.0, unit="s"),
        Param("fail_at", 60.0, "when one server dies in each setup", min=0.0, max=3600.0, unit="s"),
        Param("detect_after", 2.0, "how long health checks take to notice the dead server", min=0.0, max=60.0, unit="s"),
        Param("duration", 120.0, "simulated length of the run", min=10.0, max=3600.0, unit="s"),
    ),
    metrics=(
        Metric("sessions_active", "sessions", "sessions alive when the server died"),
        Metric("sessions_lost", "sessions", "sessions that lived in the dead server's memory (sticky)", label="session lost, sticky|sessions lost, sticky"),
        Metric("sessions_lost_store", "sessions", "sessions lost with the external store", label="session lost, store|sessions lost, store"),
        Metric("lost_fraction", "", "sessions lost over sessions alive (sticky)", label="sessions lost, sticky"),
        Metric("expected_fraction", "", "1/N: the dead server's fair share of the users"),
        Metric("relogins", "users", "users who came back after the failure and had to log in again", label="user logged in again|users logged in again"),
        Metric("failed_sticky", "requests", "requests the dead server held or was sent before detection (sticky)"),
        Metric("failed_store", "requests", "the same, with the external store"),
        Metric("mean_latency_sticky", "s", "mean latency, sessions in server memory"),
        Metric("mean_latency_store", "s", "mean latency, sessions in the store"),
        Metric("added_latency", "s", "what the store costs per request on average (about store_latency)", label="the store's cost per request"),
    ),
    run_class=StickySessionsRun,
    headline=("sessions_lost", "sessions_lost_store", "lost_fraction", "relogins", "added_latency"),
    chart=(
        ChartSeries("sessions_lost", "sessions lost"),
        ChartSeries("relogins", "logins again"),
    ),
    chart_title="sessions lost and logins again",
    duration_param="duration",
    requests=lambda p: 2 * p["users"] * p["user_rate"] * p["duration"],  # sticky and shared store
)
