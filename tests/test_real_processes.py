"""lbtutor owns what it starts: nothing survives a SIGKILL of `lbtutor real`, a balancer that
cannot start leaves nothing behind, and a reload under traffic drops no request."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest
from real_runs import needs_haproxy, needs_nginx, processes_in_groups, processes_mentioning

from lbtutor.cli import main
from lbtutor.real import run as run_module
from lbtutor.real.run import RealRun
from lbtutor.real.setup import RealSetup

BALANCERS = [pytest.param("haproxy", marks=needs_haproxy), pytest.param("nginx", marks=needs_nginx)]


def wait_for(condition, limit: float) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.mark.parametrize("balancer", BALANCERS)
def test_sigkill_of_lbtutor_real_leaves_no_process_and_no_temp_dir(balancer, tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    lbtutor = subprocess.Popen(
        [sys.executable, "-m", "lbtutor", "real", "--balancer", balancer, "--duration", "60", "--json"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = wait_for(lambda: any(balancer in cmd for _g, cmd in processes_mentioning(str(tmp_path)).values())
                           and any("backend_host" in cmd for _g, cmd in processes_mentioning(str(tmp_path)).values()),
                           20)
        assert started, "the balancer and the backends never started"
        time.sleep(0.5)  # traffic flowing
        ours = processes_mentioning(str(tmp_path))
        groups = {group for group, _cmd in ours.values()}
        assert any(tmp_path.iterdir()), "no temp dir while running"
    finally:
        lbtutor.kill()  # SIGKILL: no finally, no atexit, no signal handler runs in lbtutor
        lbtutor.wait()
    assert wait_for(lambda: not processes_in_groups(groups), 5), processes_in_groups(groups)
    assert wait_for(lambda: not any(tmp_path.iterdir()), 5), list(tmp_path.iterdir())


@needs_haproxy  # nginx says the same in its own words, after retrying its bind for 2.5 s
def test_a_taken_port_is_one_clear_line_and_nothing_is_left_running(tmp_path, monkeypatch, capsys):
    balancer = "haproxy"
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    monkeypatch.setattr(run_module, "free_port", lambda: taken.getsockname()[1])
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    try:
        status = main(["real", "--balancer", balancer, "--duration", "1", "--json"])
    finally:
        taken.close()
    err = capsys.readouterr().err.strip()
    assert status == 1
    assert len(err.splitlines()) == 1 and "did not start" in err and "ddress already in use" in err, err
    assert not processes_mentioning(str(tmp_path))
    assert not any(tmp_path.iterdir())


def test_a_missing_balancer_exits_2_naming_the_package_to_install(monkeypatch, capsys):
    from lbtutor.real import binaries

    monkeypatch.setattr(binaries, "find", lambda name: None)
    assert main(["real", "--balancer", "nginx", "--duration", "1", "--json"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("lbtutor real: error: nginx is not installed: apt-get install nginx (Debian/Ubuntu) "
                   "or brew install nginx (macOS)")


async def _reload_under_traffic(setup: RealSetup) -> tuple[RealRun, dict]:
    run = RealRun(setup)
    try:
        await run.start()
        run.begin(setup.duration)
        await asyncio.sleep(0.6)
        await run.reconfigure(algorithm="least-connections")
        await asyncio.sleep(0.6)
        await run.reconfigure(algorithm="weighted-round-robin", weights=(5, 1, 1, 1))
        await asyncio.sleep(max(0.0, run.t0 + setup.duration - run.loop.time()))
        run.end = setup.duration
        run.unfinished = await run.generator.drain(2.0)
        return run, run.result()
    finally:
        await run.close()


@pytest.mark.parametrize("balancer", BALANCERS)
def test_changing_algorithm_and_weights_reloads_the_balancer_without_dropping_a_request(balancer):
    extra = {"check_interval": 0.5} if balancer == "haproxy" else {}
    setup = RealSetup(balancer=balancer, duration=2.0, arrival_rate=300.0, **extra).validate()
    run, result = asyncio.run(_reload_under_traffic(setup))
    assert run.balancer.reloads == 2
    assert run.balancer_gone is None  # the old process leaving on a reload is not the balancer going
    assert result["failed"] == 0 and result["requests"]["unfinished"] == 0
    assert result["requests"]["ok"] == result["requests"]["sent"] > 450
    # the last config is in force: weighted round robin 5,1,1,1 gives s1 five turns in eight
    late = [o.server for o in run.generator.outcomes if o.planned > 1.4 and o.kind == "ok"]
    assert late.count("s1") / len(late) == pytest.approx(5 / 8, abs=0.05)


async def _killed_at(setup: RealSetup, at: float) -> dict:
    from lbtutor.real.headless import assemble, beside_of

    run = RealRun(setup)
    try:
        await run.start()
        run.loop.call_later(at, os.kill, run.balancer.proc.pid, signal.SIGKILL)
        await run.play()
    finally:
        await run.close()
    return assemble(run, run.result(), beside_of(run))


@needs_haproxy
def test_a_balancer_killed_during_a_headless_run_is_reported_with_when_and_how(capsys, monkeypatch):
    result = asyncio.run(_killed_at(RealSetup(duration=3.0).validate(), 1.5))
    gone = result["balancer"]["gone"]
    assert gone["how"] == "killed by SIGKILL" and 1.3 <= gone["at"] <= 2.2, gone
    assert result["real"]["requests"]["failed"] > 100  # what clients met after it: a closed port
    from lbtutor.commands.real_table import print_comparison

    monkeypatch.setenv("COLUMNS", "100")
    print_comparison(result)
    assert "haproxy's process was gone at t = " in capsys.readouterr().out


async def test_close_returns_even_when_a_watcher_swallows_its_cancellation():
    # Python 3.11's wait_for can swallow a cancellation that lands as its inner future finishes;
    # a watcher loop cancelled that way must still stop, or close() never returns (seen twice)
    class SwallowingBalancer:
        def __init__(self) -> None:
            self.waiting = asyncio.Event()

        def gone(self):
            return None

        async def view(self):
            self.waiting.set()
            with contextlib.suppress(asyncio.CancelledError):  # swallowed, as wait_for did
                await asyncio.sleep(1.0)
            return {}

    run = RealRun(RealSetup().validate(), poll=0.0)
    run.loop = asyncio.get_running_loop()
    run.balancer = SwallowingBalancer()
    run._tasks.append(run.loop.create_task(run._watch()))
    await run.balancer.waiting.wait()  # the cancellation will land inside view()
    started = time.monotonic()
    await asyncio.wait_for(run.close(), 10)
    assert time.monotonic() - started < 2.0
    assert run._tasks == []
