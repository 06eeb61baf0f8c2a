"""Start-up: `lbtutor` to its usable course map, against an empty Textual app's first frame.

    python benchmarks/startup.py            # 10 starts of each, alternating
    python benchmarks/startup.py --runs 20

Each start is a fresh Python process in a pseudo-terminal (100x30), so both pay for the
interpreter, the imports and a real terminal driver; byte-code is cached, as it is for an
installed package. For the empty app the moment is its first frame, Textual's own `Ready` event
("the DOM is ready and the first frame has been displayed"). For lbtutor it is the first frame
that shows the course map with its lessons listed (not "Loading lessons…"): the frame after the
map's rows are filled. At that moment the process writes the time to a file and exits. The
figure is the ratio of the medians, measured in one run so a busy machine slows both alike.
Aim: lbtutor's usable map within 1.25x of the empty app's first frame. For scale it also starts
a plain Textual app with the course map's widgets (header, table, button, footer).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

PYCACHE = str(Path(tempfile.gettempdir()) / "lbtutor-startup-pycache")

CHILD = r"""
import os, sys, time
from textual.app import App

marker = sys.argv[2]

def on_ready(self):
    with open(marker, "w") as f:
        f.write(repr(time.time()))
    self.exit()

if sys.argv[1] == "lbtutor":
    from lbtutor.ui.screens.home import HomeScreen
    from lbtutor.ui.widgets.course_map import CourseMap

    def has_rows(app):
        return any(isinstance(s, HomeScreen) and s.query(CourseMap) and s.query_one(CourseMap).row_count
                   for s in app.screen_stack)

    def first_frame(self):  # the first frame: report it if it shows the map's rows already
        self._framed = True
        if has_rows(self) and not getattr(self, "_reported", False):
            self._reported = True
            on_ready(self)

    shown = HomeScreen.refresh_progress

    def refresh_progress(self):  # rows filled after the first frame: report the frame that draws them
        shown(self)
        app = self.app
        if getattr(app, "_framed", False) and has_rows(app) and not getattr(app, "_reported", False):
            app._reported = True
            self.call_after_refresh(lambda: on_ready(app))

    App.on_ready = first_frame
    HomeScreen.refresh_progress = refresh_progress
    from lbtutor.cli import main
    sys.argv = ["lbtutor", "--data-dir", sys.argv[3]]
    sys.exit(main())
elif sys.argv[1] == "widgets":  # the course map's widgets, nothing of lbtutor
    from textual.widgets import Button, DataTable, Footer, Header, Static

    class Widgets(App):
        BINDINGS = [("c", "bell", "Continue"), ("q", "quit", "Quit")]

        def compose(self):
            yield Header()
            yield Static("Loading lessons")
            yield Button("Start", compact=True)
            table = DataTable(cursor_type="row")
            yield table
            yield Footer()

        def on_mount(self):
            table = self.query_one(DataTable)
            for label in ("Section", "Module", "Read", "Checks", "Time"):
                table.add_column(label)

    App.on_ready = on_ready
    Widgets().run()
else:
    App.on_ready = on_ready  # the empty app's first frame
    App().run()
"""


def start_once(which: str, data_dir: str) -> float:
    """Seconds from spawning the process to its first frame."""
    with tempfile.TemporaryDirectory() as tmp:
        marker = Path(tmp) / "frame"
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
        # Byte-code cached as an installed package has it (in a folder of its own, not the repo).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = PYCACHE

        def drain() -> None:  # read what the app draws, so it never blocks on a full terminal
            while True:
                try:
                    if not os.read(master, 65536):
                        return
                except OSError:
                    return

        started = time.time()
        proc = subprocess.Popen([sys.executable, "-c", CHILD, which, str(marker), data_dir],
                                stdin=slave, stdout=slave, stderr=subprocess.PIPE, env=env)  # fmt: skip
        os.close(slave)
        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            _out, err = proc.communicate(timeout=60)
        finally:
            os.close(master)
        if not marker.exists():
            raise RuntimeError(f"{which} never drew a frame (exit {proc.returncode}): {err.decode()[-2000:]}")
        return float(marker.read_text()) - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="starts of each app (default 10)")
    args = parser.parse_args()
    times: dict[str, list[float]] = {"textual": [], "widgets": [], "lbtutor": []}
    with tempfile.TemporaryDirectory() as data:
        for _ in range(2):  # warm the file cache and compile byte-code for all before timing
            for which in times:
                start_once(which, data)
        for _ in range(args.runs):
            for which in times:
                times[which].append(start_once(which, data))
    empty, widgets, tutor = (statistics.median(times[k]) for k in ("textual", "widgets", "lbtutor"))
    for which, values in times.items():
        print(f"{which:8s} median {1000 * statistics.median(values):6.0f} ms  "
              f"(min {1000 * min(values):.0f}, max {1000 * max(values):.0f}, {len(values)} starts)")
    print(f"lbtutor's usable course map / empty Textual app's first frame: {tutor / empty:.2f}x  (aim: at most 1.25x)")
    print(f"for scale: a Textual app with the course map's widgets / empty app: {widgets / empty:.2f}x; "
          f"lbtutor / that app: {tutor / widgets:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
