"""The real lab screen: bars move, breaking a backend shows the balancer's DOWN on its row and
healing brings it back, the simulator runs beside it, the config shows and saves, and leaving
stops every process. Without the balancer: a notice, and the simulator runs alone."""

from __future__ import annotations

import os
import signal
import time

from real_runs import needs_haproxy, processes_mentioning

from lbtutor.real import binaries
from lbtutor.real.setup import RealSetup
from lbtutor.sim.presets import LabSetup, ServerSetup
from lbtutor.ui.app import make_app
from lbtutor.ui.screens.lab import LabScreen
from lbtutor.ui.screens.real_lab import RealLabScreen
from lbtutor.ui.widgets.config_dialog import ConfigDialog
from lbtutor.ui.widgets.lab_bars import LabBars
from lbtutor.ui.widgets.live_scroll import LiveScroll

SIZE = (120, 36)


def _app(tmp_path):
    return make_app(lessons_dir=tmp_path, data_dir=tmp_path / "data", autoplay_labs=False)


async def until(pilot, condition, limit: float = 10.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        await pilot.pause(0.1)
    return condition()


def text_of(widget) -> str:
    content = widget.content
    return content if isinstance(content, str) else content.plain


def row_text(screen: RealLabScreen, bars_id: str, index: int) -> str:
    bars = screen.query_one(f"#{bars_id}", LabBars)
    return bars.render_line(index).text


def view_line(screen: RealLabScreen, index: int) -> str:
    return text_of(screen.query_one("#real-views")).splitlines()[index]


@needs_haproxy
async def test_hanging_a_backend_shows_haproxys_down_on_its_row_and_healing_brings_it_back(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = RealLabScreen(RealSetup(check_interval=0.5, fall=2, rise=1, request_timeout=2.0).validate())
        await app.push_screen(screen)
        assert isinstance(screen.query_one("#real-body"), LiveScroll)  # live rows: tests/test_live_scroll.py
        assert await until(pilot, lambda: screen.live.frame is not None and screen.live.frame.real is not None
                           and screen.live.frame.real.completed > 50)
        served = screen.live.frame.real.servers[0].served
        assert await until(pilot, lambda: screen.live.frame.real.servers[0].served > served)  # bars move
        assert view_line(screen, 0).startswith("UP")
        # "% busy since start" on a real row is the backend's busy worker-seconds over its run, as
        # the simulator's row beside it: both near 60% at the default load, never a stray 0%
        assert await until(pilot, lambda: screen.live.frame.time > 3.0)
        frame = screen.live.frame
        for real, sim in zip(frame.real.servers, frame.sim.servers, strict=True):
            assert 0.35 < real.utilization_total < 0.85 and abs(real.utilization_total - sim.utilization_total) < 0.2
        assert "% busy since start" in row_text(screen, "real-bars", 4)
        await pilot.press("h")  # s1 is selected: it hangs
        assert await until(pilot, lambda: view_line(screen, 0).startswith("DOWN"), 6)
        assert "hang" in row_text(screen, "real-bars", 0)
        assert await until(pilot, lambda: "⊘ out" in row_text(screen, "sim-bars", 0), 3)  # the simulator agrees
        await pilot.press("u")
        assert await until(pilot, lambda: view_line(screen, 0).startswith("UP"), 6)
        log = text_of(screen.query_one("#real-log"))
        assert "haproxy: s1 DOWN" in log and "haproxy: s1 UP" in log and "simulator: s1 out of rotation" in log
        await pilot.press("c")
        assert await until(pilot, lambda: isinstance(app.screen, ConfigDialog))
        await pilot.press("s")
        await pilot.pause()
        saved = list((tmp_path / "data" / "exports").glob("lbtutor-haproxy-round-robin-*.cfg"))
        assert len(saved) == 1 and "balance roundrobin" in saved[0].read_text()
        run_dir = str(screen.live.run.owner.dir)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, RealLabScreen)
    assert not processes_mentioning(run_dir)



@needs_haproxy
async def test_a_balancer_killed_under_the_lab_is_named_gone_and_the_lab_runs_on(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = RealLabScreen(RealSetup().validate())
        await app.push_screen(screen)
        assert await until(pilot, lambda: screen.live.frame is not None and screen.live.frame.real is not None
                           and screen.live.frame.real.completed > 50)
        os.kill(screen.live.run.balancer.proc.pid, signal.SIGKILL)
        assert await until(pilot, lambda: "is gone" in text_of(screen.query_one("#real-notice")), 5)
        assert screen.live.frame.state == "balancer-gone"
        notice = text_of(screen.query_one("#real-notice"))
        assert "HAProxy's process is gone (killed by SIGKILL)" in notice and "the simulator run on" in notice
        assert "HAProxy (gone)" in text_of(screen.query_one("#real-status"))
        assert view_line(screen, 0) == "no balancer"  # not its last, stale "UP L7OK"
        failed, sim_done = screen.live.frame.real.failed, screen.live.frame.sim.completed
        assert await until(pilot, lambda: screen.live.frame.real.failed > failed  # clients meet a closed port
                           and screen.live.frame.sim.completed > sim_done)
        assert "its process is gone" in text_of(screen.query_one("#real-log"))
        run_dir = str(screen.live.run.owner.dir)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, RealLabScreen)
    assert not processes_mentioning(run_dir)

async def test_without_the_balancer_the_screen_says_so_and_the_simulator_runs_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(binaries, "find", lambda name: None)
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = RealLabScreen(RealSetup().validate())
        await app.push_screen(screen)
        assert await until(pilot, lambda: screen.live.frame is not None and screen.live.frame.sim.completed > 20)
        notice = text_of(screen.query_one("#real-notice"))
        assert "haproxy is not installed: apt-get install haproxy" in notice and "simulator runs alone" in notice
        assert not screen.query_one("#real-pane").display
        await pilot.press("h")  # the controls still work, on the simulator
        assert await until(pilot, lambda: "hang" in text_of(screen.query_one("#real-log")))
        await pilot.press("escape")
        await pilot.pause()


async def test_run_on_a_real_balancer_carries_the_labs_setup_over(tmp_path, monkeypatch):
    monkeypatch.setattr(binaries, "find", lambda name: None)  # the simulator side is enough here
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        setup = LabSetup.from_preset("identical", ("least-connections",), seed=7)
        setup = LabSetup(setup.preset, setup.algorithms, 40.0, "det",
                         (ServerSetup(3.0), ServerSetup(1.0), ServerSetup(1.0, speed=0.5)), 7)
        await app.push_screen(LabScreen(setup))
        await pilot.pause()
        from lbtutor.ui.lab_commands import run_on_real_balancer

        run_on_real_balancer(app, app.screen)
        await pilot.pause()
        real = app.screen
        assert isinstance(real, RealLabScreen)
        s = real.setup
        assert (s.algorithm, s.weight_list, s.rate, s.service_dist, s.seed) == ("least-connections", [3, 1, 1], 40.0, "det", 7)
        assert [(b.server, b.mode, b.factor) for b in s.breaks] == [("s3", "slow", 2.0)]
        await pilot.press("escape")
        await pilot.pause()



LESSON = '''+++
id = "checks"
section = 5
title = "Health checks"
minutes = 10
+++

## On real HAProxy

Run it.

```real
title = "Time a hung server"
look_for = "Press Hang s1."
balancer = "haproxy"
check_interval = 0.5
fall = 2
request_timeout = 2.0
```

## Pick order

```real
title = "Who answers"
look_for = "Compare the rows."
show = "pick-order"
balancer = ["nginx", "haproxy"]
algorithm = "weighted-round-robin"
weights = [5, 1, 1]
requests = 7
```
'''


def _lesson_app(tmp_path):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "05-checks.md").write_text(LESSON)
    return make_app(lessons_dir=lessons, data_dir=tmp_path / "data", autoplay_labs=False)


