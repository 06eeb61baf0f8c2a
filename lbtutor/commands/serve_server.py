"""textual-serve's Server as `lbtutor serve` runs it: a page that loads nothing from elsewhere.

Kept apart from serve.py so that `lbtutor` does not import aiohttp each time it starts.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from importlib.resources import files
from pathlib import Path

from aiohttp import web
from textual_serve.server import Server

from lbtutor.commands.serve import descendants, stop_processes

INDEX = "app_index.html"
HOST_HEADER = re.compile(r"([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?")  # a Host header fit for a URL
SHUTDOWN_WAIT = 5.0  # seconds the tutors get to quit on their own; serve.py ends what is left
# The stock page loads Roboto Mono from a font CDN: a request to a third party from every
# student's browser, and a blank wait on a machine with no internet. textual-serve ships the font
# files itself, so the page takes them from this server instead.
REMOTE_STYLESHEET = re.compile(r"\s*<link[^>]*href=\"https?://[^\"]*\"[^>]*/?>", re.IGNORECASE)
LOCAL_FONT = """
    <style>
      @font-face {
        font-family: "Roboto Mono";
        src: url("{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf") format("truetype");
        font-style: normal;
      }
      @font-face {
        font-family: "Roboto Mono";
        src: url("{{ config.static.url }}fonts/RobotoMono-Italic-VariableFont_wght.ttf") format("truetype");
        font-style: italic;
      }
    </style>"""


class TutorServer(Server):
    """Serves the tutor command; the page is textual-serve's own, with its font served locally."""

    def __init__(self, command: str, *, host: str, port: int, public_url: str | None, templates: Path) -> None:
        stock = files("textual_serve") / "templates" / INDEX
        page = REMOTE_STYLESHEET.sub("", stock.read_text(encoding="utf-8")).replace("</head>", LOCAL_FONT + "\n  </head>", 1)
        (templates / INDEX).write_text(page, encoding="utf-8")
        # textual-serve resolves templates_path against its own folder; an absolute path wins.
        super().__init__(command, host=host, port=port, title="lbtutor", public_url=public_url,
                         templates_path=templates)  # fmt: skip
        self._sessions: set[asyncio.Task] = set()
        self._fixed_url = public_url is not None

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The page, its websocket address taken from the address the browser used (unless --public-url):
        a student who opened http://TEACHER:8000 must not be sent to ws://0.0.0.0:8000."""
        if not self._fixed_url and HOST_HEADER.fullmatch(request.host):
            self.public_url = f"{request.scheme}://{request.host}"  # read before handle_index first awaits
        return await super().handle_index(request)

    def initialize_logging(self) -> None:
        super().initialize_logging()
        # One line per page, font and websocket request is noise on a teacher's terminal.
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

    async def on_startup(self, app: web.Application) -> None:
        self.console.print(f"lbtutor: serving the tutor on [bold]{self.public_url}[/]", highlight=False)
        self.console.print("Each browser tab gets its own tutor. Ctrl+C stops the server and every tutor.")

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One browser tab: remembered so that shutting down can end it (aiohttp would wait for it)."""
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        try:
            return await super().handle_websocket(request)
        finally:
            self._sessions.discard(task)

    async def on_shutdown(self, app: web.Application) -> None:
        """Interrupt every tab's session: textual-serve then tells its tutor to quit and waits for it."""
        sessions = list(self._sessions)
        for task in sessions:
            task.cancel()
        if sessions:
            await asyncio.wait(sessions, timeout=SHUTDOWN_WAIT)
        # Whatever did not quit is ended now, while the event loop still runs to collect the exits.
        left = descendants(os.getpid())
        if left:
            await asyncio.get_running_loop().run_in_executor(None, stop_processes, left)
        await asyncio.sleep(0.1)
