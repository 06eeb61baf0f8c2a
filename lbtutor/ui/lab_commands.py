"""The lab in the command palette: every lab action under its plain name, and the way in.

Anywhere: "Open the lab", "Open scenario NAME". On the lab screen, also every control: Pause,
Resume, Step, Faster, Slower, Compare, Add server, Remove server, Take server down, Bring server
up, Set weight, Set speed, Next algorithm and each algorithm by name, each traffic preset, each
service-time distribution, Reset same seed, Reset new seed, Copy scenario code, ... so a person
who forgot the key finds the action by typing what it does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content


@dataclass(frozen=True)
class LabCommand:
    text: str  # plain text, never markup
    help: str
    run: Callable[[], Any]
    discover: bool = True  # listed when the palette opens empty


def open_lab(app, **kwargs) -> None:
    """Show the lab (reusing it if it is the current screen)."""
    from lbtutor.ui.screens.lab import LabScreen

    app.push_screen(LabScreen(**kwargs))


def open_scenario(app, name: str, params: dict | None = None) -> None:
    from lbtutor.sim.scenario_code import ScenarioSpec
    from lbtutor.ui.screens.lab import LabScreen

    screen = app.screen
    if isinstance(screen, LabScreen):
        screen.open_scenario(name, params)
    else:
        app.push_screen(LabScreen(scenario=ScenarioSpec(name, dict(params or {}), 1)))


def open_real_lab(app, setup=None, notice: str = "") -> None:
    """The real lab: HAProxy (or nginx) on this machine, the simulator beside it."""
    from lbtutor.real.setup import RealSetup
    from lbtutor.ui.screens.real_lab import RealLabScreen

    app.push_screen(RealLabScreen(setup or RealSetup().validate(), notice=notice))


def run_on_real_balancer(app, screen) -> None:
    """The lab's sandbox setup, carried over to the real lab (what cannot be is said)."""
    from lbtutor.real.algorithms import Unsupported
    from lbtutor.real.setup import from_lab
    from lbtutor.sim.config import ConfigError

    session = screen.session
    if session is None or session.is_scenario:
        app.notify("A scenario runs in the simulator only. Open the sandbox (ctrl+p: Open the sandbox) to take "
                   "its setup to a real balancer.", title="Not a sandbox", severity="warning", markup=False)
        return
    try:
        setup, notes = from_lab(session.setup)
    except (ConfigError, Unsupported) as exc:
        app.notify(f"{exc}. Choose another algorithm in the lab first.", title="No real equivalent",
                   severity="warning", markup=False)
        return
    open_real_lab(app, setup, "; ".join(notes).capitalize() + ("." if notes else ""))


def lab_commands(app, screen) -> Iterator[LabCommand]:
    """Every command for the palette opened from `screen`."""
    from lbtutor.ui.screens.lab import LabScreen
    from lbtutor.ui.screens.real_lab import RealLabScreen

    if isinstance(screen, RealLabScreen):
        yield from _real_lab_commands(screen)
    elif not isinstance(screen, LabScreen):
        yield LabCommand("Open the lab", "The sandbox: load bars, every control, algorithms side by side", partial(open_lab, app))
        yield LabCommand("Open the real lab", "HAProxy on this machine in front of real backends, the simulator beside it",
                         partial(open_real_lab, app), discover=False)
    else:
        yield LabCommand("Run on a real balancer", "This setup on HAProxy on this machine, the simulator beside it",
                         partial(run_on_real_balancer, app, screen))
        yield from _screen_commands(screen)
    yield from _scenario_commands(app)


