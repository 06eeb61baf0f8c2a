"""Scenario `retry-storm` (section 6): retries turn a short blip into an outage that outlives it.

A pool runs near capacity (`load`, default 90%). At `blip_at` every request takes `blip_factor`
times its usual work for `blip` seconds (a slow dependency, a garbage-collection storm), so a
queue builds. Clients give up on an attempt after `timeout` seconds and retry it, up to `retries`
times. A client that gives up does not take the work back: the server still does it when the
attempt's turn comes (wasted work), while the retry joins the queue as new work.

Three client fleets send the very same first tries (same arrivals, same work) to three identical
pools and differ only in how they retry:

  * immediate: a timed-out attempt is sent again at once;
  * backoff: exponential backoff with full jitter, the retry waiting a random time up to
    BACKOFF_BASE x 2^(k-1) (capped at BACKOFF_CAP) before attempt k+1;
  * budget: a retry budget that refills with success, as gRPC's retry throttling works: every
    request answered in time earns `budget`/100 of a token, every attempt that times out costs a
    whole one, and retries are allowed only while the bucket is more than half full. Retries are
    then at most about `budget` percent of the answered requests, and they stop altogether once
    attempts fail more often than that.

Once every attempt waits longer than the timeout, each first try becomes 1 + retries attempts of
work, all wasted, so the offered load is load x (1 + retries): with retries that is above
capacity, the queue never drains, and the pool stays down long after the blip ended (a
metastable failure). Backoff spreads the same retries out in time but does not make them fewer,
so while every timed-out request is still retried it cannot end the storm; the budget stops
retrying when failures pile up, the offered load falls back to the first tries, and the queue
drains. (A budget that only capped retries at `budget` percent of the traffic, without charging
failures, would let a pool at 90% load run at 99%: at its edge, where it drains only slowly.)
"""

from __future__ import annotations

from dataclasses import replace

import simpy

from lbtutor.sim.config import SimConfig
from lbtutor.sim.engine import Simulation
from lbtutor.sim.scenarios.base import Metric, Pane, Param, Scenario, ScenarioError, ScenarioRun
from lbtutor.sim.scenarios.toolkit import at, lab_simulation, on_complete
from lbtutor.sim.server import Request
from lbtutor.sim.traffic import stream

SERVICE_TIME = 0.1  # seconds of work per request (exponential): 100 ms
WORKERS = 4  # requests one server works on at once
SLOT = 1.0  # seconds: offered load and timeouts are counted per slot of this length
BAD_SLOT = 0.1  # a second in which more than one attempt in ten timed out is still in trouble
BACKOFF_BASE = 0.1  # seconds: the first retry waits up to this long, the next twice as long, ...
BACKOFF_CAP = 10.0  # seconds: no retry waits longer than this
BUDGET_TOKENS = 100.0  # the retry budget's bucket: it starts full; retries need more than half
POLICIES = ("immediate", "backoff", "budget")
LABELS = {
    "immediate": "retry at once",
    "backoff": "exponential backoff with jitter",
    "budget": "retry budget",
}


class Attempt:
    """One try of one request: when it was sent, and whether the client has given up on it."""

    __slots__ = ("request", "number", "sent", "abandoned", "done")

    def __init__(self, request: UserRequest, number: int, sent: float) -> None:
        self.request = request
        self.number = number  # 0 = the first try
        self.sent = sent
        self.abandoned = False
        self.done = False


class UserRequest:
    """What a client wants answered: the first try's arrival and work, shared by its retries."""

    __slots__ = ("id", "arrival", "demand", "client", "key")

    def __init__(self, req: Request) -> None:
        self.id = req.id
        self.arrival = req.arrival
        self.demand = req.demand
        self.client = req.client
        self.key = req.key


class SlotCounts:
    """Per slot of SLOT seconds (by the time attempts were sent): first tries, retries, and how
    many of them timed out."""

    def __init__(self) -> None:
        self.first: list[int] = []
        self.retries: list[int] = []
        self.timed_out: list[int] = []

    def _slot(self, t: float) -> int:
        i = int(t / SLOT)
        while len(self.first) <= i:
            self.first.append(0)
            self.retries.append(0)
            self.timed_out.append(0)
        return i

    def sent(self, t: float, retry: bool) -> None:
        i = self._slot(t)
        if retry:
            self.retries[i] += 1
        else:
            self.first[i] += 1

    def gave_up(self, sent: float) -> None:
        self.timed_out[self._slot(sent)] += 1

    def bad(self, i: int) -> bool:
        sent = self.first[i] + self.retries[i]
        return sent > 0 and self.timed_out[i] > BAD_SLOT * sent


