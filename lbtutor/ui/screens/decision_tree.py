"""The decision tree: the chapter's algorithm-selection flowchart, walked one question at a time.

Left, the walk: the answers so far (a breadcrumb), the current question with yes/no, and at a leaf
the algorithm, why it fits, what goes wrong with the obvious alternative, and the scenario that
shows it (opened in the lab), with a caveat and its own scenario where the leaf has one. Right, the whole tree with the path marked. "Quiz me on the tree"
describes a system; the learner walks, and the tool says whether they reached the right leaf and
where they first went wrong (in presenter mode, only once Enter reveals it).
"""

from __future__ import annotations

import random

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Static

from lbtutor.content import srs
from lbtutor.content.drills import algorithm_name
from lbtutor.content.flowchart import Case, DecisionTree, Walk
from lbtutor.ui.screens.dismiss_once import DismissOnce
from lbtutor.ui.widgets.decision_tree_drawing import DecisionTreeDrawing
from lbtutor.ui.widgets.tutor_header import TutorHeader


def scenario_title(name: str) -> str:
    """"Least response time oscillates on stale numbers (lrt-oscillation)", or the bare name of a
    scenario this build cannot load."""
    from lbtutor.sim.scenarios import get

    try:
        return f"{get(name).title} ({name})"
    except Exception:  # a missing or broken scenario: the lab will say so when it is opened
        return name


