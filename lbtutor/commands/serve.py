"""`lbtutor serve`: the tutor in a web browser, through textual-serve, on this machine by default.

Every browser tab that opens the page gets its own tutor process: the same installed lbtutor
(`python -m lbtutor` with this interpreter), with the same --lessons and --data-dir. Stopping the
server (Ctrl+C, SIGTERM, SIGHUP) ends every tutor process it started before it returns.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import ipaddress
import os
import shlex
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
STOP_GRACE = 3.0  # seconds a tutor process gets to quit after SIGTERM before SIGKILL


def add_parser(sub) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the tutor to a web browser (on this machine only, unless told otherwise)",
        description="Serve the tutor in a web browser through textual-serve. Each browser tab gets its own "
        "tutor. Binds 127.0.0.1 unless --host says otherwise; Ctrl+C stops the server and every tutor it started.",
    )
    p.add_argument("--host", default=DEFAULT_HOST, metavar="HOST",
                   help=f"address to listen on (default {DEFAULT_HOST}: this machine only)")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT, metavar="PORT", help=f"port to listen on (default {DEFAULT_PORT})")
    p.add_argument("--public-url", metavar="URL",
                   help="the address browsers use to reach the server, if not http://HOST:PORT (e.g. behind a proxy)")
    from lbtutor.cli import add_display_options, add_folder_options

    add_folder_options(p, subcommand=True)  # every tab's tutor uses these folders
    add_display_options(p, subcommand=True)  # ... and these display options


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1 to 65535)")
    return port


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def tutor_command(
    lessons: str | None, data_dir: str | None, *, present: bool = False, fps: int | None = None
) -> str:
    """The shell command each browser tab runs: this interpreter's lbtutor, same folders and
    display options (`lbtutor --present --fps 10 serve` serves a presenter-mode tutor)."""
    argv = [sys.executable, "-m", "lbtutor"]
    if lessons:
        argv += ["--lessons", str(Path(lessons).resolve())]
    if data_dir:
        argv += ["--data-dir", str(Path(data_dir).resolve())]
    if present:
        argv.append("--present")
    if fps is not None:
        argv += ["--fps", str(fps)]
    argv.append("tutor")
    # `exec`: the shell becomes the tutor, so the process the server started is the tutor itself.
    return "exec " + shlex.join(argv)


def _fail(message: str) -> int:
    print(f"lbtutor serve: error: {message}", file=sys.stderr)
    return 2


def run(args) -> int:
    lessons = getattr(args, "lessons", None)
    if lessons and not Path(lessons).is_dir():
        return _fail(f"--lessons {lessons}: no such folder")
    if importlib.util.find_spec("textual_serve") is None:
        return _fail("textual-serve is not installed (pip install textual-serve)")
    problem = _check_bind(args.host, args.port)
    if problem:
        return _fail(problem)
    if not is_loopback(args.host):
        print(
            f"lbtutor serve: warning: listening on {args.host}, not only this machine: anyone who can reach "
            f"port {args.port} gets a tutor, with no password, reading and writing this machine's progress file.",
            file=sys.stderr,
        )
    command = tutor_command(
        lessons, getattr(args, "data_dir", None),
        present=bool(getattr(args, "present", False)), fps=getattr(args, "fps", None),
    )
    return _serve(command, args.host, args.port, args.public_url)


def _check_bind(host: str, port: int) -> str | None:
    """A sentence saying why the server could not listen on host:port, or None if it can."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"--host {host}: {exc.strerror or exc}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return f"cannot listen on {host} port {port}: {exc.strerror or exc}"
    return None


def _serve(command: str, host: str, port: int, public_url: str | None) -> int:
    from lbtutor.commands.serve_server import TutorServer

    with tempfile.TemporaryDirectory(prefix="lbtutor-serve-") as templates:
        server = TutorServer(command, host=host, port=port, public_url=public_url, templates=Path(templates))
        previous = signal.signal(signal.SIGHUP, _hang_up) if hasattr(signal, "SIGHUP") else None
        try:
            server.serve()
        except OSError as exc:
            return _fail(f"cannot listen on {host} port {port}: {exc.strerror or exc}")
        finally:
            stop_processes(descendants(os.getpid()))
            if previous is not None:
                signal.signal(signal.SIGHUP, previous)
    print("lbtutor serve: stopped; every tutor it started has ended.", file=sys.stderr)
    return 0


def _hang_up(signum, frame) -> None:
    """The terminal went away: stop as on Ctrl+C."""
    from aiohttp.web_runner import GracefulExit

    raise GracefulExit()


# ------------------------------------------------------------------ child processes
def descendants(pid: int) -> list[int]:
    """Every living process below `pid` (children, grandchildren, ...), nearest first."""
    children: dict[int, list[int]] = {}
    for child, parent in _parent_links():
        children.setdefault(parent, []).append(child)
    found: list[int] = []
    frontier = [pid]
    while frontier:
        nxt = []
        for p in frontier:
            for c in children.get(p, []):
                if c not in found:
                    found.append(c)
                    nxt.append(c)
        frontier = nxt
    return found


def _parent_links() -> list[tuple[int, int]]:
    proc = Path("/proc")
    links = []
    if proc.is_dir():
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # it ended while we looked
                continue
            # pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'
            fields = stat[stat.rindex(")") + 2 :].split()
            if fields[0] != "Z":
                links.append((int(entry.name), int(fields[1])))
        return links
    import subprocess

    out = subprocess.run(["ps", "-A", "-o", "pid=,ppid=,stat="], capture_output=True, text=True, check=False).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and not parts[2].startswith("Z"):
            links.append((int(parts[0]), int(parts[1])))
    return links


def stop_processes(pids: list[int], grace: float = STOP_GRACE) -> None:
    """SIGTERM each process, give them `grace` seconds together, then SIGKILL what is left."""
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if _alive(pid)]
        if alive:
            time.sleep(0.05)
    for pid in alive:
        _signal(pid, signal.SIGKILL)


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signum)


def _alive(pid: int) -> bool:
    """Running (a zombie has ended: its parent's child watcher collects it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            text = stat.read_text()
            return text[text.rindex(")") + 2] != "Z"
        except (OSError, IndexError):
            return False
    return True
