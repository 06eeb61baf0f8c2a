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
