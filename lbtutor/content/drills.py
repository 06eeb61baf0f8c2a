"""Generated drills: endless, seeded questions whose answers the simulator's own code computes.

Six drills, each a `Drill` in `DRILLS`:

  wlc      which server weighted least connections picks (WeightedLeastConnections.pick)
  wrr      the next picks of smooth weighted round robin (WeightedRoundRobin.pick)
  hash     which clients move when modulo hashing gets one more server (IPHash over stable_hash)
  servers  how many servers a load needs at a target utilisation (theory.predict's rho)
  health   how long a health checker takes to notice a crashed server (HealthChecker on the engine)
  bucket   how many requests a token bucket lets through (gateway.TokenBucket)

A drill is a `Question` like any in the bank (ids start with "drill:"), so the quiz screen asks,
checks and explains it the same way. `make_drill(kind, seed)` always gives the same question;
`drill_stream(seed)` yields an endless mixed sequence. Each drill also has a `*_question`
function that builds the question from given numbers, which the tests use on known cases.

This module also runs "predict, then watch" scenarios headless (`watch`): after a question with
`scenario = ...` is answered, the scenario runs and the learner sees who really won.
"""

from __future__ import annotations

import math
import random
import string
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from lbtutor.content.lessons import Option
from lbtutor.content.quiz import Question
from lbtutor.sim.balancers import IPHash, WeightedLeastConnections, WeightedRoundRobin
from lbtutor.sim.config import ServerSpec, SimConfig, server_name
from lbtutor.sim.server import Request, Server
from lbtutor.sim.traffic import client_address, stable_hash

LETTERS = string.ascii_lowercase


_NAMES = {"ip-hash": "IP hash", "peak-ewma": "Peak EWMA"}


def algorithm_name(slug: str, capital: bool = True) -> str:
    """"least-connections" -> "Least connections" ("least connections" inside a sentence),
    "ip-hash" -> "IP hash"."""
    if slug in _NAMES:
        return _NAMES[slug]
    text = slug.replace("-", " ")
    return text[:1].upper() + text[1:] if capital else text


@dataclass(frozen=True)
class Drill:
    kind: str
    title: str
    section: int
    make: Callable[[random.Random, str], Question]  # (rng, question id) -> question


def _question(qid: str, kind: str, section: int, prompt: str, teaches: str, **fields) -> Question:
    fields.setdefault("options", ())
    fields.setdefault("answers", frozenset())
    return Question(id=qid, kind=kind, section=section, prompt=prompt, teaches=teaches, **fields)


def _fmt(x: float, digits: int = 2) -> str:
    """A number as a person writes it: 2, 2.5, 0.33 (at most `digits` decimals)."""
    return f"{x:.{digits}f}".rstrip("0").rstrip(".") if not float(x).is_integer() else str(int(x))


# -- weighted least connections -------------------------------------------------------------------


def wlc_pick(servers: Sequence[tuple[str, int, float]]) -> str:
    """The server WeightedLeastConnections picks among (name, active connections, weight)."""
    pool = []
    for i, (name, active, weight) in enumerate(servers):
        server = Server(ServerSpec(name, weight=weight), i)
        server.active = active
        pool.append(server)
    balancer = WeightedLeastConnections(random.Random(0))
    balancer.pool_changed(pool)
    return balancer.pick(Request(0, 0.0, 0.0, 0, 0), pool).name


def wlc_question(servers: Sequence[tuple[str, int, float]], qid: str = "drill:wlc") -> Question:
    """Which of these (name, connections, weight) servers gets the next request?"""
    picked = wlc_pick(servers)
    scores = {name: active / weight for name, active, weight in servers}
    options = []
    for i, (name, active, weight) in enumerate(servers):
        score = scores[name]
        if name == picked:
            why = f"Right. Score {active} / {_fmt(weight)} = {_fmt(score)}, the lowest, so {name} gets the request."
        else:
            why = (f"Score {active} / {_fmt(weight)} = {_fmt(score)}, higher than {picked}'s "
                   f"{_fmt(scores[picked])}.")  # fmt: skip
            if active < dict((n, a) for n, a, _ in servers)[picked]:
                why += f" Fewer connections than {picked}, but its smaller weight makes each one count for more."
        options.append(Option(LETTERS[i], f"{name}: {active} connections, weight {_fmt(weight)}", why))
    prompt = ("Weighted least connections scores each server by active connections / weight and "
              "sends the next request to the lowest score. Which server gets it?")  # fmt: skip
    answer = LETTERS[[n for n, _, _ in servers].index(picked)]
    return _question(qid, "single", 2, prompt, "algorithms#weighted-least-connections",
                     options=tuple(options), answers=frozenset({answer}),
                     explain=f"{picked} has the lowest connections-per-weight score.")  # fmt: skip


