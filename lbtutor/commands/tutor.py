"""`lbtutor` / `lbtutor tutor`: open the tutor app (the course map, lessons, labs and checks)."""

from __future__ import annotations

import gc
import sys
from pathlib import Path


def add_parser(sub) -> None:
    from lbtutor.cli import add_display_options, add_folder_options

    p = sub.add_parser(
        "tutor",
        help="open the tutor (the default when no command is given)",
        description="Open the tutor: the course map, lessons with live labs and checks.",
    )
    add_folder_options(p, subcommand=True)
    add_display_options(p, subcommand=True)


def run(args) -> int:
    lessons = getattr(args, "lessons", None)
    if lessons and not Path(lessons).is_dir():
        print(f"lbtutor: error: --lessons {lessons}: no such folder", file=sys.stderr)
        return 2
    # No cyclic garbage collection until the course map's first frame (the app turns it back on
    # then): the garbage collector tracks about 46,000 objects by that frame, nearly all of which
    # live on, and its passes over them cost several milliseconds of the start.
    gc.disable()
    try:
        from lbtutor.ui.app import make_app

        make_app(
            lessons_dir=lessons,
            data_dir=getattr(args, "data_dir", None),
            present=getattr(args, "present", False),
            fps=getattr(args, "fps", None),
        ).run()
    finally:
        gc.enable()
    return 0