def _real_lab_commands(screen) -> Iterator[LabCommand]:
    from lbtutor.real.algorithms import supported

    yield LabCommand("Pause traffic", "space: the generator stops sending (the balancer keeps checking)", screen.action_toggle_pause)
    yield LabCommand("Refuse connections", "r: the selected backend's process is gone", partial(screen.action_break, "refuse"))
    yield LabCommand("Hang", "h: the selected backend accepts connections and never answers", partial(screen.action_break, "hang"))
    yield LabCommand("Answer 500s", "e: the selected backend answers every request with a 500", partial(screen.action_break, "app-error"))
    yield LabCommand("Slow down", "s: the selected backend serves 4x slower", partial(screen.action_break, "slow"))
    yield LabCommand("Heal", "u: the selected backend is healthy again", screen.action_heal)
    yield LabCommand("Next algorithm", "a: a new config and a graceful reload", partial(screen.action_next_algorithm, 1))
    yield LabCommand("More traffic", "→: raise the arrival rate by a quarter", partial(screen.action_rate, 1))
    yield LabCommand("Less traffic", "←: lower the arrival rate by a fifth", partial(screen.action_rate, -1))
    yield LabCommand("Raise weight", "w: the selected backend's weight up by one (a reload)", partial(screen.action_weight, 1), discover=False)
    yield LabCommand("Lower weight", "W: the selected backend's weight down by one", partial(screen.action_weight, -1), discover=False)
    yield LabCommand("Show the balancer config", "c: the whole generated file (s saves it)", screen.action_config)
    yield LabCommand("Leave the real lab", "esc: every process it started stops", screen.action_close, discover=False)
    for slug in supported(screen.setup.balancer):
        yield LabCommand(f"Algorithm: {slug}", "A new config and a graceful reload", partial(screen.set_algorithm, slug), discover=False)


def _scenario_commands(app) -> Iterator[LabCommand]:
    from lbtutor.ui.widgets.scenario_picker import scenario_choices

    for name, title, available in scenario_choices():
        if available:
            yield LabCommand(f"Open scenario {name}", title, partial(open_scenario, app, name), discover=False)
        else:
            yield LabCommand(f"Open scenario {name}", "not in this build yet", partial(
                app.notify, f"The scenario {name!r} is not in this build of lbtutor yet.", severity="warning"),
                discover=False)


def _screen_commands(screen) -> Iterator[LabCommand]:
    from lbtutor.sim.balancers import ALGORITHMS
    from lbtutor.sim.config import SERVICE_DISTS
    from lbtutor.sim.presets import PRESETS, SERVICE_DIST_NAMES

    session = screen.session
    if session is None:
        return
    run = session.run
    yield LabCommand("Pause", "Space: stop the clock" + (" (paused now)" if run.paused else ""), partial(screen.set_paused, True))
    yield LabCommand("Resume", "Space: start the clock" + ("" if run.paused else " (running now)"), partial(screen.set_paused, False))
    yield LabCommand("Step", ". : advance half a simulated second (while paused)", screen.action_step)
    yield LabCommand("Faster", f"+ : play faster (now {run.speed:g}×, up to 100×)", screen.action_faster)
    yield LabCommand("Slower", f"- : play slower (now {run.speed:g}×, down to 0.25×)", screen.action_slower)
    yield LabCommand("Reset same seed", "r: start again with the same requests", partial(screen.action_reset, False))
    yield LabCommand("Reset new seed", "R: start again with different requests", partial(screen.action_reset, True))
    yield LabCommand("Copy scenario code", "y: a code that reproduces this run anywhere", screen.action_code)
    yield LabCommand("Open scenario code", "Type or paste a code to open its run", screen.action_code, discover=False)
    yield LabCommand("Open a scenario", "o: choose a named scenario", screen.action_open_scenario)
    yield LabCommand("Leave the lab", "esc: back where you came from", screen.action_close, discover=False)
    if session.is_scenario:
        yield LabCommand("Edit scenario parameters", "e: change the parameters and restart", screen.action_edit_scenario)
        yield LabCommand("Open the sandbox", "Back to your own setup", screen.open_sandbox)
        return
    comparing = session.comparing
    yield LabCommand(
        "Stop comparing" if comparing else "Compare",
        "c: two algorithms side by side on identical traffic", screen.action_compare,
    )
    if comparing:
        yield LabCommand("Add a side to the comparison", "C: one more algorithm", screen.action_add_side)
        yield LabCommand("Remove this side", "Drop the chosen side from the comparison", screen.action_remove_side)
        yield LabCommand("Next side", "tab: choose which side `a` changes", screen.action_next_side)
        yield LabCommand("Repeat over 20 seeds",
                         "i: the compared sides over 20 seeds: each figure's mean and 95% interval, and whether the winner is clear",
                         screen.action_repeat_seeds)
    yield LabCommand("More traffic", "→: raise the arrival rate by a quarter", screen.action_more_traffic)
    yield LabCommand("Less traffic", "←: lower the arrival rate by a fifth", screen.action_less_traffic)
    yield LabCommand("Select next server", "↓ or j: the server below (d, u, x, w, s and e act on it)",
                     partial(screen.action_select, 1), discover=False)
    yield LabCommand("Select previous server", "↑ or k: the server above", partial(screen.action_select, -1), discover=False)
    yield LabCommand("Add server", "n: a new server, weight 1, speed 1×", screen.action_add_server)
    yield LabCommand("Remove server", "x: the selected server drains and leaves", screen.action_remove_server)
    yield LabCommand("Take server down", "d: the selected server dies", screen.action_take_down)
    yield LabCommand("Bring server up", "u: the selected server comes back", screen.action_bring_up)
    yield LabCommand("Set weight", "e: type the selected server's weight", screen.action_edit_server)
    yield LabCommand("Set speed", "e: type the selected server's speed", screen.action_edit_server)
    yield LabCommand("Raise weight", "w: the next weight up", partial(screen.action_weight, 1), discover=False)
    yield LabCommand("Lower weight", "W: the next weight down", partial(screen.action_weight, -1), discover=False)
    yield LabCommand("Faster server", "s: raise the selected server's speed", partial(screen.action_speed, 1), discover=False)
    yield LabCommand("Slower server", "S: lower the selected server's speed", partial(screen.action_speed, -1), discover=False)
    yield LabCommand("Next algorithm", "a: the next algorithm (A: the previous)", partial(screen.action_next_algorithm, 1))
    yield LabCommand("Previous algorithm", "A: the algorithm before this one", partial(screen.action_next_algorithm, -1),
                     discover=False)
    yield LabCommand("Next traffic preset", "t: the next traffic preset (T: the previous)", partial(screen.action_next_preset, 1),
                     discover=False)
    yield LabCommand("Next service-time distribution", "v: the next distribution (V: the previous)",
                     partial(screen.action_next_dist, 1), discover=False)
    for slug, cls in ALGORITHMS.items():
        yield LabCommand(f"Algorithm: {slug}", cls.summary, partial(screen.set_algorithm, slug), discover=False)
    for p in PRESETS:
        yield LabCommand(f"Traffic: {p.title}", p.look_for, partial(screen.set_preset, p.name), discover=False)
    for dist in SERVICE_DISTS:
        yield LabCommand(f"Service times: {SERVICE_DIST_NAMES.get(dist, dist)}", "The run restarts with the same seed",
                         partial(screen.set_service_dist, dist), discover=False)


