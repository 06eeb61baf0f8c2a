"""`lbtutor serve`: loopback by default, one line on bad input, and nothing left running after Ctrl+C.

These need no browser: a websocket client stands in for a browser tab (textual-serve starts one
tutor per websocket). tests/test_browser.py drives the real page in Chromium.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from served import group_members, served_tutor, stop_like_ctrl_c

from lbtutor.commands.serve import descendants, is_loopback, tutor_command


def lbtutor(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lbtutor", *args], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("port", ["0", "70000", "http", "-1"])
def test_a_bad_port_exits_2_with_one_line(port):
    result = lbtutor("serve", "--port", port)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "port" in result.stderr


def test_a_port_in_use_exits_2_with_one_line(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = lbtutor("serve", "--port", str(port))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"lbtutor serve: error: cannot listen on 127.0.0.1 port {port}: Address already in use"]


def test_a_missing_lessons_folder_exits_2(tmp_path):
    result = lbtutor("--lessons", str(tmp_path / "nope"), "serve")
    assert result.returncode == 2
    assert "no such folder" in result.stderr


def test_only_loopback_addresses_count_as_this_machine():
    assert all(is_loopback(h) for h in ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST"])
    assert not any(is_loopback(h) for h in ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "teacher.local"])


def test_the_served_command_is_this_interpreters_lbtutor_with_the_same_folders(tmp_path):
    command = tutor_command(str(tmp_path / "my lessons"), str(tmp_path / "data"))
    assert command.startswith("exec " + sys.executable + " -m lbtutor ")
    assert f"--lessons '{tmp_path / 'my lessons'}'" in command
    assert f"--data-dir {tmp_path / 'data'}" in command
    assert command.endswith(" tutor")


def test_the_served_tutor_keeps_presenter_mode_and_frame_rate():
    command = tutor_command(None, None, present=True, fps=10)
    assert command.endswith(" --present --fps 10 tutor")


async def _tabs_then_ctrl_c(served, tabs: int, timeout: float = 20.0) -> tuple[list[list[str]], int, float]:
    """Connect `tabs` websockets as browser tabs would, wait for each tab's first screen, then stop
    the server like Ctrl+C while the tabs are still connected. Returns (tutor pids, exit status)."""
    ws_url = served.url.replace("http://", "ws://") + "ws?width=100&height=30"
    async with aiohttp.ClientSession() as http:
        sockets = [await http.ws_connect(ws_url) for _ in range(tabs)]
        deadline = time.monotonic() + timeout
        for ws in sockets:
            received = 0
            while received < 1000:  # the first screen is several kilobytes
                message = await ws.receive(timeout=max(0.1, deadline - time.monotonic()))
                assert message.type == aiohttp.WSMsgType.BINARY, (message, served.output())
                received += len(message.data)
        tutors = [_command_line(pid) for pid in descendants(served.process.pid)]
        # Like a browser, each tab keeps reading (and so answers the server's closing handshake).
        readers = [asyncio.create_task(_drain(ws)) for ws in sockets]
        started = time.monotonic()
        status = await asyncio.to_thread(stop_like_ctrl_c, served)
        took = time.monotonic() - started
        await asyncio.wait_for(asyncio.gather(*readers), timeout=5)
    return tutors, status, took


def _command_line(pid: int) -> list[str]:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().decode().rstrip("\0").split("\0")


async def _drain(ws) -> None:
    async for _ in ws:
        pass


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads tutors' command lines from /proc (Linux)")
def test_ctrl_c_stops_the_server_and_every_tutor_it_started(tmp_path):
    with served_tutor(tmp_path) as served:
        tutors, status, took = asyncio.run(_tabs_then_ctrl_c(served, 2))
        data_dir = str((tmp_path / "data").resolve())
        assert tutors == [[sys.executable, "-m", "lbtutor", "--data-dir", data_dir, "tutor"]] * 2, served.output()
        assert status == 0, served.output()
        assert took < 10, f"stopping took {took:.1f} s"
        assert group_members(served.process.pid) == []
        assert "every tutor it started has ended" in served.output()
