"""The progress store keeps every committed record, survives corruption and concurrent writers."""

import json
import multiprocessing
import sqlite3

import pytest

from lbtutor.content.lessons import load_course
from lbtutor.content.progress import FILENAME, LessonProgress, ProgressStore


@pytest.fixture
def store(isolated_home):
    s = ProgressStore.open()
    yield s
    s.close()


def test_the_store_lives_in_lbtutor_home(isolated_home, store):
    assert store.path == isolated_home / FILENAME
    assert store.path.exists() and store.recovered_from is None


def test_a_new_learner_has_no_position_and_no_progress(store):
    assert store.last_position() is None
    assert store.lesson_progress("algorithms") == LessonProgress(frozenset(), 0, 0)
    assert store.answer_for("algorithms#round-robin/1") is None


def test_views_and_answers_make_position_and_lesson_progress(store):
    store.record_view("algorithms", 0, "round-robin")
    store.record_view("algorithms", 2, "least-connections")
    store.record_view("algorithms", 1, "weighted-round-robin")
    store.record_answer("algorithms#round-robin/1", "algorithms", ["a"], False)
    store.record_answer("algorithms#round-robin/1", "algorithms", ["b"], True)
    store.record_answer("algorithms#round-robin/2", "algorithms", ["a", "c"], False)
    store.record_answer("scaling#why/1", "scaling", ["d"], True)
    assert store.last_position() == ("algorithms", 1)
    assert store.lesson_progress("algorithms") == LessonProgress(frozenset({0, 1, 2}), 2, 1)
    assert store.answer_for("algorithms#round-robin/1") == (["b"], True)
    assert store.answer_for("algorithms#round-robin/2") == (["a", "c"], False)


def test_progress_survives_closing_and_reopening(isolated_home):
    with ProgressStore.open() as first:
        first.record_view("scaling", 4, "auto-scaling")
        first.record_answer("scaling#auto-scaling/1", "scaling", ["c"], True)
    with ProgressStore.open(isolated_home) as again:
        assert again.last_position() == ("scaling", 4)
        assert again.answer_for("scaling#auto-scaling/1") == (["c"], True)


def test_the_journal_is_wal_with_a_busy_timeout(store):
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    assert store._conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_reset_forgets_everything(store):
    store.record_view("scaling", 1, "x")
    store.record_answer("scaling#x/1", "scaling", ["a"], True)
    store.save_item("quiz", "q1", box=2, due=100.0)
    store.reset()
    assert store.counts() == {"views": 0, "answers": 0, "items": 0}
    assert store.last_position() is None


# -- damaged files --------------------------------------------------------------------------------


def _a_store_with_data(home) -> bytes:
    with ProgressStore.open(home) as s:
        for i in range(300):
            s.record_view("fundamentals", i % 9, f"step-{i % 9}")
    return (home / FILENAME).read_bytes()


