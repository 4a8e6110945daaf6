"""The parsed, typed form of an occurrence map.

:func:`build_map` is tolerant: it is only called on a mapping that validation has
already accepted, and it simply skips anything malformed rather than raising.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Target:
    """What the bulk edit is about: ``term`` becomes ``replacement`` by ``operation``."""

    term: str
    replacement: str | None = None
    operation: str | None = None


@dataclass(frozen=True)
class MapException:
    """An ``exceptions[]`` entry; without ``field_path`` it governs the whole file."""

    path: str
    action: str
    reason: str | None = None
    field_path: str | None = None


#: The destination of a deletion: git's own name for the absent side of a diff.
DELETED = "/dev/null"
#: This package's older word for the same, still read.
RETIRE = "RETIRE"


@dataclass(frozen=True)
class Move:
    """A declared relocation: every path in ``sources`` moves to ``destination``; a
    destination of ``/dev/null`` (or ``RETIRE``) deletes them."""

    sources: tuple[str, ...]
    destination: str
    reason: str | None = None

    @property
    def deletes(self) -> bool:
        """``True`` when the sources are deleted, not moved (``to: /dev/null``)."""
        return self.destination.strip() in (DELETED, RETIRE)


@dataclass(frozen=True)
class StructuralTarget:
    """A file (or extension-bounded glob) whose change is a genuine structural edit."""

    path: str
    reason: str


@dataclass(frozen=True)
class OccurrenceMap:
    """A loaded ``occurrence_map.yaml``; ``raw`` is the mapping exactly as parsed."""

    target: Target
    categories: dict[str, str]
    exceptions: list[MapException] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    structural_targets: list[StructuralTarget] = field(default_factory=list)
    status: Any = None
    raw: Mapping[str, Any] = field(default_factory=dict)
    path: Path | None = None


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _entries(raw: Any) -> list[Mapping[str, Any]]:
    if not isinstance(raw, list):
        return []
    return [entry for entry in raw if isinstance(entry, Mapping)]


def _target(raw: Any) -> Target:
    section = raw if isinstance(raw, Mapping) else {}
    term = section.get("term")
    return Target(
        term=term if isinstance(term, str) else "",
        replacement=_opt_str(section.get("replacement")),
        operation=_opt_str(section.get("operation")),
    )


def _categories(raw: Any) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        return {}
    result: dict[str, str] = {}
    for name, value in raw.items():
        if isinstance(value, Mapping) and isinstance(value.get("action"), str):
            result[str(name)] = value["action"]
    return result


def _exceptions(raw: Any) -> list[MapException]:
    return [
        MapException(
            path=entry["path"],
            action=entry["action"],
            reason=_opt_str(entry.get("reason")),
            field_path=_opt_str(entry.get("field_path")) or None,
        )
        for entry in _entries(raw)
        if isinstance(entry.get("path"), str) and isinstance(entry.get("action"), str)
    ]


def _moves(raw: Any) -> list[Move]:
    moves: list[Move] = []
    for entry in _entries(raw):
        sources, destination = entry.get("from"), entry.get("to")
        if isinstance(sources, list) and isinstance(destination, str):
            moves.append(
                Move(
                    sources=tuple(s for s in sources if isinstance(s, str)),
                    destination=destination,
                    reason=_opt_str(entry.get("reason")),
                )
            )
    return moves


def _structural_targets(raw: Any) -> list[StructuralTarget]:
    return [
        StructuralTarget(path=entry["path"], reason=_opt_str(entry.get("reason")) or "")
        for entry in _entries(raw)
        if isinstance(entry.get("path"), str)
    ]


def build_map(raw: Mapping[str, Any], path: Path | None = None) -> OccurrenceMap:
    """Build the typed :class:`OccurrenceMap` from a parsed mapping."""
    return OccurrenceMap(
        target=_target(raw.get("target")),
        categories=_categories(raw.get("categories")),
        exceptions=_exceptions(raw.get("exceptions")),
        moves=_moves(raw.get("moves")),
        structural_targets=_structural_targets(raw.get("structural_targets")),
        status=raw.get("status"),
        raw=raw,
        path=path,
    )
