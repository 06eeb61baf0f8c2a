"""Replications: one setup over seeds seed, seed+1, ..., each metric's mean and Student-t 95% interval."""

import json
import math
import statistics

import pytest

from lbtutor.cli import main
from lbtutor.sim.replications import interval, measured_values, summarize, t_cdf, t_quantile


@pytest.mark.parametrize(
    "p, df, table",
    [  # published two-sided 95% (p = 0.975) values, and a few other quantiles, to 4 decimals
        (0.975, 1, 12.7062), (0.975, 2, 4.3027), (0.975, 5, 2.5706), (0.975, 9, 2.2622),
        (0.975, 19, 2.0930), (0.975, 29, 2.0452), (0.975, 100, 1.9840), (0.975, 1000, 1.9623),
        (0.995, 4, 4.6041), (0.95, 10, 1.8125), (0.90, 3, 1.6377),
    ],
)  # fmt: skip
def test_t_quantile_matches_the_published_table(p, df, table):
    assert t_quantile(p, df) == pytest.approx(table, abs=5e-5)


def test_t_quantile_tends_to_the_normal_and_is_symmetric():
    assert t_quantile(0.975, 10**7) == pytest.approx(statistics.NormalDist().inv_cdf(0.975), abs=1e-5)
    assert t_quantile(0.025, 9) == pytest.approx(-2.2622, abs=5e-5)
    assert t_cdf(2.2622, 9) == pytest.approx(0.975, abs=1e-5)


def test_interval_of_one_to_five_is_the_mean_plus_minus_t_times_the_standard_error():
    ci = interval([1, 2, 3, 4, 5])
    half = 2.7764 * math.sqrt(2.5) / math.sqrt(5)  # t(0.975, 4) x s / sqrt(n), s^2 = 2.5
    assert ci.mean == 3
    assert ci.half_width == pytest.approx(half, abs=1e-4)
    assert (ci.low, ci.high) == pytest.approx((3 - half, 3 + half), abs=1e-4)


def test_one_value_has_no_interval():
    ci = interval([4.0])
    assert ci.mean == 4.0 and ci.as_list() == [None, None]


def test_summary_keeps_every_value_and_leaves_a_missing_one_null():
    summary = summarize([{"a": 1.0, "b": 2}, {"a": 3.0}, {"a": 5.0, "b": 4}])
    assert summary["n"] == 3
    assert summary["metrics"]["a"]["mean"] == 3.0 and summary["metrics"]["a"]["values"] == [1.0, 3.0, 5.0]
    assert summary["metrics"]["b"]["values"] == [2, None, 4] and summary["metrics"]["b"]["mean"] == 3


def run_json(capsys, *args):
    assert main(["sim", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_random_routing_over_ten_seeds_brackets_the_mm1_mean_of_5_s(capsys):
    # the must-show: 4 M/M/1 queues at 80% busy, mean sojourn 1 / (1 - 0.8) = 5 s
    out = run_json(capsys, "--algorithm", "random", "--servers", "4", "--arrival-rate", "3.2",
                   "--service-rate", "1", "--requests", "20000", "--replications", "10")
    reps = out["replications"]
    assert reps["n"] == 10
    lo, hi = reps["metrics"]["latency.mean"]["ci95"]
    assert lo < 5.0 < hi
    assert hi - lo < 1.0  # ten runs of 20,000 requests pin it to within half a second
    assert len(reps["metrics"]["latency.mean"]["values"]) == 10
    assert out["seed"] == 1 and out["latency"]["mean"] == reps["metrics"]["latency.mean"]["values"][0]


def test_each_replication_is_the_single_run_with_its_own_seed(capsys):
    reps = run_json(capsys, "--requests", "2000", "--seed", "5", "--replications", "3")["replications"]
    third = run_json(capsys, "--requests", "2000", "--seed", "7")
    assert "replications" not in third
    assert reps["metrics"]["latency.p99"]["values"][2] == third["latency"]["p99"]
    assert reps["metrics"]["servers.s2.utilization"]["values"][2] == third["servers"][1]["utilization"]


def test_replicated_paths_are_the_measured_numbers_not_the_setup(capsys):
    out = run_json(capsys, "--requests", "2000", "--replications", "2")
    paths = set(out["replications"]["metrics"])
    assert {"latency.mean", "latency.p99", "throughput", "fairness.jain", "requests.dropped",
            "servers.s1.utilization", "servers.s4.peak_connections"} <= paths
    assert not any(p.startswith(("params.", "theory.", "seed")) for p in paths)
    out.pop("replications")
    assert paths == set(measured_values(out))


def test_scenario_replications_report_its_metrics_by_dotted_name(capsys):
    out = run_json(capsys, "--scenario", "hash-remap", "--set", "duration=20", "--set", "change_at=10",
                   "--replications", "3")
    metrics = out["replications"]["metrics"]
    assert all(path.startswith("metrics.") for path in metrics)
    assert set(metrics) == {f"metrics.{name}" for name, v in out["metrics"].items() if isinstance(v, int | float)}


def test_table_shows_mean_plus_minus_half_width(capsys):
    assert main(["sim", "--requests", "2000", "--replications", "4"]) == 0
    out = capsys.readouterr().out
    assert "4 replications, seeds 1 to 4" in out
    line = next(row for row in out.splitlines() if "latency.mean" in row)
    assert "±" in line and line.rstrip().endswith("]")


def test_csv_has_one_row_per_replication_with_its_seed(capsys):
    assert main(["sim", "--requests", "2000", "--seed", "10", "--replications", "3", "--csv"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    header = rows[0].split(",")
    assert header[:2] == ["replication", "seed"] and "latency.mean" in header
    assert [r.split(",")[:2] for r in rows[1:]] == [["1", "10"], ["2", "11"], ["3", "12"]]


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--replications", "1001"], "--replications must be from 1 to 1,000 (got 1001)"),
        (["--replications", "0"], "--replications must be from 1 to 1,000 (got 0)"),
        (["--replications", "11"], "would simulate about 1,100,000 requests; one command simulates at most 1,000,000"),
        (["--scenario", "long-lived", "--set", "arrival_rate=1000", "--set", "duration=400", "--replications", "2"],
         "would simulate about 1,600,000 requests"),
    ],
)
def test_too_many_replications_exit_2_with_one_line(capsys, args, fragment):
    assert main(["sim", *args]) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1
