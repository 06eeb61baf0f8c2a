"""Broken content: valid lesson, quiz and tree files, mutated by hypothesis, are reported as
`file:line: message` and never as a traceback; the app starts with the valid rest; and text from
lesson files is always shown as written, never read as Rich/Textual markup.

The mutations are the ways a teacher's edit goes wrong: a file cut short, a value of the wrong
type, a name that does not exist, TOML that does not parse, markup characters, huge values.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from ui_course import FIRST, write_course

from lbtutor.commands.check import _shown, check_folder
from lbtutor.content.lessons import load_course
from lbtutor.paths import lessons_dir
from lbtutor.ui.app import make_app

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = lessons_dir()
# One lesson with its quiz, the decision tree and the interview prompts: small enough to check
# a hundred mutations in seconds, with every kind of file.
FILES = ["02-algorithms.md", "quiz/02-algorithms.toml", "decision-tree.toml", "interview.toml"]

MARKUP = ["[bold red]x[/]", "[/]", "[link=file:///etc]", "[@click=app.quit]q[/]", "[b]", "\\[", "[", "]"]
WRONG_VALUES = ['12', '-1', '0', '1e308', '-1e308', 'nan', 'inf', '"text"', '""', '[1, "a"]', '[]', '{a = 1}',
                'true', '"' + "x" * 5000 + '"', "1" + "0" * 400, '"nonesuch"', '"round-robin"', '["nonesuch"]',
                '"""two\nlines"""', "'''[bold]\n[/]'''", '2024-01-01']  # fmt: skip
BAD_TOML = ["[[[", '"', "= =", "key =", "\x00", '"""', "[options", "x = 1\nx = 2", "\\u", "[[questions]]", "+++"]
ASSIGNMENT = re.compile(r"^(\s*[A-Za-z_][A-Za-z0-9_]*\s*=\s*)(.+)$", re.MULTILINE)
QUOTED = re.compile(r'"([^"\n]*)"')


# ------------------------------------------------------------------------------- mutations


@st.composite
def mutated(draw, text: str) -> str:
    """`text` with one to three of the edits that break content files."""
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["truncate", "wrong_type", "unknown_name", "bad_toml", "markup",
                                     "huge", "drop_line", "repeat_line"]))  # fmt: skip
        assignments = list(ASSIGNMENT.finditer(text))
        quoted = list(QUOTED.finditer(text))
        lines = text.split("\n")
        if kind == "truncate":
            text = text[: draw(st.integers(0, max(0, len(text) - 1)))]
        elif kind == "wrong_type" and assignments:
            m = draw(st.sampled_from(assignments))
            text = text[: m.start(2)] + draw(st.sampled_from(WRONG_VALUES)) + text[m.end(2):]
        elif kind == "unknown_name" and quoted:
            m = draw(st.sampled_from(quoted))
            name = draw(st.sampled_from(["nonesuch", "Round-Robin", "least_connections", "", " ", "é"]))
            text = text[: m.start(1)] + name + text[m.end(1):]
        elif kind == "markup" and quoted:
            m = draw(st.sampled_from(quoted))
            at = draw(st.integers(m.start(1), m.end(1)))
            text = text[:at] + draw(st.sampled_from(MARKUP)) + text[at:]
        elif kind == "huge" and assignments:
            m = draw(st.sampled_from(assignments))
            text = text[: m.start(2)] + draw(st.sampled_from(["9" * 400, "1e400", '"' + "é" * 20_000 + '"'])) + text[m.end(2):]
        elif kind == "drop_line" and len(lines) > 1:
            del lines[draw(st.integers(0, len(lines) - 1))]
            text = "\n".join(lines)
        elif kind == "repeat_line" and lines:
            n = draw(st.integers(0, len(lines) - 1))
            lines.insert(n, lines[n])
            text = "\n".join(lines)
        else:  # bad TOML anywhere (also the fallback when the file has nothing to edit)
            n = draw(st.integers(0, len(lines)))
            lines.insert(n, draw(st.sampled_from(BAD_TOML)))
            text = "\n".join(lines)
    return text


def folder_with(tmp: Path, name: str, text: str) -> Path:
    folder = tmp / "lessons"
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "quiz").mkdir(parents=True)
    for file in FILES:
        shutil.copy(BUNDLED / file, folder / file)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def assert_reported_as_file_line(folder: Path, problems) -> None:
    files = {p.resolve() for p in folder.rglob("*") if p.is_file()} | {folder.resolve()}
    for problem in problems:
        path = Path(problem.path).resolve()
        assert path in files, problem
        assert isinstance(problem.line, int) and problem.line >= 0, problem
        if path.is_file():
            assert problem.line <= path.read_text(encoding="utf-8", errors="replace").count("\n") + 2, problem
        shown = _shown(problem)
        assert "\n" not in shown and "\r" not in shown, f"one problem, one line: {shown!r}"
        assert re.match(r"^.+?(:\d+)?: \S", shown), shown
        assert "Traceback" not in shown


