"""Mission worktrees (coordination and lanes): created once, reused, never raced, removed cleanly.

Any command may be the first to need a worktree, and agents run commands in
parallel, so creation happens under a cross-process file lock in the common git
dir: the first caller runs ``git worktree add``, everyone else finds the
worktree already there. The lock-free first look accepts only a finished
worktree; everything else is decided under the lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import msgspec

from ._context import WORKTREES_DIRNAME, MissionExecutionContext, git_dirs_of
from ._errors import ContextError
from ._git import Git, uncommitted_changes
from ._locks import held_lock
from ._refs import Refs, Worktree


class WorktreeSpec(msgspec.Struct, frozen=True):
    """One worktree to ensure: ``path`` with ``branch`` out.

    ``kind`` prefixes the error codes (``COORDINATION``, ``LANE``), ``label``
    names the branch in messages, and ``start_point`` is where a missing branch
    starts (None: a missing branch is an error).
    """

    path: Path
    branch: str
    kind: str
    label: str
    lock_name: str
    start_point: str | None = None


def ensure_worktree(
    ctx: MissionExecutionContext,
    spec: WorktreeSpec,
    *,
    lock_timeout: float = 60.0,
    env: Mapping[str, str] | None = None,
) -> bool:
    """Create or reuse the worktree of ``spec``; True when this call created it (or
    finished one whose ``git worktree add`` was interrupted).

    Raises :class:`ContextError` with ``<KIND>_WORKTREE_WRONG_BRANCH`` (a
    worktree of another branch at the path), ``<KIND>_WORKTREE_OCCUPIED``
    (something that is not a worktree), ``<KIND>_BRANCH_CHECKED_OUT`` (another
    live worktree has the branch), ``<KIND>_LOCK_TIMEOUT``, or
    ``COORDINATION_BRANCH_DELETED`` / ``LANE_BRANCH_NOT_FOUND`` when the branch
    is missing and has no start point. Stale registrations are pruned first.
    """
    refs = Refs(ctx.workspace.primary_root, ctx.git_common_dir, env)
    if _worktree_of(refs, spec, strict=False) is not None:  # the common case: no lock, no git
        return False
    code = f"{spec.kind}_LOCK_TIMEOUT"
    with held_lock(ctx.git_common_dir, spec.lock_name, timeout=lock_timeout, code=code):
        registered = _worktree_of(refs, spec, strict=True)
        if registered is not None:
            return _finish(registered, env)
        _create(refs, spec, env)
    return True


def _finish(worktree: Worktree, env: Mapping[str, str] | None) -> bool:
    """Complete a worktree whose ``git worktree add`` was killed; True when it had to.

    Such a worktree is registered with its branch but has no index (and is still
    locked as "initializing"): a commit there would record the deletion of every
    file. The index is built from HEAD and only the files missing on disk are
    written, so nothing already in the directory is overwritten.
    """
    git_dir = worktree.git_dir
    if git_dir is None:
        return False
    adding = _adding(git_dir)
    if (git_dir / "index").is_file() and not adding:
        return False
    git = Git(worktree.root, env)
    if not (git_dir / "index").is_file():
        git.run("read-tree", "HEAD")
        missing = [path for path in git.out("ls-files", "-z", "--deleted").split("\0") if path]
        if missing:
            git.run("checkout-index", "--", *missing)
    if adding:
        git.run("worktree", "unlock", str(worktree.root))
    return True


def incomplete_worktrees(
    ctx: MissionExecutionContext, env: Mapping[str, str] | None = None
) -> list[Path]:
    """Registered worktrees whose ``git worktree add`` never finished (no index, or locked
    "initializing"). The command that made one (``implement``) finishes it when re-run."""
    found = []
    for worktree in Refs(ctx.workspace.primary_root, ctx.git_common_dir, env).worktrees():
        git_dir = worktree.git_dir
        if git_dir is None or not worktree.exists or git_dir == ctx.git_common_dir:
            continue
        if _adding(git_dir) or not (git_dir / "index").is_file():
            found.append(worktree.root)
    return found


def _adding(git_dir: Path) -> bool:
    """Whether ``git worktree add`` is still checking out (it writes "initializing" to
    ``locked`` until it is done)."""
    try:
        return (git_dir / "locked").read_text(encoding="utf-8").strip() == "initializing"
    except (OSError, UnicodeDecodeError):
        return False


def remove_worktree(
    ctx: MissionExecutionContext,
    path: Path,
    *,
    branch: str | None = None,
    force: bool = False,
    env: Mapping[str, str] | None = None,
) -> list[str]:
    """Remove the worktree at ``path`` (if registered) and delete ``branch`` (if it exists).

    Refuses with ``WORKTREE_DIRTY`` when the worktree has uncommitted changes:
    nothing of the user's is thrown away. ``force`` is for a worktree this tool
    made for itself (a merge's temporary checkout). Returns what was removed.
    """
    refs = Refs(ctx.workspace.primary_root, ctx.git_common_dir, env)
    git = Git(ctx.workspace.primary_root, env)
    removed: list[str] = []
    registered = _registered_at(refs, path)
    if registered is not None and registered.exists:
        dirty = [] if force else uncommitted_changes(Git(path, env))
        if dirty:
            raise ContextError(
                f"{path} has uncommitted changes ({dirty[0].strip()} ...)",
                code="WORKTREE_DIRTY",
                next_step=f"commit or discard the changes in {path}, then re-run the command",
            )
        if registered.locked:
            git.run("worktree", "unlock", str(path), ok_codes=(0, 128))
        git.run("worktree", "remove", *(("--force",) if force else ()), str(path))
        removed.append(str(path))
    elif registered is not None:
        git.run("worktree", "prune")
    if branch is not None and refs.branch_exists(branch):
        git.run("branch", "-D", branch)
        removed.append(branch)
    return removed


def registered_worktrees(cwd: Path, env: Mapping[str, str] | None = None) -> list[Path]:
    """Every worktree registered in the repository of ``cwd`` (the primary first), stale ones
    (their directory deleted) included: read from git's files, like ``git worktree list``."""
    dirs = git_dirs_of(Path(cwd))
    return [worktree.root for worktree in Refs(dirs.primary_root, dirs.common_dir, env).worktrees()]


def is_checkout(path: Path) -> bool:
    """Whether ``path`` is the top of a checkout (a worktree that has not been removed)."""
    return (path / ".git").exists()


def checkout_of(
    ctx: MissionExecutionContext, branch: str, env: Mapping[str, str] | None = None
) -> Path | None:
    """The live worktree that has ``branch`` checked out (or is rebasing it), if any."""
    holder = Refs(ctx.workspace.primary_root, ctx.git_common_dir, env).holder_of(branch)
    return holder.root if holder is not None else None


def _registered_at(refs: Refs, path: Path) -> Worktree | None:
    return next((worktree for worktree in refs.worktrees() if worktree.root == path), None)


def _worktree_of(refs: Refs, spec: WorktreeSpec, *, strict: bool) -> Worktree | None:
    """The live worktree at ``spec.path`` when it has ``spec.branch`` out, else None.

    With ``strict``, a worktree of another branch there is an error. Without it
    (the lock-free first look) anything short of a finished worktree is "not
    yet": another process may be half-way through ``git worktree add``, which
    keeps the worktree ``locked`` ("initializing") and starts on a detached HEAD
    until the checkout is complete; the look under the lock decides.
    """
    if not (spec.path / ".git").exists():
        return None
    worktree = _registered_at(refs, spec.path)
    if worktree is None or not worktree.exists or (worktree.locked and not strict):
        return None
    if worktree.holds(spec.branch):
        return worktree
    if not strict:
        return None
    have = worktree.branch or "a detached HEAD"
    raise ContextError(
        f"{spec.path} is a worktree of {have}, not of the {spec.label} {spec.branch!r}",
        code=f"{spec.kind}_WORKTREE_WRONG_BRANCH",
        next_step=f"commit or move its changes, then `git worktree remove {spec.path}` "
        "and re-run the command to recreate it",
    )


def _create(refs: Refs, spec: WorktreeSpec, env: Mapping[str, str] | None) -> None:
    git = Git(refs.primary_root, env)
    path, branch = spec.path, spec.branch
    worktrees = refs.worktrees()
    if any(not w.exists and (w.root == path or w.holds(branch)) for w in worktrees):
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
                f"cannot check out {spec.label} {branch!r} at {path}: {where}",
                code=f"{spec.kind}_BRANCH_CHECKED_OUT",
                next_step=f"`git worktree remove {worktree.root}` (or `git worktree unlock` "
                "a locked stale entry), then re-run the command",
            )
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ContextError(
            f"{path} exists and is not a worktree of this repository",
            code=f"{spec.kind}_WORKTREE_OCCUPIED",
            next_step=f"move {path} out of the way, or run `git worktree repair {path}` "
            "if it is a moved worktree",
        )
    exclude_worktrees_dir(refs.common_dir)
    if refs.branch_exists(branch):
        git.run("worktree", "add", "--quiet", str(path), branch)
    elif spec.start_point is not None:
        git.run("worktree", "add", "--quiet", "-b", branch, str(path), spec.start_point)
    elif spec.kind == "COORDINATION":
        raise ContextError(
            f"coordination branch {branch!r} does not exist",
            code="COORDINATION_BRANCH_DELETED",
            next_step=f"restore the branch (`git branch {branch} <commit>`)",
        )
    else:
        raise ContextError(
            f"{spec.label} {branch!r} does not exist",
            code=f"{spec.kind}_BRANCH_NOT_FOUND",
            next_step=f"create it (`git branch {branch} <commit>`) and re-run the command",
        )


