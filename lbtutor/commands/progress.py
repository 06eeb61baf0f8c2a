"""`lbtutor progress`: the learner's progress as a summary or JSON; export and import it as a file."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser(
        "progress",
        help="show, export or import the learner's progress",
        description="Show the learner's progress (kept in --data-dir, $LBTUTOR_HOME or the user data folder), "
        "or move it between machines with export and import.",
    )
    from lbtutor.cli import add_folder_options

    p.add_argument("--json", action="store_true", help="print the learner's state as one JSON object")
    add_folder_options(p, subcommand=True)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    e = actions.add_parser("export", help="write all progress to FILE as JSON", description="Write all progress to FILE as JSON ('-' for standard output).")
    e.add_argument("file", metavar="FILE")
    add_folder_options(e, subcommand=True)
    i = actions.add_parser(
        "import",
        help="merge progress from FILE (a previous export)",
        description="Merge progress from FILE. Records already here are kept; nothing newer is replaced by something older.",
    )
    i.add_argument("file", metavar="FILE")
    add_folder_options(i, subcommand=True)


def run(args) -> int:
    from lbtutor.content.progress import ProgressError, ProgressStore

    try:
        store = ProgressStore.open(getattr(args, "data_dir", None))
    except (ProgressError, OSError) as exc:
        return _fail(str(exc))
    if store.recovered_from is not None:
        print(f"lbtutor progress: note: the progress file was unusable ({store.recovery_reason}); "
              f"it was moved to {store.recovered_from} and a fresh one started", file=sys.stderr)  # fmt: skip
    try:
        action = getattr(args, "action", None)
        if action == "export":
            return _export(store, args.file)
        if action == "import":
            return _import(store, args.file)
        state = learner_state(store, getattr(args, "lessons", None))
        if args.json:
            print(json.dumps(state, indent=2))
        else:
            _print_summary(state)
        return 0
    finally:
        store.close()


def learner_state(store, lessons_dir=None) -> dict:
    """The learner's state: where they are, and per lesson what they have read and answered."""
    from lbtutor.content.lessons import load_course

    course = load_course(lessons_dir)
    position = store.last_position()
    current = None
    if position is not None:
        lesson_id, index = position
        current = {"lesson_id": lesson_id, "step_index": index}
        lesson = next((x for x in course.lessons if x.id == lesson_id), None)
        if lesson is not None and index < len(lesson.steps):
            current.update(lesson_title=lesson.title, step_slug=lesson.steps[index].slug,
                           step_title=lesson.steps[index].title)  # fmt: skip
    lessons = []
    for lesson in course.lessons:
        p = store.lesson_progress(lesson.id)
        lessons.append({
            "id": lesson.id, "section": lesson.section, "title": lesson.title, "minutes": lesson.minutes,
            "steps": len(lesson.steps), "steps_seen": len([i for i in p.steps_seen if i < len(lesson.steps)]),
            "checks": len(lesson.checks), "checks_answered": p.checks_answered, "checks_right": p.checks_right,
        })  # fmt: skip
    answers: dict[str, dict[str, int]] = {}
    for record in store.history():
        kind = answers.setdefault(record["kind"], {"answers": 0, "right": 0})
        kind["answers"] += 1
        kind["right"] += 1 if record["correct"] else 0
    return {
        "data_file": str(store.path),
        "last_position": current,
        "lessons": lessons,
        "answers": answers,
        "items": len(store.items()),
        "unavailable_lessons": [{"path": str(b.path), "title": b.title} for b in course.broken],
        **practice_state(store, course, lessons_dir),
    }


def practice_state(store, course, lessons_dir=None) -> dict:
    """Quiz scores per section, the weakest topics, the streak and what is due for review."""
    from lbtutor.content import srs
    from lbtutor.content.quiz import load_quiz_bank

    bank, _problems = load_quiz_bank(lessons_dir, course)
    scores = srs.section_scores(store, bank)
    weakest = srs.weakest_topics(store, bank)
    where = {}
    for topic in weakest:
        found = course.find_step(topic.teaches)
        where[topic.teaches] = {"lesson_title": found[0].title, "step_title": found[1].title} if found else {}
    return {
        "quiz_scores": [
            {"section": s.section, "questions": s.questions, "answered": s.answered, "right": s.right,
             "percent": s.percent}
            for s in scores.values()
        ],
        "weakest_topics": [
            {"teaches": t.teaches, "answers": t.answers, "wrong": t.wrong, **where.get(t.teaches, {})}
            for t in weakest
        ],
        "streak_days": srs.streak(store),
        "due_today": srs.due_count(store),
    }


def _print_summary(state: dict) -> None:
    print(f"Progress in {state['data_file']}")
    width = max((len(x["title"]) for x in state["lessons"]), default=10)
    quiz = {s["section"]: s for s in state.get("quiz_scores", ())}
    for x in state["lessons"]:
        score = quiz.get(x["section"])
        said = ""
        if score is not None:  # the latest answer to each question counts, as on the course map
            said = (f"   quiz {score['right']:>2}/{score['answered']:<2} right" if score["answered"]
                    else "   quiz not taken")  # fmt: skip
        print(f"  {x['section']}. {x['title']:<{width}}  {x['steps_seen']:>2}/{x['steps']:<2} steps read   "
              f"{x['checks_right']:>2}/{x['checks']:<2} checks right{said}")  # fmt: skip
    print(f"Review items due today: {state['due_today']}   streak: {state['streak_days']} day(s)")
    for topic in state["weakest_topics"]:
        named = (f"{topic['lesson_title']} › {topic['step_title']}" if "step_title" in topic
                 else topic["teaches"])  # fmt: skip
        print(f"  weak spot: {named} ({topic['wrong']} of {topic['answers']} answers wrong)")
    pos = state["last_position"]
    if pos is None:
        print("No lesson opened yet: run `lbtutor` to begin.")
    elif "step_title" in pos:
        print(f"Continue at: {pos['lesson_title']}, step {pos['step_index'] + 1} ({pos['step_title']})")
    else:
        print(f"Last seen: lesson {pos['lesson_id']}, step {pos['step_index'] + 1}")


def _export(store, file: str) -> int:
    text = json.dumps(store.export(), indent=2) + "\n"
    if file == "-":
        sys.stdout.write(text)
        return 0
    path = Path(file)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        return _fail(f"cannot write {file}: {exc.strerror or exc}")
    data = store.export()
    print(f"exported {len(data['views'])} step views, {len(data['answers'])} answers and "
          f"{len(data['items'])} review items to {file}")  # fmt: skip
    return 0


def _import(store, file: str) -> int:
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return _fail(f"refused {file}: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})")
    except (ValueError, RecursionError):
        return _fail(f"refused {file}: nested too deeply, or holds a number too long to read")
    try:
        added = store.import_(data)
    except ValueError as exc:
        return _fail(f"refused {file}: {exc}")
    print(f"imported {added['views']} step views, {added['answers']} answers and {added['items']} review items "
          f"from {file} (records already here were kept)")  # fmt: skip
    return 0


def _fail(message: str) -> int:
    print(f"lbtutor progress: error: {message}", file=sys.stderr)
    return 1
