"""Lesson files (`lessons/NN-name.md`) parsed into steps, Markdown chunks, lab and check blocks.

A lesson is TOML front matter between `+++` lines, then steps that each start with `## Title`.
Fenced ```lab and ```check blocks hold TOML; ```claims blocks hold the lesson's claims (numbers
written once, tied to their source: see claims.py), and every `{{id}}` in the text becomes that
claim's stated value as the lesson loads. Otherwise the text is kept exactly as written. Every
problem is reported with its file line; a broken file becomes a `BrokenLesson` and never an
exception, so the app can show the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from lbtutor.content.claims import ClaimSet, parse_claims

# The course's classes live in course.py (the tutor reads its kept course without this parser);
# the rest of lbtutor imports them from here as well.
from lbtutor.content.course import (  # noqa: F401
    DEFAULT_LAB_SEED,
    DEFAULT_LAB_SPEED,
    BrokenLesson,
    CheckBlock,
    Course,
    LabBlock,
    Lesson,
    Option,
    RealBlock,
    Segment,
    Step,
)
from lbtutor.content.problems import (
    Problem,
    TomlLines,
    closest,
    finite_number,
    is_int,
    is_number,
    nonempty_str,
    parse_toml,
    read_text,
    type_name,
    unknown_keys,
)
from lbtutor.sim.config import SERVICE_DISTS, ConfigError, SimConfig

ENGINE_KEYS = (
    "servers", "weights", "speeds", "workers", "queue_limit",
    "arrival_rate", "service_rate", "service_dist", "clients", "zipf",
)  # fmt: skip
REAL_SHOWS = ("lab", "pick-order")
REAL_SETUP_KEYS = (
    "algorithm", "servers", "weights", "workers", "arrival_rate", "service_rate", "service_dist",
    "clients", "check", "check_interval", "check_timeout", "fall", "rise", "slowstart", "max_fails",
    "fail_timeout", "request_timeout", "seed",
)  # fmt: skip

# ---------------------------------------------------------------------------------------------
# loading


def slugify(title: str) -> str:
    """`## Least Connections` -> `least-connections` (runs of other than a-z0-9 become `-`)."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def load_course(directory: Path | str | None = None) -> Course:
    """Every `[0-9]*.md` lesson in `directory` (default: the bundled lessons). Never raises."""
    if directory is None:
        from lbtutor.paths import lessons_dir

        directory = lessons_dir()
    directory = Path(directory)
    try:
        files = sorted(p for p in directory.glob("[0-9]*.md") if p.is_file())
    except OSError as exc:
        return _unloadable(directory, f"cannot read the lesson folder: {exc.strerror or exc}")
    if not directory.is_dir():
        return _unloadable(directory, "lesson folder not found")

    lessons: list[Lesson] = []
    broken: list[BrokenLesson] = []
    seen: dict[str, Path] = {}
    for path in files:
        parsed = _parse_lesson(path)
        problems = list(parsed.problems)
        if parsed.lesson_id and parsed.lesson_id in seen:
            problems.append(Problem(path, parsed.id_line,
                                    f'lesson id "{parsed.lesson_id}" is already used by {seen[parsed.lesson_id].name}'))
        if problems or parsed.lesson is None:
            broken.append(BrokenLesson(path, guess_title(path), tuple(problems)))
            continue
        seen[parsed.lesson_id] = path
        lessons.append(parsed.lesson)
    lessons.sort(key=lambda lesson: (lesson.section, lesson.path.name))
    return Course(lessons, broken)


def validate_lesson_file(path: Path | str) -> list[Problem]:
    """Every problem in one lesson file (empty when it loads cleanly)."""
    return list(_parse_lesson(Path(path)).problems)


def parse_lesson_file(path: Path | str) -> tuple[Lesson | None, list[Problem]]:
    """The lesson, or None when it has problems, and the problems."""
    parsed = _parse_lesson(Path(path))
    return parsed.lesson, list(parsed.problems)


def guess_title(path: Path) -> str:
    """`05-health-checks.md` -> `Health Checks`."""
    words = re.sub(r"^[0-9]+[-_ ]*", "", Path(path).stem).replace("_", " ").replace("-", " ").split()
    return " ".join(w[:1].upper() + w[1:] for w in words) or Path(path).name


