"""nginx: its config for a setup, running it in the foreground, reloading it, reading its view.

Open-source nginx checks health passively only: a server whose attempts fail (`error`,
`timeout`; a 500 only if `proxy_next_upstream` lists http_500) `max_fails` times is skipped
for `fail_timeout` seconds, then tried with one request. It has no status page per server, so
its view is read from what it logs:

  * the error log (level warn) says "upstream server temporarily disabled" the moment a server
    reaches max_fails: that is DOWN, in nginx's own words;
  * the access log records every request's attempts ($upstream_addr, $upstream_status): a
    failed attempt counts towards max_fails, a success after DOWN means it is back (UP).

A reload is `nginx -s reload`: SIGHUP to the master, which starts new workers with the new
config and lets the old ones finish their requests.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from dataclasses import dataclass, field

from lbtutor.real import algorithms
from lbtutor.real.binaries import require, version
from lbtutor.real.haproxy import BalancerFailed, ServerStatus, _drain, _last_line
from lbtutor.real.ownership import Ownership, exit_words, within
from lbtutor.real.setup import RealSetup

START_TIMEOUT = 10.0
LOG_FORMAT = "$msec|$remote_addr|$upstream_addr|$upstream_status|$status|$upstream_response_time"
_DISABLED = re.compile(r'upstream server temporarily disabled.*?upstream: "http://127\.0\.0\.1:(\d+)')


def config(setup: RealSetup, *, port: int, server_ports: dict[str, int], version: str = "1.22") -> str:
    """The whole nginx.conf for `setup`, paths relative to the prefix:
    runs as is with `nginx -p DIR -c DIR/nginx.conf -g 'daemon off;'`."""
    algorithms.check("nginx", setup.algorithm)
    method = algorithms.NGINX[setup.algorithm]
    t = setup.request_timeout
    lines = [
        f"# nginx {version} config written by lbtutor: {setup.algorithm} over {setup.server_count} servers,",
        f"# passive health checks only (max_fails={setup.max_fails}, fail_timeout={setup.fail_timeout:g}s).",
        "# Check it: nginx -t -p DIR -c DIR/nginx.conf    Run it: nginx -p DIR -c DIR/nginx.conf -g 'daemon off;'",
        "worker_processes 1;  # one worker: each worker keeps its own round-robin state",
        "pid nginx.pid;",
        "error_log error.log warn;  # warn: \"upstream server temporarily disabled\" is how nginx says a server is out",
        "events { worker_connections 4096; }",
        "",
        "http {",
        f"    log_format lab '{LOG_FORMAT}';",
        "    access_log access.log lab;",
        "    client_body_temp_path client_body_temp;",
        "    proxy_temp_path proxy_temp;",
        "    fastcgi_temp_path fastcgi_temp;",
        "    uwsgi_temp_path uwsgi_temp;",
        "    scgi_temp_path scgi_temp;",
        "",
        "    upstream servers {",
    ]
    if method:
        lines.append(f"        {method}")
    else:
        lines.append("        # no directive: nginx's default, smooth weighted round robin")
    for name, weight in zip(setup.names, setup.weight_list, strict=True):
        lines.append(f"        server 127.0.0.1:{server_ports[name]} weight={weight} "
                     f"max_fails={setup.max_fails} fail_timeout={int(setup.fail_timeout)}s;  # {name}")
    lines += [
        "        keepalive 32;  # reuse connections to the servers (after the method, as nginx asks)",
        "    }",
        "",
        "    server {",
        f"        listen 127.0.0.1:{port};",
        "        location / {",
        "            proxy_pass http://servers;",
        "            proxy_http_version 1.1;",
        '            proxy_set_header Connection "";',
        "            proxy_connect_timeout 1s;",
        f"            proxy_read_timeout {t:g}s;  # a request a server never answers fails after this",
        "            # nginx's default, written out: a refused or timed-out attempt counts as a",
        "            # failure and is retried on the next server; a 500 is passed to the client",
        "            proxy_next_upstream error timeout;",
        "        }",
        "    }",
        "}",
    ]
    return "\n".join(lines) + "\n"


@dataclass
class PeerLog:
    """What nginx's logs say about one server."""

    name: str
    fails: int = 0  # failed attempts since its last success
    down_since: float | None = None  # monotonic time nginx disabled it, None while up
    served: int = 0
    failed_attempts: int = 0
    changes: list[tuple[float, str]] = field(default_factory=list)


