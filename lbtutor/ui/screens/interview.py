"""Interview practice: the prompts one at a time, typed answers matched against each rubric,
the model answer, and a self-rating that schedules the prompt's next review."""

from __future__ import annotations

import time
from collections.abc import Sequence

from lbtutor.content import srs
from lbtutor.content.interview import InterviewPrompt
from lbtutor.ui.screens.quiz import QuizScreen


def interview_order(prompts: Sequence[InterviewPrompt], store, now: float | None = None) -> list[InterviewPrompt]:
    """Due prompts first (soonest first), then prompts never practised (in file order), then the
    rest (soonest due first)."""
    now = time.time() if now is None else now
    scheduled = {i.item_id: i for i in srs.scheduled(store, (srs.INTERVIEW,))} if store is not None else {}
    limit = srs.due_limit(now)

    def rank(indexed: tuple[int, InterviewPrompt]) -> tuple:
        n, prompt = indexed
        item = scheduled.get(prompt.id)
        if item is None:
            return (1, 0.0, n)
        return (0 if item.due < limit else 2, item.due, n)

    return [p for _, p in sorted(enumerate(prompts), key=rank)]


class InterviewScreen(QuizScreen):
    def __init__(self, prompts: Sequence[InterviewPrompt], store=None, *, title: str = "Interview practice") -> None:
        super().__init__(interview_order(prompts, store), title=title, noun="Interview prompt")
