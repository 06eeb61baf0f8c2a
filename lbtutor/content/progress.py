"""The learner's progress: one SQLite file of step views, answers and spaced-repetition items.

Design:
- Every record carries a timestamp and is history, not a mutable cell: a step view, an answer
  (to a lesson check, and later to quiz questions and interview prompts, told apart by `kind`).
  "The current state" (last position, latest answer) is derived from the newest record, so an
  import can merge two histories without ever letting an older record replace a newer one.
- `items` holds spaced-repetition state, one row per item, replaced only by a newer `updated`.
- Every write is one transaction (`BEGIN IMMEDIATE` + `with conn:`), the journal is WAL and a
  busy timeout lets two lbtutor processes write at once without errors or corruption.
- `PRAGMA user_version` is the schema version; `_MIGRATIONS` upgrades older files step by step.
- A file that is not a database, is damaged, or holds another schema is moved aside to
  `<name>.corrupt-<timestamp>` and a fresh store is started; `recovered_from` says where it went.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

FILENAME = "progress.sqlite3"
SCHEMA_VERSION = 1
APPLICATION_ID = 0x4C425455  # "LBTU": marks the file as ours
EXPORT_FORMAT = "lbtutor-progress"
BUSY_TIMEOUT_S = 30.0

_MIGRATIONS: dict[int, str] = {
    # version reached -> SQL that takes the previous version there
    1: """
        CREATE TABLE views (
            id INTEGER PRIMARY KEY,
            lesson_id TEXT NOT NULL,
            step_index INTEGER NOT NULL,
            step_slug TEXT NOT NULL,
            ts REAL NOT NULL,
            UNIQUE (lesson_id, step_index, ts)
        );
        CREATE INDEX views_by_ts ON views (ts);
        CREATE TABLE answers (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,            -- check | quiz | interview | tree | drill
            item_id TEXT NOT NULL,         -- a check id LESSON#STEP/N, a question id, ...
            lesson_id TEXT NOT NULL DEFAULT '',
            chosen TEXT NOT NULL,          -- JSON list of what the learner chose or typed
            correct INTEGER NOT NULL,      -- 0/1 (or a self-rating for interview prompts)
            ts REAL NOT NULL,
            UNIQUE (kind, item_id, ts)
        );
        CREATE INDEX answers_by_item ON answers (kind, item_id, ts);
        CREATE INDEX answers_by_lesson ON answers (lesson_id);
        CREATE TABLE items (
            kind TEXT NOT NULL,
            item_id TEXT NOT NULL,
            box INTEGER NOT NULL DEFAULT 1,  -- Leitner box (or SM-2 repetition count)
            due REAL NOT NULL,               -- when it is next due (epoch seconds)
            state TEXT NOT NULL DEFAULT '{}',-- JSON for schedulers that need more (ease, interval)
            updated REAL NOT NULL,
            PRIMARY KEY (kind, item_id)
        );
    """,
}

_EXPECTED_COLUMNS = {
    "views": {"id", "lesson_id", "step_index", "step_slug", "ts"},
    "answers": {"id", "kind", "item_id", "lesson_id", "chosen", "correct", "ts"},
    "items": {"kind", "item_id", "box", "due", "state", "updated"},
}


class ProgressError(RuntimeError):
    """The progress file can be neither opened nor moved aside (e.g. a read-only folder)."""


class _Unusable(Exception):
    """The file is not a healthy progress database of a schema we know."""


class LessonProgress(NamedTuple):
    steps_seen: frozenset[int]
    checks_answered: int
    checks_right: int  # checks whose latest answer was right


class Item(NamedTuple):
    """Spaced-repetition state of one quiz question or interview prompt."""

    kind: str
    item_id: str
    box: int
    due: float
    state: dict
    updated: float


class ProgressStore:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.recovered_from: Path | None = None  # where an unusable old file was moved, if one was
        self.recovery_reason = ""
        self._lock = threading.RLock()
        self._last_ts = 0.0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = self._connect()
        except _Unusable as exc:
            self.recovered_from = self._move_aside(str(exc))
            try:
                self._conn = self._connect()
            except _Unusable as again:
                raise ProgressError(f"cannot start a fresh progress file at {self.path}: {again}") from None

    @classmethod
    def open(cls, data_dir: str | os.PathLike[str] | None = None) -> ProgressStore:
        """The store in the learner's data folder (`data_dir`, else $LBTUTOR_HOME, else the user dir)."""
        from lbtutor.paths import data_dir as resolve

        return cls(resolve(data_dir) / FILENAME)

    # -- opening --------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise _Unusable(str(exc)) from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            self._check_health(conn)
            self._set_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: a killed process loses nothing committed
            conn.execute("PRAGMA foreign_keys = ON")
            self._migrate(conn)
        except (sqlite3.DatabaseError, _Unusable) as exc:
            conn.close()
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise ProgressError(f"the progress file {self.path} stayed locked by another process") from None
            raise _Unusable(str(exc)) from None
        return conn

    @staticmethod
    def _check_health(conn: sqlite3.Connection) -> None:
        rows = conn.execute("PRAGMA quick_check").fetchall()
        if rows != [("ok",)]:
            raise _Unusable("damaged: " + "; ".join(str(r[0]) for r in rows[:3]))
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if app_id not in (0, APPLICATION_ID) or (app_id == 0 and tables):
            raise _Unusable("not an lbtutor progress file")
        if version > SCHEMA_VERSION:
            raise _Unusable(f"written by a newer lbtutor (schema {version}; this one knows {SCHEMA_VERSION})")

    @staticmethod
    def _set_wal(conn: sqlite3.Connection) -> None:
        # Switching to WAL needs a moment alone with the file; another process may be doing it too.
        for attempt in range(50):
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                time.sleep(0.02 * (attempt + 1))
        conn.execute("PRAGMA journal_mode = WAL")

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")  # one process migrates; the other then sees the result
        with conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[target].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {target}")
            if version < SCHEMA_VERSION:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        for table, columns in _EXPECTED_COLUMNS.items():
            found = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            if not columns <= found:
                raise _Unusable(f"table {table} lacks {', '.join(sorted(columns - found))}")

    def _move_aside(self, reason: str) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        try:
            os.replace(self.path, target)
            for suffix in ("-wal", "-shm", "-journal"):
                side = self.path.with_name(self.path.name + suffix)
                if side.exists():
                    os.replace(side, target.with_name(target.name + suffix))
        except OSError as exc:
            raise ProgressError(f"the progress file {self.path} is unusable ({reason}) and cannot be moved aside: "
                                f"{exc.strerror or exc}") from None  # fmt: skip
        self.recovery_reason = reason
        return target

    # -- writing --------------------------------------------------------------------------------

    @contextmanager
    def _write(self):
        """One transaction that holds the write lock from the start (no upgrade deadlocks)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            with self._conn:  # commits, or rolls back on an exception
                yield self._conn

    def _now(self) -> float:
        # strictly increasing within this store, so two records never share a timestamp
        now = max(time.time(), self._last_ts + 1e-6)
        self._last_ts = now
        return now

    def record_view(self, lesson_id: str, step_index: int, step_slug: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO views (lesson_id, step_index, step_slug, ts) VALUES (?, ?, ?, ?)",
                (lesson_id, int(step_index), step_slug, self._now()),
            )

    def record_answer(self, check_id: str, lesson_id: str, chosen: list[str], correct: bool) -> None:
        """An answer to a lesson check."""
        self.record_item_answer("check", check_id, chosen, correct, lesson_id=lesson_id)

    def record_item_answer(self, kind: str, item_id: str, chosen: list, correct: bool | int,
                           lesson_id: str = "") -> None:  # fmt: skip
        """An answer of any kind (check, quiz, interview, tree, drill): history, never overwritten."""
        with self._write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO answers (kind, item_id, lesson_id, chosen, correct, ts) VALUES (?, ?, ?, ?, ?, ?)",
                (kind, item_id, lesson_id, json.dumps(list(chosen)), int(correct), self._now()),
            )

    def save_item(self, kind: str, item_id: str, box: int, due: float, state: dict | None = None) -> None:
        """Spaced-repetition state of one item (replaces the item's previous state)."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO items (kind, item_id, box, due, state, updated) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (kind, item_id) DO UPDATE SET box = excluded.box, due = excluded.due, "
                "state = excluded.state, updated = excluded.updated",
                (kind, item_id, int(box), float(due), json.dumps(state or {}), self._now()),
            )

    def reset(self) -> None:
        """Forget everything (the UI asks for confirmation first)."""
        with self._write() as conn:
            for table in _EXPECTED_COLUMNS:
                conn.execute(f"DELETE FROM {table}")

    # -- reading --------------------------------------------------------------------------------

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def last_position(self) -> tuple[str, int] | None:
        """(lesson id, step index) of the newest step view."""
        rows = self._query("SELECT lesson_id, step_index FROM views ORDER BY ts DESC, id DESC LIMIT 1")
        return (rows[0][0], rows[0][1]) if rows else None

    def lesson_progress(self, lesson_id: str) -> LessonProgress:
        seen = self._query("SELECT DISTINCT step_index FROM views WHERE lesson_id = ?", (lesson_id,))
        answers = "SELECT item_id, correct FROM answers WHERE kind = 'check' AND lesson_id = ? ORDER BY ts, id"
        latest = dict(self._query(answers, (lesson_id,)))  # oldest first: each check's newest answer wins
        return LessonProgress(
            steps_seen=frozenset(r[0] for r in seen),
            checks_answered=len(latest),
            checks_right=sum(1 for correct in latest.values() if correct),
        )

    def answer_for(self, check_id: str, kind: str = "check") -> tuple[list[str], bool] | None:
        """The learner's latest answer to a check: (chosen keys, right?)."""
        rows = self._query(
            "SELECT chosen, correct FROM answers WHERE kind = ? AND item_id = ? ORDER BY ts DESC, id DESC LIMIT 1",
            (kind, check_id),
        )
        return (json.loads(rows[0][0]), bool(rows[0][1])) if rows else None

    def history(self, kind: str | None = None) -> list[dict]:
        """Every answer, oldest first, as dicts (kind, item_id, lesson_id, chosen, correct, ts)."""
        sql = "SELECT kind, item_id, lesson_id, chosen, correct, ts FROM answers"
        params: tuple = ()
        if kind is not None:
            sql += " WHERE kind = ?"
            params = (kind,)
        return [
            {"kind": k, "item_id": i, "lesson_id": lid, "chosen": json.loads(c), "correct": ok, "ts": ts}
            for k, i, lid, c, ok, ts in self._query(sql + " ORDER BY ts, id", params)
        ]

    def items(self, kind: str | None = None) -> list[Item]:
        sql = "SELECT kind, item_id, box, due, state, updated FROM items"
        params: tuple = ()
        if kind is not None:
            sql += " WHERE kind = ?"
            params = (kind,)
        return [Item(k, i, b, d, json.loads(s), u) for k, i, b, d, s, u in self._query(sql + " ORDER BY due", params)]

    def counts(self) -> dict[str, int]:
        return {table: self._query(f"SELECT COUNT(*) FROM {table}")[0][0] for table in _EXPECTED_COLUMNS}

    # -- moving between machines ----------------------------------------------------------------

    def export(self) -> dict:
        """Everything, as plain JSON-ready data (see `import_`)."""
        views = self._query("SELECT lesson_id, step_index, step_slug, ts FROM views ORDER BY ts, id")
        return {
            "format": EXPORT_FORMAT,
            "version": SCHEMA_VERSION,
            "exported_at": time.time(),
            "views": [{"lesson_id": a, "step_index": b, "step_slug": c, "ts": d} for a, b, c, d in views],
            "answers": self.history(),
            "items": [
                {"kind": i.kind, "item_id": i.item_id, "box": i.box, "due": i.due, "state": i.state,
                 "updated": i.updated}
                for i in self.items()
            ],  # fmt: skip
        }

    def import_(self, data: dict) -> dict[str, int]:
        """Merge an export into this store. Histories are united (a record already here is kept);
        an item's state is replaced only by a newer one. Malformed data is refused as a whole with
        a ValueError that names the first bad field. Returns how many records were added."""
        views, answers, items = _validate_export(data)
        added = {"views": 0, "answers": 0, "items": 0}
        with self._write() as conn:
            for v in views:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO views (lesson_id, step_index, step_slug, ts) VALUES (?, ?, ?, ?)",
                    (v["lesson_id"], v["step_index"], v["step_slug"], v["ts"]),
                )
                added["views"] += cur.rowcount
            for a in answers:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO answers (kind, item_id, lesson_id, chosen, correct, ts) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (a["kind"], a["item_id"], a["lesson_id"], json.dumps(a["chosen"]), int(a["correct"]), a["ts"]),
                )
                added["answers"] += cur.rowcount
            for i in items:
                cur = conn.execute(
                    "INSERT INTO items (kind, item_id, box, due, state, updated) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (kind, item_id) DO UPDATE SET box = excluded.box, due = excluded.due, "
                    "state = excluded.state, updated = excluded.updated WHERE excluded.updated > items.updated",
                    (i["kind"], i["item_id"], i["box"], i["due"], json.dumps(i["state"]), i["updated"]),
                )
                added["items"] += cur.rowcount
        newest = max([v["ts"] for v in views] + [a["ts"] for a in answers] + [i["updated"] for i in items], default=0)
        self._last_ts = max(self._last_ts, newest)
        return added

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> ProgressStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- validating an export ---------------------------------------------------------------------------

