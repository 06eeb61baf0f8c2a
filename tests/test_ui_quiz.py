"""Quizzes, drills, interview practice, the due-items session and the decision tree, driven as a
learner drives them (Textual's pilot), on a small fixed course so wording edits never break them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.widgets import Static, TextArea
from ui_course import write_course

from lbtutor.content import srs
from lbtutor.content.progress import ProgressStore
from lbtutor.ui import practice_commands
from lbtutor.ui.app import make_app
from lbtutor.ui.screens.decision_tree import DecisionTreeScreen
from lbtutor.ui.screens.practice import PracticeScreen
from lbtutor.ui.screens.quiz import QuizScreen
from lbtutor.ui.screens.quiz_summary import QuizSummaryScreen
from lbtutor.ui.widgets.decision_tree_drawing import DecisionTreeDrawing
from lbtutor.ui.widgets.interview_answer import InterviewAnswerView
from lbtutor.ui.widgets.quiz_lesson_peek import QuizLessonPeek
from lbtutor.ui.widgets.quiz_question import QuizOptionLine, QuizQuestionView
from lbtutor.ui.widgets.quiz_scenario_result import QuizScenarioResult

QUIZ_1 = '''
section = 1

[[questions]]
id = "b-single"
kind = "single"
prompt = "Three servers each serve 10 req/s. What can the pool serve?"
teaches = "basics#three-servers"
answer = "b"
[[questions.options]]
key = "a"
text = "10 req/s"
explain = "That is one server's capacity; the other two add theirs."
[[questions.options]]
key = "b"
text = "30 req/s"
explain = "Right: the servers work in parallel, so capacities add."

[[questions]]
id = "b-multiple"
kind = "multiple"
prompt = "What does a balancer buy you? Choose all that apply."
teaches = "basics#what-the-balancer-buys-you"
answer = ["a", "c"]
[[questions.options]]
key = "a"
text = "Throughput"
explain = "Right: servers work in parallel."
[[questions.options]]
key = "b"
text = "Exactly-once processing"
explain = "Wrong: a balancer only forwards requests."
[[questions.options]]
key = "c"
text = "Availability"
explain = "Right: a dead server is routed around."

[[questions]]
id = "b-number"
kind = "number"
prompt = "Each server handles 200 req/s. How many servers keep 3,000 req/s at 75% utilisation?"
teaches = "basics#one-server"
answer = 20
tolerance = 0
unit = "servers"
explain = "3000 / (200 x 0.75) = 20."

[[questions]]
id = "b-algorithm"
kind = "algorithm"
prompt = "Identical servers hold WebSocket connections for hours. Which algorithm keeps them level?"
teaches = "basics#three-servers"
scenario = "long-lived"
answer = "least-connections"
[[questions.options]]
key = "round-robin"
explain = "Wrong: it keeps feeding servers that still hold long connections."
[[questions.options]]
key = "least-connections"
explain = "Right: it sends each connection to the server holding the fewest."
'''

QUIZ_2 = '''
section = 2

[[questions]]
id = "m2-single"
kind = "single"
prompt = "Is this module's quiz separate?"
teaches = "module-2#overview"
answer = "a"
[[questions.options]]
key = "a"
text = "Yes"
explain = "Each section has its own quiz."
[[questions.options]]
key = "b"
text = "No"
explain = "It is."
'''

INTERVIEW = '''
[[prompts]]
id = "why-lb"
section = 1
prompt = "Why put a load balancer in front of your servers?"
model_answer = """
Servers share the work, so throughput grows; a dead server is routed around; and servers can be
added behind one address.
"""
[[prompts.points]]
text = "Throughput: servers work in parallel"
terms = ["throughput", "parallel", "share the work"]
[[prompts.points]]
text = "Availability: a dead server is routed around"
terms = ["availability", "route around", "health check", "failover"]
[[prompts.points]]
text = "Scaling: add servers behind one address"
terms = ["scale out", "add servers", "one address"]

[[prompts]]
id = "why-gateway"
section = 6
prompt = "Why an API gateway rather than a load balancer?"
model_answer = "A gateway does per-request work: authentication, rate limits, routing by path."
[[prompts.points]]
text = "Authentication at the edge"
terms = ["auth", "token", "jwt"]
'''

TREE = '''
root = "capacity-equal"

[[nodes]]
id = "capacity-equal"
question = "Is server capacity equal across the pool?"
yes = "duration-varies"
no = "weighted-duration-varies"

[[nodes]]
id = "duration-varies"
question = "Does request duration vary?"
yes = "session-affinity"
no = "round-robin"

[[nodes]]
id = "session-affinity"
question = "Do you need session affinity?"
yes = "ip-hash"
no = "latency-critical"

[[nodes]]
id = "latency-critical"
question = "Is latency critical?"
yes = "least-response-time"
no = "least-connections"

[[nodes]]
id = "weighted-duration-varies"
question = "Weighted variant: does request duration vary?"
yes = "weighted-least-connections"
no = "weighted-round-robin"

[[nodes]]
id = "round-robin"
algorithm = "round-robin"
why = "Equal servers, equal requests: taking turns is even."
instead = "Least connections would track state for nothing."
scenario = "lb-benefits"

[[nodes]]
id = "ip-hash"
algorithm = "ip-hash"
why = "The same client reaches the same server."
instead = "A load-aware algorithm would move clients and lose sessions."
scenario = "ip-skew"

[[nodes]]
id = "least-response-time"
algorithm = "least-response-time"
why = "Route to whoever answers fastest now."
instead = "Least connections cannot see a slow server."
scenario = "lrt-oscillation"

[[nodes]]
id = "least-connections"
algorithm = "least-connections"
why = "Open connections show how busy a server is."
instead = "Round robin feeds servers stuck with long requests."
scenario = "long-lived"

[[nodes]]
id = "weighted-least-connections"
algorithm = "weighted-least-connections"
why = "Connections per weight accounts for both capacity and duration."
instead = "Weighted round robin ignores duration."
scenario = "heterogeneous"

[[nodes]]
id = "weighted-round-robin"
algorithm = "weighted-round-robin"
why = "A fixed share per weight is all uniform requests need."
instead = "Plain round robin overloads the small servers."
scenario = "heterogeneous"

[[cases]]
id = "chat"
system = "Identical chat servers hold WebSockets for hours; sessions live in Redis; latency is not critical."
leaf = "least-connections"

[[cases]]
id = "lookups"
system = "A pool mixes 4-core and 16-core machines serving uniform lookups."
leaf = "weighted-round-robin"
'''


def write_practice_course(directory: Path) -> Path:
    """The fixed course of ui_course.py plus a quiz bank, interview prompts and a decision tree."""
    write_course(directory)
    (directory / "quiz").mkdir(exist_ok=True)
    (directory / "quiz" / "01-basics.toml").write_text(QUIZ_1, encoding="utf-8")
    (directory / "quiz" / "02-module-2.toml").write_text(QUIZ_2, encoding="utf-8")
    (directory / "interview.toml").write_text(INTERVIEW, encoding="utf-8")
    (directory / "decision-tree.toml").write_text(TREE, encoding="utf-8")
    return directory


@pytest.fixture
def lessons(tmp_path):
    return write_practice_course(tmp_path / "lessons")


@pytest.fixture
def app(lessons, isolated_home):
    return make_app(lessons_dir=lessons, data_dir=isolated_home, autoplay_labs=False)


async def started(pilot) -> None:
    await pilot.app.ready.wait()
    await pilot.pause()


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.pause()


def text(widget: Static) -> str:
    return str(widget.content)


def view(app) -> QuizQuestionView:
    return app.screen.query_one(QuizQuestionView)


# ------------------------------------------------------------------------------------- a quiz


async def test_a_whole_quiz_of_every_kind_ends_with_score_missed_and_retry(app, isolated_home):
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        practice_commands.open_quiz(app, 1)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QuizScreen)
        assert "Question 1 of 4" in text(screen.query_one("#quiz-status", Static))

        await pilot.press("a")  # single: wrong
        await settle(pilot)
        lines = [text(line) for line in view(app).query(QuizOptionLine)]
        assert "✗ not this one" in lines[0] and "you chose this" in lines[0] and "the other two add theirs" in lines[0]
        assert "✓ the answer" in lines[1] and "capacities add" in lines[1]  # every option explained

        await pilot.press("n", "a", "c", "enter")  # multiple: right
        await settle(pilot)
        assert view(app).correct

        await pilot.press("n")
        await settle(pilot)
        assert app.focused is not None and app.focused.id == "quiz-number"
        await pilot.press("2", "0", "enter")  # number: right
        await settle(pilot)
        assert "✓ Right: 20 servers" in text(view(app).query_one(".quiz-result", Static))

        await pilot.press("n", "b")  # algorithm (predict, then watch): least connections, right
        await app.workers.wait_for_complete()
        await settle(pilot)
        result = view(app).query_one(QuizScenarioResult)
        assert result.outcome is not None and result.outcome.winner == "least-connections"
        assert "Who really won: Least connections" in text(result)
        assert "Your pick won this run" in text(result)

        await pilot.press("n")  # the end
        await settle(pilot)
        summary = app.screen
        assert isinstance(summary, QuizSummaryScreen)
        assert "3 of 4 right (75%)" in text(summary.query_one("#summary-score", Static))
        missed = [text(s) for s in summary.query(".summary-missed")]
        assert len(missed) == 1 and "What can the pool serve?" in missed[0] and "capacities add" in missed[0]

        await pilot.press("r")  # retry missed
        await settle(pilot)
        assert isinstance(app.screen, QuizScreen)
        assert "Question 1 of 1" in text(app.screen.query_one("#quiz-status", Static))
        assert view(app).question.id == "b-single"

    with ProgressStore.open(isolated_home) as store:  # every answer moved its question in the schedule
        boxes = {i.item_id: i.box for i in srs.scheduled(store)}
        assert boxes == {"b-single": 1, "b-multiple": 1, "b-number": 1, "b-algorithm": 1}
        assert srs.due_count(store) == 1  # the missed one comes back in 10 minutes


async def test_the_lesson_step_that_teaches_a_question_opens_over_the_quiz(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        practice_commands.open_quiz(app, 1)
        await settle(pilot)
        assert "Lesson 1, Load Balancing Fundamentals › Three servers" in text(
            view(app).query_one(".quiz-teaches", Static))
        await pilot.press("b", "l")
        await settle(pilot)
        assert isinstance(app.screen, QuizLessonPeek)
        assert app.screen.step.title == "Three servers"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QuizScreen) and view(app).answered  # the quiz is as it was


async def test_escape_ends_a_quiz_early_and_reports_what_was_not_answered(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        practice_commands.open_quiz(app, 1)
        await settle(pilot)
        await pilot.press("b", "escape")
        await settle(pilot)
        score = text(app.screen.query_one("#summary-score", Static))
        assert "1 of 1 right" in score and "3 not answered" in score


async def test_drills_are_endless_and_kept_as_history_only(app, isolated_home):
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        practice_commands.open_drills(app, seed=5, kinds=["wlc"])
        await settle(pilot)
        for n in range(1, 4):
            question = view(app).question
            assert question.id.startswith("drill:wlc:") and f"Drill {n}" in text(app.screen.query_one("#quiz-status"))
            (answer,) = question.answers
            await pilot.press(answer, "n")
            await settle(pilot)
        assert "3 of 3 right" in text(app.screen.query_one("#quiz-status"))
    with ProgressStore.open(isolated_home) as store:
        assert len(store.history("drill")) == 3 and srs.scheduled(store) == []


# ------------------------------------------------------------------------------- interview


async def test_an_interview_prompt_shows_points_covered_model_answer_and_takes_a_rating(app, isolated_home):
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        practice_commands.open_interview(app)
        await settle(pilot)
        item = app.screen.query_one(InterviewAnswerView)
        assert item.prompt.id == "why-lb"
        area = app.screen.query_one(TextArea)
        assert app.focused is area
        await pilot.press(*"Servers work in PARALLEL; health-checks")  # typed: letters do not pick options
        assert area.text == "Servers work in PARALLEL; health-checks"
        await pilot.press("ctrl+r")
        await settle(pilot)
        coverage = text(item.query_one(".interview-coverage", Static))
        assert "You covered 2 of 3 key points" in coverage
        assert "✓ Throughput: servers work in parallel" in coverage and "“PARALLEL”" in coverage
        assert "✓ Availability" in coverage and "“health-checks”" in coverage
        assert "✗ Scaling: add servers behind one address" in coverage
        assert item.query_one(".interview-model").display
        await pilot.press("3")  # good
        await settle(pilot)
        assert item.rating == "good"
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.query_one(InterviewAnswerView).prompt.id == "why-gateway"
    with ProgressStore.open(isolated_home) as store:
        scheduled = srs.item(store, "interview", "why-lb")
        assert scheduled.box == 1 and scheduled.due > time.time() + 23 * 3600
        assert store.history("interview")[0]["chosen"] == ["Servers work in PARALLEL; health-checks"]


# ------------------------------------------------------------------------------ due items


async def test_practice_runs_the_due_items_and_lbtutor_practice_opens_on_it(lessons, isolated_home):
    from lbtutor.commands.practice import make_practice_app

    with ProgressStore.open(isolated_home) as store:
        srs.review(store, "quiz", "b-number", "again")
        srs.review(store, "interview", "why-gateway", "again")
        srs.review(store, "quiz", "m2-single", "good")  # due tomorrow
    app = make_practice_app(lessons, isolated_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QuizScreen) and screen.quiz_title == "Practice: due today"
        assert [i.id for i in screen.items] == ["b-number"] and screen.total == 2
        await pilot.press("2", "0", "enter", "n")
        await settle(pilot)
        assert isinstance(app.screen.view, InterviewAnswerView)


async def test_practice_with_nothing_due_says_so_and_offers_new_questions(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        practice_commands.open_practice(app)
        await settle(pilot)
        assert isinstance(app.screen, PracticeScreen)
        assert "Nothing is due today." in text(app.screen.query_one("#practice-message", Static))
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, QuizScreen)
        assert [q.id for q in app.screen._source] == ["m2-single", "b-multiple", "b-number", "b-algorithm"]


# ---------------------------------------------------------------------------- decision tree


async def test_a_walk_down_the_tree_with_breadcrumb_back_and_the_path_marked(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"Decision tree")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DecisionTreeScreen)
        assert text(screen.query_one("#tree-question", Static)) == "Is server capacity equal across the pool?"
        await pilot.press("y", "y", "n")
        await settle(pilot)
        crumbs = text(screen.query_one("#tree-breadcrumb", Static))
        assert "1. Is server capacity equal across the pool? yes" in crumbs
        assert "3. Do you need session affinity? no" in crumbs
        drawing = text(screen.query_one(DecisionTreeDrawing)).splitlines()
        assert drawing[0].startswith("● Is server capacity")  # answered: marked, not only coloured
        assert any(line.startswith("▶") and "Is latency critical?" in line for line in drawing)
        await pilot.press("b")
        await settle(pilot)
        assert text(screen.query_one("#tree-question", Static)) == "Do you need session affinity?"
        await pilot.press("n", "n")
        await settle(pilot)
        assert text(screen.query_one("#tree-question", Static)) == "Use Least connections."
        leaf = text(screen.query_one("#tree-leaf", Static))
        assert "Open connections show how busy a server is." in leaf
        assert "Round robin feeds servers stuck with long requests." in leaf
        assert any(line.startswith("▶") and "Least connections" in line
                   for line in text(screen.query_one(DecisionTreeDrawing)).splitlines())
        await pilot.press("o")  # the scenario that shows why, in the lab
        await settle(pilot)
        from lbtutor.ui.screens.lab import LabScreen

        assert isinstance(app.screen, LabScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


async def test_quiz_me_on_the_tree_says_where_the_walk_went_wrong(app, isolated_home):
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        practice_commands.open_tree(app, quiz=True, seed=3)
        await settle(pilot)
        screen = app.screen
        case = screen.case
        assert text(screen.query_one("#tree-case", Static)).startswith(case.system)
        wrong_first = "n" if case.leaf == "least-connections" else "y"
        await pilot.press(wrong_first, "n", "n", "n")
        await settle(pilot)
        verdict = text(screen.query_one("#tree-verdict", Static))
        assert verdict.startswith("✗ Not this one")
        assert "You went wrong at “Is server capacity equal across the pool?”" in verdict
        assert any(line.startswith("◇") for line in text(screen.query_one(DecisionTreeDrawing)).splitlines())
        await pilot.press("m")  # another system, then the right walk
        await settle(pilot)
        right = {"least-connections": "yynn", "weighted-round-robin": "nn"}[screen.case.leaf]
        await pilot.press(*right)
        await settle(pilot)
        assert text(screen.query_one("#tree-verdict", Static)).startswith("✓ Right")
    with ProgressStore.open(isolated_home) as store:
        assert [a["correct"] for a in store.history("tree")] == [0, 1]


# ------------------------------------------------------------------------------- the palette


async def test_the_palette_reaches_every_practice_screen(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        names = [c.text for c in practice_commands.practice_commands(app)]
        for name in ("Practice due items", "Drills", "Interview practice", "Decision tree", "Quiz me on the tree",
                     "Quiz: Load Balancing Fundamentals", "Quiz: Load Balancing Algorithms"):
            assert name in names
        await pilot.press("ctrl+p", *"Quiz: Load Balancing Fundamentals")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, QuizScreen) and app.screen.quiz_title == "Quiz 1: Load Balancing Fundamentals"


def test_text_from_files_is_never_read_as_markup(tmp_path):
    from lbtutor.content.quiz import Question
    from lbtutor.ui.screens.quiz_summary import question_review

    q = Question("x", "number", 1, "[bold]not markup[/bold] $x", "a#b", (), frozenset(), number=1.0,
                 unit="[red]u", explain="[link=x]y")  # fmt: skip
    shown = str(question_review(q, ["2"], None))
    assert "[bold]not markup[/bold]" in shown and "[red]u" in shown and "[link=x]y" in shown


def test_lbtutor_practice_is_a_command_and_refuses_a_missing_lessons_folder(tmp_path, capsys):
    from lbtutor.cli import main

    assert main(["--lessons", str(tmp_path / "nope"), "practice"]) == 2
    assert capsys.readouterr().err.strip() == f"lbtutor practice: error: --lessons {tmp_path / 'nope'}: no such folder"


# -- predict, then watch: what the run says about the learner's pick -------------------------------


def _algorithm_question(answer: str):
    from lbtutor.content.lessons import Option
    from lbtutor.content.quiz import Question

    slugs = ("ip-hash", "round-robin", "least-connections")
    return Question(id="q", kind="algorithm", section=2, prompt="?", teaches="basics#x",
                    options=tuple(Option(s, s, "") for s in slugs), answers=frozenset({answer}))  # fmt: skip


def _run_won_by(winner: str):
    from lbtutor.content.drills import Outcome

    return Outcome("ip-skew", "Few clients", (), winner, "lowest p99 latency: least connections 0.6 s, IP hash 28 s")


def test_a_question_asking_who_wins_says_whether_the_pick_won_the_run():
    from lbtutor.ui.widgets.quiz_scenario_result import describe

    question = _algorithm_question("least-connections")
    said = describe(_run_won_by("least-connections"), question, ["round-robin"]).plain
    assert "You picked round robin; in this run least connections did best." in said
    assert "Your pick won this run." in describe(_run_won_by("least-connections"), question, ["least-connections"]).plain


def test_a_question_whose_answer_is_not_the_runs_winner_never_calls_the_right_answer_a_loser():
    """"Which algorithm leaves one server far busier?" is answered by IP hash, the run's loser: the
    learner who answered it right is not told another algorithm 'did best', and one who picked the
    winner is not told their wrong pick 'won'."""
    from lbtutor.ui.widgets.quiz_scenario_result import describe

    question = _algorithm_question("ip-hash")
    right = describe(_run_won_by("least-connections"), question, ["ip-hash"]).plain
    wrong = describe(_run_won_by("least-connections"), question, ["least-connections"]).plain
    for said in (right, wrong):
        assert "Who really won: Least connections" in said and "IP hash 28 s" in said
        assert "You picked" not in said and "Your pick won" not in said


async def test_a_leaf_names_the_scenario_that_shows_why_and_its_button_is_never_cut(app):
    """At 80 columns the walk column is about 36 cells: 'o  Show me in the lab: lrt-oscillation' lost
    its last letter. The scenario goes by its title in the leaf's text; the button says only what o does."""
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        practice_commands.open_tree(app)
        await settle(pilot)
        await pilot.press("y", "y", "n", "n")
        await settle(pilot)
        screen = app.screen
        leaf = text(screen.query_one("#tree-leaf", Static))
        assert "The lab shows it: Round robin meets long-lived connections (long-lived)" in leaf
        button = screen.query_one("#tree-open")
        assert str(button.label) == "o  Show me in the lab"
        assert button.content_region.width >= len(str(button.label))


