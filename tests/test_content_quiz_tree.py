"""The quiz bank, interview prompts and decision tree load from TOML and report problems at file:line."""

from pathlib import Path

import pytest

from lbtutor.content.flowchart import load_tree, tree_file
from lbtutor.content.interview import interview_file, load_interview
from lbtutor.content.lessons import load_course
from lbtutor.content.quiz import load_quiz_bank, validate_quiz_file
from lbtutor.paths import lessons_dir
from lbtutor.sim.balancers import ALGORITHMS

LESSON = """+++
id = "algorithms"
section = 2
title = "Algorithms"
minutes = 5
+++

## Least connections

Text.
"""

QUIZ = """section = 2

[[questions]]
id = "q-single"
kind = "single"
prompt = "Pick b."
teaches = "algorithms#least-connections"
answer = "b"
[[questions.options]]
key = "a"
text = "A"
explain = "No."
[[questions.options]]
key = "b"
text = "B"
explain = "Yes."

[[questions]]
id = "q-multiple"
kind = "multiple"
prompt = "Pick a and b."
teaches = "algorithms#least-connections"
answer = ["a", "b"]
[[questions.options]]
key = "a"
text = "A"
explain = "Yes."
[[questions.options]]
key = "b"
text = "B"
explain = "Yes."
[[questions.options]]
key = "c"
text = "C"
explain = "No."

[[questions]]
id = "q-number"
kind = "number"
prompt = "How many servers?"
teaches = "algorithms#least-connections"
answer = 20
tolerance = 0.5
unit = "servers"
explain = "3000 / (200 x 0.75) = 20."

[[questions]]
id = "q-algorithm"
kind = "algorithm"
prompt = "Long-lived connections?"
teaches = "algorithms#least-connections"
scenario = "long-lived"
answer = "least-connections"
[[questions.options]]
key = "round-robin"
explain = "Blind to open connections."
[[questions.options]]
key = "least-connections"
explain = "Counts them."
"""


@pytest.fixture
def folder(tmp_path) -> Path:
    (tmp_path / "02-algorithms.md").write_text(LESSON)
    (tmp_path / "quiz").mkdir()
    (tmp_path / "quiz" / "02-algorithms.toml").write_text(QUIZ)
    return tmp_path


def bank_with(folder: Path, text: str):
    (folder / "quiz" / "02-algorithms.toml").write_text(text)
    return load_quiz_bank(folder, load_course(folder))


def messages(problems) -> list[str]:
    return [str(p) for p in problems]


# -- quiz ---------------------------------------------------------------------------------------


def test_each_question_kind_loads_and_marks_answers(folder):
    bank, problems = load_quiz_bank(folder, load_course(folder))
    assert problems == []
    assert [q.kind for q in bank.questions] == ["single", "multiple", "number", "algorithm"]
    single, multiple, number, algorithm = bank.questions
    assert single.is_correct("b") and not single.is_correct("a")
    assert multiple.is_correct(["b", "a"]) and not multiple.is_correct(["a"])
    assert number.is_correct(20.4) and number.is_correct("19.5") and not number.is_correct(21)
    assert not number.is_correct("twenty")
    assert (number.unit, number.tolerance) == ("servers", 0.5)
    assert algorithm.is_correct("least-connections") and algorithm.option("round-robin").text == "round-robin"
    assert algorithm.scenario == "long-lived"
    assert bank.for_section(2) == bank.questions
    assert single.line == 3 and algorithm.line == 47


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ('answer = "b"', 'answer = "z"', 8, 'question "q-single": answer "z" is not one of the options (a, b)'),
        ('explain = "No."\n[[questions.options]]\nkey = "b"', 'txt = "No."\n[[questions.options]]\nkey = "b"', 12,
         'unknown key "txt"'),
        ('tolerance = 0.5\n', "", 37, 'question "q-number": a number question needs "tolerance"'),
        ('unit = "servers"\n', "", 37, 'needs "unit"'),
        ('tolerance = 0.5', "tolerance = 1" + "0" * 400, 43, '"tolerance" must be a number of 0 or more (got a number too large'),
        ('answer = 20', "answer = 1" + "0" * 400, 42, '"answer" of a number question must be a finite number (got a number too large'),
        ('key = "round-robin"', 'key = "round-robbin"', 55, 'option "round-robbin" is not an algorithm slug'),
        ('teaches = "algorithms#least-connections"\nanswer = "b"', 'teaches = "algorithms#least-conn"\nanswer = "b"',
         7, 'lesson "algorithms" has no step "least-conn"'),
        ('id = "q-multiple"', 'id = "q-single"', 18, 'question id "q-single" is already used at line 3'),
        ('scenario = "long-lived"', 'scenario = "long-lives"', 52, "unknown scenario 'long-lives'"),
        ('kind = "multiple"', 'kind = "several"', 20, '"kind" must be one of single, multiple, number, algorithm'),
        ('answer = ["a", "b"]', 'answer = "a"', 23, "a multiple question takes a list of keys"),
        ('section = 2', 'section = 12', 1, '"section" must be the chapter section number'),
        ('[[questions.options]]\nkey = "c"', '[[questions.options]]\nkey = "b"', 33, 'option key "b" is used twice'),
        ('prompt = "Pick b."', 'prompt = "Pick b.', 6, "not valid TOML"),
    ],
)  # fmt: skip
def test_quiz_problems_are_reported_at_their_line(folder, old, new, line, words):
    assert old in QUIZ
    bank, problems = bank_with(folder, QUIZ.replace(old, new, 1))
    path = folder / "quiz" / "02-algorithms.toml"
    assert any(f"{path}:{line}:" in m and words in m for m in messages(problems)), messages(problems)