def _unloadable(directory: Path, message: str) -> Course:
    return Course([], [BrokenLesson(directory, "Lessons", (Problem(directory, 0, message),))])


# ---------------------------------------------------------------------------------------------
# parsing one file

FRONT_MATTER_KEYS = {"id": "a string", "section": "an integer", "title": "a string", "minutes": "an integer"}
LAB_KEYS = ("title", "look_for", "scenario", "set", "algorithms", *ENGINE_KEYS, "seed", "speed", "chart")
LAB_CHARTS = ("dispatch",)  # an engine lab's extra views
REAL_KEYS = ("title", "look_for", "balancer", "show", "target", "requests", *REAL_SETUP_KEYS)
REAL_INT_KEYS = frozenset({"servers", "workers", "clients", "fall", "rise", "max_fails", "seed"})
REAL_STR_KEYS = frozenset({"algorithm", "service_dist", "check"})
CHECK_KEYS = ("question", "answer", "options", "run_to")
OPTION_KEYS = ("key", "text", "explain")
LESSON_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*([^`\s]*)[^`]*$")
_HEADING = re.compile(r"^ {0,3}##(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_INT_KEYS = ("servers", "workers", "queue_limit", "clients")
_FLOAT_KEYS = ("arrival_rate", "service_rate", "zipf")
_LIST_KEYS = ("weights", "speeds")
# What a live lab can draw and simulate at frame rate; beyond these a typo is the likelier story.
ENGINE_LIMITS = {
    "servers": 500, "workers": 1000, "queue_limit": 1_000_000, "clients": 10_000_000,
    "arrival_rate": 1_000_000.0, "service_rate": 1_000_000.0, "zipf": 10.0,
    "weights": 1_000_000.0, "speeds": 1_000_000.0,
}  # fmt: skip


@dataclass
class _Parsed:
    lesson: Lesson | None
    problems: list[Problem]
    lesson_id: str = ""
    id_line: int = 1


@dataclass
class _StepDraft:
    title: str
    slug: str
    line: int
    segments: list = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    checks: int = 0
    blocks: int = 0  # lab/check/real fences, valid or not
    text_line: int = 0  # the file line of text[0]

    def add_text(self, lines: list[str], lineno: int) -> None:
        if not self.text:
            self.text_line = lineno
        self.text.extend(lines)

    def flush(self, claims: ClaimSet | None = None, problems: list[Problem] | None = None) -> None:
        lead = next((k for k, line in enumerate(self.text) if line.strip()), len(self.text))
        chunk = _trim_blank_lines(self.text)
        if chunk and claims is not None and problems is not None:
            first = self.text_line + lead
            chunk = claims.render(chunk, lambda offset: first + chunk.count("\n", 0, offset), problems,
                                  paragraphs=True)
        if chunk:
            self.segments.append(chunk)
        self.text = []


def _trim_blank_lines(lines: list[str]) -> str:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end])


