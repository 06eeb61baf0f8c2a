"""A live mini-simulation inside a lesson step: load bars per server, a status line, and controls.

The block owns a `LiveRun` and ticks it at about 30 frames a second, only while it is active (its
step is on screen and the lesson screen is the one shown) and not paused. Everything it draws is
read from snapshots; it never reaches into the simulator.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Container, Horizontal, ScrollableContainer, Vertical
from textual.content import Content
from textual.markup import escape
from textual.timer import Timer
from textual.widgets import Static

from lbtutor.ui.widgets.server_bars import ServerBars

if TYPE_CHECKING:
    from lbtutor.content.lessons import LabBlock
    from lbtutor.sim.live import LiveRun
    from lbtutor.sim.snapshot import Snapshot

FPS = 30
SIDE_BY_SIDE_MIN_WIDTH = 110  # below this, several panes are stacked


class LabPane(Vertical):
    """One simulation of the lab: its label with its numbers, then one bar per server."""

    DEFAULT_CSS = """
    LabPane {
        height: auto;
        width: 1fr;
    }
    LabPane > Horizontal {
        height: auto;
    }
    LabPane .pane-label {
        width: auto;
        max-width: 50%;
        text-style: bold;
        margin-right: 2;
    }
    LabPane .pane-counts {
        width: 1fr;
    }
    LabPane > .pane-note {
        text-style: italic;
    }
    """

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static("", classes="pane-label")
            yield Static("", classes="pane-counts")
        yield Static("", classes="pane-note")
        yield ServerBars()

    def show(self, label: str, note: str, snapshot: Snapshot) -> None:
        self.query_one(".pane-label", Static).update(Content(label))
        counts = self.query_one(".pane-counts", Static)
        counts.update(_pack(_counts(snapshot), counts.content_region.width or 80))
        note_widget = self.query_one(".pane-note", Static)
        note_widget.display = bool(note)
        note_widget.update(Content(note))
        self.query_one(ServerBars).show(snapshot)


class LabBlockView(Vertical):
    """The lab block of a step. Keys (routed by the lesson screen): p, +, -, m, `.`."""

    DEFAULT_CSS = """
    LabBlockView {
        height: auto;
        margin: 0 0 1 0;
        padding: 0 1;
        border: round $primary;
        border-title-color: $text-primary;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
    }
    LabBlockView > .lab-look-for {
        margin-bottom: 1;
    }
    LabBlockView > .lab-algorithms {
        margin-bottom: 1;
    }
    LabBlockView > #panes {
        height: auto;
        layout: horizontal;
    }
    LabBlockView.-stacked > #panes {
        layout: vertical;
    }
    LabBlockView LabPane {
        margin-right: 2;
    }
    LabBlockView.-stacked LabPane {
        margin-right: 0;
        margin-bottom: 1;
    }
    LabBlockView LabPane:last-child {
        margin-right: 0;
        margin-bottom: 0;
    }
    LabBlockView > .lab-headline, LabBlockView > .lab-log {
        margin-top: 1;
    }
    LabBlockView > .lab-status {
        margin-top: 1;
        color: $text-muted;
    }
    LabBlockView > .lab-notice {
        color: $text-warning;
        margin-bottom: 1;
    }
    """

    def __init__(self, lab: LabBlock, *, autoplay: bool = True) -> None:
        super().__init__(classes="lab-block")
        self.lab = lab
        self.autoplay = autoplay
        self.border_title = escape(f"Lab: {lab.title}")
        self.run: LiveRun | None = None
        self.sim: Any = None  # the engine Simulation of an engine lab (for switching algorithms)
        self.algorithm = lab.algorithms[0] if lab.algorithms else None
        self.comparing = False  # all the lab's algorithms side by side, each on the same traffic
        self.problem: str | None = None
        self.active = False
        self._timer: Timer | None = None
        self._last_frame = 0.0

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble(("Look for: ", "bold"), self.lab.look_for), classes="lab-look-for")
        yield Static("", classes="lab-notice")
        if self.lab.is_engine and len(self.lab.algorithms) > 1:
            yield Static("", classes="lab-algorithms")
        yield Container(id="panes")
        if not self.lab.is_engine:
            yield Static("", classes="lab-headline")
            yield Static("", classes="lab-log")
        yield Static("", classes="lab-status")

    def on_mount(self) -> None:
        self.query_one(".lab-notice", Static).display = False
        self._build()
        self._timer = self.set_interval(1 / FPS, self._frame, pause=True)
        self.draw()

    def on_resize(self) -> None:
        self.set_class(self.size.width < SIDE_BY_SIDE_MIN_WIDTH, "-stacked")

    # ---------------------------------------------------------------- the run
    def _build(self) -> None:
        try:
            self.run, self.sim = build_live_run(self.lab, self.algorithm, self.comparing, paused=not self.autoplay)
        except ImportError:
            self._fail(f"The scenario “{self.lab.scenario}” is not available yet in this build, so this lab cannot run.")
        except Exception as exc:  # a bad setting must not take the lesson down with it
            self._fail(f"This lab could not start: {exc}")

    def _fail(self, message: str) -> None:
        self.run = None
        self.problem = message
        if self._timer is not None:
            self._timer.pause()
        notice = self.query_one(".lab-notice", Static)
        notice.update(Content(message))
        notice.display = True

    # -------------------------------------------------------------- controls
    def set_active(self, active: bool) -> None:
        """Run the frame timer only while this block is on the shown step and the screen is up."""
        self.active = active
        self._sync_timer()

    def _sync_timer(self) -> None:
        if self._timer is None:
            return
        if self.active and self.run is not None and not self.run.paused and not self.run.done:
            self._last_frame = time.monotonic()
            self._timer.resume()
        else:
            self._timer.pause()

    def toggle_pause(self) -> None:
        if self.run is None:
            return
        if self.run.done:  # a finished scenario plays again from the start
            self._build()
            if self.run is not None:
                self.run.paused = False
                self._clear_panes()
        else:
            self.run.toggle_pause()
        self._sync_timer()
        self.draw()

    def faster(self) -> None:
        if self.run is not None:
            self.run.faster()
            self.draw()

    def slower(self) -> None:
        if self.run is not None:
            self.run.slower()
            self.draw()

    def step_once(self) -> None:
        """Advance one small step of simulated time (works while paused)."""
        if self.run is not None and not self.run.done:
            self._guard(self.run.step)
            self.draw()

    def next_algorithm(self) -> bool:
        """Switch an engine lab to the next of its algorithms. False if it has only one."""
        algorithms = self.lab.algorithms
        if self.sim is None or len(algorithms) < 2:
            return False
        self.algorithm = algorithms[(algorithms.index(self.algorithm) + 1) % len(algorithms)]
        self._guard(lambda: self.sim.set_algorithm(self.algorithm))
        self.draw()
        return True

    @property
    def can_switch(self) -> bool:
        return self.sim is not None and len(self.lab.algorithms) > 1

    @property
    def can_compare(self) -> bool:
        return self.lab.is_engine and len(self.lab.algorithms) > 1

    def toggle_compare(self) -> None:
        """Switch between one algorithm at a time and all of them side by side (from t = 0)."""
        if not self.can_compare:
            return
        playing = self.run is not None and not self.run.paused
        self.comparing = not self.comparing
        self._build()
        if self.run is not None:
            self.run.paused = not playing
        self._sync_timer()
        self.draw()

    # ---------------------------------------------------------------- frames
    def _in_view(self) -> bool:
        """Is any part of the block scrolled into view? A lab waits until the learner can see it."""
        viewport = self.screen.region
        for ancestor in self.ancestors:
            if isinstance(ancestor, ScrollableContainer):
                viewport = ancestor.region
                break
        return self.region.overlaps(viewport)

    def _frame(self) -> None:
        now = time.monotonic()
        dt = min(now - self._last_frame, 0.25)  # after a stall, do not try to catch up all at once
        self._last_frame = now
        if self.run is None or not self._in_view():
            return
        self._guard(lambda: self.run.tick(dt))
        self.draw()
        if self.run is not None and self.run.done:
            self._sync_timer()

    def _guard(self, action) -> None:
        try:
            action()
        except Exception as exc:
            self._fail(f"This lab stopped: {exc}")

    def _clear_panes(self) -> None:
        self.query_one("#panes").remove_children()

    def draw(self) -> None:
        if not self.is_attached:
            return
        if self.run is None:
            self.query_one(".lab-status", Static).update("")
            return
        try:
            panes = self.run.panes()
        except Exception as exc:
            self._fail(f"This lab stopped: {exc}")
            return
        container = self.query_one("#panes")
        views = list(container.query_children(LabPane))
        if len(views) != len(panes):
            container.remove_children()
            views = [LabPane() for _ in panes]
            container.mount_all(views)
            self.call_after_refresh(self.draw)  # the new panes can draw once they are mounted
            return
        if not all(view.is_mounted for view in views):  # still composing: their labels do not exist yet
            self.call_after_refresh(self.draw)
            return
        for view, pane in zip(views, panes, strict=True):
            view.show(pane.label, pane.note, pane.snapshot)
        if self.lab.is_engine and len(self.lab.algorithms) > 1:
            self.query_one(".lab-algorithms", Static).update(self._algorithms_line())
        if not self.lab.is_engine:
            headline, log = self._headline(), self._log()
            for selector, content in ((".lab-headline", headline), (".lab-log", log)):
                widget = self.query_one(selector, Static)
                widget.display = content is not None
                if content is not None:
                    widget.update(content)
        self.query_one(".lab-status", Static).update(self._status())

    def _algorithms_line(self) -> Content:
        if self.comparing:
            return Content.assemble(
                ("Comparing ", "bold"),
                f"{', '.join(self.lab.algorithms)} on identical traffic (v: one at a time)",
            )
        parts: list = [("Algorithm ", "bold"), ("(m: switch, v: compare): ", "")]
        for slug in self.lab.algorithms:
            if slug == self.algorithm:
                parts.append((f"▸ {slug} ◂", "bold reverse"))
            else:
                parts.append((f"  {slug}  ", ""))
            parts.append(" ")
        return Content.assemble(*parts)

    def _headline(self) -> Table | None:
        """The scenario's headline metrics as a grid of name/value pairs (two or three a row)."""
        run = self.run
        try:
            values = run.headline() if run else None
        except Exception:
            values = None
        if not values:
            return None
        units = {m.name: m.unit for m in getattr(run.scenario.scenario, "metrics", ())}
        per_row = 3 if self.size.width >= 110 else 2
        grid = Table.grid(padding=(0, 1), expand=True)
        for _ in range(per_row):
            grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis", style="dim")
            grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis", style="bold")
        cells: list[Text] = []
        for name, value in values.items():
            cells += [Text(name.replace("_", " ")), Text(_format_metric(value, units.get(name, "")))]
        width = 2 * per_row
        for start in range(0, len(cells), width):
            row = cells[start : start + width]
            grid.add_row(*row, *[Text("")] * (width - len(row)))
        return grid

    def _log(self) -> Content | None:
        log = self.run.scenario.log if self.run and self.run.scenario else []
        if not log:
            return None
        return Content("\n".join(f"at {t:.1f} s: {text}" for t, text in log[-2:]))

    def _status(self) -> Content:
        run = self.run
        assert run is not None
        if run.done:
            state = ("■ finished", "bold")
            hint = "p play again"
        elif run.paused:
            state = ("‖ paused", "bold")
            hint = "p play · . step"
        else:
            state = ("▶ playing", "bold")
            hint = "p pause"
        clock = f"t = {run.now:.1f} s"
        if run.scenario is not None:
            clock += f" of {run.scenario.duration:g} s"
        speed = f"speed {run.speed:g}×" + (" (lagging: the simulation cannot keep up)" if run.lagging else "")
        return Content.assemble(state, f" · {clock} · {speed}   ", (f"{hint} · - + speed · o open in lab", "dim"))


