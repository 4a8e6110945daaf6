"""The rows of ``status.events.jsonl``: typed values plus spec-kitty's byte style.

Decoding uses msgspec (typed, fast). Encoding writes each row as Python's
``json.dumps(row, sort_keys=True)`` does, so logs written by this package and by
spec-kitty 3.x diff cleanly.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from ._lanes import Lane


class Actor(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A structured actor (a resolved agent binding): exactly these four fields."""

    role: str | None
    profile: str | None
    tool: str | None
    model: str | None

    @property
    def identity(self) -> str:
        """The display identity: the tool, else the role, else empty."""
        return self.tool or self.role or ""


#: An actor as stored: a plain string, or a structured :class:`Actor`.
ActorField = str | Actor


def actor_identity(actor: ActorField) -> str:
    """The string form of an actor used on the board."""
    return actor.identity if isinstance(actor, Actor) else actor


class ReviewApproval(msgspec.Struct, frozen=True, kw_only=True):
    """Who reviewed, the verdict and where the review lives."""

    reviewer: str
    verdict: str
    reference: str


class RepoEvidence(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A repository, branch and commit the work landed in."""

    repo: str
    branch: str
    commit: str
    files_touched: list[str] = []


class VerificationResult(msgspec.Struct, frozen=True, kw_only=True):
    """A verification command and its outcome (``pass``, ``fail`` or ``skip``)."""

    command: str
    result: str
    summary: str


class Evidence(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Evidence that work was reviewed (required to approve or finish a WP)."""

    review: ReviewApproval
    repos: list[RepoEvidence] = []
    verification: list[VerificationResult] = []

    def to_record(self) -> dict[str, Any]:
        """The JSON object written to the log: empty lists are left out."""
        record: dict[str, Any] = msgspec.to_builtins(self)
        return record


class ReviewResult(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A reviewer's verdict: ``approved`` or ``changes_requested``."""

    reviewer: str
    verdict: str
    reference: str
    feedback_path: str | None = None

    def to_record(self) -> dict[str, Any]:
        """The JSON object written to the log: no ``feedback_path`` unless there is one."""
        record: dict[str, Any] = msgspec.to_builtins(self)
        return record


class StatusEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One lane transition: one line of the event log."""

    event_id: str
    mission_slug: str
    wp_id: str
    from_lane: Lane
    to_lane: Lane
    at: str
    actor: ActorField
    force: bool
    execution_mode: str
    reason: str | None = None
    review_ref: str | None = None
    evidence: Evidence | None = None
    review_result: ReviewResult | None = None
    policy_metadata: dict[str, Any] | None = None
    mission_id: str | None = None
    reason_source: str | None = None

    @property
    def is_rollback(self) -> bool:
        """A reviewer sending work back to in_progress (from in_review, or for_review + ref)."""
        if self.to_lane is not Lane.IN_PROGRESS:
            return False
        return self.from_lane is Lane.IN_REVIEW or (
            self.from_lane is Lane.FOR_REVIEW and self.review_ref is not None
        )

    def to_record(self) -> dict[str, Any]:
        """The JSON object written to the log (spec-kitty's field set)."""
        record: dict[str, Any] = {
            "event_id": self.event_id,
            "mission_slug": self.mission_slug,
            "wp_id": self.wp_id,
            "from_lane": self.from_lane.value,
            "to_lane": self.to_lane.value,
            "at": self.at,
            "actor": msgspec.to_builtins(self.actor),
            "force": self.force,
            "execution_mode": self.execution_mode,
            "reason": self.reason,
            "review_ref": self.review_ref,
            "evidence": self.evidence.to_record() if self.evidence is not None else None,
            "policy_metadata": self.policy_metadata,
        }
        if self.review_result is not None:
            record["review_result"] = self.review_result.to_record()
        if self.reason_source is not None:
            record["reason_source"] = self.reason_source
        if self.mission_id is not None:
            record["mission_id"] = self.mission_id
        return record


class ReviewOverride(msgspec.Struct, frozen=True, kw_only=True):
    """An arbiter's review override; all four fields empty means "clear it"."""

    at: str
    actor: str
    wp_id: str
    reason: str

    @property
    def is_release_sentinel(self) -> bool:
        return not (self.at or self.actor or self.wp_id or self.reason)


class AnnotationDelta(msgspec.Struct, frozen=True, kw_only=True):
    """The runtime slots an annotation changes; absent fields change nothing."""

    shell_pid: int | None = None
    shell_pid_created_at: str | None = None
    agent: str | None = None
    assignee: str | None = None
    role: str | None = None
    agent_profile: str | None = None
    agent_profile_version: str | None = None
    model: str | None = None
    provider: str | None = None
    subtasks: dict[str, Lane] | None = None
    note: str | None = None
    tracker_refs: list[str] | None = None
    tracker_refs_replace: list[str] | None = None
    review: ReviewOverride | None = None
    release_runtime_claim: bool = False

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            name: value
            for name, value in msgspec.structs.asdict(self).items()
            if value is not None and value != "" and name != "release_runtime_claim"
        }
        if self.review is not None:
            record["review"] = msgspec.to_builtins(self.review)
        if self.subtasks is not None:
            record["subtasks"] = {k: str(v) for k, v in self.subtasks.items()}
        if self.release_runtime_claim:
            record["release_runtime_claim"] = True
        return record


#: Scalar slots an annotation replaces (a present, non-empty value wins).
REPLACE_SLOTS: tuple[str, ...] = (
    "shell_pid",
    "shell_pid_created_at",
    "agent",
    "assignee",
    "role",
    "agent_profile",
    "agent_profile_version",
    "model",
    "provider",
)
#: Slots cleared by ``release_runtime_claim``.
CLAIM_RELEASE_SLOTS: tuple[str, ...] = ("agent", "shell_pid", "shell_pid_created_at")


class Annotation(msgspec.Struct, frozen=True, kw_only=True):
    """An off-axis change to a WP's runtime slots (``kind: annotation``)."""

    event_id: str
    wp_id: str
    at: str
    actor: ActorField
    delta: AnnotationDelta

    def to_record(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "kind": "annotation",
            "wp_id": self.wp_id,
            "at": self.at,
            "actor": msgspec.to_builtins(self.actor),
            "delta": self.delta.to_record(),
        }


def encode_line(record: dict[str, Any]) -> bytes:
    """One log line in spec-kitty's byte style (``json.dumps(sort_keys=True)`` + newline)."""
    return (json.dumps(record, sort_keys=True) + "\n").encode("ascii")
