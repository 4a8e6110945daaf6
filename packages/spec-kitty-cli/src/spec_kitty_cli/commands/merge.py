"""``spec-kitty merge``: land every lane in the target, resumably; ``--dry-run``, ``--resume``,
``--abort``. How a merge works (its state, steps and abort) is in ``_merging``."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from mission_context import MissionExecutionContext
from spec_kitty_cli import _merging as merging
from spec_kitty_cli._errors import CliError
from spec_kitty_cli._output import Report
from spec_kitty_cli._runtime import resolve


def merge(
    cwd: Path,
    mission: str | None,
    *,
    dry_run: bool,
    resume: bool,
    abort: bool,
    quiet: bool,
    push: bool = False,
) -> Report:
    """Plan, dry-run, run, resume or abort the merge of a mission.

    Progress lines ``[n/N] ...`` go to stderr unless ``quiet``. With ``push``, a finished
    merge pushes the target to its remote (its upstream's, else ``origin``).
    """
    if resume and abort:
        raise CliError(
            "--resume and --abort exclude each other",
            code="INVALID_ARGUMENTS",
            next_step="pass one of them",
        )
    ctx = resolve(cwd, "merge", mission, sole=True)
    state = merging.load_state(ctx)
    if dry_run:
        if state is not None:
            return _plan_report(ctx, [merging.Step.parse(s) for s in state.steps], state.done)
        return _plan_report(ctx, merging.plan(ctx)[0], [])
    if abort and state is None:
        raise CliError(
            f"no merge of {ctx.mission_dir_name} to abort",
            code="MERGE_STATE_NOT_FOUND",
            next_step="nothing to give up; `spec-kitty merge --mission "
            f"{ctx.identity.mid8} --dry-run` shows what a merge would do",
        )
    if state is not None and not resume and not abort:
        raise CliError(
            f"a merge of {ctx.mission_dir_name} is already under way "
            f"({len(state.done)}/{len(state.steps)} steps done)",
            code="MERGE_IN_PROGRESS",
            next_step="continue it with --resume, or give it up with --abort",
        )
    if resume and state is None:
        raise CliError(
            f"no merge of {ctx.mission_dir_name} to resume",
            code="MERGE_STATE_NOT_FOUND",
            next_step=f"start one: `spec-kitty merge --mission {ctx.identity.mid8}`",
        )
    progress = Console(stderr=True, highlight=False, quiet=quiet)
    with merging.run_lock(ctx):
        state = merging.load_state(ctx)  # under the lock: what the last run left
        if abort:
            assert state is not None
            gave_up = merging.abort(ctx, state, progress)
            line = f"Gave up the merge of {ctx.mission_dir_name}; "
            return Report(gave_up, [f"{line}{state.target_branch} is as before."])
        if state is None:
            state = merging.start(ctx)
        merged = merging.run_steps(ctx, state, progress)
    lines = [f"Merged {ctx.mission_dir_name} into {state.target_branch}."]
    if push:
        remote = _push(ctx, state.target_branch)
        merged = {**merged, "pushed_to": remote}
        lines.append(f"  pushed {state.target_branch} to {remote}")
    return Report(merged, lines)


def _push(ctx: MissionExecutionContext, branch: str) -> str:
    """Push ``branch`` to its upstream remote (else ``origin``); the remote's name."""
    from mission_context import Git

    git = Git(ctx.workspace.primary_root)
    remote = git.out("config", "--default", "origin", f"branch.{branch}.remote").strip()
    git.run(
        "push", "--quiet", remote, f"refs/heads/{branch}:refs/heads/{branch}",
        next_step=f"the merge is done and kept; push it yourself: `git push {remote} {branch}`",
    )  # fmt: skip
    return remote


def _plan_report(
    ctx: MissionExecutionContext, steps: list[merging.Step], done: list[str]
) -> Report:
    document = {
        "mission": ctx.mission_dir_name,
        "target_branch": ctx.branch_ref.target_branch,
        "dry_run": True,
        "steps": [str(step) for step in steps],
        "done": done,
    }
    lines = [f"Merge plan for {ctx.mission_dir_name} into {ctx.branch_ref.target_branch}:"]
    for number, step in enumerate(steps, 1):
        mark = "done" if str(step) in done else "todo"
        lines.append(f"  {number}. {step.describe(ctx)} [{mark}]")
    return Report(document, lines)