def _random_wlc(rng: random.Random, qid: str) -> Question:
    while True:
        n = rng.choice((3, 3, 4))
        servers = [(chr(ord("A") + i), rng.randint(0, 20), float(rng.randint(1, 6))) for i in range(n)]
        scores = sorted(a / w for _, a, w in servers)
        # one clear winner (the balancer breaks ties at random), and no answer by counts alone
        fewest = min(servers, key=lambda s: s[1])[0]
        if scores[1] - scores[0] > 1e-9 and (rng.random() < 0.25 or wlc_pick(servers) != fewest):
            return wlc_question(servers, qid)


# -- smooth weighted round robin ------------------------------------------------------------------


def wrr_picks(weights: Sequence[float], count: int, names: Sequence[str] | None = None) -> list[str]:
    """The first `count` picks of WeightedRoundRobin (nginx's smooth method) from a fresh start."""
    names = list(names or LETTERS[: len(weights)])
    pool = [Server(ServerSpec(name, weight=w), i) for i, (name, w) in enumerate(zip(names, weights, strict=True))]
    balancer = WeightedRoundRobin(random.Random(0))
    balancer.pool_changed(pool)
    return [balancer.pick(Request(k, 0.0, 0.0, 0, 0), pool).name for k in range(count)]


def _blocked(weights: Sequence[int], names: Sequence[str], count: int) -> list[str]:
    """Plain (non-smooth) weighted round robin: each server's whole share in one block."""
    cycle = [name for name, w in zip(names, weights, strict=True) for _ in range(int(w))]
    return [cycle[k % len(cycle)] for k in range(count)]


def wrr_question(weights: Sequence[int], qid: str = "drill:wrr", distractor_seed: int = 0) -> Question:
    """The first picks (one whole cycle, at most 9) of smooth WRR with these weights."""
    names = list(LETTERS[: len(weights)])
    count = min(9, int(sum(weights)))
    right = wrr_picks(weights, count, names)
    rng = random.Random(distractor_seed)
    candidates: list[tuple[list[str], str]] = [
        (_blocked(weights, names, count), "That is weighted round robin done the naive way: each server's "
         "whole share in a row. The smooth method interleaves them, so no server gets a burst."),
        ([names[k % len(names)] for k in range(count)], "That is plain round robin: it ignores the weights."),
    ]
    for _ in range(20):
        swapped = list(right)
        i = rng.randrange(count - 1)
        swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
        candidates.append((swapped, f"Close, but picks {i + 1} and {i + 2} are the wrong way round: "
                           "work out each server's running total step by step."))  # fmt: skip
    options_raw: list[tuple[list[str], str]] = [(right, "")]
    for seq, why in candidates:
        if len(options_raw) == 4:
            break
        if all(seq != other for other, _ in options_raw):
            options_raw.append((seq, why))
    rng.shuffle(options_raw)
    trace = _wrr_trace(weights, names, count)
    options = []
    answer = ""
    for i, (seq, why) in enumerate(options_raw):
        key = LETTERS[i]
        if seq == right:
            answer = key
            why = "Right. " + trace
        options.append(Option(key, " ".join(seq), why))
    shares = ", ".join(f"{n} = {w}" for n, w in zip(names, weights, strict=True))
    prompt = (f"Smooth weighted round robin (nginx's method) starts fresh with weights {shares}. "
              f"Which are its first {count} picks?")  # fmt: skip
    return _question(qid, "single", 2, prompt, "algorithms#smooth-weighted-round-robin",
                     options=tuple(options), answers=frozenset({answer}), explain=trace)  # fmt: skip


def _wrr_trace(weights: Sequence[int], names: Sequence[str], count: int) -> str:
    """The running totals, pick by pick: what the learner should have worked out."""
    current = [0.0] * len(weights)
    total = sum(weights)
    steps = []
    for _ in range(count):
        current = [c + w for c, w in zip(current, weights, strict=True)]
        best = max(range(len(current)), key=lambda i: (current[i], -i))
        before = " ".join(_fmt(c) for c in current)
        current[best] -= total
        steps.append(f"[{before}] -> {names[best]}")
    return (f"Each pick adds every weight to its server's total, takes the highest, and subtracts "
            f"the sum of weights ({_fmt(total)}) from the winner: " + "; ".join(steps) + ".")  # fmt: skip


