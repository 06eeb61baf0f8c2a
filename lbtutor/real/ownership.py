"""Owning child processes: each in its own process group, stopped on every exit path.

A real run starts backends and a balancer. They must never outlive lbtutor, however it ends:

  * normal exit, an exception, ctrl+c, SIGTERM: `aclose()` (or `close()`) stops every group;
  * SIGKILL of lbtutor, or a crash that skips every `finally`: two independent guards.
    - each child asks the kernel for SIGKILL when its parent dies (`prctl(PR_SET_PDEATHSIG)`,
      set by a tiny trampoline in the child before it execs the real program; the kernel ties it
      to the thread that forked, so a run forks from the one thread that drives it);
    - a watchdog process, in its own session, reads a pipe from lbtutor; at end-of-file (lbtutor
      is gone) it stops every process group it was told about and removes the temp dir.

Everything a run writes (configs, sockets, logs, pid files) lives in one temp dir.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

TEMP_PREFIX = "lbtutor-real-"
STOP_GRACE = 2.0  # seconds a group gets after SIGTERM before SIGKILL

# Runs in the child before exec: die with the parent, unless the parent is already gone.
_TRAMPOLINE = r"""
import ctypes, os, signal, sys
PR_SET_PDEATHSIG = 1
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
    sys.exit("lbtutor: prctl(PR_SET_PDEATHSIG) failed: " + os.strerror(ctypes.get_errno()))
if os.getppid() != int(sys.argv[1]):
    sys.exit(0)
os.execv(sys.argv[2], sys.argv[2:])
"""

# Reads "+PGID" / "-PGID" lines; at end of file stops the groups still listed, removes the dir.
_WATCHDOG = r"""
import os, shutil, signal, sys, time
for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
    signal.signal(sig, signal.SIG_IGN)
tmp, groups = sys.argv[1], set()
for line in sys.stdin:
    line = line.strip()
    if line[:1] == "+":
        groups.add(int(line[1:]))
    elif line[:1] == "-":
        groups.discard(int(line[1:]))
def alive(group):
    try:
        os.killpg(group, 0)
        return True
    except OSError:
        return False
for group in groups:
    try:
        os.killpg(group, signal.SIGTERM)
    except OSError:
        pass
deadline = time.monotonic() + 2.0
while any(alive(g) for g in groups) and time.monotonic() < deadline:
    time.sleep(0.05)
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
shutil.rmtree(tmp, ignore_errors=True)
"""


def exit_words(proc: asyncio.subprocess.Process | None) -> str | None:
    """How an owned process ended, in words ("killed by SIGKILL", "exit status 1"); None while it
    runs (or before it started)."""
    if proc is None or proc.returncode is None:
        return None
    code = proc.returncode
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exit status {code}"


async def within(seconds: float, awaitable):
    """`await awaitable`, or TimeoutError after `seconds`. Not asyncio.wait_for: in Python 3.11 a
    wait_for whose inner future finishes as it is cancelled swallows the cancellation, and a
    watcher loop cancelled that way polls on forever (a run's close then never returned)."""
    async with asyncio.timeout(seconds):
        return await awaitable


class Ownership:
    """A temp dir and the process groups started for one real run."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
        # nginx's workers drop to an unprivileged user when it runs as root; they must reach
        # their temp paths inside this dir (nothing here is secret: configs and logs).
        self.dir.chmod(0o711)
        self.children: list[asyncio.subprocess.Process] = []
        self._closed = False
        self._watchdog = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _WATCHDOG, str(self.dir)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, text=True,
        )

    def _tell(self, line: str) -> None:
        pipe = self._watchdog.stdin
        if pipe is None or pipe.closed:
            return
        try:
            pipe.write(line + "\n")
            pipe.flush()
        except (BrokenPipeError, ValueError):
            pass

    async def spawn(self, argv: list[str], **kwargs) -> asyncio.subprocess.Process:
        """Start `argv` in its own session (its own process group), owned by this run."""
        if self._closed:
            raise RuntimeError("this run is already stopped")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-I", "-S", "-c", _TRAMPOLINE, str(os.getpid()), *argv,
            start_new_session=True, **kwargs,
        )
        self.children.append(proc)
        self._tell(f"+{proc.pid}")
        return proc

    async def stop(self, proc: asyncio.subprocess.Process, grace: float = STOP_GRACE) -> None:
        """SIGTERM to the child's group; SIGKILL if it is still there after `grace` seconds."""
        if proc.returncode is None:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                await within(grace, proc.wait())
            except TimeoutError:
                _signal_group(proc.pid, signal.SIGKILL)
                with contextlib.suppress(TimeoutError):
                    await within(grace, proc.wait())
        # the leader is gone; anything it left in its group goes too
        _signal_group(proc.pid, signal.SIGKILL)
        self._tell(f"-{proc.pid}")
        if proc in self.children:
            self.children.remove(proc)

    async def aclose(self) -> None:
        """Stop every child (in parallel), then the watchdog, then remove the temp dir."""
        if self._closed:
            return
        await asyncio.gather(*(self.stop(p) for p in list(self.children)), return_exceptions=True)
        self.close()

    def close(self) -> None:
        """Last resort, without an event loop: SIGKILL every group, remove the temp dir."""
        if self._closed:
            return
        self._closed = True
        for proc in self.children:
            _signal_group(proc.pid, signal.SIGKILL)
        self.children.clear()
        if self._watchdog.stdin is not None:
            with contextlib.suppress(OSError, ValueError):
                self._watchdog.stdin.close()  # end of file: the watchdog finds nothing left to stop
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._watchdog.wait(timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
