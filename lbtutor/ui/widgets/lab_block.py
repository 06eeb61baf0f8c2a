"""A live mini-simulation inside a lesson step: load bars per server, a status line, and controls.

The block owns a `LiveRun` and redraws it at the app's frame rate (`--fps`, 30 by default; the
simulation keeps its pace whatever the rate), only while it is active (its step is on screen and
the lesson screen is the one shown) and not paused. Everything it draws is read from snapshots;
it never reaches into the simulator. In presenter mode its bars grow as thick as the screen
allows and each pane's headline numbers are drawn in large digits.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import ComposeResult
from textual.containers import Container, Horizontal, ScrollableContainer, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.markup import escape
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Digits, Static

from lbtutor.sim.readings import reading_rows
from lbtutor.sim.scenarios.base import LATENCY
from lbtutor.ui.frame_rate import DEFAULT_FPS, FramePacer
from lbtutor.ui.widgets.compare_view import side_by_side
from lbtutor.ui.widgets.lab_bars import MAX_ROW_HEIGHT, LabBars
from lbtutor.ui.widgets.lab_text import LabText, headline_figures, labelled_rows, pack_figures
from lbtutor.ui.widgets.latency_chart import LatencyChart, show_scenario_chart
from lbtutor.ui.widgets.server_bars import scale_need
from lbtutor.units import seconds

if TYPE_CHECKING:
    from lbtutor.content.lessons import LabBlock
    from lbtutor.sim.live import LiveRun
    from lbtutor.sim.snapshot import Snapshot

PANE_GAP = 2  # cells between panes side by side
DISPATCH_PICKS = 42  # servers kept for the dispatch strip (six rounds of a 7-request cycle)
FIGURES_HEIGHT = 5  # two lines of label (what, and over which span) and three lines of digits
MAX_FIGURES_SERVERS = 8  # with more servers than this, the digits give their room to the bars
# Presenter mode tries these (lines per server, large digits) in turn and keeps the first that fits.
PRESENTER_SIZES = ((MAX_ROW_HEIGHT, True), (2, True), (MAX_ROW_HEIGHT, False), (2, False), (1, False))


class PaneFigures(Horizontal):
    """Presenter mode: a pane's headline numbers in large digits, each under a small label."""

    DEFAULT_CSS = """
    PaneFigures {
        height: auto;
    }
    PaneFigures > Vertical {
        width: 1fr;
        height: auto;
        padding-right: 1;
    }
    PaneFigures .figure-label {
        width: 100%;
        height: 2;
        color: $text-muted;
    }
    PaneFigures Digits {
        width: auto;
        text-style: bold;
    }
    """

    LABELS = ("done/s\nsince start", "mean latency\nsince start", "p95 latency\nlast 10 s", "lost\nsince start")

    def on_mount(self) -> None:
        self.display = False

    def compose(self) -> ComposeResult:
        for label in self.LABELS:
            with Vertical():
                yield Static(label, classes="figure-label")
                yield Digits("")

    def show(self, snapshot: Snapshot) -> None:
        recent, total = snapshot.recent, snapshot.total
        values = (
            f"{total.throughput:.1f}/s" if total else "-",
            _compact_seconds(total.mean_latency) if total and total.mean_latency is not None else "-",
            _compact_seconds(recent.p95) if recent.count and recent.p95 is not None else "-",
            f"{total.dropped + total.failed:,}" if total else "-",
        )
        for digits, value in zip(self.query(Digits), values, strict=True):
            if digits.value != value:
                digits.update(value)


