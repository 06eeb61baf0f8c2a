"""A lesson, one step at a time: Markdown text with live labs and checks embedded in it.

In presenter mode (the app's `presenting`) the step reads like slides: → and space first show the
rest of a long step a block at a time, then go on; labs start paused at t = 0 on their fixed seeds
with their status kept in view under the step; checks keep their marks until Enter reveals them;
the footer keeps only the keys a presenter needs (the others still work).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.css.query import NoMatches
from textual.screen import ActiveBinding, Screen
from textual.widget import Widget
from textual.widgets import Markdown, OptionList, Static

from lbtutor.ui.widgets.check_block import CheckBlockView
from lbtutor.ui.widgets.fitting_footer import FittingFooter
from lbtutor.ui.widgets.lab_block import LabBlockView
from lbtutor.ui.widgets.live_scroll import LiveScroll
from lbtutor.ui.widgets.step_header import StepHeader
from lbtutor.ui.widgets.step_page import StepPage
from lbtutor.ui.widgets.step_toc import StepToc
from lbtutor.ui.widgets.tutor_header import TutorHeader

if TYPE_CHECKING:
    from lbtutor.content.lessons import Lesson

PREFETCH_DELAY = 0.3  # seconds after a step is shown before the next one is built
LAB_ACTIONS = {"lab", "switch_algorithm", "compare"}
# Keys that still work in presenter mode but leave the footer to the few a presenter needs.
PRESENTER_HIDDEN = {"lesson.contents", "app.help"}
SLIDE_OVERLAP = 2  # lines kept in view when → scrolls a long step by a page


class LessonScreen(Screen[None]):
    STEP = Binding.Group("Step", compact=True)
    SPEED = Binding.Group("Speed", compact=True)
    BINDINGS = [
        Binding("left", "previous", "Back", tooltip="Previous step", id="lesson.previous", priority=True, key_display="←", group=STEP),
        Binding("right,space", "next", "Next", tooltip="Next step (space works too)", id="lesson.next", priority=True, key_display="→", group=STEP),
        Binding("t", "contents", "Contents", tooltip="Jump to any step of this lesson", id="lesson.contents"),
        Binding("escape", "home", "Map", tooltip="Back to the course map", id="lesson.home", key_display="esc"),
        Binding("p", "lab('toggle_pause')", "Pause", tooltip="Pause or play the lab", id="lab.pause"),
        Binding("minus,underscore", "lab('slower')", "Slower", tooltip="Play the lab slower", id="lab.slower", key_display="-", group=SPEED),
        Binding("plus,equals_sign", "lab('faster')", "Faster", tooltip="Play the lab faster", id="lab.faster", key_display="+", group=SPEED),
        Binding("full_stop", "lab('step_once')", "Step", tooltip="Advance the lab a little (while paused)", id="lab.step", show=False, key_display="."),
        Binding("m", "switch_algorithm", "Algorithm", tooltip="Switch the lab to its next algorithm", id="lab.algorithm", show=False),
        Binding("v", "compare", "Compare", tooltip="Run all the lab's algorithms side by side on the same traffic", id="lab.compare", show=False),
        Binding("o", "open_in_lab", "Open in lab", tooltip="Open this lab in the full lab, its parameters carried over", id="lab.open", show=False),
        Binding("g", "run_lab_to('end')", "Run to end", tooltip="Run the lab to the end of its run, where the check's explanations take their numbers", id="lab.run_to_end"),
        Binding("g", "run_lab_to('point')", "Run to point", tooltip="Run the lab to the moment the check's explanations quote", id="lab.run_to_point"),
        Binding("enter", "submit_check", "Check answer", tooltip="Submit the options you picked", id="check.submit"),
        Binding("enter", "reveal_check", "Reveal", tooltip="Presenter mode: show the marks and explanations of the answer given", id="check.reveal"),
        Binding("r", "retry_check", "Retry", tooltip="Clear your answer to the check and answer again", id="check.retry"),
    ]

    def __init__(self, lesson: Lesson, index: int = 0) -> None:
        super().__init__()
        self.lesson = lesson
        self.index = index
        self._shown: int | None = None

    def compose(self) -> ComposeResult:
        yield TutorHeader()
        yield StepHeader(id="step-header")
        with Horizontal(id="lesson-main"):
            yield StepToc(id="toc")
            yield LiveScroll(id="body")
        yield Static("", id="lesson-lab-status")
        yield FittingFooter()

    async def on_mount(self) -> None:
        self.sub_title = f"{self.lesson.section}. {self.lesson.title}"
        self.watch(self.app, "presenting", self._presenting_changed, init=False)
        await self._show_step()
        self.query_one("#body").focus()

    @property
    def presenting(self) -> bool:
        return bool(getattr(self.app, "presenting", False))

    # ------------------------------------------------------------------ steps
    def go_to(self, index: int) -> None:
        """Show step `index` (called by the app, e.g. from the command palette)."""
        self.index = max(0, min(index, len(self.lesson.steps) - 1))
        self.call_later(self._show_step)

    def _page(self, index: int) -> StepPage | None:
        for page in self.query_one("#body").query_children(StepPage):
            if page.step.index == index:
                return page
        return None

    def _new_page(self, index: int) -> StepPage:
        app = self.app
        return StepPage(
            self.lesson.steps[index],
            end_note=self._end_note(index),
            # Presenter mode starts every lab paused at t = 0, so each demo begins on cue.
            autoplay=app.autoplay_labs and not self.presenting,  # type: ignore[attr-defined]
            answer_for=app.progress.answer_for,  # type: ignore[attr-defined]
            presenting=self.presenting,
        )

    @property
    def page(self) -> StepPage | None:
        """The page of the step on screen."""
        return self._page(self.index) if self._shown == self.index else None

    async def _show_step(self) -> None:
        if self._shown == self.index:
            return
        body = self.query_one("#body", VerticalScroll)
        page = self._page(self.index)
        if page is None:
            page = self._new_page(self.index)
            page.display = False
            await body.mount(page)
        for other in body.query_children(StepPage):
            if other is not page:
                other.set_active(False)
                other.display = False
        page.display = True
        self._shown = self.index
        body.scroll_home(animate=False)
        step = self.lesson.steps[self.index]
        progress = self.app.progress  # type: ignore[attr-defined]
        progress.record_view(self.lesson.id, self.index, step.slug)
        seen = progress.lesson_progress(self.lesson.id).steps_seen
        self.query_one(StepHeader).show(self.lesson, self.index, seen)
        toc = self.query_one(StepToc)
        if toc.is_open:
            toc.show_lesson(self.lesson, self.index, seen)
        page.set_active(self.is_active)
        self.refresh_bindings()
        self._show_lab_status()
        self.set_timer(PREFETCH_DELAY, self._prefetch)

    async def _prefetch(self) -> None:
        """Build the next page while the learner reads this one, so → is instant."""
        if not self.is_attached or self.app.screen is not self:
            return  # the lesson was closed in the meantime
        following = self.index + 1
        try:
            body = self.query_one("#body")
        except NoMatches:
            return
        if following < len(self.lesson.steps) and self._page(following) is None:
            page = self._new_page(following)
            page.display = False
            await body.mount(page)

    async def forget_pages(self) -> None:
        """Drop every built page (after a progress reset) and show the current step afresh."""
        await self.query_one("#body").remove_children()
        self._shown = None
        await self._show_step()

    def refresh_progress(self) -> None:
        self.call_later(self.forget_pages)

    def _end_note(self, index: int) -> Content:
        last = len(self.lesson.steps) - 1
        if index < last:
            following = self.lesson.steps[index + 1]
            return Content.assemble(("→ next: ", "bold"), following.title)
        following_lesson = self._next_lesson()
        if following_lesson is None:
            return Content.assemble(("End of the course. ", "bold"), "→ returns to the course map.")
        return Content.assemble(
            ("End of this module. ", "bold"),
            f"→ starts {following_lesson.section}. {following_lesson.title}.",
        )

    def _next_lesson(self) -> Lesson | None:
        lessons = self.app.course.lessons  # type: ignore[attr-defined]
        ids = [lesson.id for lesson in lessons]
        if self.lesson.id not in ids:
            return None
        position = ids.index(self.lesson.id)
        return lessons[position + 1] if position + 1 < len(lessons) else None

    async def action_next(self) -> None:
        if self.presenting and self._slide(forward=True):
            return
        if self.index < len(self.lesson.steps) - 1:
            self.index += 1
            await self._show_step()
            return
        following = self._next_lesson()
        if following is None:
            self.notify("You have reached the end of the course. Well done!", title="Course complete")
            self.app.go_home()  # type: ignore[attr-defined]
        else:
            self.app.open_step(following.id, 0)  # type: ignore[attr-defined]

    async def action_previous(self) -> None:
        if self.presenting and self._slide(forward=False):
            return
        if self.index > 0:
            self.index -= 1
            await self._show_step()

    def action_home(self) -> None:
        self.app.go_home()  # type: ignore[attr-defined]

    # -------------------------------------------------------------- contents
    def action_contents(self) -> None:
        toc = self.query_one(StepToc)
        if toc.is_open:
            toc.close()
            self.query_one("#body").focus()
            return
        seen = self.app.progress.lesson_progress(self.lesson.id).steps_seen  # type: ignore[attr-defined]
        toc.show_lesson(self.lesson, self.index, seen)
        toc.open()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id != "toc":
            return
        event.stop()
        self.query_one(StepToc).close()
        self.query_one("#body").focus()
        self.go_to(int(event.option.id or 0))

    def on_step_toc_closed(self, event: StepToc.Closed) -> None:
        self.query_one("#body").focus()

    # -------------------------------------------------------------- presenter
    async def _presenting_changed(self, presenting: bool) -> None:
        if not self.is_attached or not self.query(StepToc):
            return  # the lesson is being closed
        toc = self.query_one(StepToc)
        if presenting and toc.is_open:
            toc.close()
            self.query_one("#body").focus()
        if presenting:
            await self.forget_pages()  # rebuilt: labs back to t = 0, checks hold their marks
        else:  # off: every lab and answer stays as it was, drawn at its usual size
            for page in self.query_one("#body").query_children(StepPage):
                page.presenting = False
                for check in page.checks:
                    check.hold_marks = False
                    check.redraw()
                for lab in page.labs:
                    lab.draw()
            self._show_lab_status()
        self.refresh_bindings()

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        bindings = super().active_bindings
        if not self.presenting:
            return bindings
        return {key: active for key, active in bindings.items() if active.binding.id not in PRESENTER_HIDDEN}

    def _slide(self, forward: bool) -> bool:
        """Presenter mode: show the next (or previous) screenful of a long step, starting at a
        whole block (a paragraph, a diagram, a lab, a check) where one fits. False at the end."""
        body = self.query_one("#body", VerticalScroll)
        view = body.scrollable_content_region
        page_height = max(1, view.height - SLIDE_OVERLAP)
        # each block's top and bottom, in lines from the top of what is in view now
        blocks = [(unit.region.y - view.y, unit.region.bottom - view.y) for unit in self._slide_units() if unit.region.height]
        if forward:
            if body.scroll_y >= body.max_scroll_y:
                return False
            cut = [top for top, bottom in blocks if top > 0 and bottom > view.height]
            # a block taller than the view (a lab of stacked panes) is paged through, not skipped
            inside = [bottom for top, bottom in blocks if top <= 0 and bottom > view.height]
            if inside:
                step = page_height
            else:  # bring the first block that does not fit to the top, unless that hardly moves
                step = cut[0] if cut and cut[0] >= view.height // 3 else page_height
            target = min(body.max_scroll_y, body.scroll_y + step)
        else:
            if body.scroll_y <= 0:
                return False
            above = sorted(top for top, _ in blocks if -page_height <= top < 0)
            target = max(0, body.scroll_y + (above[0] if above else -page_height))
        body.scroll_to(y=target, animate=False, immediate=True)
        self.call_after_refresh(self._show_lab_status)
        return True

    def _slide_units(self) -> list[Widget]:
        page = self.page
        if page is None:
            return []
        units: list[Widget] = []
        for child in page.children:
            if isinstance(child, Markdown):
                units += list(child.children)  # its paragraphs, lists and diagrams
            elif isinstance(child, LabBlockView):
                units += child.slide_units()  # a page can start at any of its panes
            else:
                units.append(child)
        return units

    def _show_lab_status(self) -> None:
        """Presenter mode: the status of the lab the keys act on, always in view under the step."""
        try:
            line = self.query_one("#lesson-lab-status", Static)
        except NoMatches:
            return  # the lesson was closed in the meantime
        lab = self._target_lab() if self.presenting else None
        line.display = lab is not None
        if lab is not None:
            self._draw_lab_status(lab, lab.status_line())

    def _draw_lab_status(self, lab: LabBlockView, status: Content) -> None:
        labs = [other for other in self._labs() if other.run is not None]
        line = self.query_one("#lesson-lab-status", Static)
        prefix = f"{lab.lab.title}: " if len(labs) > 1 else ""
        # packed again for this line's own width, so it wraps between figures, not inside one
        width = line.content_region.width or self.size.width
        status = lab.status_line(max(1, width - len(prefix)))
        line.update(Content.assemble((prefix, "bold"), status) if prefix else status)

    def on_lab_block_view_status_changed(self, event: LabBlockView.StatusChanged) -> None:
        event.stop()
        try:
            if self.presenting and event.lab is self._target_lab():
                self._draw_lab_status(event.lab, event.status)
        except NoMatches:
            pass  # the lesson is being closed

    def on_resize(self) -> None:
        if self.presenting and self.page is not None:
            for lab in self.page.labs:
                self.call_after_refresh(lab.draw)  # bar thickness follows the viewport's height

    def action_reveal_check(self) -> None:
        for check in self._checks():
            if check.reveal():
                self.refresh_bindings()
                self.call_after_refresh(self._bring_into_view, check)
                return

    def _bring_into_view(self, widget: Widget) -> None:
        """Show a check that runs off the screen (answered below the fold, or grown by its
        explanations when revealed) from its top."""
        if not widget.is_attached:
            return
        body = self.query_one("#body", VerticalScroll)
        view = body.scrollable_content_region
        if widget.region.bottom > view.bottom or widget.region.y < view.y:
            body.scroll_to_widget(widget, animate=False, top=True, immediate=True)
            self.call_after_refresh(self._show_lab_status)

    # ------------------------------------------------------------------ labs
    def _labs(self) -> list[LabBlockView]:
        page = self.page
        return page.labs if page else []

    def _target_lab(self) -> LabBlockView | None:
        """The lab the keys act on: the first one in view, else the first of the step."""
        labs = [lab for lab in self._labs() if lab.run is not None]
        body = self.query_one("#body")
        for lab in labs:
            if lab.region.overlaps(body.region):
                return lab
        return labs[0] if labs else None

    def _activate_labs(self, active: bool) -> None:
        if self.page is not None:
            self.page.set_active(active)

    def on_screen_suspend(self) -> None:
        self._activate_labs(False)

    def on_screen_resume(self) -> None:
        self._activate_labs(True)

    def action_lab(self, method: str) -> None:
        lab = self._target_lab()
        if lab is not None:
            getattr(lab, method)()
            self._show_lab_status()

    def _quoted(self) -> tuple[LabBlockView, float | str] | None:
        """The lab `g` runs and the point its check quotes (the check's `run_to`): of the checks
        that name one, each quoting the last lab before it, the one whose lab is in view, else
        the step's first. A step with an engine lab and a scenario lab runs the one quoted."""
        page = self.page
        if page is None:
            return None
        quoted: list[tuple[LabBlockView, float | str]] = []
        lab: LabBlockView | None = None
        for widget in page.query("LabBlockView, CheckBlockView"):
            if isinstance(widget, LabBlockView):
                lab = widget
            elif isinstance(widget, CheckBlockView) and widget.check.run_to is not None and lab is not None and lab.run is not None:
                quoted.append((lab, widget.check.run_to))
        body = self.query_one("#body")
        for lab, point in quoted:
            if lab.region.overlaps(body.region):
                return lab, point
        return quoted[0] if quoted else None

    def action_run_lab_to(self, which: str) -> None:
        quoted = self._quoted()
        if quoted is None:
            return
        lab, point = quoted
        lab.run_to_soon(None if point == "end" else float(point))
        self._show_lab_status()

    def action_switch_algorithm(self) -> None:
        lab = self._target_lab()
        if lab is not None and not lab.next_algorithm():
            self.notify("This lab runs a single algorithm.", severity="information")

    def action_compare(self) -> None:
        lab = self._target_lab()
        if lab is not None:
            lab.toggle_compare()
            self.refresh_bindings()

    def action_open_in_lab(self) -> None:
        lab = self._target_lab()
        if lab is None:
            self.notify("This step has no lab to open.", severity="information")
            return
        from lbtutor.ui.screens.lab import LabScreen

        self.app.push_screen(LabScreen.from_lab_block(lab.lab))

    # ---------------------------------------------------------------- checks
    def _checks(self) -> list[CheckBlockView]:
        page = self.page
        return page.checks if page else []

    def on_key(self, event: events.Key) -> None:
        key = event.character
        if not key or len(key) != 1 or not key.isalnum():
            return
        for check in self._checks():
            if not check.answered and check.press(key.lower()):
                event.stop()
                event.prevent_default()
                self.refresh_bindings()
                if self.presenting:  # the class sees the answer it gave, even from below the fold
                    self.call_after_refresh(self._bring_into_view, check)
                return

    def action_submit_check(self) -> None:
        for check in self._checks():
            if check.submit():
                return

    def action_retry_check(self) -> None:
        for check in self._checks():
            if check.retry():
                self.refresh_bindings()
                return

    def on_check_block_view_answered(self, event: CheckBlockView.Answered) -> None:
        event.stop()
        self.app.progress.record_answer(  # type: ignore[attr-defined]
            event.check.id, self.lesson.id, event.chosen, event.correct
        )
        if not event.correct:
            self._schedule_idea()
        self.refresh_bindings()

    def _schedule_idea(self) -> None:
        """A check answered wrong: the quiz questions on this step's idea come up for review
        (those that teach this step, else two of the lesson's section), due in a few minutes."""
        from lbtutor.content import srs
        from lbtutor.ui.practice_commands import content

        try:
            bank = content(self.app).bank
        except Exception:  # a broken quiz bank must not take the lesson down
            return
        step = self.lesson.steps[self.index]
        ids = [q.id for q in bank.questions if q.teaches == step.key]
        ids = ids or [q.id for q in bank.for_section(self.lesson.section)][:2]
        srs.schedule_soon(self.app.progress, srs.QUIZ, ids)  # type: ignore[attr-defined]

    # -------------------------------------------------------------- bindings
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_mounted:
            return True
        if action == "run_lab_to":
            quoted = self._quoted()
            if quoted is None:
                return False
            return (quoted[1] == "end") == (parameters == ("end",))
        if action in LAB_ACTIONS:
            labs = [lab for lab in self._labs() if lab.run is not None]
            if not labs:
                return False
            if action == "switch_algorithm":
                return any(lab.can_switch for lab in labs)
            if action == "compare":
                return any(lab.can_compare for lab in labs)
            return True
        if action == "submit_check":
            return any(check.can_submit for check in self._checks())
        if action == "retry_check":
            return any(check.answered for check in self._checks())
        if action == "reveal_check":
            return any(check.held for check in self._checks())
        return True

    # ------------------------------------------------------------------ links
    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        href = event.href
        if href.startswith(("http://", "https://")):
            self.app.open_url(href)
        elif not self.app.open_key(f"{self.lesson.id}{href}" if href.startswith("#") else href):  # type: ignore[attr-defined]
            self.notify(f"That link points at {href}, which is not a step of this course.", markup=False)
