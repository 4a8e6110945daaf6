"""Work on one work package: ``implement`` and ``review``.

``implement`` commits outstanding planning artifacts to the placement ref
first, so a lane branch made from the target always has them (no command ever
stalls on planning files split between branches), then creates or reuses the
lane worktree and claims the WP. ``review`` walks ``for_review -> in_review``
and then to ``approved`` (with evidence) or back to ``planned`` (with feedback).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mission_context import (
    ContextError,
    Git,
    LaneWorkspace,
    MissionExecutionContext,
    StatusWrite,
    branch_tip,
)
from mission_status import (
    Evidence,
    Lane,
    ReviewApproval,
    ReviewResult,
    StatusSnapshot,
    WPState,
)

from ._occurrence import require_admissible_map, review_gate
from ._output import emit_json
from ._planning import commit_planning
from ._runtime import finish_write, guarded, resolve, say

_READY = frozenset({Lane.APPROVED, Lane.DONE})


def wp_front_matter(ctx: MissionExecutionContext, wp_id: str) -> dict[str, Any]:
    """The front matter of ``tasks/<wp_id>-*.md`` ({} when there is no WP file)."""
    from ._frontmatter import read_front_matter

    for path in sorted(ctx.prompt_source.prompt_source_dir.glob(f"{wp_id}-*.md")):
        return read_front_matter(path.read_text(encoding="utf-8"), source=str(path))
    return {}


def _seeded_state(snapshot: StatusSnapshot, ctx: MissionExecutionContext, wp_id: str) -> WPState:
    state = snapshot.work_packages.get(wp_id)
    if state is None:
        raise ContextError(
            f"{wp_id} of {ctx.mission_dir_name} has no status yet",
            code="WORK_PACKAGE_NOT_FOUND",
            next_step=f"run `spec-kitty finalize-tasks --mission {ctx.identity.mid8}` to seed it",
        )
    return state


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


# -- implement -------------------------------------------------------------------------


def run_implement(cwd: Path, wp: str, mission: str | None, agent: str, *, as_json: bool) -> int:
    """Planning committed, lane worktree ready, WP claimed and in progress.

    The claim is decided, the workspace made and both moves appended under the
    mission's lock, so of several agents racing for one WP exactly one wins.
    Idempotent: a re-run by the same agent (after a crash at any point, say)
    finishes what is missing (the worktree, the moves, their commit) and
    reports the same workspace.
    """

    def body() -> int:
        wp_id = wp.strip().upper()
        ctx = resolve(cwd, "implement", mission, wp_id)
        require_admissible_map(ctx, "implement")
        snapshot = ctx.status().snapshot()  # early refusals, before anything is written
        first = _claimable(_seeded_state(snapshot, ctx, wp_id), ctx, wp_id, agent)
        unready = _unready_dependencies(ctx, wp_id, snapshot)
        if unready:
            raise ContextError(
                f"{wp_id} depends on work that is not approved yet: {', '.join(unready)}",
                code="DEPENDENCIES_NOT_READY",
                next_step="finish and approve those work packages first (`spec-kitty status`)",
            )
        planning = commit_planning(ctx, f"implement {wp_id}: planning artifacts")
        write = StatusWrite(ctx)
        with write as batch:  # decided under the mission's lock: one claim wins a race
            lane = _claimable(_seeded_state(batch.snapshot, ctx, wp_id), ctx, wp_id, agent)
            workspace, branch, lane_id, created = _workspace(ctx)
            if lane is Lane.PLANNED:
                batch.transition(wp_id, Lane.CLAIMED, actor=agent, policy_metadata={"agent": agent})
            if lane is not Lane.IN_PROGRESS:
                batch.transition(wp_id, Lane.IN_PROGRESS, actor=agent)
        committed = finish_write(ctx, write)
        document = {
            "wp_id": wp_id,
            "lane_id": lane_id,
            "workspace_path": str(workspace),
            "branch_name": branch,
            "workspace_created": created,
            "from_lane": first.value,
            "to_lane": Lane.IN_PROGRESS.value,
            "planning_commit": planning,
            **committed,
        }
        if as_json:
            emit_json(document)
            return 0
        say(f"{wp_id}: {first.value} -> in_progress ({agent})")
        say(f"  {'created' if created else 'workspace'} {workspace} on {branch}")
        say(f"Next: work in {workspace}, then `spec-kitty move-task {wp_id} --to for_review`")
        return 0

    return guarded(as_json, body)


def _claimable(state: WPState, ctx: MissionExecutionContext, wp_id: str, agent: str) -> Lane:
    """``state``'s lane when ``agent`` may implement it; else ``WORK_PACKAGE_CLAIMED`` or
    ``WORK_PACKAGE_NOT_IMPLEMENTABLE``."""
    lane = state.lane
    if lane in (Lane.CLAIMED, Lane.IN_PROGRESS) and state.actor not in (agent, ""):
        raise ContextError(
            f"{wp_id} is {lane.value} by {state.actor}",
            code="WORK_PACKAGE_CLAIMED",
            next_step=f"coordinate with {state.actor}, or pick another work package "
            f"(`spec-kitty status --mission {ctx.identity.mid8}`)",
        )
    if lane not in (Lane.PLANNED, Lane.CLAIMED, Lane.IN_PROGRESS):
        raise ContextError(
            f"{wp_id} is {lane.value}: only planned or claimed work can be implemented",
            code="WORK_PACKAGE_NOT_IMPLEMENTABLE",
            next_step="see `spec-kitty status`; a rejected review returns it to planned",
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
        if branch_tip(git, branch) is None:
            continue
        merged = git.run(
            "merge-base", "--is-ancestor", f"refs/heads/{branch}", "HEAD", ok_codes=(0, 1)
        )
        if merged.returncode == 0:
            continue
        git.run(
            "merge", "--no-edit", "--quiet", branch,
            next_step=f"resolve the conflicts in {lane.path}, commit, and re-run implement",
        )  # fmt: skip


# -- review ----------------------------------------------------------------------------


def run_review(
    cwd: Path,
    wp: str,
    mission: str | None,
    *,
    approve: bool,
    reject: bool,
    reviewer: str,
    reference: str | None,
    feedback_file: Path | None,
    as_json: bool,
) -> int:
    """for_review -> in_review -> approved, or back to planned with the feedback recorded."""

    def body() -> int:
        feedback = _check_review_arguments(approve, reject, reference, feedback_file)
        wp_id = wp.strip().upper()
        ctx = resolve(cwd, "review", mission, wp_id)
        if approve:
            assert reference is not None  # checked above
            result = ReviewResult(reviewer=reviewer, verdict="approved", reference=reference)
        else:
            assert feedback_file is not None
            assert feedback is not None
            result = ReviewResult(
                reviewer=reviewer,
                verdict="changes_requested",
                reference=reference or f"feedback:{feedback_file.name}",
                feedback_path=str(feedback_file),
            )
        to = Lane.APPROVED if approve else Lane.PLANNED
        state = _seeded_state(ctx.status().snapshot(), ctx, wp_id)
        if not _reviewed(state, to, result):  # early refusals, before anything is written
            _require_review(state, wp_id)
            if approve:
                review_gate(ctx, wp_id)  # a bulk-edit lane must keep to its occurrence map
        write = StatusWrite(ctx)
        with write as batch:
            state = _seeded_state(batch.snapshot, ctx, wp_id)
            lane = state.lane
            if not _reviewed(state, to, result):  # a re-run after a crash records nothing twice
                _require_review(state, wp_id)
                if lane is Lane.FOR_REVIEW:
                    batch.transition(wp_id, Lane.IN_REVIEW, actor=reviewer)
                if approve:
                    evidence = Evidence(
                        review=ReviewApproval(
                            reviewer=reviewer, verdict="approved", reference=result.reference
                        )
                    )
                    batch.transition(
                        wp_id, to, actor=reviewer, review_result=result, evidence=evidence
                    )
                else:
                    batch.annotate(wp_id, actor=reviewer, note=f"review feedback:\n{feedback}")
                    batch.transition(
                        wp_id, to, actor=reviewer, reason="changes requested",
                        review_result=result,
                    )  # fmt: skip
        committed = finish_write(ctx, write)
        document = {
            "wp_id": wp_id,
            "from_lane": lane.value,
            "to_lane": to.value,
            "verdict": result.verdict,
            "reviewer": reviewer,
            "reference": result.reference,
            "recorded": bool(write.rows),
            **committed,
        }
        if as_json:
            emit_json(document)
        else:
            say(f"{wp_id}: {lane.value} -> {to.value} ({result.verdict} by {reviewer})")
        return 0

    return guarded(as_json, body)


def _reviewed(state: WPState, to: Lane, result: ReviewResult) -> bool:
    """Whether this very review is already the WP's last word (a re-run after a crash)."""
    recorded = state.review_result if isinstance(state.review_result, dict) else {}
    return state.lane is to and all(
        recorded.get(key) == getattr(result, key) for key in ("reviewer", "verdict", "reference")
    )


