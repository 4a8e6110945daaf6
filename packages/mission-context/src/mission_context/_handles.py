"""Mission handles: which ``kitty-specs/<dir>`` a ``--mission`` value names.

Forms (formats.md), tried in order; the first form with any match decides,
and more than one match is an error, never a guess:

1. a 26-character ULID: the exact ``mission_id``;
2. an 8-character ULID prefix (``mid8``): ``mission_id`` prefix;
3. the exact directory name;
4. the directory name without its ``NNN-`` prefix;
5. all digits: the ``NNN-`` prefix as a number.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from mission_status import META_FILENAME

from ._errors import ContextError
from ._meta import MISSION_ID, read_mission_id

#: What a mission handle or a lane id may look like (both also refuse a ``..``).
SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_MID8 = re.compile(r"^[0-9A-HJKMNP-TV-Z]{8}$")
_NUMBER_PREFIX = re.compile(r"^(\d+)-(.+)$")


def check_handle(handle: str) -> str:
    """``handle`` stripped; ``INVALID_MISSION_HANDLE`` unless it is a safe path segment."""
    cleaned = handle.strip()
    if not cleaned:  # 3.2.7's code for a missing --mission, kept for agents that branch on it
        raise ContextError(
            "no mission given",
            code="FEATURE_CONTEXT_UNRESOLVED",
            next_step="pass --mission <handle> (a directory name, mission id or mid8)",
        )
    if not SAFE_SEGMENT.match(cleaned) or ".." in cleaned:
        raise ContextError(
            f"{handle!r} is not a mission handle: use a directory name under kitty-specs/, "
            "a mission id, its first 8 characters or a mission number",
            code="INVALID_MISSION_HANDLE",
            next_step="run `spec-kitty status` without --mission to list the missions",
        )
    return cleaned


def mission_dirs(specs_root: Path) -> list[str]:
    """The mission directory names under ``kitty-specs/`` (every non-hidden directory).

    A directory whose meta.json is missing still counts: naming it gives
    ``MISSION_META_INVALID`` for that file, not a misleading "not found".
    """
    try:
        with os.scandir(specs_root) as entries:
            names = [e.name for e in entries if not e.name.startswith(".") and e.is_dir()]
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(names)


def resolve_handle(specs_root: Path, handle: str) -> str:
    """The directory name ``handle`` selects under ``specs_root``."""
    handle = check_handle(handle)
    upper = handle.upper()
    id_shaped = bool(MISSION_ID.match(upper) or _MID8.match(upper))
    if not id_shaped and os.path.isdir(os.path.join(specs_root, handle)):
        return handle  # the exact-name rule, without listing every mission (names are unique)
    names = mission_dirs(specs_root)

    def by_id(match: Callable[[str], bool]) -> list[str]:
        base = str(specs_root)
        ids = ((n, read_mission_id(f"{base}/{n}/{META_FILENAME}")) for n in names)
        return [n for n, mid in ids if mid is not None and match(mid)]

    rules: list[Callable[[], list[str]]] = []
    if MISSION_ID.match(upper):
        rules.append(lambda: by_id(lambda mid: mid == upper))
    elif _MID8.match(upper):
        rules.append(lambda: by_id(lambda mid: mid.startswith(upper)))
    rules.append(lambda: [n for n in names if n == handle])
    rules.append(lambda: [n for n in names if _without_number(n) == handle])
    if handle.isdigit():
        rules.append(lambda: [n for n in names if _number(n) == int(handle)])
    for rule in rules:
        found = rule()
        if len(found) == 1:
            return found[0]
        if found:
            raise ContextError(
                f"mission handle {handle!r} matches {len(found)} missions: {', '.join(found)}",
                code="MISSION_AMBIGUOUS_SELECTOR",
                next_step="pass the full directory name or mission id",
            )
    available = ", ".join(names) if names else "none"
    raise ContextError(
        f"no mission matches {handle!r} under {specs_root} (available: {available})",
        code="MISSION_NOT_FOUND",
        next_step="check the handle, or create the mission with `spec-kitty specify`",
    )


def _without_number(name: str) -> str | None:
    match = _NUMBER_PREFIX.match(name)
    return match.group(2) if match else None


def _number(name: str) -> int | None:
    match = _NUMBER_PREFIX.match(name)
    return int(match.group(1)) if match else None