def _random_wrr(rng: random.Random, qid: str) -> Question:
    n = rng.choice((2, 3, 3))
    while True:
        weights = [rng.randint(1, 5) for _ in range(n)]
        if len(set(weights)) > 1 and sum(weights) >= 4:
            return wrr_question(weights, qid, distractor_seed=rng.randrange(1 << 30))


# -- modulo hashing gets one more server ----------------------------------------------------------

HASH_SHOWN_MOD = 60  # hash mod 60 gives hash mod 2, 3, 4, 5 and 6: all the learner needs


def hash_owners(addresses: Sequence[str], servers: int) -> list[str]:
    """The server IPHash sends each client address to, with `servers` servers s1..sN."""
    balancer = IPHash(random.Random(0))
    pool = [Server(ServerSpec(server_name(i)), i) for i in range(servers)]
    balancer.pool_changed(pool)
    return [balancer.pick(Request(0, 0.0, 0.0, 0, stable_hash(a)), pool).name for a in addresses]


def hash_question(addresses: Sequence[str], servers: int, qid: str = "drill:hash") -> Question:
    before = hash_owners(addresses, servers)
    after = hash_owners(addresses, servers + 1)
    options = []
    answers = set()
    for i, address in enumerate(addresses):
        h = stable_hash(address)
        key = LETTERS[i]
        moved = before[i] != after[i]
        if moved:
            answers.add(key)
        how = (f"hash mod {servers} = {h % servers} ({before[i]}), hash mod {servers + 1} = "
               f"{h % (servers + 1)} ({after[i]})")  # fmt: skip
        why = f"Moves: {how}." if moved else f"Stays: {how}, the same server."
        options.append(Option(key, f"{address} (hash mod {HASH_SHOWN_MOD} = {h % HASH_SHOWN_MOD})", why))
    prompt = (f"IP hash sends a client to server number hash(address) mod N (counting from 0: "
              f"s1 is 0). The pool grows from {servers} to {servers + 1} servers. Which clients "
              f"move to another server? (Choose all that apply; hash mod {HASH_SHOWN_MOD} is "
              f"given, which is enough to work out hash mod {servers} and mod {servers + 1}.)")  # fmt: skip
    moved = len(answers)
    explain = (f"{moved} of {len(addresses)} clients moved. With modulo hashing a key stays only if "
               f"hash mod {servers} equals hash mod {servers + 1}, so about {servers} in "
               f"{servers + 1} keys move; a consistent-hash ring would move about 1 in {servers + 1}.")  # fmt: skip
    return _question(qid, "multiple", 2, prompt, "algorithms#ip-hash", options=tuple(options),
                     answers=frozenset(answers), explain=explain)  # fmt: skip


def _random_hash(rng: random.Random, qid: str) -> Question:
    while True:
        servers = rng.randint(2, 5)
        addresses = [client_address(i) for i in rng.sample(range(1, 5000), 5)]
        before, after = hash_owners(addresses, servers), hash_owners(addresses, servers + 1)
        moved = sum(b != a for b, a in zip(before, after, strict=True))
        if 0 < moved < len(addresses):
            return hash_question(addresses, servers, qid)


# -- servers for a load ---------------------------------------------------------------------------


def servers_needed(load: float, per_server: float, target: float) -> int:
    """The fewest servers that keep utilisation at or under `target`, by the simulator's theory
    (rho = arrival rate / (servers x service rate))."""
    from lbtutor.sim.theory import predict

    n = 1
    while True:
        model = predict(algorithm="round-robin", servers=n, workers=[1] * n, speeds=[1.0] * n,
                        weights=[1.0] * n, arrival_rate=load, service_rate=per_server,
                        service_dist="exp", queue_limit=0)  # fmt: skip
        if model["rho"] <= target + 1e-9:
            return n
        n += 1


def servers_question(load: int, per_server: int, target: float, qid: str = "drill:servers") -> Question:
    n = servers_needed(load, per_server, target)
    exact = load / (per_server * target)
    rounding = "" if exact.is_integer() else f", rounded up to {n}"
    explain = (f"Each server may run at {round(target * 100)}% of {per_server} req/s = "
               f"{_fmt(per_server * target)} req/s. {load} / {_fmt(per_server * target)} = "
               f"{_fmt(exact)}{rounding}: {n} servers run at {100 * load / (n * per_server):.1f}% each.")  # fmt: skip
    prompt = (f"Each server handles {per_server} req/s at full load. How many servers keep "
              f"{load:,} req/s at or under {round(target * 100)}% utilisation?")  # fmt: skip
    return _question(qid, "number", 7, prompt, "fundamentals#sizing-the-pool", number=float(n), tolerance=0.0,
                     unit="servers", explain=explain)  # fmt: skip


