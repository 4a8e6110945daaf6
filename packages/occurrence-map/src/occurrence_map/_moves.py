"""Checking declared moves against a checkout of the lane head.

Beyond spec-kitty 3.2.7: after the lane's work, each move's sources must be gone and
its destination must exist, and no text file may still mention an old source path.
A destination of ``/dev/null`` (git's name for the absent side of a diff; ``RETIRE`` is
read as the same) deletes the sources: each must be gone, with nothing at its path (no
file, no directory holding a file), and nothing may still mention it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ._model import Move, OccurrenceMap
from ._paths import covers, has_wildcard, normalize

Severity = Literal["warning", "error"]

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


def _holds_a_file(path: Path) -> bool:
    """A file (or symlink) at ``path``, or a directory with one somewhere under it: what
    git would see there. An empty directory left behind is not a file in its place."""
    if not path.is_dir() or path.is_symlink():
        return path.is_symlink() or path.exists()
    for _, dirnames, filenames in os.walk(path):
        if filenames:
            return True
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS]
    return False


def _present(root: Path, declared: str) -> bool:
    if has_wildcard(declared):
        return any(_holds_a_file(path) for path in root.glob(declared))
    return _holds_a_file(root / declared)


def _existence_findings(index: int, move: Move, root: Path) -> Iterator[tuple[str, str]]:
    if move.deletes:
        for source in move.sources:
            src = normalize(source)
            if src and _present(root, src):
                yield (
                    "source_still_present",
                    f"moves[{index}]: {src!r} is deleted by this move "
                    f"(to: {move.destination.strip()}) but is still there",
                )
        return
    for source in move.sources:
        src = normalize(source)
        if src and _exists(root, src):
            yield "source_still_present", f"moves[{index}]: source {src!r} still exists"
    destination = normalize(move.destination)
    if destination and not _exists(root, destination):
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


def _reference_findings(
    omap: OccurrenceMap, root: Path, mission_dir: str | None
) -> Iterator[tuple[str, str]]:
    sources = _stale_sources(omap)
    if not sources:
        return
    own_map = omap.path.resolve() if omap.path else None
    for rel, text in _text_files(root):
        if own_map is not None and (root / rel).resolve() == own_map:
            continue
        if mission_dir and covers(rel, mission_dir):
            continue  # the mission's own files (its map, spec, plan) name the old paths
        for index, source, pattern in sources:
            if source in text and pattern.search(text):
                done = "deleted" if omap.moves[index].deletes else "moved"
                yield (
                    "stale_reference",
                    f"{rel}: still references {source!r}, {done} by moves[{index}]",
                )


def check_moves(
    omap: OccurrenceMap, root: Path, *, strict: bool = False, mission_dir: str | None = None
) -> list[MoveFinding]:
    """Check every declared move at *root*, a checkout of the lane head.

    Findings are warnings, or errors with ``strict=True``. Files under ``mission_dir`` (the
    mission's own directory, relative to *root*, as :func:`check_diff` takes it) are not
    searched for stale references: the map and the planning text name the old paths.
    """
    severity: Severity = "error" if strict else "warning"
    found: list[tuple[str, str]] = []
    for index, move in enumerate(omap.moves):
        found.extend(_existence_findings(index, move, root))
    found.extend(_reference_findings(omap, root, mission_dir))
    return [MoveFinding(severity, code, message) for code, message in found]
