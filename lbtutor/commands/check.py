"""`lbtutor check [DIR]`: validate a lesson folder and print every problem as `file:line: message`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser(
        "check",
        help="validate lesson files, the quiz bank, interview prompts and the decision tree",
        description="Validate a lesson folder. Prints each problem as file:line: message; "
        "exits 1 if there are any, 0 if the folder is clean.",
    )
    p.add_argument("dir", nargs="?", metavar="DIR", help="the lesson folder (default: --lessons, else the bundled lessons)")
    p.add_argument("--json", action="store_true", help="print counts and errors as one JSON object")


def run(args) -> int:
    from lbtutor.paths import lessons_dir

    directory = Path(args.dir or getattr(args, "lessons", None) or lessons_dir())
    if not directory.is_dir():
        what = "is not a folder" if directory.exists() else "does not exist"
        print(f"lbtutor check: error: {directory} {what}", file=sys.stderr)
        return 2
    try:
        counts, problems = check_folder(directory)
    except Exception as exc:  # a validator bug must still not print a traceback at a teacher
        print(f"lbtutor check: internal error while checking {directory}: {type(exc).__name__}: {exc}",
              file=sys.stderr)  # fmt: skip
        return 1
    errors = [_shown(p) for p in problems]
    if args.json:
        print(json.dumps({**counts, "errors": errors}, indent=2))
    else:
        for line in errors:
            print(line)
        if errors:
            print(f"{len(errors)} problem{'s' if len(errors) != 1 else ''} in {_display(directory)}", file=sys.stderr)
        else:
            print(
                f"{_display(directory)}: ok: {counts['lessons']} lessons, {counts['steps']} steps, "
                f"{counts['labs']} labs, {counts['checks']} checks, {counts['questions']} quiz questions, "
                f"{counts['prompts']} interview prompts, {counts['tree_nodes']} decision-tree nodes"
            )
    return 1 if errors else 0


def check_folder(directory: Path) -> tuple[dict[str, int], list]:
    """Counts of what loaded, and every problem in the folder (lessons, quiz, interview, tree)."""
    from lbtutor.content.flowchart import load_tree, tree_file
    from lbtutor.content.interview import interview_file, load_interview
    from lbtutor.content.lessons import load_course
    from lbtutor.content.quiz import load_quiz_bank

    course = load_course(directory)
    problems = list(course.problems)
    if not course.lessons and not course.broken:
        problems.append(_no_lessons(directory))
    bank, quiz_problems = load_quiz_bank(directory, course)
    problems += quiz_problems
    prompts: list = []
    if interview_file(directory).exists():
        prompts, found = load_interview(interview_file(directory))
        problems += found
    tree = None
    if tree_file(directory).exists():
        tree, found = load_tree(tree_file(directory))
        problems += found
    counts = {
        "lessons": len(course.lessons),
        "steps": sum(len(lesson.steps) for lesson in course.lessons),
        "labs": sum(len(lesson.labs) for lesson in course.lessons),
        "checks": sum(len(lesson.checks) for lesson in course.lessons),
        "questions": len(bank.questions),
        "prompts": len(prompts),
        "tree_nodes": len(tree.nodes) if tree else 0,
    }
    problems.sort(key=lambda p: (str(p.path), p.line))
    return counts, problems


def _no_lessons(directory: Path):
    from lbtutor.content.problems import Problem

    return Problem(directory, 0, "no lesson files (NN-name.md, starting with a digit) in this folder")


def _display(path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    path = Path(path)
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _shown(problem) -> str:
    line = f":{problem.line}" if problem.line > 0 else ""
    return f"{_display(problem.path)}{line}: {problem.message}"
