"""Same parameters and seed, same numbers to the last digit; stepping and batch agree."""

import json
import subprocess
import sys

from lbtutor.cli import main
from lbtutor.sim import SimConfig, Simulation, run

ARGS = ["sim", "--algorithm", "least-connections", "--servers", "5", "--requests", "5000",
        "--service-dist", "bimodal", "--seed", "42", "--json"]


def test_two_runs_with_the_same_seed_print_byte_identical_json(capsys):
    main(ARGS)
    first = capsys.readouterr().out
    main(ARGS)
    second = capsys.readouterr().out
    assert first == second
    assert json.loads(first)["seed"] == 42


def test_the_same_seed_gives_the_same_json_in_another_process(capsys):
    main(ARGS)
    here = capsys.readouterr().out
    other = subprocess.run([sys.executable, "-m", "lbtutor", *ARGS], capture_output=True, text=True,
                           check=True).stdout
    assert other == here


def test_a_different_seed_gives_different_numbers():
    a = run(SimConfig(requests=2000, warmup=0, seed=1))
    b = run(SimConfig(requests=2000, warmup=0, seed=2))
    assert a["latency"] != b["latency"]


def test_algorithms_see_identical_traffic_for_the_same_seed():
    """Common random numbers: arrivals, demands and clients do not depend on the algorithm."""
    seen = {}
    for algorithm in ("round-robin", "least-connections", "ip-hash"):
        sim = Simulation(SimConfig(algorithm=algorithm, seed=9), max_requests=500)
        arrivals = []
        sim.on_complete = lambda _sim, req, _server, log=arrivals: log.append((req.id, req.arrival, req.demand, req.client))
        sim.on_fail = sim.on_drop = sim.on_complete
        sim.run_to_completion()
        seen[algorithm] = sorted(arrivals)
    assert seen["round-robin"] == seen["least-connections"] == seen["ip-hash"]


def test_stepping_in_small_increments_matches_one_big_step():
    def final(steps):
        sim = Simulation(SimConfig(algorithm="power-of-two-choices", seed=5), sample_interval=0.25)
        for i in range(1, steps + 1):
            sim.advance_to(100.0 * i / steps)
        return (sim.arrived, sim.completed, sim.snapshot().recent)

    assert final(1) == final(997)


def test_stepping_memory_stays_bounded_on_a_long_run():
    sim = Simulation(SimConfig(servers=4, arrival_rate=30.0, service_rate=10.0), sample_interval=0.25)
    sim.advance_to(2_000)
    assert sim.completed > 50_000
    assert len(sim.recent) <= 4096
    assert len(sim._checkpoints) <= sim._checkpoints.maxlen
    assert sim.latencies is None
