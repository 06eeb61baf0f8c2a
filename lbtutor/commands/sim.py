"""`lbtutor sim`: run a simulation (or a named scenario) headless; print a table or JSON."""

from __future__ import annotations

import json
import sys

from lbtutor.sim.config import ConfigError
from lbtutor.sim.flags import add_run_flags, config_from_args, key_values


def add_parser(sub) -> None:
    p = sub.add_parser(
        "sim",
        help="run a simulation headless and print a table or JSON",
        description="Run a simulation headless. Times are simulated seconds.",
    )
    add_run_flags(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--csv", action="store_true",
                   help="print CSV: one row per server (with --scenario: one row per timeline point)")
    p.add_argument("--list-algorithms", action="store_true", help="list algorithm slugs")
    p.add_argument("--scenario", metavar="NAME", help="run a named scenario (see --list-scenarios)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a scenario parameter")
    p.add_argument("--list-scenarios", action="store_true", help="list scenarios with their parameters and metrics")
    p.add_argument("--replications", type=int, default=1, metavar="N",
                   help="run N seeds (seed, seed+1, ...) and report each metric's mean and 95%% interval")


def _fail(message: str) -> int:
    print(f"lbtutor sim: error: {message}", file=sys.stderr)
    return 2


def run(args) -> int:
    if args.list_algorithms:
        return _list_algorithms(args.json)
    if args.list_scenarios:
        return _list_scenarios(args.json)
    if args.json and args.csv:
        return _fail("choose one of --json and --csv")
    if args.scenario:
        return _run_scenario(args)
    try:
        config = config_from_args(args)
        if args.replications != 1:
            from lbtutor.sim.replications import replicate_engine

            results, summary = replicate_engine(config, args.replications)
    except ConfigError as exc:
        return _fail(str(exc))
    if args.replications != 1:
        return _print_replications(args, results, summary, None)
    from lbtutor.sim.engine import run as run_batch

    result = run_batch(config)
    if args.json:
        print(json.dumps(result, indent=2))
    elif args.csv:
        from lbtutor.export import table, write_csv

        write_csv(table(result, "servers"), sys.stdout)
    else:
        from lbtutor.commands.sim_table import print_result

        print_result(result)
    return 0


def _list_algorithms(as_json: bool) -> int:
    from lbtutor.sim.balancers import ALGORITHMS

    rows = [
        {"slug": slug, "summary": cls.summary, "in_chapter": cls.in_chapter, "options": dict(cls.options)}
        for slug, cls in ALGORITHMS.items()
    ]
    if as_json:
        print(json.dumps(rows, indent=2))
    else:
        width = max(len(r["slug"]) for r in rows)
        for r in rows:
            extra = "" if r["in_chapter"] else "  (beyond the chapter)"
            print(f"{r['slug']:<{width}}  {r['summary']}{extra}")
    return 0


def _list_scenarios(as_json: bool) -> int:
    from lbtutor.sim import scenarios

    described = [s.describe() for s in scenarios.all_scenarios()]
    if as_json:
        print(json.dumps(described, indent=2))
        return 0
    for d in described:
        print(f"{d['name']}  (section {d['section']})  {d['title']}")
        print(f"    {d['summary']}")
        for p in d["params"]:
            unit = f" {p['unit']}" if p["unit"] else ""
            print(f"    --set {p['name']}={p['default']}{unit}   {p['meaning']}")
        print("    metrics: " + ", ".join(f"{m['name']} ({m['unit']})" for m in d["metrics"]))
    return 0


def _run_scenario(args) -> int:
    from lbtutor.sim import scenarios

    try:
        overrides = key_values(args.set, "--set")
        if args.replications != 1:
            from lbtutor.sim.replications import replicate_scenario

            results, summary = replicate_scenario(args.scenario, overrides, args.seed, args.replications)
            return _print_replications(args, results, summary, scenarios.get(args.scenario))
        result = scenarios.run_scenario(args.scenario, overrides, seed=args.seed)
    except (ConfigError, scenarios.ScenarioError) as exc:
        return _fail(str(exc))
    if args.json:
        print(json.dumps(result, indent=2))
    elif args.csv:
        from lbtutor.export import table, write_csv

        write_csv(table(result, "timeline"), sys.stdout)
    else:
        from lbtutor.commands.sim_table import print_scenario

        print_scenario(result, scenarios.get(args.scenario))
    return 0


def _print_replications(args, results: list[dict], summary: dict, scenario) -> int:
    """N runs: JSON (the first run plus "replications"), CSV (one row per run) or a table."""
    if args.json:
        print(json.dumps({**results[0], "replications": summary}, indent=2))
    elif args.csv:
        from lbtutor.export import write_csv

        seed = results[0]["seed"]
        paths = list(summary["metrics"])
        rows = [
            {"replication": i + 1, "seed": seed + i, **{p: summary["metrics"][p]["values"][i] for p in paths}}
            for i in range(summary["n"])
        ]
        write_csv(rows, sys.stdout)
    else:
        from lbtutor.commands.sim_table import print_replications

        print_replications(results[0], summary, scenario)
    return 0
