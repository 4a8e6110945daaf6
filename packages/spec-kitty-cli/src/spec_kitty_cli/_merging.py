"""How a merge works: its saved state, its typed steps, each step, and its abort.

A merge is a list of steps computed once and saved in the git dir
(``<common dir>/spec-kitty/merge-<mission>.json``, never in the working tree),
together with everything an abort needs to put back: the target's start commit,
the coordination branch's, and each lane's branch tip and worktree. The steps:
merge each lane in dependency order, number the mission, mark approved work
done, bring a coordination branch's status along, write the retrospective,
and last remove lane worktrees and branches.

Every step is idempotent and checks what is already there (a lane already in
the target, a number written but not committed, a retrospective not committed
yet), and the step under way is saved before its first git call. So a merge
killed at any point continues with ``--resume`` to exactly the end of an
uninterrupted one, and ``--abort`` puts back exactly what was there before.
Nothing is removed before everything it depends on is committed: a lane branch
is deleted only once its tip is in the target.
"""

from __future__ import annotations

import enum
import os
import time
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from mission_context import (
    Git,
    LaneWorkspace,
    MissionExecutionContext,
    PlacedArtifact,
    StatusWrite,
    TargetCheckout,
    assign_mission_number,
    branch_tip,
    checkout_of,
    commit_to,
    discard_uncommitted,
    held_lock,
    is_ancestor,
    is_checkout,
    merge_head,
    place_artifact,
    remote_copies,
    remove_worktree,
    uncommitted_changes,
)
from mission_status import (
    META_FILENAME,
    Evidence,
    Lane,
    ReviewApproval,
    isoformat,
    write_atomic,
)
from spec_kitty_cli._errors import CliError
from spec_kitty_cli._retrospective import NAME as RETROSPECTIVE
from spec_kitty_cli._retrospective import record
from spec_kitty_cli._runtime import finish_write

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

_LANDABLE = frozenset({Lane.APPROVED, Lane.DONE, Lane.CANCELED})
_STATE_VERSION = 2
_ZERO = "0" * 40


class LaneRecord(msgspec.Struct, kw_only=True):
    """A lane as the merge found it: what ``--abort`` restores."""

    lane_id: str
    branch: str
    sha: str
    worktree: str
    had_worktree: bool


class MergeState(msgspec.Struct, kw_only=True):
    """What a merge has planned and done; saved (durably) before and after every step.

    ``in_flight`` is the step under way (saved before its first git call) and
    ``in_flight_at`` when it began, so a resume can tell the ``index.lock`` a
    killed git command left from one a running git command holds.
    """

    version: int = _STATE_VERSION
    mission: str
    target_branch: str
    start_sha: str
    coordination_branch: str | None
    coordination_sha: str | None
    checkout: str
    temporary_checkout: bool
    lanes: list[LaneRecord]
    steps: list[str]
    done: list[str] = msgspec.field(default_factory=list)
    in_flight: str | None = None
    in_flight_at: float | None = None
    started_at: str = ""


def _text(text: str, style: str = "") -> Text:
    """A rich ``Text`` (imported here: ``next`` and ``accept`` read merge state without rich)."""
    from rich.text import Text

    return Text(text, style=style)


def state_path(ctx: MissionExecutionContext) -> Path:
    return ctx.git_common_dir / "spec-kitty" / f"merge-{ctx.mission_dir_name}.json"


def load_state(ctx: MissionExecutionContext) -> MergeState | None:
    path = state_path(ctx)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _bad_state(path, str(exc)) from None
    try:
        state = msgspec.json.decode(data, type=MergeState)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise _bad_state(path, str(exc)) from None
    if state.version != _STATE_VERSION:
        raise _bad_state(path, f"version {state.version}, not {_STATE_VERSION}")
    return state


def _bad_state(path: Path, why: str) -> CliError:
    return CliError(
        f"{path} is unreadable ({why})",
        code="MERGE_STATE_INVALID",
        next_step=f"check the target branch by hand, then remove {path} and merge again",
    )


def save_state(ctx: MissionExecutionContext, state: MergeState) -> None:
    path = state_path(ctx)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, msgspec.json.format(msgspec.json.encode(state), indent=2) + b"\n")


