"""``merge``: land every lane in the target, resumably; then ``accept`` and ``retrospect``.

A merge is a list of steps computed once and saved in the git dir
(``<common dir>/spec-kitty/merge-<mission>.json``, never in the working tree):
merge each lane branch in dependency order, mark approved work done, bring a
coordination branch's status along, number the mission, write the
retrospective, remove lane worktrees and branches. Each finished step is
recorded, so ``--resume`` after a conflict or a crash continues where it stopped
and ``--abort`` puts the target branch back where it was.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from mission_context import (
    ContextError,
    Git,
    MissionExecutionContext,
    TargetCheckout,
    assign_mission_number,
    commit_to,
    remove_worktree,
)
from mission_status import Evidence, Lane, MissionStatus, ReviewApproval, isoformat

from ._output import emit_json
from ._runtime import commit_status, guarded, resolve, say, writable_status

RETROSPECTIVE = "retrospective.yaml"
_LANDABLE = frozenset({Lane.APPROVED, Lane.DONE, Lane.CANCELED})


@dataclass
class MergeState:
    """What a merge has planned and done; saved after every step."""

    mission: str
    target_branch: str
    start_sha: str | None
    checkout: str
    temporary_checkout: bool
    steps: list[str]
    done: list[str] = field(default_factory=list)
    started_at: str = ""


def _state_path(ctx: MissionExecutionContext) -> Path:
    return ctx.git_common_dir / "spec-kitty" / f"merge-{ctx.mission_dir_name}.json"


def _load_state(ctx: MissionExecutionContext) -> MergeState | None:
    try:
        data = json.loads(_state_path(ctx).read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ContextError(
            f"{_state_path(ctx)} is unreadable ({exc})",
            code="MERGE_STATE_INVALID",
            next_step=f"remove {_state_path(ctx)} and start the merge again",
        ) from None
    return MergeState(**data)


def _save_state(ctx: MissionExecutionContext, state: MergeState) -> None:
    path = _state_path(ctx)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(asdict(state), indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


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


def _branch_exists(git: Git, branch: str) -> bool:
    done = git.run("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", ok_codes=(0, 1))
    return done.returncode == 0


def _plan(ctx: MissionExecutionContext, status: MissionStatus) -> list[str]:
    """The steps of this mission's merge, refusing up front what would fail half-way."""
    snapshot = status.snapshot()
    if not snapshot.work_packages:
        raise ContextError(
            f"{ctx.mission_dir_name} has no work packages",
            code="MERGE_NOT_READY",
            next_step="run `spec-kitty finalize-tasks` and do the work first",
        )
    unready = sorted(
        f"{wp_id} ({state.lane.value})"
        for wp_id, state in snapshot.work_packages.items()
        if state.lane not in _LANDABLE
    )
    if unready:
        raise ContextError(
            f"not every work package is approved: {', '.join(unready)}",
            code="MERGE_NOT_READY",
            next_step="review and approve them (`spec-kitty review`), then merge",
        )
    git = Git(ctx.workspace.primary_root)
    steps = []
    for lane_id in _lane_order(ctx) if ctx.topology.uses_lanes else []:
        worktree = ctx.lane_worktree(lane_id)
        if worktree.is_dir() and Git(worktree).out("status", "--porcelain"):
            raise ContextError(
                f"{worktree} has uncommitted changes, which the merge would leave behind",
                code="MERGE_LANE_DIRTY",
                next_step=f"commit (or discard) the changes in {worktree}, then merge",
            )
        if _branch_exists(git, ctx.lane_branch(lane_id)):
            steps.append(f"merge-lane:{lane_id}")
    # Numbered first: marking done rewrites status.json, which carries mission_number.
    steps += ["number-mission", "mark-done"]
    if ctx.branch_ref.coordination_branch is not None:
        steps.append("merge-coordination")
    steps += ["retrospective", "cleanup"]
    return steps


# -- running it --------------------------------------------------------------------------


