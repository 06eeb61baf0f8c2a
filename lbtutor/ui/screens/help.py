"""Help: every key of every screen, read from the screens' own bindings so it never goes stale."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from lbtutor.ui.screens.dismiss_once import DismissOnce
from lbtutor.ui.widgets.fitting_footer import FittingFooter
from lbtutor.ui.widgets.tutor_header import TutorHeader


@dataclass(frozen=True)
class HelpSection:
    """One screen's keys: its bindings, plus keys that are not bindings (letters, mouse)."""

    title: str
    bindings: Callable[[], list[Binding]]
    extra: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def _bindings(*cls_paths: str) -> Callable[[], list[Binding]]:
    """The bindings of the named classes (imported only when help is opened)."""

    def load() -> list[Binding]:
        import importlib

        found: list[Binding] = []
        for path in cls_paths:
            module, _, name = path.rpartition(".")
            cls = getattr(importlib.import_module(module), name)
            found += Binding.make_bindings(cls.BINDINGS)
        return found

    return load


KEY_COLUMN = 14

# Other screens add their section with HELP_SECTIONS.append(HelpSection(...)).
HELP_SECTIONS: list[HelpSection] = [
    HelpSection(
        "Everywhere",
        _bindings("lbtutor.ui.app.LBTutorApp"),
        (
            ("ctrl+p", "Command palette: open any lesson or step by name, Help, Home, Reset progress, themes"),
            ("ctrl+q", "Quit (your progress is saved as you go)"),
            ("mouse", "Click options, rows and buttons; scroll with the wheel"),
        ),
    ),
    HelpSection(
        "Course map",
        _bindings("lbtutor.ui.screens.home.HomeScreen", "lbtutor.ui.widgets.course_map.CourseMap"),
        (("↑ ↓", "Move between modules"),),
    ),
    HelpSection(
        "Lesson",
        _bindings("lbtutor.ui.screens.lesson.LessonScreen"),
        (
            ("a, b, c…", "Answer the check on this step (or click an option)"),
            ("↑ ↓ pgup pgdn", "Scroll a long step"),
        ),
    ),
    HelpSection(
        "Lesson contents panel",
        _bindings("lbtutor.ui.widgets.step_toc.StepToc"),
        (("↑ ↓ enter", "Choose a step and jump to it"),),
    ),
    HelpSection(
        "Reading a lab",
        lambda: [],
        (
            ("█ ▒ · │", "A server's bar: █ a busy worker, ▒ a queued request, · free room, │ its worker limit"),
            ("w1 2/4 +3q", "Weight 1; 2 of its 4 workers busy; 3 requests queued behind them"),
            ("✓ up ✗ down", "A server's state: ✓ up; ✗ down; ⊘ out, running but taken out of rotation (its "
                            "health checks failed); ↓ drain, finishing its requests before it leaves; ↑ start, "
                            "slow start, its weight still ramping up"),
            ("% busy", "The share of time the server worked, since the start (or over the last 10 s: h in the lab)"),
            ("full bar = N", "How many requests a whole bar stands for; it grows with a queue, the same for every bar on screen"),
            ("since start", "Counts since the run began; these settle on what the lesson and queueing theory say"),
            ("last 10 s", "Figures over the recent window: they swing with every clump of requests"),
            ("h", "Lab: the headline and % busy since the start, or over the last 10 s"),
            ("g", "Lesson: run the lab to the point a check's explanations quote (its end, or a time)"),
            ("★ wins", "Compare: a winner on p99 only after 2,000 requests a side over 10 batches of the run, when the "
                       "95% intervals of the batches' p99s do not overlap; on lost requests, when the counts differ by "
                       "more than twice the square root of their sum. Otherwise: no clear winner yet"),
        ),
    ),
    HelpSection(
        "Real lab (lbtutor real)",
        _bindings("lbtutor.ui.screens.real_lab.RealLabScreen"),
        (
            ("UP  DOWN", "Right of each real bar, the balancer's own state of the backend. HAProxy (its stats "
                         "socket): UP 2/3 is still up after a failed check, 2 more to DOWN; DOWN 1/2 has passed 1 of "
                         "the 2 checks it needs. nginx (read from its logs): DOWN 8s is out for 8 more seconds "
                         "of fail_timeout; UP, 1/3 fails counts failed requests toward max_fails"),
            ("L7OK  L4CON", "HAProxy's last health check: L7OK the HTTP check passed, L4CON the connection was "
                            "refused, L7STS a bad status, L4TOUT or L7TOUT no answer in time"),
            ("throttle 44%", "HAProxy's slowstart: a backend just back UP gets this share of its weight, "
                             "stepping up once a second"),
            ("2 sess", "HAProxy: the sessions open on the backend now"),
            ("↑ start", "The simulator's row for the same backend while its weight ramps up HAProxy's way"),
        ),
    ),
    HelpSection(
        "Presenter mode (F5, or lbtutor --present)",
        lambda: [],
        (
            ("F5", "Presenter mode on or off; also \"Presenter mode\" in the palette"),
            ("→ space", "Lesson: the rest of a long step, a block at a time, then the next step"),
            ("←", "Lesson: back a screenful, then the step before"),
            ("a, b, c… enter", "A check or quiz answer is taken at once; enter reveals the marks and explanations"),
            ("p - + .", "The lab's pause, speed and step; its status stays in view under the step"),
            ("R", "Lab: a new seed asks first, since the demo repeats only on the same seed"),
            ("--fps N", "Redraw labs N times a second (1 to 60; 4 when TEXTUAL_ANIMATIONS is none or basic)"),
        ),
    ),
]