def run_lock(ctx: MissionExecutionContext) -> AbstractContextManager[None]:
    """Held for the whole of a merge, resume or abort: one at a time per mission."""
    return held_lock(
        ctx.git_common_dir,
        f"{ctx.mission_dir_name}.merge-run.lock",
        timeout=0.5,
        code="MERGE_IN_PROGRESS",
        message=f"another merge of {ctx.mission_dir_name} is running",
        next_step="wait for it to finish (or stop it), then run the command again",
    )


# -- planning the merge ------------------------------------------------------------------


def _lane_order(ctx: MissionExecutionContext) -> list[str]:
    """Lane ids in dependency order (each after the lanes it depends on), else file order."""
    plans = ctx.lanes()
    order: list[str] = []
    placed: set[str] = set()
    pending = list(plans)
    while pending:
        ready = [p for p in pending if set(p.depends_on_lanes) <= placed | {p.lane_id}]
        if not ready:  # a cycle lanes.json should never hold: keep file order, say nothing worse
            ready = pending[:1]
        for plan in ready:
            order.append(plan.lane_id)
            placed.add(plan.lane_id)
            pending.remove(plan)
    return order


def plan(ctx: MissionExecutionContext) -> tuple[list[Step], list[LaneRecord]]:
    """The steps of this mission's merge and its lanes, refusing up front what would fail."""
    snapshot = ctx.status().snapshot()
    if not snapshot.work_packages:
        raise CliError(
            f"{ctx.mission_dir_name} has no work packages",
            code="MERGE_NOT_READY",
            next_step=f"run `spec-kitty finalize-tasks --mission {ctx.identity.mid8}` "
            "and do the work first",
        )
    unready = sorted(
        f"{wp_id} ({state.lane.value})"
        for wp_id, state in snapshot.work_packages.items()
        if state.lane not in _LANDABLE
    )
    if unready:
        raise CliError(
            f"not every work package is approved: {', '.join(unready)}",
            code="MERGE_NOT_READY",
            next_step=f"see what each needs: `spec-kitty next --mission {ctx.identity.mid8}`",
        )
    git = Git(ctx.workspace.primary_root)
    plans = {plan.lane_id: plan for plan in ctx.lanes()} if ctx.topology.uses_lanes else {}
    lanes: list[LaneRecord] = []
    missing: list[str] = []
    for lane_id in _lane_order(ctx) if plans else []:
        branch, worktree = ctx.lane_branch(lane_id), ctx.lane_worktree(lane_id)
        if worktree.is_dir() and uncommitted_changes(Git(worktree)):
            raise CliError(
                f"{worktree} has uncommitted changes, which the merge would leave behind",
                code="MERGE_LANE_DIRTY",
                next_step=f"commit (or discard) the changes in {worktree}, then merge",
            )
        sha = branch_tip(git, branch)
        if sha is None:
            lanes_of = [snapshot.work_packages.get(wp) for wp in plans[lane_id].wp_ids]
            if all(state is None or state.lane is Lane.CANCELED for state in lanes_of):
                continue  # nothing of this lane is to land
            if all(state is None or state.lane in (Lane.DONE, Lane.CANCELED) for state in lanes_of):
                continue  # landed by an earlier merge, which removed the branch
            missing.append(branch)
            continue
        lanes.append(
            LaneRecord(
                lane_id=lane_id,
                branch=branch,
                sha=sha,
                worktree=str(worktree),
                had_worktree=is_checkout(worktree),
            )
        )
    if missing:
        remote = remote_copies(git, missing)
        fetch = "; ".join(
            f"`git branch {branch} {remote[branch]}`" for branch in missing if branch in remote
        )
        raise CliError(
            f"the work of {', '.join(missing)} is not in this repository, so merging would mark "
            "it done without its code",
            code="MERGE_LANE_MISSING",
            next_step=(
                f"create the branch from the remote copy: {fetch}, then merge"
                if fetch
                else "fetch the lane branch from where it was pushed (`git fetch <remote> "
                f"{missing[0]}:{missing[0]}`), or cancel its work packages"
            ),
        )
    steps = [Step(StepKind.MERGE_LANE, lane.lane_id) for lane in lanes]
    # Numbered first: marking done rewrites status.json, which carries mission_number.
    steps += [Step(StepKind.NUMBER_MISSION), Step(StepKind.MARK_DONE)]
    if ctx.branch_ref.coordination_branch is not None:
        steps.append(Step(StepKind.MERGE_COORDINATION))
    steps += [Step(StepKind.RETROSPECTIVE), Step(StepKind.CLEANUP)]
    return steps, lanes


# -- running it --------------------------------------------------------------------------


