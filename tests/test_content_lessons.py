"""Lesson files are data: parsed into steps and blocks, validated with file:line, never evaluated."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lbtutor.content.lessons import (
    BrokenLesson,
    CheckBlock,
    LabBlock,
    load_course,
    slugify,
    validate_lesson_file,
)
from lbtutor.content.problems import Problem
from lbtutor.paths import lessons_dir
from lbtutor.sim.balancers import ALGORITHMS
from lbtutor.sim.config import SimConfig
from lbtutor.sim.scenarios import get as get_scenario

ROOT = Path(__file__).resolve().parent.parent
BROKEN = Path(__file__).parent / "fixtures" / "broken_lessons"

GOOD = '''+++
id = "demo"
section = 2
title = "A [bold]demo[/bold] lesson"
minutes = 10
+++

## Round robin

Requests take turns: [red]not markup here[/red].

```
a diagram in a plain fence
## not a step heading
```

```lab
title = "Three equal servers"
look_for = "The bars rise and fall together."
algorithms = ["round-robin", "random"]
weights = [5, 3, 2]
arrival_rate = 2.4
```

Between the blocks.

```check
question = "Which is right?"
answer = "b"
[[options]]
key = "a"
text = "A"
explain = "No."
[[options]]
key = "b"
text = "B"
explain = "Yes."
```

## Least Connections: the *busy* one?

```lab
title = "A scenario"
look_for = "Watch the long connection."
scenario = "long-lived"
[set]
long_fraction = 0.05
```

```check
question = "Choose all that apply."
answer = ["a", "c"]
[[options]]
key = "a"
text = "A"
explain = "Yes."
[[options]]
key = "b"
text = "B"
explain = "No."
[[options]]
key = "c"
text = "C"
explain = "Yes."
```
'''


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_lesson_is_read_as_steps_of_markdown_labs_and_checks(tmp_path):
    write(tmp_path, "02-demo.md", GOOD)
    course = load_course(tmp_path)
    assert course.broken == []
    lesson = course.lesson("demo")
    assert (lesson.section, lesson.minutes, lesson.title) == (2, 10, "A [bold]demo[/bold] lesson")
    assert [s.slug for s in lesson.steps] == ["round-robin", "least-connections-the-busy-one"]
    assert [s.line for s in lesson.steps] == [8, 40]
    first = lesson.steps[0]
    assert first.key == "demo#round-robin"
    kinds = [type(s).__name__ for s in first.segments]
    assert kinds == ["str", "LabBlock", "str", "CheckBlock"]
    assert "## not a step heading" in first.segments[0]  # headings inside a plain fence stay text
    assert all(s.strip() for s in first.segments if isinstance(s, str))


def test_markup_characters_are_kept_raw_for_the_ui_to_escape(tmp_path):
    write(tmp_path, "02-demo.md", GOOD)
    step = load_course(tmp_path).lesson("demo").steps[0]
    assert step.segments[0].startswith("Requests take turns: [red]not markup here[/red].")


def test_check_blocks_have_ids_answers_and_explained_options(tmp_path):
    write(tmp_path, "02-demo.md", GOOD)
    lesson = load_course(tmp_path).lesson("demo")
    single, multi = lesson.checks
    assert isinstance(single, CheckBlock)
    assert single.id == "demo#round-robin/1"
    assert single.answers == frozenset({"b"}) and not single.multiple
    assert single.line == 27
    assert [o.explain for o in single.options] == ["No.", "Yes."]
    assert single.is_correct(["b"]) and not single.is_correct(["a"])
    assert multi.id == "demo#least-connections-the-busy-one/1"
    assert multi.multiple and multi.answers == frozenset({"a", "c"})


def test_engine_lab_config_is_complete_and_builds_a_sim_config(tmp_path):
    write(tmp_path, "02-demo.md", GOOD)
    lab = load_course(tmp_path).lesson("demo").labs[0]
    assert isinstance(lab, LabBlock) and lab.is_engine
    assert lab.algorithms == ("round-robin", "random")
    assert (lab.seed, lab.speed) == (7, 1.0)  # defaults
    assert lab.config["servers"] == 3  # set by the weights
    assert lab.config["workers"] == SimConfig.workers
    cfg = lab.sim_config()
    assert isinstance(cfg, SimConfig)
    assert (cfg.algorithm, cfg.servers, cfg.weights, cfg.arrival_rate, cfg.seed) == (
        "round-robin", 3, [5.0, 3.0, 2.0], 2.4, 7)
    assert lab.sim_config("random").algorithm == "random"


def test_scenario_lab_keeps_its_settings_and_has_no_engine_config(tmp_path):
    write(tmp_path, "02-demo.md", GOOD)
    lab = load_course(tmp_path).lesson("demo").labs[1]
    assert lab.scenario == "long-lived" and lab.settings == {"long_fraction": 0.05}
    with pytest.raises(ValueError):
        lab.sim_config()


def test_find_step_resolves_links(tmp_path):
    write(tmp_path, "02-demo.md", GOOD)
    course = load_course(tmp_path)
    lesson, step = course.find_step("demo#round-robin")
    assert (lesson.id, step.index) == ("demo", 0)
    assert course.find_step("demo#nope") is None
    assert course.find_step("nope#round-robin") is None
    assert course.find_step("demo") is None


@pytest.mark.parametrize(
    ("title", "slug"),
    [("Least Connections", "least-connections"), ("L4 vs. L7?", "l4-vs-l7"),
     ("  Why fall & rise exist: flapping ", "why-fall-rise-exist-flapping")],
)  # fmt: skip
def test_step_slugs_follow_the_content_format(title, slug):
    assert slugify(title) == slug


# Each deliberately broken fixture, the line its problem is on, and words of the message.
EXPECTED = {
    "01-bad-front-matter.md": (3, '"section" must be an integer'),
    "02-bad-block-toml.md": (15, "check block is not valid TOML"),
    "03-unknown-algorithm.md": (13, 'unknown algorithm "least-connection"'),
    "04-unknown-scenario.md": (15, 'unknown scenario "thundering-herd"'),
    "05-answer-not-option.md": (12, 'answer "d" is not one of the options'),
    "06-missing-explain.md": (18, 'option "b" has no "explain"'),
    "07-unclosed-fence.md": (10, "never closed"),
    "08-no-steps.md": (7, "no steps"),
    "09-markup.md": (14, 'answer "[red]x[/red]" is not one of the options'),
    "10-typo-key.md": (12, 'unknown key "look_fro" (did you mean "look_for"?)'),
    "11-bad-engine-value.md": (15, "arrival_rate must be a positive number"),
    "12-duplicate-steps.md": (12, 'step slug "round-robin" is already used by the step on line 8'),
    "13-bad-set-key.md": (16, 'long-lived has no parameter "long_fractoin" (did you mean "long_fraction"?)'),
    "14-set-out-of-range.md": (16, "fall=0 is not allowed; fall is an integer from 1 to 10"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_broken_fixture_is_reported_at_its_line(name):
    line, words = EXPECTED[name]
    problems = validate_lesson_file(BROKEN / name)
    assert any(p.line == line and words in p.message for p in problems), [str(p) for p in problems]
    assert all(str(p).startswith(f"{BROKEN / name}:") for p in problems)


def test_every_fixture_is_covered_by_the_table():
    assert sorted(p.name for p in BROKEN.glob("*.md")) == sorted(EXPECTED)


def test_a_broken_file_becomes_a_broken_lesson_and_the_rest_still_load(tmp_path):
    shutil.copy(BROKEN / "05-answer-not-option.md", tmp_path)
    write(tmp_path, "02-demo.md", GOOD)
    course = load_course(tmp_path)
    assert [lesson.id for lesson in course.lessons] == ["demo"]
    (broken,) = course.broken
    assert isinstance(broken, BrokenLesson)
    assert broken.title == "Answer Not Option"
    assert broken.problems and all(isinstance(p, Problem) for p in broken.problems)


def test_all_the_broken_fixtures_load_without_an_exception():
    course = load_course(BROKEN)
    assert course.lessons == []
    assert len(course.broken) == len(EXPECTED)


def test_a_missing_folder_gives_a_course_that_explains_it(tmp_path):
    course = load_course(tmp_path / "nowhere")
    assert course.lessons == []
    (broken,) = course.broken
    assert "not found" in broken.problems[0].message


def test_two_lessons_with_one_id_are_reported(tmp_path):
    write(tmp_path, "02-demo.md", GOOD)
    write(tmp_path, "03-again.md", GOOD)
    course = load_course(tmp_path)
    assert len(course.lessons) == 1
    assert 'lesson id "demo" is already used by 02-demo.md' in str(course.broken[0].problems[0])


@pytest.mark.parametrize(
    "data",
    [b"\xff\xfe not utf-8", b"", b"+++\n", b"+++\nid = 1\n+++\n## x\ny\n", b"+++\n\x00\n+++",
     b"## a step without front matter\ntext\n",
     b"+++\nid='a'\nsection=1\ntitle='t'\nminutes=1\n+++\n## s\n```check\nquestion = " + b"[" * 5000 + b"\n```\n",
     b"+++\nid='a'\nsection=1\ntitle='t'\nminutes=1\n+++\n## s\n```check\nquestion = " + b"9" * 5000 + b"\n```\n",
     b"+++\nid='a'\nsection=1\ntitle='t'\nminutes=1\n+++\n## s\n```lab\ntitle = 't'\nlook_for = 'l'\nalgorithms = ['random']\nservers = 1000000000\n```\n", b"+++\nid='a'\nsection=1\ntitle='t'\nminutes=1\n+++\n## s\n```check\n```\n"],
)  # fmt: skip
def test_garbage_never_raises(tmp_path, data):
    path = tmp_path / "01-x.md"
    path.write_bytes(data)
    problems = validate_lesson_file(path)
    assert problems and all(p.line >= 0 for p in problems)
    assert load_course(tmp_path).broken


# -- [set] tables are checked against the scenario's own parameters ------------------------------

SCENARIO_LAB = """+++
id = "set-demo"
section = 5
title = "Scenario settings"
minutes = 5
+++