class RetryingClients:
    """The clients of one pool: they send attempts, give up after the timeout, and retry."""

    def __init__(self, run: RetryStormRun, sim: Simulation, policy: str) -> None:
        p = run.params
        self.run = run
        self.sim = sim
        self.env = sim.env
        self.policy = policy
        self.timeout = p["timeout"]
        self.retries = p["retries"]
        self.budget = p["budget"] / 100.0
        self.jitter = stream(run.seed, f"retry-storm:{policy}:jitter").random
        self.attempts: dict[int, Attempt] = {}  # engine request id -> attempt in flight
        self._next_id = 0
        self.slots = SlotCounts()
        self.answered = 0  # requests answered within the timeout
        self.failed = 0  # requests whose last allowed attempt timed out
        self.wasted = 0  # attempts the servers finished after their client had given up
        self.refused = 0  # retries the budget did not allow
        self.sent_retries = 0
        self.backing_off = 0  # requests waiting out a backoff before their next attempt
        self.tokens = BUDGET_TOKENS  # budget: the bucket
        on_complete(sim, self._finished)

    # -- sending ---------------------------------------------------------------------------
    def first_try(self, req: Request) -> None:
        self._send(UserRequest(req), 0)

    def _send(self, request: UserRequest, number: int) -> None:
        now = self.env.now
        attempt = Attempt(request, number, now)
        rid = self._next_id
        self._next_id += 1
        self.attempts[rid] = attempt
        self.slots.sent(now, retry=number > 0)
        if number > 0:
            self.sent_retries += 1
        at(self.env, now + self.timeout, lambda: self._deadline(rid))
        self.sim.inject(Request(rid, now, request.demand, request.client, request.key))

    # -- outcomes --------------------------------------------------------------------------
    def _finished(self, sim, req: Request, server) -> None:
        attempt = self.attempts.pop(req.id)
        attempt.done = True
        if attempt.abandoned:
            self.wasted += 1
            return
        self.answered += 1
        self.tokens = min(BUDGET_TOKENS, self.tokens + self.budget)

    def _deadline(self, rid: int) -> None:
        attempt = self.attempts.get(rid)
        if attempt is None or attempt.done:
            return  # answered in time
        attempt.abandoned = True
        self.slots.gave_up(attempt.sent)
        self.tokens = max(0.0, self.tokens - 1.0)
        number = attempt.number + 1
        if number > self.retries:
            self.failed += 1
            return
        if self.policy == "immediate":
            self._send(attempt.request, number)
        elif self.policy == "backoff":
            delay = self.jitter() * min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (number - 1))
            self.backing_off += 1
            at(self.env, self.env.now + delay, lambda: self._retry_after_backoff(attempt.request, number))
        elif self.tokens > BUDGET_TOKENS / 2:
            self._send(attempt.request, number)
        else:
            self.refused += 1
            self.failed += 1

    def _retry_after_backoff(self, request: UserRequest, number: int) -> None:
        self.backing_off -= 1
        self._send(request, number)

    def pending(self) -> int:
        """Requests neither answered nor failed yet: one attempt still awaited, or a backoff."""
        return len({a.request.id for a in self.attempts.values() if not a.abandoned}) + self.backing_off

    # -- figures ---------------------------------------------------------------------------
    def recovery_time(self, blip_end: float, now: float) -> float | None:
        """Seconds from the end of the blip to the end of the last slot (among those whose
        attempts have all had their verdict) in which more than BAD_SLOT of the attempts timed
        out; the run's remaining length if that is the last such slot."""
        if now <= blip_end:
            return None
        judged = int(max(0.0, now - self.timeout) / SLOT)  # slots whose every attempt is decided
        last_bad = None
        for i in range(min(judged, len(self.slots.first))):
            if self.slots.bad(i):
                last_bad = i
        if last_bad is None or (last_bad + 1) * SLOT <= blip_end:
            return 0.0
        if last_bad >= judged - 1:
            return now - blip_end  # still in trouble when the run ended
        return (last_bad + 1) * SLOT - blip_end

    def offered(self, slot: int, capacity: float) -> tuple[float, float]:
        """First tries and retries sent in `slot`, each per second, as multiples of capacity."""
        s = self.slots
        if slot < 0 or slot >= len(s.first):
            return 0.0, 0.0
        return s.first[slot] / SLOT / capacity, s.retries[slot] / SLOT / capacity


