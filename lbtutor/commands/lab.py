"""`lbtutor lab [ALGORITHM] [--code CODE]`: open the tutor straight on the lab.

Everything is checked before the app starts, so a typo in a code or an algorithm is one line on
stderr and exit status 2, not a traceback and not a half-drawn screen.
"""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    from lbtutor.sim.presets import PRESET_NAMES

    p = sub.add_parser(
        "lab",
        help="open the lab: live load bars, every control, algorithms side by side",
        description="Open the lab sandbox. Keys are listed at the bottom of the screen; ctrl+p finds every action.",
    )
    p.add_argument("algorithm", nargs="?", metavar="ALGORITHM", help="the algorithm to start with (see `lbtutor sim --list-algorithms`)")
    p.add_argument("--code", metavar="CODE", help="reproduce the run of a scenario code (LB-XXXX-...)")
    p.add_argument("--traffic", metavar="PRESET", help="traffic preset: " + ", ".join(PRESET_NAMES))
    p.add_argument("--compare", action="append", default=[], metavar="ALGORITHM",
                   help="run this algorithm side by side on identical traffic (repeatable)")
    p.add_argument("--scenario", metavar="NAME", help="open a named scenario (see `lbtutor sim --list-scenarios`)")
    p.add_argument("--seed", type=int, default=None, metavar="S", help="random seed (default 1)")
    p.add_argument("--speed", type=float, default=1.0, metavar="X", help="playback speed, 0.25 to 100 (default 1)")
    p.add_argument("--paused", action="store_true", help="start paused")
    from lbtutor.cli import add_display_options, add_folder_options

    add_folder_options(p, subcommand=True)
    add_display_options(p, subcommand=True)


def run(args) -> int:
    try:
        screen_args = lab_arguments(args)
    except ValueError as exc:
        print(f"lbtutor lab: error: {exc}", file=sys.stderr)
        return 2
    from lbtutor.ui.app import make_app
    from lbtutor.ui.screens.lab import LabScreen

    app = make_app(
        lessons_dir=getattr(args, "lessons", None),
        data_dir=getattr(args, "data_dir", None),
        present=getattr(args, "present", False),
        fps=getattr(args, "fps", None),
    )
    # Queued before the app runs: the lab opens over the course map once the app has started,
    # so esc leads back to the course.
    app.call_later(app.push_screen, LabScreen(**screen_args))
    app.run()
    return 0


def lab_arguments(args) -> dict:
    """LabScreen keyword arguments from the command line; ValueError says what is wrong."""
    from lbtutor.sim.balancers import ALGORITHMS
    from lbtutor.sim.live import SPEEDS
    from lbtutor.sim.presets import LabSetup
    from lbtutor.sim.scenario_code import ScenarioSpec, decode

    out: dict = {"paused": True if args.paused else None}
    if not SPEEDS[0] <= args.speed <= SPEEDS[-1]:
        raise ValueError(f"--speed must be from {SPEEDS[0]:g} to {SPEEDS[-1]:g} (got {args.speed:g})")
    out["speed"] = args.speed
    seed = 1 if args.seed is None else args.seed
    if seed < 0:
        raise ValueError(f"--seed must be 0 or more (got {seed})")
    if args.code:
        others = [f for f, v in (("ALGORITHM", args.algorithm), ("--traffic", args.traffic), ("--compare", args.compare),
                                  ("--scenario", args.scenario), ("--seed", args.seed)) if v]
        if others:
            raise ValueError(f"--code already says everything about the run; drop {', '.join(others)}")
        decode(args.code)  # ScenarioCodeError is a ValueError with a plain message
        out["code"] = args.code
        return out
    if args.scenario:
        from lbtutor.sim import scenarios
        from lbtutor.sim.scenarios.base import ScenarioError

        try:
            scenarios.get(args.scenario)
        except ScenarioError as exc:
            raise ValueError(str(exc)) from None
        except ImportError:
            raise ValueError(f"the scenario {args.scenario!r} is not in this build of lbtutor yet") from None
        out["scenario"] = ScenarioSpec(args.scenario, {}, seed)
        return out
    algorithms = [args.algorithm or "round-robin", *args.compare]
    for slug in algorithms:
        if slug not in ALGORITHMS:
            raise ValueError(f"unknown algorithm {slug!r}; choose one of: {', '.join(ALGORITHMS)}")
    from lbtutor.sim.config import ConfigError

    try:
        out["setup"] = LabSetup.from_preset(args.traffic or "identical", tuple(algorithms), seed)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    return out