@pytest.mark.parametrize(
    "damage",
    ["not a database", "truncated", "half", "another schema", "newer schema"],
)
def test_an_unusable_file_is_moved_aside_and_a_fresh_store_started(isolated_home, damage):
    path = isolated_home / FILENAME
    isolated_home.mkdir(parents=True, exist_ok=True)
    if damage == "not a database":
        path.write_bytes(b"this is not SQLite at all\n" * 100)
    elif damage in ("truncated", "half"):
        data = _a_store_with_data(isolated_home)
        path.write_bytes(data[: 100 if damage == "truncated" else len(data) // 2])
    else:
        conn = sqlite3.connect(path)
        if damage == "another schema":
            conn.execute("CREATE TABLE notes (body TEXT)")
        else:
            conn.execute("PRAGMA application_id = 1279415381")  # ours, but from the future
            conn.execute("PRAGMA user_version = 99")
        conn.commit()
        conn.close()
    original = path.read_bytes()

    with ProgressStore.open() as s:
        assert s.recovered_from is not None
        assert s.recovered_from.name.startswith(f"{FILENAME}.corrupt-")
        assert s.recovered_from.read_bytes() == original  # moved aside, not lost
        assert s.recovery_reason
        s.record_view("fundamentals", 0, "what")
        assert s.last_position() == ("fundamentals", 0)
    with ProgressStore.open() as again:
        assert again.recovered_from is None


def test_an_empty_file_is_simply_a_new_store(isolated_home):
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / FILENAME).write_bytes(b"")
    with ProgressStore.open() as s:
        assert s.recovered_from is None and s.last_position() is None


# -- export and import ----------------------------------------------------------------------------


def _fill(s: ProgressStore) -> None:
    for i, slug in enumerate(["round-robin", "weighted-round-robin", "least-connections"]):
        s.record_view("algorithms", i, slug)
    s.record_answer("algorithms#round-robin/1", "algorithms", ["a"], False)
    s.record_answer("algorithms#round-robin/1", "algorithms", ["b"], True)
    s.record_item_answer("quiz", "alg-rr-next-server", ["b"], True)
    s.save_item("quiz", "alg-rr-next-server", box=2, due=1_800_000_000.0, state={"streak": 1})


def _state(s: ProgressStore) -> dict:
    data = s.export()
    del data["exported_at"]
    return data


def test_export_then_import_into_an_empty_store_reproduces_the_state(tmp_path):
    with ProgressStore(tmp_path / "a" / FILENAME) as a:
        _fill(a)
        exported = json.loads(json.dumps(a.export()))  # through JSON, as the CLI does
        before = _state(a)
    with ProgressStore(tmp_path / "b" / FILENAME) as b:
        assert b.import_(exported) == {"views": 3, "answers": 3, "items": 1}
        assert _state(b) == before
        assert b.last_position() == ("algorithms", 2)
        assert b.lesson_progress("algorithms") == LessonProgress(frozenset({0, 1, 2}), 1, 1)
        assert b.import_(exported) == {"views": 0, "answers": 0, "items": 0}  # idempotent


def test_import_never_replaces_newer_records_with_older_ones(tmp_path):
    with ProgressStore(tmp_path / "old" / FILENAME) as old:
        old.record_view("fundamentals", 5, "old-place")
        old.record_answer("fundamentals#x/1", "fundamentals", ["a"], False)
        old.save_item("quiz", "q1", box=1, due=10.0)
        stale = old.export()
    with ProgressStore(tmp_path / "new" / FILENAME) as new:
        new.record_view("scaling", 2, "new-place")
        new.record_answer("fundamentals#x/1", "fundamentals", ["c"], True)
        new.save_item("quiz", "q1", box=4, due=99.0)
        new.import_(stale)
        assert new.last_position() == ("scaling", 2)
        assert new.answer_for("fundamentals#x/1") == (["c"], True)
        (item,) = new.items("quiz")
        assert (item.box, item.due) == (4, 99.0)
        assert len(new.history("check")) == 2  # the older answer joins the history, below the newer


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ([], "expected a JSON object"),
        ({"views": []}, '"format" must be "lbtutor-progress"'),
        ({"format": "lbtutor-progress", "version": 99}, "newer lbtutor"),
        ({"format": "lbtutor-progress", "version": 1, "views": {}}, '"views" must be a list'),
        ({"format": "lbtutor-progress", "version": 1, "views": [{"lesson_id": "a", "step_index": -1,
                                                                 "step_slug": "s", "ts": 1.0}]},
         "views[0].step_index must be a whole number"),
        ({"format": "lbtutor-progress", "version": 1, "answers": [{"kind": "check", "item_id": "x",
                                                                   "lesson_id": "a", "chosen": "a",
                                                                   "correct": True, "ts": 1.0}]},
         "answers[0].chosen must be a list"),
        ({"format": "lbtutor-progress", "version": 1, "answers": [{"kind": "check"}]}, 'answers[0] has no "item_id"'),
        ({"format": "lbtutor-progress", "version": 1, "items": [{"kind": "quiz", "item_id": "q", "box": 1,
                                                                 "due": float("nan"), "state": {},
                                                                 "updated": 1.0}]},
         "items[0].due must be a timestamp"),
        ({"format": "lbtutor-progress", "version": 1, "items": [{"kind": "quiz", "item_id": "q", "box": 9,
                                                                 "due": 1.0, "state": {}, "updated": 1.0}]},
         "items[0].box must be a Leitner box from 1 to 5, got 9"),
    ],
)  # fmt: skip
def test_a_malformed_import_is_refused_with_the_reason(store, data, reason):
    with pytest.raises(ValueError, match=None) as info:
        store.import_(data)
    assert reason in str(info.value)


def test_a_refused_import_changes_nothing(store):
    good = {"lesson_id": "a", "step_index": 0, "step_slug": "s", "ts": 5.0}
    with pytest.raises(ValueError):
        store.import_({"format": "lbtutor-progress", "version": 1, "views": [good, {"lesson_id": "a"}]})
    assert store.counts()["views"] == 0


# -- two processes at once ------------------------------------------------------------------------

WRITES = 300


def _writer(home: str, name: str, ready, go) -> None:
    s = ProgressStore.open(home)
    ready.set()
    go.wait(10)
    for i in range(WRITES):
        s.record_view(name, i % 12, f"step-{i % 12}")
        s.record_answer(f"{name}#step/{i}", name, ["a"], i % 2 == 0)
    s.close()


