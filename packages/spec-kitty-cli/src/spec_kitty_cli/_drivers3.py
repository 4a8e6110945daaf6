"""The six git merge drivers a spec-kitty 3.x repository is configured with.

3.x writes ``merge.spec-kitty-<name>.driver = spec-kitty merge-driver-<name> %O %A %B`` and
maps mission files to them in ``.gitattributes``. Git calls a driver with the base, ours
and theirs versions (``%O %A %B``) and takes the result from ours' path (exit 0) or marks
a conflict (exit 1). Each function here is one driver, judged three-way:

- ``event-log``: the union of the event logs (mission-status's ``merge_logs``);
- ``meta``: meta.json key by key; when both sides changed a key, acceptance keys keep ours
  (the target's acceptance) and the rest take theirs (the mission's planning), and
  ``acceptance_history`` is the union of both;
- ``traces`` and ``review-cycle``: Markdown; both sides' new lines survive, once each;
- ``acceptance-matrix`` and ``issue-matrix``: JSON whose rows (``criteria`` and
  ``negative_invariants`` by ``criterion_id``/``invariant_id``; ``rows`` by ``issue_ref``)
  merge row by row, the other keys key by key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mission_status import merge_logs, write_atomic

_ACCEPTANCE_KEYS = frozenset(
    {"accepted_at", "accepted_by", "accepted_from_commit", "accept_commit", "acceptance_mode"}
)
_ABSENT: Any = object()


class DriverInputError(Exception):
    """A side the driver cannot read: git then keeps the conflict for a person."""


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""
    except OSError as exc:
        raise DriverInputError(f"{path}: {exc}") from None


def _json(data: bytes, path: Path) -> Any:
    if not data.strip():
        return {}
    try:
        return json.loads(data)
    except ValueError as exc:
        raise DriverInputError(f"{path} is not JSON ({exc})") from None


def _three(base: Any, ours: Any, theirs: Any, prefer_ours: bool) -> Any:
    """One value, three-way: the side that changed it; when both did, ``prefer_ours``."""
    if theirs in (ours, base):
        return ours
    if ours == base:
        return theirs
    return ours if prefer_ours else theirs


def _rows(base: list[Any], ours: list[Any], theirs: list[Any], key: str) -> list[Any]:
    """Rows by ``key``, three-way each: ours' order, then rows only theirs has."""

    def keyed(rows: list[Any]) -> dict[str, Any]:
        return {str(row.get(key, "")).strip().lower(): row for row in rows if isinstance(row, dict)}

    old, mine, other = keyed(base), keyed(ours), keyed(theirs)
    merged = []
    for name in [*mine, *(name for name in other if name not in mine)]:
        here, there, was = mine.get(name, _ABSENT), other.get(name, _ABSENT), old.get(name, _ABSENT)
        row = _three(was, here, there, prefer_ours=True)
        if row is not _ABSENT:
            merged.append(row)
    return merged


def _mapping(
    base: dict[str, Any],
    ours: dict[str, Any],
    theirs: dict[str, Any],
    *,
    rows: dict[str, str],
    prefer_ours: Callable[[str], bool],
) -> dict[str, Any]:
    merged = {}
    for name in [*ours, *(name for name in theirs if name not in ours)]:
        here, there = ours.get(name, _ABSENT), theirs.get(name, _ABSENT)
        was = base.get(name, _ABSENT)
        if name in rows and all(isinstance(v, list) for v in (here, there)):
            value: Any = _rows(was if isinstance(was, list) else [], here, there, rows[name])
        else:
            value = _three(was, here, there, prefer_ours(name))
        if value is not _ABSENT:
            merged[name] = value
    return merged


def _history(ours: Any, theirs: Any) -> list[Any]:
    entries = [
        *(ours if isinstance(ours, list) else []),
        *(theirs if isinstance(theirs, list) else []),
    ]
    seen, union = set(), []
    for entry in entries:
        mark = json.dumps(entry, sort_keys=True)
        if mark not in seen:
            seen.add(mark)
            union.append(entry)
    return union


def merge_meta(base: bytes, ours: bytes, theirs: bytes, where: Path) -> bytes:
    old, mine, other = (_json(side, where) for side in (base, ours, theirs))
    merged = _mapping(old, mine, other, rows={}, prefer_ours=lambda k: k in _ACCEPTANCE_KEYS)
    history = _history(mine.get("acceptance_history"), other.get("acceptance_history"))
    if history:
        merged["acceptance_history"] = history
    return (json.dumps(merged, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _matrix(rows: dict[str, str]) -> Callable[[bytes, bytes, bytes, Path], bytes]:
    def merge(base: bytes, ours: bytes, theirs: bytes, where: Path) -> bytes:
        old, mine, other = (_json(side, where) for side in (base, ours, theirs))
        merged = _mapping(old, mine, other, rows=rows, prefer_ours=lambda _: True)
        return (json.dumps(merged, indent=2, ensure_ascii=False) + "\n").encode()

    return merge


def merge_markdown(base: bytes, ours: bytes, theirs: bytes, where: Path) -> bytes:
    """Ours, then the lines theirs added (not in the base, not already in ours)."""
    had = set(base.decode("utf-8", "replace").splitlines())
    mine = ours.decode("utf-8", "replace").splitlines()
    present = set(mine)
    added = [
        line
        for line in theirs.decode("utf-8", "replace").splitlines()
        if line not in had and (line not in present or not line.strip())
    ]
    while added and not added[0].strip():
        added.pop(0)
    lines = mine + ([""] if added and mine and mine[-1].strip() else []) + added
    return ("\n".join(lines) + "\n").encode() if lines else b""


def merge_event_log(base: bytes, ours: bytes, theirs: bytes, where: Path) -> bytes:
    outcome = merge_logs(base, ours, theirs)
    if outcome.conflicts:
        write_atomic(where, outcome.data)  # both variants kept, for a person to choose
        raise DriverInputError(f"event ids with different payloads: {', '.join(outcome.conflicts)}")
    return outcome.data


#: ``merge-driver-<name>``: the merge of one kind of mission file.
DRIVERS: dict[str, Callable[[bytes, bytes, bytes, Path], bytes]] = {
    "event-log": merge_event_log,
    "meta": merge_meta,
    "traces": merge_markdown,
    "acceptance-matrix": _matrix(
        {"criteria": "criterion_id", "negative_invariants": "invariant_id"}
    ),
    "issue-matrix": _matrix({"rows": "issue_ref"}),
    "review-cycle": merge_markdown,
}


def run_driver(name: str, base: Path, ours: Path, theirs: Path) -> None:
    """Merge into ``ours`` (git's ``%A``); raises :class:`DriverInputError` (git: conflict)."""
    merged = DRIVERS[name](_read(base), _read(ours), _read(theirs), ours)
    write_atomic(ours, merged)
