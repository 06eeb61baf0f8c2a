"""Key mashing at length: the walk of tests/test_hardening_keys.py for more seeds and events.

    python benchmarks/key_mash.py                  # seeds 0-19, 5,000 events each
    python benchmarks/key_mash.py --seeds 100 --events 20000 --first 1000
    python benchmarks/key_mash.py --burst 0.3   # some keys arrive in bursts, as on a busy machine

Prints one line per seed (events, seconds, screens reached); stops at the first failure with the
seed and the last events before it, so `--first SEED --seeds 1` replays it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_hardening_keys import MashFailure, mash  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="how many seeds (default 20)")
    parser.add_argument("--first", type=int, default=0, help="the first seed (default 0)")
    parser.add_argument("--events", type=int, default=5_000, help="events per seed (default 5000)")
    parser.add_argument("--lessons", type=Path, default=None, help="a lesson folder (default: the bundled one)")
    parser.add_argument("--burst", type=float, default=0.0,
                        help="share of key batches sent all at once, as typed while the app is busy (0-1)")
    parser.add_argument("--keep-going", action="store_true", help="report a failure and go on to the next seed")
    args = parser.parse_args()

    import textual._wait  # as the test does: poll for idle every 2 ms, not every 20 ms

    textual._wait.SLEEP_GRANULARITY = 0.002
    textual._wait.SLEEP_IDLE = 0.0002

    failures = 0
    started = time.perf_counter()
    total = 0
    for seed in range(args.first, args.first + args.seeds):
        with tempfile.TemporaryDirectory() as data:
            try:
                report = asyncio.run(mash(seed, args.events, data_dir=Path(data), lessons_dir=args.lessons,
                                           burst=args.burst, limit=3600))
            except MashFailure as exc:
                failures += 1
                print(f"FAIL {exc}", flush=True)
                if not args.keep_going:
                    return 1
                continue
        total += report.events
        print(f"seed {seed}: {report.events} events in {report.seconds:.1f} s "
              f"({1000 * report.seconds / report.events:.1f} ms each), {report.commands_run} palette commands, "
              f"screens: {', '.join(sorted(report.screens))}", flush=True)
    elapsed = time.perf_counter() - started
    print(f"{args.seeds} seeds, {total} events, {failures} failures, {elapsed:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