def _random_servers(rng: random.Random, qid: str) -> Question:
    per_server = rng.choice((100, 150, 200, 250, 400, 500, 800, 1000))
    target = rng.choice((0.5, 0.6, 0.7, 0.75, 0.8))
    load = rng.randrange(4, 40) * per_server // rng.choice((1, 2)) + rng.choice((0, 0, 50, 125, 330))
    return servers_question(load, per_server, target, qid)


# -- health-check detection time ------------------------------------------------------------------


@dataclass(frozen=True)
class Detection:
    first_probe: float  # when s1 was first probed (every `interval` after that)
    crash: float
    probes_after_crash: tuple[float, ...]  # send times of the failed probes
    detected_at: float

    @property
    def delay(self) -> float:
        return self.detected_at - self.crash


def health_detection(interval: float, timeout: float, fall: int, crash_after: float,
                     seed: int = 1) -> Detection:  # fmt: skip
    """Run the engine with a HealthChecker; s1 crashes `crash_after` seconds after its first probe.

    The checker works as HAProxy's does: each probe starts `interval` after the previous one
    finished. The answer is what it actually did: probe, wait out each timeout, count `fall`
    failures in a row, take s1 out of rotation.
    """
    from lbtutor.sim.engine import Simulation
    from lbtutor.sim.health import HealthChecker

    class Watched(HealthChecker):
        probes: list[tuple[float, bool]]

        def _record(self, name: str, passed: bool) -> None:
            if name == "s1":
                sent = self.env.now if passed else self.env.now - self.read_timeout
                self.probes.append((sent, passed))
            super()._record(name, passed)

    sim = Simulation(SimConfig(servers=2, arrival_rate=1.0, seed=seed), generate_arrivals=False)
    checker = Watched(sim, interval=interval, timeout=timeout, fall=fall, rise=2, check="tcp")
    checker.probes = []  # probes run on the simulated clock, so none happened yet
    sim.advance_to(interval)
    first = checker.probes[0][0]
    crash = first + crash_after
    sim.advance_to(crash)
    sim.take_down("s1")
    sim.advance_to(crash + (fall + 2) * interval + timeout)
    detected = checker.health["s1"].detected_at[0]
    failed = tuple(t for t, ok in checker.probes if not ok and t >= crash)
    return Detection(first, crash, failed[:fall], detected)


def health_question(interval: float, timeout: float, fall: int, crash_after: float, seed: int = 1,
                    qid: str = "drill:health") -> Question:  # fmt: skip
    d = health_detection(interval, timeout, fall, crash_after, seed)
    probes = ", ".join(f"t = {p:.2f}" for p in d.probes_after_crash)
    explain = (f"The first probe after the crash goes out at t = {d.probes_after_crash[0]:.2f} s and "
               f"gets no answer, so it fails when its {_fmt(timeout)} s timeout runs out; the next "
               f"starts {_fmt(interval)} s after that. Failed probes sent at {probes}; the "
               f"{_ordinal(fall)} failure is counted at {d.probes_after_crash[-1]:.2f} + {_fmt(timeout)} "
               f"= {d.detected_at:.2f} s. {d.detected_at:.2f} - {d.crash:.2f} = {d.delay:.2f} s. The "
               f"worst case is fall x (interval + timeout) = {_fmt(fall * (interval + timeout))} s.")  # fmt: skip
    prompt = (f"A balancer probes s1 as HAProxy does: each probe starts {_fmt(interval)} s after the "
              f"previous one finished, and a healthy s1 answers at once; the first probe went out at "
              f"t = {d.first_probe:.2f} s. A probe that gets no answer fails after a {_fmt(timeout)} s "
              f"timeout; {fall} failures in a row take s1 out of rotation. s1 crashes at "
              f"t = {d.crash:.2f} s. How many seconds after the crash is it taken out?")  # fmt: skip
    return _question(qid, "number", 5, prompt, "health-checks#how-long-until-a-dead-server-is-noticed",
                     number=round(d.delay, 2), tolerance=0.05, unit="s", explain=explain)  # fmt: skip


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}.get(n, f"{n}th")


