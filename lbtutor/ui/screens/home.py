"""Home: the course map with progress, and "continue" back to the exact step last seen.

It is drawn from the course's outline (lbtutor/content/outline.py), so the tutor's first frame
needs no more than that; opening a step asks the app for the course itself.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Static

from lbtutor.ui.widgets.course_map import CourseMap, MapRow
from lbtutor.ui.widgets.fitting_footer import FittingFooter
from lbtutor.ui.widgets.tutor_header import TutorHeader


class HomeScreen(Screen[None]):
    BINDINGS = [
        Binding("c", "continue", "Continue", tooltip="Reopen the step you read last", id="home.continue"),
        Binding("l", "app.open_lab", "Lab", tooltip="Open the lab sandbox", id="home.lab"),
        Binding("p", "practice", "Practice", tooltip="Review the quiz questions and prompts due today",
                id="home.practice"),
        Binding("d", "tree", "Decision tree", tooltip="Walk the algorithm-selection flowchart", id="home.tree",
                show=False),
        Binding("q", "app.quit", "Quit", tooltip="Leave lbtutor (your progress is saved)", id="home.quit"),
    ]

    _behind = False  # another screen is, or was, in front: redraw the map when the learner is back

    def compose(self) -> ComposeResult:
        yield TutorHeader()
        with Vertical(id="home"):
            yield Static("Loading lessons…", id="home-intro")
            yield Button("", id="continue", compact=True, disabled=True)
            yield Static("", id="home-practice")
            yield CourseMap(id="course-map")
            yield Static("", id="broken-notes")
            yield Static("", id="module-details")
        yield FittingFooter()

    def on_mount(self) -> None:
        self.query_one(CourseMap).focus()
        if self.app.outline is not None:  # type: ignore[attr-defined]
            self.refresh_course()

    def on_screen_suspend(self) -> None:
        self._behind = True

    def on_screen_resume(self) -> None:
        if self._behind and self.app.outline is not None:  # type: ignore[attr-defined]
            self.refresh_progress()
        self._behind = False

    # ------------------------------------------------------------------- drawing
    def refresh_course(self) -> None:
        app = self.app
        intro = self.query_one("#home-intro", Static)
        if app.course_error:  # type: ignore[attr-defined]
            intro.update(Content(app.course_error))  # type: ignore[attr-defined]
            self.query_one(CourseMap).display = False
            return
        course = app.outline  # type: ignore[attr-defined]
        count = len(course.lessons)
        if not course.lessons and not course.broken:
            folder = app.lessons_dir or "the bundled lesson folder"  # type: ignore[attr-defined]
            intro.update(Content(f"No lessons found in {folder}. Lesson files are named like 01-fundamentals.md."))
            self.refresh_progress()
            return
        minutes = sum(lesson.minutes for lesson in course.lessons)
        intro.update(
            Content.assemble(
                ("Load Balancing & Scaling", "bold"),
                f" · {count} module{'s' if count != 1 else ''}, about {_hours(minutes)}. "
                "Each step is one idea; watch it happen in a live lab, then check yourself.",
            )
        )
        self.refresh_progress()

    def refresh_progress(self) -> None:
        app = self.app
        if app.outline is None or app.progress is None:  # type: ignore[attr-defined]
            return
        course_map = self.query_one(CourseMap)
        course_map.show(app.outline, app.progress)  # type: ignore[attr-defined]
        course_map.display = course_map.row_count > 0
        self._show_broken(app.outline)  # type: ignore[attr-defined]
        self._update_continue()
        self._show_practice()
        self._show_details(course_map.current())

    def _continue_target(self) -> tuple[str, int] | None:
        app = self.app
        course = app.outline  # type: ignore[attr-defined]
        if course is None or not course.lessons:
            return None
        position = app.progress.last_position() if app.progress else None  # type: ignore[attr-defined]
        if position:
            lesson_id, index = position
            for lesson in course.lessons:
                if lesson.id == lesson_id and 0 <= index < len(lesson.steps):
                    return lesson_id, index
        return course.lessons[0].id, 0

    def _update_continue(self) -> None:
        button = self.query_one("#continue", Button)
        target = self._continue_target()
        button.display = target is not None
        if target is None:
            return
        lesson_id, index = target
        lesson = next(lesson for lesson in self.app.outline.lessons if lesson.id == lesson_id)  # type: ignore[attr-defined]
        started = self.app.progress.last_position() is not None  # type: ignore[attr-defined]
        verb = "Continue" if started else "Start"
        button.label = Content(f"▶ {verb} (c): {lesson.title} › {lesson.steps[index]} ({index + 1}/{len(lesson.steps)})")
        button.disabled = False
        button.refresh(layout=True)  # Button.label repaints only: width auto kept the old label's width

    def _show_practice(self) -> None:
        """How many review items are due today and the streak, with the keys that act on them."""
        from lbtutor.content import srs

        progress = self.app.progress  # type: ignore[attr-defined]
        due = srs.due_count(progress)
        days = srs.streak(progress)
        due_text = f"{due} item{'s' if due != 1 else ''} due today" if due else "nothing due today"
        streak_text = f", {days}-day streak" if days else ""
        self.query_one("#home-practice", Static).update(
            Content.assemble(
                ("p", "bold"), f" Practice ({due_text}{streak_text})  ",
                ("l", "bold"), " Lab  ",
                ("d", "bold"), " Decision tree  ",
                ("ctrl+p", "bold"), " all else",
            )
        )

    def action_practice(self) -> None:
        from lbtutor.ui.practice_commands import open_practice

        open_practice(self.app)

    def action_tree(self) -> None:
        from lbtutor.ui.practice_commands import open_tree

        open_tree(self.app)

    def _show_broken(self, course) -> None:
        """One line per lesson file that failed to load, with its first problem, always in view."""
        notes = self.query_one("#broken-notes", Static)
        lines = []
        for broken in course.broken:
            more = f" (and {len(broken.problems) - 1} more)" if len(broken.problems) > 1 else ""
            first = broken.problems[0] if broken.problems else "could not be loaded"
            lines.append(Content.assemble(("! ", "bold"), (f"{broken.title} is unavailable: ", "bold"), first + more))
        notes.update(Content("\n").join(lines))
        notes.display = bool(lines)

    def _show_details(self, row: MapRow | None) -> None:
        details = self.query_one("#module-details", Static)
        if row is None:
            details.update("")
        elif row.broken is not None:
            problems = row.broken.problems
            details.update(
                Content.assemble(
                    (f"{row.broken.title} is unavailable", "bold"),
                    ": its lesson file has problems, so the other modules work without it.\n",
                    "\n".join(problems[:8]),
                    f"\n… and {len(problems) - 8} more (run `lbtutor check` to see all)" if len(problems) > 8 else "",
                )
            )
        else:
            lesson = row.lesson
            seen = self.app.progress.lesson_progress(lesson.id).steps_seen  # type: ignore[attr-defined]
            parts: list = [(f"{lesson.section}. {lesson.title}", "bold"), f" · {len(lesson.steps)} steps:  "]
            for index, title in enumerate(lesson.steps):
                mark = "✓ " if index in seen else "○ "
                parts.append((mark, "bold" if index in seen else "dim"))
                parts.append(title)
                if index < len(lesson.steps) - 1:
                    parts.append("  ")
            details.update(Content.assemble(*parts))

    # ------------------------------------------------------------------- actions
    def on_course_map_row_highlighted(self, event: CourseMap.RowHighlighted) -> None:
        self._show_details(self.query_one(CourseMap).current())

    def on_course_map_row_selected(self, event: CourseMap.RowSelected) -> None:
        event.stop()
        self.action_open()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "continue":
            event.stop()
            self.action_continue()

    def action_continue(self) -> None:
        target = self._continue_target()
        if target:
            self.app.open_step(*target)  # type: ignore[attr-defined]

    def action_open(self) -> None:
        row = self.query_one(CourseMap).current()
        if row is None:
            return
        if row.broken is not None:
            self.notify(
                f"{row.broken.title} cannot be opened: its lesson file has problems (listed below the map).",
                severity="warning",
                markup=False,
            )
            return
        self.app.open_step(row.lesson.id, self._resume_index(row.lesson))  # type: ignore[attr-defined]

    def _resume_index(self, lesson) -> int:
        """Where a module reopens: the step last seen in it, else its first unread step."""
        progress = self.app.progress  # type: ignore[attr-defined]
        position = progress.last_position()
        if position and position[0] == lesson.id and position[1] < len(lesson.steps):
            return position[1]
        seen = progress.lesson_progress(lesson.id).steps_seen
        unread = [index for index in range(len(lesson.steps)) if index not in seen]
        if seen and unread:
            return unread[0]
        return 0


def _hours(minutes: int) -> str:
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes / 60:.1f} hours".replace(".0 ", " ")
