"""The quiz bank (`lessons/quiz/NN-name.toml`): questions of four kinds, each option explained.

Kinds: `single` (one key), `multiple` (a list of keys), `number` (a value within a tolerance, with
a unit) and `algorithm` (options are algorithm slugs). Every question links the lesson step that
teaches it (`teaches = "LESSON#STEP"`), checked against a loaded `Course` when one is given. A
question may also name the terms its key idea needs (`needs = ["token bucket", "burst"]`); each
must appear in the prose of that step, so a question cannot ask what its step does not teach.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from lbtutor.content.claims import Claim, ClaimSet, parse_claims
from lbtutor.content.lessons import Course, Option, validate_answers, validate_options
from lbtutor.content.problems import (
    Problem,
    array_of_tables,
    closest,
    finite_number,
    is_number,
    load_toml_file,
    nonempty_str,
    require_section,
    require_str,
    type_name,
    unknown_keys,
)

KINDS = ("single", "multiple", "number", "algorithm")
FILE_KEYS = ("section", "questions", "claims")
QUESTION_KEYS = (
    "id", "kind", "prompt", "teaches", "needs", "answer", "options", "tolerance", "unit", "explain", "scenario", "set",
)  # fmt: skip


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    section: int
    prompt: str
    teaches: str  # LESSON_ID#STEP_SLUG
    options: tuple[Option, ...]  # empty for number questions
    answers: frozenset[str]  # option keys; empty for number questions
    number: float | None = None  # the answer of a number question
    tolerance: float = 0.0
    unit: str = ""
    explain: str = ""  # the worked answer (number questions; optional for the others)
    scenario: str | None = None  # a scenario that shows the answer
    scenario_set: dict = field(default_factory=dict, compare=False)  # its parameters, as the question sets them up
    needs: tuple[str, ...] = ()  # terms of its key idea, each taught in the prose of the `teaches` step
    path: Path = field(default=Path(), compare=False)
    line: int = 0

    @property
    def multiple(self) -> bool:
        return self.kind == "multiple"

    def option(self, key: str) -> Option:
        for opt in self.options:
            if opt.key == key:
                return opt
        raise KeyError(key)

    def is_correct(self, response) -> bool:
        """A key, a collection of keys, or a number (or its text) for number questions."""
        if self.kind == "number":
            try:
                value = float(response)
            except (TypeError, ValueError):
                return False
            return math.isfinite(value) and abs(value - self.number) <= self.tolerance + 1e-9
        picked = {response} if isinstance(response, str) else set(response)
        return picked == set(self.answers)


@dataclass
class QuizBank:
    questions: list[Question]
    claims: list[Claim] = field(default_factory=list)  # the numbers the files state, with their sources

    def question(self, id: str) -> Question:
        for q in self.questions:
            if q.id == id:
                return q
        raise KeyError(id)

    def for_section(self, section: int) -> list[Question]:
        return [q for q in self.questions if q.section == section]

    @property
    def sections(self) -> list[int]:
        return sorted({q.section for q in self.questions})


def quiz_files(directory: Path | str) -> list[Path]:
    folder = Path(directory) / "quiz"
    try:
        return sorted(p for p in folder.glob("*.toml") if p.is_file())
    except OSError:
        return []


def load_quiz_bank(directory: Path | str | None = None, course: Course | None = None) -> tuple[QuizBank, list[Problem]]:
    """Every question under `directory`/quiz (default: the bundled lessons). Questions with
    problems are left out and reported; the rest load. Ids are unique across the whole bank."""
    if directory is None:
        from lbtutor.paths import lessons_dir

        directory = lessons_dir()
    questions: list[Question] = []
    claims: list[Claim] = []
    problems: list[Problem] = []
    seen: dict[str, tuple[Path, int]] = {}
    for path in quiz_files(directory):
        found, bad, file_claims = _load_file(path, course)
        problems.extend(bad)
        claims.extend(file_claims)
        for q in found:
            if q.id in seen:
                other, line = seen[q.id]
                where = f"line {line}" if other == path else f"{other.name}:{line}"
                problems.append(Problem(path, q.line, f'question id "{q.id}" is already used at {where}'))
                continue
            seen[q.id] = (path, q.line)
            questions.append(q)
    return QuizBank(questions, claims), problems


def validate_quiz_file(path: Path | str, course: Course | None = None) -> list[Problem]:
    questions, problems, _claims = _load_file(Path(path), course)
    seen: dict[str, int] = {}
    for q in questions:
        if q.id in seen:
            problems.append(Problem(path, q.line, f'question id "{q.id}" is already used at line {seen[q.id]}'))
        seen.setdefault(q.id, q.line)
    return sorted(problems, key=lambda p: p.line)


def _load_file(path: Path, course: Course | None) -> tuple[list[Question], list[Problem], list[Claim]]:
    data, where, problems = load_toml_file(path)
    if data is None:
        return [], problems, []
    claims = ClaimSet(path)
    if "claims" in data:
        parse_claims(data["claims"], claims, where, problems)

    def file_problem(message: str, *key) -> None:
        problems.append(Problem(path, where.line(*key), message))

    unknown_keys(data, FILE_KEYS, file_problem)
    section = require_section(data, file_problem)
    raw = array_of_tables(data, "questions", file_problem)
    if "questions" not in data:
        file_problem("the file has no [[questions]]")
    questions = []
    for n, table in enumerate(raw):
        q = _question(path, where, n, table, section or 0, course, problems, claims)
        if q is not None and section is not None:
            questions.append(q)
    problems.extend(claims.unused())
    return questions, problems, list(claims.claims.values())


def _question(path, where, n, q: dict, section: int, course: Course | None, problems: list[Problem],
              claims: ClaimSet | None = None):
    qid = q.get("id")
    label = f'question "{qid}"' if nonempty_str(qid) else f"question {n + 1}"
    count = len(problems)

    def problem(message: str, *key) -> None:
        problems.append(Problem(path, where.line("questions", n, *key), f"{label}: {message}"))

    unknown_keys(q, QUESTION_KEYS, problem)
    require_str(q, "id", problem)
    prompt = require_str(q, "prompt", problem)
    kind = q.get("kind")
    if kind not in KINDS:
        problem(f'"kind" must be one of {", ".join(KINDS)} (got {kind!r})', *(("kind",) if "kind" in q else ()))
        return None
    teaches = _teaches(q, course, problem)
    needs = _needs(q, teaches, course, problem)
    scenario = _scenario(q, problem)
    scenario_set = _scenario_set(q, scenario, problem)
    explain = q.get("explain", "")
    if not isinstance(explain, str):
        problem(f'"explain" must be a string (got {type_name(explain)})', "explain")

    number = None
    tolerance = 0.0
    unit = ""
    options: list[Option] = []
    answers: list[str] = []
    if kind == "number":
        if claims is not None and isinstance(q.get("answer"), str):  # answer = "{{id}}": the claim's stated value
            q = {**q, "answer": claims.answer_value(q["answer"], lambda m: problem(m, "answer"))}
        number, tolerance, unit = _number_answer(q, problem)
        if not nonempty_str(explain):
            problem('a number question needs "explain": the worked answer', *(("explain",) if "explain" in q else ()))
        if "options" in q:
            problem("a number question has no options", "options")
    else:
        for key in ("tolerance", "unit"):
            if key in q:
                problem(f'"{key}" only applies to number questions', key)
        options = validate_options(q, problem, header="[[questions.options]]", need_text=kind != "algorithm",
                                   keys_doc="an algorithm slug" if kind == "algorithm" else "a letter")
        if kind == "algorithm" and options is not None:
            _algorithm_keys(options, problem)
        result = validate_answers(q, problem, options)
        if result is not None:
            answers, is_list = result
            if kind == "multiple" and not is_list:
                problem('a multiple question takes a list of keys, answer = ["a", "c"]', "answer")
            elif kind != "multiple" and is_list:
                problem(f'a {kind} question has one answer key, not a list (use kind = "multiple")', "answer")

    if claims is not None:  # every {{id}} in the text becomes that claim's stated value
        at = ("questions", n)
        prompt = claims.render_toml(prompt, where, problems, *at, "prompt")
        explain = claims.render_toml(explain, where, problems, *at, "explain")
        options = [
            Option(o.key, claims.render_toml(o.text, where, problems, *at, "options", k, "text"),
                   claims.render_toml(o.explain, where, problems, *at, "options", k, "explain"))
            for k, o in enumerate(options or ())
        ]  # fmt: skip
    if len(problems) > count:
        return None
    return Question(
        id=qid, kind=kind, section=section, prompt=prompt, teaches=teaches,
        options=tuple(options or ()), answers=frozenset(answers), number=number, tolerance=tolerance,
        unit=unit, explain=explain, scenario=scenario, scenario_set=scenario_set, needs=needs, path=path,
        line=where.line("questions", n),
    )  # fmt: skip


def _teaches(q: dict, course: Course | None, problem) -> str:
    teaches = require_str(q, "teaches", problem)
    if teaches is None:
        return ""
    if "#" not in teaches:
        problem(f'"teaches" must be LESSON_ID#STEP_SLUG (got "{teaches}")', "teaches")
    elif course is not None:
        check_link(teaches, course, lambda m: problem(m, "teaches"))
    return teaches


def _needs(q: dict, teaches: str, course: Course | None, problem) -> tuple[str, ...]:
    """The `needs` terms, each checked against the prose of the step `teaches` points to."""
    if "needs" not in q:
        return ()
    terms = q["needs"]
    if not isinstance(terms, list) or not terms or not all(nonempty_str(t) for t in terms):
        problem(f'"needs" must be a non-empty list of terms, needs = ["token bucket", "burst"] (got {terms!r})',
                "needs")  # fmt: skip
        return ()
    found = course.find_step(teaches) if course is not None and teaches else None
    if found is not None:
        _, step = found
        prose = step_prose(step)
        for term in terms:
            if not teaches_term(prose, term):
                problem(f'needs "{term}", but step "{teaches}" never says it: teach it there, or point '
                        '"teaches" at the step that does', "needs")  # fmt: skip
    return tuple(t.strip() for t in terms)


def step_prose(step) -> str:
    """A step's title and Markdown text (paragraphs, tables, diagrams), without its labs and checks."""
    return "\n".join([step.title, *(s for s in step.segments if isinstance(s, str))])


