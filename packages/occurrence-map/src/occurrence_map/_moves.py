"""Checking declared moves against a checkout of the lane head.

Beyond spec-kitty 3.2.7: after the lane's work, each move's sources must be gone and
its destination must exist, and no text file may still mention an old source path.
A destination of ``RETIRE`` means the sources are deleted, not moved.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ._model import Move, OccurrenceMap
from ._paths import has_wildcard, normalize

Severity = Literal["warning", "error"]

#: A move whose destination is this word retires (deletes) its sources.
RETIRE = "RETIRE"
#: Files larger than this are not scanned for stale references.
MAX_SCAN_BYTES = 1024 * 1024
_SKIP_DIRS = frozenset({".git", ".hg", ".svn"})


@dataclass(frozen=True)
class MoveFinding:
    """One problem with a declared move, found in the checkout."""

    severity: Severity
    code: str
    message: str


def _exists(root: Path, declared: str) -> bool:
    if has_wildcard(declared):
        return any(root.glob(declared))
    return (root / declared).exists()


def _existence_findings(index: int, move: Move, root: Path) -> Iterator[tuple[str, str]]:
    for source in move.sources:
        src = normalize(source)
        if src and _exists(root, src):
            yield "source_still_present", f"moves[{index}]: source {src!r} still exists"
    destination = normalize(move.destination)
    if destination and destination != RETIRE and not _exists(root, destination):
        yield "destination_missing", f"moves[{index}]: destination {destination!r} does not exist"


def _text_files(root: Path) -> Iterator[tuple[str, str]]:
    """Yield ``(relative posix path, text)`` for every scannable text file under *root*."""
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in sorted(filenames):
            path = Path(directory, name)
            try:
                if path.is_symlink() or path.stat().st_size > MAX_SCAN_BYTES:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            if b"\x00" in data:
                continue
            yield path.relative_to(root).as_posix(), data.decode("utf-8", errors="replace")


def _reference_pattern(source: str) -> re.Pattern[str]:
    """Match *source* as a whole path, not inside a longer one (``a.md`` vs ``x/a.md``)."""
    tail = "" if source.endswith("/") else r"(?![\w-])"
    return re.compile(r"(?<![\w./-])" + re.escape(source) + tail)


def _stale_sources(omap: OccurrenceMap) -> list[tuple[int, str, re.Pattern[str]]]:
    """The literal source paths worth searching for (globs can't be searched for)."""
    found: list[tuple[int, str, re.Pattern[str]]] = []
    for index, move in enumerate(omap.moves):
        for source in move.sources:
            literal = source.strip().removeprefix("./")
            if normalize(literal) and not has_wildcard(literal):
                found.append((index, literal, _reference_pattern(literal)))
    return found


def _reference_findings(omap: OccurrenceMap, root: Path) -> Iterator[tuple[str, str]]:
    sources = _stale_sources(omap)
    if not sources:
        return
    own_map = omap.path.resolve() if omap.path else None
    for rel, text in _text_files(root):
        if own_map is not None and (root / rel).resolve() == own_map:
            continue
        for index, source, pattern in sources:
            if source in text and pattern.search(text):
                yield (
                    "stale_reference",
                    f"{rel}: still references {source!r}, moved by moves[{index}]",
                )


def check_moves(omap: OccurrenceMap, root: Path, *, strict: bool = False) -> list[MoveFinding]:
    """Check every declared move at *root*, a checkout of the lane head.

    Findings are warnings, or errors with ``strict=True``.
    """
    severity: Severity = "error" if strict else "warning"
    found: list[tuple[str, str]] = []
    for index, move in enumerate(omap.moves):
        found.extend(_existence_findings(index, move, root))
    found.extend(_reference_findings(omap, root))
    return [MoveFinding(severity, code, message) for code, message in found]
