"""Quiz questions of every kind are checked right, and every generated drill's answer is the
simulator's answer on cases worked out by hand."""

import hashlib
import itertools

import pytest

from lbtutor.content import drills
from lbtutor.content.lessons import load_course
from lbtutor.content.quiz import load_quiz_bank


@pytest.fixture(scope="module")
def course():
    return load_course()


@pytest.fixture(scope="module")
def bank(course):
    bank, problems = load_quiz_bank(course=course)
    assert problems == []
    return bank


def first_of_kind(bank, kind):
    return next(q for q in bank.questions if q.kind == kind)


# -- the four kinds of question -------------------------------------------------------------------


def test_a_single_choice_question_takes_exactly_its_key(bank):
    q = first_of_kind(bank, "single")
    (right,) = q.answers
    wrong = next(o.key for o in q.options if o.key != right)
    assert q.is_correct(right)
    assert not q.is_correct(wrong)
    assert all(o.explain for o in q.options)


def test_a_multiple_choice_question_needs_every_right_key_and_no_other(bank):
    q = first_of_kind(bank, "multiple")
    right = sorted(q.answers)
    assert q.is_correct(right)
    assert not q.is_correct(right[:-1]) or len(right) == 1
    extra = next((o.key for o in q.options if o.key not in q.answers), None)
    if extra:
        assert not q.is_correct([*right, extra])


def test_a_number_question_accepts_its_tolerance_and_no_more():
    from lbtutor.content.quiz import Question

    q = Question("n", "number", 7, "How many?", "scaling#scaling-out", (), frozenset(), number=20.0,
                 tolerance=0.5, unit="servers", explain="3000 / 150 = 20")  # fmt: skip
    assert q.is_correct("20") and q.is_correct(20.5) and q.is_correct("19.5")
    assert not q.is_correct(21) and not q.is_correct("twenty") and not q.is_correct("nan")


def test_an_algorithm_question_offers_algorithm_slugs(bank):
    from lbtutor.sim.balancers import ALGORITHMS

    q = first_of_kind(bank, "algorithm")
    assert all(o.key in ALGORITHMS for o in q.options)
    (right,) = q.answers
    assert q.is_correct(right)


def test_every_section_has_a_quiz(bank):
    assert bank.sections == list(range(1, 10))


# -- weighted least connections -----------------------------------------------------------------


def test_wlc_drill_picks_c_in_the_chapters_example():
    servers = [("A", 10, 5), ("B", 4, 2), ("C", 3, 3)]  # scores 2.0, 2.0, 1.0
    assert drills.wlc_pick(servers) == "C"
    q = drills.wlc_question(servers)
    assert q.answers == {"c"}
    assert "3 / 3 = 1" in q.option("c").explain


def test_wlc_drill_weighs_connections_by_capacity():
    # fewest connections is not the answer: 2/1 = 2.0 against 9/6 = 1.5
    assert drills.wlc_pick([("A", 2, 1), ("B", 9, 6)]) == "B"


# -- smooth weighted round robin -------------------------------------------------------------------


def test_wrr_drill_gives_nginx_sequence_for_5_1_1():
    assert drills.wrr_picks([5, 1, 1], 7) == list("aabacaa")
    q = drills.wrr_question([5, 1, 1])
    (key,) = q.answers
    assert q.option(key).text == "a a b a c a a"
    assert len({o.text for o in q.options}) == len(q.options) == 4


def test_wrr_drill_repeats_its_cycle():
    assert drills.wrr_picks([2, 1], 6) == list("abaaba")


# -- modulo hashing ---------------------------------------------------------------------------------


def test_hash_drill_moves_exactly_the_keys_whose_remainder_changes():
    addresses = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"]
    q = drills.hash_question(addresses, 3)
    expected = set()
    for key, address in zip("abcde", addresses, strict=True):
        h = int.from_bytes(hashlib.blake2b(address.encode(), digest_size=8).digest(), "big")
        if h % 3 != h % 4:
            expected.add(key)
        assert f"= {h % 60})" in q.option(key).text  # what the learner is shown is true
    assert q.answers == expected


