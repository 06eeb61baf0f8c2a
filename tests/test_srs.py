"""The spaced-repetition schedule moves items exactly as specified, lives in the progress database,
and the learner's standing (scores, weakest topics, streak) comes from their answers."""

import datetime as dt

import pytest

from lbtutor.content import srs
from lbtutor.content.progress import ProgressStore
from lbtutor.content.quiz import Question, QuizBank
from lbtutor.ui.null_progress import NullProgress

DAY = srs.DAY
NOON = dt.datetime(2026, 3, 10, 12, 0).timestamp()


@pytest.fixture
def store(tmp_path):
    with ProgressStore(tmp_path / "p.sqlite3") as s:
        yield s


# -- the Leitner rule -----------------------------------------------------------------------------


@pytest.mark.parametrize(("box", "rating", "new_box", "wait"), [
    (0, "good", 1, 1 * DAY),      # a new item goes into box 1
    (0, "easy", 2, 3 * DAY),
    (0, "hard", 1, 1 * DAY),
    (0, "again", 1, 600),
    (1, "good", 2, 3 * DAY),
    (2, "good", 3, 7 * DAY),
    (3, "easy", 5, 30 * DAY),
    (4, "good", 5, 30 * DAY),
    (5, "good", 5, 30 * DAY),     # the top box is the last
    (5, "easy", 5, 30 * DAY),
    (4, "hard", 4, 14 * DAY),     # hard stays in its box
    (5, "again", 1, 600),         # again falls all the way back, due in 10 minutes
])  # fmt: skip
def test_leitner_rule(box, rating, new_box, wait):
    review = srs.next_review(box, rating, NOON)
    assert (review.box, review.due - NOON) == (new_box, wait)


def test_a_rating_must_be_one_of_four():
    with pytest.raises(ValueError, match="again, hard, good, easy"):
        srs.next_review(1, "meh", NOON)


# -- stored in the progress database ----------------------------------------------------------------


def test_quiz_answers_move_a_question_through_the_boxes(store):
    q = Question("alg-x", "single", 2, "?", "algorithms#round-robin", (), frozenset({"a"}))
    srs.review_quiz(store, q, ["a"], True, now=NOON)
    assert srs.item(store, "quiz", "alg-x").box == 1
    srs.review_quiz(store, q, ["a"], True, now=NOON + 1 * DAY)
    srs.review_quiz(store, q, ["a"], True, now=NOON + 4 * DAY)
    assert srs.item(store, "quiz", "alg-x").box == 3
    srs.review_quiz(store, q, ["b"], False, now=NOON + 11 * DAY)
    item = srs.item(store, "quiz", "alg-x")
    assert (item.box, item.due) == (1, NOON + 11 * DAY + 600)
    assert [a["correct"] for a in store.history("quiz")] == [1, 1, 1, 0]


def test_due_today_counts_items_due_before_midnight(store):
    srs.review(store, "quiz", "a", "good", now=NOON - DAY)      # due NOON today
    srs.review(store, "quiz", "b", "again", now=NOON)           # due in 10 minutes
    srs.review(store, "interview", "c", "good", now=NOON)      # due tomorrow noon
    srs.review(store, "interview", "d", "easy", now=NOON - 3 * DAY)  # due today
    assert srs.due_count(store, now=NOON) == 3
    assert [i.item_id for i in srs.due_items(store, now=NOON)] == ["d", "a", "b"]
    assert srs.due_count(store, now=NOON + DAY) == 4
    assert srs.next_due(store, now=NOON) == NOON + DAY


def test_a_question_missed_just_before_midnight_is_still_due_in_this_session(store):
    late = dt.datetime(2026, 3, 10, 23, 55).timestamp()
    srs.review(store, "quiz", "missed", "again", now=late)  # due at 00:05, tomorrow's date
    srs.review(store, "quiz", "known", "good", now=late)    # due tomorrow night
    assert [i.item_id for i in srs.due_items(store, now=late)] == ["missed"]
    assert srs.due_count(store, now=late) == 1
    assert srs.next_due(store, now=late) == late + DAY


