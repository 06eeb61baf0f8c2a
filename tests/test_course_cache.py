"""The course kept between starts (course_cache.py): read back only while its stamp matches."""

from __future__ import annotations

import pickle

import pytest
from ui_course import write_course

from lbtutor.content.course_cache import kept_course, load_course_cached
from lbtutor.content.lessons import load_course
from lbtutor.content.outline import outline_of


@pytest.fixture
def lessons(tmp_path):
    return write_course(tmp_path / "lessons")


@pytest.fixture
def data(tmp_path):
    return tmp_path / "data"


def test_a_first_start_keeps_the_course_and_the_next_reads_it_back_whole(lessons, data):
    assert kept_course(lessons, data) is None
    loaded = load_course_cached(lessons, data)
    assert loaded == load_course(lessons)
    kept = kept_course(lessons, data)
    assert kept is not None
    assert kept.outline == outline_of(loaded)
    assert kept.course() == loaded


def test_the_outline_holds_what_the_course_map_shows(lessons, data):
    load_course_cached(lessons, data)
    outline = kept_course(lessons, data).outline
    first = outline.lessons[0]
    assert (first.id, first.section, first.title, first.minutes) == ("basics", 1, "Load Balancing Fundamentals", 25)
    assert first.steps == ("One server", "Three servers", "What the balancer buys you")
    assert first.checks == 2
    assert [lesson.section for lesson in outline.lessons] == list(range(1, 9))
    (broken,) = outline.broken
    assert broken.title == "Summary"
    assert broken.problems[0].startswith("09-summary.md:13: ")


def test_an_edited_lesson_is_loaded_afresh_not_read_from_the_cache(lessons, data):
    load_course_cached(lessons, data)
    first = lessons / "01-basics.md"
    first.write_text(first.read_text().replace('minutes = 25', 'minutes = 26'))
    assert kept_course(lessons, data) is None
    assert load_course_cached(lessons, data).lesson("basics").minutes == 26
    assert kept_course(lessons, data).outline.lessons[0].minutes == 26


def test_a_damaged_cache_file_is_a_miss_and_the_course_loads_all_the_same(lessons, data):
    load_course_cached(lessons, data)
    (kept_file,) = (data / "cache").glob("course-*.pickle")
    kept_file.write_bytes(b"not a pickle")
    assert kept_course(lessons, data) is None
    assert load_course_cached(lessons, data) == load_course(lessons)


def test_a_course_file_rewritten_after_its_outline_was_read_is_not_taken(lessons, data):
    load_course_cached(lessons, data)
    kept = kept_course(lessons, data)
    with kept.path.open("wb") as f:  # another lbtutor, after the lessons changed
        for part in ("another stamp", kept.outline, load_course(lessons)):
            pickle.dump(part, f)
    assert kept.course() is None


def test_without_a_data_folder_nothing_is_kept(lessons):
    assert load_course_cached(lessons, None) == load_course(lessons)
    assert kept_course(lessons, None) is None
