"""The reducer: transitions and annotations in, a ``StatusSnapshot`` out.

Rules (formats.md, spec-kitty 3.2.7 compatible):

1. transitions are deduplicated by ``event_id`` (first in file order wins);
2. ordered by (``at`` as a string, ``event_id``) and folded per WP, last wins,
   except that at an identical ``at`` a review rollback beats a forward move;
3. annotations are folded after every transition, ordered by (``at``, ``event_id``).

:class:`Reducer` folds records that arrive in order one by one, so a log that
is already sorted (the normal case) reduces in one streaming pass with memory
bounded by the number of WPs, and a refreshed view only folds the new tail.
``feed`` returns False when a record arrives out of order: the caller then
re-reduces everything with :func:`reduce`, which sorts first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from operator import attrgetter
from typing import Any

from ._events import (
    CLAIM_RELEASE_SLOTS,
    REPLACE_SLOTS,
    Annotation,
    AnnotationDelta,
    StatusEvent,
    actor_identity,
)
from ._lanes import Lane
from ._log import ForeignRow, LogRecord, RecordGroups
from ._snapshot import StatusSnapshot, WPState, empty_summary

_SYNTHETIC_REASON_PREFIXES = ("Force move to ", "move-task: ")
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_NUMBER_PREFIX = re.compile(r"^(\d+)-")
_TERMINAL_RETRO = {
    "retrospective.completed": "completed",
    "retrospective.skipped": "skipped",
    "retrospective.failed": "failed",
}


_REPLACE_VALUES = attrgetter(*REPLACE_SLOTS)
_NO_VALUES = (None,) * len(REPLACE_SLOTS)


class _Patch:
    """The composed effect of a WP's annotations, applied on top of its transition state."""

    __slots__ = ("first_actor", "has_review", "notes", "review", "slots", "subtasks", "tracker")

    def __init__(self, first_actor: str) -> None:
        self.first_actor = first_actor
        self.slots: dict[str, Any] = {}
        self.subtasks: dict[str, str] | None = None
        self.notes: list[str] | None = None
        self.tracker: tuple[bool, list[str]] | None = None  # (replace?, refs)
        self.review: dict[str, str] | None = None
        self.has_review = False

    def add(self, delta: AnnotationDelta) -> None:
        if delta.release_runtime_claim:
            for name in CLAIM_RELEASE_SLOTS:
                self.slots[name] = None
        values = _REPLACE_VALUES(delta)
        if values != _NO_VALUES:
            for name, value in zip(REPLACE_SLOTS, values, strict=True):
                if value is not None and value != "":
                    self.slots[name] = value
        subtasks = delta.subtasks
        if subtasks is not None:
            merged = dict(self.subtasks or {})
            # str() of a StrEnum member is its value, without Enum's slow .value lookup.
            merged.update(zip(subtasks.keys(), map(str, subtasks.values()), strict=True))
            self.subtasks = merged
        if delta.note is not None:
            self.notes = [*(self.notes or []), delta.note]
        if delta.tracker_refs_replace is not None:
            self.tracker = (True, _union([], delta.tracker_refs_replace))
        elif delta.tracker_refs is not None:
            replace, refs = self.tracker or (False, [])
            self.tracker = (replace, _union(refs, delta.tracker_refs))
        if delta.review is not None:
            self.has_review = True
            review = delta.review
            self.review = (
                None
                if review.is_release_sentinel
                else {
                    "at": review.at,
                    "actor": review.actor,
                    "wp_id": review.wp_id,
                    "reason": review.reason,
                }
            )

    def apply(self, state: dict[str, Any]) -> None:
        state.update(self.slots)
        if self.subtasks is not None:
            state["subtasks"] = {**(state.get("subtasks") or {}), **self.subtasks}
        if self.notes is not None:
            state["notes"] = [*(state.get("notes") or []), *self.notes]
        if self.tracker is not None:
            replace, refs = self.tracker
            state["tracker_refs"] = (
                refs if replace else _union(state.get("tracker_refs") or [], refs)
            )
        if self.has_review:
            state["review"] = self.review


def _union(base: list[str], extra: Iterable[str]) -> list[str]:
    merged = list(base)
    for ref in extra:
        if ref not in merged:
            merged.append(ref)
    return merged


def _reason_source(event: StatusEvent) -> str:
    if event.reason_source is not None:
        return event.reason_source
    reason = event.reason
    if reason is None or not reason.strip() or reason.startswith(_SYNTHETIC_REASON_PREFIXES):
        return "synthetic"
    return "operator"


_ABSENT: Any = object()
# Enum member lookups go through a descriptor; the hot loop uses plain names.
_PLANNED, _CLAIMED, _IN_PROGRESS = Lane.PLANNED, Lane.CLAIMED, Lane.IN_PROGRESS
_FOR_REVIEW, _IN_REVIEW = Lane.FOR_REVIEW, Lane.IN_REVIEW