_FIELDS = {
    "views": {"lesson_id": "str", "step_index": "index", "step_slug": "str", "ts": "time"},
    "answers": {"kind": "str", "item_id": "str", "lesson_id": "str", "chosen": "list", "correct": "correct",
                "ts": "time"},
    "items": {"kind": "str", "item_id": "str", "box": "box", "due": "time", "state": "dict", "updated": "time"},
}  # fmt: skip


def _validate_export(data) -> tuple[list[dict], list[dict], list[dict]]:
    if not isinstance(data, dict):
        raise ValueError(f"not an lbtutor progress export: expected a JSON object, got {_json_type(data)}")
    if data.get("format") != EXPORT_FORMAT:
        raise ValueError(f'not an lbtutor progress export: "format" must be "{EXPORT_FORMAT}"')
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError('"version" must be a positive whole number')
    if version > SCHEMA_VERSION:
        raise ValueError(f"the export is from a newer lbtutor (version {version}; this one reads up to {SCHEMA_VERSION})")
    out = []
    for section, fields in _FIELDS.items():
        records = data.get(section, [])
        if not isinstance(records, list):
            raise ValueError(f'"{section}" must be a list, got {_json_type(records)}')
        for n, record in enumerate(records):
            where = f"{section}[{n}]"
            if not isinstance(record, dict):
                raise ValueError(f"{where} must be an object, got {_json_type(record)}")
            for name, kind in fields.items():
                if name not in record:
                    raise ValueError(f'{where} has no "{name}"')
                _check_field(f"{where}.{name}", kind, record[name])
        out.append(records)
    return out[0], out[1], out[2]


