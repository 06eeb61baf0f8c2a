"""Lesson tables share the screen's width between their columns.

Textual 8.2.8 squeezes a too-wide table from the left, each column down to its longest word
before the next gives anything. The lesson's tables instead give every column up to an equal
share, and columns that need less hand the rest to those that need more.
"""

from __future__ import annotations

from lbtutor.ui.widgets.lesson_markdown import balanced_widths

# "Algorithm | Watches the servers? | Cost of one pick | Fits best when", with cell padding
NATURAL = [28, 22, 31, 57]
MINIMUM = [13, 11, 9, 12]


def test_a_table_that_fits_is_left_as_it_is():
    assert balanced_widths(NATURAL, MINIMUM, sum(NATURAL)) is None
    assert balanced_widths(NATURAL, MINIMUM, 200) is None


def test_a_table_too_wide_gives_short_columns_their_width_and_shares_the_rest():
    widths = balanced_widths(NATURAL, MINIMUM, 110)
    assert widths == [28, 22, 30, 30]  # the first two whole; the long ones share what is left
    assert sum(widths) == 110


def test_every_column_keeps_its_longest_word():
    widths = balanced_widths(NATURAL, [13, 11, 9, 40], 80)
    assert widths is not None and sum(widths) == 80
    assert widths[3] >= 40 and all(w >= m for w, m in zip(widths, [13, 11, 9, 40], strict=True))


def test_a_table_narrower_than_its_longest_words_is_left_to_textual():
    assert balanced_widths(NATURAL, MINIMUM, sum(MINIMUM)) is None
    assert balanced_widths([], [], 10) is None