class RetryStormRun(ScenarioRun):
    def __init__(self, scenario, params, seed, duration):
        super().__init__(scenario, params, seed, duration)
        p = params
        if p["blip_at"] >= duration:
            raise ScenarioError(
                f"retry-storm: blip_at={p['blip_at']:g} is not allowed; blip_at must be before the end "
                f"of the run (duration {duration:g} s)"
            )
        self.env = simpy.Environment()
        self.capacity = p["servers"] * WORKERS / SERVICE_TIME
        rate = p["load"] * self.capacity
        self.blip_end = min(duration, p["blip_at"] + p["blip"])
        self.sims: dict[str, Simulation] = {}
        self.clients: dict[str, RetryingClients] = {}
        for policy in POLICIES:
            config = SimConfig(
                algorithm="least-connections", servers=p["servers"], workers=WORKERS,
                arrival_rate=rate, service_rate=1.0 / SERVICE_TIME, seed=seed,
            )
            sim = lab_simulation(config, env=self.env, generate_arrivals=False)
            self.sims[policy] = sim
            self.clients[policy] = RetryingClients(self, sim, policy)
        self.env.process(self._first_tries())
        at(self.env, p["blip_at"], self._blip_starts)
        at(self.env, self.blip_end, self._blip_ends)

    def _first_tries(self):
        """One stream of first tries, sent to all three pools alike (common random numbers)."""
        env, traffic = self.env, self.sims[POLICIES[0]].traffic
        rid = 0
        while True:
            yield env.timeout(traffic.next_gap(env.now))
            req = traffic.make_request(rid, env.now)
            rid += 1
            for clients in self.clients.values():
                clients.first_try(req)

    def _blip_starts(self) -> None:
        factor = self.params["blip_factor"]
        for sim in self.sims.values():
            for server in sim.servers:
                sim.set_speed(server.name, 1.0 / factor)
        self.note(f"the blip: every request now needs {factor:g} times its usual work")

    def _blip_ends(self) -> None:
        if self.blip_end >= self.duration:
            return
        for sim in self.sims.values():
            for server in sim.servers:
                sim.set_speed(server.name, 1.0)
        self.note("the blip is over: the servers are as fast as before")

    # -- the interface ---------------------------------------------------------------------
    def _advance(self, t: float) -> None:
        if t > self.env.now:
            self.env.run(until=t)

    def metrics(self) -> dict:
        elapsed = self.env.now
        figures: dict = {}
        for policy, clients in self.clients.items():
            slots = range(min(len(clients.slots.first), int(elapsed / SLOT)))
            peak = max((sum(clients.offered(i, self.capacity)) for i in slots), default=None)
            figures[f"goodput_{policy}"] = clients.answered / elapsed if elapsed > 0 else None
            figures[f"failed_{policy}"] = clients.failed
            figures[f"recovery_time_{policy}"] = clients.recovery_time(self.blip_end, elapsed)
            figures[f"peak_offered_{policy}"] = peak
            figures[f"wasted_{policy}"] = clients.wasted
        chosen = self.params["policy"]
        for name in ("goodput", "failed", "recovery_time", "peak_offered"):
            figures[name] = figures[f"{name}_{chosen}"]
        figures["first_try_rate"] = self.params["load"] * self.capacity
        return figures

    def sample(self) -> dict:
        last = int(self.env.now / SLOT) - 1  # the last whole slot
        point = {"first_tries": self.clients[POLICIES[0]].offered(last, self.capacity)[0]}
        for policy, clients in self.clients.items():
            point[f"retries_{policy}"] = clients.offered(last, self.capacity)[1]
        return point

    def panes(self) -> list[Pane]:
        last = int(self.env.now / SLOT) - 1
        panes = []
        for policy, clients in self.clients.items():
            first, retries = clients.offered(last, self.capacity)
            note = (f"last second: {first + retries:.2f} x capacity offered ({retries:.2f} of it "
                    f"retries); {clients.answered:,} answered in time, {clients.failed:,} failed")
            # The engine's theory and offered load assume its nominal arrival rate: the first tries
            # alone. What the pool is offered is first tries plus retries, as measured.
            snap = replace(self.sims[policy].snapshot(), theory=None, offered_load=first + retries)
            panes.append(Pane(f"{LABELS[policy]} (up to {self.params['retries']} retries)", snap, note))
        return panes