def _check_field(where: str, kind: str, value) -> None:
    from lbtutor.content.problems import finite_number  # (not needed to open the store)
    from lbtutor.content.srs import BOXES

    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "str" and not (isinstance(value, str) and len(value) <= 1000):
        raise ValueError(f"{where} must be a string (at most 1000 characters), got {_json_type(value)}")
    if kind == "index" and not (isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1_000_000):
        raise ValueError(f"{where} must be a whole number of 0 or more, got {value!r}")
    if kind == "box" and not (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= BOXES):
        raise ValueError(f"{where} must be a Leitner box from 1 to {BOXES}, got {value!r}")
    if kind == "time" and not (finite_number(value) and 0 <= value < 1e11):
        raise ValueError(f"{where} must be a timestamp in seconds, got {value!r}")
    if kind == "correct" and not (isinstance(value, bool) or (number and value == int(value) and 0 <= value <= 10)):
        raise ValueError(f"{where} must be true or false, got {value!r}")
    if kind == "list" and not (isinstance(value, list) and all(isinstance(v, str | int | float) for v in value)):
        raise ValueError(f"{where} must be a list of strings or numbers, got {_json_type(value)}")
    if kind == "dict" and not isinstance(value, dict):
        raise ValueError(f"{where} must be an object, got {_json_type(value)}")


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
