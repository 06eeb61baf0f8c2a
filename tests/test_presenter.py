"""Presenter mode and the frame rate, as an instructor uses them in front of a class.

F5 (or `--present`, or the palette) turns presenter mode on: lesson labs start paused at t = 0 with
their status always in view, a check or quiz answer is taken at once but its marks wait for Enter,
→ walks a long step a screenful at a time, and the lab asks before a new seed. `--fps N` sets how
often every live lab redraws (fewer frames when TEXTUAL_ANIMATIONS asks for less motion) while the
simulation keeps its pace.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from test_ui_quiz import write_practice_course
from textual.widgets import Static
from ui_course import write_course

from lbtutor.cli import build_parser, main
from lbtutor.content.progress import ProgressStore
from lbtutor.ui import practice_commands
from lbtutor.ui.app import LBTutorApp, make_app
from lbtutor.ui.commands import all_commands
from lbtutor.ui.frame_rate import SIM_HZ, FramePacer, check_fps, default_fps
from lbtutor.ui.screens.confirm import ConfirmScreen
from lbtutor.ui.screens.lab import LabScreen
from lbtutor.ui.screens.lesson import LessonScreen
from lbtutor.ui.widgets.check_block import CheckBlockView, OptionLine
from lbtutor.ui.widgets.decision_tree_drawing import DecisionTreeDrawing
from lbtutor.ui.widgets.lab_bars import LabBars
from lbtutor.ui.widgets.lab_block import LabBlockView, PaneFigures
from lbtutor.ui.widgets.quiz_question import QuizOptionLine, QuizQuestionView


@pytest.fixture
def lessons(tmp_path):
    return write_course(tmp_path / "lessons")


def tutor(lessons, data_dir, **kwargs) -> LBTutorApp:
    return make_app(lessons_dir=lessons, data_dir=data_dir, autoplay_labs=kwargs.pop("autoplay_labs", False), **kwargs)


async def started(app: LBTutorApp, pilot) -> None:
    await app.ready.wait()
    await pilot.pause()


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.pause()


async def open_lab_step(app: LBTutorApp, pilot) -> LessonScreen:
    """Step 2 of the first module: a lab (three servers, seed 7) and a one-answer check."""
    app.open_step("basics", 1)
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, LessonScreen) and screen.page is not None
    return screen


def text(widget: Static) -> str:
    return str(widget.content)


# ------------------------------------------------------------------------ turning it on and off


async def test_f5_and_the_palette_command_turn_presenter_mode_on_and_off(lessons, isolated_home):
    app = tutor(lessons, isolated_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        assert not app.presenting and not app.has_class("-presenting")
        await pilot.press("f5")
        await settle(pilot)
        assert app.presenting and app.has_class("-presenting")

        [command] = [c for c in all_commands(app) if c.text == "Presenter mode"]
        assert "On now" in command.help
        command.run()
        await settle(pilot)
        assert not app.presenting and not app.has_class("-presenting")


def test_present_and_fps_are_global_flags_and_also_follow_lab_and_tutor():
    parser = build_parser()
    assert (parser.parse_args([]).present, parser.parse_args([]).fps) == (False, None)
    args = parser.parse_args(["--present", "--fps", "12", "lab"])
    assert (args.present, args.fps) == (True, 12)
    args = parser.parse_args(["lab", "--present", "--fps", "8"])
    assert (args.present, args.fps) == (True, 8)
    args = parser.parse_args(["--fps", "5", "tutor"])  # a subcommand without them keeps the global ones
    assert (args.present, args.fps) == (False, 5)


@pytest.mark.parametrize("argv", [["--fps", "0"], ["--fps", "61"], ["--fps", "fast"], ["lab", "--fps", "-3"]])
def test_a_frame_rate_out_of_range_exits_2_with_one_line(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--fps" in err and "1 to 60" in err
    assert "Traceback" not in err and "usage" not in err


# ------------------------------------------------------------------------------- lessons


async def test_presenter_mode_starts_lesson_labs_paused_with_their_status_in_view(lessons, isolated_home):
    app = tutor(lessons, isolated_home, autoplay_labs=True, present=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        screen = await open_lab_step(app, pilot)
        lab = screen.page.query_one(LabBlockView)
        assert lab.run is not None and lab.run.paused and lab.run.now == 0.0  # on cue, from t = 0
        status = screen.query_one("#lesson-lab-status", Static)
        assert status.display and "paused" in text(status) and "speed 1×" in text(status)
        assert not lab.query_one(".lab-status").display  # the copy under the step replaces it

        await pilot.press("p")
        await pilot.pause(0.3)
        assert "playing" in text(status)
        await pilot.press("plus")
        await pilot.pause(0.1)
        assert "speed 2×" in text(status)


async def test_presenter_mode_draws_thick_bars_and_large_digits_where_they_fit(lessons, isolated_home):
    app = tutor(lessons, isolated_home, present=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(app, pilot)
        screen = await open_lab_step(app, pilot)
        lab = screen.page.query_one(LabBlockView)
        for _ in range(8):
            lab.step_once()
        await settle(pilot)
        assert lab.query_one(LabBars).row_height == 3
        figures = lab.query_one(PaneFigures)
        assert figures.display
        assert lab.region.height <= screen.query_one("#body").region.height  # the whole lab in view

        await pilot.press("f5")  # off again: the plain one-line bars
        await settle(pilot)
        lab = app.screen.page.query_one(LabBlockView)
        assert lab.query_one(LabBars).row_height == 1 and not lab.query_one(PaneFigures).display


async def test_a_checks_explanations_stay_hidden_until_reveal(lessons, isolated_home):
    app = tutor(lessons, isolated_home, present=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        screen = await open_lab_step(app, pilot)
        check = screen.page.query_one(CheckBlockView)
        await pilot.press("b")  # the class says b (wrong)
        await settle(pilot)
        assert check.answered and check.held
        explains = check.query(".option-explain")
        assert not any(e.display for e in explains)
        options = [text(line.query_one(".option-text")) for line in check.query(OptionLine)]
        assert "← chosen" in options[1] and not any("✓" in o or "✗" in o for o in options)
        result = text(check.query_one(".check-result"))
        assert "Answer b is in" in result and "Enter to reveal" in result
        assert "Reveal" in [b.binding.description for b in screen.active_bindings.values()]

        await pilot.press("enter")
        await settle(pilot)
        assert not check.held
        assert all(e.display for e in check.query(".option-explain"))
        assert "✗ Not quite: the answer is a" in text(check.query_one(".check-result"))

    with ProgressStore.open(isolated_home) as store:  # the pick was registered when it was made
        assert store.answer_for("basics#three-servers/1") == (["b"], False)


async def test_presenter_mode_does_not_show_a_rehearsals_answer(lessons, isolated_home):
    with ProgressStore.open(isolated_home) as store:
        store.record_answer("basics#three-servers/1", "basics", ["a"], True)
    app = tutor(lessons, isolated_home, present=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        screen = await open_lab_step(app, pilot)
        check = screen.page.query_one(CheckBlockView)
        assert not check.answered and "Press a, b or c" in text(check.query_one(".check-result"))


async def test_right_arrow_shows_the_rest_of_a_long_step_before_the_next_one(lessons, isolated_home):
    app = tutor(lessons, isolated_home, present=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        screen = await open_lab_step(app, pilot)
        body = screen.query_one("#body")
        assert body.max_scroll_y > 0  # the step is longer than the screen
        tops = []
        while screen.index == 1:
            tops.append(body.scroll_y)
            await pilot.press("right")
            await settle(pilot)
            assert len(tops) < 10
        assert tops[0] == 0 and tops == sorted(tops) and len(tops) >= 2
        assert screen.index == 2  # only then the next step

        await pilot.press("left")  # back: the step before, from its top
        await settle(pilot)
        assert screen.index == 1


async def test_the_footer_keeps_a_presenters_keys_and_the_others_still_work(lessons, isolated_home):
    app = tutor(lessons, isolated_home, present=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        screen = await open_lab_step(app, pilot)
        shown = {active.binding.id for active in screen.active_bindings.values()}
        assert {"lesson.next", "lesson.previous", "lab.pause", "lesson.home"} <= shown
        assert "lesson.contents" not in shown
        await pilot.press("t")
        await settle(pilot)
        assert screen.query_one("#toc").is_open


# --------------------------------------------------------------------------------- quizzes


async def test_a_quiz_answer_is_taken_but_its_marks_wait_for_reveal(tmp_path, isolated_home):
    lessons = write_practice_course(tmp_path / "lessons")
    app = make_app(lessons_dir=lessons, data_dir=isolated_home, autoplay_labs=False, present=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        practice_commands.open_quiz(app, 1)
        await settle(pilot)
        await pilot.press("a")  # wrong
        await settle(pilot)
        view = app.screen.query_one(QuizQuestionView)
        status = app.screen.query_one("#quiz-status", Static)
        assert view.answered and view.held
        assert "no answers yet" in text(status)  # the score would give it away
        lines = [text(line) for line in view.query(QuizOptionLine)]
        assert "← chosen" in lines[0] and not any("right" in line or "wrong" in line for line in lines)

        await pilot.press("enter")  # reveal
        await settle(pilot)
        lines = [text(line) for line in view.query(QuizOptionLine)]
        assert "✗ not this one" in lines[0] and "capacities add" in lines[1]
        assert "0 of 1 right" in text(status)
        await pilot.press("enter")  # then on to the next question
        await settle(pilot)
        assert "Question 2 of" in text(status)


async def test_quiz_me_on_the_tree_holds_its_verdict_until_reveal(tmp_path, isolated_home):
    lessons = write_practice_course(tmp_path / "lessons")
    app = make_app(lessons_dir=lessons, data_dir=isolated_home, autoplay_labs=False, present=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        practice_commands.open_tree(app, quiz=True, seed=3)
        await settle(pilot)
        screen = app.screen
        wrong_first = "n" if screen.case.leaf == "least-connections" else "y"
        await pilot.press(wrong_first, "n", "n", "n")
        await settle(pilot)
        verdict = text(screen.query_one("#tree-verdict", Static))
        assert screen.held and "press Enter to reveal" in verdict and "Not this one" not in verdict
        assert "◇" not in str(screen.query_one(DecisionTreeDrawing).content)  # nor the right path

        await pilot.press("enter")
        await settle(pilot)
        assert text(screen.query_one("#tree-verdict", Static)).startswith("✗ Not this one")
    with ProgressStore.open(isolated_home) as store:  # recorded when the walk ended
        assert [a["correct"] for a in store.history("tree")] == [0]


# ------------------------------------------------------------------------------------- lab


async def test_the_lab_starts_paused_and_asks_before_a_new_seed_in_presenter_mode(lessons, isolated_home):
    app = tutor(lessons, isolated_home, autoplay_labs=True, present=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(app, pilot)
        app.push_screen(LabScreen())
        await settle(pilot)
        lab = app.screen
        seed = lab.session.setup.seed
        assert lab.session.run.paused and lab.session.run.now == 0.0
        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # keep this seed
        await settle(pilot)
        assert app.screen is lab and lab.session.setup.seed == seed

        await pilot.press("f5")  # not presenting: a new seed at once
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert app.screen is lab and lab.session.setup.seed != seed


# ------------------------------------------------------------------------------ frame rate


def test_the_simulation_keeps_its_pace_whatever_the_frame_rate():
    for fps in (1, 4, 30, 60):
        pacer = FramePacer(fps)
        pacer.start(0.0)
        simulated = draws = 0.0
        t = 0.0
        while t < 10.0 - 1e-9:
            t += pacer.interval
            simulated += pacer.step(t)
            draws += pacer.draw_due(t)
        assert simulated == pytest.approx(10.0)
        assert draws == pytest.approx(10 * fps, abs=1.5)
        assert pacer.interval <= 1 / SIM_HZ  # keys and the clock are served as often at 1 fps as at 30


def test_frame_rate_defaults_follow_textual_animations():
    assert default_fps("full") == 30
    assert default_fps("basic") == default_fps("none") == 4
    assert check_fps("60") == 60
    with pytest.raises(ValueError, match="from 1 to 60"):
        check_fps("0")


def test_textual_animations_none_lowers_the_frame_rate_unless_fps_is_given():
    code = "from lbtutor.ui.app import make_app; print(make_app().fps, make_app(fps=12).fps)"
    env = {**os.environ, "TEXTUAL_ANIMATIONS": "none"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["4", "12"]
    env["TEXTUAL_ANIMATIONS"] = "full"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["30", "12"]


async def test_the_fps_flag_reaches_the_lesson_labs_and_the_lab_screen(lessons, isolated_home):
    app = tutor(lessons, isolated_home, fps=5)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        screen = await open_lab_step(app, pilot)
        lab = screen.page.query_one(LabBlockView)
        assert lab._pacer.fps == 5

        draws = 0
        draw = lab.draw

        def counted() -> None:
            nonlocal draws
            draws += 1
            draw()

        lab.draw = counted  # type: ignore[method-assign]
        lab.toggle_pause()  # play
        draws = 0
        started_at = time.monotonic()
        await pilot.pause(1.2)
        elapsed = time.monotonic() - started_at
        lab.toggle_pause()
        assert 2 <= draws <= 5 * elapsed + 2  # about five redraws a second, not thirty
        assert lab.run.now == pytest.approx(elapsed, abs=0.5)  # simulated seconds keep to wall seconds at 1×

        app.push_screen(LabScreen())
        await settle(pilot)
        assert app.screen._pacer.fps == 5