def test_two_processes_writing_at_once_leave_a_valid_store_with_every_row(isolated_home):
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    readies = [ctx.Event(), ctx.Event()]
    procs = [ctx.Process(target=_writer, args=(str(isolated_home), f"lesson-{n}", readies[n], go))
             for n in range(2)]  # fmt: skip
    for p in procs:
        p.start()
    for r in readies:
        assert r.wait(30)
    go.set()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with ProgressStore.open() as s:
        assert s.recovered_from is None
        assert s.counts()["views"] == 2 * WRITES
        assert s.counts()["answers"] == 2 * WRITES
        assert s.lesson_progress("lesson-0") == LessonProgress(frozenset(range(12)), WRITES, WRITES // 2)
        assert s._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# -- lbtutor progress ----------------------------------------------------------------------------


def run_cli(capsys, *args) -> tuple[int, str, str]:
    from lbtutor.cli import main

    code = main([*map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_progress_json_shows_the_learner_state(capsys, isolated_home):
    with ProgressStore.open() as s:
        s.record_view("algorithms", 3, "long-lived-connections")
        s.record_answer("algorithms#x/1", "algorithms", ["a"], True)
    code, out, _ = run_cli(capsys, "progress", "--json")
    state = json.loads(out)
    assert code == 0
    assert state["last_position"]["lesson_id"] == "algorithms" and state["last_position"]["step_index"] == 3
    algorithms = next(x for x in state["lessons"] if x["id"] == "algorithms")
    assert (algorithms["steps_seen"], algorithms["checks_answered"], algorithms["checks_right"]) == (1, 1, 1)
    assert len(state["lessons"]) == 9
    code, out, _ = run_cli(capsys, "progress")
    assert code == 0 and "Continue at: Load Balancing Algorithms, step 4" in out


def test_progress_summary_shows_each_sections_quiz_score_and_names_weak_spots_by_step(capsys, isolated_home):
    """The issue's 'scores per section': the text summary printed lessons read and checks only,
    and a weak spot as its raw link ('fundamentals#four-reasons-to-balance')."""
    from lbtutor.content import srs
    from lbtutor.content.quiz import load_quiz_bank

    bank, _ = load_quiz_bank()
    first, second = bank.for_section(1)[:2]
    with ProgressStore.open() as s:
        srs.review_quiz(s, first, ["x"], False, lesson_id="fundamentals")
        srs.review_quiz(s, second, ["x"], True, lesson_id="fundamentals")
    code, out, _ = run_cli(capsys, "progress")
    lines = out.splitlines()
    assert code == 0
    assert "quiz  1/2  right" in next(line for line in lines if "1. Load Balancing Fundamentals" in line)
    assert "quiz not taken" in next(line for line in lines if "2. Load Balancing Algorithms" in line)
    lesson, step = load_course().find_step(first.teaches)
    assert f"weak spot: {lesson.title} › {step.title} (1 of 1 answers wrong)" in out
    state = json.loads(run_cli(capsys, "progress", "--json")[1])
    assert state["weakest_topics"][0]["teaches"] == first.teaches  # the key stays; titles are added
    assert state["weakest_topics"][0]["step_title"] == step.title


def test_progress_export_then_import_moves_it_to_another_machine(capsys, isolated_home, tmp_path):
    with ProgressStore.open() as s:
        _fill(s)
        before = _state(s)
    file = tmp_path / "progress.json"
    assert run_cli(capsys, "progress", "export", file)[0] == 0
    other = tmp_path / "other-machine"
    code, out, _ = run_cli(capsys, "--data-dir", other, "progress", "import", file)
    assert code == 0 and "imported 3 step views, 3 answers and 1 review items" in out
    with ProgressStore.open(other) as s:
        assert _state(s) == before


@pytest.mark.parametrize(
    ("content", "reason"),
    [("{not json", "not JSON"), ('{"format": "something-else"}', '"format" must be "lbtutor-progress"'),
     ('{"format": "lbtutor-progress", "version": 1, "views": [{"lesson_id": 3}]}', "views[0]")],
)  # fmt: skip
def test_progress_import_refuses_a_malformed_file_with_the_reason(capsys, tmp_path, content, reason):
    file = tmp_path / "bad.json"
    file.write_text(content)
    code, out, err = run_cli(capsys, "progress", "import", file)
    assert code == 1 and out == ""
    assert err.startswith(f"lbtutor progress: error: refused {file}: ") and reason in err
    assert err.count("\n") == 1


def test_progress_says_when_it_moved_a_corrupt_file_aside(capsys, isolated_home):
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / FILENAME).write_bytes(b"garbage" * 100)
    code, _, err = run_cli(capsys, "progress", "--json")
    assert code == 0 and "was unusable" in err and ".corrupt-" in err
