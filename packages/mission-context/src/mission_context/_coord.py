"""The coordination worktree: created once, reused by every command, never raced.

A coord-topology mission keeps its status on a coordination branch, checked out
at ``.worktrees/<mission dir>-coord``. Any command may be the first to need it,
and agents run commands in parallel, so creation happens under a cross-process
file lock in the common git dir: the first caller runs ``git worktree add``,
everyone else finds the worktree already there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ._context import SPECS_DIRNAME, WORKTREES_DIRNAME, MissionExecutionContext
from ._errors import ContextError
from ._gitcmd import Git
from ._worktrees import Refs, Worktree, held_lock


@dataclass(frozen=True, slots=True)
class CoordinationWorkspace:
    """The coordination worktree of one mission.

    ``path`` is the worktree, ``mission_dir`` the mission directory inside it
    (the status surface), ``created`` whether this call made it.
    """

    path: Path
    branch: str
    mission_dir: Path
    created: bool

    @classmethod
    def resolve(
        cls,
        ctx: MissionExecutionContext,
        *,
        lock_timeout: float = 60.0,
        env: Mapping[str, str] | None = None,
    ) -> CoordinationWorkspace:
        """Create or reuse ``ctx``'s coordination worktree.

        Raises :class:`ContextError`: ``NO_COORDINATION_BRANCH`` for a flattened
        mission, ``COORDINATION_WORKTREE_WRONG_BRANCH`` when the path holds a
        worktree of another branch, ``COORDINATION_WORKTREE_OCCUPIED`` when it
        holds something that is not a worktree, ``COORDINATION_BRANCH_CHECKED_OUT``
        when another live worktree has the branch, ``COORDINATION_LOCK_TIMEOUT``.
        Stale registrations (their directory deleted) are pruned first.
        """
        branch = ctx.branch_ref.coordination_branch
        path = ctx.workspace.coord_worktree
        if branch is None or path is None:
            raise ContextError(
                f"{ctx.mission_dir_name} has topology {ctx.topology.value}: its status lives "
                "on the target branch, there is no coordination worktree",
                code="NO_COORDINATION_BRANCH",
                next_step="use ctx.status_surface directly; only coord topologies have one",
            )
        refs = Refs(ctx.workspace.primary_root, ctx.git_common_dir, env)
        if _is_worktree_of(refs, path, branch, strict=False):  # common case: no lock, no git
            return cls._of(ctx, path, branch, created=False)
        lock_name = f"{ctx.mission_dir_name}.coord.lock"
        with held_lock(
            ctx.git_common_dir, lock_name, timeout=lock_timeout, code="COORDINATION_LOCK_TIMEOUT"
        ):
            if _is_worktree_of(refs, path, branch, strict=True):
                return cls._of(ctx, path, branch, created=False)
            _create(refs, path, branch, env)
        return cls._of(ctx, path, branch, created=True)

    @classmethod
    def _of(
        cls, ctx: MissionExecutionContext, path: Path, branch: str, *, created: bool
    ) -> CoordinationWorkspace:
        mission_dir = path / SPECS_DIRNAME / ctx.mission_dir_name
        return cls(path=path, branch=branch, mission_dir=mission_dir, created=created)


def _registered_at(refs: Refs, path: Path) -> Worktree | None:
    for worktree in refs.worktrees():
        if worktree.root == path:
            return worktree
    return None


def _is_worktree_of(refs: Refs, path: Path, branch: str, *, strict: bool) -> bool:
    """Whether ``path`` is a live worktree with ``branch`` out.

    With ``strict``, a worktree of another branch there is an error. Without it
    (the lock-free first look) anything short of a finished worktree is "not
    yet": another process may be half-way through ``git worktree add``, which
    keeps the worktree ``locked`` ("initializing") and starts on a detached HEAD
    until the checkout is complete; the look under the lock decides.
    """
    if not (path / ".git").exists():
        return False
    worktree = _registered_at(refs, path)
    if worktree is None or not worktree.exists or (worktree.locked and not strict):
        return False
    if worktree.holds(branch):
        return True
    if not strict:
        return False
    have = worktree.branch or "a detached HEAD"
    raise ContextError(
        f"{path} is a worktree of {have}, not of the coordination branch {branch!r}",
        code="COORDINATION_WORKTREE_WRONG_BRANCH",
        next_step=f"commit or move its changes, then `git worktree remove {path}` "
        "and re-run the command to recreate it",
    )


def _create(refs: Refs, path: Path, branch: str, env: Mapping[str, str] | None) -> None:
    git = Git(refs.primary_root, env)
    worktrees = refs.worktrees()
    stale = [w for w in worktrees if not w.exists and (w.root == path or w.holds(branch))]
    if stale:
        git.run("worktree", "prune")
        worktrees = refs.worktrees()
    for worktree in worktrees:
        if worktree.root == path or worktree.holds(branch):
            where = (
                f"{worktree.root} has it out"
                if worktree.exists
                else f"the locked registration of deleted worktree {worktree.root} claims it"
            )
            raise ContextError(
                f"cannot check out coordination branch {branch!r} at {path}: {where}",
                code="COORDINATION_BRANCH_CHECKED_OUT",
                next_step=f"`git worktree remove {worktree.root}` (or `git worktree unlock` "
                "a locked stale entry), then re-run the command",
            )
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ContextError(
            f"{path} exists and is not a worktree of this repository",
            code="COORDINATION_WORKTREE_OCCUPIED",
            next_step=f"move {path} out of the way, or run `git worktree repair {path}` "
            "if it is a moved worktree",
        )
    if not refs.branch_exists(branch):
        raise ContextError(
            f"coordination branch {branch!r} does not exist",
            code="COORDINATION_BRANCH_DELETED",
            next_step=f"restore the branch (`git branch {branch} <commit>`)",
        )
    _exclude_worktrees_dir(refs.common_dir)
    git.run("worktree", "add", "--quiet", str(path), branch)


def _exclude_worktrees_dir(common_dir: Path) -> None:
    """List ``/.worktrees/`` in ``info/exclude`` so worktrees never show as untracked.

    ``info/exclude`` lives in the git dir: nothing tracked changes.
    """
    exclude = common_dir / "info" / "exclude"
    line = f"/{WORKTREES_DIRNAME}/"
    try:
        text = exclude.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    if line in text.splitlines():
        return
    exclude.parent.mkdir(parents=True, exist_ok=True)
    separator = "" if not text or text.endswith("\n") else "\n"
    with exclude.open("a", encoding="utf-8") as handle:
        handle.write(f"{separator}{line}\n")
