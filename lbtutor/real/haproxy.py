"""HAProxy: its config for a setup, running it in the foreground, reloading it, reading its view.

The view comes from the stats socket's `show stat` (CSV): each server's status as HAProxy
itself reports it (UP, DOWN, "UP 1/3" while it is failing checks, "DOWN 1/2" while it is
passing them, MAINT), its check status, current sessions and slow-start throttle.
A reload starts a new HAProxy that takes the listening socket over from the old one through the
stats socket (`-x`, `expose-fd listeners`) and tells it to finish its sessions and leave (`-sf`):
no connection is refused or dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
from dataclasses import dataclass

from lbtutor.real import algorithms
from lbtutor.real.binaries import require, version
from lbtutor.real.ownership import Ownership, exit_words, within
from lbtutor.real.setup import RealSetup
from lbtutor.sim.health import hung_probe_wait

START_TIMEOUT = 10.0
CONNECT_TIMEOUT = 1.0  # seconds lbtutor waits for the stats socket
SERVER_CONNECT = 1.0  # the config's `timeout connect`, seconds


@dataclass(frozen=True)
class ServerStatus:
    """One server as the balancer sees it."""

    name: str
    status: str  # the balancer's own words: UP, DOWN, UP 1/3, DOWN 1/2, MAINT, no check
    up: bool  # in rotation
    check: str = ""  # the last check's result, e.g. L7OK, L4CON, L7TOUT, L7STS
    sessions: int | None = None  # current sessions (HAProxy) or None when the balancer does not say
    throttle: int | None = None  # slow start: percent of its weight in use
    since: float | None = None  # time.monotonic() of its last up/down change, when the balancer says


def _duration(seconds: float) -> str:
    """HAProxy's time syntax, in milliseconds when not a whole second: 2s, 1500ms."""
    ms = round(seconds * 1000)
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def probe_wait(setup: RealSetup) -> float:
    """How long HAProxy 2.6 lets an http check wait for a server that accepts and never answers.

    Without `timeout check`: `inter` (the whole check). With it, measured on 2.6.12 and read in
    src/tcpcheck.c: the check task is queued to wake at min(inter, timeout connect) when the
    connection starts; `timeout check` moves the expiry once connected but does not requeue the
    task, so the probe fails at max(timeout check, min(inter, timeout connect)). (inter 2 s,
    timeout connect 1 s: timeout check 0.3 s waits 1 s; 1.5 s waits 1.5 s.)"""
    return hung_probe_wait(setup.check_interval, setup.check_timeout, SERVER_CONNECT)


def config(setup: RealSetup, *, port: int, server_ports: dict[str, int], socket_path: str,
           version: str = "2.6") -> str:
    """The whole haproxy.cfg for `setup`: runs as is with `haproxy -db -f haproxy.cfg`."""
    algorithms.check("haproxy", setup.algorithm)
    lines = [
        f"# HAProxy {version} config written by lbtutor: {setup.algorithm} over "
        f"{setup.server_count} servers, health checks every {setup.check_interval:g} s.",
        "# Check it: haproxy -c -f haproxy.cfg    Run it: haproxy -db -f haproxy.cfg",
        "global",
        "    nbthread 1  # one thread, one scheduler: the pick order is reproducible",
        "    maxconn 4096",
        f"    stats socket {socket_path} mode 600 level admin expose-fd listeners",
        "",
        "defaults",
        "    mode http",
        f"    timeout connect {_duration(SERVER_CONNECT)}",
        "    timeout client 30s",
        f"    timeout server {_duration(setup.request_timeout)}  "
        "# a request a server never answers fails after this (504)",
    ]
    if setup.check_timeout is not None:
        lines.append(f"    timeout check {_duration(setup.check_timeout)}  "
                     "# a probe waits this long for its answer (unset: inter)")
        if probe_wait(setup) > setup.check_timeout:
            lines.append(f"    # HAProxy 2.6 wakes a check first at min(inter, timeout connect): a hung "
                         f"server's probe fails after {probe_wait(setup):g} s, not {setup.check_timeout:g}")
    lines += [
        "    retries 0  # a refused connection fails the request at once (the default, 3, retries 1 s apart)",
        "",
        "frontend lab",
        f"    bind 127.0.0.1:{port}",
        "    default_backend servers",
        "",
        "backend servers",
        *(f"    {line}" for line in algorithms.HAPROXY[setup.algorithm]),
    ]
    if setup.check == "http":
        lines.append("    option httpchk GET /health  # http check: a 2xx from /health passes")
    server_opts = [f"inter {_duration(setup.check_interval)}", f"fall {setup.fall}", f"rise {setup.rise}"]
    if setup.slowstart:
        server_opts.append(f"slowstart {_duration(setup.slowstart)}")
    lines.append("    default-server check " + " ".join(server_opts))
    for name, weight in zip(setup.names, setup.weight_list, strict=True):
        lines.append(f"    server {name} 127.0.0.1:{server_ports[name]} weight {weight}")
    return "\n".join(lines) + "\n"