def _parse_lesson(path: Path) -> _Parsed:
    text, problem = read_text(path)
    if text is None:
        return _Parsed(None, [problem])
    problems: list[Problem] = []
    lines = text.split("\n")

    front, body_start, id_line = _front_matter(path, lines, problems)
    lesson_id = front.get("id") if isinstance(front.get("id"), str) else ""
    link_id = lesson_id or path.stem

    claims = _claims_of(path, lines, body_start, problems)
    steps: list[_StepDraft] = []
    preamble: list[int] = []  # lines of content before the first step
    i = body_start
    while i < len(lines):
        line = lines[i]
        lineno = i + 1
        fence = _FENCE_OPEN.match(line)
        if fence:
            marker, info = fence.group(1), fence.group(2)
            close = _find_fence_close(lines, i + 1, marker)
            kind = info if info in ("lab", "check", "real", "claims") else None
            if close is None:
                what = f"```{kind} block" if kind else "code fence"
                problems.append(Problem(path, lineno, f"{what} opened here is never closed (add a line with {marker})"))
                close = len(lines)
            if not steps:
                preamble.append(lineno)
            elif kind == "claims":
                pass  # read before the steps (_claims_of), so text anywhere can use them
            elif kind:
                step = steps[-1]
                step.flush(claims, problems)
                step.blocks += 1
                block = _parse_block(path, kind, lines[i + 1:close], lineno, link_id, step, problems, claims)
                if block is not None:
                    step.segments.append(block)
            else:
                steps[-1].add_text(lines[i:close + 1], lineno)
            i = close + 1
            continue
        heading = _HEADING.match(line)
        if heading:
            title = (heading.group(1) or "").strip()
            slug = slugify(title)
            if not title:
                problems.append(Problem(path, lineno, "a step heading needs a title after ##"))
            elif not slug:
                problems.append(Problem(path, lineno, f'step title "{title}" has no letters or digits for its slug (a-z, 0-9)'))
            if steps:
                steps[-1].flush(claims, problems)
            steps.append(_StepDraft(title, slug, lineno))
            i += 1
            continue
        if steps:
            steps[-1].add_text([line], lineno)
        elif line.strip():
            preamble.append(lineno)
        i += 1
    if steps:
        steps[-1].flush(claims, problems)
    labs = {}
    for step in steps:
        for segment in step.segments:
            if isinstance(segment, LabBlock):
                labs.setdefault(segment.title, segment)
    claims.resolve_labs(labs, problems)
    problems.extend(claims.unused())

    if preamble and steps:
        problems.append(Problem(path, preamble[0],
                                "text before the first step is never shown; start a step with a '## Title' line"))
    if not steps and body_start <= len(lines):
        problems.append(Problem(path, min(body_start + 1, len(lines)),
                                "the lesson has no steps; every step starts with a '## Title' line"))

    slugs: dict[str, int] = {}
    for step in steps:
        if not step.slug:
            continue
        if step.slug in slugs:
            problems.append(Problem(path, step.line,
                                    f'step slug "{step.slug}" is already used by the step on line {slugs[step.slug]}; '
                                    "links need unique step titles"))
        else:
            slugs[step.slug] = step.line
        if not step.segments and not step.blocks:
            problems.append(Problem(path, step.line, f'step "{step.title}" is empty'))

    problems.sort(key=lambda p: p.line)
    if problems or not lesson_id:
        return _Parsed(None, problems, lesson_id, id_line)
    lesson = Lesson(
        id=lesson_id,
        section=front["section"],
        title=front["title"],
        minutes=front["minutes"],
        steps=tuple(
            Step(lesson_id, n, s.title, s.slug, tuple(s.segments), s.line) for n, s in enumerate(steps)
        ),
        path=path,
        claims=tuple(claims.claims.values()),
    )
    return _Parsed(lesson, [], lesson_id, id_line)


def _find_fence_close(lines: list[str], start: int, marker: str) -> int | None:
    pattern = re.compile(r"^ {0,3}" + re.escape(marker[0]) + "{" + str(len(marker)) + r",}[ \t]*$")
    for j in range(start, len(lines)):
        if pattern.match(lines[j]):
            return j
    return None


def _front_matter(path: Path, lines: list[str], problems: list[Problem]) -> tuple[dict, int, int]:
    """Parse the +++ front matter. Returns (values that are valid, index of the first body line, id line)."""
    keys = ", ".join(FRONT_MATTER_KEYS)
    if not lines or lines[0].strip() != "+++":
        problems.append(Problem(path, 1, f"a lesson starts with TOML front matter between +++ lines ({keys})"))
        return {}, 0, 1
    end = next((j for j in range(1, len(lines)) if lines[j].strip() == "+++"), None)
    if end is None:
        problems.append(Problem(path, 1, "the front matter opened here is never closed with a +++ line"))
        return {}, len(lines), 1
    text = "\n".join(lines[1:end])
    data, err_line, err = parse_toml(text, 2)
    if data is None:
        problems.append(Problem(path, err_line, f"front matter is not valid TOML: {err}"))
        return {}, end + 1, 1
    where = TomlLines(text, 2)
    good: dict = {}
    for key in data:
        if key not in FRONT_MATTER_KEYS:
            problems.append(Problem(path, where.line(key),
                                    f'unknown front matter key "{key}"{closest(key, FRONT_MATTER_KEYS)}; expected {keys}'))
    for key, kind in FRONT_MATTER_KEYS.items():
        if key not in data:
            problems.append(Problem(path, 1, f'front matter has no "{key}" ({kind})'))
            continue
        value = data[key]
        line = where.line(key)
        if kind == "a string" and not nonempty_str(value):
            problems.append(Problem(path, line, f'"{key}" must be a non-empty string (got {type_name(value)})'))
        elif kind == "an integer" and not is_int(value):
            problems.append(Problem(path, line, f'"{key}" must be an integer (got {type_name(value)})'))
        elif key == "id" and not LESSON_ID.match(value):
            problems.append(Problem(path, line,
                                    f'id "{value}" may use only a-z, 0-9 and "-" (it is used in links like id#step)'))
        elif key == "section" and not 1 <= value <= 9:
            problems.append(Problem(path, line, f"section must be the chapter's section number, 1 to 9 (got {value})"))
        elif key == "minutes" and not 1 <= value <= 600:
            problems.append(Problem(path, line, f"minutes must be from 1 to 600 (got {value})"))
        else:
            good[key] = value.strip() if isinstance(value, str) else value
    return good, end + 1, where.line("id")