def _requests(p: dict) -> float:
    """An upper estimate of the attempts a run sends: with immediate retries and with backoff each
    first try becomes at most 1 + retries attempts; under the budget, retries need a bucket over
    half full, so they are at most half the bucket plus budget% of the first tries."""
    first = p["load"] * p["servers"] * WORKERS / SERVICE_TIME * p["duration"]
    return 2 * (1 + p["retries"]) * first + first * (1 + min(p["retries"], p["budget"] / 100)) + BUDGET_TOKENS / 2


SCENARIO = Scenario(
    name="retry-storm",
    section=6,
    title="Retry storm: a blip becomes an outage",
    summary=(
        "Four servers (4 workers each, 100 ms requests) at 90% of capacity. At 20 s every request "
        "needs twice its work for 5 s. Clients give up after 1 s and retry up to 3 times; the "
        "servers still finish what they were given. The same requests go to three pools whose "
        "clients retry at once, with backoff and jitter, or within a retry budget."
    ),
    look_for=(
        "Watch the queues after the blip ends at 25 s: with immediate retries, and with backoff, "
        "they keep growing and nothing is answered in time; under the retry budget they drain "
        "and requests are answered again."
    ),
    params=(
        Param("servers", 4, "servers in each pool (4 workers each, 100 ms of work per request)",
              min=1, max=20),
        Param("load", 0.9, "first tries as a fraction of the pool's capacity", min=0.1, max=0.99),
        Param("blip_at", 20.0, "when the blip starts", min=0, max=600, unit="s"),
        Param("blip", 5.0, "how long the blip lasts", min=0, max=120, unit="s"),
        Param("blip_factor", 2.0, "during the blip every request needs this many times its work",
              min=1, max=20),
        Param("timeout", 1.0, "how long a client waits for an answer before it gives up", min=0.2,
              max=30, unit="s"),
        Param("retries", 3, "retries after the first try (0 = never retry)", min=0, max=5),
        Param("policy", "immediate", "which pool the plain metrics describe (all three run side by "
              "side): immediate, backoff (exponential with jitter) or budget",
              choices=POLICIES),
        Param("budget", 10.0, "retry budget: each request answered in time earns this percent of a "
              "retry, each timeout costs a whole one; retries only while the bucket is over half full",
              min=0, max=100, unit="%"),
        Param("duration", 60.0, "length of the run", min=10, max=600, unit="s"),
    ),
    metrics=(
        Metric("goodput", "req/s", "requests answered within the timeout, per second over the run "
               "(the pool policy names)"),
        Metric("failed", "requests", "requests whose last allowed try timed out"),
        Metric("recovery_time", "s", "from the end of the blip to the end of the last second in which "
               "more than one attempt in ten timed out (the run's remaining length if that never stops)"),
        Metric("peak_offered", "x capacity", "the most work sent in one second (first tries and "
               "retries) over what the pool can do"),
        *(Metric(f"{name}_{policy}", unit, f"{meaning} under {LABELS[policy]}")
          for policy in POLICIES
          for name, unit, meaning in (
              ("goodput", "req/s", "requests answered in time per second"),
              ("failed", "requests", "requests that failed"),
              ("recovery_time", "s", "recovery time after the blip"),
              ("peak_offered", "x capacity", "peak offered load"),
              ("wasted", "attempts", "attempts the servers finished after the client gave up"),
          )),
        Metric("first_try_rate", "req/s", "first tries per second: load x capacity"),
    ),
    run_class=RetryStormRun,
    headline=("recovery_time_immediate", "recovery_time_backoff", "recovery_time_budget", "goodput"),
    duration_param="duration",
    requests=_requests,
)