def test_a_question_sets_its_scenario_up_as_it_describes_and_the_run_shown_uses_that_setup(folder):
    from lbtutor.content.drills import watch

    text = QUIZ.replace('scenario = "long-lived"', 'scenario = "long-lived"\nset = { servers = 3 }', 1)
    bank, problems = bank_with(folder, text)
    assert problems == []
    algorithm = bank.questions[-1]
    assert algorithm.scenario_set == {"servers": 3}
    from lbtutor.sim.scenarios import get

    assert watch("long-lived", 1, {"servers": 3}) == watch("long-lived", 1, algorithm.scenario_set)
    assert watch("long-lived", 1, {"servers": 3}) != watch("long-lived", 1)
    assert get("long-lived").param("servers").default != 3


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ("set = { servers = 0 }", "[set] long-lived: servers=0 is not allowed"),
        ("set = { server = 3 }", '[set] long-lived has no parameter "server"'),
        ('set = "servers=3"', '"set" must be a table of scenario parameters'),
        ("set = { servers = [3] }", "[set] servers must be a string, number or boolean (got an array)"),
    ],
)
def test_a_question_setup_its_scenario_cannot_take_is_reported_at_its_line(folder, setting, words):
    text = QUIZ.replace('scenario = "long-lived"', 'scenario = "long-lived"\n' + setting, 1)
    _, problems = bank_with(folder, text)
    path = folder / "quiz" / "02-algorithms.toml"
    assert any(f"{path}:53:" in m and words in m for m in messages(problems)), messages(problems)


def test_a_bad_question_is_left_out_and_the_others_still_load(folder):
    bank, problems = bank_with(folder, QUIZ.replace('answer = "b"', 'answer = "z"', 1))
    assert len(problems) == 1
    assert [q.id for q in bank.questions] == ["q-multiple", "q-number", "q-algorithm"]


def test_question_ids_are_unique_across_files(folder):
    (folder / "quiz" / "03-other.toml").write_text(QUIZ.split("[[questions]]", 2)[0] + "[[questions]]"
                                                  + QUIZ.split("[[questions]]", 2)[1])  # fmt: skip
    _, problems = load_quiz_bank(folder, load_course(folder))
    assert any('question id "q-single" is already used at 02-algorithms.toml:3' in m for m in messages(problems))


def test_a_question_names_the_terms_its_idea_needs_and_its_step_must_say_them(folder):
    lesson = LESSON.replace("Text.", "Send each request to the server with the fewest open connections.")
    (folder / "02-algorithms.md").write_text(lesson)
    text = QUIZ.replace('answer = "b"', 'needs = ["Fewest   open connections", "least"]\nanswer = "b"', 1)
    bank, problems = bank_with(folder, text)
    assert problems == []  # case and runs of white space do not matter
    assert bank.question("q-single").needs == ("Fewest   open connections", "least")