class LabPane(Vertical):
    """One simulation of the lab: its label, its readings (since the start, and over the last
    few seconds, each row headed by its span), then one bar per server with their legend."""

    DEFAULT_CSS = """
    LabPane {
        height: auto;
        width: 1fr;
    }
    LabPane .pane-label {
        text-style: bold;
    }
    LabPane > .pane-note {
        text-style: italic;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static("", classes="pane-label")
        yield LabText(classes="pane-counts")
        yield Static("", classes="pane-note")
        yield PaneFigures()
        yield LabBars()
        yield LabText(classes="pane-picks")

    def show(self, label: str, note: str, snapshot: Snapshot, need: int | None = None, latency: bool = True) -> None:
        label_widget = self.query_one(".pane-label", Static)
        label_widget.display = bool(label)
        label_widget.update(Content(label))
        counts = self.query_one(".pane-counts", LabText)
        figures = self.query_one(PaneFigures)
        # with the large digits on show, the latencies are not said twice
        rows = reading_rows(snapshot, latency=latency and not figures.display)
        if figures.display:  # the large digits say done/s: not twice
            rows = [(span, [f for f in row if not f.endswith("done/s")]) for span, row in rows]
        counts.show(labelled_rows(rows, counts.content_region.width or 80))
        note_widget = self.query_one(".pane-note", Static)
        note_widget.display = bool(note)
        note_widget.update(Content(note))
        if figures.display:
            figures.show(snapshot)
        self.query_one(LabBars).show(snapshot, need=need)
        picks = self.query_one(".pane-picks", LabText)
        picks.display = bool(snapshot.picks)
        if snapshot.picks:
            picks.show(dispatch_strip(snapshot.picks, picks.content_region.width or 80))

    def set_size(self, row_height: int, figures: bool) -> None:
        """Presenter mode: `row_height` lines per server, and the large digits or not."""
        self.query_one(LabBars).set_row_height(row_height)
        self.query_one(PaneFigures).display = figures

    @property
    def flexible_height(self) -> int:
        """The lines that presenter mode adds (thick bars, digits): what the rest is measured without."""
        bars = self.query_one(LabBars)
        figures = self.query_one(PaneFigures)
        return bars.outer_size.height + (figures.outer_size.height if figures.display else 0)


class LabBlockView(Vertical):
    """The lab block of a step. Keys (routed by the lesson screen): p, +, -, m, `.`."""

    class StatusChanged(Message):
        """Presenter mode: the status line changed (the lesson screen keeps a copy always in view)."""

        def __init__(self, lab: LabBlockView, status: Content) -> None:
            super().__init__()
            self.lab = lab
            self.status = status

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
        margin-right: 2;  /* PANE_GAP */
    }
    LabBlockView.-stacked LabPane {
        margin-right: 0;
        margin-bottom: 1;
    }
    LabBlockView LabPane:last-child {
        margin-right: 0;
        margin-bottom: 0;
    }
    LabBlockView > .lab-headline, LabBlockView > .lab-log, LabBlockView > .lab-chart {
        margin-top: 1;
    }
    LabBlockView > .lab-chart {
        height: 8;
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
        self._pacer = FramePacer(DEFAULT_FPS)
        self._posted_status: Content | None = None
        # The panes this block made and has not removed. Not a query of #panes: removing is
        # finished later, and counting panes on their way out made every frame remove and mount
        # them again, a storm that kept the lesson from ever settling (found by key mashing).
        self._views: list[LabPane] = []
        self._height = 0  # the block's height at its last resize
        self._switched = False  # the readings count from an algorithm switch, not from t = 0
        self._running_to: float | None = None  # `run_to_soon` is on its way to this time

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble(("Look for: ", "bold"), self.lab.look_for), classes="lab-look-for")
        yield Static("", classes="lab-notice")
        if self.lab.is_engine and len(self.lab.algorithms) > 1:
            yield Static("", classes="lab-algorithms")
        yield Container(id="panes")
        if not self.lab.is_engine:
            yield Static("", classes="lab-headline")
            yield LatencyChart(classes="lab-chart")
            yield Static("", classes="lab-log")
        yield Static("", classes="lab-status")

    def on_mount(self) -> None:
        self.query_one(".lab-notice", Static).display = False
        self._build()
        self._pacer = FramePacer(getattr(self.app, "fps", DEFAULT_FPS))
        self._timer = self.set_interval(self._pacer.interval, self._frame, pause=True)
        self.draw()

    def on_resize(self, event: events.Resize) -> None:
        self._restack()
        if self.presenting:
            self.call_after_refresh(self.draw)  # bar thickness is measured against the new size
        if event.size.height < self._height:
            # A lab that got shorter while the step is scrolled to its end moves up under the
            # viewport; repaint the whole screen so none of its old bottom lines stay behind
            # (a stale "s1 … served" row and status line were seen below the live ones).
            self.call_after_refresh(self.screen.refresh)
        self._height = event.size.height

    def slide_units(self) -> list:
        """Presenter mode's blocks: the lab from its top, then each pane, then what follows
        them, so → can start a page at a pane instead of inside one."""
        units: list = [child for child in self.children if child.has_class("lab-look-for", "lab-algorithms")]
        units += [view for view in self._views if view.display]
        units += [child for child in self.children
                  if child.has_class("lab-headline", "lab-chart", "lab-log", "lab-status") and child.display]
        return units

    def _restack(self) -> None:
        """Side by side only while each pane gets MIN_PANE_WIDTH cells (see side_by_side)."""
        width = self.content_region.width
        self.set_class(bool(width) and not side_by_side(width, len(self._views), PANE_GAP), "-stacked")

    # ---------------------------------------------------------------- the run
    def _build(self) -> None:
        self._switched = False
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
            self._pacer.start(time.monotonic())
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

    def run_to(self, t: float | None) -> None:
        """Run the lab, paused, to simulated time `t` (None: a scenario's end), so the learner
        sees the numbers a check quotes."""
        run = self.run
        if run is None:
            return
        if t is None and run.scenario is not None:
            t = run.scenario.duration
        if t is None:
            return
        if run.now > t + 1e-9 or self._switched:
            # past it already, or counting from a switch: start again (the same traffic, under
            # the algorithm now chosen), so the readings at `t` cover the whole run to it
            self._build()
            self._clear_panes()
            run = self.run
            if run is None:
                return
        run.paused = True
        self._guard(lambda: run.run_to(t))
        self._sync_timer()
        self.draw()

    def run_to_soon(self, t: float | None) -> None:
        """`run_to`, after a frame that says where the lab is going: a long run (twenty minutes
        of simulated traffic) takes a few seconds, and the learner sees why the lab is still."""
        run = self.run
        if run is None:
            return
        target = run.scenario.duration if t is None and run.scenario is not None else t
        if target is None:
            return
        self._running_to = target
        self.draw()

        def finish() -> None:
            self._running_to = None
            if self.is_attached:
                self.run_to(t)

        self.call_after_refresh(finish)

    def next_algorithm(self) -> bool:
        """Switch an engine lab to the next of its algorithms. False if it has only one."""
        algorithms = self.lab.algorithms
        if self.sim is None or len(algorithms) < 2:
            return False
        self.algorithm = algorithms[(algorithms.index(self.algorithm) + 1) % len(algorithms)]
        # the same traffic goes on; the readings count afresh, so they judge the new algorithm alone
        self._guard(lambda: (self.sim.set_algorithm(self.algorithm), self.sim.restart_totals()))
        self._switched = True
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
        dt = self._pacer.step(now)  # the simulation moves on every tick; the bars redraw at fps
        if self.run is None or not self._in_view():
            return
        self._guard(lambda: self.run.tick(dt))
        finished = self.run is not None and self.run.done
        if self._pacer.draw_due(now) or finished:
            self.draw()
        if finished:
            self._sync_timer()

    def _guard(self, action) -> None:
        try:
            action()
        except Exception as exc:
            self._fail(f"This lab stopped: {exc}")

    def _clear_panes(self) -> None:
        self._views = []
        self.query_one("#panes").remove_children()

    def draw(self) -> None:
        if not self.is_attached:
            return
        with contextlib.suppress(NoMatches):  # the block is being removed, its parts first
            self._draw()

    def _draw(self) -> None:
        if self.run is None:
            self.query_one(".lab-status", Static).update("")
            return
        try:
            panes = self.run.panes()
        except Exception as exc:
            self._fail(f"This lab stopped: {exc}")
            return
        views = self._views
        if len(views) != len(panes):
            container = self.query_one("#panes")
            container.remove_children()
            self._views = views = [LabPane() for _ in panes]
            self._restack()
            container.mount_all(views)
            self.call_after_refresh(self.draw)  # the new panes can draw once they are mounted
            return
        if not all(view.is_mounted for view in views):  # still composing: their labels do not exist yet
            self.call_after_refresh(self.draw)
            return
        self._fit(views, panes)
        need = max(scale_need(pane.snapshot) for pane in panes) if panes else None  # side by side: one scale
        latency = self._pane_latency()
        for view, pane in zip(views, panes, strict=True):
            view.show(self._pane_label(pane), pane.note, pane.snapshot, need, latency)
        if self.lab.is_engine and len(self.lab.algorithms) > 1:
            self.query_one(".lab-algorithms", Static).update(self._algorithms_line())
        if not self.lab.is_engine:
            self._draw_chart()
            headline, log = self._headline(), self._log()
            for selector, content in ((".lab-headline", headline), (".lab-log", log)):
                widget = self.query_one(selector, Static)
                widget.display = content is not None
                if content is not None:
                    widget.update(content)
        status = self._status()
        self.query_one(".lab-status", Static).update(status)
        if self.presenting and status != self._posted_status:
            self._posted_status = status
            self.post_message(self.StatusChanged(self, status))

    def _pane_label(self, pane) -> str:
        """A lab of one server and one algorithm has nothing to tell apart: no label (lesson 1
        has not taught algorithms yet, so "round-robin" would only puzzle)."""
        lab = self.lab
        if lab.is_engine and len(lab.algorithms) == 1 and len(pane.snapshot.servers) == 1:
            return ""
        return pane.label

    def _pane_latency(self) -> bool:
        """Panes show latency unless the scenario's own headline does (one value per quantity)."""
        if self.lab.is_engine or self.run is None or self.run.scenario is None:
            return True
        return not any("latency" in name for name in self.run.scenario.scenario.headline)

    @property
    def presenting(self) -> bool:
        return bool(getattr(self.app, "presenting", False))

    def _fit(self, views: list[LabPane], panes: list) -> None:
        """Presenter mode: the thickest bars (and the large digits) with which the whole block
        still fits the lesson's viewport. Measured from the last layout, less what presenter mode
        added, so the choice does not feed back on itself."""
        if not self.presenting:
            for view in views:
                view.set_size(1, False)
            return
        viewport = self._viewport_height()
        most = max((len(p.snapshot.servers) for p in panes), default=0)
        if not viewport or not most or not self.size.height:
            return
        stacked = self.has_class("-stacked") and len(views) > 1
        flexible = [view.flexible_height for view in views]
        rest = self.outer_size.height - (sum(flexible) if stacked else max(flexible))
        boxes = len(views) if stacked else 1
        row_height, figures = 1, False
        for rows, digits in PRESENTER_SIZES:
            if digits and most > MAX_FIGURES_SERVERS:
                continue
            if rest + boxes * (most * rows + (FIGURES_HEIGHT if digits else 0)) <= viewport:
                row_height, figures = rows, digits
                break
        for view in views:
            view.set_size(row_height, figures)

    def _viewport_height(self) -> int:
        for ancestor in self.ancestors:
            if isinstance(ancestor, ScrollableContainer):
                return ancestor.scrollable_content_region.height
        return self.screen.size.height

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

    def _headline(self) -> Content | None:
        """The scenario's headline metrics in words, as many a line as fit whole."""
        run = self.run
        try:
            values = run.headline() if run else None
        except Exception:
            values = None
        if not values:
            return None
        figures = headline_figures(run.scenario.scenario, values)
        return pack_figures(figures, self.content_region.width or 80, gap="   ")

    def _draw_chart(self) -> None:
        """A scenario whose story is not latency draws its own series (see Scenario.chart)."""
        chart = self.query_one(".lab-chart", LatencyChart)
        run = self.run.scenario if self.run is not None else None
        chart.display = run is not None and run.scenario.chart != (LATENCY,)
        if chart.display:
            show_scenario_chart(chart, run)

    def _log(self) -> Content | None:
        log = self.run.scenario.log if self.run and self.run.scenario else []
        if not log:
            return None
        return Content("\n".join(f"at {t:.1f} s: {text}" for t, text in log[-2:]))

    def status_line(self, width: int | None = None) -> Content:
        """Playing or paused, the clock, the speed, and the keys (a copy for presenter mode,
        packed for `width` cells)."""
        if self.run is None:
            return Content(self.problem or "")
        return self._status(width)

    def _status(self, width: int | None = None) -> Content:
        run = self.run
        assert run is not None
        if self._running_to is not None:
            state = Content.styled(f"» running to t = {self._running_to:g} s…", "bold")
            keys = []
        elif run.done:
            state = Content.styled("■ finished", "bold")
            keys = ["p play again"]
        elif run.paused:
            state = Content.styled("‖ paused", "bold")
            keys = ["p play", ". step"]
        else:
            state = Content.styled("▶ playing", "bold")
            keys = ["p pause"]
        clock = f"t = {run.now:.1f} s"
        if run.scenario is not None:
            clock += f" of {run.scenario.duration:g} s"
        figures: list[Content | str] = [state, clock, f"speed {run.speed:g}×"]
        if run.lagging:
            figures.append("lagging: the simulation cannot keep up")
        figures += [Content.styled(key, "dim") for key in (*keys, "- + speed", "o open in lab")]
        # broken between figures only: a narrow lab never ends a line with "o open in"
        return pack_figures(figures, self._status_width() if width is None else width)

    def _status_width(self) -> int:
        try:
            return self.query_one(".lab-status", Static).content_region.width
        except NoMatches:
            return 0


def build_live_run(lab: LabBlock, algorithm: str | None, comparing: bool, *, paused: bool) -> tuple[LiveRun, Any]:
    """The player for a lab block, and the engine Simulation to switch algorithms on (or None).

    An engine lab runs one algorithm, or with `comparing` every algorithm it lists, each in its
    own simulation with the same seed, so all of them see the very same requests. A scenario lab
    builds its named scenario with the block's settings.
    """
    from lbtutor.sim.live import LiveRun

    if lab.is_engine:
        from lbtutor.sim.scenarios.toolkit import lab_simulation

        if comparing:
            sims = [lab_simulation(lab.sim_config(slug)) for slug in lab.algorithms]
        else:
            sims = [lab_simulation(lab.sim_config(algorithm))]
        if lab.chart == "dispatch":
            for sim in sims:
                sim.record_picks(DISPATCH_PICKS)
        if comparing:
            return LiveRun(sims, speed=lab.speed, paused=paused), None
        return LiveRun(sims[0], speed=lab.speed, paused=paused), sims[0]
    from lbtutor.sim import scenarios

    run = scenarios.get(lab.scenario).build(lab.settings, lab.seed)
    return LiveRun(run, speed=lab.speed, paused=paused), None


def dispatch_strip(picks: tuple[str, ...], width: int) -> Content:
    """The latest servers picked, oldest first, as many as fit: the order of dispatches."""
    head = "dispatch order, newest last: "
    names: list[str] = []
    used = len(head)
    for name in reversed(picks):
        if used + len(name) + 1 > width:
            break
        names.append(name)
        used += len(name) + 1
    return Content.assemble((head, "$text-muted"), (" ".join(reversed(names)), "bold"))


def _compact_seconds(value: float) -> str:
    """For large digits: "224ms", "1.25s" (the unit is drawn small, at the foot of the digits)."""
    return seconds(value).replace(" ", "")





