"""``lanes.json``: which work packages share a lane, and in which order lanes land.

The one owner of the format: :func:`lanes_document` and :func:`write_lanes` make
the file (``finalize-tasks``), :func:`read_lanes` reads it, from the primary
mission directory only. A lane id names a branch and a directory, so it must be
a safe path segment; anything else in the file is ``LANES_INVALID`` rather than
a guess.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from mission_status import write_atomic

from ._errors import ContextError
from ._handles import SAFE_SEGMENT
from ._meta import LANES_FILENAME


class LanePlan(msgspec.Struct, frozen=True):
    """One lane of ``lanes.json``: WPs that share files run one after another in it.

    ``write_scope`` is the files its WPs own, ``predicted_surfaces`` their top-level
    directories; a lane lands after every lane of ``depends_on_lanes``, and lanes of
    one ``parallel_group`` can run at the same time.
    """

    lane_id: str
    wp_ids: tuple[str, ...]
    write_scope: tuple[str, ...]
    predicted_surfaces: tuple[str, ...]
    depends_on_lanes: tuple[str, ...]
    parallel_group: int


def lanes_document(
    lanes: Sequence[LanePlan],
    *,
    mission_slug: str,
    mission_id: str,
    mission_branch: str,
    target_branch: str,
    computed_at: str,
    planning_artifact_wps: Sequence[str],
) -> dict[str, Any]:
    """The ``lanes.json`` document (JSON-serialisable; the keys spec-kitty 3.2.7 requires)."""
    return {
        "version": 1,
        "mission_slug": mission_slug,
        "mission_id": mission_id,
        "mission_branch": mission_branch,
        "target_branch": target_branch,
        "lanes": [
            {
                "lane_id": lane.lane_id,
                "wp_ids": list(lane.wp_ids),
                "write_scope": list(lane.write_scope),
                "predicted_surfaces": list(lane.predicted_surfaces),
                "depends_on_lanes": list(lane.depends_on_lanes),
                "parallel_group": lane.parallel_group,
            }
            for lane in lanes
        ],
        "computed_at": computed_at,
        "computed_from": "dependency_graph+ownership",
        "planning_artifact_wps": list(planning_artifact_wps),
    }


def write_lanes(mission_dir: Path, document: dict[str, Any]) -> bool:
    """Write ``mission_dir/lanes.json``; an unchanged allocation keeps its file (and
    ``computed_at``) as it is. Keys the previous file has and ``document`` does not (3.x's
    ``planning_commit_sha``, say) are kept. True when the file was written."""
    path = mission_dir / LANES_FILENAME
    try:
        previous = json.loads(path.read_bytes())
    except (OSError, ValueError):
        previous = None
    if isinstance(previous, dict):
        document = {**document, **{k: v for k, v in previous.items() if k not in document}}
        if {**document, "computed_at": previous.get("computed_at")} == previous:
            return False
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    write_atomic(path, text.encode("utf-8"))
    return True


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
    if not isinstance(lane_id, str) or not SAFE_SEGMENT.match(lane_id) or ".." in lane_id:
        raise _invalid(path, f"lanes[{index}].lane_id {lane_id!r} is not a safe name")
    group = raw.get("parallel_group")
    return LanePlan(
        lane_id=lane_id,
        wp_ids=_strings(path, index, raw, "wp_ids"),
        write_scope=_strings(path, index, raw, "write_scope"),
        predicted_surfaces=_strings(path, index, raw, "predicted_surfaces"),
        depends_on_lanes=_strings(path, index, raw, "depends_on_lanes"),
        parallel_group=group if isinstance(group, int) and not isinstance(group, bool) else 0,
    )


def _strings(path: Path, index: int, lane: dict[str, Any], key: str) -> tuple[str, ...]:
    value = lane.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid(path, f"lanes[{index}].{key} must be a list of strings")
    return tuple(value)


def _invalid(path: Path, what: str) -> ContextError:
    return ContextError(
        f"{path} {what}",
        code="LANES_INVALID",
        next_step=f"re-run `spec-kitty finalize-tasks --mission {path.parent.name}` "
        "to rewrite lanes.json",
    )
