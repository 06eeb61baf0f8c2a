"""Scrolling past a running lab leaves nothing of the old scroll position on screen.

A lab keeps repainting its own lines while the learner scrolls the step. In Textual 8.2.8 a
scroll step can then be painted as "only what changed", so the prose, frame and legend kept
their old rows under the live ones (seen in a terminal, lesson 1 step 1 at 120x36 after Down x8:
a second, frozen status line and bar legend). Every scroll container that holds live lab content
is a LiveScroll, which repaints its whole view each time its scroll row changes.
"""

from __future__ import annotations

from painted_terminal import fresh_lines, watch
from textual.app import App, ComposeResult
from textual.widgets import Static

from lbtutor.ui.screens.lab import LabScreen
from lbtutor.ui.screens.lesson import LessonScreen
from lbtutor.ui.widgets.lab_block import LabBlockView
from lbtutor.ui.widgets.live_scroll import LiveScroll


class TallPage(App[None]):
    def compose(self) -> ComposeResult:
        with LiveScroll():
            yield Static("\n".join(f"line {n}" for n in range(100)))


def full_repaints(widget, monkeypatch) -> list[None]:
    """Record each call that repaints the widget's whole view (refresh with no regions)."""
    calls: list[None] = []
    original = widget.refresh

    def spy(*regions, **kwargs):
        if not regions:
            calls.append(None)
        return original(*regions, **kwargs)

    monkeypatch.setattr(widget, "refresh", spy)
    return calls


async def test_each_new_scroll_row_repaints_the_whole_view(monkeypatch):
    app = TallPage()
    async with app.run_test(size=(40, 10)) as pilot:
        scroll = app.query_one(LiveScroll)
        repaints = full_repaints(scroll, monkeypatch)
        scroll.scroll_to(y=3, animate=False, immediate=True)
        await pilot.pause()
        assert scroll.scroll_y == 3
        assert repaints, "a scroll to a new row did not repaint the view"


async def test_a_scroll_within_the_same_row_repaints_nothing_extra(monkeypatch):
    app = TallPage()
    async with app.run_test(size=(40, 10)) as pilot:
        scroll = app.query_one(LiveScroll)
        scroll.scroll_to(y=3, animate=False, immediate=True)
        await pilot.pause()
        repaints = full_repaints(scroll, monkeypatch)
        scroll.scroll_y = 3.2  # an animation's in-between step: still row 3
        await pilot.pause()
        assert not repaints


async def test_every_scroll_holding_a_live_lab_is_a_live_scroll(tutor):
    app = tutor
    async with app.run_test(size=(120, 36)) as pilot:
        await app.ready.wait()
        lesson, step = next((lesson, step) for lesson in app.course.lessons for step in lesson.steps
                            if step.labs)  # fmt: skip
        app.open_step(lesson.id, step.index)
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert isinstance(app.screen.query_one("#body"), LiveScroll)
        app.push_screen(LabScreen())
        await pilot.pause()
        for name in ("#lab-left", "#lab-panes-scroll", "#lab-side"):
            assert isinstance(app.screen.query_one(name), LiveScroll), name


async def scroll_past_live_content(app, pilot, scroll, advance) -> None:
    """Scroll two rows at a time, three times: one row painted while nothing else changed, the
    next with a widget out of view asked for before the paint (a lab measuring itself does
    that) and the live content advanced. After each, the terminal must show what a fresh paint
    of the screen shows."""
    terminal = watch(app)
    assert scroll.max_scroll_y >= 6, "the view no longer scrolls far enough to show the case"
    for _ in range(3):
        scroll.scroll_to(y=scroll.scroll_y + 1, animate=False, immediate=True)
        await pilot.pause()
        scroll.scroll_to(y=scroll.scroll_y + 1, animate=False, immediate=True)
        _ = scroll.query("*").last().region  # the last thing in the view: out of sight, or hidden
        advance()
        await pilot.pause()
        rows = enumerate(zip(terminal.lines(), fresh_lines(app), strict=True))
        stale = [f"{n:2}: {old!r}\n    not {new!r}" for n, (old, new) in rows if old != new]
        where = f"at scroll row {scroll.scroll_y:.0f}, the terminal kept:\n"
        assert not stale, where + "\n".join(stale[:4])


async def test_scrolling_a_step_past_its_running_lab_leaves_no_old_rows_on_the_terminal(tutor):
    """The case seen at 120x36 in lesson 1, step 1, made certain."""
    app = tutor
    async with app.run_test(size=(120, 36)) as pilot:
        await app.ready.wait()
        app.open_step(app.course.lessons[0].id, 0)
        await pilot.pause()
        view = app.screen.query_one(LabBlockView)
        view.run.paused = False

        def advance() -> None:
            view.run.tick(1.0)
            view.draw()

        await scroll_past_live_content(app, pilot, app.screen.query_one("#body"), advance)


async def test_scrolling_the_narrow_lab_while_it_runs_leaves_no_old_rows_on_the_terminal(tutor):
    app = tutor
    async with app.run_test(size=(80, 24)) as pilot:
        await app.ready.wait()
        app.push_screen(LabScreen())
        await pilot.pause()
        lab = app.screen
        lab.session.run.paused = False

        def advance() -> None:
            lab.session.tick(1.0)
            lab.draw()

        await scroll_past_live_content(app, pilot, lab.query_one("#lab-left"), advance)
