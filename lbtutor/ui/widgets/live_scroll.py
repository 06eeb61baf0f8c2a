"""A vertical scroll for content that keeps changing while the learner scrolls (a running lab).

Textual 8.2.8 paints a scroll step as the difference between the widget map it last built and
the new one. After a step painted by its fast scrolling path, asking where a widget out of view
is (a hidden step page, a lab measuring itself) before the next paint makes the compositor build
its full map at the new scroll position early; when that paint also needs a layout (a lab's
line changed), the layout pass finds nothing moved, so only the changed widgets are painted at
their new rows and the rest of the view keeps the rows of the old position. In a lesson that
showed as a second, frozen status line and bar legend under the live ones, until the next
scroll (tests/test_live_scroll.py shows it step by step). Repainting the whole view on every
scroll step leaves nothing of the old position behind."""

from __future__ import annotations

from textual.containers import VerticalScroll


class LiveScroll(VerticalScroll):
    """VerticalScroll that repaints all it shows whenever its rounded scroll position changes."""

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self.refresh()
