"""The course map: one row per module with its progress and time; broken lesson files as unavailable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

if TYPE_CHECKING:
    from lbtutor.content.lessons import BrokenLesson, Course, Lesson

BAR_CELLS = 5


@dataclass(frozen=True)
class MapRow:
    """What one row stands for: a lesson that loaded, or a file that did not."""

    key: str
    lesson: Lesson | None = None
    broken: BrokenLesson | None = None


class CourseMap(DataTable):
    """A table of modules. `show(course, progress)` fills it; rows keep their cursor across updates."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Open", tooltip="Open the highlighted module", id="map.open"),
    ]

    DEFAULT_CSS = """
    CourseMap {
        height: auto;
        max-height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False, cell_padding=1)
        self.rows_by_key: dict[str, MapRow] = {}

    def on_mount(self) -> None:
        self.add_column("§", key="section")
        self.add_column("Module", key="module")
        self.add_column("Read", key="read")
        self.add_column("Checks", key="checks")
        self.add_column("Time", key="time")

    def show(self, course: Course, progress) -> None:
        keep = self.cursor_row
        self.clear()
        self.rows_by_key = {}
        for lesson in course.lessons:
            done = progress.lesson_progress(lesson.id)
            seen = len([i for i in done.steps_seen if i < len(lesson.steps)])
            checks = len(lesson.checks)
            self._add(
                MapRow(lesson.id, lesson=lesson),
                Text(str(lesson.section), justify="right"),
                Text(lesson.title, style="bold" if seen else ""),
                _read_cell(seen, len(lesson.steps)),
                Text(f"{done.checks_right}/{checks} right" if checks else "—"),
                Text(f"{lesson.minutes} min", justify="right"),
            )
        for n, broken in enumerate(course.broken):
            self._add(
                MapRow(f"broken:{n}", broken=broken),
                Text("!", justify="right", style="bold"),
                Text(broken.title, style="dim strike"),
                Text("unavailable", style="italic"),
                Text(""),
                Text(""),
            )
        if self.row_count:
            self.move_cursor(row=min(max(keep, 0), self.row_count - 1), animate=False)

    def _add(self, row: MapRow, *cells: Text) -> None:
        self.rows_by_key[row.key] = row
        self.add_row(*cells, key=row.key)

    def current(self) -> MapRow | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self.rows_by_key.get(key or "")

    def select_lesson(self, lesson_id: str) -> None:
        if lesson_id in self.rows_by_key:
            self.move_cursor(row=self.get_row_index(lesson_id), animate=False)


def _read_cell(seen: int, total: int) -> Text:
    """`▰▰▱▱▱ 3/7`: a bar for the eye and the numbers for certainty."""
    filled = round(BAR_CELLS * seen / total) if total else 0
    if seen and not filled:
        filled = 1
    text = Text()
    text.append("▰" * filled, style="bold")
    text.append("▱" * (BAR_CELLS - filled), style="dim")
    text.append(f" {seen}/{total}")
    if total and seen >= total:
        text.append(" ✓", style="bold")
    return text
