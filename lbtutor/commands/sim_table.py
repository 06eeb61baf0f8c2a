"""Rich tables for `lbtutor sim` without --json: readable on a slide."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from lbtutor import units


def print_result(result: dict) -> None:
    console = Console()
    p = result["params"]
    rho = result["offered_load"]
    console.print(
        f"[b]{result['algorithm']}[/b]  {len(result['servers'])} servers × {p['workers']} workers  "
        f"λ = {p['arrival_rate']:g} req/s  μ = {p['service_rate']:g} req/s per worker  "
        f"service {p['service_dist']}  load ρ = {rho:.2f}  seed {result['seed']}"
    )
    if rho >= 1:
        console.print(
            f"[b]Load is at or above capacity (ρ = {rho:.2f}): queues grow without bound,[/b] "
            "so latencies below depend on how long the run is, not on the setup alone."
        )
    servers = Table(box=box.SIMPLE_HEAD, title="Servers", title_justify="left")
    for col in ("server", "weight", "speed", "served", "utilisation", "mean latency", "peak conns"):
        servers.add_column(col, justify="left" if col == "server" else "right")
    for s in result["servers"]:
        servers.add_row(
            s["name"], f"{s['weight']:g}", f"{s['speed']:g}", f"{s['served']:,}",
            units.percent(s["utilization"]), units.seconds(s["mean_latency"]), str(s["peak_connections"]),
        )
    console.print(servers)

    req = result["requests"]
    lat = result["latency"]
    counts = Table(box=box.SIMPLE_HEAD, title="Requests", title_justify="left")
    for col in ("arrived", "completed", "dropped", "failed", "in flight", "throughput"):
        counts.add_column(col, justify="right")
    counts.add_row(
        f"{req['arrived']:,}", f"{req['completed']:,}", f"{req['dropped']:,}", f"{req['failed']:,}",
        f"{req['in_flight']:,}", units.rate(result["throughput"]),
    )
    console.print(counts)
    latency = Table(box=box.SIMPLE_HEAD, title="Latency (queueing + service)", title_justify="left")
    for col in ("mean", "p50", "p95", "p99", "max"):
        latency.add_column(col, justify="right")
    latency.add_row(*(units.seconds(lat[k]) for k in ("mean", "p50", "p95", "p99", "max")))
    console.print(latency)
    fair = result["fairness"]
    console.print(
        f"Fairness of utilisation: Jain {fair['jain']:.3f} (1 = perfectly even), "
        f"busiest/average {fair['max_over_mean']:.2f}"
    )
    theory = result["theory"]
    if theory and theory.get("mean_latency") is not None:
        kind = "lower bound" if theory.get("lower_bound") else "prediction"
        console.print(
            f"Theory ({theory['model']}): mean latency {kind} {units.seconds(theory['mean_latency'])}"
            f" vs simulated {units.seconds(lat['mean'])}"
        )
        if not theory.get("lower_bound"):
            console.print(
                f"Any dispatcher's lower bound, {theory['mmc_model']}: {units.seconds(theory['mmc_lower_bound'])}"
            )
    elif theory and theory.get("note"):
        console.print(f"Theory: {theory['note']}")
    else:
        console.print("Theory: no closed form fits this setup (needs Poisson arrivals, exponential service, identical servers, unbounded queues).")


def print_scenario(result: dict, scenario) -> None:
    console = Console()
    console.print(f"[b]{scenario.name}[/b] (section {scenario.section}): {scenario.title}  seed {result['seed']}")
    console.print(scenario.summary, markup=False)
    params = ", ".join(f"{k}={v}" for k, v in result["params"].items())
    console.print(f"params: {params}", markup=False, highlight=False)
    table = Table(box=box.SIMPLE_HEAD)
    # a name is what scripts use (--json): show it whole, on one line
    table.add_column("metric", no_wrap=True, min_width=max((len(m.name) for m in scenario.metrics), default=6))
    table.add_column("value", justify="right")
    table.add_column("unit")
    table.add_column("meaning")
    for m in scenario.metrics:
        value = result["metrics"].get(m.name)
        if isinstance(value, float):
            text = f"{value:.4g}"
        elif value is None:
            text = "—"
        else:
            text = str(value)
        table.add_row(Text(m.name), text, m.unit, Text(m.meaning))  # Text: "[...]" is not markup
    console.print(table)


# units of the engine's replicated metrics, by the last part of the path (scenarios name their own)
_ENGINE_UNITS = {
    "mean": "s", "p50": "s", "p95": "s", "p99": "s", "max": "s", "mean_latency": "s", "sim_time": "s",
    "throughput": "req/s", "utilization": "fraction", "mean_in_system": "requests",
}  # fmt: skip
TABLE_SERVERS = 8  # more servers than this: their per-server rows are left to --json and --csv


def print_replications(first: dict, summary: dict, scenario=None) -> None:
    """N runs over seeds: each metric's mean ± the half-width of its 95% interval."""
    console = Console()
    n = summary["n"]
    seed = first["seed"]
    if scenario is not None:
        console.print(f"[b]{scenario.name}[/b] (section {scenario.section}): {scenario.title}")
        params = ", ".join(f"{k}={v}" for k, v in first["params"].items())
        console.print(f"params: {params}", markup=False, highlight=False)
        units = {f"metrics.{m.name}": m.unit for m in scenario.metrics}
    else:
        p = first["params"]
        console.print(
            f"[b]{first['algorithm']}[/b]  {len(first['servers'])} servers × {p['workers']} workers  "
            f"λ = {p['arrival_rate']:g} req/s  μ = {p['service_rate']:g} req/s per worker  "
            f"service {p['service_dist']}  load ρ = {first['offered_load']:.2f}  {p['requests']:,} requests a run"
        )
        units = {path: _ENGINE_UNITS.get(path.rsplit(".", 1)[-1], "") for path in summary["metrics"]}
    console.print(f"{n} replications, seeds {seed} to {seed + n - 1}: mean ± half-width of the 95% interval (Student t)",
                  highlight=False)
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("metric", no_wrap=True)
    table.add_column("mean ± half-width", justify="right", no_wrap=True)
    table.add_column("95% interval", justify="right", no_wrap=True)
    many = len(first.get("servers") or []) > TABLE_SERVERS
    for path, m in summary["metrics"].items():
        if many and path.startswith("servers."):
            continue
        unit = "%" if units.get(path) in ("fraction", "%") else units.get(path, "")
        scale = 100.0 if units.get(path) == "fraction" else 1.0
        unit = "" if unit in ("count", "x") else unit
        suffix = unit if unit in ("%", "") else f" {unit}"
        lo, hi = m["ci95"]
        mean = m["mean"] * scale
        if lo is None or hi is None:
            shown, span = _figure(mean) + suffix, "—"
        else:
            shown = f"{_figure(mean)} ± {_figure((hi - lo) / 2 * scale, 2)}{suffix}"
            span = f"[{_figure(lo * scale)}, {_figure(hi * scale)}]"
        table.add_row(Text(path), shown, span)
    console.print(table)
    if many:
        console.print(f"Per-server figures for {len(first['servers'])} servers: --json or --csv.")
    theory = first.get("theory") or {}
    if theory.get("mean_latency") is not None:
        kind = "lower bound" if theory.get("lower_bound") else "prediction"
        console.print(f"Theory ({theory['model']}): mean latency {kind} {units_seconds(theory['mean_latency'])}")


def units_seconds(value: float) -> str:
    return units.seconds(value)


def _figure(value: float, digits: int = 4) -> str:
    """A replicated figure: whole numbers with separators from 1,000 up, else `digits` significant."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"
