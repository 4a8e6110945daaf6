"""Writing one planning artifact onto the target branch, from any checkout.

An artifact a command produces (``analysis-report.md``, ``retrospective.yaml``)
belongs to the mission's target branch. It is written where that branch is
checked out and committed there; when no worktree has the branch out (the
primary checkout is on another branch), it is committed straight onto the
branch (a temporary index, ``commit-tree``, a compare-and-swap ``update-ref``)
and no working tree gets a copy that would belong to no branch. A refused
commit leaves the file as it was, so nothing stray is left for a later
command to sweep into a commit.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from mission_status import git_operation_error, write_atomic

from ._commit import commit_over, commit_to
from ._errors import ContextError
from ._git import Git, branch_tip
from ._locks import branch_lock
from ._status_store import locate_branch

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._context import MissionExecutionContext


class PlacedArtifact(msgspec.Struct, frozen=True):
    """Where an artifact went: ``location`` (a path, or ``<branch>:<path>``), the commit
    made (None when the branch already held it), and whether this call wrote it."""

    location: str
    commit: str | None
    written: bool


def place_artifact(
    ctx: MissionExecutionContext,
    name: str,
    data: bytes,
    message: str,
    *,
    keep_existing: bool = False,
    env: Mapping[str, str] | None = None,
) -> PlacedArtifact:
    """Write ``kitty-specs/<mission>/<name>`` on the target branch and commit it.

    With ``keep_existing`` an artifact the branch (or its checkout) already has is
    kept as it is, and only committed if an interrupted run left it uncommitted.
    Refused before anything is written while a git operation is in progress in
    the checkout that has the branch out (``GIT_OPERATION_IN_PROGRESS``,
    ``GIT_INDEX_LOCKED``).
    """
    target = ctx.artifact_placement.placement_ref
    home = locate_branch(ctx, target.branch, env)
    if home.blocked_by is not None:
        raise git_operation_error(home.blocked_by, refused=f"not writing {name}")
    if home.checkout is None or home.mission_dir is None:
        return _onto_branch(
            ctx, name, data=data, message=message, keep_existing=keep_existing, env=env
        )
    path = home.mission_dir / name  # in the checkout that has the branch out
    try:
        before: bytes | None = path.read_bytes()
    except FileNotFoundError:
        before = None
    write = not (keep_existing and before is not None)
    if write:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    try:
        made = commit_to(target, [path], message, cwd=home.checkout, env=env)
    except BaseException:  # a refused commit leaves the file as it was
        if write:
            if before is None:
                path.unlink(missing_ok=True)
            else:
                write_atomic(path, before)
        raise
    return PlacedArtifact(str(path), made.sha if made is not None else None, write)


def discard_uncommitted(ctx: MissionExecutionContext, checkout: Path, *names: str) -> list[str]:
    """Put the mission's bookkeeping files in ``checkout`` back as its HEAD has them.

    ``meta.json``, the event log, ``status.json`` and the artifacts ``names``: an
    uncommitted change is undone (unstaged, restored, or removed when HEAD has no
    such file). For a command that knows it wrote them and is taking its work
    back (``merge --abort``); returns the paths restored.
    """
    from mission_status import LOG_FILENAME, META_FILENAME, STATUS_FILENAME

    git = Git(checkout)
    rels = [
        f"{ctx.mission_path}/{name}"
        for name in (META_FILENAME, LOG_FILENAME, STATUS_FILENAME, *names)
    ]
    dirty = git.out("status", "--porcelain", "-z", "--untracked-files=all", "--", *rels)
    changed = [entry[3:] for entry in dirty.split("\0") if entry]
    if not changed:
        return []
    git.run("reset", "--quiet", "--", *changed)  # unstage an `add` that was never committed
    tracked = set(git.out("ls-tree", "--name-only", "HEAD", "--", *changed).splitlines())
    for rel in changed:
        if rel in tracked:
            git.run("checkout", "--quiet", "HEAD", "--", rel)
        else:
            (checkout / rel).unlink(missing_ok=True)
    return changed


def _onto_branch(
    ctx: MissionExecutionContext,
    name: str,
    *,
    data: bytes,
    message: str,
    keep_existing: bool,
    env: Mapping[str, str] | None,
) -> PlacedArtifact:
    branch = ctx.artifact_placement.placement_ref.branch
    rel = f"{ctx.mission_path}/{name}"
    git = Git(ctx.workspace.primary_root, env)
    with branch_lock(ctx.git_common_dir, branch):
        tip = branch_tip(git, branch)
        if tip is None:
            raise ContextError(
                f"the target branch {branch!r} does not exist",
                code="COMMIT_TARGET_MISSING",
                next_step=f"create it first (`git branch {branch} <start>`), or check meta.json",
            )
        if keep_existing and git.blobs([f"{tip}:{rel}"])[0] is not None:
            return PlacedArtifact(f"{branch}:{rel}", None, False)
        import shutil
        import tempfile

        scratch = Path(tempfile.mkdtemp(prefix="spec-kitty-artifact-"))
        try:
            path = scratch / rel
            path.parent.mkdir(parents=True)
            path.write_bytes(data)
            sha = commit_over(
                git, ctx.git_common_dir, work_tree=scratch, rels=(rel,), branch=branch,
                parent=tip, message=message,
            )  # fmt: skip
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return PlacedArtifact(f"{branch}:{rel}", sha, True)