def teaches_term(prose: str, term: str) -> bool:
    """Whether `term` occurs in `prose`: case and runs of white space do not matter; a term that
    starts or ends with a letter or digit must start or end a word there ("min" is not "minute")."""
    words = [re.escape(w) for w in term.lower().split()]
    if not words:
        return False
    pattern = r"\s+".join(words)
    if term.strip()[0].isalnum():
        pattern = r"(?<![a-z0-9])" + pattern
    if term.strip()[-1].isalnum():
        pattern += r"(?![a-z0-9])"
    return re.search(pattern, prose.lower().replace("**", "")) is not None


def check_link(link: str, course: Course, report) -> bool:
    """Report (through `report(message)`) a LESSON#STEP link that does not resolve."""
    if course.find_step(link) is not None:
        return True
    lesson_id, _, slug = link.partition("#")
    ids = [lesson.id for lesson in course.lessons]
    if lesson_id not in ids:
        hint = closest(lesson_id, ids)
        if not hint and course.broken:
            hint = " (some lesson files failed to load)"
        report(f'"{link}" links to no lesson "{lesson_id}"{hint}')
    else:
        slugs = [step.slug for step in course.lesson(lesson_id).steps]
        report(f'"{link}": lesson "{lesson_id}" has no step "{slug}"{closest(slug, slugs)}')
    return False


