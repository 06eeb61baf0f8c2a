"""Exports: the screen as a valid SVG (ctrl+s and the palette), a run as JSON with CSV tables whose
numbers are the JSON's numbers (from the lab, a lesson's lab, and `lbtutor sim --csv`)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from ui_course import write_course

from lbtutor.export import cell, csv_text, export_run, file_stem, table
from lbtutor.sim.lab_session import LabSession
from lbtutor.sim.presets import LabSetup
from lbtutor.ui.app import make_app
from lbtutor.ui.exports import EXPORT_COMMAND, SCREENSHOT_COMMAND, export_commands
from lbtutor.ui.screens.lab import LabScreen

SVG = "{http://www.w3.org/2000/svg}"


def svg_text(path: Path) -> str:
    """The text an SVG screenshot shows (it must parse as XML to get this far)."""
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return "".join(t.text or "" for t in root.iter(f"{SVG}text")).replace("\xa0", " ")


def assert_csv_matches(csv_rows: list[dict], json_rows: list[dict]) -> None:
    """Same rows, same columns, and every cell the JSON's own value (numbers to the last digit)."""
    assert len(csv_rows) == len(json_rows) > 0
    for got, want in zip(csv_rows, json_rows, strict=True):
        assert set(got) == set(want)
        for key, value in want.items():
            if isinstance(value, bool) or value is None or isinstance(value, str):
                assert got[key] == cell(value), key
            elif isinstance(value, int | float):
                assert float(got[key]) == value, (key, got[key], value)
                assert type(json.loads(got[key])) is type(value), key  # 3 stays an int, 3.0 a float


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def app(tmp_path):
    return make_app(lessons_dir=write_course(tmp_path / "lessons"), data_dir=tmp_path / "data", autoplay_labs=False)


# ------------------------------------------------------------------ screenshots
async def test_ctrl_s_saves_the_screen_as_an_svg_and_names_the_file(app, tmp_path):
    async with app.run_test(size=(100, 30)) as pilot:
        await app.ready.wait()
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        saved = sorted((tmp_path / "data" / "exports").glob("*.svg"))
        assert [p.name for p in saved] == [p.name for p in saved if p.name.startswith("lbtutor-home-")]
        assert len(saved) == 1
        assert "Load Balancing Fundamentals" in svg_text(saved[0])
        note = app._notifications
        assert any(saved[0].name in n.message and n.title == "Screenshot saved (SVG)" for n in note)


async def test_a_screenshot_of_a_screen_in_the_middle_of_changing_is_refused_not_a_crash(app, tmp_path, monkeypatch):
    from lbtutor.ui.exports import save_screenshot

    async with app.run_test(size=(100, 30)) as pilot:
        await app.ready.wait()
        await pilot.pause()

        def removed_widget(*args, **kwargs):  # what Textual raises for a widget being removed
            raise KeyError("No 'text-area--gutter' key in COMPONENT_CLASSES")

        monkeypatch.setattr(app, "export_screenshot", removed_widget)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app._exception is None
        assert not (tmp_path / "data" / "exports").exists() or not list((tmp_path / "data" / "exports").glob("*.svg"))
        assert any(n.title == "Screenshot not saved" and "ctrl+s again" in n.message for n in app._notifications)
        monkeypatch.undo()
        app._screen_stack.clear()  # as while the app closes, ctrl+s queued behind ctrl+q
        assert save_screenshot(app) is None


async def test_the_palette_saves_a_screenshot_of_the_screen_beneath_it(app, tmp_path):
    async with app.run_test(size=(100, 30)) as pilot:
        await app.ready.wait()
        await pilot.pause()
        await pilot.press("ctrl+p", *SCREENSHOT_COMMAND, "enter")
        for _ in range(20):  # the command waits 0.1 s for the palette to close
            await pilot.pause(0.05)
            saved = list((tmp_path / "data" / "exports").glob("*.svg"))
            if saved:
                break
        assert len(saved) == 1
        shown = svg_text(saved[0])
        assert "Load Balancing Fundamentals" in shown
        assert "Search for commands" not in shown, "the palette itself must not be in the picture"


# ------------------------------------------------------------------ runs from the tutor
async def test_export_run_from_the_lab_writes_json_and_csv_with_the_same_numbers(app, tmp_path):
    async with app.run_test(size=(120, 36)) as pilot:
        await app.ready.wait()
        screen = LabScreen(LabSetup.from_preset("identical", ("round-robin", "least-connections"), seed=3), paused=True)
        await app.push_screen(screen)
        await pilot.pause()
        screen.session.advance_to(20.0)
        commands = {text: run for text, _, run in export_commands(app, screen)}
        assert EXPORT_COMMAND in commands
        commands[EXPORT_COMMAND]()
        await pilot.pause()
    folder = tmp_path / "data" / "exports"
    [record_path] = folder.glob("*.json")
    record = json.loads(record_path.read_text())
    assert record_path.name.startswith("lbtutor-lab-round-robin-least-connections-")
    assert record["time"] == 20.0
    assert [p["label"] for p in record["panes"]] == ["round-robin", "least-connections"]
    assert record["code"].startswith("LB-")
    assert len(record["servers"]) == 8  # four servers a side
    assert_csv_matches(read_csv(record_path.with_name(record_path.stem + "-servers.csv")), record["servers"])
    assert_csv_matches(read_csv(record_path.with_name(record_path.stem + "-timeline.csv")), record["timeline"])
    # The numbers are the run's: served per server adds up to the pane's completions.
    for pane in record["panes"]:
        served = sum(s["served"] for s in record["servers"] if s["pane"] == pane["label"])
        assert served == pane["completed"]


