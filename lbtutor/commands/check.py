"""`lbtutor check [DIR]`: validate a lesson folder and print every problem as `file:line: message`."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

CACHE_NAME = "claims-cache.json"  # lbtutor.content.claims_check.CACHE_NAME, without importing it here


def add_parser(sub) -> None:
    p = sub.add_parser(
        "check",
        help="validate lesson files, the quiz bank, interview prompts and the decision tree",
        description="Validate a lesson folder. Prints each problem as file:line: message; "
        "exits 1 if there are any, 0 if the folder is clean.",
    )
    p.add_argument("dir", nargs="?", metavar="DIR", help="the lesson folder (default: --lessons, else the bundled lessons)")
    p.add_argument("--json", action="store_true", help="print counts and errors as one JSON object")
    p.add_argument("--claims", action="store_true",
                   help="measure every claim (formulas exactly, simulations over seeds) and report each one "
                   "outside its tolerance as file:line: stated X, measured Y [lo, hi]")
    p.add_argument("--save-cache", action="store_true",
                   help=f"with --claims: write the measured runs to DIR/{CACHE_NAME}, the cache a lesson "
                   "folder ships (the bundled lessons do)")


def run(args) -> int:
    from lbtutor.paths import lessons_dir

    directory = Path(args.dir or getattr(args, "lessons", None) or lessons_dir())
    if not directory.is_dir():
        what = "is not a folder" if directory.exists() else "does not exist"
        print(f"lbtutor check: error: {directory} {what}", file=sys.stderr)
        return 2
    if args.save_cache and not args.claims:
        print("lbtutor check: error: --save-cache goes with --claims", file=sys.stderr)
        return 2
    try:
        counts, problems, claims = check_folder(directory, with_claims=True)
    except Exception as exc:  # a validator bug must still not print a traceback at a teacher
        print(f"lbtutor check: internal error while checking {directory}: {type(exc).__name__}: {exc}",
              file=sys.stderr)  # fmt: skip
        return 1
    errors = [_shown(p) for p in problems]
    if args.claims:
        return _check_claims(args, directory, claims, errors)
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
                f"{counts['prompts']} interview prompts, {counts['tree_nodes']} decision-tree nodes, "
                f"{counts['claims']} claims"
            )
    return 1 if errors else 0


def _check_claims(args, directory: Path, claims: list, errors: list[str]) -> int:
    """Measure every claim; print those outside their tolerance. Exit 1 if any is, or any error."""
    from lbtutor.content.claims_check import cache_for, check_claims

    started = time.monotonic()
    cache = cache_for(directory)
    progress = None
    if not args.json and sys.stderr.isatty():
        def progress(text: str) -> None:
            print(f"\r\x1b[Kmeasuring {text}"[:200], end="", file=sys.stderr, flush=True)

    results = check_claims(claims, cache, progress)
    if progress is not None:
        print("\r\x1b[K", end="", file=sys.stderr, flush=True)
    try:
        cache.save()
        if args.save_cache:
            cache.save(directory / CACHE_NAME, only_used=True)
    except OSError as exc:
        print(f"lbtutor check: warning: could not write the claims cache: {exc.strerror or exc}", file=sys.stderr)
    failed = [r for r in results if not r.ok]
    if args.json:
        print(json.dumps({
            "claims": [r.as_json(_display(r.claim.path)) for r in results],
            "failed": len(failed),
            "errors": errors,
        }, indent=2))
    else:
        for line in errors:
            print(line)
        for r in failed:
            print(r.line(_display(r.claim.path)))
        fresh = cache.measured
        formulas = sum(1 for r in results if r.claim.source == "formula")
        stale = f", {cache.stale} stale cache entries ignored" if cache.stale else ""
        summary = (f"{_display(directory)}: {len(results)} claims, {len(results) - len(failed)} within tolerance "
                   f"({formulas} formulas; {fresh} runs measured now, the rest from the cache{stale}) "
                   f"in {time.monotonic() - started:.1f} s")
        print(summary, file=sys.stderr if failed or errors else sys.stdout)
    return 1 if failed or errors else 0


def check_folder(directory: Path, with_claims: bool = False) -> tuple:
    """Counts of what loaded, and every problem in the folder (lessons, quiz, interview, tree);
    with_claims: also every claim the loaded files state."""
    from lbtutor.content.flowchart import load_tree, tree_file
    from lbtutor.content.interview import interview_file, load_interview_file
    from lbtutor.content.lessons import load_course
    from lbtutor.content.quiz import load_quiz_bank

    course = load_course(directory)
    problems = list(course.problems)
    if not course.lessons and not course.broken:
        problems.append(_no_lessons(directory))
    bank, quiz_problems = load_quiz_bank(directory, course)
    problems += quiz_problems
    prompts: list = []
    claims = [claim for lesson in course.lessons for claim in lesson.claims] + list(bank.claims)
    if interview_file(directory).exists():
        prompts, interview_claims, found = load_interview_file(interview_file(directory))
        problems += found
        claims += interview_claims
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
        "claims": len(claims),
    }
    problems.sort(key=lambda p: (str(p.path), p.line))
    return (counts, problems, claims) if with_claims else (counts, problems)


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
