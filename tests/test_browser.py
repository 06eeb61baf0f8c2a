"""The tutor in a real browser: `lbtutor serve`, Debian's headless Chromium driven by Playwright.

The test waits for the tutor itself (the course map drawn in the page's terminal, not
textual-serve's splash card), then uses the keyboard as a learner would and reads what the
terminal shows after each key. Screenshots go to the test's tmp folder (LBTUTOR_SHOTS=DIR keeps
them). Without Chromium or Playwright the test is skipped, saying which is missing.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from served import group_members, served_tutor, stop_like_ctrl_c

from lbtutor.content.lessons import load_course
from lbtutor.paths import lessons_dir

WAIT = 30.0  # the longest any single wait may take, in seconds
CHROMIUM_FLAGS = [
    "--no-sandbox",  # we run as root here
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# textual-serve keeps its xterm.js Terminal in a closure. This catches it as the page assigns it
# (`this.terminal = new Terminal(...)`) so the test can read the very buffer the page draws.
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, 'terminal', {
  configurable: true,
  set(value) {
    Object.defineProperty(this, 'terminal', {value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer && value.buffer.active) window.__lbtutorTerminal = value;
  },
});
"""
READ_SCREEN = """() => {
  const t = window.__lbtutorTerminal;
  if (!t) return null;
  const b = t.buffer.active, rows = [];
  for (let y = 0; y < t.rows; y++) {
    const line = b.getLine(b.viewportY + y);
    rows.push(line ? line.translateToString(true) : '');
  }
  return rows.join('\\n');
}"""


def chromium_path() -> str:
    path = os.environ.get("LBTUTOR_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        pytest.skip(f"no Chromium at {path}: the browser test needs Debian's (apt-get install -y chromium)")
    return path


@pytest.fixture
def browser_page(tmp_path):
    """A page in a fresh headless Chromium profile that may load nothing but 127.0.0.1."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install '.[test]')")
    executable = chromium_path()
    elsewhere: list[str] = []

    def loopback_only(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 800},
            timeout=WAIT * 1000,
        )
        try:
            context.set_default_timeout(WAIT * 1000)
            context.route("**/*", loopback_only)
            context.add_init_script(CATCH_TERMINAL)
            page = context.pages[0] if context.pages else context.new_page()
            yield page
            assert elsewhere == [], f"the page asked for addresses beyond this machine: {elsewhere}"
        finally:
            context.close()


def screen_text(page) -> str:
    return page.evaluate(READ_SCREEN) or ""


def wait_for_screen(page, *needles: str, gone: str | None = None) -> str:
    """Wait (at most WAIT seconds) until the terminal shows every needle (and not `gone`)."""
    deadline = time.monotonic() + WAIT
    text = ""
    while time.monotonic() < deadline:
        text = screen_text(page)
        if all(n in text for n in needles) and (gone is None or gone not in text):
            return text
        time.sleep(0.1)
    if page.evaluate("!window.__lbtutorTerminal"):
        raise AssertionError("could not reach the page's terminal: has textual-serve's page changed?")
    raise AssertionError(f"the terminal never showed {needles!r} within {WAIT:g} s; it shows:\n{text}")


def shots_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("LBTUTOR_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_learner_opens_the_tutor_in_a_browser_and_steps_through_a_lesson(tmp_path, browser_page):
    page = browser_page
    shots = shots_dir(tmp_path)
    with served_tutor(tmp_path) as served:
        page.goto(served.url, timeout=WAIT * 1000)

        course_map = wait_for_screen(page, "Load Balancing Fundamentals", gone="Loading lessons")
        assert page.evaluate("document.body.classList.contains('-first-byte')"), "the splash card is still up"
        assert "lbtutor" in course_map
        page.screenshot(path=shots / "0-course-map.png")

        # Keyboard only: the terminal takes keys once it has focus, as after a click.
        page.locator(".xterm-helper-textarea").focus()
        page.keyboard.press("Enter")
        first_step = wait_for_screen(page, "1. Load Balancing Fundamentals", "step 1 of")
        assert "One server" in first_step
        assert "Lab: One server" in first_step, "the lesson's first step embeds a live lab"
        page.screenshot(path=shots / "1-lesson-step-1.png")

        page.keyboard.press("ArrowRight")
        second_step = wait_for_screen(page, "step 2 of", "arrived")  # "arrived": its lab has drawn
        assert "A queue forms" in second_step
        page.screenshot(path=shots / "2-lesson-step-2.png")

        # ctrl+s: the screen as SVG, kept in the data folder and handed to the browser as a download.
        with page.expect_download(timeout=WAIT * 1000) as download:
            page.keyboard.press("Control+s")
        saved = download.value.suggested_filename
        assert saved.startswith("lbtutor-lesson-") and saved.endswith(".svg")
        assert (tmp_path / "data" / "exports" / saved).is_file()
        wait_for_screen(page, "Screenshot saved (SVG)", saved)

        page.keyboard.press("Escape")
        back = wait_for_screen(page, "Load Balancing Fundamentals", gone="step 2 of")
        steps = load_course(lessons_dir()).lessons[0].steps
        assert f"2/{len(steps)}" in back, "the map counts the two steps read (progress kept in --data-dir)"
        page.screenshot(path=shots / "3-back-on-the-map.png")

        for shot in shots.glob("*.png"):
            assert shot.stat().st_size > 10_000, f"{shot} looks empty"

        assert stop_like_ctrl_c(served) == 0, served.output()
        assert group_members(served.process.pid) == []
