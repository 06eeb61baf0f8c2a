"""Spaced repetition (Leitner boxes) over quiz questions and interview prompts, and the learner's
standing: scores per section, weakest topics, a streak.

The schedule, exactly:

* An item (a quiz question or an interview prompt) enters the schedule the first time it is
  answered; until then it is in no box. There are five boxes, and box N waits INTERVAL_DAYS[N].
* Each review is rated again / hard / good / easy. A quiz answer rates itself: right is "good",
  wrong is "again". An interview answer is rated by the learner.
    again: back to box 1, due again in AGAIN_MINUTES (so it returns the same day)
    hard:  stays in its box (a new item goes to box 1), due after that box's interval
    good:  one box up (at most 5), due after the new box's interval
    easy:  two boxes up (at most 5), due after the new box's interval
* An item answered before it is due (a quiz retaken the same day) keeps its box and its date
  unless the answer is "again": only a review that was due can move an item up.
* "Due today" means due before the end of the learner's local day, or within AGAIN_MINUTES of
  now (so a question missed just before midnight still comes back in the same session).

The state lives in the progress database's `items` table (so export and import carry it, and an
import never replaces a newer state with an older one); every review is also kept as history in
`answers`. A store without these (the stand-in used when the file cannot be opened) gets an
in-memory schedule for the session.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

QUIZ = "quiz"
INTERVIEW = "interview"
DRILL = "drill"
TREE = "tree"
SCHEDULED_KINDS = (QUIZ, INTERVIEW)

RATINGS = ("again", "hard", "good", "easy")
BOXES = 5
INTERVAL_DAYS = {1: 1, 2: 3, 3: 7, 4: 14, 5: 30}
AGAIN_MINUTES = 10
DAY = 86400.0


class Review(NamedTuple):
    """Where one review leaves an item."""

    box: int
    due: float  # epoch seconds


def next_review(box: int, rating: str, now: float) -> Review:
    """The Leitner rule: `box` is the item's box before the review (0 = never reviewed)."""
    if rating not in RATINGS:
        raise ValueError(f"rating must be one of {', '.join(RATINGS)} (got {rating!r})")
    if rating == "again":
        return Review(1, now + AGAIN_MINUTES * 60)
    new_box = {"hard": max(1, box), "good": box + 1, "easy": box + 2}[rating]
    new_box = max(1, min(BOXES, new_box))
    return Review(new_box, now + INTERVAL_DAYS[new_box] * DAY)


def end_of_day(now: float) -> float:
    """The last moment of the learner's local day that contains `now`."""
    day = dt.datetime.fromtimestamp(now).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time()).timestamp()


def due_limit(now: float) -> float:
    """Items due before this moment are due today: the end of the local day, or AGAIN_MINUTES
    from now if that is later (late in the evening)."""
    return max(end_of_day(now), now + AGAIN_MINUTES * 60 + 1)


class ScheduledItem(NamedTuple):
    kind: str  # quiz | interview
    item_id: str
    box: int
    due: float


