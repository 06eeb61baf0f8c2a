"""Problems found in content files, each pinned to `file:line`, and the TOML helpers that find lines.

`tomllib` parses without telling where a value came from, so `TomlLines` scans the text once and
maps every key path (`("questions", 3, "options", 1, "explain")`) to the 1-based line it is on.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a content file. `line` is 1-based; 0 means the file as a whole."""

    path: str | Path
    line: int
    message: str

    def __post_init__(self) -> None:
        # One problem, one line: a value quoted from the file may hold line breaks (a multi-line
        # TOML string), which would split `file:line: message` over several lines.
        if any(c in self.message for c in "\r\n\t"):
            flat = self.message.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\r").replace("\t", " ")
            object.__setattr__(self, "message", flat)

    def __str__(self) -> str:
        if self.line <= 0:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


_ERROR_AT = re.compile(r"\s*\(at line (\d+), column \d+\)\s*$")
_ERROR_AT_END = re.compile(r"\s*\(at end of document\)\s*$")


def parse_toml(text: str, first_line: int = 1) -> tuple[dict | None, int, str]:
    """Parse TOML that starts at file line `first_line`.

    Returns (data, 0, "") on success, or (None, file_line, message) where message is tomllib's
    explanation without its own "(at line ..)" suffix, which counts from the block, not the file.
    """
    try:
        return tomllib.loads(text), 0, ""
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = _ERROR_AT.search(message)
        if m:
            return None, first_line + int(m.group(1)) - 1, message[: m.start()]
        m = _ERROR_AT_END.search(message)
        if m:
            last = max(1, len(text.rstrip("\n").split("\n")))
            return None, first_line + last - 1, message[: m.start()] + " (at the end)"
        return None, first_line, message
    except (RecursionError, ValueError) as exc:  # absurd nesting, or an integer of thousands of digits
        kind = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(":")[0].lower()
        return None, first_line, kind


_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_\-]+(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*=""")


def _dotted(name: str) -> list[str]:
    parts = re.findall(r"""\s*("[^"]*"|'[^']*'|[^.]+)\s*(?:\.|$)""", name)
    return [p.strip().strip("\"'") for p in parts if p.strip()]


class TomlLines:
    """Where each key, table and array-of-tables entry of a simple TOML text starts.

    Good enough for hand-written content files: headers, `key = value`, multi-line strings and
    arrays. Unknown paths fall back to the nearest known parent, and finally to `first_line`.
    """

    def __init__(self, text: str, first_line: int = 1) -> None:
        self.first_line = first_line
        self.lines: dict[tuple, int] = {}
        counts: dict[tuple, int] = {}
        current: tuple = ()
        in_string: str | None = None
        depth = 0  # open brackets of a multi-line array or inline table
        for offset, raw in enumerate(text.split("\n")):
            lineno = first_line + offset
            line = raw
            if in_string:
                if in_string in line:
                    line = line.split(in_string, 1)[1]
                    in_string = None
                else:
                    continue
            if depth > 0:
                depth = max(0, depth + _bracket_balance(line))
                continue
            m = _ARRAY_HEADER.match(line)
            if m:
                parts = _dotted(m.group(1))
                parent = (*self._resolve(parts[:-1], counts), *parts[-1:])
                counts[parent] = counts.get(parent, 0) + 1
                current = (*parent, counts[parent] - 1)
                self.lines.setdefault(current, lineno)
                self.lines.setdefault(parent, lineno)
                continue
            m = _TABLE_HEADER.match(line)
            if m:
                parts = _dotted(m.group(1))
                current = (*self._resolve(parts[:-1], counts), *parts[-1:])
                self.lines.setdefault(current, lineno)
                continue
            m = _KEY.match(line)
            if m:
                path = (*current, *_dotted(m.group(1)))
                self.lines.setdefault(path, lineno)
                rest = line[m.end():]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        in_string = quote
                        break
                if in_string is None:
                    depth = max(0, _bracket_balance(rest))

    @staticmethod
    def _resolve(parts: list[str], counts: dict[tuple, int]) -> tuple:
        path: tuple = ()
        for part in parts:
            path = (*path, part)
            if path in counts:
                path = (*path, counts[path] - 1)
        return path

    def line(self, *path) -> int:
        """The line of `path`, or of its nearest known parent."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.first_line


def _bracket_balance(text: str) -> int:
    """Opening minus closing brackets outside strings and comments (for multi-line arrays)."""
    balance = 0
    quote = None
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "#":
            break
        elif c in "[{":
            balance += 1
        elif c in "]}":
            balance -= 1
        i += 1
    return balance


def read_text(path: Path) -> tuple[str | None, Problem | None]:
    """The file's text with newlines normalised, or a problem saying why it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, Problem(path, 0, f"cannot read the file: {exc.strerror or exc}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, Problem(path, line, "the file is not valid UTF-8 text")
    if "\x00" in text:
        return None, Problem(path, text[: text.index("\x00")].count("\n") + 1, "the file contains a NUL character")
    return text.replace("\r\n", "\n").replace("\r", "\n"), None


def type_name(value: object) -> str:
    """How a TOML value's type reads in a message: 'a string', 'an integer', 'a table', ..."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def finite_number(value: object) -> bool:
    """A number a float can hold: not NaN or infinite, and not an integer of hundreds of digits
    (TOML and JSON integers are unbounded; math.isfinite(10**400) raises OverflowError)."""
    if not is_number(value):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def nonempty_str(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


def closest(name: str, choices) -> str:
    """' (did you mean "x"?)' when a close match exists, else ''."""
    import difflib

    match = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{match[0]}"?)' if match else ""


def load_toml_file(path: Path) -> tuple[dict | None, TomlLines | None, list[Problem]]:
    """Read and parse a whole TOML content file: (data, line finder, []) or (None, None, [problem])."""
    text, problem = read_text(Path(path))
    if text is None:
        return None, None, [problem]
    data, line, message = parse_toml(text)
    if data is None:
        return None, None, [Problem(path, line, f"not valid TOML: {message}")]
    return data, TomlLines(text), []


def unknown_keys(table: dict, allowed, problem, *prefix) -> bool:
    """Report each key of `table` not in `allowed` (typos); True when there were none."""
    ok = True
    for key in table:
        if key not in allowed:
            problem(f'unknown key "{key}"{closest(key, allowed)}; allowed: {", ".join(allowed)}', *prefix, key)
            ok = False
    return ok


def require_str(table: dict, key: str, problem, *prefix) -> str | None:
    """The non-empty string at `key`, or None after reporting what is wrong."""
    if key not in table:
        problem(f'needs "{key}"', *prefix)
        return None
    value = table[key]
    if not nonempty_str(value):
        problem(f'"{key}" must be a non-empty string (got {type_name(value)})', *prefix, key)
        return None
    return value


def require_section(table: dict, problem, *prefix) -> int | None:
    """The chapter section number (1..9) at "section", or None after reporting what is wrong."""
    if "section" not in table:
        problem('needs "section" (the chapter section number, 1 to 9)', *prefix)
        return None
    value = table["section"]
    if not is_int(value) or not 1 <= value <= 9:
        problem(f'"section" must be the chapter section number, 1 to 9 (got {value!r})', *prefix, "section")
        return None
    return value


def array_of_tables(table: dict, key: str, problem, *prefix) -> list[dict]:
    """The [[key]] tables under `table` (reports and returns [] when it is something else)."""
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problem(f'"{key}" must be [[{key}]] tables (got {type_name(value)})', *prefix, key)
        return []
    return value