async def test_a_multiple_choice_answer_says_which_right_options_the_learner_left_out(app):
    """Answering a, c's "[ ] Exactly-once … ✗ wrong" and "[ ] c … ✓ right" looked alike in kind: the
    right option the learner did not tick now says so, in the question and in the summary, in the
    lessons' words ("✓ applies", "✗ does not apply")."""
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        practice_commands.open_quiz(app, 1)
        await settle(pilot)
        await pilot.press("b", "n", "a", "enter")  # the multiple question (a and c), with only a ticked
        await settle(pilot)
        lines = [text(line) for line in view(app).query(QuizOptionLine)]
        assert "you chose this" in lines[0] and "left it out" not in lines[0]
        assert "✗ does not apply" in lines[1] and "left it out" not in lines[1]
        assert "✓ applies  ← you left it out" in lines[2]
        await pilot.press("escape")
        await settle(pilot)
        missed = [text(s) for s in app.screen.query(".summary-missed")]
        assert any("c) " in m and "← you left it out" in m for m in missed)


def test_a_rubric_term_cut_short_to_match_several_endings_is_shown_with_an_ellipsis():
    """'words that show it: … spof, redundan, server dies' read as a typo: 'redundan' matches
    'redundant' and 'redundancy', so it is shown as 'redundan…'; whole words are shown as they are."""
    from lbtutor.content.interview import RubricPoint
    from lbtutor.content.rubric import match_points
    from lbtutor.ui.widgets.interview_answer import coverage_text

    point = RubricPoint("Availability", ("availability", "spof", "redundan", "autoscal"))
    model = "It removes the single point of failure; with autoscaling the pool is redundant, and availability rises."
    said = coverage_text(match_points([point], "It is fast."), model).plain
    assert "words that show it: availability, spof, redundan…, autoscal…" in said