def test_a_quiz_retaken_the_same_day_moves_nothing_up_but_a_miss_still_counts(store):
    srs.review(store, "quiz", "q", "good", now=NOON)  # box 1, due tomorrow
    assert srs.review(store, "quiz", "q", "good", now=NOON + 60) == srs.Review(1, NOON + DAY)
    assert srs.review(store, "quiz", "q", "easy", now=NOON + 120) == srs.Review(1, NOON + DAY)
    assert srs.review(store, "quiz", "q", "again", now=NOON + 180) == srs.Review(1, NOON + 780)
    assert len(store.history("quiz")) == 4  # every answer is still kept
    assert srs.review(store, "quiz", "q", "good", now=NOON + DAY) == srs.Review(2, NOON + 4 * DAY)


def test_due_items_can_be_limited_to_known_items(store):
    srs.review(store, "quiz", "gone", "again", now=NOON)
    srs.review(store, "quiz", "kept", "again", now=NOON)
    assert [i.item_id for i in srs.due_items(store, NOON, known={("quiz", "kept")})] == ["kept"]


def test_interview_self_rating_is_kept_in_the_history(store):
    srs.review(store, "interview", "why-lb", "hard", chosen=["my answer"], now=NOON)
    (answer,) = store.history("interview")
    assert answer["chosen"] == ["my answer"] and answer["correct"] == srs.RATINGS.index("hard")


def test_the_schedule_survives_export_and_import_into_an_empty_store(store, tmp_path):
    srs.review(store, "quiz", "a", "good", now=NOON)
    srs.review(store, "interview", "b", "again", now=NOON)
    with ProgressStore(tmp_path / "other.sqlite3") as other:
        other.import_(store.export())
        assert srs.scheduled(other) == srs.scheduled(store)
        assert srs.due_count(other, now=NOON) == 1


def test_a_session_without_a_progress_file_still_schedules_in_memory():
    null = NullProgress()
    srs.review(null, "quiz", "a", "again", now=NOON)
    assert srs.due_count(null, now=NOON) == 1
    assert srs.due_count(None) == 0


# -- where the learner stands --------------------------------------------------------------------


def _bank():
    q = [Question(f"q{n}", "single", section, "?", teaches, (), frozenset({"a"}))
         for n, (section, teaches) in enumerate([(1, "fundamentals#one-server"), (1, "fundamentals#one-server"),
                                                 (2, "algorithms#round-robin"), (2, "algorithms#ip-hash")])]  # fmt: skip
    return QuizBank(q)


def test_section_scores_use_each_questions_latest_answer(store):
    bank = _bank()
    srs.review_quiz(store, bank.question("q0"), ["b"], False)
    srs.review_quiz(store, bank.question("q0"), ["a"], True)
    srs.review_quiz(store, bank.question("q2"), ["b"], False)
    scores = srs.section_scores(store, bank)
    assert (scores[1].questions, scores[1].answered, scores[1].right, scores[1].percent) == (2, 1, 1, 100)
    assert (scores[2].answered, scores[2].right, scores[2].percent) == (1, 0, 0)


def test_weakest_topics_are_the_steps_most_often_missed(store):
    bank = _bank()
    for ok in (False, False, True):
        srs.review_quiz(store, bank.question("q2"), ["x"], ok)
    srs.review_quiz(store, bank.question("q3"), ["x"], False)
    srs.review_quiz(store, bank.question("q0"), ["a"], True)
    topics = srs.weakest_topics(store, bank)
    assert [t.teaches for t in topics] == ["algorithms#ip-hash", "algorithms#round-robin"]
    assert (topics[1].answers, topics[1].wrong) == (3, 2)


def test_streak_counts_days_in_a_row_with_an_answer(store):
    today = dt.datetime.now().replace(hour=12, minute=0, second=0, microsecond=0)
    data = store.export()
    data["answers"] = [
        {"kind": "quiz", "item_id": "q", "lesson_id": "", "chosen": ["a"], "correct": True,
         "ts": (today - dt.timedelta(days=d)).timestamp()}
        for d in (1, 2, 3, 5)
    ]  # fmt: skip
    store.import_(data)
    now = today.timestamp()
    assert srs.streak(store, now) == 3  # nothing yet today: the streak up to yesterday still counts
    srs.record_unscheduled(store, "drill", "drill:wlc:1", ["a"], True)
    assert srs.streak(store) == 4