@pytest.fixture(scope="module")
def clean_counts(tmp_path_factory):
    folder = folder_with(tmp_path_factory.mktemp("clean"), FILES[0], (BUNDLED / FILES[0]).read_text(encoding="utf-8"))
    counts, problems = check_folder(folder)
    assert problems == [], [str(p) for p in problems]  # the bundled files this test mutates are clean
    return counts


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data(), name=st.sampled_from(FILES))
def test_a_mutated_file_is_reported_as_file_line_and_the_rest_still_loads(tmp_path, clean_counts, data, name):
    text = data.draw(mutated((BUNDLED / name).read_text(encoding="utf-8")), label="mutated")
    folder = folder_with(tmp_path, name, text)
    counts, problems = check_folder(folder)  # never raises: a validator bug would be a test error
    assert_reported_as_file_line(folder, problems)
    if name.endswith(".md"):  # the quiz links to the lesson, so a broken lesson may break links
        assert counts["tree_nodes"] == clean_counts["tree_nodes"] and counts["prompts"] == clean_counts["prompts"]
    elif name.startswith("quiz/"):
        assert counts["lessons"] == 1 and counts["tree_nodes"] == clean_counts["tree_nodes"]
    elif name == "decision-tree.toml":
        assert counts["lessons"] == 1 and counts["questions"] == clean_counts["questions"]
    if name.endswith(".md"):  # broken if and only if the lesson file itself has problems
        own = [p for p in problems if Path(p.path).resolve() == (folder / name).resolve()]
        assert (counts["lessons"] == 0) == bool(own), [str(p) for p in problems]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data(), name=st.sampled_from(FILES))
def test_lbtutor_check_prints_problems_and_never_a_traceback(tmp_path, data, name):
    text = data.draw(mutated((BUNDLED / name).read_text(encoding="utf-8")), label="mutated")
    folder = folder_with(tmp_path, name, text)
    result = subprocess.run([sys.executable, "-m", "lbtutor", "check", str(folder)],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)  # fmt: skip
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    if result.returncode == 1:
        assert result.stdout.strip(), result.stderr
        for line in result.stdout.splitlines():
            assert re.match(r"^.+?(:\d+)?: \S", line), line


# ------------------------------------------------------------------------------- the app


def screen_text(app) -> str:
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, color_system=None,
                      record=True, legacy_windows=False, safe_box=False)  # fmt: skip
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.pause()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_the_app_starts_with_a_mutated_lesson_and_shows_it_unavailable(tmp_path_factory, data):
    folder = write_course(tmp_path_factory.mktemp("course"))
    (folder / "09-summary.md").unlink()  # the fixture's own broken lesson: here only the mutated one may fail
    text = data.draw(mutated(FIRST), label="mutated")
    (folder / "01-basics.md").write_text(text, encoding="utf-8")
    course = load_course(folder)
    app = make_app(folder, tmp_path_factory.mktemp("data"), autoplay_labs=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.ready.wait()
        await settle(pilot)
        from lbtutor.ui.widgets.course_map import CourseMap

        course_map = app.screen.query_one(CourseMap)
        assert course_map.row_count == 8
        assert len(app.course.lessons) == len(course.lessons) >= 7
        cells = [[str(c) for c in course_map.get_row_at(n)] for n in range(course_map.row_count)]
        if course.broken:
            assert sum(row[2] == "unavailable" for row in cells) == 1
            assert "is unavailable" in screen_text(app)
        assert sum(row[2] != "unavailable" for row in cells) == len(course.lessons)
        await pilot.press("enter")  # the first row: a lesson opens; a broken file is refused
        await settle(pilot)
        assert app._exception is None


# ------------------------------------------------------------------------------- literal text

TRICKY = "[bold red]x[/] [link=file:///etc]y [@click=app.quit]q[/]"

LITERAL_LESSON = f'''+++
id = "literal"
section = 1
title = "Title {TRICKY}"
minutes = 5
+++

## Step {TRICKY}

Body text {TRICKY} stays as typed.

```lab
title = "Lab {TRICKY}"
look_for = "Look {TRICKY}"
algorithms = ["round-robin"]
servers = 2
arrival_rate = 1.0
```

```check
question = "Question {TRICKY}?"
answer = "a"
[[options]]
key = "a"
text = "Option {TRICKY}"
explain = "Explained {TRICKY}"
[[options]]
key = "b"
text = "Other [/]"
explain = "Because [/bold]"
```
'''


async def test_markup_in_a_lesson_is_shown_as_typed_everywhere_it_appears(tmp_path):
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "01-literal.md").write_text(LITERAL_LESSON, encoding="utf-8")
    app = make_app(folder, tmp_path / "data", autoplay_labs=False)
    async with app.run_test(size=(250, 60)) as pilot:
        await app.ready.wait()
        await settle(pilot)
        home = screen_text(app)
        assert "Title [bold red]x[/] [link=file:///etc]y" in home
        await pilot.press("enter")
        await settle(pilot)
        lesson = screen_text(app)
        for shown in ("Step [bold red]x[/]", "Body text [bold red]x[/] [link=file:///etc]y [@click=app.quit]q[/]",
                      "Lab [bold red]x[/]", "Look [bold red]x[/] [link=file:///etc]y",
                      "Question [bold red]x[/] [link=file:///etc]y [@click=app.quit]q[/]?",
                      "Option [bold red]x[/] [link=file:///etc]y", "Other [/]"):  # fmt: skip
            assert shown in lesson, f"{shown!r} is not on the lesson screen"
        await pilot.press("a")  # answer the check: every option is explained
        await settle(pilot)
        answered = screen_text(app)
        assert "Explained [bold red]x[/] [link=file:///etc]y [@click=app.quit]q[/]" in answered
        assert "Because [/bold]" in answered
        assert app._exception is None and app.is_running
