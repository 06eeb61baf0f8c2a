"""`lbtutor real`: the lab on a real HAProxy or nginx on this machine, beside the simulator.

Headless with --json, --duration, --break or --heal (a table, or one JSON object with --json);
--print-config prints the balancer's whole config file; otherwise it opens the real lab screen.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import textwrap

from lbtutor.sim.config import SERVICE_DISTS, ConfigError

PROG = "lbtutor real"


def add_parser(sub) -> None:
    from lbtutor.real import algorithms
    from lbtutor.real.setup import MAX_DURATION, MAX_RATE

    p = sub.add_parser(
        "real",
        help="the lab on a real HAProxy or nginx on this machine, beside the simulator",
        description=textwrap.fill(
            "Run real backends on 127.0.0.1 behind a real HAProxy or nginx, feed them open-loop "
            "Poisson traffic, and run the simulator on the same setup beside it. With --json, "
            "--duration, --break or --heal it runs headless (a table; one JSON object with --json); "
            "--print-config prints the balancer's config; otherwise it opens the real lab.", 78)
        + "\n\nAlgorithms:\n" + algorithms.mapping_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--balancer", default="haproxy", metavar="NAME",
                   help="haproxy or nginx (envoy too with --print-config)")
    p.add_argument("--algorithm", default="round-robin", metavar="SLUG", help="see the list above")
    p.add_argument("--servers", type=int, default=None, metavar="N", help="default 4")
    p.add_argument("--weights", type=_int_list, metavar="W,W,...", help="one whole weight per server (sets N)")
    p.add_argument("--workers", type=int, default=2, metavar="W", help="requests a server serves at once")
    p.add_argument("--arrival-rate", type=float, default=None, metavar="R",
                   help=f"requests/s (default: 60%% of capacity; at most {MAX_RATE:,.0f})")
    p.add_argument("--service-rate", type=float, default=50.0, metavar="MU",
                   help="requests/s per worker (default 50: 20 ms mean)")
    p.add_argument("--service-dist", default="exp", metavar="DIST", help="|".join(SERVICE_DISTS))
    p.add_argument("--clients", type=int, default=100, metavar="K", help="client source addresses in 127.0.0.0/8")
    p.add_argument("--check", default=None, metavar="tcp|http", help="health check kind (default http)")
    p.add_argument("--check-interval", type=float, default=None, metavar="S", help="HAProxy inter (default 2)")
    p.add_argument("--check-timeout", type=float, default=None, metavar="S",
                   help="HAProxy timeout check (default: not set, a probe waits inter)")
    p.add_argument("--fall", type=int, default=None, metavar="N", help="failed checks to mark DOWN (default 3)")
    p.add_argument("--rise", type=int, default=None, metavar="N", help="passed checks to mark UP (default 2)")
    p.add_argument("--slowstart", type=float, default=None, metavar="S", help="HAProxy slowstart after a server comes back (HAProxy rounds it up to whole seconds "
                   "and steps the weight once a second)")
    p.add_argument("--max-fails", type=int, default=None, metavar="N", help="nginx max_fails (default 1)")
    p.add_argument("--fail-timeout", type=float, default=None, metavar="S", help="nginx fail_timeout, whole seconds (default 10)")
    p.add_argument("--request-timeout", type=float, default=None, metavar="S",
                   help="how long a request waits for a server's answer (default 10)")
    p.add_argument("--break", dest="breaks", action="append", default=[], metavar="NAME=MODE@T",
                   help="at T s, NAME fails: refuse, hang, app-error, slow (x4) or slowxK")
    p.add_argument("--heal", dest="heals", action="append", default=[], metavar="NAME@T", help="at T s, NAME is healthy again")
    p.add_argument("--duration", type=float, default=None, metavar="S",
                   help=f"seconds of traffic (default 20, at most {MAX_DURATION:g})")
    p.add_argument("--seed", type=int, default=1, metavar="S")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--print-config", action="store_true", help="print the balancer's whole config file and exit")
    from lbtutor.cli import add_display_options, add_folder_options

    add_folder_options(p, subcommand=True)
    add_display_options(p, subcommand=True)


def _int_list(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of whole numbers") from None


def _fail(message: str, status: int = 2) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return status


# flag (argparse dest) -> RealSetup field, for the flags whose absence means "the default"
_OPTIONAL = {
    "check": "check", "check_interval": "check_interval", "check_timeout": "check_timeout",
    "fall": "fall", "rise": "rise", "slowstart": "slowstart", "max_fails": "max_fails",
    "fail_timeout": "fail_timeout", "request_timeout": "request_timeout", "duration": "duration",
}


def setup_from(args, *, printable: bool = False):
    """The RealSetup the flags describe; ConfigError (one line) when they do not make one."""
    from lbtutor.real.setup import RealSetup, parse_break, parse_heal

    given = {key for key in _OPTIONAL if getattr(args, key) is not None}
    extra = {field: getattr(args, key) for key, field in _OPTIONAL.items() if key in given}
    if args.weights is not None and args.servers is not None and len(args.weights) != args.servers:
        raise ConfigError(f"--weights has {len(args.weights)} values but --servers is {args.servers}")
    return RealSetup(
        balancer=args.balancer, algorithm=args.algorithm, servers=args.servers or 4,
        weights=tuple(args.weights) if args.weights else None, workers=args.workers,
        arrival_rate=args.arrival_rate, service_rate=args.service_rate,
        service_dist=args.service_dist, clients=args.clients,
        breaks=tuple(parse_break(b) for b in args.breaks),
        heals=tuple(parse_heal(h) for h in args.heals),
        seed=args.seed, given=frozenset(given), **extra,
    ).validate(printable=printable)


def run(args) -> int:
    from lbtutor.real.algorithms import Unsupported

    headless = args.json or args.duration is not None or args.breaks or args.heals
    try:
        setup = setup_from(args, printable=args.print_config)
    except (ConfigError, Unsupported) as exc:
        return _fail(str(exc))
    if args.print_config:
        from lbtutor.real.headless import printed_config

        sys.stdout.write(printed_config(setup))
        return 0
    if not headless:
        return _open_screen(args, setup)
    return _headless(args, setup)


def _headless(args, setup) -> int:
    from lbtutor.real.backends import BackendError
    from lbtutor.real.binaries import BalancerMissing, require
    from lbtutor.real.haproxy import BalancerFailed

    try:
        require(setup.balancer)
    except BalancerMissing as exc:
        return _fail(str(exc))
    try:
        result = asyncio.run(_compare_until_signal(setup))
    except (BalancerFailed, BackendError) as exc:
        return _fail(str(exc), 1)
    except TimeoutError:
        return _fail("the run did not finish in time: a process stopped answering (everything it "
                     "started is stopped)", 1)
    except OSError as exc:
        return _fail(f"could not run on 127.0.0.1: {exc}", 1)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        from lbtutor.commands.real_table import print_comparison

        print_comparison(result)
    return 0


async def _compare_until_signal(setup) -> dict:
    """The comparison, cancelled cleanly (children stopped, temp dir gone) by SIGTERM or ctrl+c."""
    from lbtutor.real.headless import compare

    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, task.cancel)
    try:
        return await compare(setup)
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None


def _open_screen(args, setup) -> int:
    from lbtutor.ui.app import make_app
    from lbtutor.ui.screens.real_lab import RealLabScreen

    app = make_app(
        lessons_dir=getattr(args, "lessons", None),
        data_dir=getattr(args, "data_dir", None),
        present=getattr(args, "present", False),
        fps=getattr(args, "fps", None),
    )
    app.call_later(app.push_screen, RealLabScreen(setup))
    app.run()
    return 0
