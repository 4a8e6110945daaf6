"""``lanes.json``: which work packages share a lane, and in which order lanes land.

Read from the primary mission directory only. A lane id names a branch and a
directory, so it must be a safe path segment; anything else in the file is
``LANES_INVALID`` rather than a guess.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._errors import ContextError
from ._meta import LANES_FILENAME

_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True, slots=True)
class LanePlan:
    """One lane of ``lanes.json``."""

    lane_id: str
    wp_ids: tuple[str, ...]
    depends_on_lanes: tuple[str, ...]
    parallel_group: int


def read_lanes(mission_dir: Path) -> list[LanePlan]:
    """The lanes recorded in ``mission_dir/lanes.json``, in file order ([] without the file)."""
    path = mission_dir / LANES_FILENAME
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise _invalid(path, f"is not valid JSON ({exc})") from None
    raw_lanes = data.get("lanes") if isinstance(data, dict) else None
    if not isinstance(raw_lanes, list):
        raise _invalid(path, "has no `lanes` list")
    return [_lane(path, index, raw) for index, raw in enumerate(raw_lanes)]


def _lane(path: Path, index: int, raw: Any) -> LanePlan:
    if not isinstance(raw, dict):
        raise _invalid(path, f"lanes[{index}] is not an object")
    lane_id = raw.get("lane_id")
    if not isinstance(lane_id, str) or not _SAFE_SEGMENT.match(lane_id) or ".." in lane_id:
        raise _invalid(path, f"lanes[{index}].lane_id {lane_id!r} is not a safe name")
    group = raw.get("parallel_group")
    return LanePlan(
        lane_id=lane_id,
        wp_ids=_strings(path, f"lanes[{index}].wp_ids", raw.get("wp_ids")),
        depends_on_lanes=_strings(
            path, f"lanes[{index}].depends_on_lanes", raw.get("depends_on_lanes")
        ),
        parallel_group=group if isinstance(group, int) and not isinstance(group, bool) else 0,
    )


def _strings(path: Path, where: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid(path, f"{where} must be a list of strings")
    return tuple(value)


def _invalid(path: Path, what: str) -> ContextError:
    return ContextError(
        f"{path} {what}",
        code="LANES_INVALID",
        next_step="re-run `spec-kitty finalize-tasks` to rewrite lanes.json",
    )
