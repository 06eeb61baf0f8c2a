"""The open-loop load generator at 500 req/s for 20 s, with HAProxy (or nginx) and the backends
running on the same machine: does it send what the Poisson process planned, on time?

    python benchmarks/real_generator.py                      # HAProxy, 500 req/s, 20 s
    python benchmarks/real_generator.py --balancer nginx --rate 1000 --seconds 10

It prints the rate asked, the rate the seeded arrival process planned (a Poisson count varies by
about 1% over 10,000 arrivals), the rate sent, how late the sends were (p50, p99, max), what the
in-flight cap refused, and the CPU each party used (share of one core): lbtutor's process (the
generator and its watchers), the balancer, the backends' process. Backends: 4 servers x 8 workers,
20 ms exponential service (capacity 1,600 req/s, so 500 req/s is 31% load).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

from lbtutor.real.run import RealRun
from lbtutor.real.setup import RealSetup

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its reaped children (nginx's workers are its children)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / TICKS


def group_cpu(pgid: int) -> float:
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid:
                    total += cpu_seconds(int(entry))
            except (OSError, ValueError):
                pass
    return total


async def measure(balancer: str, rate: float, seconds: float) -> dict:
    setup = RealSetup(balancer=balancer, arrival_rate=rate, workers=8, duration=seconds).validate()
    run = RealRun(setup)
    try:
        await run.start()
        groups = {"balancer": run.balancer.proc.pid, "backends": run.backends.proc.pid}
        before = {name: group_cpu(pid) for name, pid in groups.items()}
        wall = time.monotonic()
        result = await run.play()
        wall = time.monotonic() - wall
        after = {name: group_cpu(pid) for name, pid in groups.items()}
    finally:
        await run.close()
    gen = run.generator.figures(seconds)
    lateness = sorted(run.generator.lateness)
    return {
        "asked": rate,
        "planned": run.generator.sent / seconds,
        "achieved": gen["achieved_rate"],
        "late_p50": lateness[len(lateness) // 2],
        "late_p99": gen["lateness_p99"],
        "late_max": gen["lateness_max"],
        "capped": gen["capped"],
        "failed": result["failed"],
        "cpu_lbtutor": gen["cpu_seconds"] / seconds,
        "cpu_balancer": (after["balancer"] - before["balancer"]) / wall,
        "cpu_backends": (after["backends"] - before["backends"]) / wall,
        "mean_latency": result["latency"]["mean"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--balancer", default="haproxy")
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    r = asyncio.run(measure(args.balancer, args.rate, args.seconds))
    print(f"{args.balancer}, {args.seconds:g} s: asked {r['asked']:g} req/s, planned {r['planned']:.1f}, "
          f"sent {r['achieved']:.1f} ({r['achieved'] / r['planned'] - 1:+.2%} of planned, "
          f"{r['achieved'] / r['asked'] - 1:+.2%} of asked); late p50 {r['late_p50'] * 1000:.2f} ms, "
          f"p99 {r['late_p99'] * 1000:.2f} ms, max {r['late_max'] * 1000:.1f} ms; capped {r['capped']}, "
          f"failed {r['failed']}; CPU (share of a core): lbtutor {r['cpu_lbtutor']:.0%}, "
          f"{args.balancer} {r['cpu_balancer']:.0%}, backends {r['cpu_backends']:.0%}; "
          f"mean latency {r['mean_latency'] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
