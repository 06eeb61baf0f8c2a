"""Rich tables for `lbtutor real` without --json: real and simulated figures side by side."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from lbtutor import units


def _time(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f} s"


def _pair(real: str, sim: str) -> str:
    return f"{real} / {sim}"


def _pair_seconds(real: float | None, sim: float | None) -> str:
    """Two durations, the unit written once when they share it ("22 / 20 ms"): shorter, and a
    narrow terminal can never leave a number on one line and its unit on the next."""
    a, b = units.seconds(real), units.seconds(sim)
    unit_a, unit_b = a.rpartition(" ")[2], b.rpartition(" ")[2]
    if " " in a and " " in b and unit_a == unit_b:
        return f"{a.rpartition(' ')[0]} / {b.rpartition(' ')[0]} {unit_a}"
    return _pair(a, b)


def print_comparison(result: dict) -> None:
    console = Console()
    b, s, real, sim, gen = result["balancer"], result["setup"], result["real"], result["sim"], result["generator"]
    console.print(
        f"[b]{b['name']} {b['version']}[/b], {result['algorithm']}: {s['servers']} servers × "
        f"{s['workers']} workers, {s['arrival_rate']:g} req/s ({units.percent(s['offered_load'])} load), "
        f"{s['service_dist']} service {units.seconds(1 / s['service_rate'])}, {s['duration']:g} s, seed {s['seed']}"
    )
    console.print(f"Simulator beside it: {sim['algorithm']}, {sim['health']}", markup=False)
    gone = b.get("gone")
    if gone:
        console.print(f"⚠ {b['name']}'s process was gone at t = {gone['at']:.1f} s ({gone['how']}): the real "
                      "figures after it are what clients got with no balancer.", markup=False, style="bold")

    servers = Table(box=box.SIMPLE_HEAD, title="Servers (real / simulated)", title_justify="left")
    for col in ("server", "weight", "share", "served", "failed", "mean", "p99"):
        servers.add_column(col, justify="left" if col == "server" else "right")
    for r, m in zip(real["servers"], sim["servers"], strict=True):
        servers.add_row(
            r["name"], str(r["weight"]), _pair(units.percent(r["share"]), units.percent(m["share"])),
            _pair(f"{r['served']:,}", f"{m['served']:,}"), _pair(f"{r['failed']:,}", f"{m['failed']:,}"),
            _pair_seconds(r["latency"]["mean"], m["latency"]["mean"]),
            _pair_seconds(r["latency"]["p99"], m["latency"]["p99"]),
        )
    console.print(servers)

    totals = Table(box=box.SIMPLE_HEAD, title="Requests and latency", title_justify="left")
    for col in ("", "sent", "ok", "failed", "open", "mean", "p50", "p95", "p99"):
        totals.add_column(col, justify="left" if not col else "right")
    for label, side in (("real", real), ("sim", sim)):
        req, lat = side["requests"], side["latency"]
        totals.add_row(label, f"{req['sent']:,}", f"{req['ok']:,}", f"{req['failed']:,}", f"{req['unfinished']:,}",
                       *(units.seconds(lat[k]) for k in ("mean", "p50", "p95", "p99")))
    console.print(totals)

    if real["events"]:
        events = Table(box=box.SIMPLE_HEAD, title="Breaks and heals: when the balancer noticed",
                       title_justify="left")
        for col in ("server", "action", "at", "real down", "real up", "sim down", "sim up"):
            events.add_column(col, justify="left" if col in ("server", "action") else "right")
        for r, m in zip(real["events"], sim["events"], strict=False):
            events.add_row(r["server"], r["action"], f"{r['at']:.2f} s", _time(r["down_at"]), _time(r["up_at"]),
                           _time(m["down_at"]), _time(m["up_at"]))
        console.print(events)

    over = gen["overhead"]
    console.print(
        f"Generator: asked {gen['asked_rate']:g} req/s, sent {gen['achieved_rate']:.1f} req/s "
        f"(planned {gen['planned_rate']:.1f}), late by {units.seconds(gen['lateness_p99'])} at p99; "
        f"lbtutor used {units.percent(over['cpu_share'])} of a core. The real path adds "
        f"{units.seconds(over['path_mean'])} per request (loopback, {b['name']}, HTTP)."
    )