def _scenario(q: dict, problem) -> str | None:
    if "scenario" not in q:
        return None
    from lbtutor.sim.scenarios import names

    value = q["scenario"]
    if not isinstance(value, str) or value not in names():
        hint = closest(value, names()) if isinstance(value, str) else ""
        problem(f"unknown scenario {value!r}{hint}; see lbtutor sim --list-scenarios", "scenario")
        return None
    return value


def _scenario_set(q: dict, scenario: str | None, problem) -> dict:
    """The question's `set` table: the scenario's parameters for the setup the question describes
    (checked as a lesson lab's [set] is), so the run shown after the answer is the question's."""
    if "set" not in q:
        return {}
    from lbtutor.content.lessons import check_scenario_settings, check_set_table

    if not check_set_table(q, "question", problem) or scenario is None:  # an unknown scenario is reported already
        return {}
    return dict(q["set"]) if check_scenario_settings(scenario, q["set"], problem) else {}


def _number_answer(q: dict, problem) -> tuple[float | None, float, str]:
    answer = q.get("answer")
    if "answer" not in q:
        problem('needs "answer" (a number)')
    elif not finite_number(answer):
        got = type_name(answer) if not is_number(answer) else "a number too large for a float" if isinstance(answer, int) else repr(answer)
        problem(f'"answer" of a number question must be a finite number (got {got})', "answer")
        answer = None
    tolerance = q.get("tolerance")
    if "tolerance" not in q:
        problem('a number question needs "tolerance" (absolute; 0 for exact)')
        tolerance = 0.0
    elif not finite_number(tolerance) or tolerance < 0:
        got = "a number too large for a float" if isinstance(tolerance, int) and tolerance > 0 else repr(tolerance)
        problem(f'"tolerance" must be a number of 0 or more (got {got})', "tolerance")
        tolerance = 0.0
    unit = q.get("unit")
    if "unit" not in q:
        problem('a number question needs "unit" (what the number counts, e.g. "servers")')
        unit = ""
    elif not nonempty_str(unit):
        problem(f'"unit" must be a non-empty string (got {type_name(unit)})', "unit")
        unit = ""
    return (float(answer) if is_number(answer) else None), float(tolerance), unit


def _algorithm_keys(options, problem) -> None:
    from lbtutor.sim.balancers import ALGORITHMS

    for n, opt in enumerate(options):
        if opt.key not in ALGORITHMS:
            problem(f'option "{opt.key}" is not an algorithm slug{closest(opt.key, ALGORITHMS)}; '
                    f"choose from {', '.join(ALGORITHMS)}", "options", n, "key")  # fmt: skip