class HelpScreen(DismissOnce, Screen[None]):
    BINDINGS = [
        Binding("escape,q,f1,question_mark", "close", "Close help", tooltip="Back where you were", id="help.close", key_display="esc"),
    ]

    DEFAULT_CSS = """
    HelpScreen #help-body {
        height: 1fr;
        padding: 0 2;
    }
    HelpScreen .help-intro {
        margin: 1 0;
    }
    HelpScreen .help-title {
        text-style: bold;
        color: $text-accent;
        margin-top: 1;
        border-bottom: solid $accent 40%;
    }
    """

    def compose(self) -> ComposeResult:
        yield TutorHeader()
        with VerticalScroll(id="help-body"):
            yield Static(
                Content.assemble(
                    ("Keys, screen by screen. ", "bold"),
                    "lbtutor is keyboard first and the mouse works too. "
                    "The bar at the bottom always shows the keys of the screen you are on.",
                ),
                classes="help-intro",
            )
            for section in HELP_SECTIONS:
                yield Static(Content(section.title), classes="help-title")
                yield Static(self._table(section), classes="help-keys")
        yield FittingFooter()

    def on_mount(self) -> None:
        self.sub_title = "Help"
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss()

    def rows(self, section: HelpSection) -> list[tuple[str, str]]:
        """(keys, meaning) per action: keys bound to the same action share a row."""
        merged: dict[tuple[str, str], list[str]] = {}
        for binding in section.bindings():
            if binding.system:
                continue
            keys = merged.setdefault((binding.action, _describe(binding)), [])
            display = self.app.get_key_display(replace(binding, key_display=None))
            if display not in keys:
                keys.append(display)
        rows = [(" ".join(keys), meaning) for (_, meaning), keys in merged.items()]
        return rows + list(section.extra)

    def _table(self, section: HelpSection) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(width=KEY_COLUMN, style="bold", no_wrap=True)
        table.add_column(ratio=1)
        for keys, meaning in self.rows(section):
            table.add_row(Text(keys), Text(meaning))
        return table


def _describe(binding: Binding) -> str:
    if binding.tooltip and binding.description:
        return f"{binding.description}: {binding.tooltip[0].lower()}{binding.tooltip[1:]}"
    return binding.tooltip or binding.description
