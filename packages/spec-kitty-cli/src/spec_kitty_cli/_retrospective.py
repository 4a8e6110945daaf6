"""``retrospective.yaml``: the tracked record of a finished mission, in 3.x's record shape.

spec-kitty 3.2.7 reads this file (``retrospect summary``, ``agent retrospect synthesize``)
with a closed set of keys, so we write exactly its generator record: the mission's
identity, who wrote it and why (``provenance``), four finding lists and the evidence they
cite. A work package moved with ``--force`` is a ``not_helpful`` finding, citing the event
log; a mission with none has ``findings_status: ran_no_findings``. People add their own
findings to ``helped``, ``not_helpful``, ``gaps`` and ``proposals``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from mission_context import MissionExecutionContext
from mission_status import LOG_FILENAME, META_FILENAME, StatusSnapshot, isoformat
from spec_kitty_cli.__about__ import __version__

NAME = "retrospective.yaml"
SCHEMA_VERSION = 1
#: Every top-level key 3.x's reader accepts; it refuses any other.
KEYS = (
    "schema_version",
    "mission_id",
    "mission_slug",
    "mission_number",
    "friendly_name",
    "mission_type",
    "target_branch",
    "created_at",
    "created_by",
    "provenance",
    "policy_source",
    "findings_status",
    "helped",
    "not_helpful",
    "gaps",
    "proposals",
    "evidence_refs",
    "generator_version",
    "provenance_history",
)
FINDINGS = ("helped", "not_helpful", "gaps", "proposals")
#: Why the record was written: by the merge, or asked for with ``spec-kitty retrospect``.
Provenance = Literal["runtime_post_completion", "explicit_create"]
_COMMAND = {
    "runtime_post_completion": "spec-kitty merge",
    "explicit_create": "spec-kitty retrospect",
}


def record(
    ctx: MissionExecutionContext,
    snapshot: StatusSnapshot,
    meta: Mapping[str, Any],
    *,
    provenance: Provenance,
) -> dict[str, Any]:
    """The record of ``ctx``'s mission; ``meta`` is its meta.json as the target holds it."""
    now = isoformat(datetime.now(UTC))
    folder = ctx.mission_path
    evidence = [
        {"id": "e-001", "kind": "file", "path": f"{folder}/{META_FILENAME}"},
        {"id": "e-002", "kind": "file", "path": f"{folder}/{LOG_FILENAME}"},
    ]
    forced = [(wp_id, s.force_count) for wp_id, s in sorted(snapshot.work_packages.items())]
    not_helpful = [
        {
            "id": f"n-{n:03d}",
            "category": "process",
            "summary": f"{wp_id} required {count} --force override(s) during workflow",
            "evidence_refs": ["e-002"],
        }
        for n, (wp_id, count) in enumerate((f for f in forced if f[1]), start=1)
    ]
    number = meta.get("mission_number")
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "mission_id": ctx.identity.mission_id,
        "mission_slug": ctx.identity.mission_slug,
        "mission_number": number if isinstance(number, int) else None,
        "friendly_name": str(meta.get("friendly_name") or ctx.identity.mission_slug),
        "mission_type": str(meta.get("mission_type") or ""),
        "target_branch": ctx.branch_ref.target_branch,
        "created_at": now,
        "created_by": {"kind": "runtime", "id": "spec-kitty"},
        "provenance": {"kind": provenance, "invoked_at": now, "command": _COMMAND[provenance]},
        "policy_source": {},
        "findings_status": "has_findings" if not_helpful else "ran_no_findings",
        "helped": [],
        "not_helpful": not_helpful,
        "gaps": [],
        "proposals": [],
        "evidence_refs": evidence,
        "generator_version": f"spec-kitty {__version__}",
        "provenance_history": [],
    }
    return document