def _random_health(rng: random.Random, qid: str) -> Question:
    interval = rng.choice((1.0, 2.0, 5.0, 10.0))
    timeout = rng.choice([t for t in (0.5, 1.0, 2.0) if t < interval])
    fall = rng.choice((2, 3, 3, 5))
    crash_after = interval * (rng.randint(1, 4) + rng.choice((0.2, 0.3, 0.5, 0.6, 0.75)))
    return health_question(interval, timeout, fall, crash_after, seed=rng.randrange(1, 1000), qid=qid)


# -- token bucket -------------------------------------------------------------------------------


def bucket_admitted(times: Sequence[float], rate: float, burst: float) -> int:
    from lbtutor.sim.gateway import admitted

    return admitted(times, rate, burst)


def bucket_times(at_once: int, every: float, until: float) -> list[float]:
    """`at_once` requests at t = 0, then one every `every` seconds from t = every / 2 (so none lands
    exactly on a refill instant) up to `until`."""
    times = [0.0] * at_once
    k = 0
    while (k + 0.5) * every <= until + 1e-9:
        times.append(round((k + 0.5) * every, 9))
        k += 1
    return times


def bucket_question(rate: float, burst: int, at_once: int, every: float, until: float,
                    qid: str = "drill:bucket") -> Question:  # fmt: skip
    from lbtutor.sim.gateway import TokenBucket

    times = bucket_times(at_once, every, until)
    n = bucket_admitted(times, rate, burst)
    bucket = TokenBucket(rate, burst)
    first = sum(bucket.allow(0.0) for _ in range(at_once))
    later = n - first
    last = times[-1]
    explain = (f"The bucket starts full with {burst} tokens, so {first} of the {at_once} requests at "
               f"t = 0 pass. After that it refills at {_fmt(rate)} tokens/s: {_fmt(rate * last)} tokens "
               f"by the last request at t = {_fmt(last, 4)} s. Requests come faster than tokens, so each "
               f"token is spent as soon as it is whole: {later} more pass. {first} + {later} = {n} "
               f"of {len(times)}; the rest are refused with 429.")  # fmt: skip
    first_three = ", ".join(_fmt(t, 4) for t in times[at_once:at_once + 3])
    prompt = (f"A gateway's token bucket holds up to {burst} tokens and refills at {_fmt(rate)} per "
              f"second; it starts full, and each request spends one token. A client sends "
              f"{at_once} requests at once at t = 0, then one every {_fmt(every, 4)} s (at t = "
              f"{first_three}, ...) up to t = {_fmt(until)} s: {len(times)} requests in all. "
              "How many get through?")  # fmt: skip
    return _question(qid, "number", 6, prompt, "api-gateway#rate-limiting-with-a-token-bucket",
                     number=float(n), tolerance=0.0, unit="requests", explain=explain)  # fmt: skip


def _random_bucket(rng: random.Random, qid: str) -> Question:
    while True:
        rate = float(rng.choice((1, 2, 4, 5, 10)))
        burst = rng.choice((3, 5, 10, 20))
        at_once = burst + rng.randint(0, 10)
        every = rng.choice((0.1, 0.2, 0.25, 0.5)) / rate
        until = float(rng.randint(2, 10))
        times = bucket_times(at_once, every, until)
        n = bucket_admitted(times, rate, burst)
        # Only numbers a learner can reason about: no arrival close to a refill instant, where a
        # rounding error could decide whether the token is there yet.
        shifted = [times[:at_once] + [t + d for t in times[at_once:]] for d in (-1e-6, 1e-6)]
        if all(bucket_admitted(s, rate, burst) == n for s in shifted):
            return bucket_question(rate, burst, at_once, every, until, qid)


# -- the registry ---------------------------------------------------------------------------------

DRILLS: dict[str, Drill] = {
    d.kind: d
    for d in (
        Drill("wlc", "Which server does weighted least connections pick?", 2, _random_wlc),
        Drill("wrr", "The next picks of smooth weighted round robin", 2, _random_wrr),
        Drill("hash", "Which keys move when modulo hashing gets one more server?", 2, _random_hash),
        Drill("servers", "How many servers for this load?", 7, _random_servers),
        Drill("health", "How long until the health checker notices?", 5, _random_health),
        Drill("bucket", "How many requests does the token bucket let through?", 6, _random_bucket),
    )
}