async def test_export_run_from_a_lesson_takes_the_lab_in_view(app, tmp_path):
    async with app.run_test(size=(100, 40)) as pilot:
        await app.ready.wait()
        app.open_step("basics", 1)  # "Three servers": a lab of three servers at 24 req/s
        await pilot.pause()
        await pilot.pause()
        await pilot.press("ctrl+p", *EXPORT_COMMAND, "enter")
        await pilot.pause()
    [record_path] = (tmp_path / "data" / "exports").glob("*.json")
    record = json.loads(record_path.read_text())
    assert record["title"].startswith("Lab: Three equal servers")
    assert [s["name"] for s in record["servers"]] == ["s1", "s2", "s3"]
    assert record["panes"][0]["arrival_rate"] == 24.0
    assert_csv_matches(read_csv(record_path.with_name(record_path.stem + "-servers.csv")), record["servers"])


async def test_export_run_is_offered_only_where_a_run_is_shown(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await app.ready.wait()
        await pilot.pause()
        assert [text for text, _, _ in export_commands(app, app.screen)] == [SCREENSHOT_COMMAND]


def test_a_scenario_session_exports_its_timeline_and_metrics(tmp_path):
    from lbtutor.export import lab_session_record
    from lbtutor.sim.scenario_code import ScenarioSpec

    session = LabSession(scenario=ScenarioSpec("lb-benefits", {}, 1), paused=True)
    session.advance_to(30.0)
    record = lab_session_record(session)
    paths = export_run(record, tmp_path, file_stem("lab", "lb-benefits"))
    assert [p.suffix for p in paths] == [".json", ".csv", ".csv"]
    again = json.loads(paths[0].read_text())
    assert again["scenario"]["name"] == "lb-benefits"
    assert set(again["metrics"]) >= {"throughput_single", "throughput_pool"}
    assert again["timeline"][-1]["t"] <= 30.0
    assert_csv_matches(read_csv(paths[2]), again["timeline"])


def test_exports_never_overwrite_an_earlier_file(tmp_path):
    record = {"servers": [{"name": "s1", "served": 3}]}
    first = export_run(record, tmp_path, "lbtutor-run")
    second = export_run(record, tmp_path, "lbtutor-run")
    assert [p.name for p in first] == ["lbtutor-run.json", "lbtutor-run-servers.csv"]
    assert [p.name for p in second] == ["lbtutor-run-2.json", "lbtutor-run-2-servers.csv"]


def test_csv_cells_are_the_json_numbers_and_nothing_for_null():
    rows = [{"t": 0.1 + 0.2, "n": 3, "p99": None, "up": True, "note": 'say "hi", twice'}]
    text = csv_text(rows)
    assert text.splitlines()[0] == "t,n,p99,up,note"
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row == {"t": "0.30000000000000004", "n": "3", "p99": "", "up": "true", "note": 'say "hi", twice'}


# ------------------------------------------------------------------ lbtutor sim --csv
def lbtutor(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lbtutor", *args], capture_output=True, text=True, timeout=60)


def test_sim_csv_prints_the_per_server_rows_of_the_json():
    args = ["sim", "--algorithm", "least-connections", "--weights", "3,2,1", "--requests", "4000", "--seed", "5"]
    as_json = json.loads(lbtutor(*args, "--json").stdout)
    out = lbtutor(*args, "--csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert_csv_matches(rows, table(as_json, "servers"))
    assert [r["name"] for r in rows] == ["s1", "s2", "s3"]


def test_sim_scenario_csv_prints_the_timeline_of_the_json():
    args = ["sim", "--scenario", "lb-benefits", "--set", "duration=30"]
    as_json = json.loads(lbtutor(*args, "--json").stdout)
    out = lbtutor(*args, "--csv")
    assert out.returncode == 0, out.stderr
    assert_csv_matches(list(csv.DictReader(io.StringIO(out.stdout))), as_json["timeline"])


def test_sim_json_and_csv_together_is_one_line_and_status_2():
    out = lbtutor("sim", "--json", "--csv")
    assert out.returncode == 2
    assert out.stderr.strip() == "lbtutor sim: error: choose one of --json and --csv"
