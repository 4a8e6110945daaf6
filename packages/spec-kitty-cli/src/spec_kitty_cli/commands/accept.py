"""``spec-kitty accept``: is the mission finished? Every WP done (or canceled), planning
committed, no merge under way. Exits 1 when it is not; when it is, records the acceptance
in ``meta.json`` (``accepted_at``, ``accepted_by``, ``accepted_from_commit``,
``acceptance_mode``, appended to ``acceptance_history``, as spec-kitty 3.x does) once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from mission_context import Git, MissionExecutionContext, branch_tip, differing_from, write_meta
from mission_status import Lane, isoformat
from spec_kitty_cli._errors import EXIT_FAILURE
from spec_kitty_cli._merging import load_state
from spec_kitty_cli._output import Report
from spec_kitty_cli._planning import planning_files
from spec_kitty_cli._runtime import resolve


def accept(cwd: Path, mission: str | None, actor: str) -> Report:
    """The readiness of ``mission``: ``ready`` and the problems in the way; when ready, the
    acceptance by ``actor`` recorded (a second run reports the first acceptance)."""
    ctx = resolve(cwd, "accept", mission)
    snapshot = ctx.status().snapshot()
    problems = [
        f"{wp_id} is {state.lane.value}"
        for wp_id, state in sorted(snapshot.work_packages.items())
        if state.lane not in (Lane.DONE, Lane.CANCELED)
    ]
    if not snapshot.work_packages:
        problems.append("no work packages")
    if load_state(ctx) is not None:
        problems.append("a merge is under way")
    problems += [f"{name} is not committed" for name in uncommitted(ctx, planning_files(ctx))]
    document = {"mission": ctx.mission_dir_name, "ready": not problems, "problems": problems}
    if problems:
        lines = [f"{ctx.mission_dir_name} is not ready:", *(f"  - {p}" for p in problems)]
        lines.append(f"Next: spec-kitty next --mission {ctx.identity.mid8}")
        return Report(document, lines, exit_code=EXIT_FAILURE)
    recorded, commit = _record(ctx, actor)
    document |= {
        "accepted_at": recorded["accepted_at"],
        "accepted_by": recorded["accepted_by"],
        "accepted_from_commit": recorded["accepted_from_commit"],
        "commit": commit,
    }
    lines = [
        f"{ctx.mission_dir_name} is accepted: every work package is done.",
        f"  accepted by {recorded['accepted_by']} at {recorded['accepted_at']}",
    ]
    return Report(document, lines)


def _record(ctx: MissionExecutionContext, actor: str) -> tuple[dict[str, str], str | None]:
    """The acceptance in meta.json (written and committed now unless already there)."""
    from spec_kitty_cli._runtime import commit_files

    raw = ctx.meta.raw
    if raw.get("accepted_at"):
        fields = ("accepted_at", "accepted_by", "accepted_from_commit")
        return {key: str(raw.get(key) or "") for key in fields}, None
    target = ctx.branch_ref.target_branch
    entry = {
        "accepted_at": isoformat(datetime.now(UTC)),
        "accepted_by": actor,
        "accepted_from_commit": branch_tip(Git(ctx.workspace.primary_root), target) or "",
        "acceptance_mode": "local",
    }
    history = raw.get("acceptance_history")
    write_meta(
        ctx.meta.path,
        {**entry, "acceptance_history": [*(history if isinstance(history, list) else []), entry]},
    )
    made = commit_files(ctx, [ctx.meta.path], f"accept: {ctx.mission_dir_name}")
    return entry, made.sha if made else None


def uncommitted(ctx: MissionExecutionContext, paths: list[Path]) -> list[str]:
    """Planning files whose content differs from the target branch (or are not on it)."""
    root = ctx.workspace.primary_root
    relative = [str(path.relative_to(root)) for path in paths]
    return differing_from(Git(root), f"refs/heads/{ctx.branch_ref.target_branch}", relative)