def _require_review(state: WPState, wp_id: str) -> None:
    if state.lane not in (Lane.FOR_REVIEW, Lane.IN_REVIEW):
        raise ContextError(
            f"{wp_id} is {state.lane.value}, not waiting for review",
            code="WORK_PACKAGE_NOT_IN_REVIEW",
            next_step=f"move it first: `spec-kitty move-task {wp_id} --to for_review`",
        )


def _check_review_arguments(
    approve: bool, reject: bool, reference: str | None, feedback_file: Path | None
) -> str | None:
    """Validate the flag combination; the feedback text for a rejection."""
    if approve == reject:
        raise ContextError(
            "pass exactly one of --approve and --reject",
            code="INVALID_ARGUMENTS",
            next_step="--approve --reviewer R --reference X, or --reject --feedback-file F",
        )
    if approve:
        if not reference:
            raise ContextError(
                "--approve needs --reference (where the review lives, e.g. PR#12)",
                code="INVALID_ARGUMENTS",
                next_step="add --reference <link or id>",
            )
        return None
    if feedback_file is None:
        raise ContextError(
            "--reject needs --feedback-file with what to change",
            code="INVALID_ARGUMENTS",
            next_step="write the feedback to a file and pass --feedback-file <file>",
        )
    try:
        text = feedback_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContextError(
            f"{feedback_file} does not exist",
            code="FEEDBACK_FILE_NOT_FOUND",
            next_step="pass an existing feedback file",
        ) from None
    if not text.strip():
        raise ContextError(
            f"{feedback_file} is empty",
            code="INVALID_ARGUMENTS",
            next_step="write what must change into the feedback file",
        )
    return text.strip()