async def test_a_prompt_rated_hard_says_when_it_returns_and_is_not_retried_now(app, isolated_home):
    """A prompt rated hard stays in its box and returns tomorrow: the rating says so in plain
    words (not "same box"), and "Retry missed" does not offer it again now; only "again" does."""
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        practice_commands.open_interview(app)
        await settle(pilot)
        app.screen.query_one(TextArea).insert("Servers work in parallel.")
        await pilot.press("ctrl+r", "2")  # hard
        await settle(pilot)
        rated = text(app.screen.query_one(".interview-rated", Static))
        assert rated == "You rated this hard: I got there with effort: back tomorrow."
        await pilot.press("escape")
        await settle(pilot)
        summary = app.screen
        assert isinstance(summary, QuizSummaryScreen) and summary.missed == []
        said = text(summary.query_one("#summary-score", Static))
        assert "Wrong answers, and prompts you rated again, come back in 10 minutes" in said
    with ProgressStore.open(isolated_home) as store:
        assert srs.item(store, "interview", "why-lb").due > time.time() + 23 * 3600


async def test_a_wrong_quiz_walk_does_not_advise_the_algorithm_it_marks_wrong(app):
    """'Use Round robin.' above '✗ Not this one: this system needs Weighted round robin' told the
    learner both things at once; a quiz walk's end is stated, not recommended."""
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        practice_commands.open_tree(app, quiz=True, seed=3)  # uniform lookups on mixed machines
        await settle(pilot)
        screen = app.screen
        assert screen.case.leaf == "weighted-round-robin"
        await pilot.press("y", "n")  # equal capacity? yes (wrong) -> round robin
        await settle(pilot)
        assert text(screen.query_one("#tree-question", Static)) == "Your walk ends at Round robin."
        assert text(screen.query_one("#tree-leaf", Static)).startswith("Where Round robin fits: ")
        assert text(screen.query_one("#tree-verdict", Static)).startswith("✗ Not this one")


def test_a_number_answer_is_written_with_thousands_separators_as_its_explanation_is():
    from lbtutor.ui.widgets.quiz_question import format_number

    assert [format_number(v) for v in (1500, 40000, 18.2, 99.9999, 20, 2_500_000)] == [
        "1,500", "40,000", "18.2", "99.9999", "20", "2,500,000"]
