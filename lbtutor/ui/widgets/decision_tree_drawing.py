"""The whole decision tree drawn as text, with the path walked so far marked.

Markers carry the meaning (colour only repeats it): ▶ the current question or leaf, ● a question
already answered on the way, ◇ the right path once a "quiz me" walk is over. The answer taken at
each question is drawn in bold.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

from lbtutor.content.drills import algorithm_name

if TYPE_CHECKING:
    from lbtutor.content.flowchart import DecisionTree, Node

CURRENT, VISITED, EXPECTED, NONE = "▶ ", "● ", "◇ ", "  "


class DecisionTreeDrawing(Static):
    DEFAULT_CSS = """
    DecisionTreeDrawing {
        height: auto;
        width: 1fr;
    }
    """

    def __init__(self, tree: DecisionTree, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.flowchart = tree
        self.visited: list[str] = [tree.root]  # the path so far, current node last
        self.expected: list[str] = []  # the right path (shown after a quiz walk)

    def show(self, visited: list[str], expected: list[str] | None = None) -> None:
        self.visited = list(visited)
        self.expected = list(expected or [])
        self._draw()

    def on_mount(self) -> None:
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        self.update(render_tree(self.flowchart, self.visited, self.expected, self.size.width or 60))


def render_tree(tree: DecisionTree, visited: list[str], expected: list[str], width: int) -> Content:
    """The tree as lines of text, labels wrapped to `width`, the path marked."""
    current = visited[-1] if visited else tree.root
    on_path = set(visited)
    right = set(expected)
    lines: list[Content] = []

    def taken(parent: Node, answer: bool) -> bool:
        """Whether the walk went from `parent` along this edge."""
        target = parent.yes if answer else parent.no
        return parent.id in on_path and target in on_path and parent.id != current

    def label(node: Node) -> str:
        return f"◆ {algorithm_name(node.algorithm)}" if node.is_leaf else node.question

    def marker(node: Node) -> str:
        if node.id == current:
            return CURRENT
        if node.id in on_path:
            return VISITED
        if node.id in right:
            return EXPECTED
        return NONE

    def style(node: Node) -> str:
        if node.id == current:
            return "bold reverse"
        if node.id in on_path:
            return "bold $accent"
        if node.id in right:
            return "italic $success"
        return ""

    def emit(node: Node, guide: str, edge: str, edge_bold: bool, continuation: str) -> None:
        room = max(10, width - len(NONE) - len(guide) - len(edge))
        chunks = textwrap.wrap(label(node), room) or [""]
        for n, chunk in enumerate(chunks):
            lead = marker(node) if n == 0 else NONE
            head = edge if n == 0 else continuation + " " * (len(edge) - len(continuation))
            lines.append(Content.assemble(lead, guide, (head, "bold" if edge_bold and n == 0 else ""),
                                          (chunk, style(node))))  # fmt: skip

    def walk(node: Node, guide: str) -> None:
        if node.is_leaf:
            return
        for answer, last in ((True, False), (False, True)):
            child = tree.node(node.yes if answer else node.no)
            branch = "└─ " if last else "├─ "
            edge = f"{branch}{'yes' if answer else 'no'}: "
            below = "   " if last else "│  "
            continuation = below + ("│  " if not child.is_leaf else "   ")
            emit(child, guide, edge, taken(node, answer), continuation)
            walk(child, guide + below)

    emit(tree.node(tree.root), "", "", False, "")
    walk(tree.node(tree.root), "")
    return Content("\n").join(lines)
