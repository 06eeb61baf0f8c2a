"""Start `lbtutor serve` for a test: a free loopback port, its own process group, always stopped."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

READY_WAIT = 20.0  # seconds the server may take to answer its first page


@dataclass
class Served:
    process: subprocess.Popen
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def group_members(pgid: int) -> list[str]:
    """`ps` lines of every process still in the process group (what a person would check)."""
    out = subprocess.run(["ps", "-A", "-o", "pid=,pgid=,stat=,args="], capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split(None, 3)
        if len(parts) >= 3 and parts[1] == str(pgid) and not parts[2].startswith("Z"):
            rows.append(line.strip())
    return rows


@contextlib.contextmanager
def served_tutor(tmp_path: Path, *extra: str) -> Iterator[Served]:
    """`python -m lbtutor --data-dir ... serve --port FREE`, in a new session so the test can see
    (and in the end kill) everything it started."""
    port = free_port()
    log = tmp_path / "serve.log"
    data = tmp_path / "data"
    env = {**os.environ, "LBTUTOR_HOME": str(tmp_path / "home"), "PYTHONUNBUFFERED": "1", "COLUMNS": "100"}
    cmd = [sys.executable, "-m", "lbtutor", "--data-dir", str(data), "serve", "--port", str(port), *extra]
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=env, start_new_session=True)  # fmt: skip
    served = Served(process, f"http://127.0.0.1:{port}/", log)
    try:
        deadline = time.monotonic() + READY_WAIT
        while True:
            if process.poll() is not None:
                raise AssertionError(f"lbtutor serve exited with {process.returncode}:\n{served.output()}")
            try:
                with urllib.request.urlopen(served.url, timeout=2) as page:
                    if page.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"lbtutor serve did not answer within {READY_WAIT:g} s:\n{served.output()}")
            time.sleep(0.1)
        yield served
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)


def stop_like_ctrl_c(served: Served, timeout: float = 20.0) -> int:
    """SIGINT to the server process alone (the hardest case: its tutors get no signal of their own)."""
    served.process.send_signal(signal.SIGINT)
    return served.process.wait(timeout)