class Nginx:
    """nginx run by lbtutor: `start`, `reload`, `view`, `stop`."""

    name = "nginx"

    def __init__(self, owner: Ownership, setup: RealSetup, *, port: int, server_ports: dict[str, int]) -> None:
        self.owner = owner
        self.binary = require("nginx")
        self.setup = setup
        self.port = port
        self.server_ports = server_ports
        self.prefix = owner.dir / "nginx"
        self.prefix.mkdir(mode=0o755, exist_ok=True)
        self.cfg = self.prefix / "nginx.conf"
        self.proc: asyncio.subprocess.Process | None = None
        self.config_text = ""
        self.reloads = 0
        self.version = version("nginx", self.binary)
        self.by_port = {port_: name for name, port_ in server_ports.items()}
        self.peers = {name: PeerLog(name) for name in setup.names}
        self._offsets = {"access.log": 0, "error.log": 0}
        self._partial = {"access.log": b"", "error.log": b""}
        self._wall_to_mono = time.time() - time.monotonic()
        self.on_change = None  # called as on_change(name, up, monotonic time)

    def write_config(self, setup: RealSetup) -> None:
        self.setup = setup
        self.config_text = config(setup, port=self.port, server_ports=self.server_ports, version=self.version)
        self.cfg.write_text(self.config_text)

    def _argv(self, *extra: str) -> list[str]:
        return [self.binary, "-p", str(self.prefix) + "/", "-c", str(self.cfg), *extra]

    async def start(self) -> None:
        self.write_config(self.setup)
        proc = await self.owner.spawn(
            self._argv("-g", "daemon off;"),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        while not (self._pid() == proc.pid and await _accepts(self.port)):
            if proc.returncode is not None:
                message = await _last_line(proc)
                await self.owner.stop(proc)
                raise BalancerFailed(f"nginx did not start: {_without_prefix(message)}")
            if loop.time() > deadline:
                await self.owner.stop(proc)
                raise BalancerFailed(f"nginx did not accept connections within {START_TIMEOUT:g} s")
            await asyncio.sleep(0.02)
        loop.create_task(_drain(proc))
        self.proc = proc

    def gone(self) -> str | None:
        """How nginx's master process ended ("killed by SIGKILL"), or None while it runs (a
        reload keeps the master)."""
        return exit_words(self.proc)

    async def reload(self, setup: RealSetup) -> None:
        """`nginx -s reload`: SIGHUP to the master (its pid is in nginx.pid)."""
        self.write_config(setup)
        os.kill(self.proc.pid, signal.SIGHUP)
        self.reloads += 1
        # the new workers start with fresh state: no server is disabled any more
        for peer in self.peers.values():
            peer.fails = 0
            if peer.down_since is not None:
                self._mark(peer, up=True, at=time.monotonic())

    def _pid(self) -> int | None:
        """The master's pid from nginx.pid: written only once every listener is bound."""
        try:
            return int((self.prefix / "nginx.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    # ---------------------------------------------------------------- the view
    def _new_lines(self, name: str) -> list[str]:
        path = self.prefix / name
        try:
            with open(path, "rb") as f:
                f.seek(self._offsets[name])
                data = f.read()
        except FileNotFoundError:
            return []
        self._offsets[name] += len(data)
        data = self._partial[name] + data
        *lines, self._partial[name] = data.split(b"\n")
        return [ln.decode(errors="replace") for ln in lines]

    def read_logs(self) -> None:
        """Take in what nginx logged since the last call (error log first: DOWN is said there)."""
        now = time.monotonic()
        for line in self._new_lines("error.log"):
            m = _DISABLED.search(line)
            if m and (name := self.by_port.get(int(m.group(1)))):
                self._mark(self.peers[name], up=False, at=now)
        for line in self._new_lines("access.log"):
            self._access(line)

    def _access(self, line: str) -> None:
        parts = line.split("|")
        if len(parts) != 6:
            return
        msec, _client, addrs, statuses, _status, _times = parts
        try:
            at = float(msec) - self._wall_to_mono
        except ValueError:
            return
        for addr, status in zip(addrs.split(", "), statuses.split(", "), strict=False):
            name = self.by_port.get(_port(addr))
            if name is None:
                continue
            peer = self.peers[name]
            if status.strip().startswith(("502", "504")):
                peer.fails += 1
                peer.failed_attempts += 1
            else:
                peer.served += 1
                peer.fails = 0
                if peer.down_since is not None and at >= peer.down_since:
                    self._mark(peer, up=True, at=at)

    def _mark(self, peer: PeerLog, *, up: bool, at: float) -> None:
        if up == (peer.down_since is None):
            return
        peer.down_since = None if up else at
        peer.changes.append((at, "UP" if up else "DOWN"))
        if self.on_change:
            self.on_change(peer.name, up, at)

    async def view(self) -> dict[str, ServerStatus]:
        self.read_logs()
        now = time.monotonic()
        out = {}
        for name, peer in self.peers.items():
            if peer.down_since is not None:
                left = self.setup.fail_timeout - (now - peer.down_since)
                status = f"DOWN {left:.0f}s" if left > 0 else "DOWN, next request tries it"
            elif peer.fails:
                status = f"UP, {min(peer.fails, self.setup.max_fails)}/{self.setup.max_fails} fails"
            else:
                status = "UP"
            since = peer.changes[-1][0] if peer.changes else None
            out[name] = ServerStatus(name=name, status=status, up=peer.down_since is None, since=since)
        return out

    async def stop(self) -> None:
        if self.proc is not None:
            await self.owner.stop(self.proc)
            self.proc = None


def _port(addr: str) -> int:
    try:
        return int(addr.strip().rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return -1


def _without_prefix(message: str) -> str:
    return re.sub(r"^nginx: ", "", re.sub(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ", "", message))


async def _accepts(port: int) -> bool:
    try:
        _reader, writer = await within(0.5, asyncio.open_connection("127.0.0.1", port))
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True