class LabCommands(Provider):
    """Serves the lab's commands to the palette."""

    def _commands(self) -> list[LabCommand]:
        return list(lab_commands(self.app, self.screen))

    async def discover(self) -> Hits:
        for command in self._commands():
            if command.discover:
                yield DiscoveryHit(Content(command.text), command.run, text=command.text, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.text)
            if score > 0:
                yield Hit(score, _highlight(matcher, command.text), command.run, text=command.text, help=command.help)


def _highlight(matcher, text: str) -> Content:
    """Matcher.highlight over literal text (never read as markup)."""
    content = Content(text)
    score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    if not score:
        return content
    for offset in offsets:
        if not text[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


def _register_help() -> None:
    """The lab's keys in the Help screen, read from LabScreen's own bindings when help opens."""
    from textual.binding import Binding

    from lbtutor.ui.screens.help import HELP_SECTIONS, HelpSection

    def bindings() -> list[Binding]:
        from lbtutor.ui.screens.lab import LabScreen

        # Less the keys it repeats from every screen (help, focus, copy), listed under Everywhere.
        return [b for b in Binding.make_bindings(LabScreen.BINDINGS) if not b.action.startswith(("app.", "screen."))]

    HELP_SECTIONS.append(
        HelpSection(
            "Lab",
            bindings,
            (
                ("mouse", "Click a server's row to select it; click ◀ ▶ − + ⏸ in the status line"),
                ("ctrl+p", "Every lab action by name: Pause, Compare, Add server, Take server down, Traffic: …"),
                ("lbtutor lab", "Open the lab from the shell: lbtutor lab least-connections --compare round-robin"),
            ),
        )
    )


_register_help()
