"""What a loaded course is made of: lessons, their steps, lab, check and real blocks, and claims.

Only the classes, without the parser (lessons.py reads lesson files into them, claims.py reads
claims): the tutor reads its kept course (course_cache.py) before its first frame, and needs no
more than these to rebuild it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lbtutor.content.problems import Problem
    from lbtutor.sim.config import SimConfig

_TIGHT_UNITS = ("%", "×")  # written straight after the number: 80%, 1.75×


@dataclass(frozen=True)
class Option:
    key: str
    text: str
    explain: str


@dataclass(frozen=True)
class CheckBlock:
    """A quick question inside a step. `id` is `LESSON#STEP/N`, N counting checks in the step."""

    id: str
    question: str
    options: tuple[Option, ...]
    answers: frozenset[str]
    multiple: bool
    line: int
    # The point of the lab before it that the explanations quote: seconds, or "end" (a scenario's
    # whole run). The lesson offers a key that runs the lab there, so the learner sees the number.
    run_to: float | str | None = None

    def option(self, key: str) -> Option:
        for opt in self.options:
            if opt.key == key:
                return opt
        raise KeyError(key)

    def is_correct(self, chosen) -> bool:
        """True when the chosen keys are exactly the answer keys."""
        picked = {chosen} if isinstance(chosen, str) else set(chosen)
        return picked == set(self.answers)


DEFAULT_LAB_SEED = 7
DEFAULT_LAB_SPEED = 1.0


@dataclass(frozen=True)
class LabBlock:
    """A live mini-simulation: a named `scenario` (with `settings` from its [set] table), or an
    engine lab whose `config` holds every engine key (defaults from SimConfig)."""

    title: str
    look_for: str
    line: int
    scenario: str | None = None
    settings: dict = field(default_factory=dict, hash=False)
    algorithms: tuple[str, ...] = ()
    config: dict = field(default_factory=dict, hash=False)
    seed: int = DEFAULT_LAB_SEED
    speed: float = DEFAULT_LAB_SPEED
    # An engine lab's extra view: "dispatch" shows the last servers picked, as a strip of names
    # (a scenario lab's chart is the scenario's own, see Scenario.chart).
    chart: str | None = None

    @property
    def is_engine(self) -> bool:
        return self.scenario is None

    def sim_config(self, algorithm: str | None = None) -> SimConfig:
        """The engine parameters of this lab for `algorithm` (default: the first it lists)."""
        if self.scenario is not None:
            raise ValueError(f"lab {self.title!r} runs the scenario {self.scenario!r}; it has no engine config")
        from lbtutor.sim.config import SimConfig

        chosen = algorithm or (self.algorithms[0] if self.algorithms else SimConfig.algorithm)
        values = {k: (list(v) if isinstance(v, list) else v) for k, v in self.config.items()}
        return SimConfig(algorithm=chosen, seed=self.seed, **values).validate()




@dataclass(frozen=True)
class RealBlock:
    """A lab on a real balancer (`lbtutor.real`): `show = "lab"` runs the setup on it with the
    simulator beside (the simulator alone, saying so, when the balancer is not installed);
    `show = "pick-order"` asks each balancer in `balancers` for `requests` picks in a row, beside
    the simulator's order. `setup` holds the RealSetup keys the block gives."""

    title: str
    look_for: str
    line: int
    balancers: tuple[str, ...]
    show: str = "lab"
    target: str = "s1"  # the server the block's break and heal buttons act on
    requests: int = 14
    setup: dict = field(default_factory=dict, hash=False)


Segment = str | LabBlock | CheckBlock | RealBlock


@dataclass(frozen=True)
class Step:
    lesson_id: str
    index: int  # 0-based position in the lesson
    title: str
    slug: str
    segments: tuple[Segment, ...]
    line: int

    @property
    def key(self) -> str:
        return f"{self.lesson_id}#{self.slug}"

    @property
    def labs(self) -> tuple[LabBlock, ...]:
        return tuple(s for s in self.segments if isinstance(s, LabBlock))

    @property
    def checks(self) -> tuple[CheckBlock, ...]:
        return tuple(s for s in self.segments if isinstance(s, CheckBlock))


