"""The `lbtutor` command: argparse entry points; each subcommand lives in lbtutor/commands/."""

from __future__ import annotations

import argparse
import importlib
import sys

from lbtutor import __version__

# subcommand -> module in lbtutor.commands exposing add_parser(subparsers) and run(args) -> int
COMMANDS = ["sim", "tutor", "check", "progress", "lab", "serve", "practice", "real"]


class Parser(argparse.ArgumentParser):
    """Bad arguments exit 2 with one line that names the problem (no usage dump)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser(only: list[str] | None = None) -> Parser:
    """The parser, with every subcommand, or with those in `only` (each subcommand's module
    imports what its options list, e.g. the lab's traffic presets; plain `lbtutor` needs none
    of them before its first frame)."""
    parser = Parser(
        prog="lbtutor",
        description="Learn load balancing and scaling by watching it happen.",
    )
    parser.add_argument("--version", action="version", version=f"lbtutor {__version__}")
    add_folder_options(parser)
    add_display_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS if only is None else only:
        importlib.import_module(f"lbtutor.commands.{name}").add_parser(sub)
    return parser


VALUE_OPTIONS = ("--lessons", "--data-dir", "--fps")  # the top-level options that take a value


def _commands_needed(argv: list[str]) -> list[str] | None:
    """The subcommands the parser needs for `argv`: none for plain `lbtutor [options]`, the one
    named, or None (all of them) for help and anything the parser must explain."""
    if any(token in ("-h", "--help") for token in argv):
        return None
    skip = False
    for token in argv:
        if skip:
            skip = False
            continue
        if token in VALUE_OPTIONS:
            skip = True
            continue
        if token.startswith("-"):
            continue
        return [token] if token in COMMANDS else None
    return []


def add_folder_options(parser: argparse.ArgumentParser, *, subcommand: bool = False) -> None:
    """--lessons and --data-dir; subcommands that read lessons or progress repeat them, so
    `lbtutor lab --data-dir D` works as well as `lbtutor --data-dir D lab`."""
    keep = {"default": argparse.SUPPRESS} if subcommand else {}
    parser.add_argument("--lessons", metavar="DIR", **keep, help="load lessons from DIR instead of the bundled ones")
    parser.add_argument("--data-dir", metavar="DIR", **keep,
                        help="keep progress in DIR (default: $LBTUTOR_HOME or the user data dir)")


def add_display_options(parser: argparse.ArgumentParser, *, subcommand: bool = False) -> None:
    """--present and --fps, for the app as a whole; a subcommand that opens the app repeats them,
    so `lbtutor lab --present` works as well as `lbtutor --present lab`."""
    from lbtutor.ui.frame_rate import DEFAULT_FPS, MAX_FPS, MIN_FPS, REDUCED_FPS

    keep = {"default": argparse.SUPPRESS} if subcommand else {}
    parser.add_argument(
        "--present", action="store_true", **keep,
        help="presenter mode: big bars, answers hidden until revealed, steps like slides, fixed seeds (F5 toggles it)",
    )
    parser.add_argument(
        "--fps", type=_fps, metavar="N", **keep,
        help=f"redraw live labs N times a second, {MIN_FPS} to {MAX_FPS} (default {DEFAULT_FPS}; "
        f"{REDUCED_FPS} when TEXTUAL_ANIMATIONS is none or basic); the simulation keeps its pace",
    )


def _fps(text: str) -> int:
    from lbtutor.ui.frame_rate import check_fps

    try:
        return check_fps(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(_commands_needed(argv))
    args = parser.parse_args(argv)
    command = args.command or "tutor"
    if command == "tutor" and "tutor" not in COMMANDS:
        parser.exit(2, "lbtutor: error: the tutor app is not installed in this build\n")
    module = importlib.import_module(f"lbtutor.commands.{command}")
    try:
        return module.run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 0
