"""The parent's side of the backends: start their process, read their counters, switch modes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys

from lbtutor.real.ownership import Ownership, within

START_TIMEOUT = 15.0  # seconds for the backends' process to bind and say so
BREAK_MODES = ("refuse", "hang", "app-error", "slow")  # what --break NAME=MODE@T accepts
SLOW_FACTOR = 4.0  # "slow" without a factor: service times x 4


class BackendError(RuntimeError):
    """The backends could not start or answer; the message says why, in one line."""


class Backends:
    """N servers in one child process; `ports` maps each name to its port on 127.0.0.1."""

    def __init__(self, owner: Ownership, names: list[str], *, workers: int, service_dist: str,
                 service_mean: float, seed: int) -> None:
        self.owner = owner
        self.names = list(names)
        self.setup = {
            "names": self.names, "workers": workers, "service_dist": service_dist,
            "service_mean": service_mean, "seed": seed, "control": str(owner.dir / "backends.sock"),
        }
        self.ports: dict[str, int] = {}
        self.proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        self.proc = await self.owner.spawn(
            [sys.executable, "-m", "lbtutor.real.backend_host", json.dumps(self.setup)],
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            line = await within(START_TIMEOUT, self.proc.stdout.readline())
        except TimeoutError:
            raise BackendError(f"the backends did not start within {START_TIMEOUT:g} s") from None
        if not line:
            err = (await self.proc.stderr.read()).decode(errors="replace").strip().splitlines()
            raise BackendError("the backends' process ended at start: " + (err[-1] if err else "no message"))
        hello = json.loads(line)
        if "error" in hello:
            raise BackendError(hello["error"])
        self.ports = hello["ports"]
        self._reader, self._writer = await asyncio.open_unix_connection(self.setup["control"])

    async def _ask(self, command: dict) -> dict:
        if self._writer is None:
            raise BackendError("the backends are not running")
        async with self._lock:
            try:
                self._writer.write(json.dumps(command).encode() + b"\n")
                await self._writer.drain()
                line = await within(5.0, self._reader.readline())
            except (ConnectionError, TimeoutError) as exc:
                raise BackendError(f"the backends stopped answering ({exc.__class__.__name__})") from None
        if not line:
            raise BackendError("the backends' process has ended")
        reply = json.loads(line)
        if "error" in reply:
            raise BackendError(reply["error"])
        return reply

    async def stats(self) -> dict:
        """{"now": monotonic time, "servers": [per-server counters]}."""
        return await self._ask({"op": "stats"})

    async def latencies(self) -> dict[str, list[float]]:
        """Every server-side latency each server has recorded (for the end of a run)."""
        return (await self._ask({"op": "latencies"}))["servers"]

    async def set_mode(self, name: str, mode: str, factor: float = SLOW_FACTOR) -> None:
        await self._ask({"op": "mode", "server": name, "mode": mode, "factor": factor})

    async def stop(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(BackendError):
                await self._ask({"op": "stop"})
            self._writer.close()
            self._writer = None
        if self.proc is not None:
            await self.owner.stop(self.proc)
            self.proc = None
