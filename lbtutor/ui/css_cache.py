"""Textual's parsed CSS, kept between starts.

At every start Textual parses each stylesheet it meets: the app's, and each widget class's
DEFAULT_CSS when the first of its kind is mounted. For the course map that is about 12 ms, more
than drawing it. A parse depends only on the CSS text, where it was read from, how it applies
(default or not, tie-breaker, scope) and the theme's variables, so lbtutor keeps the parsed rules
in the learner's data folder (cache/css.pickle) and takes them from there at the next start.

It keeps Textual's own results: Textual 8.2.8 parses a source in one place,
Stylesheet._parse_rules (behind a cache of its own that lasts one run), and KeptStylesheet looks
among the kept rules first. The file names the Textual and Python that made it (the size and time
of Textual's CSS modules, the Python version); a file made by others, or one that cannot be read,
is ignored and the CSS is parsed as always. A source with errors is never kept.
"""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path

import textual.css
from textual.css.stylesheet import Stylesheet

CACHE_FOLDER = "cache"  # as lbtutor/content/course_cache.py
FILENAME = "css.pickle"


def _maker() -> str:
    """Which Textual and Python parsed the kept rules."""
    folder = os.path.dirname(textual.css.__file__)
    modules = sorted((entry.name, entry.stat().st_size, entry.stat().st_mtime_ns)
                     for entry in os.scandir(folder) if entry.name.endswith(".py"))  # fmt: skip
    return f"python {sys.version}\ntextual {folder} {modules}"


class KeptStylesheet(Stylesheet):
    """A Stylesheet that takes a source's parsed rules from those kept, when they are there."""

    def __init__(self, *, variables: dict[str, str] | None = None, kept: dict | None = None) -> None:
        super().__init__(variables=variables)
        self.kept: dict[tuple, list] = kept if kept is not None else {}
        self.used: set[tuple] = set()  # the kept rules this run has asked for
        self.parsed = 0  # sources parsed (not found among the kept) since the rules were last saved
        self._variables_key: tuple | None = None

    def set_variables(self, variables: dict[str, str]) -> None:
        super().set_variables(variables)
        self._variables_key = None

    def _parse_rules(self, css, read_from, is_default_rules=False, tie_breaker=0, scope=""):  # type: ignore[override]
        if self._variables_key is None:
            self._variables_key = tuple(sorted(self._variables.items()))
        key = (self._variables_key, css, read_from, is_default_rules, tie_breaker, scope)
        rules = self.kept.get(key)
        if rules is None:
            rules = super()._parse_rules(css, read_from, is_default_rules, tie_breaker, scope)
            if any(rule.errors for rule in rules):
                return rules
            self.kept[key] = rules
            self.parsed += 1
        self.used.add(key)
        return rules


def kept_stylesheet(data_dir: Path | None, variables: dict[str, str]) -> KeptStylesheet:
    """A stylesheet with the rules kept in `data_dir` (none if there are none, or they are not
    from this Textual and Python)."""
    kept = None
    if data_dir is not None:
        try:
            with (data_dir / CACHE_FOLDER / FILENAME).open("rb") as f:
                if pickle.load(f) == _maker():
                    kept = pickle.load(f)
        except Exception:  # missing, damaged, or from code that no longer unpickles
            kept = None
    return KeptStylesheet(variables=variables, kept=kept if isinstance(kept, dict) else None)


def save_kept_css(stylesheet: Stylesheet, data_dir: Path | None) -> None:
    """Keep the rules this run used, if it had to parse any (a read-only disk keeps nothing)."""
    if not isinstance(stylesheet, KeptStylesheet) or not stylesheet.parsed or data_dir is None:
        return
    used = {key: stylesheet.kept[key] for key in stylesheet.used}
    path = data_dir / CACHE_FOLDER / FILENAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        with partial.open("wb") as f:
            pickle.dump(_maker(), f, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(used, f, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(path)
    except Exception:
        return
    stylesheet.parsed = 0
