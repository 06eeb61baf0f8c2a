"""The algorithm-selection flowchart (`lessons/decision-tree.toml`): yes/no questions down to leaves
that each name an algorithm, say why it fits, and point at the scenario that shows it.

Validation proves the walk always ends: every target exists, nothing loops, every node is
reachable from the root, every leaf names a real algorithm, and every quiz case names a leaf.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lbtutor.content.problems import (
    Problem,
    array_of_tables,
    closest,
    load_toml_file,
    nonempty_str,
    require_str,
    type_name,
    unknown_keys,
)

FILE_KEYS = ("root", "nodes", "cases")
QUESTION_KEYS = ("id", "question", "yes", "no")
LEAF_KEYS = ("id", "algorithm", "why", "instead", "scenario", "caveat", "caveat_scenario")
CASE_KEYS = ("id", "system", "leaf")


@dataclass(frozen=True)
class Node:
    id: str
    line: int
    question: str = ""  # question nodes: the question, and where yes / no lead
    yes: str = ""
    no: str = ""
    algorithm: str = ""  # leaves: the algorithm, why it fits, what goes wrong otherwise
    why: str = ""
    instead: str = ""
    scenario: str = ""
    caveat: str = ""  # leaves, optional: where the advice stops holding
    caveat_scenario: str = ""  # ... and the scenario that shows it

    @property
    def is_leaf(self) -> bool:
        return bool(self.algorithm)


@dataclass(frozen=True)
class Case:
    """"Quiz me on the tree": a described system and the leaf the walk should reach."""

    id: str
    system: str
    leaf: str
    line: int


@dataclass
class DecisionTree:
    root: str
    nodes: dict[str, Node]
    cases: list[Case] = field(default_factory=list)
    path: Path = Path()

    def node(self, id: str) -> Node:
        return self.nodes[id]

    def answer(self, node_id: str, yes: bool) -> Node:
        """Where answering yes/no at question `node_id` leads."""
        node = self.nodes[node_id]
        return self.nodes[node.yes if yes else node.no]

    def leaves(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.is_leaf]

    def path_to(self, target: str) -> list[tuple[Node, bool]] | None:
        """The (question, answer) pairs that lead from the root to `target`, or None."""

        def walk(node_id: str, trail: list[tuple[Node, bool]]):
            if node_id == target:
                return trail
            node = self.nodes.get(node_id)
            if node is None or node.is_leaf or len(trail) > len(self.nodes):
                return None
            for answer, nxt in ((True, node.yes), (False, node.no)):
                found = walk(nxt, [*trail, (node, answer)])
                if found is not None:
                    return found
            return None

        return walk(self.root, [])


@dataclass
class Walk:
    """One walk down the tree: the answers given so far, one per question passed."""

    tree: DecisionTree
    answers: list[bool] = field(default_factory=list)

    @property
    def trail(self) -> list[tuple[Node, bool]]:
        """The (question, answer) pairs so far: the breadcrumb."""
        trail = []
        node = self.tree.node(self.tree.root)
        for yes in self.answers:
            trail.append((node, yes))
            node = self.tree.answer(node.id, yes)
        return trail

    @property
    def node(self) -> Node:
        """The question being asked now, or the leaf reached."""
        node = self.tree.node(self.tree.root)
        for yes in self.answers:
            node = self.tree.answer(node.id, yes)
        return node

    @property
    def done(self) -> bool:
        return self.node.is_leaf

    def answer(self, yes: bool) -> Node:
        """Answer the current question (ignored at a leaf); returns where it leads."""
        if not self.done:
            self.answers.append(yes)
        return self.node

    def back(self) -> bool:
        """Take back the last answer. False at the root."""
        if not self.answers:
            return False
        self.answers.pop()
        return True

    def restart(self) -> None:
        self.answers.clear()

    def visited(self) -> list[str]:
        """Ids of every node on the path so far, the current one last."""
        return [node.id for node, _ in self.trail] + [self.node.id]

    def first_wrong_turn(self, leaf: str) -> tuple[Node, bool] | None:
        """Where this walk left the path to `leaf`: (the question, the learner's answer), or None
        if every answer so far is on that path."""
        right = self.tree.path_to(leaf) or []
        for n, (node, yes) in enumerate(self.trail):
            if n >= len(right) or right[n] != (node, yes):
                return node, yes
        return None


def tree_file(directory: Path | str) -> Path:
    return Path(directory) / "decision-tree.toml"


def load_tree(path: Path | str | None = None) -> tuple[DecisionTree | None, list[Problem]]:
    """The tree, or None with the problems when it is not a complete, walkable tree."""
    if path is None:
        from lbtutor.paths import lessons_dir

        path = tree_file(lessons_dir())
    path = Path(path)
    data, where, problems = load_toml_file(path)
    if data is None:
        return None, problems

    def problem(message: str, *key) -> None:
        problems.append(Problem(path, where.line(*key), message))

    unknown_keys(data, FILE_KEYS, problem)
    nodes, table_index = _nodes(data, where, path, problems)
    root = require_str(data, "root", problem)
    if root is not None and root not in nodes:
        problem(f'root "{root}" is not a node{closest(root, nodes)}', "root")
        root = None
    if root is not None:
        _check_walk(root, nodes, path, problems, where, table_index)
    cases = _cases(data, nodes, where, path, problems)
    problems.sort(key=lambda p: p.line)
    if problems or root is None:
        return None, problems
    return DecisionTree(root, nodes, cases, path), []


def validate_tree_file(path: Path | str) -> list[Problem]:
    return load_tree(path)[1]


def _nodes(data, where, path, problems) -> tuple[dict[str, Node], dict[str, int]]:
    """The nodes by id, and each id's position among the [[nodes]] tables (to find key lines)."""
    from lbtutor.sim.balancers import ALGORITHMS
    from lbtutor.sim.scenarios import names as scenario_names

    def file_problem(message: str, *key) -> None:
        problems.append(Problem(path, where.line(*key), message))

    if "nodes" not in data:
        file_problem("the tree has no [[nodes]]")
    nodes: dict[str, Node] = {}
    table_index: dict[str, int] = {}
    for n, table in enumerate(array_of_tables(data, "nodes", file_problem)):
        nid = table.get("id")
        label = f'node "{nid}"' if nonempty_str(nid) else f"node {n + 1}"
        line = where.line("nodes", n)

        def problem(message: str, *key, n=n, label=label) -> None:
            problems.append(Problem(path, where.line("nodes", n, *key), f"{label}: {message}"))

        if require_str(table, "id", problem) is None:
            continue
        if nid in nodes:
            problem(f'id "{nid}" is already used at line {nodes[nid].line}', "id")
            continue
        table_index[nid] = n
        is_question, is_leaf = "question" in table, "algorithm" in table
        if is_question == is_leaf:
            problem('a node is either a question (question, yes, no) or a leaf (algorithm, why, instead, scenario)')
            nodes[nid] = Node(nid, line)
            continue
        if is_question:
            unknown_keys(table, QUESTION_KEYS, problem)
            values = {k: require_str(table, k, problem) or "" for k in ("question", "yes", "no")}
            nodes[nid] = Node(nid, line, **values)
            continue
        unknown_keys(table, LEAF_KEYS, problem)
        values = {k: require_str(table, k, problem) or "" for k in ("algorithm", "why", "instead", "scenario")}
        algorithm = table.get("algorithm")
        if isinstance(algorithm, str) and algorithm not in ALGORITHMS:
            problem(f'unknown algorithm "{algorithm}"{closest(algorithm, ALGORITHMS)}; '
                    f"choose from {', '.join(ALGORITHMS)}", "algorithm")  # fmt: skip
        for key in ("scenario", "caveat_scenario"):
            scenario = table.get(key)
            if isinstance(scenario, str) and scenario not in scenario_names():
                problem(f'unknown scenario "{scenario}"{closest(scenario, scenario_names())}; '
                        "see lbtutor sim --list-scenarios", key)  # fmt: skip
        for key in ("caveat", "caveat_scenario"):
            if key in table and not nonempty_str(table[key]):
                problem(f'"{key}" must be a non-empty string (got {type_name(table[key])})', key)
                values[key] = ""
            else:
                values[key] = table.get(key, "")
        if values["caveat_scenario"] and not values["caveat"]:
            problem('"caveat_scenario" needs a "caveat": the text that says what the scenario shows',
                    "caveat_scenario")
        nodes[nid] = Node(nid, line, **{**values, "algorithm": values["algorithm"] or "?"})
    return nodes, table_index


def _check_walk(root: str, nodes: dict[str, Node], path: Path, problems: list[Problem], where,
                where_index: dict[str, int]) -> None:  # fmt: skip
    """Targets exist, no cycles, every node reachable: then every walk ends at a leaf."""
    for node in nodes.values():
        for answer in ("yes", "no"):
            target = getattr(node, answer)
            if not node.is_leaf and target and target not in nodes:
                line = where.line("nodes", where_index[node.id], answer)
                problems.append(Problem(path, line,
                                        f'node "{node.id}": {answer} leads to "{target}", which is not a node'
                                        f"{closest(target, nodes)}"))  # fmt: skip
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    reported: set[frozenset[str]] = set()

    def visit(node_id: str, trail: list[str]) -> None:
        node = nodes.get(node_id)
        if node is None or state.get(node_id) == 2:
            return
        if state.get(node_id) == 1:
            loop = trail[trail.index(node_id):] + [node_id]
            if frozenset(loop) not in reported:
                reported.add(frozenset(loop))
                problems.append(Problem(path, node.line, f"the tree loops: {' -> '.join(loop)}"))
            return
        state[node_id] = 1
        if not node.is_leaf:
            for target in (node.yes, node.no):
                visit(target, [*trail, node_id])
        state[node_id] = 2

    visit(root, [])
    for node in nodes.values():
        if node.id not in state:
            problems.append(Problem(path, node.line, f'node "{node.id}" cannot be reached from the root "{root}"'))


def _cases(data, nodes, where, path, problems) -> list[Case]:
    def file_problem(message: str, *key) -> None:
        problems.append(Problem(path, where.line(*key), message))

    cases: list[Case] = []
    seen: dict[str, int] = {}
    for n, table in enumerate(array_of_tables(data, "cases", file_problem)):
        cid = table.get("id")
        label = f'case "{cid}"' if nonempty_str(cid) else f"case {n + 1}"
        line = where.line("cases", n)

        def problem(message: str, *key, n=n, label=label) -> None:
            problems.append(Problem(path, where.line("cases", n, *key), f"{label}: {message}"))

        unknown_keys(table, CASE_KEYS, problem)
        ok = all(require_str(table, k, problem) is not None for k in CASE_KEYS)
        leaf = table.get("leaf")
        if isinstance(leaf, str) and leaf:
            if leaf not in nodes:
                problem(f'leaf "{leaf}" is not a node{closest(leaf, nodes)}', "leaf")
                ok = False
            elif not nodes[leaf].is_leaf:
                problem(f'"{leaf}" is a question, not a leaf', "leaf")
                ok = False
        if nonempty_str(cid):
            if cid in seen:
                problem(f'id "{cid}" is already used at line {seen[cid]}', "id")
                ok = False
            seen.setdefault(cid, line)
        if ok:
            cases.append(Case(cid, table["system"], leaf, line))
    return cases
