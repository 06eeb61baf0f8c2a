"""An engine lab's check that quotes a long-run average of the lab's own setup lets the learner
see it: the check names a point (`run_to`) where the lab's one run, counted since the start,
has come within 10% of each such number, and `g` takes the lab there.

A quoted claim is "of the lab's own setup" when its `lbtutor sim` flags describe the lab (same
servers, traffic and service, one of the lab's algorithms), whatever the number of requests.
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


def quoted_ids(check: CheckBlock, path: Path) -> list[str]:
    """The {{claim}} ids in the check's own text, as written in the lesson file."""
    lines = path.read_text(encoding="utf-8").splitlines()[check.line - 1:]
    block = lines[: lines.index("```")] if "```" in lines else lines
    return list(dict.fromkeys(re.findall(r"\{\{([\w-]+)\}\}", "\n".join(block))))


def runs_this_lab(claim: Claim, lab: LabBlock) -> bool:
    """A long-run mean latency from a run of the lab's own setup under one of its algorithms."""
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
    assert len(CHECKS) >= 5, [where for where, *_ in CHECKS]


@pytest.mark.parametrize(("where", "lab", "check", "quoted"), CHECKS, ids=[where for where, *_ in CHECKS])
def test_the_labs_own_run_reaches_each_quoted_long_run_mean_by_the_checks_point(where, lab, check, quoted):
    assert isinstance(check.run_to, float), (
        f"{where}: the check quotes long runs of its lab ({', '.join(c.id for c in quoted)}) "
        "but names no point (run_to) where the learner can see the lab come close")
    for claim in quoted:
        algorithm = parse_run_flags(claim.sim or "").algorithm
        sim = Simulation(lab.sim_config(algorithm))
        sim.advance_to(check.run_to)
        seen = claim.measure({"latency.mean": sim.snapshot().total.mean_latency})
        assert seen is not None and abs(seen - claim.stated) <= CLOSE * claim.stated, (
            f"{where}: {lab.title!r} under {algorithm} reads {seen:.3g} at t = {check.run_to:g} s; "
            f"{claim.id} says {claim.stated:g}")
