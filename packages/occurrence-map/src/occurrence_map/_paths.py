"""Path helpers shared by validation, the diff gate and the move checks.

All paths are POSIX strings relative to the repository root.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from functools import lru_cache

_WILDCARDS = ("*", "?", "[")


def normalize(path: str) -> str:
    """Strip whitespace, a leading ``./`` and a trailing ``/``; use forward slashes."""
    posix = path.strip().replace("\\", "/")
    while posix.startswith("./"):
        posix = posix[2:]
    return posix.rstrip("/")


def has_wildcard(pattern: str) -> bool:
    """Return ``True`` when *pattern* is a glob rather than a literal path."""
    return any(char in pattern for char in _WILDCARDS)


@lru_cache(maxsize=512)
def _recursive_regex(pattern: str) -> re.Pattern[str]:
    """Compile a glob where ``**`` spans directories and ``*``/``?`` stay within one."""
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif pattern[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            parts.append("[^/]")
            index += 1
        else:
            parts.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(parts))


def glob_match(path: str, pattern: str) -> bool:
    """Match *path* against a glob (``fnmatch`` semantics, plus recursive ``**``)."""
    if fnmatchcase(path, pattern):
        return True
    return "**" in pattern and _recursive_regex(pattern).fullmatch(path) is not None


def glob_match_segments(path: str, pattern: str) -> bool:
    """Match like :func:`glob_match`, but ``*`` and ``?`` never cross a ``/``."""
    return _recursive_regex(pattern).fullmatch(path) is not None


def covers(path: str, declared: str) -> bool:
    """Return ``True`` when *declared* (a file, directory or glob) covers *path*."""
    declared = normalize(declared)
    if not declared:
        return False
    if has_wildcard(declared):
        return glob_match(path, declared)
    return path == declared or path.startswith(declared + "/")


def is_relative_clean(path: str) -> bool:
    """A declared path must be relative and must not climb out with ``..``."""
    posix = path.strip().replace("\\", "/")
    if posix.startswith("/") or re.match(r"^[A-Za-z]:", posix):
        return False
    return ".." not in posix.split("/")


def _fixed_extension(basename: str) -> bool:
    dot = basename.rfind(".")
    if dot <= 0:
        return False
    extension = basename[dot + 1 :]
    return bool(extension) and not has_wildcard(extension)


def is_narrow(path: str) -> bool:
    """A structural target names specific files: a fixed extension, and no ``**``.

    ``src/cli/main.py`` and ``src/cli/*.py`` are narrow; ``src``, ``src/``, ``*``,
    ``src/**/*.py`` and ``src/main.*`` are not.
    """
    posix = path.strip().replace("\\", "/")
    if not posix or posix.endswith("/") or "**" in posix:
        return False
    return _fixed_extension(posix.rsplit("/", 1)[-1])
