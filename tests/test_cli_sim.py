"""`lbtutor sim` as a teacher or a script uses it: tables, JSON, and one-line errors."""

import json
from pathlib import Path

import pytest

from lbtutor.cli import main

JSON_KEYS = {"algorithm", "seed", "params", "sim_time", "requests", "latency", "throughput",
             "servers", "fairness", "theory"}


def sim_json(capsys, *args):
    assert main(["sim", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_has_every_documented_key(capsys):
    out = sim_json(capsys, "--requests", "3000", "--algorithm", "random")
    assert set(out) >= JSON_KEYS
    assert set(out["requests"]) >= {"arrived", "completed", "dropped", "failed", "in_flight"}
    assert set(out["latency"]) == {"mean", "p50", "p95", "p99", "max"}
    assert set(out["servers"][0]) >= {"name", "weight", "speed", "served", "utilization", "mean_latency",
                                      "peak_connections"}
    assert set(out["fairness"]) >= {"jain", "max_over_mean"}
    assert out["theory"]["model"].startswith("M/M/1")
    r = out["requests"]
    assert r["arrived"] == 3000 == r["completed"] + r["dropped"] + r["failed"] + r["in_flight"]


def test_params_report_every_effective_value(capsys):
    out = sim_json(capsys, "--weights", "5,3,2", "--requests", "2000", "--algorithm", "weighted-round-robin")
    p = out["params"]
    assert p["servers"] == 3 and p["weights"] == [5, 3, 2] and p["speeds"] == [1, 1, 1]
    assert p["arrival_rate"] == pytest.approx(0.8 * 3)  # default: 80% of capacity
    assert p["warmup"] == 20


def test_weighted_round_robin_serves_in_proportion_to_weight(capsys):
    out = sim_json(capsys, "--weights", "5,3,2", "--speeds", "5,3,2", "--algorithm", "weighted-round-robin",
                   "--requests", "10000")
    served = [s["served"] for s in out["servers"]]
    shares = [x / sum(served) for x in served]
    assert shares == pytest.approx([0.5, 0.3, 0.2], abs=0.005)


def test_table_output_names_algorithm_theory_and_units(capsys):
    assert main(["sim", "--servers", "3", "--requests", "2000", "--algorithm", "round-robin"]) == 0
    out = capsys.readouterr().out
    assert "round-robin" in out and "E_3/M/1" in out and "req/s" in out and " s" in out


def test_load_above_capacity_runs_and_says_queues_grow_without_bound(capsys):
    assert main(["sim", "--servers", "2", "--arrival-rate", "3", "--requests", "2000"]) == 0
    assert "grow without bound" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--servers", "0"], "--servers must be at least 1"),
        (["--arrival-rate", "-1"], "--arrival-rate must be a positive number"),
        (["--arrival-rate", "0"], "--arrival-rate must be a positive number"),
        (["--service-rate", "0"], "--service-rate must be a positive number"),
        (["--weights", "5,0,1"], "weight of server 2 must be a positive number"),
        (["--weights", "5,,1"], "not a comma-separated list of numbers"),
        (["--algorithm", "fastest"], "choose one of: random, round-robin"),
        (["--service-dist", "uniform"], "choose one of: exp, det"),
        (["--weights", "1,2", "--speeds", "1,2,3"], "give one per server"),
        (["--option", "refresh=2"], "round-robin has no option 'refresh'"),
        (["--requests", "10", "--warmup", "10"], "--warmup must be"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_problem(capsys, args, fragment):
    with pytest.raises(SystemExit) as exit_info:
        status = main(["sim", *args])
        raise SystemExit(status)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_list_algorithms_json_gives_slug_and_summary(capsys):
    assert main(["sim", "--list-algorithms", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["slug"] for r in rows][:3] == ["random", "round-robin", "weighted-round-robin"]
    assert all(r["summary"] for r in rows)


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.startswith("lbtutor ")


@pytest.mark.parametrize("command", [["tutor"], ["lab"], ["practice"], ["serve"], ["progress"],
                                     ["progress", "export", "f.json"], ["progress", "import", "f.json"]])
def test_folders_may_be_given_before_or_after_the_command(command):
    from lbtutor.cli import build_parser

    parser = build_parser()
    before = parser.parse_args(["--lessons", "L", "--data-dir", "D", *command])
    after = parser.parse_args([*command, "--lessons", "L", "--data-dir", "D"])
    neither = parser.parse_args(command)
    assert (before.lessons, before.data_dir) == (after.lessons, after.data_dir) == ("L", "D")
    assert (neither.lessons, neither.data_dir) == (None, None)


def test_serve_passes_folders_and_display_options_given_after_it_to_every_tab():
    from lbtutor.cli import build_parser
    from lbtutor.commands.serve import tutor_command

    args = build_parser().parse_args(["serve", "--data-dir", "/tmp/d", "--present", "--fps", "10"])
    command = tutor_command(args.lessons, args.data_dir, present=args.present, fps=args.fps)
    assert "--data-dir /tmp/d" in command and "--present" in command and "--fps 10" in command


def test_a_scenario_table_shows_every_metric_name_whole_and_its_meaning_literally(capsys, monkeypatch):
    from lbtutor.sim.scenarios import get

    monkeypatch.setenv("COLUMNS", "80")
    assert main(["sim", "--scenario", "lb-ha"]) == 0
    out = capsys.readouterr().out
    for metric in get("lb-ha").metrics:
        assert metric.name in out  # scripts read these names from --json: never cut to "survivor_utilization_activ…"
    assert "…" not in out


@pytest.mark.parametrize("columns", ["80", "100"])
def test_the_real_tables_keep_each_number_with_its_unit(columns, capsys, monkeypatch):
    """`lbtutor real`'s tables at 80 columns and up (a recorded HAProxy run): a real / simulated
    pair of durations shares its unit ("22 / 21 ms"), no line holds units alone, nothing is cut."""
    import re

    from lbtutor.commands.real_table import print_comparison

    monkeypatch.setenv("COLUMNS", columns)
    result = json.loads((Path(__file__).parent / "fixtures" / "real-haproxy-run.json").read_text())
    print_comparison(result)
    out = capsys.readouterr().out
    assert "22 / 21 ms" in out  # s1's mean latency, real / simulated
    assert "…" not in out
    for line in out.splitlines():
        assert not re.fullmatch(r"[\s│]*((ms|s)[\s│]*)+", line), line