@dataclass(frozen=True)
class Claim:
    """One stated number and where it comes from. `line` is the line of `stated` in `path`."""

    id: str
    path: Path
    line: int
    stated: float
    tolerance: float
    source: str  # formula | sim | scenario (a lab claim is resolved to its scenario)
    kind: str = "long-run"
    unit: str = ""
    format: str = ""
    metric: str | None = None  # an expression over the run's dotted paths
    formula: str | None = None
    sim: str | None = None
    scenario: str | None = None
    settings: dict = field(default_factory=dict, hash=False, compare=False)
    seed: int = 1
    lab: str | None = None  # the lab's title, for a lab claim

    @property
    def this_run(self) -> bool:
        return self.kind == "this-run"

    @property
    def paths(self) -> list[str]:
        """The run's numbers the metric reads."""
        from lbtutor.content.formula import paths_of

        return paths_of(self.metric) if self.metric else []

    def measure(self, values: dict) -> float | None:
        """The metric's value in one run (its numbers by path); None where the run lacks one."""
        from lbtutor.content.formula import FormulaError, evaluate

        try:
            return evaluate(self.metric or "", values)
        except FormulaError:
            return None

    def shown(self) -> str:
        """The stated value as the text shows it: formatted, with its unit."""
        number = format(self.stated, self.format) if self.format else str(self.stated)
        if not self.unit:
            return number
        return number + (self.unit if self.unit.startswith(_TIGHT_UNITS) else " " + self.unit)

    def source_text(self) -> str:
        """The source as a person reads it in a report."""
        if self.source == "formula":
            return f"formula {self.formula}"
        if self.source == "sim":
            return f"lbtutor sim {self.sim} -> {self.metric}"
        where = f'lab "{self.lab}": ' if self.lab else ""
        settings = " ".join(f"--set {k}={v}" for k, v in self.settings.items())
        return f"{where}lbtutor sim --scenario {self.scenario} {settings} --seed {self.seed} -> {self.metric}".replace("  ", " ")

    def run_source(self) -> dict | None:
        """What a run of this claim is made of, in a canonical form (None for a formula): the same
        runs serve every claim with the same source, whatever metric, stated value or tolerance."""
        if self.source == "sim":
            from lbtutor.sim.flags import parse_run_flags

            config = parse_run_flags(self.sim or "").to_dict()
            seed = config.pop("seed")
            return {"engine": config, "seed": seed}
        if self.source == "scenario":
            from lbtutor.sim.scenarios import get

            params = get(self.scenario or "").resolve(self.settings)
            return {"scenario": self.scenario, "params": params, "seed": self.seed}
        return None


@dataclass(frozen=True)
class Lesson:
    id: str
    section: int
    title: str
    minutes: int
    steps: tuple[Step, ...]
    path: Path
    claims: tuple[Claim, ...] = ()  # the numbers its text states, with their sources

    def step(self, slug: str) -> Step | None:
        for step in self.steps:
            if step.slug == slug:
                return step
        return None

    @property
    def labs(self) -> tuple[LabBlock, ...]:
        return tuple(lab for step in self.steps for lab in step.labs)

    @property
    def checks(self) -> tuple[CheckBlock, ...]:
        return tuple(check for step in self.steps for check in step.checks)


@dataclass(frozen=True)
class BrokenLesson:
    """A lesson file that failed to load, with every problem found in it."""

    path: Path
    title: str
    problems: tuple[Problem, ...]


@dataclass
class Course:
    lessons: list[Lesson]  # sorted by section
    broken: list[BrokenLesson]

    def lesson(self, id: str) -> Lesson:
        for lesson in self.lessons:
            if lesson.id == id:
                return lesson
        raise KeyError(id)

    def find_step(self, key: str) -> tuple[Lesson, Step] | None:
        """`LESSON_ID#STEP_SLUG` -> (lesson, step), or None if either does not exist."""
        lesson_id, sep, slug = key.partition("#")
        if not sep:
            return None
        for lesson in self.lessons:
            if lesson.id == lesson_id:
                step = lesson.step(slug)
                return (lesson, step) if step else None
        return None

    @property
    def problems(self) -> list[Problem]:
        return [p for b in self.broken for p in b.problems]
