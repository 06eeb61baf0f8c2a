"""The flags of one `lbtutor sim` engine run, shared by the command line and by claims.

`lbtutor sim --algorithm random --servers 4 ...` and a claim's `sim = "--algorithm random
--servers 4 ..."` read the same flags into the same `SimConfig`, so a number a lesson states can
be reproduced by pasting its flags after `lbtutor sim`.
"""

from __future__ import annotations

import argparse
import math
import shlex

from lbtutor.sim.config import SERVICE_DISTS, ConfigError, SimConfig


def add_run_flags(p: argparse.ArgumentParser) -> None:
    """The flags that set up an engine run (everything but output and scenario flags)."""
    p.add_argument("--algorithm", default="round-robin", metavar="SLUG", help="see --list-algorithms")
    p.add_argument("--servers", type=int, default=4, metavar="N")
    p.add_argument("--weights", type=number_list, metavar="W,W,...", help="one weight per server (sets N)")
    p.add_argument("--speeds", type=number_list, metavar="S,S,...", help="one speed per server (sets N)")
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


def number_list(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers") from None
    if not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"{text!r} contains a value that is not a finite number")
    return values


def key_values(items: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{flag} expects KEY=VALUE (got {item!r})")
        out[key.strip()] = value.strip()
    return out


def config_from_args(args) -> SimConfig:
    """The validated engine config of parsed run flags; ConfigError names what is wrong."""
    from lbtutor.sim.balancers import ALGORITHMS

    options: dict[str, float] = {}
    for key, value in key_values(args.option, "--option").items():
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


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # type: ignore[override]
        raise ConfigError(message)


def parse_run_flags(text: str) -> SimConfig:
    """`"--algorithm random --servers 4"` -> its SimConfig, exactly as `lbtutor sim` would build it.

    Only run flags are allowed (no --json, --scenario, --replications); ConfigError says what is wrong."""
    try:
        argv = shlex.split(text)
    except ValueError as exc:
        raise ConfigError(f"cannot split the flags: {exc}") from None
    parser = _Parser(prog="sim", add_help=False, allow_abbrev=False)
    add_run_flags(parser)
    return config_from_args(parser.parse_args(argv))
