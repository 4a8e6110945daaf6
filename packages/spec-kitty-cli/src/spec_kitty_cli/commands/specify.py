"""``spec-kitty specify``: a new mission, committed to its target branch."""

from __future__ import annotations

from pathlib import Path

from mission_context import CoordinationWorkspace, create_mission, resolve_action_context
from spec_kitty_cli._output import Report
from spec_kitty_cli._templates import mission_type as type_named
from spec_kitty_cli._templates import render


def specify(
    cwd: Path, name: str, *, topology: str, target_branch: str | None, mission_type: str
) -> Report:
    """Create ``kitty-specs/<slug>-<mid8>`` (and, for coord topologies, its coordination
    branch and worktree) and commit it to the target branch. An unknown mission type is
    refused (``UNKNOWN_MISSION_TYPE``) before anything is written."""
    kind = type_named(mission_type, strict=True)
    made = create_mission(
        cwd=cwd,
        name=name,
        topology=topology,
        target_branch=target_branch,
        mission_type=kind.name,
        spec_text=render(kind.spec, name.strip()),
    )
    meta = made.meta
    if meta.coordination_branch:
        ctx = resolve_action_context(cwd=cwd, action="specify", mission=made.mission_dir.name)
        CoordinationWorkspace.resolve(ctx)
    document = {
        "mission_id": meta.mission_id,
        "mission_slug": meta.mission_slug,
        "mid8": meta.mid8,
        "topology": meta.topology(made.mission_dir).value,
        "target_branch": meta.target_branch,
        "coordination_branch": meta.coordination_branch,
        "feature_dir": str(made.mission_dir),  # the key 3.2.7's agents read
    }
    lines = [
        f"Created {meta.mission_slug} ({document['topology']})",
        f"  spec: {made.mission_dir / 'spec.md'}",
        f"  committed to {meta.target_branch}",
    ]
    if meta.coordination_branch:
        lines.append(f"  coordination branch: {meta.coordination_branch}")
    lines.append(
        f"Next: write the spec (replace the template), then `spec-kitty plan --mission {meta.mid8}`"
    )
    return Report(document, lines)