class DecisionTreeScreen(DismissOnce, Screen[None]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", tooltip="Answer yes", id="tree.yes"),
        Binding("n", "answer(False)", "No", tooltip="Answer no", id="tree.no"),
        Binding("b,backspace", "back", "Back", tooltip="Take back the last answer", id="tree.back", key_display="b"),
        Binding("r", "restart", "Restart", tooltip="Start again at the first question", id="tree.restart"),
        Binding("o", "open_scenario", "Show me", tooltip="Open the scenario that shows why, in the lab",
                id="tree.open"),  # fmt: skip
        Binding("c", "open_caveat", "Caveat", tooltip="Open the scenario that shows where this advice stops "
                "holding, in the lab", id="tree.caveat"),  # fmt: skip
        Binding("m", "quiz_me", "Quiz me", tooltip="A described system: walk to the right algorithm", id="tree.quiz"),
        Binding("enter", "reveal", "Reveal", tooltip="Presenter mode: say whether the walk reached the right algorithm",
                id="tree.reveal", priority=True),  # fmt: skip
        Binding("escape", "close", "Close", tooltip="Leave the decision tree", id="tree.close", key_display="esc"),
    ]

    DEFAULT_CSS = """
    DecisionTreeScreen #tree-main {
        height: 1fr;
    }
    DecisionTreeScreen #tree-walk {
        width: 2fr;
        min-width: 36;
        padding: 0 1;
    }
    DecisionTreeScreen #tree-side {
        width: 3fr;
        padding: 0 1;
        border-left: vkey $foreground 20%;
    }
    DecisionTreeScreen .tree-heading {
        text-style: bold;
        margin-top: 1;
    }
    DecisionTreeScreen #tree-case {
        margin-top: 1;
        padding: 0 1;
        border: round $accent;
        border-title-color: $accent;
    }
    DecisionTreeScreen #tree-question {
        text-style: bold;
        margin: 1 0;
    }
    DecisionTreeScreen #tree-buttons {
        height: auto;
    }
    DecisionTreeScreen #tree-buttons > Button {
        margin-right: 1;
    }
    DecisionTreeScreen #tree-leaf, DecisionTreeScreen #tree-verdict {
        margin-bottom: 1;
    }
    DecisionTreeScreen #tree-verdict.-right {
        border-left: outer $success;
        padding-left: 1;
    }
    DecisionTreeScreen #tree-verdict.-wrong {
        border-left: outer $error;
        padding-left: 1;
    }
    """

    def __init__(self, tree: DecisionTree, *, quiz: bool = False, seed: int | None = None) -> None:
        super().__init__()
        self.flowchart = tree
        self.walk = Walk(tree)
        self.quiz = quiz
        self._cases = list(tree.cases)
        random.Random(seed).shuffle(self._cases)
        self._next_case = 0
        self.case: Case | None = None
        self.verdict: bool | None = None  # quiz: reached the right leaf?
        self.revealed = True  # presenter mode holds the verdict back until Enter

    # ------------------------------------------------------------------ building
    def compose(self) -> ComposeResult:
        yield TutorHeader()
        with Horizontal(id="tree-main"):
            with VerticalScroll(id="tree-walk"):
                yield Static("", id="tree-case")
                yield Static("", id="tree-breadcrumb")
                yield Static("", id="tree-question")
                with Horizontal(id="tree-buttons"):
                    yield Button("y  Yes", id="tree-yes", compact=True)
                    yield Button("n  No", id="tree-no", compact=True)
                    yield Button("b  Back", id="tree-back", compact=True)
                yield Static("", id="tree-verdict")
                yield Static("", id="tree-leaf")
                yield Button("", id="tree-open", compact=True)
                yield Button("c  The caveat in the lab", id="tree-caveat", compact=True)
            with VerticalScroll(id="tree-side", can_focus=False):
                yield Static("", id="tree-legend", classes="tree-heading")
                yield DecisionTreeDrawing(self.flowchart, id="tree-drawing")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        if self.quiz:
            self._new_case()
        self._draw()

    # ------------------------------------------------------------------- drawing
    def _draw(self) -> None:
        node = self.walk.node
        at_leaf = node.is_leaf
        self.sub_title = "Quiz me on the tree" if self.quiz else "Decision tree"
        case = self.query_one("#tree-case", Static)
        case.display = self.case is not None
        if self.case is not None:
            case.border_title = "The system"
            case.update(Content(self.case.system + "\nWalk the tree to the algorithm you would choose."))
        self.query_one("#tree-breadcrumb", Static).update(self._breadcrumb())
        question = self.query_one("#tree-question", Static)
        if at_leaf and self.case is not None:  # a quiz walk: not advice, which may be marked wrong below
            question.update(Content.assemble("Your walk ends at ", (algorithm_name(node.algorithm), "bold underline"),
                                             "."))  # fmt: skip
        elif at_leaf:
            question.update(Content.assemble("Use ", (algorithm_name(node.algorithm), "bold underline"), "."))
        else:
            question.update(Content(node.question))
        for name in ("yes", "no"):
            self.query_one(f"#tree-{name}", Button).display = not at_leaf
        back = self.query_one("#tree-back", Button)
        back.disabled = not self.walk.answers
        back.display = self.verdict is None
        leaf = self.query_one("#tree-leaf", Static)
        leaf.display = at_leaf
        opener = self.query_one("#tree-open", Button)
        opener.display = at_leaf and bool(node.scenario)
        self.query_one("#tree-caveat", Button).display = at_leaf and bool(node.caveat_scenario)
        if at_leaf:
            name = algorithm_name(node.algorithm)
            heading = f"Where {name} fits: " if self.case is not None else f"Why {name} fits: "
            parts: list = [(heading, "bold"), node.why, "\n\n",
                           ("The obvious alternative: ", "bold"), node.instead]  # fmt: skip
            if node.scenario:
                parts += ["\n\n", ("The lab shows it: ", "bold"), scenario_title(node.scenario)]
            if node.caveat:
                parts += ["\n\n", ("A caveat: ", "bold"), node.caveat]
                if node.caveat_scenario:
                    parts += [" (", ("c", "bold"), ": ", scenario_title(node.caveat_scenario), ")"]
            leaf.update(Content.assemble(*parts))
            # The button is one line in a narrow column: the scenario's name goes in the text above.
            opener.label = "o  Show me in the lab"
        self._draw_verdict()
        expected = self._expected_path() if self.verdict is not None and not self.held else []
        legend = "The whole tree (▶ you are here, ● your path" + (", ◇ the right path)" if expected else ")")
        self.query_one("#tree-legend", Static).update(Content(legend))
        self.query_one(DecisionTreeDrawing).show(self.walk.visited(), expected)
        self.refresh_bindings()

    def _breadcrumb(self) -> Content:
        if not self.walk.answers:
            return Content.assemble(("Your answers: ", "bold"), "none yet.")
        parts: list = [("Your answers:", "bold")]
        for n, (node, yes) in enumerate(self.walk.trail, 1):
            parts += [f"\n{n}. {node.question} ", ("yes" if yes else "no", "bold")]
        return Content.assemble(*parts)

    @property
    def held(self) -> bool:
        """Presenter mode: the walk is judged (and recorded) but the verdict waits for Enter."""
        return self.verdict is not None and not self.revealed

    def _draw_verdict(self) -> None:
        verdict = self.query_one("#tree-verdict", Static)
        verdict.display = self.verdict is not None
        verdict.set_class(self.verdict is True and not self.held, "-right")
        verdict.set_class(self.verdict is False and not self.held, "-wrong")
        if self.verdict is None or self.case is None:
            return
        if self.held:
            verdict.update(Content.assemble(("The walk ends at ", "bold"), algorithm_name(self.walk.node.algorithm),
                                            ". Talk it over, then press Enter to reveal."))  # fmt: skip
            return
        right_leaf = self.flowchart.node(self.case.leaf)
        more = "  (m: another system)"
        if self.verdict:
            verdict.update(Content.assemble(("✓ Right: ", "bold"), algorithm_name(right_leaf.algorithm),
                                            " fits this system.", (more, "italic")))  # fmt: skip
            return
        turn = self.walk.first_wrong_turn(self.case.leaf)
        parts: list = [("✗ Not this one: ", "bold"), "this system needs ",
                       (algorithm_name(right_leaf.algorithm), "bold"), ". "]  # fmt: skip
        if turn is not None:
            node, said = turn
            parts += ["You went wrong at “", node.question, "”: you answered ", ("yes" if said else "no", "bold"),
                      ", but the system says ", ("no" if said else "yes", "bold"), ". "]  # fmt: skip
        parts += ["The right path is marked ◇ in the tree. ", right_leaf.why, (more, "italic")]
        verdict.update(Content.assemble(*parts))

    def _expected_path(self) -> list[str]:
        if self.case is None:
            return []
        path = self.flowchart.path_to(self.case.leaf) or []
        return [node.id for node, _ in path] + [self.case.leaf]

    # --------------------------------------------------------------- what applies
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        at_leaf = self.walk.done
        if action == "answer":
            return not at_leaf
        if action == "back":
            return bool(self.walk.answers) and self.verdict is None
        if action == "open_scenario":
            return at_leaf and bool(self.walk.node.scenario)
        if action == "open_caveat":
            return at_leaf and bool(self.walk.node.caveat_scenario)
        if action == "reveal":
            return self.held
        return True

    # --------------------------------------------------------------------- input
    def action_answer(self, yes: bool) -> None:
        if self.walk.done:
            return
        self.walk.answer(yes)
        if self.walk.done and self.case is not None:
            self._judge()
        self._draw()

    def action_back(self) -> None:
        if self.verdict is None and self.walk.back():
            self._draw()

    def action_reveal(self) -> None:
        if self.held:
            self.revealed = True
            self._draw()

    def action_restart(self) -> None:
        self.walk.restart()
        self.verdict = None
        self._draw()

    def action_quiz_me(self) -> None:
        self.quiz = True
        self._new_case()
        self._draw()

    def action_open_scenario(self) -> None:
        node = self.walk.node
        if node.is_leaf and node.scenario:
            self._open(node.scenario)

    def action_open_caveat(self) -> None:
        node = self.walk.node
        if node.is_leaf and node.caveat_scenario:
            self._open(node.caveat_scenario)

    def _open(self, scenario: str) -> None:
        try:
            from lbtutor.ui.lab_commands import open_scenario
        except ImportError:  # a build without the lab: show the scenario's numbers instead
            from lbtutor.ui.widgets.quiz_scenario_result import QuizScenarioResult

            self.query_one("#tree-walk").mount(QuizScenarioResult(scenario))
            return
        open_scenario(self.app, scenario)

    def action_close(self) -> None:
        self.dismiss()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"tree-yes": lambda: self.action_answer(True), "tree-no": lambda: self.action_answer(False),
                   "tree-back": self.action_back, "tree-open": self.action_open_scenario,
                   "tree-caveat": self.action_open_caveat}  # fmt: skip
        action = actions.get(event.button.id or "")
        if action is not None:
            event.stop()
            action()

    # ---------------------------------------------------------------------- quiz
    def _new_case(self) -> None:
        if not self._cases:
            self.quiz = False
            self.notify("The tree file has no cases to quiz you on.", severity="warning")
            return
        self.case = self._cases[self._next_case % len(self._cases)]
        self._next_case += 1
        self.walk.restart()
        self.verdict = None

    def _judge(self) -> None:
        assert self.case is not None
        self.verdict = self.walk.node.id == self.case.leaf
        self.revealed = not getattr(self.app, "presenting", False)
        store = getattr(self.app, "progress", None)
        if store is not None:
            chosen = ["yes" if yes else "no" for yes in self.walk.answers]
            srs.record_unscheduled(store, srs.TREE, self.case.id, chosen, self.verdict)