def run_merge(
    cwd: Path, mission: str | None, *, dry_run: bool, resume: bool, abort: bool, as_json: bool
) -> int:
    """Plan, dry-run, run, resume or abort the merge of a mission."""

    def body() -> int:
        if resume and abort:
            raise ContextError(
                "--resume and --abort exclude each other",
                code="INVALID_ARGUMENTS",
                next_step="pass one of them",
            )
        ctx = resolve(cwd, "merge", mission)
        state = _load_state(ctx)
        if abort:
            return _abort(ctx, state, as_json=as_json)
        if state is not None and not resume and not dry_run:
            raise ContextError(
                f"a merge of {ctx.mission_dir_name} is already under way "
                f"({len(state.done)}/{len(state.steps)} steps done)",
                code="MERGE_IN_PROGRESS",
                next_step="continue it with --resume, or give it up with --abort",
            )
        if resume and state is None:
            raise ContextError(
                f"no merge of {ctx.mission_dir_name} to resume",
                code="MERGE_STATE_NOT_FOUND",
                next_step=f"start one: `spec-kitty merge --mission {ctx.identity.mid8}`",
            )
        status = writable_status(ctx)
        if state is None:
            steps = _plan(ctx, status)
            if dry_run:
                return _report_plan(ctx, steps, as_json=as_json)
            checkout = TargetCheckout.resolve(ctx)
            _require_clean(checkout.path)
            state = MergeState(
                mission=ctx.mission_dir_name,
                target_branch=checkout.branch,
                start_sha=_tip(Git(checkout.path), checkout.branch),
                checkout=str(checkout.path),
                temporary_checkout=checkout.temporary,
                steps=steps,
                started_at=isoformat(datetime.now(UTC)),
            )
            _save_state(ctx, state)
        elif dry_run:
            return _report_plan(ctx, state.steps, as_json=as_json, done=state.done)
        return _run_steps(ctx, status, state, as_json=as_json)

    return guarded(as_json, body)


def _tip(git: Git, branch: str) -> str | None:
    done = git.run("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", ok_codes=(0, 1))
    return done.stdout.strip() or None


def _require_clean(checkout: Path) -> None:
    dirty = Git(checkout).out("status", "--porcelain", "--untracked-files=no")
    if dirty:
        raise ContextError(
            f"{checkout} has uncommitted changes to tracked files; a merge there would mix them in",
            code="MERGE_TARGET_DIRTY",
            next_step=f"commit or stash the changes in {checkout}, then merge",
        )


def _report_plan(
    ctx: MissionExecutionContext, steps: list[str], *, as_json: bool, done: list[str] | None = None
) -> int:
    document = {
        "mission": ctx.mission_dir_name,
        "target_branch": ctx.branch_ref.target_branch,
        "dry_run": True,
        "steps": steps,
        "done": done or [],
    }
    if as_json:
        emit_json(document)
        return 0
    say(f"Merge plan for {ctx.mission_dir_name} into {ctx.branch_ref.target_branch}:")
    for number, step in enumerate(steps, 1):
        mark = "done" if step in (done or []) else "todo"
        say(f"  {number}. {_describe(ctx, step)} [{mark}]")
    return 0


def _describe(ctx: MissionExecutionContext, step: str) -> str:
    kind, _, arg = step.partition(":")
    return {
        "merge-lane": f"merge {ctx.lane_branch(arg)}" if arg else "merge a lane",
        "mark-done": "move approved work packages to done",
        "merge-coordination": f"merge status from {ctx.branch_ref.coordination_branch}",
        "number-mission": "assign the mission number (max+1 over the target)",
        "retrospective": f"write {RETROSPECTIVE}",
        "cleanup": "remove lane worktrees and branches",
    }.get(kind, step)


