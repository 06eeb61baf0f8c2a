"""The loaded course, kept between starts: validate once, reuse while nothing it depends on changed.

Loading the lessons validates every lab in them, and a scenario lab is built to check how its
[set] values combine: about a quarter of a second, most of the tutor's start. The result depends
only on the lesson files and on lbtutor's own code, so it is kept in the learner's data folder,
one file per lesson folder, under a stamp of all it depends on: every lesson file's name, size,
time and CRC-32; the size and time of every source file of lbtutor.content and lbtutor.sim; the
lbtutor and Python versions. A start whose stamp matches reads the course back; any edit to a
lesson, or to the code that judges it, changes the stamp and the course loads afresh.

The file holds three pickles in a row: the stamp, the course's outline (outline.py: all that the
course map shows) and the course. The tutor reads the first two before its first frame, a few
kilobytes of tuples, and the course itself after it. A file that cannot be read or written is
ignored: the course then loads as it always did. `lbtutor check` never uses it.
"""

from __future__ import annotations

import os
import pickle
import sys
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from lbtutor import __version__

if TYPE_CHECKING:
    from lbtutor.content.course import Course
    from lbtutor.content.outline import CourseOutline

CACHE_FOLDER = "cache"
KEEP = 4  # lesson folders whose course is kept; the least recently written go first
_PACKAGE = Path(__file__).resolve().parent.parent


def course_stamp(directory: Path) -> str:
    """What the loaded course of `directory` depends on, as text (equal text: the same course)."""
    lines = [f"lbtutor {__version__}", f"python {sys.version}", f"lessons {directory.resolve()}"]
    skip = len(str(_PACKAGE)) + 1
    for folder in ("content", "sim"):
        for root, dirs, files in os.walk(_PACKAGE / folder):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(".py"):
                    path = os.path.join(root, name)
                    stat = os.stat(path)
                    lines.append(f"{path[skip:]} {stat.st_size} {stat.st_mtime_ns}")
    for path in sorted(directory.glob("[0-9]*.md")):
        data = path.read_bytes()
        lines.append(f"{path.name} {len(data)} {path.stat().st_mtime_ns} {zlib.crc32(data):08x}")
    return "\n".join(lines)


def _where(directory: Path | str | None, data_dir: Path | str | None) -> tuple[Path, Path | None]:
    """The lesson folder, and the file its course would be kept in (None: no cache)."""
    if directory is None:
        from lbtutor.paths import lessons_dir

        directory = lessons_dir()
    directory = Path(directory)
    if data_dir is None or not directory.is_dir():
        return directory, None
    name = f"course-{zlib.crc32(str(directory.resolve()).encode()):08x}.pickle"
    return directory, Path(data_dir) / CACHE_FOLDER / name


class KeptCourse:
    """A kept course whose stamp matched: its outline, read; the course, read on `course()`."""

    def __init__(self, path: Path, stamp: str, outline: CourseOutline) -> None:
        self.path = path
        self.stamp = stamp
        self.outline = outline

    def course(self) -> Course | None:
        """The course kept with the outline; None if the file has changed since or cannot be read."""
        try:
            with self.path.open("rb") as f:
                if pickle.load(f) != self.stamp:
                    return None
                pickle.load(f)  # the outline, read already
                course = pickle.load(f)
        except Exception:
            return None
        from lbtutor.content.course import Course

        return course if isinstance(course, Course) else None


def kept_course(directory: Path | str | None, data_dir: Path | str | None) -> KeptCourse | None:
    """The course kept for `directory` (default: the bundled lessons) in `data_dir`, if its stamp
    still matches; None on a miss. Only the stamp and the outline are read."""
    directory, path = _where(directory, data_dir)
    if path is None:
        return None
    try:
        stamp = course_stamp(directory)
        with path.open("rb") as f:
            if pickle.load(f) != stamp:
                return None
            outline = pickle.load(f)
    except Exception:  # missing, damaged, or from code that no longer unpickles: a miss
        return None
    from lbtutor.content.outline import CourseOutline

    return KeptCourse(path, stamp, outline) if isinstance(outline, CourseOutline) else None


def load_course_cached(directory: Path | str | None, data_dir: Path | str | None) -> Course:
    """The course of `directory` (default: the bundled lessons), from the cache in `data_dir`
    when its stamp matches, else loaded and validated, then kept there."""
    kept = kept_course(directory, data_dir)
    course = kept.course() if kept is not None else None
    if course is not None:
        return course
    from lbtutor.content.lessons import load_course
    from lbtutor.content.outline import outline_of

    directory, path = _where(directory, data_dir)
    course = load_course(directory)
    if path is None:
        return course
    folder = path.parent
    try:
        stamp = course_stamp(directory)
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        with partial.open("wb") as f:
            for part in (stamp, outline_of(course), course):
                pickle.dump(part, f, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(path)
        older = sorted(folder.glob("course-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in older[KEEP:]:
            stale.unlink(missing_ok=True)
    except Exception:  # a read-only or full disk: the course is loaded all the same
        pass
    return course
