"""Where lbtutor finds its bundled data (lessons, assets), keeps the learner's data and its cache."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_APP_NAME = "lbtutor"


def _bundled(name: str) -> Path:
    """A data folder: inside the installed wheel (`lbtutor/_data/NAME`) or the source checkout."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def lessons_dir() -> Path:
    return _bundled("lessons")


def assets_dir() -> Path:
    return _bundled("assets")


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The learner's data folder: `override`, else $LBTUTOR_HOME, else the platform's user data dir."""
    if override:
        path = Path(override)
    elif os.environ.get("LBTUTOR_HOME"):
        path = Path(os.environ["LBTUTOR_HOME"])
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir(_APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Where lbtutor keeps what it can recompute (measured claims): $LBTUTOR_HOME/cache, else the
    platform's user cache dir. Created on first use."""
    if os.environ.get("LBTUTOR_HOME"):
        path = Path(os.environ["LBTUTOR_HOME"]) / "cache"
    else:
        from platformdirs import user_cache_dir

        path = Path(user_cache_dir(_APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path