def _run_steps(
    ctx: MissionExecutionContext, status: MissionStatus, state: MergeState, *, as_json: bool
) -> int:
    checkout = Path(state.checkout)
    git = Git(checkout)
    progress = Console(stderr=True, highlight=False, quiet=as_json)
    total = len(state.steps)
    outcome: dict[str, Any] = {}
    for number, step in enumerate(state.steps, 1):
        if step in state.done:
            continue
        progress.print(Text(f"[{number}/{total}] {_describe(ctx, step)}"))
        kind, _, arg = step.partition(":")
        if kind == "merge-lane":
            _merge_branch(ctx, git, ctx.lane_branch(arg), f"merge {arg} of {ctx.mission_dir_name}")
        elif kind == "mark-done":
            outcome["done"] = _mark_done(ctx, status)
        elif kind == "merge-coordination":
            branch = ctx.branch_ref.coordination_branch
            assert branch is not None
            _merge_branch(ctx, git, branch, f"merge status of {ctx.mission_dir_name}")
        elif kind == "number-mission":
            outcome["mission_number"] = _number(ctx, checkout)
        elif kind == "retrospective":
            write_retrospective(ctx, checkout, merged_at=isoformat(datetime.now(UTC)))
        elif kind == "cleanup":
            outcome["removed"] = _cleanup(ctx, state)
        state.done.append(step)
        _save_state(ctx, state)
    _state_path(ctx).unlink(missing_ok=True)
    document = {
        "mission": ctx.mission_dir_name,
        "target_branch": state.target_branch,
        "steps": state.steps,
        "head": _tip(git, state.target_branch) if not state.temporary_checkout else None,
        **outcome,
    }
    if as_json:
        emit_json(document)
    else:
        say(f"Merged {ctx.mission_dir_name} into {state.target_branch}.")
    return 0


def _merge_branch(ctx: MissionExecutionContext, git: Git, branch: str, message: str) -> None:
    """``git merge --no-ff`` in the target checkout; a conflict leaves it for the user."""
    if _merging(git):
        raise ContextError(
            f"{git.cwd} is still in the middle of a merge",
            code="MERGE_CONFLICT",
            next_step=f"resolve the conflicts in {git.cwd} and `git commit`, then "
            f"`spec-kitty merge --mission {ctx.identity.mid8} --resume` (or --abort)",
        )
    done = git.run("merge", "--no-ff", "--no-edit", "-m", message, branch, ok_codes=(0, 1))
    if done.returncode == 1:
        raise ContextError(
            f"merging {branch} into {ctx.branch_ref.target_branch} stopped on conflicts",
            code="MERGE_CONFLICT",
            next_step=f"resolve the conflicts in {git.cwd} and `git commit`, then "
            f"`spec-kitty merge --mission {ctx.identity.mid8} --resume` (or --abort)",
        )


def _merging(git: Git) -> bool:
    done = git.run("rev-parse", "--verify", "--quiet", "MERGE_HEAD", ok_codes=(0, 1))
    return done.returncode == 0


def _mark_done(ctx: MissionExecutionContext, status: MissionStatus) -> list[str]:
    moved = []
    for wp_id, state in sorted(status.snapshot().work_packages.items()):
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
        status.transition(wp_id, Lane.DONE, actor="merge", evidence=evidence)
        moved.append(wp_id)
    if moved:
        commit_status(ctx, status, f"status: merged {', '.join(moved)} -> done")
    return moved


def _number(ctx: MissionExecutionContext, checkout: Path) -> int | None:
    number, meta_path = assign_mission_number(ctx.mission_dir_in(checkout))
    if number is not None:
        commit_to(
            ctx.artifact_placement.placement_ref,
            [meta_path],
            f"merge: {ctx.mission_dir_name} is mission {number}",
            cwd=checkout,
        )
    return number


def _cleanup(ctx: MissionExecutionContext, state: MergeState) -> list[str]:
    removed = []
    for step in state.steps:
        kind, _, lane_id = step.partition(":")
        if kind == "merge-lane":
            removed += remove_worktree(
                ctx, ctx.lane_worktree(lane_id), branch=ctx.lane_branch(lane_id)
            )
    if state.temporary_checkout:
        removed += remove_worktree(ctx, Path(state.checkout))
    return removed


def _abort(ctx: MissionExecutionContext, state: MergeState | None, *, as_json: bool) -> int:
    if state is None:
        raise ContextError(
            f"no merge of {ctx.mission_dir_name} to abort",
            code="MERGE_STATE_NOT_FOUND",
            next_step="nothing to give up; `spec-kitty merge --mission "
            f"{ctx.identity.mid8} --dry-run` shows what a merge would do",
        )
    checkout = Path(state.checkout)
    git = Git(checkout)
    reset_to = None
    if checkout.is_dir():
        if _merging(git):
            git.run("merge", "--abort")
        if state.start_sha and _tip(git, state.target_branch) != state.start_sha:
            git.run("reset", "--keep", state.start_sha)
            reset_to = state.start_sha
        if state.temporary_checkout:
            remove_worktree(ctx, checkout)
    _state_path(ctx).unlink(missing_ok=True)
    document = {"mission": ctx.mission_dir_name, "aborted": True, "reset_to": reset_to}
    if as_json:
        emit_json(document)
    else:
        say(f"Gave up the merge of {ctx.mission_dir_name}; {state.target_branch} is as before.")
    return 0


