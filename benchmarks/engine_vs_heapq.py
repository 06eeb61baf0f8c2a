"""Engine batch speed against a bare heapq event loop on the same model, in one process.

Model: 8 identical exponential servers (one worker each), random routing, rho = 0.8, 200k requests.
Both loops draw the same kinds of random numbers and record every latency; the ratio is what the
simpy-based engine costs over the least a Python event loop can do.

    python benchmarks/engine_vs_heapq.py [--requests N] [--repeat R]
"""

from __future__ import annotations

import argparse
import heapq
import random
import time
from collections import deque

from lbtutor.sim import SimConfig, run

SERVERS = 8
RHO = 0.8
MU = 1.0


def bare_loop(requests: int, seed: int) -> float:
    """A hand-written M/M/1-per-server loop: (time, kind, server, arrival) tuples on a heap."""
    rng = random.Random(seed)
    lam = RHO * SERVERS * MU
    heap: list = [(rng.expovariate(lam), 0, 0, 0.0)]
    busy = [False] * SERVERS
    queues = [deque() for _ in range(SERVERS)]
    latencies = []
    arrived = 0
    while heap:
        now, kind, server, arrival = heapq.heappop(heap)
        if kind == 0:  # arrival
            arrived += 1
            if arrived < requests:
                heapq.heappush(heap, (now + rng.expovariate(lam), 0, 0, 0.0))
            s = int(rng.random() * SERVERS)
            if busy[s]:
                queues[s].append(now)
            else:
                busy[s] = True
                heapq.heappush(heap, (now + rng.expovariate(MU), 1, s, now))
        else:  # departure
            latencies.append(now - arrival)
            if queues[server]:
                start_arrival = queues[server].popleft()
                heapq.heappush(heap, (now + rng.expovariate(MU), 1, server, start_arrival))
            else:
                busy[server] = False
    return sum(latencies) / len(latencies)


def engine(requests: int, seed: int) -> float:
    config = SimConfig(algorithm="random", servers=SERVERS, arrival_rate=RHO * SERVERS * MU,
                       service_rate=MU, requests=requests, warmup=0, seed=seed)
    return run(config)["latency"]["mean"]


def best_of(fn, requests: int, repeat: int) -> tuple[float, float]:
    best = float("inf")
    value = 0.0
    for i in range(repeat):
        started = time.perf_counter()
        value = fn(requests, i + 1)
        best = min(best, time.perf_counter() - started)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bare_s, bare_mean = best_of(bare_loop, args.requests, args.repeat)
    engine_s, engine_mean = best_of(engine, args.requests, args.repeat)
    print(f"requests            {args.requests:,}")
    print(f"bare heapq loop     {bare_s:.3f} s  {args.requests / bare_s:,.0f} req/s  mean latency {bare_mean:.3f} s")
    print(f"lbtutor engine      {engine_s:.3f} s  {args.requests / engine_s:,.0f} req/s  mean latency {engine_mean:.3f} s")
    print(f"engine speed / bare {bare_s / engine_s:.2f}  (aim: 0.50 or better)")
    print(f"theory (M/M/1)      mean latency {1 / (MU - RHO * MU):.3f} s")


if __name__ == "__main__":
    main()
