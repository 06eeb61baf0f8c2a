"""Make the README's pictures with lbtutor's own SVG export (the code behind ctrl+s).

    python docs/make_screenshots.py

Seeded and paused runs at fixed simulated times, so the pictures change only when the tutor does.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

from lbtutor.sim.presets import LabSetup
from lbtutor.ui.app import make_app
from lbtutor.ui.exports import save_screenshot
from lbtutor.ui.screens.lab import LabScreen

DOCS = Path(__file__).resolve().parent
SIZE = (120, 36)


async def lab_compare(name: str) -> None:
    """The lab: round robin against least connections on servers of mixed sizes, one minute in."""
    with tempfile.TemporaryDirectory() as data:
        app = make_app(data_dir=data, autoplay_labs=False)
        async with app.run_test(size=SIZE) as pilot:
            await app.ready.wait()
            setup = LabSetup.from_preset("mixed-sizes", ("round-robin", "least-connections"), seed=2)
            screen = LabScreen(setup, paused=True)
            await app.push_screen(screen)
            await pilot.pause()
            screen.session.advance_to(60)
            screen.draw()
            app.clear_notifications()
            await pilot.pause()
            saved = save_screenshot(app)
            app.clear_notifications()
        assert saved is not None
        shutil.copyfile(saved, DOCS / name)
        print("wrote", DOCS / name)


if __name__ == "__main__":
    asyncio.run(lab_compare("lab-compare.svg"))