def exclude_worktrees_dir(common_dir: Path) -> None:
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


class LaneWorkspace(msgspec.Struct, frozen=True):
    """The worktree of one lane: ``path`` with ``branch`` out; ``created`` by this call."""

    lane_id: str
    branch: str
    path: Path
    created: bool

    @classmethod
    def resolve(
        cls,
        ctx: MissionExecutionContext,
        lane_id: str | None = None,
        *,
        start_point: str | None = None,
        lock_timeout: float = 60.0,
        env: Mapping[str, str] | None = None,
    ) -> LaneWorkspace:
        """Create or reuse the worktree of ``lane_id`` (default: the lane of ``ctx.wp``).

        A missing lane branch starts at ``start_point`` (a ref or commit). Raises
        ``NO_LANE`` when the mission has no lanes (single_branch, or no lanes.json
        yet), and the ``LANE_*`` codes of :func:`ensure_worktree`.
        """
        lane = lane_id or ctx.lane
        if lane is None or not ctx.topology.uses_lanes:
            raise ContextError(
                f"{ctx.mission_dir_name} ({ctx.topology.value}) has no lane"
                + (f" for {ctx.wp}" if ctx.wp else ""),
                code="NO_LANE",
                next_step="work in the primary checkout, or run "
                f"`spec-kitty finalize-tasks --mission {ctx.identity.mid8}` to allocate lanes",
            )
        spec = WorktreeSpec(
            path=ctx.lane_worktree(lane),
            branch=ctx.lane_branch(lane),
            kind="LANE",
            label="lane branch",
            lock_name=f"{ctx.mission_dir_name}.{lane}.lock",
            start_point=start_point,
        )
        created = ensure_worktree(ctx, spec, lock_timeout=lock_timeout, env=env)
        return cls(lane_id=lane, branch=spec.branch, path=spec.path, created=created)