@needs_haproxy
async def test_a_lessons_real_block_runs_on_haproxy_and_times_the_hang_against_the_formula(tmp_path):
    from lbtutor.ui.widgets.real_block import RealBlockView

    app = _lesson_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: getattr(app, "course", None) is not None)
        app.open_step("checks", 0)
        assert await until(pilot, lambda: bool(app.screen.query(RealBlockView)))
        block = app.screen.query_one(RealBlockView)
        assert "is installed here" in text_of(block.query_one(".real-where"))
        block.query_one("#real-start").press()
        assert await until(pilot, lambda: block.live is not None and block.live.frame is not None
                           and block.live.frame.real is not None and block.live.frame.real.completed > 20)
        block.query_one("#real-hang").press()
        result = block.query_one(".real-result")
        assert await until(pilot, lambda: "HAProxy took it out after" in text_of(result), 8)
        text = text_of(result)
        assert "the simulator took it out after" in text and "worst case by the formula 2.0 s" in text
        run_dir = str(block.live.run.owner.dir)
        app.open_step("checks", 1)  # leaving the step stops the run
        assert await until(pilot, lambda: not processes_mentioning(run_dir), 5)
        order = app.screen.query(RealBlockView).last()
        order.query_one("#real-ask").press()
        assert await until(pilot, lambda: "its own order" in text_of(order.query_one(".real-result"))
                           or "not installed" in text_of(order.query_one(".real-result")), 15)
        lines = text_of(order.query_one(".real-result")).splitlines()
        assert lines[0].split()[1:] == ["s1", "s1", "s2", "s1", "s3", "s1", "s1"]
