"""Predict, then watch: after the answer, run the question's scenario headless and show who won."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.content import Content
from textual.widgets import Static

if TYPE_CHECKING:
    from lbtutor.content.drills import Outcome
    from lbtutor.content.quiz import Question


class QuizScenarioResult(Static):
    """Runs `scenario` in a worker thread (the UI stays live) and then shows its headline metrics."""

    DEFAULT_CSS = """
    QuizScenarioResult {
        height: auto;
        margin-top: 1;
        padding: 0 1;
        border: round $accent;
        border-title-color: $accent;
        border-title-style: bold;
    }
    """

    def __init__(self, scenario: str, question: Question | None = None, chosen: list[str] | None = None,
                 seed: int = 1) -> None:  # fmt: skip
        super().__init__(Content(f"Running the scenario {scenario}…"), classes="quiz-scenario")
        self.scenario = scenario
        self.question = question
        self.chosen = chosen or []
        self.seed = seed
        self.outcome: Outcome | None = None
        self.border_title = "Now watch it happen"

    def on_mount(self) -> None:
        self._run()

    @work(thread=True, exclusive=True, group="quiz-scenario")
    def _run(self) -> None:
        from lbtutor.content.drills import watch

        params = self.question.scenario_set if self.question is not None else None
        outcome = watch(self.scenario, self.seed, params)
        self.app.call_from_thread(self.show, outcome)

    def show(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.update(describe(outcome, self.question, self.chosen))


def describe(outcome: Outcome, question: Question | None, chosen: list[str]) -> Content:
    from lbtutor.content.drills import algorithm_name

    if outcome.error:
        return Content(outcome.error)
    parts: list = [("Scenario: ", "bold"), outcome.title, f" ({outcome.scenario})\n"]
    if outcome.winner:
        winner = algorithm_name(outcome.winner)
        parts += [("Who really won: ", "bold"), (winner, "bold"), f" — {outcome.basis}.\n"]
        # Only a question whose answer is the run's winner asks "who wins?"; one that asks which
        # algorithm has a weakness (ip-skew's IP hash) or which fits a brief best (weighted round
        # robin, simpler than the faster weighted least connections) must not call its own right
        # answer a loser, nor a wrong pick a winner.
        asks_who_wins = question is not None and question.kind == "algorithm" and outcome.winner in question.answers
        if asks_who_wins and chosen:
            pick = chosen[0]
            if pick == outcome.winner:
                parts.append("Your pick won this run.\n")
            else:
                parts.append(f"You picked {algorithm_name(pick, False)}; in this run "
                             f"{algorithm_name(outcome.winner, False)} did best.\n")  # fmt: skip
    for line in outcome.metrics:
        parts += ["  • ", (line.text(), "bold"), f"  {line.meaning or line.name}\n"]
    parts.append(("w: watch it live in the lab", "italic"))
    return Content.assemble(*parts)