class TargetCheckout(msgspec.Struct, frozen=True):
    """A checkout with the target branch out, where merges happen.

    The checkout that already has the branch (usually the primary) when there is
    one, so the user's working tree follows the merge; else a temporary worktree
    ``.worktrees/<dir>-merge`` (``temporary``), removed with :meth:`release`.
    """

    path: Path
    branch: str
    temporary: bool

    @classmethod
    def resolve(
        cls, ctx: MissionExecutionContext, *, env: Mapping[str, str] | None = None
    ) -> TargetCheckout:
        branch = ctx.branch_ref.target_branch
        holder = Refs(ctx.workspace.primary_root, ctx.git_common_dir, env).holder_of(branch)
        if holder is not None:
            return cls(path=holder.root, branch=branch, temporary=False)
        spec = WorktreeSpec(
            path=ctx.merge_worktree,
            branch=branch,
            kind="MERGE",
            label="target branch",
            lock_name=f"{ctx.mission_dir_name}.merge.lock",
        )
        ensure_worktree(ctx, spec, env=env)
        return cls(path=spec.path, branch=branch, temporary=True)

    def release(self, ctx: MissionExecutionContext) -> None:
        """Remove the temporary worktree (a checkout that was already there stays)."""
        if self.temporary:
            remove_worktree(ctx, self.path)


class CoordinationWorkspace(msgspec.Struct, frozen=True):
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
        spec = WorktreeSpec(
            path=path,
            branch=branch,
            kind="COORDINATION",
            label="coordination branch",
            lock_name=f"{ctx.mission_dir_name}.coord.lock",
        )
        created = ensure_worktree(ctx, spec, lock_timeout=lock_timeout, env=env)
        return cls(path=path, branch=branch, mission_dir=ctx.mission_dir_in(path), created=created)