def start(ctx: MissionExecutionContext) -> MergeState:
    """Plan, check the target's checkout, save the state, then make a temporary checkout."""
    steps, lanes = plan(ctx)
    git = Git(ctx.workspace.primary_root)
    target = ctx.branch_ref.target_branch
    start = branch_tip(git, target)
    if start is None:
        raise CliError(
            f"the target branch {target!r} does not exist",
            code="MERGE_TARGET_MISSING",
            next_step=f"create it (`git branch {target} <commit>`) or fix target_branch in "
            f"{ctx.meta.path}",
        )
    holder = checkout_of(ctx, target)
    if holder is not None:
        _require_clean(holder)
    coordination = ctx.branch_ref.coordination_branch
    path = holder or ctx.merge_worktree
    state = MergeState(
        mission=ctx.mission_dir_name,
        target_branch=target,
        start_sha=start,
        coordination_branch=coordination,
        coordination_sha=branch_tip(git, coordination) if coordination else None,
        checkout=str(path),
        temporary_checkout=holder is None,
        lanes=lanes,
        steps=[str(step) for step in steps],
        started_at=isoformat(datetime.now(UTC)),
    )
    save_state(ctx, state)  # before the temporary checkout exists: --abort removes it
    return state


def _checkout(ctx: MissionExecutionContext, state: MergeState) -> Path:
    """The merge's checkout of the target (a temporary one is made again when it is gone).

    Refused when the checkout no longer has the target out: merging there would
    merge into another branch.
    """
    if state.temporary_checkout:
        return TargetCheckout.resolve(ctx).path
    path = Path(state.checkout)
    if checkout_of(ctx, state.target_branch) != path:
        raise CliError(
            f"{path} no longer has {state.target_branch} checked out",
            code="MERGE_TARGET_MOVED",
            next_step=f"`git switch {state.target_branch}` in {path}, then --resume (or --abort)",
        )
    return path


def _require_clean(checkout: Path) -> None:
    dirty = uncommitted_changes(Git(checkout), tracked_only=True)
    if dirty:
        raise CliError(
            f"{checkout} has uncommitted changes to tracked files; a merge there would mix them in",
            code="MERGE_TARGET_DIRTY",
            next_step=f"commit or stash the changes in {checkout}, then merge",
        )
    from mission_status import git_operation_error, git_operation_marker

    marker = git_operation_marker(checkout)
    if marker is not None:
        raise git_operation_error(marker, refused="not merging")


class StepKind(enum.StrEnum):
    """What a step of a merge does (the order here is the order of a merge)."""

    MERGE_LANE = "merge-lane"
    NUMBER_MISSION = "number-mission"
    MARK_DONE = "mark-done"
    MERGE_COORDINATION = "merge-coordination"
    RETROSPECTIVE = "retrospective"
    CLEANUP = "cleanup"


class Step(msgspec.Struct, frozen=True):
    """One step of a merge; ``str(step)`` is how the state file and ``--json`` spell it."""

    kind: StepKind
    lane: str | None = None

    def __str__(self) -> str:
        return f"{self.kind}:{self.lane}" if self.lane else str(self.kind)

    @classmethod
    def parse(cls, text: str) -> Step:
        kind, _, lane = text.partition(":")
        return cls(StepKind(kind), lane or None)

    def describe(self, ctx: MissionExecutionContext) -> str:
        """The step in words, for the plan and the progress lines."""
        return {
            StepKind.MERGE_LANE: f"merge {ctx.lane_branch(self.lane or '')}",
            StepKind.NUMBER_MISSION: "assign the mission number (max+1 over the target)",
            StepKind.MARK_DONE: "move approved work packages to done",
            StepKind.MERGE_COORDINATION: f"merge status from {ctx.branch_ref.coordination_branch}",
            StepKind.RETROSPECTIVE: f"write {RETROSPECTIVE}",
            StepKind.CLEANUP: "remove lane worktrees and branches",
        }[self.kind]


