"""The course map: one row per module with its progress and time; broken lesson files as unavailable.

A Line API widget (a fixed header line, then one line per row) rather than a DataTable: the map is
the tutor's first screen, and a DataTable's cells, keys and caches cost more of the start than the
ten lines it draws. It keeps the DataTable calls the app and its tests use (`row_count`,
`cursor_row`, `move_cursor`, `get_row`, `get_row_at`), a DataTable's looks, keys and mouse:
↑ ↓ pgup pgdn home end move the cursor, enter or a click on the highlighted row opens it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, NamedTuple

from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

if TYPE_CHECKING:
    from lbtutor.content.outline import BrokenOutline, CourseOutline, LessonOutline

BAR_CELLS = 5
HEADINGS = ("§", "Module", "Read", "Checks", "Time")
RIGHT_ALIGNED = (True, False, False, False, True)  # the section number and the minutes
CELL_PADDING = 1  # cells of space on each side of every column


class MapRow(NamedTuple):
    """What one row stands for: a lesson that loaded, or a file that did not."""

    key: str
    lesson: LessonOutline | None = None
    broken: BrokenOutline | None = None


class CourseMap(ScrollView, can_focus=True):
    """A table of modules. `show(outline, progress)` fills it; the cursor keeps its row across updates."""

    # Moving the cursor is a system binding: the help lists "↑ ↓ Move between modules" once.
    BINDINGS = [
        Binding("enter", "select_cursor", "Open", tooltip="Open the highlighted module", id="map.open"),
        Binding("up", "cursor_up", "Cursor up", show=False, system=True),
        Binding("down", "cursor_down", "Cursor down", show=False, system=True),
        Binding("pageup", "page_up", "Page up", show=False, system=True),
        Binding("pagedown", "page_down", "Page down", show=False, system=True),
        Binding("home,ctrl+home", "first", "First", show=False, system=True),
        Binding("end,ctrl+end", "last", "Last", show=False, system=True),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {"course-map--header", "course-map--cursor", "course-map--hover"}

    # A DataTable's colours (Textual 8.2.8), so the map looks as it did.
    DEFAULT_CSS = """
    CourseMap {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 1fr;
        & > .course-map--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .course-map--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .course-map--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .course-map--hover {
            background: $block-hover-background;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .course-map--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .course-map--header {
                background-tint: $foreground 5%;
            }
        }
    }
    """

    class RowHighlighted(Message):
        """The cursor moved to `row`."""

        def __init__(self, row: MapRow) -> None:
            super().__init__()
            self.row = row

    class RowSelected(Message):
        """The learner chose `row` (enter, or a click on the highlighted row)."""

        def __init__(self, row: MapRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows_by_key: dict[str, MapRow] = {}
        self._rows: list[MapRow] = []
        self._cells: list[tuple[Content, ...]] = []
        self._widths = [len(heading) for heading in HEADINGS]
        self._cursor = 0
        self._hover: int | None = None

    # ------------------------------------------------------------------- the rows
    def show(self, outline: CourseOutline, progress) -> None:
        rows: list[MapRow] = []
        cells: list[tuple[Content, ...]] = []
        for lesson in outline.lessons:
            done = progress.lesson_progress(lesson.id)
            steps = len(lesson.steps)
            seen = len([i for i in done.steps_seen if i < steps])
            rows.append(MapRow(lesson.id, lesson=lesson))
            cells.append((
                Content(str(lesson.section)),
                Content.styled(lesson.title, "bold") if seen else Content(lesson.title),
                _read_cell(seen, steps),
                Content(f"{done.checks_right}/{lesson.checks} right" if lesson.checks else "—"),
                Content(f"{lesson.minutes} min"),
            ))  # fmt: skip
        for n, broken in enumerate(outline.broken):
            rows.append(MapRow(f"broken:{n}", broken=broken))
            cells.append((
                Content.styled("!", "bold"),
                Content.styled(broken.title, "dim strike"),
                Content.styled("unavailable", "italic"),
                Content(""),
                Content(""),
            ))  # fmt: skip
        self._rows, self._cells = rows, cells
        self.rows_by_key = {row.key: row for row in rows}
        self._widths = [
            max([len(heading)] + [row[column].cell_length for row in cells]) for column, heading in enumerate(HEADINGS)
        ]
        self._cursor = min(self._cursor, max(len(rows) - 1, 0))
        self._hover = None
        width = sum(self._widths) + 2 * CELL_PADDING * len(HEADINGS)
        self.virtual_size = Size(width, len(rows) + 1)
        self.refresh(layout=True)
        self._scroll_to_cursor()

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    def current(self) -> MapRow | None:
        return self._rows[self._cursor] if self._rows else None

    def get_row(self, key: str) -> list[Content]:
        """The cells of the row with this key (KeyError if there is none)."""
        return list(self._cells[self._rows.index(self.rows_by_key[key])])

    def get_row_at(self, index: int) -> list[Content]:
        return list(self._cells[index])

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        """Highlight row `row` (kept within the rows), scrolled into view."""
        if not self._rows:
            return
        row = max(0, min(row, len(self._rows) - 1))
        if row != self._cursor:
            old, self._cursor = self._cursor, row
            self._refresh_row(old)
            self._refresh_row(row)
            self.post_message(self.RowHighlighted(self._rows[row]))
        self._scroll_to_cursor(animate)

    # --------------------------------------------------------------------- keys
    def action_cursor_up(self) -> None:
        self.move_cursor(row=self._cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self._cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self._cursor - self._page())

    def action_page_down(self) -> None:
        self.move_cursor(row=self._cursor + self._page())

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=len(self._rows) - 1)

    def action_select_cursor(self) -> None:
        if self._rows:
            self.post_message(self.RowSelected(self._rows[self._cursor]))

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)  # the rows in view, under the header

    # -------------------------------------------------------------------- mouse
    def _row_at(self, event: events.MouseEvent) -> int | None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:  # outside, or on the header
            return None
        index = self.scroll_offset.y + offset.y - 1
        return index if index < len(self._rows) else None

    def _on_click(self, event: events.Click) -> None:
        index = self._row_at(event)
        if index is None:
            return
        event.stop()
        if index == self._cursor:
            self.action_select_cursor()
        else:
            self.move_cursor(row=index)

    def _on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(self._row_at(event))

    def _on_leave(self, event: events.Leave) -> None:
        self._set_hover(None)

    def _set_hover(self, index: int | None) -> None:
        if index != self._hover:
            old, self._hover = self._hover, index
            self._refresh_row(old)
            self._refresh_row(index)

    # ------------------------------------------------------------------- drawing
    def _refresh_row(self, index: int | None) -> None:
        if index is not None:
            self.refresh_line(index + 1)

    def _scroll_to_cursor(self, animate: bool = False) -> None:
        if self._rows:
            cursor = Region(0, self._cursor + 1, 1, 1)  # a row's line: the header is line 0
            self.scroll_to_region(cursor, spacing=Spacing(top=1), animate=animate, x_axis=False, force=True)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        index = -1 if y == 0 else scroll_y + y - 1  # the header stays at the top
        if index >= len(self._rows):
            return Strip.blank(width, self.rich_style)
        if index < 0:  # headings are left-aligned, as a DataTable's
            style = self.get_visual_style("course-map--header")
            cells: tuple[Content, ...] = tuple(Content(heading) for heading in HEADINGS)
            aligned = (False,) * len(HEADINGS)
        else:
            aligned = RIGHT_ALIGNED
            if index == self._cursor:
                style = self.get_visual_style("course-map--cursor")
            elif index == self._hover:
                style = self.get_visual_style("course-map--hover")
            else:
                style = self.get_visual_style()
            cells = self._cells[index]
        parts = []
        for cell, cell_width, right in zip(cells, self._widths, aligned, strict=True):
            room = cell_width - cell.cell_length
            parts.append(cell.pad(CELL_PADDING + room * right, CELL_PADDING + room * (not right)))
        line = Content.assemble(*parts)
        strip = Strip(line.render_segments(style), line.cell_length)
        return strip.crop_extend(scroll_x, scroll_x + width, style.rich_style)


def _read_cell(seen: int, total: int) -> Content:
    """`▰▰▱▱▱ 3/7`: a bar for the eye and the numbers for certainty."""
    filled = round(BAR_CELLS * seen / total) if total else 0
    if seen and not filled:
        filled = 1
    return Content.assemble(
        ("▰" * filled, "bold"),
        ("▱" * (BAR_CELLS - filled), "dim"),
        f" {seen}/{total}",
        (" ✓", "bold") if total and seen >= total else "",
    )
