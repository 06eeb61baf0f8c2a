"""`lbtutor practice`: open the tutor on a session of the quiz questions and interview prompts due
today (spaced repetition). With nothing due it says when the next review is and offers new
questions, drills, interview practice or the decision tree."""

from __future__ import annotations

import sys
from pathlib import Path


def add_parser(sub) -> None:
    from lbtutor.cli import add_folder_options

    p = sub.add_parser(
        "practice",
        help="practise what is due today: quiz questions and interview prompts (spaced repetition)",
        description="Open the tutor on today's due items. esc leads back to the course map.",
    )
    add_folder_options(p, subcommand=True)


def make_practice_app(lessons_dir=None, data_dir=None):
    """The tutor with the practice session queued over the course map (tests use this too)."""
    from lbtutor.ui.app import make_app
    from lbtutor.ui.screens.practice import PracticeScreen

    app = make_app(lessons_dir=lessons_dir, data_dir=data_dir)
    app.call_later(app.push_screen, PracticeScreen())
    return app


def run(args) -> int:
    lessons = getattr(args, "lessons", None)
    if lessons and not Path(lessons).is_dir():
        print(f"lbtutor practice: error: --lessons {lessons}: no such folder", file=sys.stderr)
        return 2
    make_practice_app(lessons, getattr(args, "data_dir", None)).run()
    return 0
