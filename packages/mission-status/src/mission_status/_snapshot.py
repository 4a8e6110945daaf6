"""``StatusSnapshot``: what ``status.json`` says, and its exact text."""

from __future__ import annotations

import json
from itertools import chain
from operator import attrgetter
from typing import Any

import msgspec

from ._lanes import DISPLAY_LANES, Lane


class WPState(msgspec.Struct, frozen=True, kw_only=True):
    """One work package on the board. Optional runtime slots are UNSET when never written."""

    lane: Lane
    actor: str
    last_transition_at: str | None
    last_event_id: str | None
    force_count: int
    shell_pid: Any = msgspec.UNSET
    shell_pid_created_at: Any = msgspec.UNSET
    agent: Any = msgspec.UNSET
    assignee: Any = msgspec.UNSET
    role: Any = msgspec.UNSET
    agent_profile: Any = msgspec.UNSET
    agent_profile_version: Any = msgspec.UNSET
    model: Any = msgspec.UNSET
    provider: Any = msgspec.UNSET
    subtasks: dict[str, str] | msgspec.UnsetType = msgspec.UNSET
    notes: list[str] | msgspec.UnsetType = msgspec.UNSET
    tracker_refs: list[str] | msgspec.UnsetType = msgspec.UNSET
    review: dict[str, str] | msgspec.UnsetType | None = msgspec.UNSET
    review_result: dict[str, Any] | msgspec.UnsetType | None = msgspec.UNSET
    cancellation_reason: str | msgspec.UnsetType | None = msgspec.UNSET
    reason_source: str | msgspec.UnsetType | None = msgspec.UNSET


class StatusSnapshot(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The reduced state of a mission: the content of ``status.json``."""

    mission_slug: str
    mission_number: str
    mission_type: str
    materialized_at: str
    event_count: int
    last_event_id: str | None
    summary: dict[str, int]
    work_packages: dict[str, WPState]
    retrospective: dict[str, Any] | None = None

    def lane(self, wp_id: str) -> Lane | None:
        """The lane of ``wp_id``, or None when the mission has no such WP."""
        state = self.work_packages.get(wp_id)
        return state.lane if state is not None else None

    def to_dict(self) -> dict[str, Any]:
        """The ``status.json`` object (UNSET slots omitted, ``retrospective`` only when present)."""
        data: dict[str, Any] = msgspec.to_builtins(self)  # omits the default retrospective
        return data


_SUMMARY_KEYS = tuple(lane.value for lane in DISPLAY_LANES)


def empty_summary() -> dict[str, int]:
    return dict.fromkeys(_SUMMARY_KEYS, 0)


_ENCODER = msgspec.json.Encoder(order="sorted")
_OPAQUE_SLOTS = attrgetter("shell_pid", "shell_pid_created_at", "agent")
_PLAIN_TYPES = frozenset({str, bool, msgspec.UnsetType, type(None)})
_INT64 = range(-(2**63), 2**63)


def _msgspec_renders_like_json(snapshot: StatusSnapshot) -> bool:
    """msgspec's output equals ``json.dumps`` except for floats and very large ints.

    Those can only arrive through the opaque claim slots copied from a
    transition's ``policy_metadata``; every other value is typed.
    """
    values = list(chain.from_iterable(map(_OPAQUE_SLOTS, snapshot.work_packages.values())))
    kinds = set(map(type, values))
    if kinds <= _PLAIN_TYPES:
        return True
    if kinds - _PLAIN_TYPES != {int}:
        return False
    return all(value in _INT64 for value in values if type(value) is int)


def render_status_json(snapshot: StatusSnapshot) -> str:
    """The exact text of ``status.json`` for ``snapshot`` (spec-kitty's byte format).

    That format is ``json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False)``
    plus a newline; msgspec produces the same bytes much faster when it can.
    """
    if _msgspec_renders_like_json(snapshot):
        encoded = _ENCODER.encode(snapshot)
        return msgspec.json.format(encoded, indent=2).decode("utf-8") + "\n"
    return json.dumps(snapshot.to_dict(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
