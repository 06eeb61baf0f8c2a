"""Interview answers are matched against the rubric transparently: case and punctuation do not
matter, word endings do not matter, and the learner's own words are quoted back as evidence."""

import pytest

from lbtutor.content.interview import InterviewPrompt, RubricPoint, load_interview
from lbtutor.content.rubric import match, match_points, matches_term, stem


def point(*terms, text="a point"):
    return RubricPoint(text, terms)


@pytest.mark.parametrize(("answer", "term"), [
    ("Make it STATELESS.", "stateless"),
    ("use an active-passive pair", "active passive"),
    ("a read/write split", "read write split"),
    ("we distributed the load", "distribute"),
    ("distributing requests", "distributes"),
    ("it adds redundancy", "redundan"),          # a prefix term
    ("caches at the edge", "cache"),
    ("queued requests", "queue"),
    ("scaling out", "scale out"),
    ("the policies say", "policy"),
    ("put an LB in front", "load balancer"),     # an abbreviation counts as its long form
    ("no SPOF", "spof"),                         # ... and as itself
    ("two LBs", "load balancers"),
])  # fmt: skip
def test_terms_match_regardless_of_case_punctuation_and_endings(answer, term):
    assert matches_term(answer, term)


@pytest.mark.parametrize(("answer", "term"), [
    ("raise a flag", "lag"),                 # no matching inside a word
    ("the primary key", "primary replica"),  # every word of a term, in order
    ("write read", "read write"),
    ("spe", "speed"),
    ("", "anything"),
])  # fmt: skip
def test_terms_do_not_match_by_accident(answer, term):
    assert not matches_term(answer, term)


def test_stemmer_is_predictable():
    assert {stem(w) for w in ("server", "servers")} == {"server"}
    assert stem("scaling") == stem("scale") == stem("scaled") == "scal"


def test_coverage_names_the_term_and_quotes_the_learners_words():
    points = (point("stateless", "session store", text="Make the service stateless"),
              point("cache", text="Cache"), point("autoscal", text="Autoscale"))  # fmt: skip
    result = match_points(points, "Keep sessions in a Session-Store; then AUTOSCALING is easy.")
    covered = [(r.point.text, r.term, r.evidence) for r in result.points if r.covered]
    assert covered == [("Make the service stateless", "session store", "Session-Store"),
                       ("Autoscale", "autoscal", "AUTOSCALING")]  # fmt: skip
    assert (result.covered, result.total) == (2, 3)
    assert not result.points[1].covered and result.points[1].evidence == ""


@pytest.mark.parametrize(("covered", "rating"), [(0, "again"), (1, "again"), (2, "hard"), (3, "good"), (4, "easy")])
def test_suggested_rating_follows_coverage(covered, rating):
    prompt = InterviewPrompt("p", 1, "?", "", tuple(point(f"term{n}") for n in range(4)))
    answer = " ".join(f"term{n}" for n in range(covered))
    assert match(prompt, answer).suggested_rating() == rating


def test_every_model_answer_makes_most_of_its_own_rubric():
    prompts, problems = load_interview()
    assert problems == [] and len(prompts) >= 15
    for prompt in prompts:
        result = match(prompt, prompt.model_answer)
        assert result.fraction >= 0.6, (prompt.id, [r.point.text for r in result.points if not r.covered])


# A deliberately vague answer: the words a candidate reaches for without stating an idea, the
# prompt's own words echoed back, and nothing else. No rubric point may tick for it.
VAGUE = (
    "It depends. Both work, either is fine, and I would use the right tool for the job. Keep it fast and "
    "simple: watch the connection, the HTTP traffic, the state and the DB, set a min and a max, monitor and "
    "test it, tune the config, and make the system reliable, scalable, secure, highly performant and "
    "available. The servers handle the requests and the load balancer handles the load; the network, the "
    "cloud, the data, the users, the latency, the performance and the cost all matter."
)
# Words that name a topic without stating anything about it: never a rubric term on their own.
BROAD = {"connection", "fast", "http", "state", "both", "depends", "min", "max", "db", "database", "latency",
         "simple", "cost", "load balancer", "cloud", "monitor", "metric", "capacity", "performance", "session"}  # fmt: skip
PROMPTS, _ = load_interview()


@pytest.mark.parametrize("prompt", PROMPTS, ids=lambda p: p.id)
def test_a_vague_answer_that_echoes_the_question_ticks_no_rubric_point(prompt):
    result = match(prompt, f"{prompt.prompt} {VAGUE}")
    assert [(r.point.text, r.term) for r in result.points if r.covered] == []


@pytest.mark.parametrize("prompt", PROMPTS, ids=lambda p: p.id)
def test_no_rubric_term_is_a_broad_word_on_its_own(prompt):
    assert [t for point in prompt.points for t in point.terms if t.lower() in BROAD] == []
