"""Interview prompts (`lessons/interview.toml`): a question, a model answer and a rubric of points.

A rubric point is made when the learner's answer contains any of its terms (case-insensitive);
the matching is deliberately transparent so the learner can see why a point counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lbtutor.content.claims import Claim, ClaimSet, parse_claims
from lbtutor.content.problems import (
    Problem,
    array_of_tables,
    load_toml_file,
    nonempty_str,
    require_section,
    require_str,
    type_name,
    unknown_keys,
)

FILE_KEYS = ("prompts", "claims")
PROMPT_KEYS = ("id", "section", "prompt", "model_answer", "points")
POINT_KEYS = ("text", "terms")


@dataclass(frozen=True)
class RubricPoint:
    text: str
    terms: tuple[str, ...]

    def matched_terms(self, answer: str) -> list[str]:
        """The terms found in `answer`, ignoring case."""
        lowered = answer.lower()
        return [t for t in self.terms if t.lower() in lowered]


@dataclass(frozen=True)
class InterviewPrompt:
    id: str
    section: int
    prompt: str
    model_answer: str
    points: tuple[RubricPoint, ...]
    path: Path = field(default=Path(), compare=False)
    line: int = 0


def interview_file(directory: Path | str) -> Path:
    return Path(directory) / "interview.toml"


def load_interview(path: Path | str | None = None) -> tuple[list[InterviewPrompt], list[Problem]]:
    """The prompts of `path` (default: the bundled interview.toml). Prompts with problems are left
    out and reported; the rest load."""
    prompts, _claims, problems = load_interview_file(path)
    return prompts, problems


def load_interview_file(path: Path | str | None = None) -> tuple[list[InterviewPrompt], list[Claim], list[Problem]]:
    """The prompts of `path`, the claims their model answers state, and every problem."""
    if path is None:
        from lbtutor.paths import lessons_dir

        path = interview_file(lessons_dir())
    path = Path(path)
    data, where, problems = load_toml_file(path)
    if data is None:
        return [], [], problems
    claims = ClaimSet(path)
    if "claims" in data:
        parse_claims(data["claims"], claims, where, problems)

    def file_problem(message: str, *key) -> None:
        problems.append(Problem(path, where.line(*key), message))

    unknown_keys(data, FILE_KEYS, file_problem)
    if "prompts" not in data:
        file_problem("the file has no [[prompts]]")
    prompts: list[InterviewPrompt] = []
    seen: dict[str, int] = {}
    for n, table in enumerate(array_of_tables(data, "prompts", file_problem)):
        pid = table.get("id")
        label = f'prompt "{pid}"' if nonempty_str(pid) else f"prompt {n + 1}"
        count = len(problems)

        def problem(message: str, *key, n=n, label=label) -> None:
            problems.append(Problem(path, where.line("prompts", n, *key), f"{label}: {message}"))

        unknown_keys(table, PROMPT_KEYS, problem)
        require_str(table, "id", problem)
        section = require_section(table, problem)
        text = require_str(table, "prompt", problem)
        model = require_str(table, "model_answer", problem)
        text = claims.render_toml(text, where, problems, "prompts", n, "prompt")
        model = claims.render_toml(model, where, problems, "prompts", n, "model_answer")
        points = _points(table, problem)
        if nonempty_str(pid):
            if pid in seen:
                problem(f'id "{pid}" is already used at line {seen[pid]}', "id")
            seen.setdefault(pid, where.line("prompts", n))
        if len(problems) == count:
            prompts.append(InterviewPrompt(pid, section, text, model.strip(), points, path, where.line("prompts", n)))
    problems.extend(claims.unused())
    return prompts, list(claims.claims.values()), sorted(problems, key=lambda p: p.line)


def validate_interview_file(path: Path | str) -> list[Problem]:
    return load_interview(path)[1]


def _points(table: dict, problem) -> tuple[RubricPoint, ...]:
    if "points" not in table:
        problem("needs a rubric: add [[prompts.points]] tables with text and terms")
        return ()
    raw = table["points"]
    if not isinstance(raw, list) or not raw or not all(isinstance(p, dict) for p in raw):
        problem(f'"points" must be [[prompts.points]] tables (got {type_name(raw)})', "points")
        return ()
    points = []
    for n, point in enumerate(raw):
        unknown_keys(point, POINT_KEYS, problem, "points", n)
        text = require_str(point, "text", problem, "points", n)
        terms = point.get("terms")
        if not isinstance(terms, list) or not terms or not all(nonempty_str(t) for t in terms):
            problem(f'rubric point {n + 1} needs "terms": a non-empty list of words that show it',
                    "points", n, *(("terms",) if "terms" in point else ()))  # fmt: skip
            continue
        if text is not None:
            points.append(RubricPoint(text, tuple(t.strip() for t in terms)))
    return tuple(points)
