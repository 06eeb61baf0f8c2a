"""Lesson text: Textual's Markdown, with fences that have no language shown as plain text, and
tables whose columns share the width.

Lessons draw diagrams in bare ``` fences. Left alone, the Markdown widget asks Pygments to guess
their language, which costs tens of milliseconds per fence and colours box drawings as if they
were code.

Textual 8.2.8 fits a table that is too wide by squeezing its columns from the left, each down to
its longest word before the next gives anything, so "Weighted least connections" stood one word
per line beside a last column with room to spare. Here every column keeps up to an equal share
of the width, and columns that need less give the rest to those that need more.
"""

from __future__ import annotations

from textual.content import Content
from textual.css.scalar import Scalar
from textual.geometry import Size
from textual.layout import ArrangeResult, Layout
from textual.layouts.grid import GridLayout
from textual.widget import Widget
from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownFence, MarkdownTable, MarkdownTableContent

CELL_PADDING = 2  # a table cell's padding: one column each side
COLUMN_GUTTER = 1  # between two columns (where the rule is drawn)


def balanced_widths(natural: list[int], minimum: list[int], space: int) -> list[int] | None:
    """Column widths that share `space`: each column gets its natural width or an equal share of
    what is left, whichever is less, and never less than its minimum (its longest word). None
    when the columns fit as they are, or cannot fit even at their minimums (nothing to balance)."""
    if not natural or sum(natural) <= space or sum(minimum) >= space:
        return None
    level = max(natural)
    while level > 0 and sum(min(n, max(m, level)) for n, m in zip(natural, minimum, strict=True)) > space:
        level -= 1
    widths = [min(n, max(m, level)) for n, m in zip(natural, minimum, strict=True)]
    for index in sorted(range(len(widths)), key=lambda i: natural[i] - widths[i], reverse=True):
        if sum(widths) >= space:
            break
        if widths[index] < natural[index]:
            widths[index] += 1
    return widths


class PlainFence(MarkdownFence):
    # Textual's fence has a fixed light-grey text colour, unreadable on the light theme.
    DEFAULT_CSS = """
    PlainFence {
        color: $foreground;
        background: $boost;
        &:light {
            background: $boost;
        }
        & > Label {
            padding: 0 1;
        }
    }
    """

    @classmethod
    def highlight(cls, code: str, language: str, ansi: bool = False, dark: bool = False) -> Content:
        return super().highlight(code, language or "text", ansi=ansi, dark=dark)


class BalancedGridLayout(GridLayout):
    """The grid layout, with the table's column widths worked out for the width it arranges in."""

    def arrange(self, parent: Widget, children: list[Widget], size: Size, greedy: bool = True) -> ArrangeResult:
        if isinstance(parent, BalancedTableContent):
            keyline = parent.styles.keyline[0] != "none"  # the grid draws it round the outside too
            widths = parent.column_widths(size.width - (2 if keyline else 0))
            # set_rule, not the styles property: the property would ask for another layout
            parent.styles.set_rule("grid_columns", tuple(Scalar.from_number(w) for w in widths) if widths else None)
        return super().arrange(parent, children, size, greedy)


class BalancedTableContent(MarkdownTableContent):
    def __init__(self, headers: list[Content], rows: list[list[Content]]) -> None:
        super().__init__(headers, rows)
        self._grid = BalancedGridLayout()
        columns = len(headers)
        self._natural = [CELL_PADDING] * columns
        self._minimum = [CELL_PADDING] * columns
        for row in [headers, *rows]:
            for index, cell in enumerate(row[:columns]):
                self._natural[index] = max(self._natural[index], cell.cell_length + CELL_PADDING)
                longest = max((len(word) for word in cell.plain.split()), default=0)
                self._minimum[index] = max(self._minimum[index], longest + CELL_PADDING)

    @property
    def layout(self) -> Layout:
        return self._grid

    def column_widths(self, width: int) -> list[int] | None:
        space = width - COLUMN_GUTTER * (len(self._natural) - 1)
        return balanced_widths(self._natural, self._minimum, space)


class BalancedTable(MarkdownTable):
    def compose(self):
        headers, rows = self._get_headers_and_rows()
        self._headers = headers
        self._rows = rows
        yield BalancedTableContent(headers, rows)


class LessonMarkdown(Markdown):
    BLOCKS = {**Markdown.BLOCKS, "fence": PlainFence, "code_block": PlainFence, "table_open": BalancedTable}
