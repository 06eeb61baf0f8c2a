"""The loaded course, kept between starts: validate once, reuse while nothing it depends on changed.

Loading the lessons validates every lab in them, and a scenario lab is built to check how its
[set] values combine: about a quarter of a second, most of the tutor's start. The result depends
only on the lesson files and on lbtutor's own code, so it is kept in the learner's data folder
under a key made of both (every lesson file's bytes; the size and time of every source file of
lbtutor.content and lbtutor.sim; the Python version). A later start with the same key reads it
back in a few milliseconds; any edit to a lesson, or to the code that judges it, misses the key
and loads afresh. A cache that cannot be read or written is ignored: the course then loads as
it always did. `lbtutor check` never uses it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from pathlib import Path

from lbtutor.content.lessons import Course, load_course

CACHE_FOLDER = "cache"
KEEP = 4  # cached courses kept (other lesson folders, older versions); the oldest go first
_PACKAGE = Path(__file__).resolve().parent.parent


def course_key(directory: Path) -> str:
    """What the loaded course depends on, hashed."""
    digest = hashlib.sha256(f"{sys.version}\n{directory.resolve()}\n".encode())
    for folder in (_PACKAGE / "content", _PACKAGE / "sim"):
        for path in sorted(folder.rglob("*.py")):
            stat = path.stat()
            digest.update(f"{path.relative_to(_PACKAGE)} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    for path in sorted(directory.glob("[0-9]*.md")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def _where(directory: Path | str | None, data_dir: Path | str | None) -> tuple[Path, Path | None]:
    """The lesson folder, and the cache file its course would be kept in (None: no cache)."""
    if directory is None:
        from lbtutor.paths import lessons_dir

        directory = lessons_dir()
    directory = Path(directory)
    if data_dir is None or not directory.is_dir():
        return directory, None
    try:
        key = course_key(directory)
    except OSError:
        return directory, None
    return directory, Path(data_dir) / CACHE_FOLDER / f"course-{key}.pickle"


def cached_course(directory: Path | str | None, data_dir: Path | str | None) -> Course | None:
    """The kept course, if its key still matches; None on a miss (nothing is loaded then)."""
    _directory, path = _where(directory, data_dir)
    if path is None:
        return None
    try:
        with path.open("rb") as f:
            cached = pickle.load(f)
    except Exception:  # missing, damaged, or from code that no longer unpickles: a miss
        return None
    return cached if isinstance(cached, Course) else None


def load_course_cached(directory: Path | str | None, data_dir: Path | str | None) -> Course:
    """The course of `directory` (default: the bundled lessons), from the cache in `data_dir`
    when its key matches, else loaded and validated, then kept there."""
    cached = cached_course(directory, data_dir)
    if cached is not None:
        return cached
    directory, path = _where(directory, data_dir)
    course = load_course(directory)
    if path is None:
        return course
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        with partial.open("wb") as f:
            pickle.dump(course, f, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(path)
        older = sorted(folder.glob("course-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in older[KEEP:]:
            stale.unlink(missing_ok=True)
    except Exception:  # a read-only or full disk: the course is loaded all the same
        pass
    return course
