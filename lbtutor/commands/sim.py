"""`lbtutor sim`: run a simulation (or a named scenario) headless; print a table or JSON."""

from __future__ import annotations

import argparse
import json
import math
import sys

from lbtutor.sim.config import SERVICE_DISTS, ConfigError, SimConfig


def add_parser(sub) -> None:
    p = sub.add_parser(
        "sim",
        help="run a simulation headless and print a table or JSON",
        description="Run a simulation headless. Times are simulated seconds.",
    )
    p.add_argument("--algorithm", default="round-robin", metavar="SLUG", help="see --list-algorithms")
    p.add_argument("--servers", type=int, default=4, metavar="N")
    p.add_argument("--weights", type=_number_list, metavar="W,W,...", help="one weight per server (sets N)")
    p.add_argument("--speeds", type=_number_list, metavar="S,S,...", help="one speed per server (sets N)")
    p.add_argument("--workers", type=int, default=1, metavar="W", help="concurrent slots per server")
    p.add_argument("--queue-limit", type=int, default=0, metavar="K", help="waiting requests per server; 0 = unbounded")
    p.add_argument("--arrival-rate", type=float, default=None, metavar="LAMBDA", help="requests/s (default: 80%% of capacity)")
    p.add_argument("--service-rate", type=float, default=1.0, metavar="MU", help="requests/s per worker at speed 1")
    p.add_argument("--service-dist", default="exp", metavar="DIST", help="|".join(SERVICE_DISTS))
    p.add_argument("--clients", type=int, default=1000, metavar="K", help="distinct client addresses")
    p.add_argument("--zipf", type=float, default=0.0, metavar="S", help="client popularity skew (0 = uniform)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="algorithm option, e.g. refresh=2 (least-response-time), vnodes=50 (consistent-hash)")
    p.add_argument("--requests", type=int, default=100_000, metavar="N")
    p.add_argument("--warmup", type=int, default=None, metavar="N", help="requests discarded before measuring (default: 1%%)")
    p.add_argument("--seed", type=int, default=1, metavar="S")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--csv", action="store_true",
                   help="print CSV: one row per server (with --scenario: one row per timeline point)")
    p.add_argument("--list-algorithms", action="store_true", help="list algorithm slugs")
    p.add_argument("--scenario", metavar="NAME", help="run a named scenario (see --list-scenarios)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a scenario parameter")
    p.add_argument("--list-scenarios", action="store_true", help="list scenarios with their parameters and metrics")


def _number_list(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers") from None
    if not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"{text!r} contains a value that is not a finite number")
    return values


def _key_values(items: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{flag} expects KEY=VALUE (got {item!r})")
        out[key.strip()] = value.strip()
    return out


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
        config = _config(args)
    except ConfigError as exc:
        return _fail(str(exc))
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


def _config(args) -> SimConfig:
    from lbtutor.sim.balancers import ALGORITHMS

    options: dict[str, float] = {}
    for key, value in _key_values(args.option, "--option").items():
        cls = ALGORITHMS.get(args.algorithm)
        if cls is not None and key not in cls.options:
            known = ", ".join(cls.options) or "none"
            raise ConfigError(f"{args.algorithm} has no option {key!r}; its options: {known}")
        try:
            options[key] = float(value)
        except ValueError:
            raise ConfigError(f"--option {key}={value!r} is not a number") from None
    config = SimConfig(
        algorithm=args.algorithm,
        servers=args.servers,
        weights=args.weights,
        speeds=args.speeds,
        workers=args.workers,
        queue_limit=args.queue_limit,
        arrival_rate=1.0,
        service_rate=args.service_rate,
        service_dist=args.service_dist,
        clients=args.clients,
        zipf=args.zipf,
        requests=args.requests,
        warmup=0,
        seed=args.seed,
        algorithm_options=options,
    )
    if args.service_rate is not None and (not math.isfinite(args.service_rate) or args.service_rate <= 0):
        raise ConfigError(f"--service-rate must be a positive number (got {args.service_rate:g})")
    if args.servers < 1 and not (args.weights or args.speeds):
        raise ConfigError(f"--servers must be at least 1 (got {args.servers})")
    config.arrival_rate = args.arrival_rate if args.arrival_rate is not None else 0.8 * config.capacity
    config.warmup = args.warmup if args.warmup is not None else args.requests // 100
    return config.validate()


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
        overrides = _key_values(args.set, "--set")
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
