"""The figures of a run, in one shape for the real side and the simulated one.

    {"algorithm", "servers": [{"name", "weight", "served", "share", "failed",
                               "latency": {"mean", "p99"}, "changes": [{"at", "state"}]}],
     "latency": {"mean", "p50", "p95", "p99", "max"}, "throughput", "failed",
     "requests": {"sent", "ok", "failed", "unfinished"},
     "events": [{"server", "action", "at", "down_at", "up_at", ...}]}

Times are seconds since the run started. `served` counts the requests a server answered with a
success within the run; `failed` the requests that got an error or no answer (a 500, a refused or
reset connection, a timeout); `unfinished` those still open when the run stopped waiting.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from lbtutor.real.loadgen import OK
from lbtutor.sim.metrics import summarize


def latency_figures(values: list[float]) -> dict:
    s = summarize(values)
    return {"mean": s.mean, "p50": s.p50, "p95": s.p95, "p99": s.p99, "max": s.max}


def server_rows(names: list[str], weights: list[int], served: dict[str, list[float]],
                failed: dict[str, int], changes: dict[str, list[tuple[float, str]]]) -> list[dict]:
    total = sum(len(v) for v in served.values())
    rows = []
    for name, weight in zip(names, weights, strict=True):
        lat = summarize(served.get(name, []))
        rows.append({
            "name": name,
            "weight": weight,
            "served": lat.count,
            "share": lat.count / total if total else 0.0,
            "failed": failed.get(name, 0),
            "latency": {"mean": lat.mean, "p99": lat.p99},
            "changes": [{"at": at, "state": state} for at, state in changes.get(name, [])],
        })
    return rows


def events(actions: Iterable[tuple[str, str, float]], transitions: dict[str, list[tuple[float, bool]]]) -> list[dict]:
    """Each break and heal with the time the balancer took the server out (down_at) and put it
    back (up_at) after it; None when that never happened within the run.

    A break's down_at is the first "out" at or after it, its up_at the first "in" after that;
    a heal's up_at is the first "in" at or after it (its down_at stays None)."""
    out = []
    for server, action, at in sorted(actions, key=lambda a: a[2]):
        flips = transitions.get(server, [])
        down_at = up_at = None
        if action == "heal":
            up_at = next((t for t, up in flips if up and t >= at), None)
        else:
            down_at = next((t for t, up in flips if not up and t >= at), None)
            if down_at is not None:
                up_at = next((t for t, up in flips if up and t >= down_at), None)
        row = {"server": server, "action": action, "at": at, "down_at": down_at, "up_at": up_at}
        if action == "heal":
            row["readmission_delay"] = None if up_at is None else up_at - at
        else:
            row["detection_delay"] = None if down_at is None else down_at - at
        out.append(row)
    return out


def side(*, algorithm: str, names: list[str], weights: list[int], served: dict[str, list[float]],
         failed: dict[str, int], changes: dict[str, list[tuple[float, str]]], latencies: list[float],
         failed_total: int, sent: int, unfinished: int, duration: float, events_: list[dict]) -> dict:
    ok = len(latencies)
    return {
        "algorithm": algorithm,
        "servers": server_rows(names, weights, served, failed, changes),
        "latency": latency_figures(latencies),
        "throughput": ok / duration if duration > 0 else 0.0,
        "failed": failed_total,
        "requests": {"sent": sent, "ok": ok, "failed": failed_total, "unfinished": unfinished},
        "events": events_,
    }


def real_result(run) -> dict:
    """The real side of a finished RealRun."""
    setup = run.setup
    duration = run.end if run.end is not None else run.now()
    served: dict[str, list[float]] = defaultdict(list)
    failed: dict[str, int] = defaultdict(int)
    latencies = []
    failed_total = 0
    for o in run.generator.outcomes:
        if o.planned >= duration:
            continue
        if o.kind == OK:
            latencies.append(o.latency)
            served[o.server].append(o.latency)
        else:
            failed_total += 1
            if o.server:
                failed[o.server] += 1
    changes = {name: t.changes for name, t in run.tracks.items()}
    transitions = {name: [(x.at, x.up) for x in t.transitions] for name, t in run.tracks.items()}
    actions = [(a.server, a.action, a.at) for a in run.actions]
    out = side(
        algorithm=setup.algorithm, names=setup.names, weights=setup.weight_list, served=served,
        failed=failed, changes=changes, latencies=latencies, failed_total=failed_total,
        sent=run.generator.sent - run.generator.capped, unfinished=run.unfinished,
        duration=duration, events_=events(actions, transitions),
    )
    for row in out["servers"]:
        stats = run.backend_stats.get(row["name"], {})
        n = stats.get("served", 0)
        row["server_latency_mean"] = stats.get("latency_sum", 0.0) / n if n else None
        row["probes"] = stats.get("probes")
    return out


def finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else x