# ---------------------------------------------------------------------------------------------
# blocks


def _claims_of(path: Path, lines: list[str], start: int, problems: list[Problem]) -> ClaimSet:
    """Every ```claims block of the file, read before the steps so that text anywhere in the
    lesson can use any of them. A block holds [[claims]] tables (see claims.py)."""
    claims = ClaimSet(path)
    i = start
    while i < len(lines):
        fence = _FENCE_OPEN.match(lines[i])
        if not fence:
            i += 1
            continue
        close = _find_fence_close(lines, i + 1, fence.group(1))
        end = len(lines) if close is None else close
        if fence.group(2) == "claims":
            _claims_block(path, lines[i + 1:end], i + 1, claims, problems)
        i = end + 1
    return claims


def _claims_block(path: Path, body: list[str], fence_line: int, claims: ClaimSet, problems: list[Problem]) -> None:
    text = "\n".join(body)
    first = fence_line + 1
    if not text.strip():
        problems.append(Problem(path, fence_line, "```claims block is empty"))
        return
    data, err_line, err = parse_toml(text, first)
    if data is None:
        problems.append(Problem(path, err_line, f"```claims block is not valid TOML: {err}"))
        return
    where = TomlLines(text, first)
    for key in data:
        if key != "claims":
            problems.append(Problem(path, where.line(key),
                                    f'claims block: unknown key "{key}"; a claims block holds [[claims]] tables'))
    if "claims" not in data:
        problems.append(Problem(path, fence_line, "```claims block holds [[claims]] tables, and has none"))
        return
    parse_claims(data["claims"], claims, where, problems, allow_lab=True)


def _parse_block(path, kind, body, fence_line, lesson_id, step, problems, claims=None):
    text = "\n".join(body)
    first = fence_line + 1
    if not text.strip():
        problems.append(Problem(path, fence_line, f"```{kind} block is empty"))
        return None
    data, err_line, err = parse_toml(text, first)
    if data is None:
        problems.append(Problem(path, err_line, f"```{kind} block is not valid TOML: {err}"))
        return None
    where = TomlLines(text, first)
    found: list[Problem] = []

    def problem(message: str, *key) -> None:
        found.append(Problem(path, where.line(*key) if key else fence_line, f"{kind} block: {message}"))

    if kind == "check":
        step.checks += 1
        labs = [segment for segment in step.segments if isinstance(segment, LabBlock)]
        block = _check_block(data, problem, f"{lesson_id}#{step.slug}/{step.checks}", fence_line, labs[-1] if labs else None)
    elif kind == "real":
        block = _real_block(data, problem, fence_line)
    else:
        block = _lab_block(data, problem, fence_line)
    if claims is not None and block is not None:
        block = _render_block(block, claims, where, found)
    problems.extend(found)
    return None if found else block


def _render_block(block, claims: ClaimSet, where: TomlLines, problems: list[Problem]):
    """A check or lab block with every {{id}} in its text replaced by the claim's stated value."""
    if isinstance(block, CheckBlock):
        options = tuple(
            Option(opt.key, claims.render_toml(opt.text, where, problems, "options", n, "text"),
                   claims.render_toml(opt.explain, where, problems, "options", n, "explain"))
            for n, opt in enumerate(block.options)
        )  # fmt: skip
        return replace(block, question=claims.render_toml(block.question, where, problems, "question"), options=options)
    return replace(block, title=claims.render_toml(block.title, where, problems, "title"),
                   look_for=claims.render_toml(block.look_for, where, problems, "look_for"))


