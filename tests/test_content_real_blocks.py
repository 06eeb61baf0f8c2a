"""```real blocks: a lab on a real balancer inside a lesson, validated with file:line errors by
the same rules `lbtutor real` applies; and the bundled lessons that carry them."""

from __future__ import annotations

import pytest

from lbtutor.content.lessons import RealBlock, load_course, parse_lesson_file
from lbtutor.paths import lessons_dir

HEAD = '''+++
id = "demo"
section = 5
title = "Demo"
minutes = 10
+++

## A step

Text.

```real
'''


def parse(tmp_path, body: str):
    path = tmp_path / "05-demo.md"
    path.write_text(HEAD + body + "```\n")
    return parse_lesson_file(path)


def test_a_real_block_becomes_a_segment_with_its_setup(tmp_path):
    lesson, problems = parse(tmp_path, 'title = "T"\nlook_for = "L"\nbalancer = "haproxy"\n'
                                       'check_interval = 2.0\nfall = 3\nweights = [5, 1, 1]\ntarget = "s2"\n')
    assert problems == []
    block = lesson.steps[0].segments[1]
    assert isinstance(block, RealBlock)
    assert (block.balancers, block.show, block.target, block.setup["weights"]) == (("haproxy",), "lab", "s2", (5, 1, 1))


@pytest.mark.parametrize("body, line, says", [
    ('title = "T"\nlook_for = "L"\nbalancer = "envoy"\n', 15, '"balancer" must be haproxy or nginx'),
    ('title = "T"\nlook_for = "L"\nbalancer = "nginx"\nfall = 3\n', 16, "--fall does not apply to nginx"),
    ('title = "T"\nlook_for = "L"\nalgorithm = "peak-ewma"\n', 15, "HAProxy has no peak-EWMA balancing"),
    ('title = "T"\nlook_for = "L"\nfall = "3"\n', 15, '"fall" must be a whole number (got a string)'),
    ('title = "T"\nlook_for = "L"\narrival_rate = 5000.0\n', 15, "--arrival-rate must be at most 2,000 req/s"),
    ('title = "T"\nlook_for = "L"\ntarget = "s9"\n', 15, '"target" must name a server: s1, s2, s3, s4'),
    ('title = "T"\nlook_for = "L"\nshow = "movie"\n', 15, '"show" must be one of lab, pick-order'),
    ('title = "T"\nlook_for = "L"\nbalancer = ["nginx", "haproxy"]\n', 15, "must be haproxy or nginx (got"),
    ('title = "T"\nlook_for = "L"\nspeed = 2\n', 15, 'unknown key "speed"'),
    ('title = "T"\n', 12, 'needs "look_for"'),
])
def test_a_bad_real_block_is_one_problem_at_its_file_and_line(tmp_path, body, line, says):
    lesson, problems = parse(tmp_path, body)
    assert lesson is None
    assert len(problems) == 1, problems
    assert problems[0].line == line and says in problems[0].message, problems[0]
    assert problems[0].message.startswith("real block: ")


def test_a_pick_order_block_may_ask_both_balancers(tmp_path):
    lesson, problems = parse(tmp_path, 'title = "T"\nlook_for = "L"\nshow = "pick-order"\n'
                                       'balancer = ["nginx", "haproxy"]\nalgorithm = "weighted-round-robin"\n'
                                       'weights = [5, 1, 1]\nrequests = 14\n')
    assert problems == []
    assert lesson.steps[0].segments[1].balancers == ("nginx", "haproxy")


def test_lessons_2_4_and_5_each_have_a_step_with_a_real_block():
    course = load_course(lessons_dir())
    assert not course.broken
    real = {(lesson.section, step.slug): [s for s in step.segments if isinstance(s, RealBlock)]
            for lesson in course.lessons for step in lesson.steps
            if any(isinstance(s, RealBlock) for s in step.segments)}
    assert set(real) == {(2, "smooth-order-on-real-balancers"), (4, "software-balancers-for-real"),
                         (5, "the-haproxy-example-on-real-haproxy")}
    order = real[(2, "smooth-order-on-real-balancers")][0]
    assert (order.show, order.balancers, order.setup["weights"]) == ("pick-order", ("nginx", "haproxy"), (5, 1, 1))
    haproxy_example = real[(5, "the-haproxy-example-on-real-haproxy")][0]
    assert (haproxy_example.setup["check_interval"], haproxy_example.setup["fall"]) == (2.0, 3)
    assert "check_timeout" not in haproxy_example.setup  # the formula in the step assumes none