## A step

```lab
title = "A scenario lab"
look_for = "Watch the probes."
scenario = "{scenario}"
[set]
{settings}
```
"""


def scenario_lab(tmp_path, settings: str, scenario: str = "health-check") -> list[Problem]:
    path = write(tmp_path, "05-set-demo.md", SCENARIO_LAB.format(scenario=scenario, settings=settings))
    return validate_lesson_file(path)


def test_a_valid_set_table_loads_with_its_typed_values(tmp_path):
    assert scenario_lab(tmp_path, 'check = "tcp"\nflap_period = 4.0\nfall = 1\nrise = 1') == []
    lab = load_course(tmp_path).lesson("set-demo").labs[0]
    assert lab.settings == {"check": "tcp", "flap_period": 4.0, "fall": 1, "rise": 1}
    assert get_scenario("health-check").resolve(lab.settings)["check"] == "tcp"


@pytest.mark.parametrize(
    ("settings", "line", "words"),
    [
        ("fall = 1\nrise = 11", 16, "rise=11 is not allowed; rise is an integer from 1 to 10"),
        ('fall = 1\ncheck = "udp"', 16, "check='udp' is not allowed; check is one of tcp, http"),
        ("fall = 1.5", 15, "fall=1.5 is not allowed; fall is an integer"),
        ("interval = true", 15, "interval=True is not allowed; interval is a number"),
        ('flap_perod = 4\nfall = 0', 15, 'no parameter "flap_perod" (did you mean "flap_period"?)'),
    ],
)  # fmt: skip
def test_a_bad_set_value_is_reported_at_its_key(tmp_path, settings, line, words):
    problems = scenario_lab(tmp_path, settings)
    assert any(p.line == line and words in p.message for p in problems), [str(p) for p in problems]
    assert load_course(tmp_path).lessons == []


@pytest.mark.parametrize(
    ("scenario", "settings", "line", "words"),
    [
        ("health-check", 'schedule = "fixed-rate"\ninterval = 1.0\ntimeout = 2.0', 17, "timeout=2 is not allowed; with schedule=fixed-rate timeout must be at most interval"),
        ("health-check", "recover_at = 50.0\nfail_at = 100.0", 15, "recover_at=50 is not allowed"),
        ("slow-start", "rate = 20.0\njoin_at = 130.0", 16, "join_at must be before the end of the run"),
        ("l4-vs-l7", "static_fraction = 0.8\nws_fraction = 0.3", 16, "static_fraction + ws_fraction must be at most 1"),
        ("heterogeneous", 'speeds = "4,x"', 15, "speeds is a comma-separated list"),
    ],
)  # fmt: skip
def test_settings_that_clash_are_reported_at_the_key_the_scenario_blames(tmp_path, scenario, settings, line, words):
    problems = scenario_lab(tmp_path, settings, scenario)
    assert [(p.line, words in p.message) for p in problems] == [(line, True)], [str(p) for p in problems]


def test_every_bad_key_of_a_set_table_is_reported(tmp_path):
    problems = scenario_lab(tmp_path, "fall = 0\nrise = 0\nnope = 1")
    assert [p.line for p in problems] == [15, 16, 17]


def test_a_scenario_module_that_fails_to_import_is_a_problem_not_a_traceback(tmp_path, monkeypatch):
    import lbtutor.sim.scenarios as scenarios

    (tmp_path / "exploding_demo.py").write_text('raise RuntimeError("half written")\n')
    monkeypatch.setattr(scenarios, "__path__", [*scenarios.__path__, str(tmp_path)])
    monkeypatch.setitem(scenarios._MODULES, "exploding-demo", "exploding_demo")
    monkeypatch.setitem(scenarios._MODULES, "missing-demo", "no_such_module_here")
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    for scenario in ("exploding-demo", "missing-demo"):
        problems = scenario_lab(lessons, "fall = 1", scenario)
        assert [p.line for p in problems] == [13], [str(p) for p in problems]
        assert f'scenario "{scenario}" cannot be loaded' in problems[0].message
    assert "half written" in scenario_lab(lessons, "fall = 1", "exploding-demo")[0].message
    assert load_course(lessons).broken


def test_loading_the_lesson_module_imports_no_scenario_module():
    code = (
        "import sys, lbtutor.content.lessons\n"
        "print(sorted(m for m in sys.modules if m.startswith('lbtutor.sim.scenarios.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() in ("[]", "['lbtutor.sim.scenarios.base']")


# -- the real course -----------------------------------------------------------------------------


def test_every_section_of_the_chapter_has_its_lesson_module():
    course = load_course(lessons_dir())
    assert course.broken == [], [str(p) for p in course.problems]
    assert sorted(lesson.section for lesson in course.lessons) == list(range(1, 10))


def test_every_algorithm_of_the_chapter_appears_in_some_lab():
    course = load_course(lessons_dir())
    used = set()
    for lesson in course.lessons:
        for lab in lesson.labs:
            used.update(lab.algorithms)
            used.update(v for v in lab.settings.values() if isinstance(v, str))
    chapter = {slug for slug, cls in ALGORITHMS.items() if cls.in_chapter}
    assert len(chapter) == 7
    assert chapter - used == set()


# -- layering -----------------------------------------------------------------------------------


def test_content_and_sim_sources_never_import_textual_or_rich():
    pattern = re.compile(r"^\s*(from|import)\s+(textual|rich)\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("lbtutor/content", "lbtutor/sim")
        for path in (ROOT / folder).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_importing_every_content_and_sim_module_loads_neither_textual_nor_rich():
    code = (
        "import importlib, pkgutil, sys, lbtutor.content, lbtutor.sim\n"
        "for pkg in (lbtutor.content, lbtutor.sim):\n"
        "    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        try:\n"
        "            importlib.import_module(info.name)\n"
        "        except Exception as exc:  # a module being written: not this test's business\n"
        "            print('skipped', info.name, exc, file=sys.stderr)\n"
        "import lbtutor.content.lessons as l\n"
        "l.load_course()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_check_that_quotes_this_run_of_a_scenario_lab_offers_to_run_it_there():
    """Issue 12: an explanation that quotes the run the learner watches (a this-run claim of the
    scenario lab before it: totals, events after the lab started) says run_to, so the check
    tells the learner where the numbers come from and g takes the lab there."""
    missing = []
    for lesson in load_course().lessons:
        this_run = {claim.id for claim in lesson.claims if claim.this_run and claim.lab}
        lines = lesson.path.read_text(encoding="utf-8").splitlines()
        for step in lesson.steps:
            lab = None
            for segment in step.segments:
                if isinstance(segment, LabBlock):
                    lab = segment
                elif isinstance(segment, CheckBlock) and lab is not None and lab.scenario is not None:
                    body = "\n".join(lines[segment.line:lines.index("```", segment.line)])
                    if set(re.findall(r"\{\{([a-z0-9-]+)\}\}", body)) & this_run and segment.run_to is None:
                        missing.append(f"{lesson.path.name}:{segment.line + 1}")
    assert missing == []