class _Track:
    """What the transitions fold to for one WP; turned into a dict only for a snapshot."""

    __slots__ = ("claim", "event", "force_count", "review_result", "rollback")

    def __init__(self, event: StatusEvent) -> None:
        self.event = event
        self.force_count = 0
        self.rollback = False
        self.claim: dict[str, Any] = {}
        self.review_result: Any = _ABSENT

    def state(self) -> dict[str, Any]:
        event = self.event
        state: dict[str, Any] = {
            "lane": event.to_lane,
            "actor": actor_identity(event.actor),
            "last_transition_at": event.at,
            "last_event_id": event.event_id,
            "force_count": self.force_count,
            **self.claim,
        }
        if self.review_result is not _ABSENT:
            state["review_result"] = self.review_result
        if event.to_lane is Lane.CANCELED:
            state["cancellation_reason"] = event.reason
            state["reason_source"] = _reason_source(event)
        return state


class Reducer:
    """An incremental fold over records that arrive in (``at``, ``event_id``) order."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._tracks: dict[str, _Track] = {}
        self._patches: dict[str, _Patch] = {}
        self._last_key: tuple[str, str] | None = None
        self._last_annotation_key: tuple[str, str] | None = None
        self._first_slug: str | None = None
        self._retro_rows: list[dict[str, Any]] = []
        self.event_count = 0

    def feed(self, record: LogRecord) -> bool:
        """Fold one record; False (nothing changed) when it arrives out of order."""
        if type(record) is StatusEvent:
            return self.add_transitions((record,))
        if type(record) is Annotation:
            return self.add_annotation(record)
        if isinstance(record, ForeignRow) and record.record is not None:
            self._retro_rows.append(record.record)
        return True

    def feed_groups(self, groups: RecordGroups) -> bool:
        """Fold a block's records. False when one arrives out of order: the
        reducer is then part-way through the block and must be discarded."""
        if not self.add_transitions(groups.transitions):
            return False
        for annotation in groups.annotations:
            if not self.add_annotation(annotation):
                return False
        self._retro_rows.extend(groups.retrospective)
        return True

    def add_transition(self, event: StatusEvent) -> bool:
        return self.add_transitions((event,))

    def add_transitions(self, events: Iterable[StatusEvent]) -> bool:
        """Fold transitions in order; False (stopping there) at the first out-of-order one."""
        seen, tracks, last_key = self._seen, self._tracks, self._last_key
        count = self.event_count
        in_order = True
        for event in events:
            event_id = event.event_id
            if event_id in seen:
                continue
            key = (event.at, event_id)
            if last_key is not None and key < last_key:
                in_order = False
                break
            seen.add(event_id)
            last_key = key
            count += 1
            to_lane, from_lane = event.to_lane, event.from_lane
            rollback = to_lane is _IN_PROGRESS and (
                from_lane is _IN_REVIEW
                or (from_lane is _FOR_REVIEW and event.review_ref is not None)
            )
            track = tracks.get(event.wp_id)
            if track is None:
                track = tracks[event.wp_id] = _Track(event)
                if self._first_slug is None:
                    self._first_slug = event.mission_slug or ""
            elif track.rollback and not rollback and track.event.at == event.at:
                continue  # at the same instant a review rollback beats a forward move
            track.event = event
            track.rollback = rollback
            if event.force:
                track.force_count += 1
            if from_lane is _PLANNED and to_lane is _CLAIMED:
                meta = event.policy_metadata or {}
                for slot in ("shell_pid", "shell_pid_created_at"):
                    if meta.get(slot) is not None:
                        track.claim[slot] = meta[slot]
                if meta.get("agent"):
                    track.claim["agent"] = meta["agent"]
            result = event.review_result
            if result is not None:
                track.review_result = result.to_record()
            elif from_lane is _IN_REVIEW:
                track.review_result = None
        self._last_key, self.event_count = last_key, count
        return in_order

    def add_annotation(self, annotation: Annotation) -> bool:
        key = (annotation.at, annotation.event_id)
        if self._last_annotation_key is not None and key < self._last_annotation_key:
            return False
        self._last_annotation_key = key
        patch = self._patches.get(annotation.wp_id)
        if patch is None:
            patch = self._patches[annotation.wp_id] = _Patch(actor_identity(annotation.actor))
        patch.add(annotation.delta)
        return True

    def snapshot(self, *, mission_number: str = "", mission_type: str = "") -> StatusSnapshot:
        """The snapshot of everything fed so far."""
        work_packages: dict[str, WPState] = {}
        summary = empty_summary()
        for wp_id in sorted(self._tracks.keys() | self._patches.keys()):
            track = self._tracks.get(wp_id)
            patch = self._patches.get(wp_id)
            if track is not None:
                state = track.state()
            else:
                assert patch is not None
                state = {
                    "lane": Lane.UNINITIALIZED,
                    "actor": patch.first_actor,
                    "last_transition_at": None,
                    "last_event_id": None,
                    "force_count": 0,
                }
            if patch is not None:
                patch.apply(state)
            work_packages[wp_id] = WPState(**state)
            lane = str(state["lane"])
            if lane in summary:
                summary[lane] += 1
        slug = self._first_slug or ""
        slug = slug if _SAFE_SEGMENT.fullmatch(slug) and ".." not in slug else ""
        last_at, last_id = self._last_key if self._last_key else ("", None)
        return StatusSnapshot(
            mission_slug=slug.strip(),
            mission_number=mission_number or _number_from_slug(slug),
            mission_type=mission_type,
            materialized_at=last_at,
            event_count=self.event_count,
            last_event_id=last_id,
            summary=summary,
            work_packages=work_packages,
            retrospective=_retrospective(self._retro_rows) if self._retro_rows else None,
        )


def _number_from_slug(slug: str) -> str:
    match = _NUMBER_PREFIX.match(slug)
    return str(int(match.group(1))) if match else ""


def reduce(
    transitions: Iterable[StatusEvent],
    annotations: Iterable[Annotation] = (),
    *,
    mission_number: str = "",
    mission_type: str = "",
) -> StatusSnapshot:
    """Reduce transitions and annotations (in file order) to a snapshot. Pure.

    ``mission_number`` and ``mission_type`` come from ``meta.json`` (see
    :func:`materialize_snapshot`); the number falls back to the ``NNN-`` prefix
    of the mission slug.
    """
    return reduce_records([*transitions, *annotations]).snapshot(
        mission_number=mission_number, mission_type=mission_type
    )


def reduce_records(records: Iterable[LogRecord]) -> Reducer:
    """Fold records given in file order, sorting what needs sorting."""
    seen: set[str] = set()
    transitions: list[StatusEvent] = []
    annotations: list[Annotation] = []
    reducer = Reducer()
    for record in records:
        if isinstance(record, StatusEvent):
            if record.event_id not in seen:
                seen.add(record.event_id)
                transitions.append(record)
        elif isinstance(record, Annotation):
            annotations.append(record)
        else:
            reducer.feed(record)
    transitions.sort(key=lambda e: (e.at, e.event_id))
    annotations.sort(key=lambda a: (a.at, a.event_id))
    for event in transitions:
        reducer.add_transition(event)
    for annotation in annotations:
        reducer.add_annotation(annotation)
    return reducer


def _text(value: Any) -> str:
    """Python's ``str()`` of a JSON value, as spec-kitty applies it to these fields."""
    if isinstance(value, str):
        return value
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _retrospective(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(
        rows, key=lambda row: (_text(row.get("at", "")), _text(row.get("event_id", "")))
    )
    names = [row.get("event_name") for row in rows]
    terminal = [row for row in ordered if row.get("event_name") in _TERMINAL_RETRO]
    requested = [row for row in ordered if row.get("event_name") == "retrospective.requested"]
    mode = None
    if requested:
        payload = requested[-1].get("payload") or {}
        mode = _valid_mode(payload.get("mode") if isinstance(payload, dict) else None)
    status, record_path = "pending", None
    if terminal:
        latest = terminal[-1]
        status = _TERMINAL_RETRO[latest["event_name"]]
        payload = latest.get("payload") or {}
        raw_path = payload.get("record_path") if isinstance(payload, dict) else None
        record_path = _text(raw_path) if raw_path is not None else None
    total = names.count("retrospective.proposal.generated")
    applied = names.count("retrospective.proposal.applied")
    rejected = names.count("retrospective.proposal.rejected")
    return {
        "status": status,
        "mode": mode,
        "record_path": record_path,
        "proposals_total": total,
        "proposals_applied": applied,
        "proposals_rejected": rejected,
        "proposals_pending": max(0, total - applied - rejected),
    }


_MODE_VALUES = {"autonomous", "human_in_command"}
_SIGNAL_KINDS = {"charter_override", "explicit_flag", "environment", "parent_process"}


def _valid_mode(mode: Any) -> dict[str, Any] | None:
    """The retrospective mode when it has exactly the documented shape, else None."""
    if not isinstance(mode, dict) or set(mode) != {"value", "source_signal"}:
        return None
    value, signal = mode["value"], mode["source_signal"]
    if not isinstance(value, str) or value not in _MODE_VALUES or not isinstance(signal, dict):
        return None
    kind = signal.get("kind")
    if (
        set(signal) != {"kind", "evidence"}
        or not isinstance(kind, str)
        or kind not in _SIGNAL_KINDS
    ):
        return None
    if not isinstance(signal["evidence"], str):
        return None
    return {
        "value": mode["value"],
        "source_signal": {"kind": signal["kind"], "evidence": signal["evidence"]},
    }
