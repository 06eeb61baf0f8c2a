"""The lab: a live sandbox of load bars with every control, and algorithms side by side.

The screen owns a `LabSession` (the model, plain Python) and a frame timer that runs only while
the screen is shown and the run is playing; it redraws at the app's frame rate (`--fps`) while the
simulation keeps its pace. In presenter mode the run starts paused, bars grow to three lines where
they fit, and a new seed asks first. Every key is a Binding
with an id and a tooltip; every action is in the command palette under its plain name (see
lbtutor/ui/lab_commands.py); the arrows and signs of the status line and the server rows take
clicks. A refused value is a notification, never a crash.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.markup import escape
from textual.screen import Screen
from textual.timer import Timer

from lbtutor.sim.config import ConfigError
from lbtutor.sim.lab_session import LabSession, seconds_text
from lbtutor.sim.presets import SERVICE_DIST_NAMES, LabSetup
from lbtutor.sim.readings import RECENT, SINCE
from lbtutor.sim.scenario_code import ScenarioSpec
from lbtutor.sim.scenarios.base import LATENCY
from lbtutor.ui.frame_rate import DEFAULT_FPS, FramePacer
from lbtutor.ui.widgets.compare_view import MIN_PANE_WIDTH, LabPanes, side_by_side, verdict_content
from lbtutor.ui.widgets.config_panel import ConfigPanel
from lbtutor.ui.widgets.fitting_footer import FittingFooter
from lbtutor.ui.widgets.lab_bars import LabBars
from lbtutor.ui.widgets.lab_metrics import LabMetrics
from lbtutor.ui.widgets.lab_status import LabStatus, StatusInfo
from lbtutor.ui.widgets.lab_text import LabText, headline_figures, pack_figures
from lbtutor.ui.widgets.latency_chart import SIDE_GLYPHS, LatencyChart, Series, show_scenario_chart
from lbtutor.ui.widgets.live_scroll import LiveScroll
from lbtutor.ui.widgets.seed_repeat import SeedRepeat
from lbtutor.ui.widgets.tutor_header import TutorHeader

NOTICE_SECONDS = 4  # how long a notice stays over the header line
TEXT_HZ = 6  # numbers and words are redrawn this often; bars and the chart every frame
TALL_ROWS_UP_TO = 8  # servers per pane drawn two lines tall when the screen has the height
SIDE_PANEL_MIN_WIDTH = 110  # narrower than this, the config panel goes under the panes
PERCENTILE_GLYPHS = (("p50", "•"), ("p95", "+"), ("p99", "▲"))

FOOTER_TWO_ROWS_FROM = 30  # screen rows from which the footer may take two rows for its keys
SANDBOX_ONLY = {
    "next_algorithm", "previous_algorithm", "more_traffic", "less_traffic", "add_server", "remove_server", "take_down",
    "bring_up", "weight", "speed", "edit_server", "next_preset", "next_dist", "compare", "add_side",
    "next_side", "select",
}


class LabScreen(Screen[None], inherit_bindings=False):
    """The full sandbox. Build it with a setup, a scenario, or a scenario code."""

    BINDINGS = [
        # The Footer shows these in this order, most used first, as many as fit whole (two rows
        # where the screen is tall enough, see FOOTER_TWO_ROWS_FROM); compare mode's own keys
        # (tab, i, C) only in compare mode, the sandbox's controls only in the sandbox.
        Binding("space", "toggle_pause", "Pause", tooltip="Pause or resume the simulation", id="lab.pause"),
        Binding("plus,equals_sign", "faster", "Speed", tooltip="+ plays faster, - slower (0.25× to 100×)", id="lab.faster", key_display="+/-"),
        Binding("minus,underscore", "slower", "Slower", tooltip="Play slower (down to 0.25×)", id="lab.slower", show=False, key_display="-"),
        Binding("right", "more_traffic", "Rate", tooltip="→ raises the arrival rate by a quarter, ← lowers it", id="lab.rate_up", key_display="→/←"),
        Binding("left", "less_traffic", "Less traffic", tooltip="Lower the arrival rate by a fifth", id="lab.rate_down", show=False, key_display="←"),
        Binding("a", "next_algorithm(1)", "Algorithm", tooltip="Next algorithm (A: previous)", id="lab.algorithm", key_display="a/A"),
        Binding("A", "next_algorithm(-1)", "Previous algorithm", tooltip="Previous algorithm", id="lab.algorithm_back", show=False),
        Binding("c", "compare", "Compare", tooltip="Two algorithms side by side on identical traffic (c again: one)", id="lab.compare"),
        Binding("tab", "next_side(1)", "Side", tooltip="Compare mode: choose which side a changes", id="lab.next_side"),
        Binding("i", "repeat_seeds", "20 seeds", tooltip="Compare mode: repeat over 20 seeds, each figure's mean and 95% interval per side", id="lab.repeat_seeds"),
        Binding("up,k", "select(-1)", "Select", tooltip="↑ ↓ select a server", id="lab.select_up", key_display="↑↓"),
        Binding("down,j", "select(1)", "Select down", tooltip="Select the server below", id="lab.select_down", show=False),
        Binding("d", "take_down", "Take down", tooltip="Take the selected server down (what it holds fails)", id="lab.down"),
        Binding("u", "bring_up", "Bring up", tooltip="Bring the selected server back up", id="lab.up"),
        Binding("w", "weight(1)", "Weight", tooltip="w raises the selected server's weight, W lowers it", id="lab.weight_up", key_display="w/W"),
        Binding("W", "weight(-1)", "Lower weight", tooltip="Lower the selected server's weight", id="lab.weight_down", show=False),
        Binding("t", "next_preset(1)", "Traffic", tooltip="Next traffic preset (T: previous)", id="lab.preset", key_display="t/T"),
        Binding("T", "next_preset(-1)", "Previous traffic", tooltip="Previous traffic preset", id="lab.preset_back", show=False),
        Binding("h", "toggle_span", "Since/recent", tooltip="The headline figures and each server's % busy: counted since the run started, or over the last 10 s", id="lab.span"),
        Binding("e", "edit", "Edit", tooltip="Type the selected server's weight and speed, or a scenario's parameters", id="lab.edit"),
        Binding("o", "open_scenario", "Scenario", tooltip="Open a named scenario", id="lab.scenario"),
        Binding("y", "code", "Code", tooltip="Show and copy this run's scenario code", id="lab.code"),
        Binding("f1,question_mark", "app.help", "Help", tooltip="Every key, screen by screen", id="lab.help", key_display="?"),
        Binding("C", "add_side", "Add side", tooltip="Compare one more algorithm (as the width allows)", id="lab.add_side", key_display="C"),
        Binding("r", "reset(False)", "Reset", tooltip="Start again with the same seed (R: a new seed)", id="lab.reset", key_display="r/R"),
        Binding("R", "reset(True)", "New seed", tooltip="Start again with a new seed", id="lab.reset_new", show=False),
        Binding("n", "add_server", "Add/Remove", tooltip="n adds a server (weight 1, speed 1×), x removes the selected one", id="lab.add", key_display="n/x"),
        Binding("x,delete", "remove_server", "Remove", tooltip="Remove the selected server (it drains first)", id="lab.remove", show=False),
        Binding("full_stop", "step", "Step", tooltip="Advance half a simulated second (works while paused)", id="lab.step", key_display="."),
        Binding("s", "speed(1)", "Server speed", tooltip="s makes the selected server faster, S slower", id="lab.speed_up", key_display="s/S"),
        Binding("S", "speed(-1)", "Slower server", tooltip="Make the selected server slower", id="lab.speed_down", show=False),
        Binding("v", "next_dist(1)", "Service times", tooltip="Next service-time distribution (V: previous)", id="lab.dist", key_display="v/V"),
        Binding("V", "next_dist(-1)", "Previous service times", tooltip="Previous service-time distribution", id="lab.dist_back", show=False),
        Binding("escape", "close", "Back", tooltip="Leave the lab", id="lab.close", key_display="esc", show=False),
        # Screen's own keys, declared here so that its tab (focus) does not take tab's place at
        # the head of the footer: bindings keep the order their key was first declared in.
        Binding("shift+tab", "app.focus_previous", "Focus Previous", show=False),
        Binding("ctrl+c,super+c", "screen.copy_text", "Copy selected text", show=False),
    ]

    DEFAULT_CSS = """
    /* Notices sit on the header's line, top right, one line each where they fit: never over
       the panes, the chart or a scenario's event log at the bottom (see `notify`). */
    LabScreen ToastRack {
        dock: top;
        align: right top;
        margin: 0;
    }
    LabScreen Toast {
        margin: 0;
        padding: 0 1;
        width: auto;
        max-width: 100%;
    }
    LabScreen ToastHolder {
        display: none;
    }
    LabScreen ToastHolder:last-of-type {
        display: block;  /* only the newest: two would reach down over the status line */
    }
    LabScreen #lab-setup-line {
        height: auto;
        padding: 0 1;
        color: $text-muted;
        display: none;
    }
    LabScreen.-compare #lab-setup-line, LabScreen.-narrow #lab-setup-line {
        display: block;
    }
    LabScreen.-scenario #lab-setup-line {
        display: none;
    }
    LabScreen #lab-banner {
        height: auto;
        padding: 0 1;
        background: $error 25%;
        color: $text;
        text-style: bold;
    }
    LabScreen #lab-main {
        height: 1fr;
    }
    LabScreen #lab-left {
        width: 1fr;
        height: 1fr;
    }
    LabScreen #lab-panes-scroll {
        height: auto;
        max-height: 70%;
    }
    LabScreen.-scenario #lab-panes-scroll, LabScreen.-compare #lab-panes-scroll {
        max-height: 80%;
    }
    LabScreen #lab-side {
        width: 46;
        height: 1fr;
        padding-right: 1;
    }
    LabScreen.-narrow #lab-side, LabScreen.-compare #lab-side {
        display: none;
    }
    LabScreen #lab-verdict {
        height: auto;
        padding: 0 1;
        margin-bottom: 1;
        border: tall $success;
    }
    LabScreen #lab-headline, LabScreen #lab-log {
        height: auto;
        padding: 0 1;
    }
    LabScreen #lab-chart {
        margin: 1 1 0 1;
        height: 1fr;
        min-height: 7;
        max-height: 12;
    }
    LabScreen.-compare #lab-chart {
        min-height: 10;
    }
    LabScreen #lab-setup {
        height: auto;
        padding: 0 1;
        margin-bottom: 1;
        border: round $primary 60%;
        border-title-style: bold;
        border-title-color: $text-primary;
    }
    LabScreen #lab-narrow-config, LabScreen.-scenario ConfigPanel {
        display: none;
    }
    LabScreen.-narrow #lab-narrow-config, LabScreen.-compare #lab-narrow-config {
        display: block;
    }
    LabScreen.-scenario #lab-narrow-config {
        display: none;
    }
    LabScreen #lab-narrow-config {
        margin: 1 1 0 1;
    }
    """

    def __init__(
        self,
        setup: LabSetup | None = None,
        *,
        scenario: ScenarioSpec | None = None,
        code: str | None = None,
        paused: bool | None = None,
        speed: float = 1.0,
    ) -> None:
        super().__init__()
        self._start = (setup, scenario, code)
        self._paused = paused
        self._speed = speed
        self.session: LabSession | None = None
        self._timer: Timer | None = None
        self._pacer = FramePacer(DEFAULT_FPS)
        self._last_text = 0.0
        self._shown = False
        self._drawn_run: tuple[LabSession, int] | None = None
        self.span = SINCE  # what the headline and % busy count over: SINCE or RECENT (h)

    @classmethod
    def from_lab_block(cls, block, **kwargs) -> LabScreen:
        """Open a lesson's lab block in the full lab, its parameters carried over."""
        if block.scenario is not None:
            return cls(scenario=ScenarioSpec(block.scenario, dict(block.settings), block.seed), **kwargs)
        setup = LabSetup.from_config(block.sim_config(), tuple(block.algorithms) or None)
        return cls(setup, speed=block.speed, **kwargs)

    # ================================================================== building
    def compose(self) -> ComposeResult:
        yield TutorHeader()
        yield LabStatus(id="lab-status")
        yield LabText(id="lab-banner")
        yield LabText(id="lab-setup-line")
        with Horizontal(id="lab-main"):
            with LiveScroll(id="lab-left", can_focus=False):
                with LiveScroll(id="lab-panes-scroll", can_focus=False):
                    yield LabPanes(id="lab-panes")
                yield LabText(id="lab-verdict")
                yield SeedRepeat(id="lab-seed-repeat")
                yield LabText(id="lab-headline")
                yield LabMetrics(id="lab-metrics")
                yield LatencyChart(id="lab-chart")
                yield LabText(id="lab-log")
                yield ConfigPanel(id="lab-narrow-config")
            with LiveScroll(id="lab-side", can_focus=False):
                yield LabText(id="lab-setup")
                yield ConfigPanel(id="lab-config")
        yield FittingFooter(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "Lab"
        setup, scenario, code = self._start
        paused = self._paused
        if paused is None:
            # presenter mode: the demo starts on cue, at t = 0
            paused = not getattr(self.app, "autoplay_labs", True) or self.presenting
        try:
            if code:
                self.session = LabSession.from_code(code, speed=self._speed, paused=paused)
            else:
                self.session = LabSession(setup, scenario=scenario, speed=self._speed, paused=paused)
        except (ConfigError, ValueError) as exc:
            self.notify(f"{exc}. Showing the sandbox instead.", title="Could not open that", severity="warning", markup=False)
            self.session = LabSession(setup if isinstance(setup, LabSetup) else None, speed=self._speed, paused=paused)
        self._pacer = FramePacer(getattr(self.app, "fps", DEFAULT_FPS))
        self._timer = self.set_interval(self._pacer.interval, self._frame, pause=True)
        self.watch(self.app, "presenting", self._presenting_changed, init=False)
        self._shown = True
        self._sync_timer()
        self.draw()

    def on_resize(self) -> None:
        self.set_class(self.size.width < SIDE_PANEL_MIN_WIDTH, "-narrow")
        self.query_one(FittingFooter).max_rows = 2 if self.size.height >= FOOTER_TWO_ROWS_FROM else 1
        if self.session is not None:
            self.call_after_refresh(self.draw)

    def on_screen_suspend(self) -> None:
        self._shown = False
        self._sync_timer()

    def on_screen_resume(self) -> None:
        self._shown = True
        self._sync_timer()

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = True) -> None:
        """A notice on one line over the header (its title leads the sentence), for a short time."""
        if title:
            message = f"{escape(title) if markup else title}: {message}"
        super().notify(message, severity=severity, timeout=timeout or NOTICE_SECONDS, markup=markup)

    # ================================================================== frames
    def _sync_timer(self) -> None:
        """Tick only while the screen is shown and the run is playing."""
        if self._timer is None or self.session is None:
            return
        run = self.session.run
        if self._shown and not run.paused and not run.done:
            self._pacer.start(time.monotonic())
            self._timer.resume()
        else:
            self._timer.pause()

    def _frame(self) -> None:
        session = self.session
        if session is None:
            return
        now = time.monotonic()
        dt = self._pacer.step(now)  # the simulation moves on every tick; the screen redraws at fps
        try:
            session.tick(dt)
        except Exception as exc:  # a scenario that breaks must not take the app down with it
            session.run.paused = True
            self._sync_timer()
            self.notify(f"The simulation stopped: {exc}", title="Lab stopped", severity="error", markup=False)
        if self._pacer.draw_due(now) or session.run.done:
            self.draw(text=now - self._last_text >= 1 / TEXT_HZ or session.run.done)
        if session.run.done:
            self._sync_timer()

    # ================================================================== drawing
    def draw(self, text: bool = True) -> None:
        """Redraw from the session. Bars and chart move every frame; with text=False the
        numbers wait (they are redrawn TEXT_HZ times a second: faster than that nobody reads
        them, and each costs a redraw)."""
        session = self.session
        if session is None or not self.is_mounted or self not in self.app.screen_stack:
            return  # not yet composed, or closed already (is_mounted stays true after esc)
        panes = session.panes
        comparing = session.comparing
        run = (session, session.generation)
        if run != self._drawn_run:  # a new run: bars are measured against its peaks, not the last one's
            self._drawn_run = run
            self.query_one(LabPanes).reset_scale()
        if not text:
            self.query_one(LabPanes).show_bars(panes, selected=session.selected)
            self._draw_chart()
            return
        self._last_text = time.monotonic()
        self.set_class(comparing, "-compare")
        self.set_class(session.is_scenario, "-scenario")
        self.query_one(LabStatus).show(self._status_info())

        banner = self.query_one("#lab-banner", LabText)
        text = session.banner()
        banner.display = text is not None
        if text is not None:
            banner.show(Content("⚠ " + text))

        verdict = session.verdict()
        self.query_one(LabPanes).show(
            panes, selected=session.selected, active=session.active_side, comparing=comparing,
            verdict=verdict, row_height=self._row_height(panes), span=self.span,
        )
        verdict_box = self.query_one("#lab-verdict", LabText)
        verdict_box.display = verdict is not None
        if verdict is not None:
            verdict_box.show(verdict_content(verdict))
        self.query_one(SeedRepeat).follow(session)

        metrics = self.query_one(LabMetrics)
        metrics.display = not session.is_scenario and bool(panes)
        if metrics.display:
            if comparing:
                side = session.active_side
                metrics.show(panes[side], f"{side + 1}. {panes[side].label} in detail (tab: the next side)")
            else:
                metrics.show(panes[0])
        self._draw_scenario_extras()
        self._draw_chart()
        self._draw_side()

    @property
    def presenting(self) -> bool:
        return bool(getattr(self.app, "presenting", False))

    def _presenting_changed(self, _presenting: bool) -> None:
        if self.is_attached and self.query(LabStatus):  # not while the screen is being taken down
            self.draw()

    def _row_height(self, panes) -> int:
        """Two lines per server (three in presenter mode) when the bars, stacked or side by side,
        still leave room below; else one."""
        if not panes:
            return 1
        most = max(len(p.snapshot.servers) for p in panes)
        if most > TALL_ROWS_UP_TO:
            return 1
        width = self.query_one(LabPanes).size.width or self.size.width
        boxes = 1 if side_by_side(width, len(panes)) else len(panes)
        for rows in ((3, 2) if self.presenting else (2,)):
            if boxes * (rows * most + 5) <= self.size.height - 18:
                return rows
        return 1

    def _status_info(self) -> StatusInfo:
        session = self.session
        assert session is not None
        run = session.run
        if session.is_scenario:
            scenario = run.scenario
            return StatusInfo(
                paused=run.paused, done=run.done, algorithm=f"scenario: {scenario.scenario.title}",
                rate=None, load=None, now=run.now, duration=scenario.duration, speed=run.speed,
                seed=session.spec.seed, lagging=run.lagging, mode="scenario",
            )
        setup = session.setup
        return StatusInfo(
            paused=run.paused, done=run.done, algorithm=setup.algorithms[session.active_side],
            rate=setup.arrival_rate, load=setup.offered_load, now=run.now, duration=None,
            speed=run.speed, seed=setup.seed, lagging=run.lagging,
            mode="compare" if session.comparing else "sandbox", side=session.active_side,
        )

    def _draw_scenario_extras(self) -> None:
        session = self.session
        assert session is not None
        headline = self.query_one("#lab-headline", LabText)
        log = self.query_one("#lab-log", LabText)
        headline.display = log.display = session.is_scenario
        if not session.is_scenario:
            return
        scenario = session.run.scenario.scenario
        figures = headline_figures(scenario, session.headline() or {})
        headline.show(pack_figures(figures, headline.content_region.width, gap="   ") if figures else Content("(no figures yet)"))
        entries = session.run.scenario.log[-3:]
        log.show(Content("\n".join(f"at {t:.1f} s: {text}" for t, text in entries)))

    def _draw_chart(self) -> None:
        session = self.session
        assert session is not None
        chart = self.query_one(LatencyChart)
        panes = session.panes
        if not panes:
            chart.show([], 0.0)
            return
        columns = max(1, chart.size.width - 8)
        run = session.run.scenario
        if run is not None and run.scenario.chart != (LATENCY,):
            show_scenario_chart(chart, run)
            return
        if len(panes) == 1:
            points = session.chart_points(0, columns)
            series = [
                Series(label, glyph, [p[k + 1] for p in points])
                for k, (label, glyph) in enumerate(PERCENTILE_GLYPHS)
            ]
            title = "Latency over time"
        else:
            points = session.chart_points(0, columns)
            k = 4 if session.comparing else 3  # a race: whole-run p99 so far; a scenario: recent p99
            series = [
                Series(pane.label, SIDE_GLYPHS[i % len(SIDE_GLYPHS)], [p[k] for p in session.chart_points(i, columns)])
                for i, pane in enumerate(panes)
            ]
            title = "p99 since start" if session.comparing else "p99 over time"
        span = points[-1][0] - points[0][0] if len(points) > 1 else 0.0
        chart.show(series, span, title)

    def _draw_side(self) -> None:
        session = self.session
        assert session is not None
        setup_box = self.query_one("#lab-setup", LabText)
        if session.is_scenario:
            scenario = session.run.scenario.scenario
            if setup_box.border_title != "Scenario":
                setup_box.border_title = "Scenario"
            params = session.scenario_parameters()
            lines: list = [(scenario.title, "bold"), "\n", scenario.summary, "\n\n", ("Look for: ", "bold"), scenario.look_for, "\n"]
            for param, value in params:
                unit = "" if param.unit in ("", "count", "fraction") else " " + param.unit
                shown = f"{value:g}" if isinstance(value, float) else str(value)
                lines += ["\n", (f"{param.name} ", "bold"), shown + unit]
            # each key on one line with its words: "esc:" never ends a line without "back"
            keys = pack_figures(["e: edit parameters", "r: restart", "esc: back"], setup_box.content_region.width)
            lines += ["\n\n", keys.stylize("$text-muted")]
            setup_box.show(Content.assemble(*lines))
            return
        setup = session.setup
        shape = setup.shape
        # with the Setup box hidden (comparing, or narrow), one line keeps the setup in view
        line = self.query_one("#lab-setup-line", LabText)
        line.show(pack_figures(setup_figures(setup), line.content_region.width))
        if setup_box.border_title != "Setup":
            setup_box.border_title = "Setup"
        lines = [
            ("Traffic: ", "bold"), shape.title, "\n",
            (shape.look_for, "italic"), "\n",
            ("Service times: ", "bold"), SERVICE_DIST_NAMES.get(setup.service_dist, setup.service_dist),
            f", mean {seconds_text(1.0 / shape.service_rate)}",
            f"; 1 in {1 / shape.long_fraction:.0f} is a long-lived connection (mean {shape.long_mean:g} s)" if shape.long_fraction else "",
            "\n",
            ("Servers: ", "bold"), f"{len(setup.servers)} × {shape.workers} worker{'s' if shape.workers != 1 else ''}",
            f", queue limit {shape.queue_limit}" if shape.queue_limit else ", unbounded queues",
        ]
        if session.selected is not None:
            try:
                chosen = session.server_setup()
                lines += [
                    "\n", ("Selected: ", "bold"), session.selected,
                    f" weight {chosen.weight:g} · speed {chosen.speed:g}×", " · down" if chosen.down else "",
                ]
            except ConfigError:
                lines += ["\n", ("Selected: ", "bold"), f"{session.selected} (draining)"]
        setup_box.show(Content.assemble(*lines))
        algorithm = setup.algorithms[session.active_side]
        for panel in self.query(ConfigPanel):
            panel.show(algorithm)

    # ================================================================== controls
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        session = self.session
        if session is None:
            return True
        if action in SANDBOX_ONLY and session.is_scenario:
            return False  # a sandbox control: out of the footer, which has the scenario's keys to show
        if action in ("add_side", "next_side", "repeat_seeds") and not session.comparing:
            return False  # compare mode's own keys: out of the footer until there are sides
        if action == "take_down" or action == "bring_up":
            try:
                down = session.server_setup().down
            except ConfigError:  # the selected server is draining away
                return None if action == "take_down" else False
            return down != (action == "take_down")  # the footer offers the one that applies
        return True

    def _do(self, change: Callable[[], object], done: str | Callable[[object], str] | None = None) -> None:
        """Run a control; a refused value becomes a notification. Redraw either way."""
        session = self.session
        if session is None:
            return
        try:
            result = change()
        except ConfigError as exc:
            self.notify(_sentence(str(exc)), title="Not changed", severity="warning", markup=False)
        else:
            message = done(result) if callable(done) else done
            if message:
                self.notify(message, markup=False, timeout=3)
        self._sync_timer()
        self.refresh_bindings()
        self.draw()

    def action_toggle_pause(self) -> None:
        if self.session is not None and self.session.run.done:
            self._do(lambda: self.session.reset(False), "Finished: playing again from the start")
            self.session.run.paused = False
            self._sync_timer()
            return
        self._do(lambda: self.session.toggle_pause())

    def action_toggle_span(self) -> None:
        self.span = RECENT if self.span == SINCE else SINCE
        words = "since the run started" if self.span == SINCE else "over the last 10 s"
        self._do(lambda: None, f"Headline and % busy: counted {words} (h switches)")

    def action_step(self) -> None:
        self._do(lambda: self.session.step())

    def action_faster(self) -> None:
        self._do(lambda: self.session.faster())

    def action_slower(self) -> None:
        self._do(lambda: self.session.slower())

    def action_more_traffic(self) -> None:
        self._do(lambda: self.session.more_traffic())

    def action_less_traffic(self) -> None:
        self._do(lambda: self.session.less_traffic())

    def action_next_algorithm(self, step: int = 1) -> None:
        self._do(lambda: self.session.next_algorithm(step), self._algorithm_note)

    def action_previous_algorithm(self) -> None:
        self.action_next_algorithm(-1)

    def set_paused(self, paused: bool) -> None:
        session = self.session
        if session is not None and session.run.paused != paused:
            self.action_toggle_pause()

    def set_algorithm(self, slug: str) -> None:
        self._do(lambda: self.session.set_algorithm(slug), lambda _r: self._algorithm_note(slug))

    def _algorithm_note(self, slug: object) -> str:
        from lbtutor.sim.balancers import ALGORITHMS

        text = f"{slug}: {ALGORITHMS[str(slug)].summary}"
        if self.session is not None and self.session.comparing:
            text += " The race restarted so both sides see the same requests."
        return text

    def action_select(self, step: int) -> None:
        self._do(lambda: self.session.select(step))
        self._scroll_to_selected()

    def on_lab_bars_selected(self, event: LabBars.Selected) -> None:
        event.stop()
        if self.session is not None:
            self.session.selected = event.name
            self.refresh_bindings()
            self.draw()

    def _scroll_to_selected(self) -> None:
        session = self.session
        if session is None or session.selected is None:
            return
        bars = self.query(LabBars).first()
        names = session.server_names
        if session.selected in names:
            from textual.geometry import Region

            y = names.index(session.selected) * bars.row_height
            region = Region(0, y, 1, bars.row_height).translate(bars.region.offset)
            self.query_one("#lab-panes-scroll", VerticalScroll).scroll_to_region(region, animate=False)

    def action_add_server(self) -> None:
        self._do(lambda: self.session.add_server(), lambda name: f"Added {name} (weight 1, speed 1×)")

    def action_remove_server(self) -> None:
        self._do(lambda: self.session.remove_server(), lambda name: f"{name} leaves the pool: it finishes what it holds, then goes")

    def action_take_down(self) -> None:
        self._do(lambda: self.session.take_down(), lambda name: f"{name} is down: what it held has failed")

    def action_bring_up(self) -> None:
        self._do(lambda: self.session.bring_up(), lambda name: f"{name} is back up")

    def action_weight(self, step: int) -> None:
        name = self.session.selected if self.session else None
        self._do(lambda: self.session.nudge_weight(step), lambda w: self._unless_shown(f"{name}: weight {w:g}"))

    def action_speed(self, step: int) -> None:
        name = self.session.selected if self.session else None
        self._do(lambda: self.session.nudge_speed(step), lambda v: self._unless_shown(f"{name}: speed {v:g}×"))

    def _unless_shown(self, message: str) -> str:
        """A server's new weight or speed as a notice, unless the Setup box is on screen to show
        it (comparing, or narrower than SIDE_PANEL_MIN_WIDTH, it is not, and no row shows speed)."""
        session = self.session
        side_shown = session is not None and not session.comparing and self.size.width >= SIDE_PANEL_MIN_WIDTH
        return "" if side_shown else message  # from the state, not from styles that may lag a frame

    def action_edit(self) -> None:
        session = self.session
        if session is None:
            return
        if session.is_scenario:
            self.action_edit_scenario()
            return
        self.action_edit_server()

    def action_edit_server(self) -> None:
        from lbtutor.ui.widgets.server_editor import ServerEditor

        session = self.session
        try:
            server = session.server_setup()
        except ConfigError as exc:
            self.notify(_sentence(str(exc)), title="Nothing to edit", severity="warning", markup=False)
            return
        name = session.selected

        def apply(values: tuple[float, float] | None) -> None:
            if values is None:
                return
            weight, speed = values
            self._do(lambda: (session.set_weight(weight, name), session.set_speed(speed, name)),
                     f"{name}: weight {weight:g}, speed {speed:g}×")

        self.app.push_screen(ServerEditor(name, server.weight, server.speed), apply)

    def action_edit_scenario(self) -> None:
        from lbtutor.ui.widgets.scenario_params import ScenarioParams

        session = self.session
        if session is None or session.spec is None:
            return
        scenario = session.run.scenario.scenario

        def apply(values: dict | None) -> None:
            if values is not None:
                self._do(lambda: session.set_scenario_params(values), "Restarted with the new parameters")

        self.app.push_screen(ScenarioParams(scenario.name, scenario.title, session.scenario_parameters()), apply)

    def action_next_preset(self, step: int = 1) -> None:
        self._do(lambda: self.session.next_preset(step), lambda _n: f"Traffic: {self.session.setup.shape.title} (the run restarted)")

    def set_preset(self, name: str) -> None:
        self._do(lambda: self.session.set_preset(name), lambda _r: f"Traffic: {self.session.setup.shape.title} (the run restarted)")

    def action_next_dist(self, step: int = 1) -> None:
        self._do(lambda: self.session.next_service_dist(step), lambda d: f"Service times: {SERVICE_DIST_NAMES[d]} (the run restarted, same seed)")

    def set_service_dist(self, dist: str) -> None:
        self._do(lambda: self.session.set_service_dist(dist), f"Service times: {SERVICE_DIST_NAMES.get(dist, dist)} (the run restarted, same seed)")

    def action_compare(self) -> None:
        self._do(lambda: self.session.compare(), lambda on: "Compare: same requests on both sides; tab chooses the side a changes" if on else "Compare mode off")

    def action_add_side(self) -> None:
        session = self.session
        if session is not None and not session.is_scenario:
            sides = len(session.setup.algorithms) + 1
            if self.size.width // sides < MIN_PANE_WIDTH:
                self.notify(
                    f"{sides} algorithms side by side need a terminal {sides * MIN_PANE_WIDTH} columns wide "
                    f"(this one is {self.size.width}). Widen it, or change a side with tab and a.",
                    title="Not added", severity="warning", markup=False,
                )
                return
        self._do(lambda: session.add_side(), lambda slug: f"Added {slug} to the comparison")

    def action_repeat_seeds(self) -> None:
        if self.session is not None and self.session.comparing:
            self.query_one(SeedRepeat).start(self.session)

    def action_remove_side(self) -> None:
        self._do(lambda: self.session.remove_side(), lambda slug: f"Removed {slug} from the comparison")

    def action_next_side(self, step: int = 1) -> None:
        self._do(lambda: self.session.next_side(step))

    def action_reset(self, new_seed: bool = False) -> None:
        if new_seed and self.presenting:
            self._confirm_new_seed()
            return
        self._reset(new_seed)

    def _confirm_new_seed(self) -> None:
        """Presenter mode: a new seed means new requests, so the rehearsed demo will not repeat."""
        from lbtutor.ui.screens.confirm import ConfirmScreen

        def done(confirmed: bool | None) -> None:
            if confirmed:
                self._reset(True)

        self.app.push_screen(
            ConfirmScreen(
                "Start with a new seed?",
                "Presenter mode keeps the seed so the demo repeats exactly. A new seed sends different requests.",
                yes="New seed",
                no="Keep this seed",
            ),
            done,
        )

    def _reset(self, new_seed: bool) -> None:
        self._do(lambda: self.session.reset(new_seed),
                 lambda seed: f"Started again with seed {seed}" + ("" if new_seed else " (the same requests)"))

    def action_code(self) -> None:
        from lbtutor.ui.widgets.code_dialog import CodeDialog

        session = self.session
        if session is None:
            return
        try:
            code = session.code()
        except ValueError as exc:  # a value finer than a code holds (a teacher's lesson lab)
            self.notify(_sentence(str(exc)), title="No code for this run", severity="warning", markup=False)
            return
        copied = True
        try:
            self.app.copy_to_clipboard(code)
        except Exception:
            copied = False

        def open_code(other: str | None) -> None:
            if other:
                self.open_code(other)

        self.app.push_screen(CodeDialog(code, copied), open_code)

    def open_code(self, code: str) -> None:
        session = self.session
        if session is None:
            return
        try:
            fresh = LabSession.from_code(code, speed=session.run.speed, paused=session.run.paused)
        except (ConfigError, ValueError) as exc:
            self.notify(_sentence(str(exc)), title="Code not opened", severity="warning", markup=False)
            return
        self.session = fresh
        self.notify(f"Opened {code}", markup=False, timeout=3)
        self._sync_timer()
        self.refresh_bindings()
        self.draw()

    def action_open_scenario(self) -> None:
        from lbtutor.ui.widgets.scenario_picker import ScenarioPicker

        def chosen(name: str | None) -> None:
            if name:
                self.open_scenario(name)

        self.app.push_screen(ScenarioPicker(), chosen)

    def open_scenario(self, name: str, params: dict | None = None) -> None:
        self._do(lambda: self.session.open_scenario(name, params), f"Scenario {name}: e edits its parameters")

    def open_sandbox(self) -> None:
        self._do(lambda: self.session.open_sandbox(), "The sandbox: your setup as you left it")

    def action_close(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.app.exit()


def setup_figures(setup: LabSetup) -> list[Content]:
    """The setup in a line: traffic preset, servers, service times, queues."""
    shape = setup.shape
    speeds = {s.speed for s in setup.servers}
    weights = {s.weight for s in setup.servers}
    servers = f"{len(setup.servers)} servers × {shape.workers} worker{'s' if shape.workers != 1 else ''}"
    if len(speeds) > 1 or len(weights) > 1:
        servers += " (" + ", ".join(f"w{s.weight:g} {s.speed:g}×" for s in setup.servers) + ")"
    return [
        Content.assemble(("Setup: ", "bold"), shape.title),
        Content(servers),
        Content(f"{SERVICE_DIST_NAMES.get(setup.service_dist, setup.service_dist)} service times, "
                f"mean {seconds_text(1.0 / shape.service_rate)}"),
        Content(f"queue limit {shape.queue_limit}" if shape.queue_limit else "unbounded queues"),
    ]


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")

