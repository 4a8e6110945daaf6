"""``spec-kitty accept``: is the mission finished? Every WP done (or canceled), planning
committed, no merge under way. Exits 1 when it is not."""

from __future__ import annotations

from pathlib import Path

from mission_context import Git, MissionExecutionContext, differing_from
from mission_status import Lane
from spec_kitty_cli._errors import EXIT_FAILURE
from spec_kitty_cli._merging import load_state
from spec_kitty_cli._output import Report
from spec_kitty_cli._planning import planning_files
from spec_kitty_cli._runtime import resolve


def accept(cwd: Path, mission: str | None) -> Report:
    """The readiness of ``mission``: ``ready`` and the problems in the way."""
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
    else:
        lines = [f"{ctx.mission_dir_name} is accepted: every work package is done."]
    return Report(document, lines, exit_code=EXIT_FAILURE if problems else 0)


def uncommitted(ctx: MissionExecutionContext, paths: list[Path]) -> list[str]:
    """Planning files whose content differs from the target branch (or are not on it)."""
    root = ctx.workspace.primary_root
    relative = [str(path.relative_to(root)) for path in paths]
    return differing_from(Git(root), f"refs/heads/{ctx.branch_ref.target_branch}", relative)
