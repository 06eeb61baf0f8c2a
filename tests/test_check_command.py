"""`lbtutor check [DIR] [--json]` reports every problem as file:line: message and never a traceback."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_content_lessons import BROKEN, EXPECTED, GOOD

from lbtutor.cli import main

ROOT = Path(__file__).resolve().parent.parent


def check(capsys, *args) -> tuple[int, str, str]:
    code = main(["check", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_bundled_lessons_are_clean(capsys):
    code, out, err = check(capsys)
    assert code == 0, out + err
    assert out.count("\n") == 1 and ": ok: 9 lessons," in out


def test_json_counts_everything_the_folder_holds(capsys):
    code, out, _ = check(capsys, "--json")
    data = json.loads(out)
    assert code == 0 and data["errors"] == []
    assert set(data) == {"lessons", "steps", "labs", "checks", "questions", "prompts", "tree_nodes", "claims",
                         "errors"}
    assert data["lessons"] == 9
    assert data["labs"] >= 27 and data["checks"] >= 27  # at least three interactive blocks per module
    assert data["questions"] >= 9 * 12 and data["prompts"] >= 15 and data["tree_nodes"] > 0
    assert data["claims"] >= 60  # every simulated or computed number the course states is a claim


def test_every_broken_fixture_is_reported_as_file_line(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = check(capsys, BROKEN.relative_to(ROOT))
    assert code == 1
    lines = out.splitlines()
    for name, (line, words) in EXPECTED.items():
        prefix = f"tests/fixtures/broken_lessons/{name}:{line}: "
        assert any(x.startswith(prefix) and words in x for x in lines), (name, out)
    assert f"{len(lines)} problems in tests/fixtures/broken_lessons" in err


def test_json_lists_the_errors(capsys):
    code, out, _ = check(capsys, BROKEN, "--json")
    data = json.loads(out)
    assert code == 1 and data["lessons"] == 0
    assert len(data["errors"]) >= len(EXPECTED)
    assert all(":" in e for e in data["errors"])


def test_markup_in_content_is_printed_literally(capsys):
    _, out, _ = check(capsys, BROKEN)
    assert 'answer "[red]x[/red]" is not one of the options' in out


def test_a_missing_folder_exits_2_with_one_line(capsys, tmp_path):
    code, out, err = check(capsys, tmp_path / "nowhere")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "does not exist" in err


def test_quiz_interview_and_tree_problems_are_reported(capsys, tmp_path):
    (tmp_path / "02-demo.md").write_text(GOOD)
    (tmp_path / "quiz").mkdir()
    (tmp_path / "quiz" / "02-demo.toml").write_text(
        'section = 2\n[[questions]]\nid = "q"\nkind = "single"\nprompt = "?"\nteaches = "demo#nowhere"\n'
        'answer = "a"\n[[questions.options]]\nkey = "a"\ntext = "A"\nexplain = "x"\n'
        '[[questions.options]]\nkey = "b"\ntext = "B"\nexplain = "y"\n'
    )
    (tmp_path / "interview.toml").write_text('[[prompts]]\nid = "p"\nsection = 1\nprompt = "?"\n')
    (tmp_path / "decision-tree.toml").write_text(
        'root = "a"\n[[nodes]]\nid = "a"\nquestion = "?"\nyes = "b"\nno = "a"\n'
        '[[nodes]]\nid = "b"\nalgorithm = "fastest"\nwhy = "w"\ninstead = "i"\nscenario = "long-lived"\n'
    )
    code, out, _ = check(capsys, tmp_path, "--json")
    errors = json.loads(out)["errors"]
    assert code == 1
    assert any(e.endswith('/quiz/02-demo.toml:6: question "q": "demo#nowhere": lesson "demo" has no step "nowhere"')
               for e in errors), errors  # fmt: skip
    assert any('/interview.toml:1: prompt "p": needs "model_answer"' in e for e in errors), errors
    assert any("/decision-tree.toml:2: the tree loops: a -> a" in e for e in errors), errors
    assert any('/decision-tree.toml:9: node "b": unknown algorithm "fastest"' in e for e in errors), errors


@pytest.mark.parametrize(
    "junk",
    [b"\x00\xff\xfe garbage", b"[[[", b"+++\n+++\n" + b"```lab\n" * 50, "[bold]\u2028\u00e9".encode()],
)
def test_garbage_everywhere_never_prints_a_traceback(tmp_path, junk):
    (tmp_path / "quiz").mkdir()
    for name in ("01-a.md", "quiz/01-a.toml", "interview.toml", "decision-tree.toml"):
        (tmp_path / name).write_bytes(junk)
    result = subprocess.run([sys.executable, "-m", "lbtutor", "check", str(tmp_path)],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    reported = {line.split(":")[0].rsplit("/", 1)[-1] for line in result.stdout.splitlines()}
    assert {"01-a.md", "01-a.toml", "interview.toml", "decision-tree.toml"} <= reported


def test_a_good_file_beside_broken_ones_still_counts(capsys, tmp_path):
    shutil.copy(BROKEN / "06-missing-explain.md", tmp_path)
    (tmp_path / "02-demo.md").write_text(GOOD)
    code, out, _ = check(capsys, tmp_path, "--json")
    data = json.loads(out)
    assert code == 1 and data["lessons"] == 1 and data["checks"] == 2 and len(data["errors"]) == 1
