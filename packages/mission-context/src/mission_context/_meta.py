"""``meta.json``, read from the primary checkout only, and the topology it implies."""

from __future__ import annotations

import enum
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from mission_status import META_FILENAME, write_atomic

from ._errors import ContextError

LANES_FILENAME = "lanes.json"
MISSION_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


class Topology(enum.StrEnum):
    """How a mission's branches are laid out."""

    SINGLE_BRANCH = "single_branch"
    LANES = "lanes"
    COORD = "coord"
    LANES_WITH_COORD = "lanes_with_coord"

    @property
    def uses_coordination(self) -> bool:
        return self in (Topology.COORD, Topology.LANES_WITH_COORD)

    @property
    def uses_lanes(self) -> bool:
        return self in (Topology.LANES, Topology.LANES_WITH_COORD)


class MissionMeta(msgspec.Struct, frozen=True):
    """The fields of ``meta.json`` that place a mission; ``raw`` keeps every key as read."""

    path: Path
    mission_id: str
    mission_slug: str
    target_branch: str
    mission_type: str
    mission_number: int | None
    friendly_name: str
    recorded_topology: str | None
    coordination_branch: str | None
    change_mode: str | None
    raw: Mapping[str, Any]

    @property
    def mid8(self) -> str:
        return self.mission_id[:8]

    @classmethod
    def read(cls, path: Path) -> MissionMeta:
        """Parse ``path``. Raises ``MISSION_META_INVALID`` naming the file and the field."""
        try:
            data = json.loads(path.read_bytes())
        except FileNotFoundError:
            raise _invalid(path, "is missing") from None
        except (OSError, ValueError) as exc:
            raise _invalid(path, f"is not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise _invalid(path, "must hold a JSON object")
        mission_id = data.get("mission_id")
        if not isinstance(mission_id, str) or not MISSION_ID.match(mission_id):
            raise _invalid(path, f"has no valid mission_id (a 26-character ULID): {mission_id!r}")
        target = data.get("target_branch")
        if not isinstance(target, str) or not target.strip():
            raise _invalid(path, "has no target_branch")
        number = data.get("mission_number")
        return cls(
            path=path,
            mission_id=mission_id,
            mission_slug=_text(data.get("mission_slug")) or path.parent.name,
            target_branch=target.strip(),
            mission_type=_text(data.get("mission_type")) or "software-dev",
            mission_number=number
            if isinstance(number, int) and not isinstance(number, bool)
            else None,
            friendly_name=_text(data.get("friendly_name")),
            recorded_topology=_text(data.get("topology")) or None,
            coordination_branch=_text(data.get("coordination_branch")) or None,
            change_mode=_text(data.get("change_mode")) or None,
            raw=data,
        )

    def topology(self, mission_dir: Path) -> Topology:
        """The recorded topology when valid, else derived (formats.md), never written."""
        try:
            return Topology(self.recorded_topology or "")
        except ValueError:
            pass
        lanes = (mission_dir / LANES_FILENAME).is_file()
        if self.coordination_branch:
            return Topology.LANES_WITH_COORD if lanes else Topology.COORD
        return Topology.LANES if lanes else Topology.SINGLE_BRANCH


class _Probe(msgspec.Struct):
    """The two keys read from every mission's meta.json; the decoder skips all others."""

    mission_id: Any = None
    mission_number: Any = None


_PROBE = msgspec.json.Decoder(_Probe)


def read_mission_id(path: Path | str) -> str | None:
    """Only the valid ``mission_id`` of the meta.json at ``path``, else None.

    What handle lookup needs from every mission: several times cheaper than
    :meth:`MissionMeta.read` (one sized read, a decoder that skips every other
    key). A damaged file is reported when its mission is named directly.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        data = os.read(fd, os.fstat(fd).st_size)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        mission_id = _PROBE.decode(data).mission_id
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return mission_id if isinstance(mission_id, str) and MISSION_ID.match(mission_id) else None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _invalid(path: Path, what: str) -> ContextError:
    return ContextError(
        f"{path} {what}",
        code="MISSION_META_INVALID",
        next_step=f"repair {path} (restore it with `git checkout -- {path}` if it was damaged)",
    )


def write_meta(path: Path, changes: Mapping[str, Any]) -> bool:
    """Set ``changes`` in the meta.json at ``path``, keeping every other key as it was.

    Written as spec-kitty writes it (keys sorted, indent 2, one trailing newline),
    atomically. Returns whether the file changed.
    """
    data = {**MissionMeta.read(path).raw, **changes}
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if path.read_text(encoding="utf-8") == text:
        return False
    write_atomic(path, text.encode("utf-8"))
    return True


_LEGACY_NUMBER = re.compile(r"^(\d{3,})-")


def highest_mission_number(specs_dir: Path) -> int:
    """The highest mission number in ``specs_dir`` (meta.json and ``NNN-`` names; 0 if none)."""
    highest = 0
    try:
        entries = list(os.scandir(specs_dir))
    except OSError:
        return 0
    for entry in entries:
        legacy = _LEGACY_NUMBER.match(entry.name)
        if legacy:
            highest = max(highest, int(legacy.group(1)))
        try:
            number = _PROBE.decode(Path(entry.path, META_FILENAME).read_bytes())
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            continue
        value = number.mission_number
        if isinstance(value, int) and not isinstance(value, bool):
            highest = max(highest, value)
    return highest


def assign_mission_number(mission_dir: Path) -> tuple[int | None, Path]:
    """Number the mission at ``mission_dir`` max+1 over its siblings (a target checkout's missions).

    Returns the new number (None when the mission already has one, so a resumed
    merge never renumbers) and the meta.json path, to commit.
    """
    path = mission_dir / META_FILENAME
    if MissionMeta.read(path).mission_number is not None:
        return None, path
    number = highest_mission_number(mission_dir.parent) + 1
    write_meta(path, {"mission_number": number})
    return number, path
