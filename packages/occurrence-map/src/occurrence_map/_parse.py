"""Reading an occurrence map's text and parsing it with ``yaml.safe_load``.

Nothing here raises on bad input: every problem (unreadable file, oversized file,
malformed YAML with its line and column, a document that is not a mapping) comes back
as an error string so validation can report it like any other error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

#: Files larger than this are refused before parsing (a map is a few kilobytes).
MAX_MAP_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Parsed:
    """The outcome of parsing: a mapping, or an error explaining why there is none."""

    data: dict[str, Any] | None
    error: str | None
    code: str | None = None


def _failure(code: str, error: str) -> Parsed:
    return Parsed(data=None, error=error, code=code)


def read_map_text(path: Path) -> tuple[str | None, Parsed | None]:
    """Return the file's text, or a failed :class:`Parsed` saying why it can't be read."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, _failure("UNREADABLE", f"{path}: cannot read file ({exc.strerror or exc})")
    if size > MAX_MAP_BYTES:
        return None, _failure(
            "TOO_LARGE",
            f"{path}: file is {size} bytes, over the {MAX_MAP_BYTES} byte limit for an "
            "occurrence map; refusing to parse it",
        )
    try:
        return path.read_text(encoding="utf-8"), None
    except UnicodeDecodeError as exc:
        return None, _failure("NOT_UTF8", f"{path}: not UTF-8 text (byte {exc.start})")
    except OSError as exc:
        return None, _failure("UNREADABLE", f"{path}: cannot read file ({exc.strerror or exc})")


def _located(source: str, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    detail = f"{context}: {problem}" if context else str(problem)
    if mark is None:
        return f"{source}: malformed YAML: {detail}"
    line, column = mark.line + 1, mark.column + 1
    return f"{source}: malformed YAML at line {line}, column {column}: {detail}"


def parse_map_text(text: str, source: str) -> Parsed:
    """Parse *text* with ``yaml.safe_load``; the document must be a mapping."""
    if len(text.encode("utf-8")) > MAX_MAP_BYTES:
        return _failure(
            "TOO_LARGE",
            f"{source}: text is over the {MAX_MAP_BYTES} byte limit for an occurrence map; "
            "refusing to parse it",
        )
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return _failure("MALFORMED_YAML", _located(source, exc))
    except (ValueError, RecursionError) as exc:  # e.g. a timestamp out of range
        return _failure("MALFORMED_YAML", f"{source}: malformed YAML: {exc}")
    if data is None:
        return _failure("NOT_A_MAPPING", f"{source}: the document is empty; expected a mapping")
    if not isinstance(data, dict):
        return _failure(
            "NOT_A_MAPPING",
            f"{source}: the document is a {type(data).__name__}, expected a mapping "
            "with 'target' and 'categories' (at line 1, column 1)",
        )
    return Parsed(data=data, error=None)
