"""The real lab: HAProxy or nginx on this machine in front of real backends, the simulator beside.

Two panes of the lab's own load bars: the real servers (each row with the balancer's own view of
it: UP, DOWN, "UP 1/3", MAINT, its last check) and the simulator running the same setup on the
same requests, stepped to the same clock. Keys break and heal the selected backend, switch the
algorithm (a graceful reload), change the rate or a weight, pause the traffic, and show or save the
generated config. The run lives in `lbtutor.real.live.LiveLab`, on its own thread and event loop:
no key waits for a process. Leaving the screen (or the app) stops every process it started.
Without the balancer the screen says so and the simulator runs alone.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import Future

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer

from lbtutor.real import algorithms
from lbtutor.real.live import LiveFrame, LiveLab
from lbtutor.real.setup import MAX_RATE, MAX_WEIGHT, RealSetup
from lbtutor.sim.config import ConfigError
from lbtutor.sim.snapshot import Snapshot
from lbtutor.ui.widgets.fitting_footer import FittingFooter
from lbtutor.ui.widgets.lab_bars import LabBars
from lbtutor.ui.widgets.lab_text import LabText, pack_figures
from lbtutor.ui.widgets.live_scroll import LiveScroll
from lbtutor.ui.widgets.tutor_header import TutorHeader
from lbtutor.units import seconds as seconds_text

FRAME = 0.1  # seconds between two redraws (the run makes a frame this often)
RATE_STEP = 1.25
LOG_SHOWN = 6
BALANCER_NAMES = {"haproxy": "HAProxy", "nginx": "nginx"}
VIEW_WIDTH = 27


class RealLabScreen(Screen[None]):
    """The real lab for `setup` (a RealSetup)."""

    BINDINGS = [
        Binding("space", "toggle_pause", "Pause", tooltip="Pause or resume the traffic (the balancer keeps checking)", id="real.pause"),
        Binding("up,k", "select(-1)", "Select", tooltip="↑ ↓ select a backend", id="real.select_up", key_display="↑↓"),
        Binding("down,j", "select(1)", "Select down", tooltip="Select the backend below", id="real.select_down", show=False),
        Binding("r", "break('refuse')", "Refuse", tooltip="The selected backend refuses connections (its process is gone)", id="real.refuse"),
        Binding("h", "break('hang')", "Hang", tooltip="The selected backend accepts connections and never answers", id="real.hang"),
        Binding("e", "break('app-error')", "500s", tooltip="The selected backend answers every request with a 500", id="real.app_error"),
        Binding("s", "break('slow')", "Slow", tooltip="The selected backend serves 4x slower", id="real.slow"),
        Binding("u", "heal", "Heal", tooltip="The selected backend is healthy again", id="real.heal"),
        Binding("a", "next_algorithm(1)", "Algorithm", tooltip="Next algorithm: a new config and a graceful reload (A: previous)", id="real.algorithm", key_display="a/A"),
        Binding("A", "next_algorithm(-1)", "Previous algorithm", tooltip="Previous algorithm", id="real.algorithm_back", show=False),
        Binding("right", "rate(1)", "Rate", tooltip="→ raises the arrival rate by a quarter, ← lowers it", id="real.rate_up", key_display="→/←"),
        Binding("left", "rate(-1)", "Less traffic", tooltip="Lower the arrival rate by a fifth", id="real.rate_down", show=False),
        Binding("w", "weight(1)", "Weight", tooltip="w raises the selected backend's weight, W lowers it (a reload)", id="real.weight_up", key_display="w/W", show=False),
        Binding("W", "weight(-1)", "Lower weight", tooltip="Lower the selected backend's weight", id="real.weight_down", show=False),
        Binding("c", "config", "Config", tooltip="Show the balancer's generated config (and save it)", id="real.config"),
        Binding("escape", "close", "Back", tooltip="Leave the real lab (every process it started stops)", id="real.close", key_display="esc", show=False),
    ]

    DEFAULT_CSS = """
    RealLabScreen #real-status {
        height: auto;
        padding: 0 1;
        background: $boost;
    }
    RealLabScreen #real-notice {
        height: auto;
        padding: 0 1;
        background: $warning 25%;
        text-style: bold;
    }
    RealLabScreen #real-body {
        height: 1fr;
    }
    RealLabScreen .real-pane {
        height: auto;
        border: round $primary 50%;
        border-title-style: bold;
        border-title-color: $text;
        padding: 0 1;
    }
    RealLabScreen .pane-counts {
        height: auto;
        color: $text-muted;
    }
    RealLabScreen .pane-rows {
        height: auto;
    }
    RealLabScreen .pane-rows LabBars {
        width: 1fr;
    }
    RealLabScreen #real-views {
        width: auto;
        max-width: 28;
        height: auto;
        padding-left: 1;
    }
    RealLabScreen #real-log {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    """

    def __init__(self, setup: RealSetup, *, notice: str = "") -> None:
        super().__init__()
        self.setup = setup
        self.live: LiveLab | None = None
        self.selected = setup.names[0]
        self._timer: Timer | None = None
        self._drawn: LiveFrame | None = None
        self._notice = notice

    # ================================================================== building
    def compose(self) -> ComposeResult:
        yield TutorHeader()
        yield LabText(id="real-status")
        yield LabText(id="real-notice")
        with LiveScroll(id="real-body", can_focus=False):
            with Vertical(id="real-pane", classes="real-pane"):
                yield LabText(classes="pane-counts", id="real-counts")
                with Horizontal(classes="pane-rows"):
                    yield LabBars(id="real-bars")
                    yield LabText(id="real-views")
            with Vertical(id="sim-pane", classes="real-pane"):
                yield LabText(classes="pane-counts", id="sim-counts")
                with Horizontal(classes="pane-rows"):
                    yield LabBars(id="sim-bars")
            yield LabText(id="real-log")
        yield FittingFooter(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "Real lab"
        self.query_one("#real-pane").border_title = f"{self._balancer_name()} on this machine (real)"
        self.query_one("#sim-pane").border_title = "Simulator: the same setup, the same requests"
        self.live = LiveLab(self.setup)
        self.live.start()
        self._timer = self.set_interval(FRAME, self.draw)
        self.draw()

    def on_unmount(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop the run and every process it started (safe to call twice)."""
        if self._timer is not None:
            self._timer.stop()
        if self.live is not None:
            self.live.stop()

    def _balancer_name(self) -> str:
        return BALANCER_NAMES.get(self.setup.balancer, self.setup.balancer)

    # ================================================================== drawing
    def draw(self) -> None:
        live = self.live
        if live is None or not self.is_attached:
            return
        frame = live.frame
        if frame is None or frame is self._drawn:
            if frame is None:
                self.query_one("#real-status", LabText).show(f"Starting {self._balancer_name()} and the backends…")
            return
        self._drawn = frame
        self.setup = live.setup
        self.query_one("#real-status", LabText).show(self._status(frame))
        notice = self.query_one("#real-notice", LabText)
        words = frame.message or self._notice
        notice.display = bool(words)
        if words:
            notice.show("⚠ " + words)
        real_pane = self.query_one("#real-pane")
        real_pane.display = frame.real is not None
        if frame.real is not None:
            self.query_one("#real-counts", LabText).show(self._counts(frame.real, frame, real=True))
            self.query_one("#real-bars", LabBars).show(frame.real, self.selected)
            self.query_one("#real-views", LabText).show(self._views(frame))
        if frame.sim is not None:
            self.query_one("#sim-counts", LabText).show(self._counts(frame.sim, frame, real=False))
            self.query_one("#sim-bars", LabBars).show(frame.sim, self.selected)
        log = self.query_one("#real-log", LabText)
        log.show("\n".join(frame.log[-LOG_SHOWN:]) if frame.log else
                 "Select a backend (↑ ↓) and break it: r refuses, h hangs, e answers 500s, s is slow; u heals.")

    def _status(self, frame: LiveFrame) -> Content:
        state = "⏸ PAUSED" if frame.paused else "▶ SENDING"
        if frame.state == "stopped":
            state = "■ STOPPED"
        who = self._balancer_name() if frame.state != "sim-only" else "simulator only"
        if frame.state == "balancer-gone":
            who += " (gone)"
        load = frame.rate / self.setup.capacity
        figures = [Content.assemble(Content.from_markup(f"[bold reverse] {state} [/]"), "  ", who),
                   frame.algorithm, f"{frame.rate:g} req/s ({load:.0%} of capacity)",
                   f"{self.setup.service_dist} service {seconds_text(1 / self.setup.service_rate)}",
                   f"t = {frame.time:.1f} s"]
        # broken between figures only: a narrow screen never leaves "t =" on one line, "11.3 s" on the next
        return pack_figures(figures, self.query_one("#real-status", LabText).content_region.width)

    def _counts(self, snap: Snapshot, frame: LiveFrame, *, real: bool) -> Content:
        width = self.query_one("#real-counts", LabText).content_region.width
        recent = snap.recent
        figures = [
            f"sent {snap.arrived:,}", f"ok {snap.completed:,}", f"failed {snap.failed:,}",
            f"open {snap.in_flight:,}",
            f"p50 {seconds_text(recent.p50)}", f"p99 {seconds_text(recent.p99)} (last {snap.window:.0f} s)",
        ]
        if real and frame.generator.get("lateness_p99") is not None:
            figures.append(f"generator late {seconds_text(frame.generator['lateness_p99'])} p99")
        return pack_figures(figures, width)

    def _views(self, frame: LiveFrame) -> str:
        """One line per server in the balancer's own words: its state, its last check, HAProxy's
        slow-start throttle while a readmitted server ramps up, the sessions open on it. What does
        not fit whole in VIEW_WIDTH is left out, in that order of importance, never cut."""
        if frame.state == "balancer-gone" and self.setup.balancer == "haproxy":  # its last words are stale
            return "\n".join("no balancer" for _ in self.setup.names)
        lines = []
        for name in self.setup.names:
            view = frame.views.get(name)
            if view is None:
                lines.append("…")
                continue
            line = f"{view.status:<9}".rstrip()
            for part in (view.check,
                         f"throttle {view.throttle}%" if view.throttle is not None else "",
                         f"{view.sessions} sess" if view.sessions is not None else ""):
                if part and len(line) + 1 + len(part) <= VIEW_WIDTH:
                    line = f"{line:<9} {part}"
            lines.append(line[:VIEW_WIDTH])  # a status alone longer than the column (none is)
        return "\n".join(lines)

    # ================================================================== actions
    def _after(self, future: Future, what: str) -> None:
        """Tell the learner, on the screen's thread, if a control failed in the run's thread."""
        def done(f: Future) -> None:
            exc = f.exception()
            if exc is not None:
                message = str(exc) or exc.__class__.__name__
                with contextlib.suppress(RuntimeError):  # the app is closing
                    self.app.call_from_thread(self.notify, message, title=f"{what}: not done",
                                              severity="warning", markup=False)
        future.add_done_callback(done)

    def action_select(self, step: int) -> None:
        names = self.setup.names
        self.selected = names[(names.index(self.selected) + step) % len(names)]
        self._drawn = None
        self.draw()

    def action_break(self, mode: str) -> None:
        if self.live is not None:
            self._after(self.live.break_server(self.selected, mode), f"{self.selected} {mode}")

    def action_heal(self) -> None:
        if self.live is not None:
            self._after(self.live.heal(self.selected), f"heal {self.selected}")

    def action_toggle_pause(self) -> None:
        if self.live is not None:
            self._after(self.live.resume() if self.live.paused else self.live.pause(), "pause")

    def action_next_algorithm(self, step: int) -> None:
        choices = algorithms.supported(self.setup.balancer)
        current = self.setup.algorithm
        i = choices.index(current) if current in choices else -step
        self.set_algorithm(choices[(i + step) % len(choices)])

    def set_algorithm(self, slug: str) -> None:
        if self.live is not None:
            self._after(self.live.set_algorithm(slug), f"algorithm {slug}")

    def action_rate(self, step: int) -> None:
        rate = self.setup.rate * (RATE_STEP if step > 0 else 1 / RATE_STEP)
        rate = round(min(MAX_RATE, max(1.0, rate)), 1)
        try:
            self.setup.with_changes(arrival_rate=rate)
        except ConfigError as exc:
            self.notify(str(exc), title="Rate not changed", severity="warning", markup=False)
            return
        if self.live is not None:
            self._after(self.live.set_rate(rate), "rate")

    def action_weight(self, step: int) -> None:
        i = self.setup.names.index(self.selected)
        weight = self.setup.weight_list[i] + step
        if not 1 <= weight <= MAX_WEIGHT:
            self.notify(f"A weight is a whole number from 1 to {MAX_WEIGHT}.", title="Weight not changed",
                        severity="warning", markup=False)
            return
        if self.live is not None:
            self._after(self.live.set_weight(self.selected, weight), f"weight of {self.selected}")

    def action_config(self) -> None:
        from lbtutor.ui.widgets.config_dialog import ConfigDialog

        live = self.live
        text = live.config_text if live is not None else ""
        if not text:
            self.notify("No balancer is running, so there is no config to show.", title="No config",
                        severity="warning", markup=False)
            return
        name = self._balancer_name()
        note = (f"The whole file {name} runs now, written by lbtutor for {self.setup.algorithm}. "
                "It runs as is (see its first lines); s or Save writes it to the exports folder.")
        self.app.push_screen(ConfigDialog(f"{name} config", text, note),
                             lambda save: self._save_config(text) if save else None)

    def _save_config(self, text: str) -> None:
        from lbtutor.export import file_stem, unique_stem
        from lbtutor.ui.exports import exports_dir

        folder = exports_dir(self.app)
        suffix = ".cfg" if self.setup.balancer == "haproxy" else ".conf"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            stem = unique_stem(folder, file_stem(self.setup.balancer, self.setup.algorithm), [suffix])
            path = folder / f"{stem}{suffix}"
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            self.notify(f"Could not save the config in {folder}: {exc.strerror or exc}",
                        title="Config not saved", severity="error", markup=False)
            return
        self.notify(f"{path.name}\nin {folder}", title="Config saved", markup=False)

    def action_close(self) -> None:
        self.stop()
        self.dismiss()

    def on_lab_bars_selected(self, event: LabBars.Selected) -> None:
        event.stop()
        if event.name in self.setup.names:
            self.selected = event.name
            self._drawn = None
            self.draw()