def run_steps(ctx: MissionExecutionContext, state: MergeState, progress: Console) -> dict[str, Any]:
    """Carry out every step not done yet, saving the state around each; the merge's report."""
    checkout = _checkout(ctx, state)
    git = Git(checkout)
    _clear_stale_index_lock(git, state, progress)
    steps = [Step.parse(text) for text in state.steps]
    outcome: dict[str, Any] = {}
    for number, step in enumerate(steps, 1):
        if str(step) in state.done:
            continue
        progress.print(_text(f"[{number}/{len(steps)}] {step.describe(ctx)}"))
        state.in_flight, state.in_flight_at = str(step), time.time()
        save_state(ctx, state)
        outcome |= _carry_out(ctx, state, step, git, progress)
        state.done.append(str(step))
        state.in_flight = state.in_flight_at = None
        save_state(ctx, state)
    state_path(ctx).unlink(missing_ok=True)
    return {
        "mission": ctx.mission_dir_name,
        "target_branch": state.target_branch,
        "steps": state.steps,
        "head": branch_tip(Git(ctx.workspace.primary_root), state.target_branch),
        **outcome,
    }


def _carry_out(
    ctx: MissionExecutionContext, state: MergeState, step: Step, git: Git, progress: Console
) -> dict[str, Any]:
    """One step (idempotent: it checks what is already done); the keys it reports."""
    if step.kind is StepKind.MERGE_LANE:
        lane = next(lane for lane in state.lanes if lane.lane_id == step.lane)
        _land(ctx, git, lane.sha, f"merge {lane.lane_id} of {ctx.mission_dir_name}", lane.branch)
        return {}
    if step.kind is StepKind.NUMBER_MISSION:
        return {"mission_number": _number(ctx, git.cwd)}
    if step.kind is StepKind.MARK_DONE:
        return {"done": _mark_done(ctx)}
    if step.kind is StepKind.MERGE_COORDINATION:
        branch = state.coordination_branch
        assert branch is not None
        tip = branch_tip(git, branch)
        if tip is None:
            raise CliError(
                f"the coordination branch {branch!r} is gone",
                code="COORDINATION_BRANCH_DELETED",
                next_step=f"restore it (`git branch {branch} <commit>`), then --resume",
            )
        _land(ctx, git, tip, f"merge status of {ctx.mission_dir_name}", branch)
        return {}
    if step.kind is StepKind.RETROSPECTIVE:
        write_retrospective(ctx, merge_checkout=git.cwd)
        return {}
    return {"removed": _cleanup(ctx, state, progress)}


# -- the steps ---------------------------------------------------------------------------


def _land(ctx: MissionExecutionContext, git: Git, sha: str, message: str, label: str) -> None:
    """Make ``sha`` part of the target (``git merge --no-ff``); done already is done.

    A merge the user resolved but did not commit is committed; a conflict
    still open stops with ``MERGE_CONFLICT``.
    """
    if is_ancestor(git, sha):
        return
    conflict = CliError(
        f"merging {label} into {ctx.branch_ref.target_branch} stopped on conflicts",
        code="MERGE_CONFLICT",
        next_step=f"resolve the conflicts in {git.cwd} and `git commit`, then "
        f"`spec-kitty merge --mission {ctx.identity.mid8} --resume` (or --abort)",
    )
    pending = merge_head(git)
    if pending is not None:
        if git.out("diff", "--name-only", "--diff-filter=U"):
            raise conflict
        if pending != sha:
            raise CliError(
                f"{git.cwd} is in the middle of another merge (of {pending[:12]})",
                code="MERGE_TARGET_BUSY",
                next_step=f"finish or abort that merge in {git.cwd}, then --resume",
            )
        git.run("commit", "--quiet", "--no-edit")  # the user resolved it: record it
        return
    done = git.run("merge", "--no-ff", "--no-edit", "-m", message, sha, ok_codes=(0, 1))
    if done.returncode == 1:
        raise conflict


def _number(ctx: MissionExecutionContext, checkout: Path) -> int | None:
    """Number the mission (once) and commit its meta.json, also after a crash in between."""
    assigned, meta_path = assign_mission_number(ctx.mission_dir_in(checkout))
    commit_to(
        ctx.artifact_placement.placement_ref,
        [meta_path],
        f"merge: {ctx.mission_dir_name} is mission {_read_number(meta_path)}",
        cwd=checkout,
    )
    return assigned if assigned is not None else _read_number(meta_path)


def _read_number(meta_path: Path) -> int | None:
    from mission_context import MissionMeta

    return MissionMeta.read(meta_path).mission_number