def _check_block(data, problem, check_id, fence_line, lab=None):
    unknown_keys(data, CHECK_KEYS, problem)
    run_to = data.get("run_to")
    if "run_to" in data:
        if lab is None:
            problem('"run_to" names a point of the lab before it, and this step has no lab before the check', "run_to")
        elif run_to == "end":
            if lab.is_engine:
                problem('"run_to" = "end" needs a scenario lab (an engine lab runs for ever); give seconds instead', "run_to")
        elif not is_number(run_to) or run_to <= 0:
            problem(f'"run_to" must be "end" or a number of seconds above 0 (got {run_to!r})', "run_to")
    question = data.get("question")
    if "question" not in data:
        problem('needs a "question"')
    elif not nonempty_str(question):
        problem(f'"question" must be a non-empty string (got {type_name(question)})', "question")
    options = validate_options(data, problem)
    answers = validate_answers(data, problem, options)
    if not (nonempty_str(question) and options and answers is not None):
        return None
    keys, multiple = answers
    return CheckBlock(check_id, question, tuple(options), frozenset(keys), multiple, fence_line,
                      float(run_to) if is_number(run_to) else run_to)


class Partial(list):
    """Options that had problems: their keys still let the answer be checked, but they are falsy."""

    def __bool__(self) -> bool:
        return False


def validate_options(data, problem, name="options", *, header="[[options]]", need_text=True, keys_doc="a letter") -> list[Option] | None:
    """Validate an array of option tables. Every option has a key, text and an explanation.

    Returns the options, a falsy `Partial` of those with keys when some are invalid (so the
    answer can still be checked), or None when there are no option tables at all."""
    raw = data.get(name)
    if name not in data:
        problem(f"needs options: add {header} tables with key, text and explain")
        return None
    if not isinstance(raw, list) or not all(isinstance(o, dict) for o in raw):
        problem(f'"{name}" must be {header} tables (got {type_name(raw)})', name)
        return None
    ok = True
    if len(raw) < 2:
        problem(f"needs at least two options (got {len(raw)})", name)
        ok = False
    options: list[Option] = []
    seen: set[str] = set()
    for n, opt in enumerate(raw):
        unknown_keys(opt, OPTION_KEYS, problem, name, n)
        key = opt.get("key")
        label = f'option "{key}"' if isinstance(key, str) else f"option {n + 1}"
        if not nonempty_str(key):
            problem(f"{label} needs a non-empty string \"key\" ({keys_doc})", name, n, "key")
            ok = False
        elif key in seen:
            problem(f'option key "{key}" is used twice', name, n, "key")
            ok = False
        else:
            seen.add(key)
        text = opt.get("text", key if not need_text else None)
        if not nonempty_str(text):
            problem(f'{label} needs a non-empty "text"', name, n, "text" if "text" in opt else "key")
            ok = False
        explain = opt.get("explain")
        if not nonempty_str(explain):
            problem(f'{label} has no "explain": every option is explained after the answer',
                    name, n, "explain" if "explain" in opt else "key")
            ok = False
        if nonempty_str(key):
            options.append(Option(key, text, explain))
    return options if ok else Partial(options)


def validate_answers(data, problem, options) -> tuple[list[str], bool] | None:
    if "answer" not in data:
        problem('needs an "answer" (an option key, or a list of keys)')
        return None
    raw = data["answer"]
    multiple = isinstance(raw, list)
    keys = raw if multiple else [raw]
    if not keys or not all(nonempty_str(k) for k in keys):
        problem(f'"answer" must be an option key or a non-empty list of keys (got {type_name(raw)})', "answer")
        return None
    if len(set(keys)) != len(keys):
        problem("answer lists the same key twice", "answer")
        return None
    if options is None:
        return None
    known = list(dict.fromkeys(o.key for o in options))
    missing = [k for k in keys if k not in known]
    if missing:
        problem(f'answer "{missing[0]}" is not one of the options ({", ".join(known)})', "answer")
        return None
    return keys, multiple


