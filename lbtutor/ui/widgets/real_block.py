"""A lesson's ```real block: the step's setup on a real balancer on this machine, beside the simulator.

`show = "lab"`: buttons start the run, break and heal one server, open the full real lab; while it
runs, the real servers are drawn with the lab's bars and the balancer's own view on each row, and
a line times each break against the simulator and the health checker's worst case. Nothing starts
until the learner asks (a lesson read at the back of a class never launches processes), and the
run stops when the step or the lesson closes. `show = "pick-order"`: one button asks each real
balancer for its pick order, shown under the simulator's. Without the balancer, one line says so
and the same buttons run the simulator alone.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Button, Static

from lbtutor.real.binaries import INSTALL, find, version
from lbtutor.real.setup import RealSetup
from lbtutor.ui.widgets.lab_bars import LabBars
from lbtutor.ui.widgets.lab_text import LabText

if TYPE_CHECKING:
    from lbtutor.content.lessons import RealBlock
    from lbtutor.real.live import LiveFrame, LiveLab

NAMES = {"haproxy": "HAProxy", "nginx": "nginx"}
REDRAW = 0.2
MODE_WORDS = {"refuse": "refused", "hang": "hung", "app-error": "answered 500s", "slow": "slowed"}


def block_setup(block: RealBlock, balancer: str) -> RealSetup:
    return RealSetup(balancer=balancer, **block.setup).validate()


class RealBlockView(Vertical):
    DEFAULT_CSS = """
    RealBlockView {
        height: auto;
        border: round $accent 60%;
        border-title-style: bold;
        padding: 0 1;
        margin: 1 0;
    }
    RealBlockView > .real-look-for {
        text-style: italic;
    }
    RealBlockView > .real-where {
        color: $text-muted;
    }
    RealBlockView > Horizontal.real-buttons {
        height: auto;
        margin: 1 0 0 0;
    }
    RealBlockView Button {
        margin-right: 1;
        min-width: 10;
    }
    RealBlockView > .real-run {
        height: auto;
    }
    RealBlockView .real-rows {
        height: auto;
    }
    RealBlockView .real-rows LabBars {
        width: 1fr;
    }
    RealBlockView .real-views {
        width: auto;
        max-width: 28;
        padding-left: 1;
    }
    """

    def __init__(self, block: RealBlock) -> None:
        super().__init__(classes="real-block")
        self.block = block
        self.balancer = block.balancers[0]
        self.installed = {b: find(b) is not None for b in block.balancers}
        self.live: LiveLab | None = None
        self._timer: Timer | None = None

    # ------------------------------------------------------------------ building
    def compose(self) -> ComposeResult:
        block = self.block
        yield Static(block.look_for, classes="real-look-for", markup=False)
        yield Static(self._where(), classes="real-where", markup=False)
        with Horizontal(classes="real-buttons"):
            if block.show == "pick-order":
                yield Button("Ask the real balancers", id="real-ask", variant="primary")
            else:
                yield Button("▶ Run it", id="real-start", variant="primary")
                yield Button(f"Hang {block.target}", id="real-hang", disabled=True)
                yield Button(f"Refuse {block.target}", id="real-refuse", disabled=True)
                yield Button(f"Heal {block.target}", id="real-heal", disabled=True)
                yield Button("Open in the real lab", id="real-open")
                yield Button("■ Stop", id="real-stop", disabled=True)
        with Vertical(classes="real-run"):
            yield LabText(classes="real-counts")
            with Horizontal(classes="real-rows"):
                yield LabBars(classes="real-bars")
                yield LabText(classes="real-views")
            yield LabText(classes="real-result")

    def on_mount(self) -> None:
        self.border_title = f"Real lab: {self.block.title}"
        self.query_one(".real-rows").display = False
        self.query_one(".real-counts").display = False
        self.query_one(".real-result").display = self.block.show == "pick-order"

    def _where(self) -> str:
        lines = []
        for b in self.block.balancers:
            name = NAMES[b]
            if self.installed[b]:
                lines.append(f"{name} {version(b)} is installed here: this runs on it, on 127.0.0.1, "
                             "with real backends, and the simulator runs the same setup beside it.")
            else:
                lines.append(f"{name} is not installed here ({INSTALL[b]}), so this shows the simulator "
                             "alone.")
        return "\n".join(lines)

    # ------------------------------------------------------------------ buttons
    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        actions = {
            "real-start": self.start, "real-stop": self.stop, "real-open": self.open_full,
            "real-hang": lambda: self._act("hang"), "real-refuse": lambda: self._act("refuse"),
            "real-heal": lambda: self._act("heal"), "real-ask": self.ask,
        }
        actions[event.button.id]()

    def start(self) -> None:
        from lbtutor.real.live import LiveLab

        if self.live is not None:
            return
        self.live = LiveLab(block_setup(self.block, self.balancer), real=self.installed[self.balancer])
        self.live.start()
        for part in (".real-rows", ".real-counts", ".real-result"):
            self.query_one(part).display = True
        self._timer = self.set_interval(REDRAW, self.draw)
        self._buttons(running=True)

    def stop(self) -> None:
        """Stop the run and every process it started (the step or the lesson is closing too)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.live is not None:
            live, self.live = self.live, None
            live.stop()
            if self.is_attached:
                self._buttons(running=False)

    def on_unmount(self) -> None:
        self.stop()

    def set_active(self, active: bool) -> None:
        """The step went out of view: a real run never goes on unwatched."""
        if not active:
            self.stop()

    def _buttons(self, *, running: bool) -> None:
        for name in ("real-hang", "real-refuse", "real-heal", "real-stop"):
            self.query_one(f"#{name}", Button).disabled = not running
        self.query_one("#real-start", Button).disabled = running

    def _act(self, action: str) -> None:
        if self.live is None:
            return
        target = self.block.target
        future = self.live.heal(target) if action == "heal" else self.live.break_server(target, action)

        def done(f) -> None:
            if f.exception() is not None:
                self.app.call_from_thread(self.notify, str(f.exception()), severity="warning", markup=False)
        future.add_done_callback(done)

    def open_full(self) -> None:
        from lbtutor.ui.screens.real_lab import RealLabScreen

        self.stop()
        self.app.push_screen(RealLabScreen(block_setup(self.block, self.balancer)))

    # ------------------------------------------------------------------ drawing
    def draw(self) -> None:
        live = self.live
        frame = live.frame if live is not None else None
        if frame is None or not self.is_attached:
            return
        snap = frame.real if frame.real is not None else frame.sim
        who = NAMES[self.balancer] if frame.real is not None else "Simulator"
        counts = self.query_one(".real-counts", LabText)
        rotation = "" if frame.real is None else "  ·  simulator: " + " ".join(
            f"{n} {'in' if up else 'OUT'}" for n, up in frame.sim_health.items())
        counts.show(Content(f"{who}, t = {frame.time:.1f} s: sent {snap.arrived:,}, ok {snap.completed:,}, "
                            f"failed {snap.failed:,}{rotation}"))
        self.query_one(".real-bars", LabBars).show(snap, self.block.target)
        views = self.query_one(".real-views", LabText)
        views.display = frame.real is not None
        if frame.real is not None:
            views.show("\n".join(
                (frame.views[n].status + (f" {frame.views[n].check}" if frame.views[n].check else ""))
                if n in frame.views else "…" for n in live.setup.names))
        self.query_one(".real-result", LabText).show(self._timings(frame))

    def _timings(self, frame: LiveFrame) -> Content:
        """Each break: when the real balancer took the server out, when the simulator did, and
        the health checker's worst case for it."""
        lines = []
        sim_rows = {(r["server"], r["action"], round(r["at"], 3)): r for r in frame.sim_events}
        rows = frame.real_events or frame.sim_events
        for row in rows:
            if row["action"] == "heal":
                continue
            sim = sim_rows.get((row["server"], row["action"], round(row["at"], 3)), row)
            parts = [f"{row['server']} {MODE_WORDS.get(row['action'], row['action'])} at {row['at']:.1f} s:"]
            if frame.real is not None:
                parts.append(_took(NAMES[self.balancer], row))
            parts.append(_took("the simulator", sim))
            if sim.get("bound") is not None:
                parts.append(f"worst case by the formula {sim['bound']:.1f} s")
            lines.append(" ".join(parts[:1]) + " " + "; ".join(parts[1:]))
        if not lines:
            return Content(f"Press Hang {self.block.target} and time how long the balancer takes to notice.")
        return Content("\n".join(lines))

    # ------------------------------------------------------------------ pick order
    def ask(self) -> None:
        self.query_one("#real-ask", Button).disabled = True
        self.query_one(".real-result", LabText).show("Asking…")
        self._ask_balancers()

    @work(thread=True, exclusive=True, group="real-pick-order")
    def _ask_balancers(self) -> None:
        from lbtutor.real.beside import sim_pick_order
        from lbtutor.real.headless import pick_order

        block = self.block
        setup = block_setup(block, block.balancers[0])
        lines = [("simulator", sim_pick_order(setup.algorithm, setup.weight_list, block.requests, setup.seed))]
        for b in block.balancers:
            if not self.installed[b]:
                lines.append((NAMES[b], f"not installed here ({INSTALL[b]})"))
                continue
            try:
                order = asyncio.run(pick_order(block_setup(block, b), block.requests))
            except Exception as exc:  # a balancer that cannot start says why, in one line
                lines.append((f"{NAMES[b]}", f"could not run: {exc}"))
                continue
            lines.append((f"{NAMES[b]} {version(b)}", order))
        self.app.call_from_thread(self._show_orders, lines)

    def _show_orders(self, lines: list) -> None:
        if not self.is_attached:
            return
        sim = lines[0][1]
        width = max(len(who) for who, _ in lines)
        out = []
        for who, order in lines:
            if isinstance(order, str):
                out.append(f"{who:<{width}}  {order}")
                continue
            text = " ".join(order)
            if who != "simulator":
                text += "   (the simulator's order)" if order == sim else "   (its own order)"
            out.append(f"{who:<{width}}  {text}")
        self.query_one(".real-result", LabText).show(Content("\n".join(out)))
        self.query_one("#real-ask", Button).disabled = False


def _took(who: str, row: dict) -> str:
    if row.get("down_at") is None:
        return f"{who} has not taken it out"
    return f"{who} took it out after {row['down_at'] - row['at']:.1f} s"