@pytest.mark.parametrize(
    ("needs", "words"),
    [
        ('["slow start"]', 'needs "slow start", but step "algorithms#least-connections" never says it'),
        ('["conn"]', 'needs "conn", but step'),  # a term matches whole words, not the start of one
        ('["the server"]', 'needs "the server", but step'),  # only the prose teaches: not a check's text
        ("[]", '"needs" must be a non-empty list of terms'),
        ('"slow start"', '"needs" must be a non-empty list of terms'),
    ],
)
def test_a_question_whose_step_does_not_teach_what_it_needs_is_reported_at_its_line(folder, needs, words):
    lesson = LESSON.replace("Text.", "Count open connections.\n\n```check\nquestion = \"Which is the server?\"\n"
                            'answer = "a"\n[[options]]\nkey = "a"\ntext = "the server"\nexplain = "Yes."\n'
                            '[[options]]\nkey = "b"\ntext = "B"\nexplain = "No."\n```')  # fmt: skip
    (folder / "02-algorithms.md").write_text(lesson)
    bank, problems = bank_with(folder, QUIZ.replace('answer = "b"', f"needs = {needs}\nanswer = \"b\"", 1))
    path = folder / "quiz" / "02-algorithms.toml"
    assert any(f"{path}:8:" in m and words in m for m in messages(problems)), messages(problems)
    assert "q-single" not in [q.id for q in bank.questions]


def test_every_bundled_question_names_what_it_needs_and_the_step_it_links_teaches_it():
    course = load_course(lessons_dir())
    bank, problems = load_quiz_bank(lessons_dir(), course)
    assert problems == []
    assert [q.id for q in bank.questions if not q.needs] == []
    assert len(bank.questions) >= 130


def test_validate_quiz_file_without_a_course_skips_links(folder):
    text = QUIZ.replace("algorithms#least-connections", "elsewhere#anything")
    (folder / "quiz" / "02-algorithms.toml").write_text(text)
    assert validate_quiz_file(folder / "quiz" / "02-algorithms.toml") == []


# -- interview ----------------------------------------------------------------------------------

INTERVIEW = '''[[prompts]]
id = "scale"
section = 7
prompt = "How would you scale this system?"
model_answer = """
Make it stateless.
"""
[[prompts.points]]
text = "Make the service stateless"
terms = ["stateless", "session store"]
'''


def test_interview_prompts_load_with_their_rubric(tmp_path):
    path = tmp_path / "interview.toml"
    path.write_text(INTERVIEW)
    prompts, problems = load_interview(path)
    assert problems == []
    (prompt,) = prompts
    assert (prompt.id, prompt.section, prompt.model_answer) == ("scale", 7, "Make it stateless.")
    assert prompt.points[0].matched_terms("Keep it STATELESS") == ["stateless"]


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ('section = 7', 'section = "7"', 3, '"section" must be the chapter section number'),
        ('terms = ["stateless", "session store"]', "terms = []", 10, 'rubric point 1 needs "terms"'),
        ('text = "Make', 'txet = "Make', 9, 'unknown key "txet"'),
        ('id = "scale"', 'ids = "scale"', 2, 'unknown key "ids"'),
    ],
)  # fmt: skip
def test_interview_problems_are_reported_at_their_line(tmp_path, old, new, line, words):
    path = tmp_path / "interview.toml"
    path.write_text(INTERVIEW.replace(old, new))
    prompts, problems = load_interview(path)
    assert prompts == []
    assert any(f"{path}:{line}:" in m and words in m for m in messages(problems)), messages(problems)


def test_duplicate_interview_ids_are_reported(tmp_path):
    path = tmp_path / "interview.toml"
    path.write_text(INTERVIEW + "\n" + INTERVIEW)
    _, problems = load_interview(path)
    assert 'prompt "scale": id "scale" is already used at line 1' in messages(problems)[0]


# -- decision tree ------------------------------------------------------------------------------

TREE = """root = "equal"

[[nodes]]
id = "equal"
question = "Equal servers?"
yes = "rr"
no = "wrr"

[[nodes]]
id = "rr"
algorithm = "round-robin"
why = "Alike."
instead = "Nothing to gain."
scenario = "lb-benefits"

[[nodes]]
id = "wrr"
algorithm = "weighted-round-robin"
why = "Unequal."
instead = "Small one saturates."
scenario = "heterogeneous"

[[cases]]
id = "static"
system = "Identical static servers."
leaf = "rr"
"""


def tree_problems(tmp_path, text):
    path = tmp_path / "decision-tree.toml"
    path.write_text(text)
    tree, problems = load_tree(path)
    return tree, messages(problems), path


def test_the_tree_walks_from_the_root_to_leaves(tmp_path):
    tree, problems, _ = tree_problems(tmp_path, TREE)
    assert problems == []
    assert tree.answer("equal", yes=True).algorithm == "round-robin"
    assert tree.answer("equal", yes=False).id == "wrr"
    assert [(n.id, a) for n, a in tree.path_to("wrr")] == [("equal", False)]
    assert [c.leaf for c in tree.cases] == ["rr"]


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ('no = "wrr"', 'no = "wlc"', 7, 'no leads to "wlc", which is not a node'),
        ('no = "wrr"', 'no = "equal"', 3, "the tree loops: equal -> equal"),
        ('algorithm = "round-robin"', 'algorithm = "round-robbin"', 11, 'unknown algorithm "round-robbin"'),
        ('scenario = "heterogeneous"', 'scenario = "hetero"', 21, 'unknown scenario "hetero"'),
        ('leaf = "rr"', 'leaf = "equal"', 26, '"equal" is a question, not a leaf'),
        ('leaf = "rr"', 'leaf = "lc"', 26, 'leaf "lc" is not a node'),
        ('root = "equal"', 'root = "start"', 1, 'root "start" is not a node'),
        ('no = "wrr"', 'no = "rr"', 16, 'node "wrr" cannot be reached from the root'),
        ('why = "Alike."\n', "", 9, 'node "rr": needs "why"'),
        ('id = "wrr"\nalgorithm', 'id = "wrr"\nquestion = "?"\nalgorithm', 16, "either a question"),
    ],
)  # fmt: skip
def test_tree_problems_are_reported_at_their_line(tmp_path, old, new, line, words):
    assert old in TREE
    tree, problems, path = tree_problems(tmp_path, TREE.replace(old, new, 1))
    assert tree is None
    assert any(f"{path}:{line}:" in m and words in m for m in problems), problems


def test_a_longer_cycle_is_named(tmp_path):
    text = TREE.replace('yes = "rr"', 'yes = "again"') + (
        '\n[[nodes]]\nid = "again"\nquestion = "Again?"\nyes = "equal"\nno = "rr"\n'
    )
    _, problems, _ = tree_problems(tmp_path, text)
    assert any("the tree loops: equal -> again -> equal" in m for m in problems), problems


# -- the real content ---------------------------------------------------------------------------


def test_the_bundled_quiz_interview_and_tree_are_valid():
    course = load_course(lessons_dir())
    bank, problems = load_quiz_bank(lessons_dir(), course)
    _, interview_problems = load_interview(interview_file(lessons_dir()))
    tree, tree_problems_ = load_tree(tree_file(lessons_dir()))
    assert messages(problems + interview_problems + tree_problems_) == []
    assert bank.questions and tree is not None


def test_every_leaf_of_the_bundled_tree_names_a_chapter_algorithm_and_every_path_ends_at_one():
    tree, _ = load_tree(tree_file(lessons_dir()))
    assert all(leaf.algorithm in ALGORITHMS for leaf in tree.leaves())

    def walk(node_id, depth=0):
        node = tree.node(node_id)
        assert depth <= len(tree.nodes)
        if node.is_leaf:
            return 1
        return walk(node.yes, depth + 1) + walk(node.no, depth + 1)

    assert walk(tree.root) >= len(tree.leaves())
    assert all(tree.path_to(case.leaf) is not None for case in tree.cases)