def _has_title_and_look_for(data, problem) -> bool:
    """A lab or real block says what it is and what to watch: both non-empty strings."""
    ok = True
    for key in ("title", "look_for"):
        if key not in data:
            problem(f'needs "{key}"' + (": one sentence that says what to watch" if key == "look_for" else ""))
            ok = False
        elif not nonempty_str(data[key]):
            problem(f'"{key}" must be a non-empty string (got {type_name(data[key])})', key)
            ok = False
    return ok


def _lab_block(data, problem, fence_line):
    from lbtutor.sim.balancers import ALGORITHMS
    from lbtutor.sim.scenarios import names as scenario_names

    unknown_keys(data, LAB_KEYS, problem)
    ok = _has_title_and_look_for(data, problem)

    scenario = data.get("scenario")
    known = scenario_names()
    if "scenario" in data:
        if not isinstance(scenario, str):
            problem(f'"scenario" must be a string (got {type_name(scenario)})', "scenario")
            ok = False
        elif scenario not in known:
            problem(f'unknown scenario "{scenario}"{closest(scenario, known)}; see lbtutor sim --list-scenarios',
                    "scenario")
            ok = False
    settings = data.get("set", {})
    typed = check_set_table(data, "lab", problem) if "set" in data else True
    ok = ok and typed
    if typed and isinstance(scenario, str) and scenario in known:
        ok = check_scenario_settings(scenario, settings, problem) and ok

    algorithms = data.get("algorithms")
    if "algorithms" in data:
        if not isinstance(algorithms, list) or not algorithms or not all(isinstance(a, str) for a in algorithms):
            problem(f'"algorithms" must be a non-empty list of algorithm slugs (got {type_name(algorithms)})',
                    "algorithms")
            ok = False
        else:
            for slug in algorithms:
                if slug not in ALGORITHMS:
                    problem(f'unknown algorithm "{slug}"{closest(slug, ALGORITHMS)}; choose from {", ".join(ALGORITHMS)}',
                            "algorithms")
                    ok = False
            if len(set(algorithms)) != len(algorithms):
                problem("algorithms lists the same slug twice", "algorithms")
                ok = False
    elif "scenario" not in data:
        problem('needs either "scenario" (a named scenario) or "algorithms" (an engine lab)')
        ok = False

    seed = data.get("seed", DEFAULT_LAB_SEED)
    if not is_int(seed) or not 0 <= seed < 2**63:
        problem(f'"seed" must be a whole number from 0 to 2**63 - 1 (got {seed!r})', "seed")
        ok = False
    speed = data.get("speed", DEFAULT_LAB_SPEED)
    if not finite_number(speed) or not 0 < speed <= 1000:
        problem(f'"speed" must be a positive number of simulated seconds per second, at most 1000 (got {speed!r})',
                "speed")
        ok = False

    chart = data.get("chart")
    if "chart" in data:
        if "scenario" in data:
            problem('"chart" applies to engine labs only; a scenario lab draws its scenario\'s own chart', "chart")
            ok = False
        elif chart not in LAB_CHARTS:
            problem(f'"chart" must be one of: {", ".join(LAB_CHARTS)} (got {chart!r})', "chart")
            ok = False

    given = {k: data[k] for k in ENGINE_KEYS if k in data}
    config: dict | None = {}
    if "scenario" in data:
        for key in given:
            problem(f'"{key}" applies to engine labs only; give scenario parameters under [set]', key)
            ok = False
    elif _engine_types(given, problem):
        valid = [a for a in (algorithms if isinstance(algorithms, list) else []) if a in ALGORITHMS]
        config = _engine_config(given, valid[0] if valid else "round-robin", problem)
        ok = ok and config is not None
    else:
        ok = False
    if not ok:
        return None
    return LabBlock(
        title=data["title"],
        look_for=data["look_for"],
        line=fence_line,
        scenario=scenario,
        settings=dict(settings),
        algorithms=tuple(algorithms or ()),
        config=config,
        seed=seed,
        speed=float(speed),
        chart=chart,
    )


