"""``spec-kitty implement``: planning committed, lane worktree ready, WP claimed and in progress.

Planning artifacts are committed to the placement ref first, so a lane branch made
from the target always has them (no command ever stalls on planning files split
between branches); then, under the mission's lock, the claim is decided, the lane
worktree created or reused and the WP moved to in progress.
"""

from __future__ import annotations

from pathlib import Path

from mission_context import (
    Git,
    LaneWorkspace,
    MissionExecutionContext,
    StatusWrite,
    branch_tip,
    is_ancestor,
)
from mission_status import Lane, StatusSnapshot, WPState
from spec_kitty_cli._briefs import implement_brief
from spec_kitty_cli._errors import CliError
from spec_kitty_cli._occurrence import require_admissible_map
from spec_kitty_cli._output import Report
from spec_kitty_cli._planning import commit_planning
from spec_kitty_cli._runtime import finish_write, resolve
from spec_kitty_cli._work_packages import seeded_state, wp_front_matter

_READY = frozenset({Lane.APPROVED, Lane.DONE})


def implement(cwd: Path, wp: str, mission: str | None, agent: str | None) -> Report:
    """Planning committed, lane worktree ready, WP claimed and in progress.

    The claim is decided, the workspace made and both moves appended under the
    mission's lock, so of several agents racing for one WP exactly one wins.
    Idempotent: a re-run by the same agent (after a crash at any point, say)
    finishes what is missing (the worktree, the moves, their commit) and
    reports the same workspace.
    """
    wp_id = wp.strip().upper()
    ctx = resolve(cwd, "implement", mission, wp_id)
    if not agent or not agent.strip():
        raise CliError(
            f"implement needs --agent: who claims {wp_id}",
            code="AGENT_REQUIRED",
            next_step=f"spec-kitty implement {wp_id} --mission {ctx.identity.mid8} "
            "--agent <your name> (or set SPEC_KITTY_ACTOR)",
        )
    agent = agent.strip()
    require_admissible_map(ctx, "implement")
    snapshot = ctx.status().snapshot()  # early refusals, before anything is written
    first = _claimable(seeded_state(snapshot, ctx, wp_id), ctx, wp_id, agent)
    unready = _unready_dependencies(ctx, wp_id, snapshot)
    if unready:
        raise CliError(
            f"{wp_id} depends on work that is not approved yet: {', '.join(unready)}",
            code="DEPENDENCIES_NOT_READY",
            next_step="finish and approve those work packages first "
            f"(`spec-kitty next --mission {ctx.identity.mid8}`)",
        )
    planning = commit_planning(ctx, f"implement {wp_id}: planning artifacts")
    write = StatusWrite(ctx)
    with write as batch:  # decided under the mission's lock: one claim wins a race
        lane = _claimable(seeded_state(batch.snapshot, ctx, wp_id), ctx, wp_id, agent)
        workspace, branch, lane_id, created = _workspace(ctx)
        if lane is Lane.PLANNED:
            batch.transition(wp_id, Lane.CLAIMED, actor=agent, policy_metadata={"agent": agent})
        if lane is not Lane.IN_PROGRESS:
            batch.transition(wp_id, Lane.IN_PROGRESS, actor=agent)
    brief = implement_brief(
        ctx, wp_id, ctx.status().snapshot(), agent=agent, workspace=workspace, branch=branch
    )
    document = {
        "wp_id": wp_id,
        "lane_id": lane_id,
        "workspace_path": str(workspace),
        "branch_name": branch,
        "workspace_created": created,
        "from_lane": first.value,
        "to_lane": Lane.IN_PROGRESS.value,
        "planning_commit": planning,
        **finish_write(ctx, write),
        "feedback": brief.document["feedback"],
        "brief": brief.document,
        "brief_text": brief.text,
    }
    return Report(
        document,
        [
            f"{wp_id}: {first.value} -> in_progress ({agent})",
            f"  {'created' if created else 'workspace'} {workspace} on {branch}",
            "",
            brief.text.rstrip(),
        ],
    )


def _claimable(state: WPState, ctx: MissionExecutionContext, wp_id: str, agent: str) -> Lane:
    """``state``'s lane when ``agent`` may implement it; else ``WORK_PACKAGE_CLAIMED`` or
    ``WORK_PACKAGE_NOT_IMPLEMENTABLE``."""
    lane = state.lane
    if lane in (Lane.CLAIMED, Lane.IN_PROGRESS) and state.actor not in (agent, ""):
        raise CliError(
            f"{wp_id} is {lane.value} by {state.actor}",
            code="WORK_PACKAGE_CLAIMED",
            next_step=f"coordinate with {state.actor}, or pick another work package "
            f"(`spec-kitty status --mission {ctx.identity.mid8}`)",
        )
    if lane not in (Lane.PLANNED, Lane.CLAIMED, Lane.IN_PROGRESS):
        raise CliError(
            f"{wp_id} is {lane.value}: only planned or claimed work can be implemented",
            code="WORK_PACKAGE_NOT_IMPLEMENTABLE",
            next_step=f"see `spec-kitty status --mission {ctx.identity.mid8}`; "
            "a rejected review returns it to planned",
        )
    return lane


def _workspace(ctx: MissionExecutionContext) -> tuple[Path, str, str | None, bool]:
    """(path, branch, lane id, created) where the WP's code is written."""
    target = ctx.branch_ref.target_branch
    if ctx.lane is None or not ctx.topology.uses_lanes:
        return ctx.workspace.primary_root, target, None, False
    lane = LaneWorkspace.resolve(ctx, start_point=f"refs/heads/{target}")
    _merge_dependency_lanes(ctx, lane)
    return lane.path, lane.branch, lane.lane_id, lane.created


def _merge_dependency_lanes(ctx: MissionExecutionContext, lane: LaneWorkspace) -> None:
    """Bring the work of the lanes this one depends on into the lane branch (once each).

    A dependency lane already merged (its branch removed) is in the target, which
    the lane branch started from; one already in this lane is skipped, so a
    re-run after a crash finishes exactly what the first run did not.
    """
    plans = {plan.lane_id: plan for plan in ctx.lanes()}
    plan = plans.get(lane.lane_id)
    git = Git(lane.path)
    for dependency in plan.depends_on_lanes if plan else ():
        branch = ctx.lane_branch(dependency)
        if branch_tip(git, branch) is None or is_ancestor(git, f"refs/heads/{branch}"):
            continue
        git.run(
            "merge", "--no-edit", "--quiet", branch,
            next_step=f"resolve the conflicts in {lane.path}, commit, and re-run implement",
        )  # fmt: skip


def _unready_dependencies(
    ctx: MissionExecutionContext, wp_id: str, snapshot: StatusSnapshot
) -> list[str]:
    dependencies = wp_front_matter(ctx, wp_id).get("dependencies") or []
    unready = []
    for dependency in dependencies:
        state = snapshot.work_packages.get(str(dependency))
        if state is None or state.lane not in _READY:
            lane = state.lane.value if state is not None else "unknown"
            unready.append(f"{dependency} ({lane})")
    return unready