def parse_stat(text: str, names: list[str]) -> dict[str, ServerStatus]:
    """`show stat` CSV -> the backend's servers, by name."""
    if text.startswith("# "):
        text = text[2:]
    out = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row.get("pxname") != "servers" or row.get("svname") not in names:
            continue
        status = row.get("status", "")
        out[row["svname"]] = ServerStatus(
            name=row["svname"],
            status=status,
            up=status.startswith("UP") or status == "no check",
            check=row.get("check_status", "") or "",
            sessions=_int(row.get("scur")),
            throttle=_int(row.get("throttle")),
        )
    return out


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text not in (None, "") else None
    except ValueError:
        return None


class HAProxy:
    """HAProxy run by lbtutor: `start`, `reload`, `view`, `stop`."""

    name = "haproxy"

    def __init__(self, owner: Ownership, setup: RealSetup, *, port: int, server_ports: dict[str, int]) -> None:
        self.owner = owner
        self.binary = require("haproxy")
        self.setup = setup
        self.port = port
        self.server_ports = server_ports
        self.socket = str(owner.dir / "haproxy.sock")
        self.cfg = owner.dir / "haproxy.cfg"
        self.proc: asyncio.subprocess.Process | None = None
        self.leaving: list[asyncio.subprocess.Process] = []  # old processes finishing after a reload
        self.config_text = ""
        self.reloads = 0
        self.version = version("haproxy", self.binary)
        self._reloading = False  # a new process is taking over: the old one's exit is no news

    def write_config(self, setup: RealSetup) -> None:
        self.setup = setup
        self.config_text = config(setup, port=self.port, server_ports=self.server_ports,
                                  socket_path=self.socket, version=self.version)
        self.cfg.write_text(self.config_text)

    async def start(self) -> None:
        self.write_config(self.setup)
        self.proc = await self._launch([])

    async def _launch(self, extra: list[str]) -> asyncio.subprocess.Process:
        proc = await self.owner.spawn(
            [self.binary, "-db", "-f", str(self.cfg), *extra],
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        deadline = asyncio.get_running_loop().time() + START_TIMEOUT
        while True:
            if proc.returncode is not None:
                message = await _last_line(proc)
                await self.owner.stop(proc)
                raise BalancerFailed(f"haproxy did not start: {message}")
            # after a reload the socket must be the new process's, not the old one's
            if await self._stats_answer() is not None and (not extra or await self.pid() == proc.pid):
                break
            if asyncio.get_running_loop().time() > deadline:
                await self.owner.stop(proc)
                raise BalancerFailed(f"haproxy did not answer on its stats socket within {START_TIMEOUT:g} s")
            await asyncio.sleep(0.02)
        # keep draining stderr so a chatty HAProxy never blocks on a full pipe
        asyncio.get_running_loop().create_task(_drain(proc))
        return proc

    async def reload(self, setup: RealSetup) -> None:
        """New config, new process; the old one hands over its listener and finishes its sessions."""
        old = self.proc
        self.write_config(setup)
        self._reloading = True
        try:
            self.proc = await self._launch(["-x", self.socket, "-sf", str(old.pid)])
        finally:
            self._reloading = False
        self.reloads += 1
        self.leaving.append(old)
        asyncio.get_running_loop().create_task(self._reap(old))

    def gone(self) -> str | None:
        """How the balancer's process ended ("killed by SIGKILL"), or None while it runs (the old
        process of a reload leaving is not the balancer going)."""
        return None if self._reloading else exit_words(self.proc)

    async def _reap(self, old: asyncio.subprocess.Process) -> None:
        with contextlib.suppress(TimeoutError):
            await within(self.setup.request_timeout + 5, old.wait())
        await self.owner.stop(old)
        if old in self.leaving:
            self.leaving.remove(old)

    async def _stats_answer(self, command: str = "show stat") -> str | None:
        try:
            reader, writer = await within(CONNECT_TIMEOUT, asyncio.open_unix_connection(self.socket))
        except (OSError, TimeoutError):
            return None
        try:
            writer.write(command.encode() + b"\n")
            await writer.drain()
            data = await within(CONNECT_TIMEOUT, reader.read())
        except (OSError, TimeoutError):
            return None
        finally:
            writer.close()
        return data.decode(errors="replace")

    async def view(self) -> dict[str, ServerStatus]:
        text = await self._stats_answer()
        return parse_stat(text, self.setup.names) if text else {}

    async def pid(self) -> int | None:
        text = await self._stats_answer("show info")
        for line in (text or "").splitlines():
            if line.startswith("Pid:"):
                return int(line.split(":")[1])
        return None

    async def stop(self) -> None:
        for proc in [*self.leaving, self.proc]:
            if proc is not None:
                await self.owner.stop(proc)
        self.proc = None
        self.leaving.clear()


class BalancerFailed(RuntimeError):
    """The balancer did not start (its own message is in ours)."""


async def _last_line(proc: asyncio.subprocess.Process) -> str:
    if proc.stderr is None:
        return f"exit status {proc.returncode}"
    try:
        err = await within(2.0, proc.stderr.read())
    except TimeoutError:
        err = b""
    lines = [ln.strip() for ln in err.decode(errors="replace").splitlines() if ln.strip()]
    alerts = [ln for ln in lines if "ALERT" in ln or "emerg" in ln] or lines
    return alerts[0] if alerts else f"exit status {proc.returncode}"


async def _drain(proc: asyncio.subprocess.Process) -> None:
    if proc.stderr is None:
        return
    try:
        while await proc.stderr.read(65536):
            pass
    except (OSError, ValueError):
        pass
