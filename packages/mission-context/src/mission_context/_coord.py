"""The coordination worktree: created once, reused by every command, never raced.

A coord-topology mission keeps its status on a coordination branch, checked out
at ``.worktrees/<mission dir>-coord`` (see ``_workspaces`` for how it is made).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ._context import SPECS_DIRNAME, MissionExecutionContext
from ._errors import ContextError
from ._workspaces import WorktreeSpec, ensure_worktree


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
        spec = WorktreeSpec(
            path=path,
            branch=branch,
            kind="COORDINATION",
            label="coordination branch",
            lock_name=f"{ctx.mission_dir_name}.coord.lock",
        )
        created = ensure_worktree(ctx, spec, lock_timeout=lock_timeout, env=env)
        return cls._of(ctx, path, branch, created=created)

    @classmethod
    def _of(
        cls, ctx: MissionExecutionContext, path: Path, branch: str, *, created: bool
    ) -> CoordinationWorkspace:
        mission_dir = path / SPECS_DIRNAME / ctx.mission_dir_name
        return cls(path=path, branch=branch, mission_dir=mission_dir, created=created)