def _mark_done(ctx: MissionExecutionContext) -> list[str]:
    """Approved work to done, in one status write (which also commits what a crash left)."""
    moved = []
    write = StatusWrite(ctx)
    with write as batch:
        for wp_id, state in sorted(batch.snapshot.work_packages.items()):
            if state.lane is not Lane.APPROVED:
                continue
            review = state.review_result if isinstance(state.review_result, dict) else {}
            evidence = Evidence(
                review=ReviewApproval(
                    reviewer=str(review.get("reviewer") or state.actor or "merge"),
                    verdict="approved",
                    reference=str(review.get("reference") or f"merge:{ctx.mission_dir_name}"),
                )
            )
            batch.transition(wp_id, Lane.DONE, actor="merge", evidence=evidence)
            moved.append(wp_id)
    finish_write(ctx, write)
    if not moved:  # a resumed merge: report what the first run moved
        snapshot = ctx.status().snapshot()
        moved = sorted(w for w, s in snapshot.work_packages.items() if s.lane is Lane.DONE)
    return moved


def _cleanup(ctx: MissionExecutionContext, state: MergeState, progress: Console) -> list[str]:
    """Lane worktrees and branches whose work is in the target, then a temporary checkout."""
    git = Git(ctx.workspace.primary_root)
    removed: list[str] = []
    for lane in state.lanes:
        tip = branch_tip(git, lane.branch)
        if tip is not None and not is_ancestor(git, tip, f"refs/heads/{state.target_branch}"):
            progress.print(
                _text(f"kept {lane.branch}: it has commits the target does not", style="yellow")
            )
            continue
        removed += remove_worktree(ctx, Path(lane.worktree))
        if tip is not None:
            git.run("update-ref", "-d", f"refs/heads/{lane.branch}", tip)
            removed.append(lane.branch)
    if state.temporary_checkout:
        removed += remove_worktree(ctx, Path(state.checkout))
    return removed


def _clear_stale_index_lock(git: Git, state: MergeState, progress: Console) -> None:
    """Remove the ``index.lock`` a git command of this merge left when it was killed.

    Only when a step was interrupted (``in_flight``), no merge runs (the run lock
    is ours) and the lock is from after that step began; any other lock is a
    running git command's, and the next git call reports it.
    """
    if state.in_flight is None or state.in_flight_at is None:
        return
    from mission_status import find_git_dirs

    dirs = find_git_dirs(git.cwd)
    if dirs is None:
        return
    lock = dirs.git_dir / "index.lock"
    try:
        made = os.stat(lock).st_mtime
    except FileNotFoundError:
        return
    if made >= state.in_flight_at - 1:
        lock.unlink(missing_ok=True)
        progress.print(_text(f"removed {lock}, left by the interrupted merge", style="yellow"))


# -- abort -------------------------------------------------------------------------------


def abort(ctx: MissionExecutionContext, state: MergeState, progress: Console) -> dict[str, Any]:
    """Put back exactly what the merge found: target, coordination branch, lanes; the report."""
    primary = Git(ctx.workspace.primary_root)
    checkout = Path(state.checkout)
    reset_to = None
    if is_checkout(checkout):
        git = Git(checkout)
        _clear_stale_index_lock(git, state, progress)
        if merge_head(git) is not None:
            git.run("merge", "--abort")
    target_tip = branch_tip(primary, state.target_branch)
    if target_tip is not None and target_tip != state.start_sha:
        _refuse_foreign_commits(ctx, primary, state, state.start_sha, state.target_branch)
        reset_to = state.start_sha
    coordination_reset = None  # (branch, commit) when mark-done moved the coordination branch
    if state.coordination_branch is not None and state.coordination_sha is not None:
        tip = branch_tip(primary, state.coordination_branch)
        if tip is not None and tip != state.coordination_sha:
            coordination_reset = (state.coordination_branch, state.coordination_sha)
            _refuse_foreign_commits(ctx, primary, state, *reversed(coordination_reset))
    # Everything is checked: only now is anything changed.
    if state.temporary_checkout:
        remove_worktree(ctx, checkout, force=True)
    for branch in (state.target_branch, state.coordination_branch):
        held = checkout_of(ctx, branch) if branch is not None else None
        if held is not None:
            # The merge began with it clean: undo what an interrupted step wrote there.
            discard_uncommitted(ctx, held, RETROSPECTIVE)
    if reset_to is not None:
        _move_branch(ctx, state.target_branch, reset_to)
    if coordination_reset is not None:
        _move_branch(ctx, *coordination_reset)
    restored = _restore_lanes(ctx, primary, state)
    state_path(ctx).unlink(missing_ok=True)
    return {
        "mission": ctx.mission_dir_name,
        "aborted": True,
        "reset_to": reset_to,
        "restored": restored,
    }


