"""``spec-kitty doctor``: a read-only health check of one mission, or of every mission.

It never writes: for each mission it resolves the context, reads the
event log, compares the committed ``status.json`` with the log's reduction,
looks for claims nobody has touched in a week and for worktrees that no lane
owns. Errors make it exit 1; warnings do not.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
from rich.progress import Progress as Bar

from mission_context import (
    MissionExecutionContext,
    incomplete_worktrees,
    is_checkout,
    list_missions,
    missing_merge_drivers,
    registered_worktrees,
    resolve_action_context,
)
from mission_status import (
    STATUS_FILENAME,
    Lane,
    MissionStatusError,
    render_status_json,
)
from spec_kitty_cli._errors import EXIT_FAILURE
from spec_kitty_cli._output import Report
from spec_kitty_cli._runtime import console, repository_root, resolve

STALE_CLAIM = timedelta(days=7)
_CLAIMS = frozenset({Lane.CLAIMED, Lane.IN_PROGRESS})


class Finding(msgspec.Struct, frozen=True):
    severity: str  # "error" | "warning"
    code: str
    message: str
    next_step: str


def _check_mission(cwd: Path, name: str, worktrees: list[Path], now: datetime) -> list[Finding]:
    try:
        ctx = resolve_action_context(cwd=cwd, action="doctor", mission=name)
        status = ctx.status()
        snapshot = status.snapshot()
    except MissionStatusError as err:
        return [Finding("error", err.code, err.message, err.next_step)]
    findings = []
    coord = ctx.workspace.coord_worktree
    if coord is not None and not is_checkout(coord):
        findings.append(
            Finding(
                "warning",
                "COORDINATION_WORKTREE_MISSING",
                f"{coord} (the checkout of {ctx.branch_ref.coordination_branch}) is gone; the "
                "status is read from the branch itself",
                f"spec-kitty materialize --mission {ctx.identity.mid8} (it recreates it)",
            )
        )
    view = status.mission_dir / STATUS_FILENAME
    if view.is_file() and view.read_text(encoding="utf-8") != render_status_json(snapshot):
        findings.append(
            Finding(
                "warning",
                "STATUS_JSON_DRIFT",
                f"{view} differs from what the event log says",
                f"spec-kitty materialize --mission {ctx.identity.mid8}",
            )
        )
    for wp_id, state in sorted(snapshot.work_packages.items()):
        if state.lane in _CLAIMS and state.last_transition_at:
            try:
                since = datetime.fromisoformat(state.last_transition_at.replace("Z", "+00:00"))
            except ValueError:
                continue
            if now - since > STALE_CLAIM:
                findings.append(
                    Finding(
                        "warning",
                        "STALE_CLAIM",
                        f"{wp_id} has been {state.lane.value} by {state.actor or 'someone'} "
                        f"since {state.last_transition_at}",
                        f"check with {state.actor or 'its agent'}, or release it: "
                        + (
                            f"`spec-kitty move-task {wp_id} --to planned --note <why>`"
                            if state.lane is Lane.IN_PROGRESS
                            else f"`spec-kitty move-task {wp_id} --to planned --force "
                            "--reason <why>`"
                        ),
                    )
                )
    findings += _orphans(ctx, worktrees)
    findings += _incomplete(ctx)
    return findings


def _incomplete(ctx: MissionExecutionContext) -> list[Finding]:
    """This mission's worktrees whose ``git worktree add`` was interrupted (no index)."""
    wps = {ctx.lane_worktree(plan.lane_id): plan.wp_ids for plan in ctx.lanes()}
    findings = []
    for path in incomplete_worktrees(ctx):
        if path not in wps:
            continue
        wp = wps[path][0] if wps[path] else "WPxx"
        findings.append(
            Finding(
                "error",
                "WORKTREE_INCOMPLETE",
                f"{path} was never finished (`git worktree add` was interrupted): it has no "
                "index, so a commit there would delete every file from the lane",
                f"spec-kitty implement {wp} --mission {ctx.identity.mid8} --agent <you> "
                "(it finishes the worktree, keeping every file in it)",
            )
        )
    return findings


def _orphans(ctx: MissionExecutionContext, worktrees: list[Path]) -> list[Finding]:
    """Worktrees named after this mission that no lane, coordination or merge owns."""
    known = {ctx.lane_worktree(plan.lane_id) for plan in ctx.lanes()}
    if ctx.workspace.coord_worktree is not None:
        known.add(ctx.workspace.coord_worktree)
    parent = ctx.lane_worktree("x").parent
    prefix = f"{ctx.mission_dir_name}-"
    return [
        Finding(
            "warning",
            "ORPHAN_WORKTREE",
            f"{path} belongs to {ctx.mission_dir_name} but to none of its lanes"
            + ("" if path.exists() else " (its directory is gone)"),
            f"`git worktree remove --force {path}` once nothing in it is needed"
            if path.exists()
            else "`git worktree prune`",
        )
        for path in worktrees
        if path.parent == parent
        and path.name.startswith(prefix)
        and path not in known
        and not path.name.endswith("-merge")
    ]


def doctor(cwd: Path, mission: str | None, *, quiet: bool) -> Report:
    """Check one mission (or all); exit 1 when any error is found.

    A progress bar shows on stderr for 20 missions or more, unless ``quiet``.
    """
    if mission is not None:
        names = [resolve(cwd, "doctor", mission).mission_dir_name]
    else:
        names = list_missions(cwd=cwd)
    root = Path(cwd)
    worktrees = registered_worktrees(root)
    missing = missing_merge_drivers(repository_root(root, common=True))
    now = datetime.now(UTC)
    report: dict[str, list[Finding]] = {}
    with Bar(console=console(), transient=True, disable=quiet or len(names) < 20) as bar:
        task = bar.add_task("checking missions", total=len(names))
        for name in names:
            report[name] = _check_mission(cwd, name, worktrees, now)
            bar.advance(task)
    repository = []
    if missing:
        repository.append(
            Finding(
                "warning",
                "MERGE_DRIVER_MISSING",
                f"the merge drivers {', '.join(missing)} are not configured in this clone: "
                "git would conflict on status files",
                "spec-kitty init (any status write also sets them up)",
            )
        )
    every = [f for findings in report.values() for f in findings] + repository
    errors = sum(f.severity == "error" for f in every)
    warnings = len(every) - errors
    document: dict[str, Any] = {
        "missions": [
            {"mission": name, "findings": [_plain(f) for f in findings]}
            for name, findings in report.items()
        ],
        "repository": [_plain(f) for f in repository],
        "summary": {"missions": len(report), "errors": errors, "warnings": warnings},
    }
    lines = [
        f"{f.severity}[{f.code}] {name}: {f.message} (next: {f.next_step})"
        for name, findings in [*report.items(), ("repository", repository)]
        for f in findings
    ]
    lines.append(f"{len(report)} missions checked: {errors} errors, {warnings} warnings.")
    return Report(document, lines, exit_code=EXIT_FAILURE if errors else 0)


def _plain(finding: Finding) -> dict[str, str]:
    return {
        "severity": finding.severity,
        "code": finding.code,
        "message": finding.message,
        "next_step": finding.next_step,
    }
