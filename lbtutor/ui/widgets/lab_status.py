"""The lab's status line: running or paused, algorithm, arrival rate, clock, speed, seed.

The arrows and signs in it are clickable (they run the same actions as the keys), and a
"lagging" notice appears when this machine cannot keep up with the chosen speed.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content

from lbtutor.ui.widgets.lab_text import LabText, pack_figures


@dataclass(frozen=True)
class StatusInfo:
    paused: bool
    done: bool
    algorithm: str  # or the scenario's title
    rate: float | None  # requests per second; None in a scenario
    load: float | None  # offered load (rho)
    now: float
    duration: float | None  # a scenario's length
    speed: float
    seed: int
    lagging: bool
    mode: str  # "sandbox", "compare" or "scenario"
    side: int = 0  # in compare mode, the side the algorithm keys change


class LabStatus(LabText):
    DEFAULT_CSS = """
    LabStatus {
        height: auto;
        padding: 0 1;
        background: $boost;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._last: StatusInfo | None = None

    def show(self, info: StatusInfo) -> None:  # type: ignore[override]
        if info == self._last:
            return
        self._last = info
        super().show(status_content(info, self.content_region.width))

    def on_resize(self) -> None:
        super().on_resize()
        self._last = None  # packed again for the new width


def status_content(info: StatusInfo, width: int = 0) -> Content:
    """The status as figures on a line, broken between figures where `width` is too narrow
    (never inside one: "speed − 1× +" stays together)."""
    if info.done:
        state = Content.from_markup("[bold reverse] ■ FINISHED [/]")
    elif info.paused:
        state = Content.from_markup("[bold reverse][@click=screen.toggle_pause] ⏸ PAUSED [/][/]")
    else:
        state = Content.from_markup("[bold reverse][@click=screen.toggle_pause] ▶ RUNNING [/][/]")
    figures: list[Content] = []
    if info.mode == "scenario":
        figures.append(Content.assemble(state, "  ", (info.algorithm, "bold")))
    else:
        label = f"side {info.side + 1}" if info.mode == "compare" else "algorithm"
        figures.append(Content.assemble(
            state, "  ", f"{label} ",
            Content.from_markup("[@click=screen.previous_algorithm]◀[/] "),
            (info.algorithm, "bold"),
            Content.from_markup(" [@click=screen.next_algorithm(1)]▶[/]"),
        ))
    if info.rate is not None:
        load = f" (load {info.load:.0%})" if info.load is not None and info.load < 100 else ""
        figures.append(Content.assemble(
            Content.from_markup("[@click=screen.less_traffic]−[/] "),
            (f"{info.rate:,.4g} req/s", "bold"),
            Content.from_markup(" [@click=screen.more_traffic]+[/]"),
            load,
        ))
    clock = f"t = {info.now:,.1f} s"
    if info.duration:
        clock += f" of {info.duration:,.0f} s"
    figures.append(Content.styled(clock, "bold"))
    figures.append(Content.assemble(
        "speed ",
        Content.from_markup("[@click=screen.slower]−[/] "),
        (f"{info.speed:g}×", "bold"),
        Content.from_markup(" [@click=screen.faster]+[/]"),
    ))
    figures.append(Content(f"seed {info.seed}"))
    if info.lagging:
        figures.append(Content.styled("⚠ lagging: this machine cannot keep up with this speed", "bold $text-warning"))
    return pack_figures(figures, width)