# -- servers for a load ---------------------------------------------------------------------------


@pytest.mark.parametrize(("load", "per_server", "target", "servers"), [
    (3000, 200, 0.75, 20),   # the content format's worked example
    (625, 100, 0.75, 9),     # 8.33 rounds up
    (1000, 100, 1.0, 10),
])  # fmt: skip
def test_servers_drill(load, per_server, target, servers):
    assert drills.servers_needed(load, per_server, target) == servers
    q = drills.servers_question(load, per_server, target)
    assert q.number == servers and q.unit == "servers" and q.is_correct(str(servers))


# -- health-check detection -----------------------------------------------------------------------


def test_health_drill_counts_fall_probes_each_waiting_out_its_timeout():
    # HAProxy's schedule. Crash 2.5 s after a probe: the next probe is 1.5 s later and fails 1 s
    # after that; each later probe starts 2 s after the previous failure and fails 1 s later:
    # 1.5 + 1 + 2 + 1 + 2 + 1 = 8.5 s
    d = drills.health_detection(interval=2.0, timeout=1.0, fall=3, crash_after=2.5, seed=4)
    assert d.delay == pytest.approx(8.5)
    assert len(d.probes_after_crash) == 3
    q = drills.health_question(2.0, 1.0, 3, 2.5, seed=4)
    assert q.is_correct("8.5") and not q.is_correct("6.5")


def test_health_drill_worst_case_is_fall_times_interval_plus_timeout():
    d = drills.health_detection(interval=5.0, timeout=2.0, fall=2, crash_after=0.01)
    assert d.delay == pytest.approx(2 * (5.0 + 2.0) - 0.01)


# -- token bucket ---------------------------------------------------------------------------------


def test_bucket_drill_counts_the_burst_then_the_refill():
    # 5 of the 10 at t=0 pass; then requests at 0.25, 0.75, ..., 3.75 find a whole token at
    # 1.25, 2.25 and 3.25: 8 in all
    times = drills.bucket_times(10, 0.5, 4.0)
    assert times[10:] == [0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75]
    assert drills.bucket_admitted(times, rate=1.0, burst=5) == 8
    q = drills.bucket_question(1.0, 5, 10, 0.5, 4.0)
    assert q.number == 8 and q.unit == "requests"


# -- every drill, generated ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(drills.DRILLS))
def test_each_drill_is_seeded_and_well_formed(kind, course):
    for seed in range(15):
        q = drills.make_drill(kind, seed)
        assert q == drills.make_drill(kind, seed)
        assert q.id == f"drill:{kind}:{seed}"
        assert course.find_step(q.teaches) is not None, q.teaches
        if q.kind == "number":
            assert q.is_correct(q.number) and q.explain and q.unit
        else:
            assert q.is_correct(sorted(q.answers) if q.multiple else next(iter(q.answers)))
            assert all(o.explain for o in q.options)
            assert q.answers <= {o.key for o in q.options}
    assert drills.make_drill(kind, 1) != drills.make_drill(kind, 2)


def test_drill_stream_is_endless_and_mixes_every_kind():
    first = list(itertools.islice(drills.drill_stream(7), 60))
    again = list(itertools.islice(drills.drill_stream(7), 60))
    assert [q.id for q in first] == [q.id for q in again]
    assert {q.id.split(":")[1] for q in first[:6]} == set(drills.DRILLS)
    assert len({q.id for q in first}) == 60


def test_unknown_drill_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="wlc"):
        drills.make_drill("nope", 1)


# -- predict, then watch ---------------------------------------------------------------------------


def test_watching_long_lived_shows_least_connections_winning():
    outcome = drills.watch("long-lived")
    assert outcome.winner == "least-connections"
    assert "p99" in outcome.basis
    assert {m.name for m in outcome.metrics} >= {"p99_short_rr", "p99_short_lc"}


def test_watching_an_unknown_scenario_says_so():
    outcome = drills.watch("no-such-scenario")
    assert outcome.error and outcome.winner is None
