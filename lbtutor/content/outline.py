"""What the course map shows of a course: each lesson's number, title, time, step titles and
number of checks, and each lesson file that failed to load, with its problems.

The tutor keeps it beside the validated course (course_cache.py) and reads it before its first
frame: the map is drawn from these few tuples, and the course itself (every step's text, labs,
checks and claims) is read after that frame, or at once when something asks for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from lbtutor.content.course import Course
    from lbtutor.content.problems import Problem


class LessonOutline(NamedTuple):
    id: str
    section: int
    title: str
    minutes: int
    steps: tuple[str, ...]  # the step titles, in order
    checks: int  # the checks in all its steps


class BrokenOutline(NamedTuple):
    """A lesson file that failed to load: its guessed title and its problems, as one line each."""

    title: str
    problems: tuple[str, ...]


class CourseOutline(NamedTuple):
    lessons: tuple[LessonOutline, ...]  # sorted by section, as Course.lessons
    broken: tuple[BrokenOutline, ...]


def outline_of(course: Course) -> CourseOutline:
    lessons = tuple(
        LessonOutline(lesson.id, lesson.section, lesson.title, lesson.minutes,
                      tuple(step.title for step in lesson.steps), len(lesson.checks))
        for lesson in course.lessons
    )  # fmt: skip
    broken = tuple(BrokenOutline(b.title, tuple(problem_text(p) for p in b.problems)) for b in course.broken)
    return CourseOutline(lessons, broken)


def problem_text(problem: Problem) -> str:
    """`file.md:12: message`, with the file's name only (the folder is the same for all)."""
    name = Path(problem.path).name
    return f"{name}:{problem.line}: {problem.message}" if problem.line > 0 else f"{name}: {problem.message}"
