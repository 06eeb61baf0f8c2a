"""A stand-in progress store for a session whose real store could not be opened: remembers nothing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EmptyProgress:
    steps_seen: frozenset[int] = frozenset()
    checks_answered: int = 0
    checks_right: int = 0


class NullProgress:
    recovered_from = None

    def record_view(self, lesson_id: str, step_index: int, step_slug: str) -> None:
        pass

    def record_answer(self, check_id: str, lesson_id: str, chosen: list[str], correct: bool) -> None:
        pass

    def last_position(self) -> tuple[str, int] | None:
        return None

    def lesson_progress(self, lesson_id: str) -> EmptyProgress:
        return EmptyProgress()

    def answer_for(self, check_id: str) -> tuple[list[str], bool] | None:
        return None

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass
