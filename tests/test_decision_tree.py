"""The decision tree is the chapter's algorithm-selection flowchart, complete, and walkable."""

import pytest

from lbtutor.content.flowchart import Walk, load_tree
from lbtutor.sim.balancers import ALGORITHMS
from lbtutor.sim.scenarios import names as scenario_names


@pytest.fixture(scope="module")
def tree():
    tree, problems = load_tree()
    assert problems == []
    return tree


def shape(tree, node_id):
    """The tree as nested (question, yes-branch, no-branch) tuples down to algorithm slugs."""
    node = tree.node(node_id)
    if node.is_leaf:
        return node.algorithm
    return (node.question, shape(tree, node.yes), shape(tree, node.no))


def test_the_tree_is_the_chapters_flowchart(tree):
    assert shape(tree, tree.root) == (
        "Is server capacity equal across the pool?",
        ("Does request duration vary?",
            ("Do you need session affinity?",
                "ip-hash",
                ("Is latency critical?", "least-response-time", "least-connections")),
            "round-robin"),
        ("Weighted variant: does request duration vary?",
            "weighted-least-connections",
            "weighted-round-robin"),
    )  # fmt: skip


def test_every_path_ends_at_a_leaf_that_names_a_real_algorithm(tree):
    leaves = []

    def walk(node_id, depth):
        assert depth <= len(tree.nodes), "the tree loops"
        node = tree.node(node_id)
        if node.is_leaf:
            leaves.append(node)
            return
        walk(node.yes, depth + 1)
        walk(node.no, depth + 1)

    walk(tree.root, 0)
    assert len(leaves) == 6 == len(tree.leaves())
    for leaf in leaves:
        assert leaf.algorithm in ALGORITHMS
        assert leaf.why and leaf.instead
        assert leaf.scenario in scenario_names()


def test_every_case_names_a_reachable_leaf(tree):
    assert len(tree.cases) >= 6
    for case in tree.cases:
        assert tree.node(case.leaf).is_leaf
        assert tree.path_to(case.leaf) is not None


def test_a_walk_keeps_a_breadcrumb_and_can_go_back(tree):
    walk = Walk(tree)
    assert walk.node.id == tree.root and walk.visited() == [tree.root]
    walk.answer(True)   # capacity equal
    walk.answer(True)   # duration varies
    walk.answer(False)  # no affinity
    assert walk.node.question == "Is latency critical?"
    assert [(n.id, yes) for n, yes in walk.trail] == [
        ("capacity-equal", True), ("duration-varies", True), ("session-affinity", False)]
    walk.answer(False)
    assert walk.done and walk.node.algorithm == "least-connections"
    walk.answer(True)  # ignored at a leaf
    assert walk.node.algorithm == "least-connections"
    assert walk.back() and walk.node.id == "latency-critical"
    walk.restart()
    assert not walk.back()


def test_quiz_on_the_tree_finds_the_first_wrong_turn(tree):
    walk = Walk(tree)
    for yes in (True, False):  # equal capacity, duration does not vary -> round robin
        walk.answer(yes)
    assert walk.first_wrong_turn("round-robin") is None
    node, answered = walk.first_wrong_turn("least-connections")
    assert (node.id, answered) == ("duration-varies", False)
    wrong_capacity = Walk(tree, [False, True])
    node, answered = wrong_capacity.first_wrong_turn("ip-hash")
    assert (node.id, answered) == ("capacity-equal", False)