class _MemoryItems:
    """The schedule of a session whose progress cannot be saved."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], ScheduledItem] = {}
        self.answers: list[dict] = []


_MEMORY: dict[int, _MemoryItems] = {}


def _persistent(store) -> bool:
    return all(hasattr(store, name) for name in ("save_item", "items", "record_item_answer", "history"))


def _memory(store) -> _MemoryItems:
    return _MEMORY.setdefault(id(store), _MemoryItems())


# -- the schedule ---------------------------------------------------------------------------------


def scheduled(store, kinds: Iterable[str] = SCHEDULED_KINDS) -> list[ScheduledItem]:
    """Every item in the schedule, soonest due first."""
    kinds = tuple(kinds)
    if _persistent(store):
        found = [ScheduledItem(i.kind, i.item_id, i.box, i.due) for i in store.items() if i.kind in kinds]
    else:
        found = [i for i in _memory(store).rows.values() if i.kind in kinds]
    return sorted(found, key=lambda i: (i.due, i.kind, i.item_id))


def item(store, kind: str, item_id: str) -> ScheduledItem | None:
    for found in scheduled(store, (kind,)):
        if found.item_id == item_id:
            return found
    return None


def due_items(store, now: float | None = None, known: set[tuple[str, str]] | None = None) -> list[ScheduledItem]:
    """Items due before the end of today, soonest first. With `known`, only those (kind, id) pairs
    (so items whose question was since removed from the bank are not offered)."""
    now = time.time() if now is None else now
    limit = due_limit(now)
    due = [i for i in scheduled(store) if i.due < limit]
    if known is not None:
        due = [i for i in due if (i.kind, i.item_id) in known]
    return due


def due_count(store, now: float | None = None) -> int:
    """How many quiz questions and interview prompts are due today (Home shows this)."""
    if store is None:
        return 0
    try:
        return len(due_items(store, now))
    except Exception:  # a store that cannot be read must not break the course map
        return 0


def next_due(store, now: float | None = None) -> float | None:
    """When the next item falls due after today, if any."""
    now = time.time() if now is None else now
    later = [i.due for i in scheduled(store) if i.due >= due_limit(now)]
    return min(later) if later else None


def review(store, kind: str, item_id: str, rating: str, *, chosen: list | None = None,
           correct: bool | None = None, lesson_id: str = "", now: float | None = None) -> Review:
    """Record one review: the answer goes into the history and the item moves boxes."""
    now = time.time() if now is None else now
    current = item(store, kind, item_id)
    if current is not None and rating != "again" and current.due >= due_limit(now):
        result = Review(current.box, current.due)  # reviewed early: remembering it moves nothing
    else:
        result = next_review(current.box if current else 0, rating, now)
    outcome = correct if correct is not None else RATINGS.index(rating)  # interview: 0..3
    if _persistent(store):
        store.record_item_answer(kind, item_id, list(chosen or [rating]), outcome, lesson_id=lesson_id)
        store.save_item(kind, item_id, result.box, result.due, {"rating": rating, "reviewed": now})
    else:
        memory = _memory(store)
        memory.rows[(kind, item_id)] = ScheduledItem(kind, item_id, result.box, result.due)
        memory.answers.append({"kind": kind, "item_id": item_id, "lesson_id": lesson_id,
                               "chosen": list(chosen or [rating]), "correct": int(outcome), "ts": now})  # fmt: skip
    return result


def schedule_soon(store, kind: str, item_ids: Iterable[str], now: float | None = None) -> int:
    """Bring items due in AGAIN_MINUTES (box 1), as a missed answer would, without recording an
    answer to them: a lesson check answered wrong schedules the quiz questions on its idea.
    Items already due sooner stay as they are. Returns how many moved."""
    now = time.time() if now is None else now
    due = now + AGAIN_MINUTES * 60
    moved = 0
    for item_id in item_ids:
        current = item(store, kind, item_id)
        if current is not None and current.due <= due:
            continue
        if _persistent(store):
            store.save_item(kind, item_id, 1, due, {"rating": "again", "reviewed": now, "why": "lesson check"})
        else:
            _memory(store).rows[(kind, item_id)] = ScheduledItem(kind, item_id, 1, due)
        moved += 1
    return moved


def preview(store, kind: str, item_id: str, rating: str, now: float | None = None) -> Review:
    """Where a review rated `rating` would leave the item, without recording anything."""
    now = time.time() if now is None else now
    current = item(store, kind, item_id) if store is not None else None
    if current is not None and rating != "again" and current.due >= due_limit(now):
        return Review(current.box, current.due)
    return next_review(current.box if current else 0, rating, now)


def when_back(review: Review, now: float | None = None) -> str:
    """When an item comes back, in plain words: "back in 10 minutes", "back in 3 days"."""
    now = time.time() if now is None else now
    wait = review.due - now
    if wait < 3600:
        minutes = max(1, round(wait / 60))
        return f"back in {minutes} minute{'s' if minutes != 1 else ''}"
    days = max(1, round(wait / DAY))
    return "back tomorrow" if days == 1 else f"back in {days} days"


def review_quiz(store, question, chosen: list, correct: bool, lesson_id: str = "",
                now: float | None = None) -> Review:  # fmt: skip
    """A quiz answer rates itself: right is good, wrong is again."""
    return review(store, QUIZ, question.id, "good" if correct else "again", chosen=chosen,
                  correct=correct, lesson_id=lesson_id, now=now)  # fmt: skip


def record_unscheduled(store, kind: str, item_id: str, chosen: list, correct: bool, lesson_id: str = "") -> None:
    """An answer kept as history only (a generated drill, a walk of the decision tree)."""
    if _persistent(store):
        store.record_item_answer(kind, item_id, chosen, correct, lesson_id=lesson_id)
    else:
        _memory(store).answers.append({"kind": kind, "item_id": item_id, "lesson_id": lesson_id,
                                       "chosen": list(chosen), "correct": int(correct), "ts": time.time()})  # fmt: skip


def _history(store, kind: str | None = None) -> list[dict]:
    if _persistent(store):
        return store.history(kind)
    return [a for a in _memory(store).answers if kind is None or a["kind"] == kind]


# -- where the learner stands ---------------------------------------------------------------------


class SectionScore(NamedTuple):
    section: int
    questions: int  # in the bank
    answered: int  # questions answered at least once
    right: int  # questions whose latest answer was right

    @property
    def percent(self) -> int | None:
        return None if not self.answered else round(100 * self.right / self.answered)


def section_scores(store, bank) -> dict[int, SectionScore]:
    """For each section of the bank: how many questions the learner got right (latest answer)."""
    latest = _latest(store, QUIZ)
    scores = {}
    for section in bank.sections:
        ids = [q.id for q in bank.for_section(section)]
        answered = [latest[i] for i in ids if i in latest]
        scores[section] = SectionScore(section, len(ids), len(answered), sum(1 for ok in answered if ok))
    return scores


class Topic(NamedTuple):
    teaches: str  # LESSON#STEP
    answers: int
    wrong: int

    @property
    def error_rate(self) -> float:
        return self.wrong / self.answers if self.answers else 0.0


def weakest_topics(store, bank, limit: int = 3) -> list[Topic]:
    """The lesson steps whose questions the learner gets wrong most (every answer counts), worst
    first; topics never got wrong are left out."""
    by_id = {q.id: q for q in bank.questions}
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for answer in _history(store, QUIZ):
        question = by_id.get(answer["item_id"])
        if question is None:
            continue
        counts = tally[question.teaches]
        counts[0] += 1
        counts[1] += 0 if answer["correct"] else 1
    topics = [Topic(t, n, w) for t, (n, w) in tally.items() if w]
    topics.sort(key=lambda t: (-t.error_rate, -t.wrong, t.teaches))
    return topics[:limit]


def streak(store, now: float | None = None) -> int:
    """Days in a row, up to today (or yesterday, if nothing yet today), with at least one answer."""
    now = time.time() if now is None else now
    days = {dt.datetime.fromtimestamp(a["ts"]).date() for a in _history(store)}
    day = dt.datetime.fromtimestamp(now).date()
    if day not in days:
        day -= dt.timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= dt.timedelta(days=1)
    return count


def _latest(store, kind: str) -> dict[str, bool]:
    latest: dict[str, bool] = {}
    for answer in _history(store, kind):  # oldest first: the newest wins
        latest[answer["item_id"]] = bool(answer["correct"])
    return latest
