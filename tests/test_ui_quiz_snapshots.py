"""What the learner sees in the practice screens, pinned: a question, the explanations after an
answer with the scenario's real outcome, the summary, an interview prompt after checking, the
decision tree mid-walk and after a quiz walk, and practice with nothing due.

All at 100×30 on the fixed course of test_ui_quiz.py; drills and tree cases are seeded, scenarios
are seeded and waited for. Update with `pytest tests/test_ui_quiz_snapshots.py --snapshot-update`,
then look at the SVGs before committing.
"""

from __future__ import annotations

import pytest
from test_ui_quiz import write_practice_course
from textual.widgets import TextArea

from lbtutor.ui import practice_commands
from lbtutor.ui.app import make_app

SIZE = (100, 30)


@pytest.fixture
def app(tmp_path, isolated_home):
    lessons = write_practice_course(tmp_path / "lessons")
    return make_app(lessons_dir=lessons, data_dir=isolated_home, autoplay_labs=False)


async def ready(pilot) -> None:
    await pilot.app.ready.wait()
    await pilot.pause()


async def settled(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def quiz_question(pilot) -> None:
    await ready(pilot)
    practice_commands.open_quiz(pilot.app, 1)
    await settled(pilot)


async def quiz_answered_with_scenario(pilot) -> None:
    await quiz_question(pilot)
    await pilot.press("b", "n", "a", "c", "enter", "n", "2", "0", "enter", "n", "a")
    await settled(pilot)


async def quiz_summary(pilot) -> None:
    await quiz_question(pilot)
    await pilot.press("a", "n", "a", "enter", "n", "2", "0", "enter", "n", "b")
    await settled(pilot)
    await pilot.press("n")
    await settled(pilot)


async def interview_checked(pilot) -> None:
    await ready(pilot)
    practice_commands.open_interview(pilot.app)
    await settled(pilot)
    pilot.app.screen.query_one(TextArea).insert("Servers share the work in parallel, and a health check routes "
                                                "around a dead one.")  # fmt: skip
    await pilot.press("ctrl+r")
    await settled(pilot)


async def drill(pilot) -> None:
    await ready(pilot)
    practice_commands.open_drills(pilot.app, seed=11, kinds=["health"])
    await settled(pilot)


async def tree_mid_walk(pilot) -> None:
    await ready(pilot)
    practice_commands.open_tree(pilot.app)
    await settled(pilot)
    await pilot.press("y", "y", "n")
    await settled(pilot)


async def tree_quiz_verdict(pilot) -> None:
    await ready(pilot)
    practice_commands.open_tree(pilot.app, quiz=True, seed=3)  # the uniform lookups on mixed machines
    await settled(pilot)
    await pilot.press("y", "n")  # equal capacity? yes (wrong), duration varies? no -> round robin
    await settled(pilot)


async def practice_nothing_due(pilot) -> None:
    await ready(pilot)
    practice_commands.open_practice(pilot.app)
    await settled(pilot)


@pytest.mark.parametrize("setup", [
    quiz_question, quiz_answered_with_scenario, quiz_summary, interview_checked, drill, tree_mid_walk,
    tree_quiz_verdict, practice_nothing_due,
], ids=lambda f: f.__name__)  # fmt: skip
def test_practice_screen(snap_compare, app, setup):
    assert snap_compare(app, terminal_size=SIZE, run_before=setup)
