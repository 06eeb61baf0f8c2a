"""Runs as files: a JSON record of a lab or scenario run, and the same numbers as CSV tables.

Plain Python (no Textual), used by `lbtutor sim --csv` and by the tutor's "Export run (CSV/JSON)".

A *record* is a JSON-ready dict. Whatever made it, the tables come from two keys:

- ``servers``: one row per server (a lab with several panes adds a ``pane`` column),
- ``timeline``: one row per point in time.

`lbtutor sim --json` prints a record of the first kind; `lbtutor sim --scenario NAME --json` one of
the second. A CSV cell holds exactly the number in the JSON (Python's shortest round-trip text
for a float, nothing for null), so a spreadsheet and a notebook read the same run.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from lbtutor import __version__

if TYPE_CHECKING:
    from lbtutor.sim.lab_session import LabSession
    from lbtutor.sim.live import LiveRun

TABLES = ("servers", "timeline")


# ------------------------------------------------------------------ records
def live_run_record(run: LiveRun, *, title: str, labels: list[str] | None = None) -> dict:
    """A record of a playing simulation (a lesson's lab, or any LiveRun) as it stands now."""
    panes = run.panes()
    record: dict[str, Any] = {
        "kind": "lab",
        "title": title,
        "lbtutor": __version__,
        "time": run.now,
        "panes": [],
        "servers": [],
        "timeline": [],
    }
    for i, pane in enumerate(panes):
        label = labels[i] if labels and i < len(labels) else pane.label
        snapshot = asdict(pane.snapshot)
        servers = snapshot.pop("servers")
        record["panes"].append({"label": label, "note": pane.note, **snapshot})
        record["servers"].extend({"pane": label, **server} for server in servers)
    if run.scenario is not None:
        scenario = run.scenario
        record["scenario"] = {"name": scenario.scenario.name, "seed": scenario.seed, "params": dict(scenario.params)}
        record["metrics"] = scenario.metrics()
        record["timeline"] = [dict(point) for point in scenario.timeline]
    return json_safe(record)


def lab_session_record(session: LabSession, *, title: str = "Lab") -> dict:
    """A record of the lab screen's run: every pane, the run-wide figures and the latency chart."""
    record = live_run_record(session.run, title=title, labels=[p.label for p in session.panes] or None)
    record["code"] = session.code()
    if not session.is_scenario:
        record["setup"] = {"algorithms": list(session.setup.algorithms), "seed": session.setup.seed}
        for view, pane in zip(session.panes, record["panes"], strict=False):
            pane["run"] = asdict(view.run) if view.run is not None else None
        timeline = []
        for index, view in enumerate(session.panes):
            for t, p50, p95, p99, run_p99 in session.chart(index):
                timeline.append({"pane": view.label, "t": t, "p50": p50, "p95": p95, "p99": p99, "run_p99": run_p99})
        record["timeline"] = timeline
    return json_safe(record)


def json_safe(value: Any) -> Any:
    """NaN and infinity (not JSON) become None; tuples become lists; recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


# ------------------------------------------------------------------ tables
def table(record: dict, name: str) -> list[dict]:
    """The rows of table `name` ("servers" or "timeline"); [] if the record has none."""
    if name not in TABLES:
        raise ValueError(f"no table {name!r}; tables: {', '.join(TABLES)}")
    rows = record.get(name) or []
    return [row for row in rows if isinstance(row, dict)]


def cell(value: Any) -> str:
    """One CSV cell: the JSON number's own digits, '' for null, JSON text for anything nested."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value) if not isinstance(value, float) or math.isfinite(value) else ""
    return json.dumps(value, separators=(",", ":"))


def write_csv(rows: Iterable[dict], out: IO[str]) -> None:
    """Rows as CSV with a header: the columns in the order they first appear."""
    rows = list(rows)
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(column)) for column in columns])


def csv_text(rows: Iterable[dict]) -> str:
    out = io.StringIO()
    write_csv(rows, out)
    return out.getvalue()


# ------------------------------------------------------------------ files
def export_run(record: dict, folder: Path, stem: str) -> list[Path]:
    """Write STEM.json and a STEM-TABLE.csv per non-empty table into `folder`; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = unique_stem(folder, stem, [".json", *(f"-{name}.csv" for name in TABLES)])
    written = [folder / f"{stem}.json"]
    written[0].write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    for name in TABLES:
        rows = table(record, name)
        if rows:
            path = folder / f"{stem}-{name}.csv"
            with path.open("w", encoding="utf-8", newline="") as out:
                write_csv(rows, out)
            written.append(path)
    return written


def file_stem(*words: str, when: datetime | None = None) -> str:
    """`lbtutor-WORDS-YYYYmmdd-HHMMSS`, with only letters, digits and dashes."""
    stamp = (when or datetime.now()).strftime("%Y%m%d-%H%M%S")
    parts = ["lbtutor", *(slug(w) for w in words if slug(w)), stamp]
    return "-".join(parts)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


def unique_stem(folder: Path, stem: str, suffixes: list[str]) -> str:
    """`stem`, or `stem-2`, `stem-3`, ... so that no file with any of the suffixes is overwritten."""
    candidate, n = stem, 1
    while any((folder / f"{candidate}{suffix}").exists() for suffix in suffixes):
        n += 1
        candidate = f"{stem}-{n}"
    return candidate
