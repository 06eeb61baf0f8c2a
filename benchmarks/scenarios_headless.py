"""Every scenario headless at its default parameters: the wall time of each run. Aim: under 2 s.

    python benchmarks/scenarios_headless.py            # best of 3 runs each
    python benchmarks/scenarios_headless.py --runs 5

A run is what `lbtutor sim --scenario NAME --json` does: build, run to the end, collect the
metrics and the timeline. The table also shows the requests each run simulated (over all the
simulations inside it) and the request budget every run is held to (MAX_REQUESTS).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_hardening_sim import simulations_in  # noqa: E402

from lbtutor.sim import scenarios  # noqa: E402
from lbtutor.sim.scenarios.base import MAX_REQUESTS  # noqa: E402

AIM = 2.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each scenario; the best is shown (default 3)")
    args = parser.parse_args()
    print(f"{'scenario':24s} {'seconds':>8s} {'simulated':>10s} {'requests':>9s}  (best of {args.runs}; "
          f"budget {MAX_REQUESTS:,} requests a run)")
    slowest = ("", 0.0)
    total = 0.0
    for scenario in scenarios.all_scenarios():
        best = float("inf")
        for _ in range(args.runs):
            started = time.perf_counter()
            run = scenario.build({}, seed=1)
            run.run()
            best = min(best, time.perf_counter() - started)
        requests = sum(sim.arrived for sim in simulations_in(run))
        print(f"{scenario.name:24s} {best:8.3f} {run.duration:9.0f}s {requests:9,d}")
        total += best
        if best > slowest[1]:
            slowest = (scenario.name, best)
    print(f"slowest: {slowest[0]} in {slowest[1]:.3f} s (aim: under {AIM:g} s); all {total:.2f} s together")
    return 0 if slowest[1] < AIM else 1


if __name__ == "__main__":
    sys.exit(main())
