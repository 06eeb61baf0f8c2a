"""Learner data survives a process killed at any moment: the file always opens, nothing
acknowledged is lost, and an import is all or nothing.

A child process writes answers (and step views, and spaced-repetition state) one transaction at
a time and prints "ack N" after each commit returns; the parent SIGKILLs it at a random moment,
then opens the store as the next `lbtutor` would. (Two processes at once, a corrupt file moved
aside, and a malformed import refused with its reason are in tests/test_progress_store.py.)
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lbtutor.content.progress import ProgressStore

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

WRITES = 1_000  # acknowledged writes, over all the rounds
ROUNDS = 12  # at most; each round is one process killed at a random moment
IMPORTED = 50_000  # answers in the export that a killed import brings in

WRITER = r"""
import sys
from lbtutor.content.progress import ProgressStore

home, first = sys.argv[1], int(sys.argv[2])
store = ProgressStore.open(home)
print("ready", flush=True)
i = first
while True:
    store.record_answer(f"kill#step/{i}", "kill", ["a", str(i)], i % 3 == 0)
    if i % 4 == 0:
        store.record_view("kill", i % 50, f"step-{i % 50}")
    if i % 7 == 0:
        store.save_item("quiz", f"q{i % 20}", i % 5, float(i), {"n": i})
    print(f"ack {i}", flush=True)
    i += 1
"""

IMPORTER = r"""
import json, sys
from lbtutor.content.progress import ProgressStore

home, export = sys.argv[1], sys.argv[2]
store = ProgressStore.open(home)
data = json.loads(open(export, encoding="utf-8").read())
print("ready", flush=True)
store.import_(data)
print("imported", flush=True)
"""


def _child(script: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip


def _wait_for_line(proc: subprocess.Popen, wanted: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.strip() == wanted:
            return
        if not line and proc.poll() is not None:
            raise AssertionError(f"the child ended before {wanted!r}: {proc.stderr.read()}")
    raise AssertionError(f"no {wanted!r} from the child in {timeout:g} s")


def _kill(proc: subprocess.Popen) -> list[str]:
    """SIGKILL the child (if it has not finished); the lines it printed before it ended."""
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode in (0, -signal.SIGKILL), f"the child failed (exit {proc.returncode}): {err}"
    return out.splitlines()


def _opens_cleanly(home: Path) -> ProgressStore:
    store = ProgressStore.open(home)
    assert store.recovered_from is None, f"the store was moved aside after a kill: {store.recovery_reason}"
    assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    return store


def test_a_writer_killed_at_random_moments_never_loses_an_acknowledged_answer(isolated_home):
    rng = random.Random(20261126)
    acknowledged: set[int] = set()
    next_id = 0
    started = time.monotonic()
    for round_ in range(ROUNDS):
        proc = _child(WRITER, str(isolated_home), str(next_id))
        if round_ == 0:
            time.sleep(rng.uniform(0.0, 0.3))  # possibly while the file is still being created
        else:
            _wait_for_line(proc, "ready")
            time.sleep(rng.uniform(0.0, 0.25))
        lines = _kill(proc)
        assert proc.returncode == -signal.SIGKILL  # the writer never ends by itself
        acked = [int(line.split()[1]) for line in lines if line.startswith("ack ")]
        acknowledged.update(acked)
        next_id = max(acked, default=next_id - 1) + 2  # leave a gap: the write in flight may or may not be there

        with _opens_cleanly(isolated_home) as store:
            for i in acked:
                assert store.answer_for(f"kill#step/{i}") == (["a", str(i)], i % 3 == 0), f"answer {i} is lost"
        if len(acknowledged) >= WRITES and round_ >= 3:
            break
    assert len(acknowledged) >= WRITES, f"only {len(acknowledged)} writes in {ROUNDS} rounds (a slow machine?)"

    with _opens_cleanly(isolated_home) as store:
        answers = {a["item_id"] for a in store.history("check")}
        assert {f"kill#step/{i}" for i in acknowledged} <= answers
        views = store.lesson_progress("kill").steps_seen
        assert {i % 50 for i in acknowledged if i % 4 == 0} <= views
        items = {item.item_id: item for item in store.items("quiz")}
        for i in acknowledged:
            if i % 7 == 0:
                assert items[f"q{i % 20}"].state["n"] >= i  # a later save may have replaced it, never an older one
    assert time.monotonic() - started < 60


def test_an_import_killed_midway_is_all_or_nothing(isolated_home, tmp_path):
    source = ProgressStore(tmp_path / "source.db")
    with source._write() as conn:  # a big history, written quickly
        conn.executemany(
            "INSERT INTO answers (kind, item_id, lesson_id, chosen, correct, ts) VALUES (?, ?, ?, ?, ?, ?)",
            [("check", f"imported#step/{i}", "imported", '["b"]', 1, 1e9 + i) for i in range(IMPORTED)],
        )
    export = tmp_path / "export.json"
    export.write_text(json.dumps(source.export()), encoding="utf-8")
    source.close()

    rng = random.Random(7)
    killed = 0
    for _ in range(4):
        proc = _child(IMPORTER, str(isolated_home), str(export))
        _wait_for_line(proc, "ready")
        time.sleep(rng.uniform(0.0, 0.08))
        lines = _kill(proc)
        killed += proc.returncode == -signal.SIGKILL
        with _opens_cleanly(isolated_home) as store:
            count = store.counts()["answers"]
            assert count in (0, IMPORTED), f"a killed import left {count} of {IMPORTED} answers"
            if "imported" in lines:
                assert count == IMPORTED
            if count:
                break  # imported once; a second import adds nothing to kill
    assert killed, "every import finished before the kill; nothing was tested"