# -- retrospective / accept ----------------------------------------------------------------


def write_retrospective(
    ctx: MissionExecutionContext, checkout: Path, *, merged_at: str | None = None
) -> Path | None:
    """Write the tracked ``retrospective.yaml`` (once) in ``checkout`` and commit it."""
    import yaml

    path = ctx.mission_dir_in(checkout) / RETROSPECTIVE
    if path.exists():
        return None
    snapshot = ctx.status().snapshot()
    document: dict[str, Any] = {
        "mission_id": ctx.identity.mission_id,
        "mission_slug": ctx.identity.mission_slug,
        "captured_at": isoformat(datetime.now(UTC)),
        "merged_at": merged_at,
        "work_packages": {
            wp_id: {"lane": state.lane.value, "forced_moves": state.force_count}
            for wp_id, state in sorted(snapshot.work_packages.items())
        },
        "went_well": [],
        "to_improve": [],
        "actions": [],
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    commit_to(
        ctx.artifact_placement.placement_ref,
        [path],
        f"retrospect: {ctx.mission_dir_name}",
        cwd=checkout,
    )
    return path


def run_retrospect(cwd: Path, mission: str | None, *, as_json: bool) -> int:
    """Write and commit ``kitty-specs/<mission>/retrospective.yaml`` (tracked)."""

    def body() -> int:
        ctx = resolve(cwd, "retrospect", mission)
        written = write_retrospective(ctx, ctx.workspace.primary_root)
        path = ctx.primary_mission_dir / RETROSPECTIVE
        document = {"mission": ctx.mission_dir_name, "path": str(path), "created": bool(written)}
        if as_json:
            emit_json(document)
        else:
            say(f"{'Wrote' if written else 'Kept'} {path}; fill in went_well / to_improve.")
        return 0

    return guarded(as_json, body)


def run_accept(cwd: Path, mission: str | None, *, as_json: bool) -> int:
    """Readiness check: every WP done (or canceled), planning committed, no merge under way."""

    def body() -> int:
        from ._planning import planning_files

        ctx = resolve(cwd, "accept", mission)
        snapshot = ctx.status().snapshot()
        problems = [
            f"{wp_id} is {state.lane.value}"
            for wp_id, state in sorted(snapshot.work_packages.items())
            if state.lane not in (Lane.DONE, Lane.CANCELED)
        ]
        if not snapshot.work_packages:
            problems.append("no work packages")
        if _load_state(ctx) is not None:
            problems.append("a merge is under way")
        tracked = commit_files_needed(ctx, planning_files(ctx))
        problems += [f"{name} is not committed" for name in tracked]
        document = {"mission": ctx.mission_dir_name, "ready": not problems, "problems": problems}
        if as_json:
            emit_json(document)
        elif problems:
            say(f"{ctx.mission_dir_name} is not ready:", *(f"  - {p}" for p in problems))
        else:
            say(f"{ctx.mission_dir_name} is accepted: every work package is done.")
        return 0 if not problems else 1

    return guarded(as_json, body)


def commit_files_needed(ctx: MissionExecutionContext, paths: list[Path]) -> list[str]:
    """Planning files whose content differs from the target branch (or are not on it)."""
    root = ctx.workspace.primary_root
    git = Git(root)
    if not paths:
        return []
    relative = [str(path.relative_to(root)) for path in paths]
    listed = git.run(
        "ls-tree", "-r", f"refs/heads/{ctx.branch_ref.target_branch}", "--", *relative,
        ok_codes=(0, 128),
    ).stdout  # fmt: skip
    committed = {}
    for line in listed.splitlines():
        info, _, name = line.partition("\t")
        committed[name] = info.split()[2]
    hashed = git.out("hash-object", "--", *relative).splitlines()
    return [name for name, sha in zip(relative, hashed, strict=True) if committed.get(name) != sha]
