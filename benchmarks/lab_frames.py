"""The lab's frame cost and memory: CPU per frame and frames per second at 8/32/128/256 servers,
and memory over an hour of simulated time at 100×.

Frames: the real LabScreen runs headless (Textual still lays out and composites every frame) with
its 30 fps timer, for a few wall seconds per size; we count frames and the process CPU time they
took. Memory: one lab session plays an hour of simulated time in 100× frames (3.33 simulated
seconds each) and we sample the Python heap (tracemalloc) and the resident set every 5 minutes.

    python benchmarks/lab_frames.py [--seconds 5] [--sizes 8,32,128,256] [--speed 10] [--compare]
    python benchmarks/lab_frames.py --memory-only
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
import tracemalloc

from lbtutor.sim.lab_session import LabSession
from lbtutor.sim.presets import LabSetup, ServerSetup, preset

TARGET_LOAD = 0.8


def setup_for(servers: int, compare: bool = False) -> LabSetup:
    p = preset("identical")
    base = LabSetup.from_preset("identical", ("least-connections", "round-robin") if compare else ("least-connections",))
    rate = TARGET_LOAD * servers * p.workers * p.service_rate
    return base.with_(servers=tuple(ServerSetup() for _ in range(servers)), arrival_rate=round(rate, 2))


async def frames(servers: int, seconds: float, speed: float, compare: bool, size=(160, 50)) -> dict:
    from textual.app import App

    from lbtutor.ui.screens.lab import LabScreen

    class Bench(App):
        def on_mount(self) -> None:
            self.push_screen(LabScreen(setup_for(servers, compare), speed=speed, paused=False))

    app = Bench()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        count = 0
        original = screen._frame

        def counted() -> None:
            nonlocal count
            count += 1
            original()

        screen._timer.stop()
        screen._timer = screen.set_interval(1 / 30, counted)
        await asyncio.sleep(1.0)  # warm up: first layouts, caches
        count = 0
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        lagging = screen.session.run.lagging
        now = screen.session.now
    return {
        "servers": servers,
        "fps": count / wall,
        "cpu_share": cpu / wall,
        "ms_per_frame": 1000 * cpu / max(count, 1),
        "lagging": lagging,
        "sim_time": now,
    }


def memory(servers: int = 32, hours: float = 1.0, speed: float = 100.0) -> list[tuple[float, float, float]]:
    """(simulated minutes, Python heap MiB, peak RSS MiB) every 5 simulated minutes."""
    session = LabSession(setup_for(servers), speed=speed)
    tracemalloc.start()
    samples = []
    frame = 1 / 30
    next_mark = 0.0
    while session.now < hours * 3600:
        session.tick(frame)
        if session.now >= next_mark:
            heap = tracemalloc.get_traced_memory()[0] / 2**20
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            samples.append((session.now / 60, heap, rss))
            next_mark += 300
    tracemalloc.stop()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="wall seconds measured per size")
    parser.add_argument("--sizes", default="8,32,128,256")
    parser.add_argument("--speed", type=float, default=1.0, help="playback speed during the frame test")
    parser.add_argument("--compare", action="store_true", help="two algorithms side by side")
    parser.add_argument("--memory-only", action="store_true")
    parser.add_argument("--frames-only", action="store_true")
    args = parser.parse_args()
    if not args.memory_only:
        print(f"frames: LabScreen headless at 160x50, speed {args.speed:g}×, load {TARGET_LOAD:.0%}"
              + (", compare mode" if args.compare else ""))
        print(f"{'servers':>8} {'fps':>6} {'CPU of one core':>16} {'ms CPU/frame':>13} {'lagging':>8}")
        for n in (int(x) for x in args.sizes.split(",")):
            r = asyncio.run(frames(n, args.seconds, args.speed, args.compare))
            print(f"{n:>8} {r['fps']:>6.1f} {r['cpu_share']:>15.0%} {r['ms_per_frame']:>13.1f} {str(r['lagging']):>8}")
    if not args.frames_only:
        print("memory: 32 servers, one simulated hour at 100× (3.33 simulated s per frame)")
        print(f"{'sim min':>8} {'heap MiB':>9} {'peak RSS MiB':>13}")
        started = time.perf_counter()
        for minutes, heap, rss in memory():
            print(f"{minutes:>8.0f} {heap:>9.2f} {rss:>13.1f}")
        print(f"(took {time.perf_counter() - started:.0f} s of wall time)")


if __name__ == "__main__":
    main()