def _merge_made(
    ctx: MissionExecutionContext, state: MergeState
) -> tuple[set[str], tuple[str, ...]]:
    """What this merge's commits look like: the lane tips they bring in, the subjects they carry."""
    name = ctx.mission_dir_name
    lane_tips = {lane.sha for lane in state.lanes}
    subjects = (
        f"merge status of {name}",
        f"merge: {name} is mission ",
        f"retrospect: {name}",
        "status: ",
        *(f"merge {lane.lane_id} of {name}" for lane in state.lanes),
    )
    return lane_tips, subjects


def _refuse_foreign_commits(
    ctx: MissionExecutionContext, git: Git, state: MergeState, start: str, branch: str
) -> None:
    """``MERGE_ABORT_UNSAFE`` when ``branch`` has commits since ``start`` the merge did not make."""
    lane_tips, subjects = _merge_made(ctx, state)
    mission_path = f"{ctx.mission_path}/"
    log = git.out(
        "log", "--first-parent", "--format=%H%x00%P%x00%s", f"{start}..refs/heads/{branch}"
    )
    foreign = []
    for line in log.splitlines():
        sha, parents, subject = line.split("\0", 2)
        others = parents.split()[1:]
        if others:  # a merge commit: ours when it brings in a lane or the coordination branch
            coordination = state.coordination_branch
            ours = all(
                parent in lane_tips
                or (
                    coordination is not None
                    and is_ancestor(git, parent, f"refs/heads/{coordination}")
                )
                for parent in others
            )
        else:
            changed = git.out("diff-tree", "--no-commit-id", "--name-only", "-r", sha).splitlines()
            ours = subject.startswith(subjects) and all(p.startswith(mission_path) for p in changed)
        if not ours:
            foreign.append(f"{sha[:12]} {subject!r}")
    if foreign:
        raise CliError(
            f"{branch} has commits since the merge began that the merge did not make "
            f"({', '.join(foreign)}); aborting would throw them away",
            code="MERGE_ABORT_UNSAFE",
            next_step=f"finish the merge instead (`spec-kitty merge --mission {ctx.identity.mid8} "
            "--resume`), or revert its commits by hand",
        )


def _move_branch(ctx: MissionExecutionContext, branch: str, sha: str) -> None:
    """Set ``branch`` back to ``sha``; the worktree that has it out follows (``reset --keep``)."""
    holder = checkout_of(ctx, branch)
    if holder is not None:
        Git(holder).run("reset", "--quiet", "--keep", sha)
        return
    git = Git(ctx.workspace.primary_root)
    current = branch_tip(git, branch)
    if current is not None and current != sha:
        git.run("update-ref", f"refs/heads/{branch}", sha, current)


def _restore_lanes(ctx: MissionExecutionContext, git: Git, state: MergeState) -> list[str]:
    """Recreate the lane branches (at their recorded tips) and worktrees a cleanup removed."""
    restored = []
    for lane in state.lanes:
        if branch_tip(git, lane.branch) is None:
            git.run("update-ref", f"refs/heads/{lane.branch}", lane.sha, _ZERO)
            restored.append(lane.branch)
        if lane.had_worktree and not is_checkout(Path(lane.worktree)):
            LaneWorkspace.resolve(ctx, lane.lane_id)
            restored.append(lane.worktree)
    return restored


# -- retrospective / accept ----------------------------------------------------------------


def write_retrospective(
    ctx: MissionExecutionContext, *, merge_checkout: Path | None = None
) -> PlacedArtifact:
    """Write the tracked ``retrospective.yaml`` (once) on the target branch and commit it.

    Where the target is checked out (the merge's checkout, during a merge), else
    straight onto the branch. One an interrupted run wrote but did not commit is
    committed; a refused commit leaves no file behind. The record is 3.x's (see
    ``_retrospective``); during a merge it carries the number the merge gave the mission.
    """
    import yaml

    meta: dict[str, Any] = dict(ctx.meta.raw)
    if merge_checkout is not None:
        meta["mission_number"] = _read_number(ctx.mission_dir_in(merge_checkout) / META_FILENAME)
    document = record(
        ctx,
        ctx.status().snapshot(),
        meta,
        provenance="explicit_create" if merge_checkout is None else "runtime_post_completion",
    )
    data = yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode("utf-8")
    message = f"retrospect: {ctx.mission_dir_name}"
    return place_artifact(ctx, RETROSPECTIVE, data, message, keep_existing=True)