def make_drill(kind: str, seed: int) -> Question:
    """The drill of this kind for this seed: the same question every time."""
    try:
        drill = DRILLS[kind]
    except KeyError:
        raise ValueError(f"unknown drill {kind!r}; choose one of: {', '.join(DRILLS)}") from None
    return drill.make(random.Random(f"{kind}:{seed}"), f"drill:{kind}:{seed}")


def drill_stream(seed: int, kinds: Sequence[str] | None = None) -> Iterator[Question]:
    """An endless, seeded sequence of drills: every kind once in a shuffled round, then again."""
    kinds = list(kinds or DRILLS)
    rng = random.Random(seed)
    n = 0
    while True:
        round_ = list(kinds)
        rng.shuffle(round_)
        for kind in round_:
            yield make_drill(kind, seed * 100_003 + n)
            n += 1


def is_drill(item_id: str) -> bool:
    return item_id.startswith("drill:")


# -- predict, then watch --------------------------------------------------------------------------

# Scenario metric suffixes naming the algorithm a metric belongs to.
SUFFIXES = {
    "rr": "round-robin", "wrr": "weighted-round-robin", "lc": "least-connections",
    "wlc": "weighted-least-connections", "iphash": "ip-hash", "lrt": "least-response-time",
    "random": "random", "p2c": "power-of-two-choices",
}  # fmt: skip
# metric families where lower is better, in the order the winner is judged, with their names
LOWER_IS_BETTER = {
    "p99": "p99 latency", "p95": "p95 latency", "mean_latency": "mean latency",
    "imbalance": "imbalance", "max_utilization": "busiest server's utilisation",
    "max_over_mean": "busiest server over the mean", "backlog": "backlog", "failed": "failed requests",
    "peak_connections": "peak connections",
}  # fmt: skip


@dataclass(frozen=True)
class MetricLine:
    name: str
    value: object
    unit: str
    meaning: str

    def text(self) -> str:
        v = self.value
        if isinstance(v, float) and self.unit == "fraction":
            return f"{v:.0%}"
        if isinstance(v, float):
            shown = f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
        elif v is None:
            shown = "none"
        else:
            shown = str(v)
        return f"{shown} {self.unit}".strip()


@dataclass(frozen=True)
class Outcome:
    scenario: str
    title: str
    metrics: tuple[MetricLine, ...]  # the scenario's headline metrics
    winner: str | None  # the algorithm that did best, when the scenario compares algorithms
    basis: str  # the metric the winner was judged by, in words
    error: str = ""


def watch(scenario: str, seed: int = 1, params: dict | None = None) -> Outcome:
    """Run a scenario headless to the end (with `params` changed from its defaults) and report
    its headline metrics and who won."""
    from lbtutor.sim.scenarios import ScenarioError, get

    try:
        sc = get(scenario)
        result = sc.build(params or None, seed).run()
    except (ScenarioError, ImportError) as exc:
        return Outcome(scenario, scenario, (), None, "", error=f"This scenario cannot run yet: {exc}")
    metrics = result["metrics"]
    described = {m.name: m for m in sc.metrics}
    lines = []
    for name in sc.headline or tuple(metrics):
        if name in metrics:
            m = described.get(name)
            lines.append(MetricLine(name, metrics[name], m.unit if m else "", m.meaning if m else ""))
    winner, basis = _winner(metrics, described)
    return Outcome(scenario, sc.title, tuple(lines), winner, basis)


def _winner(metrics: dict, described: dict) -> tuple[str | None, str]:
    """The algorithm with the best value of the first lower-is-better metric family that compares
    algorithms (p99 first), judged only on numbers the scenario measured."""
    for family, label in LOWER_IS_BETTER.items():
        found: dict[str, float] = {}
        unit = ""
        for name, value in metrics.items():
            stem, _, suffix = name.rpartition("_")
            if stem.startswith(family) and suffix in SUFFIXES and isinstance(value, int | float) and math.isfinite(value):
                found[SUFFIXES[suffix]] = float(value)
                unit = described[name].unit if name in described else ""
        if len(found) >= 2:
            best = min(found, key=found.get)
            ranked = sorted(found.items(), key=lambda kv: kv[1])
            values = ", ".join(f"{algorithm_name(alg, capital=False)} {_short(v, unit)}" for alg, v in ranked)
            return best, f"lowest {label}: {values}"
    return None, ""


def _short(v: float, unit: str = "") -> str:
    if unit == "fraction":
        return f"{v:.0%}"
    return f"{v:.3g} {unit}".strip()