def build_live_run(lab: LabBlock, algorithm: str | None, comparing: bool, *, paused: bool) -> tuple[LiveRun, Any]:
    """The player for a lab block, and the engine Simulation to switch algorithms on (or None).

    An engine lab runs one algorithm, or with `comparing` every algorithm it lists, each in its
    own simulation with the same seed, so all of them see the very same requests. A scenario lab
    builds its named scenario with the block's settings.
    """
    from lbtutor.sim.live import LiveRun

    if lab.is_engine:
        from lbtutor.sim.engine import Simulation

        if comparing:
            sims = [Simulation(lab.sim_config(slug), sample_interval=0.25) for slug in lab.algorithms]
            return LiveRun(sims, speed=lab.speed, paused=paused), None
        sim = Simulation(lab.sim_config(algorithm), sample_interval=0.25)
        return LiveRun(sim, speed=lab.speed, paused=paused), sim
    from lbtutor.sim import scenarios

    run = scenarios.get(lab.scenario).build(lab.settings, lab.seed)
    return LiveRun(run, speed=lab.speed, paused=paused), None


def _pack(parts: list[str], width: int, separator: str = " · ") -> Content:
    """Join figures with `separator`, breaking lines only between figures, never inside one."""
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + len(separator) + len(part) <= width:
            lines[-1] += separator + part
        else:
            lines.append(part)
    return Content("\n".join(lines))


def _counts(snapshot: Snapshot) -> list[str]:
    parts = [f"{snapshot.arrived:,} arrived", f"{snapshot.completed:,} done"]
    if snapshot.dropped:
        parts.append(f"{snapshot.dropped:,} dropped")
    if snapshot.failed:
        parts.append(f"{snapshot.failed:,} failed")
    recent = snapshot.recent
    if recent.count and recent.mean is not None:
        parts.append(f"mean latency {_seconds(recent.mean)}")
        if recent.p95 is not None:
            parts.append(f"p95 {_seconds(recent.p95)}")
    return parts


def _seconds(value: float) -> str:
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s"


def _format_metric(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" + (f" {unit}" if unit and unit not in ("count", "fraction") else "")
    if isinstance(value, float):
        if unit == "fraction":
            return f"{value * 100:.1f}%"
        if unit == "x":
            return f"{value:.2f}×"
        if unit == "s":
            return _seconds(value)
        return _number(value) + (f" {unit}" if unit else "")
    return str(value)


def _number(value: float) -> str:
    """3 significant figures for small numbers, whole numbers with separators for big ones."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"