def _real_block(data, problem, fence_line):
    """A ```real block, checked by the very rules `lbtutor real` applies (lbtutor.real.setup)."""
    from lbtutor.real.algorithms import Unsupported
    from lbtutor.real.setup import RealSetup

    unknown_keys(data, REAL_KEYS, problem)
    ok = _has_title_and_look_for(data, problem)
    show = data.get("show", "lab")
    if show not in REAL_SHOWS:
        problem(f'"show" must be one of {", ".join(REAL_SHOWS)} (got {show!r})', "show")
        return None
    balancer = data.get("balancer", "haproxy")
    balancers = balancer if isinstance(balancer, list) else [balancer]
    if not balancers or not all(b in ("haproxy", "nginx") for b in balancers) or (
            show == "lab" and isinstance(balancer, list)):
        what = "haproxy or nginx" + (", or a list of them" if show == "pick-order" else "")
        problem(f'"balancer" must be {what} (got {balancer!r})', "balancer")
        return None
    requests = data.get("requests", 14)
    if not is_int(requests) or not 1 <= requests <= 100:
        problem(f'"requests" must be a whole number from 1 to 100 (got {requests!r})', "requests")
        ok = False
    values = {k: data[k] for k in REAL_SETUP_KEYS if k in data}
    for key, value in values.items():
        if key in REAL_INT_KEYS and not is_int(value):
            problem(f'"{key}" must be a whole number (got {type_name(value)})', key)
            return None
        if key in REAL_STR_KEYS and not isinstance(value, str):
            problem(f'"{key}" must be a string (got {type_name(value)})', key)
            return None
        if key not in REAL_INT_KEYS | REAL_STR_KEYS | {"weights"} and not is_number(value):
            problem(f'"{key}" must be a number (got {type_name(value)})', key)
            return None
    if "weights" in values:
        if not isinstance(values["weights"], list) or not all(is_int(w) for w in values["weights"]):
            problem(f'"weights" must be a list of whole numbers (got {values["weights"]!r})', "weights")
            return None
        values["weights"] = tuple(values["weights"])
    setup = None
    for name in balancers:
        given = frozenset(k for k in values if k not in ("algorithm", "servers", "weights", "workers",
                                                        "arrival_rate", "service_rate", "service_dist",
                                                        "clients", "seed", "request_timeout"))
        try:
            setup = RealSetup(balancer=name, given=given, **values).validate()
        except Unsupported as exc:
            problem(str(exc), *(("algorithm",) if "algorithm" in values else ()))
            return None
        except ConfigError as exc:
            message = str(exc)
            key = next((k for k in values if k.replace("_", "-") in message or k in message), None)
            problem(message, *((key,) if key else ()))
            return None
    target = data.get("target", "s1")
    if setup is not None and target not in setup.names:
        problem(f'"target" must name a server: {", ".join(setup.names)} (got {target!r})', "target")
        ok = False
    if not ok:
        return None
    return RealBlock(
        title=data["title"], look_for=data["look_for"], line=fence_line, balancers=tuple(balancers),
        show=show, target=target, requests=requests, setup=values,
    )


def check_set_table(holder: dict, what: str, problem) -> bool:
    """The `set` table of a lab block or a quiz question (`what`): it needs a "scenario" beside
    it, and holds strings, numbers and booleans. False, with each problem reported, if not."""
    settings = holder["set"]
    ok = True
    if "scenario" not in holder:
        problem(f'[set] holds scenario parameters; this {what} has no "scenario"', "set")
        ok = False
    if not isinstance(settings, dict):
        problem(f'"set" must be a table of scenario parameters (got {type_name(settings)})', "set")
        return False
    for key, value in settings.items():
        if not isinstance(value, str | int | float | bool):
            problem(f"[set] {key} must be a string, number or boolean (got {type_name(value)})", "set", key)
            ok = False
    return ok


