"""An engine lab's check that quotes a long-run average of the lab's own setup lets the learner
see it: the check names a point (`run_to`) where the lab's one run, counted since the start,
has come within 10% of each such number, and `g` takes the lab there.

A quoted claim is "of the lab's own setup" when its `lbtutor sim` flags describe the lab (same
servers, traffic and service, one of the lab's algorithms), whatever the number of requests; or
when it is one of the theory formulas below, each the steady state of one algorithm on its lab.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lbtutor.content.course import CheckBlock, Claim, LabBlock
from lbtutor.content.lessons import load_course
from lbtutor.paths import lessons_dir
from lbtutor.sim.engine import Simulation
from lbtutor.sim.flags import parse_run_flags

CLOSE = 0.10  # what "come close" in the check's hint promises
NOT_SETUP = {"requests", "warmup", "seed"}  # how long a claim runs, not what it runs
# Theory the checks quote for their lab's setup: claim id -> (the lab's title, the algorithm).
THEORY = {
    "random-theory": ("Random against round robin at 80% load", "random"),  # M/M/1 per server
    "rr-theory": ("Random against round robin at 80% load", "round-robin"),  # E4/M/1 per server
}


def quoted_ids(check: CheckBlock, path: Path) -> list[str]:
    """The {{claim}} ids in the check's own text, as written in the lesson file."""
    lines = path.read_text(encoding="utf-8").splitlines()[check.line - 1:]
    block = lines[: lines.index("```")] if "```" in lines else lines
    return list(dict.fromkeys(re.findall(r"\{\{([\w-]+)\}\}", "\n".join(block))))


def algorithm_of(claim: Claim) -> str:
    return THEORY[claim.id][1] if claim.id in THEORY else parse_run_flags(claim.sim or "").algorithm


def runs_this_lab(claim: Claim, lab: LabBlock) -> bool:
    """A long-run mean latency of the lab's own setup under one of its algorithms."""
    if claim.id in THEORY:
        return THEORY[claim.id][0] == lab.title
    if claim.source != "sim" or claim.this_run or claim.paths != ["latency.mean"]:
        return False
    config = parse_run_flags(claim.sim or "")
    if config.algorithm not in (lab.algorithms or (lab.sim_config().algorithm,)):
        return False
    mine, theirs = lab.sim_config(config.algorithm).to_dict(), config.to_dict()
    return all(mine[key] == theirs[key] for key in mine if key not in NOT_SETUP)


def engine_lab_checks() -> list[tuple[str, LabBlock, CheckBlock, list[Claim]]]:
    """Each check after an engine lab, with the quoted claims that describe that lab."""
    course = load_course(lessons_dir())
    found = []
    for lesson in course.lessons:
        claims = {claim.id: claim for claim in lesson.claims}
        for step in lesson.steps:
            lab = None
            for segment in step.segments:
                if isinstance(segment, LabBlock):
                    lab = segment
                elif isinstance(segment, CheckBlock) and lab is not None and lab.is_engine:
                    ids = quoted_ids(segment, lesson.path)
                    quoted = [claims[i] for i in ids if i in claims and runs_this_lab(claims[i], lab)]
                    if quoted:
                        found.append((f"{lesson.path.name}:{segment.line}", lab, segment, quoted))
    return found


CHECKS = engine_lab_checks()


def test_the_bundled_lessons_have_such_checks():
    assert len(CHECKS) >= 6, [where for where, *_ in CHECKS]
    quoted = {claim.id for *_, claims in CHECKS for claim in claims}
    assert set(THEORY) <= quoted  # each theory entry still names a quoted claim of its lab


@pytest.mark.parametrize(("where", "lab", "check", "quoted"), CHECKS, ids=[where for where, *_ in CHECKS])
def test_the_labs_own_run_reaches_each_quoted_long_run_mean_by_the_checks_point(where, lab, check, quoted):
    assert isinstance(check.run_to, float), (
        f"{where}: the check quotes long runs of its lab ({', '.join(c.id for c in quoted)}) "
        "but names no point (run_to) where the learner can see the lab come close")
    for claim in quoted:
        algorithm = algorithm_of(claim)
        sim = Simulation(lab.sim_config(algorithm))
        sim.advance_to(check.run_to)
        mean = sim.snapshot().total.mean_latency
        seen = mean * 1000 if claim.unit == "ms" else mean if claim.unit == "s" else None
        assert seen is not None and abs(seen - claim.stated) <= CLOSE * claim.stated, (
            f"{where}: {lab.title!r} under {algorithm} reads {seen:.3g} at t = {check.run_to:g} s; "
            f"{claim.id} says {claim.stated:g}")
