"""Soak: the lab playing at 100x for N minutes of wall-clock time; resident memory at start and end.

    python benchmarks/soak.py                 # 60 minutes, the tutor's own lab, two algorithms
    python benchmarks/soak.py --minutes 5 --servers 32

The real tutor app runs headless (Textual lays out and draws every frame) with the lab screen at
its frame rate and speed 100x, comparing two algorithms on identical traffic, as a learner would
leave it running. Once a minute it prints the simulated time reached and the process's resident
set size (VmRSS, what the machine actually holds; not the peak). Memory should be flat: the
start figure is taken after a one-minute warm-up, when caches and the chart's history are full.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path


def rss_mib() -> float:
    """The resident set size now, from /proc (the peak from getrusage would hide a fall)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


async def soak(minutes: float, servers: int, speed: float, compare: bool) -> list[tuple[float, float, float, int]]:
    """(wall minutes, simulated hours, RSS MiB, frames) once a minute."""
    from lbtutor.sim.presets import LabSetup, ServerSetup, preset
    from lbtutor.ui.app import make_app
    from lbtutor.ui.screens.lab import LabScreen

    p = preset("identical")
    algorithms = ("least-connections", "round-robin") if compare else ("least-connections",)
    setup = LabSetup.from_preset("identical", algorithms).with_(
        servers=tuple(ServerSetup() for _ in range(servers)),
        arrival_rate=round(0.8 * servers * p.workers * p.service_rate, 2),
    )
    samples = []
    with tempfile.TemporaryDirectory() as data:
        app = make_app(data_dir=data)
        async with app.run_test(size=(160, 50)) as pilot:
            await app.ready.wait()
            app.push_screen(LabScreen(setup, speed=speed, paused=False))
            await pilot.pause()
            screen = app.screen
            frames = 0
            original = screen._frame

            def counted() -> None:
                nonlocal frames
                frames += 1
                original()

            screen._timer.stop()
            screen._timer = screen.set_interval(screen._timer._interval, counted)
            started = time.perf_counter()
            for minute in range(int(minutes) + 1):
                if minute:
                    await asyncio.sleep(max(0.0, started + 60 * minute - time.perf_counter()))
                sample = ((time.perf_counter() - started) / 60, screen.session.now / 3600, rss_mib(), frames)
                samples.append(sample)
                print(f"{sample[0]:6.1f} min  simulated {sample[1]:7.2f} h  RSS {sample[2]:7.1f} MiB  "
                      f"{sample[3]:7d} frames", flush=True)
            assert app._exception is None, app._exception
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60, help="wall-clock minutes (default 60)")
    parser.add_argument("--servers", type=int, default=32, help="servers in the lab (default 32)")
    parser.add_argument("--speed", type=float, default=100.0, help="playback speed (default 100)")
    parser.add_argument("--one", action="store_true", help="one algorithm instead of two side by side")
    args = parser.parse_args()
    print(f"soak: lab with {args.servers} servers at {args.speed:g}x, "
          f"{'one algorithm' if args.one else 'two algorithms side by side'}, {args.minutes:g} min of wall clock")
    samples = asyncio.run(soak(args.minutes, args.servers, args.speed, not args.one))
    start = samples[1] if len(samples) > 2 else samples[0]  # after a minute's warm-up
    end = samples[-1]
    print(f"RSS after the first minute {start[2]:.1f} MiB, at the end {end[2]:.1f} MiB "
          f"({end[2] - start[2]:+.1f} MiB over {end[0] - start[0]:.0f} min; "
          f"{end[1]:.1f} simulated hours, {end[3] / (60 * end[0]):.1f} frames/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