def check_scenario_settings(name: str, settings: dict, problem, *, build: bool = True) -> bool:
    """Check a scenario lab's [set] table against the scenario's own parameters, each problem at
    the line of its key. With build=False (a claim's `set`, measured only by `check --claims`)
    the combination is checked only against the request budget, not by building the run.

    The scenario module is imported here, on first use; one that fails to import is a problem in
    the lesson (the lab could not run), never a traceback."""
    from lbtutor.sim.scenarios import ScenarioError, get

    try:
        scenario = get(name)
    except Exception as exc:  # a broken module: report it, whatever it raised
        problem(f'scenario "{name}" cannot be loaded ({type(exc).__name__}: {exc}); its [set] is not checked',
                "scenario")
        return False
    ok = True
    names = [p.name for p in scenario.params]
    for key, value in settings.items():
        try:
            if key not in names:
                problem(f'[set] {name} has no parameter "{key}"{closest(key, names)}; '
                        f"its parameters are: {', '.join(names)}", "set", key)
                ok = False
                continue
            param = scenario.param(key)
            if isinstance(value, bool) and not isinstance(param.default, bool):
                raise ScenarioError(f"{name}: {key}={value!r} is not allowed; {key} is {param.allowed()}")
            scenario.resolve({key: value})
        except ScenarioError as exc:
            problem(f"[set] {exc}", "set", key)
            ok = False
        except Exception as exc:  # a parameter whose own check is broken: still a problem, not a crash
            problem(f"[set] {key} = {value!r} could not be checked ({type(exc).__name__}: {exc})", "set", key)
            ok = False
    if not ok:
        return False
    # Each value is allowed on its own; building the run checks how they combine (a join time
    # past the run's end, shares that add up to more than 1). Building runs no simulation.
    try:
        if not build:
            scenario.check_budget(scenario.resolve(settings))
            return True
        scenario.build(settings, DEFAULT_LAB_SEED)
    except Exception as exc:
        message = str(exc)  # "NAME: key=value is not allowed; ..." names the key to blame
        # the key named first in the message, "key=value" before a bare mention
        assigned = {k: message.find(f"{k}=") for k in settings if re.search(rf"\b{re.escape(k)}=", message)}
        named = sorted(assigned, key=assigned.get)
        named += [k for k in settings if re.search(rf"\b{re.escape(k)}\b", message)]
        where = ("set", named[0]) if named else ("set",) if settings else ("scenario",)
        if isinstance(exc, ScenarioError):
            problem(f"[set] {exc}", *where)
        else:
            problem(f'scenario "{name}" cannot start with these settings ({type(exc).__name__}: {exc})', *where)
        return False
    return True


def _engine_types(given: dict, problem) -> bool:
    ok = True
    for key, value in given.items():
        if key in _INT_KEYS and not is_int(value):
            problem(f'"{key}" must be a whole number (got {type_name(value)})', key)
            ok = False
        elif key in _FLOAT_KEYS and not is_number(value):
            problem(f'"{key}" must be a number (got {type_name(value)})', key)
            ok = False
        elif key in _LIST_KEYS and (not isinstance(value, list) or not value or not all(is_number(v) for v in value)):
            problem(f'"{key}" must be a non-empty list of numbers, one per server (got {type_name(value)})', key)
            ok = False
        elif key == "service_dist" and value not in SERVICE_DISTS:
            problem(f'"service_dist" must be one of {", ".join(SERVICE_DISTS)} (got {value!r})', key)
            ok = False
        elif key in ENGINE_LIMITS and max(value if isinstance(value, list) else [value]) > ENGINE_LIMITS[key]:
            problem(f'"{key}" is at most {ENGINE_LIMITS[key]:g} in a lesson lab (got {value!r})', key)
            ok = False
        elif key in _LIST_KEYS and len(value) > ENGINE_LIMITS["servers"]:
            problem(f'"{key}" has {len(value)} values; a lesson lab has at most {ENGINE_LIMITS["servers"]} servers', key)
            ok = False
    return ok


def _engine_config(given: dict, algorithm: str, problem) -> dict | None:
    values = {k: ([float(x) for x in v] if k in _LIST_KEYS else float(v) if k in _FLOAT_KEYS else v)
              for k, v in given.items()}
    for key in _LIST_KEYS:
        if key in values and "servers" in values and len(values[key]) != values["servers"]:
            problem(f'servers = {values["servers"]} but {key} has {len(values[key])} values; give one per server',
                    key)
            return None
    try:
        cfg = SimConfig(algorithm=algorithm, **values).validate()
    except ConfigError as exc:
        message = re.sub(r"--([a-z-]+)", lambda m: m.group(1).replace("-", "_"), str(exc))
        key = next((k for k in given if k in message), None)
        if key is None and "of server" in message:
            key = next((k for k in _LIST_KEYS if k in given and k[:-1] in message), None)
        problem(message, *((key,) if key else ()))
        return None
    return {key: getattr(cfg, key) for key in ENGINE_KEYS}
