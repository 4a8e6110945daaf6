"""``MissionExecutionContext``: everything about where a mission lives, resolved once.

``resolve_action_context`` is the only resolver. It finds the primary checkout
through mission-status's pointer parser, reads ``meta.json`` there (never in a
worktree), derives ``mid8`` and the target branch once, and returns fragments
that are identical from any directory of the repository; only
``workspace.current_cwd`` says where the caller stood.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from mission_status import META_FILENAME, GitDirs, MissionStatus, find_git_dirs

from ._errors import ContextError
from ._handles import mission_dirs, resolve_handle
from ._lanes import LanePlan, read_lanes
from ._meta import MissionMeta, Topology
from ._refs import Refs

SPECS_DIRNAME = "kitty-specs"
WORKTREES_DIRNAME = ".worktrees"

#: Actions about the whole mission, and those about one work package.
MISSION_ACTIONS = frozenset(
    {
        "specify", "plan", "tasks", "finalize-tasks", "analyze", "record-analysis",
        "status", "merge", "accept", "retrospect", "context", "doctor", "materialize",
        "dashboard", "occurrence-map", "next",
    }
)  # fmt: skip
WP_ACTIONS = frozenset({"implement", "move-task", "review"})


class CommitTarget(msgspec.Struct, frozen=True):
    """A branch to commit to; ``role`` is ``target``, ``coordination`` or ``lane``."""

    branch: str
    role: str


class Identity(msgspec.Struct, frozen=True):
    mission_id: str
    mid8: str
    mission_slug: str


class BranchRef(msgspec.Struct, frozen=True):
    target_branch: str
    coordination_branch: str | None
    destination_ref: CommitTarget


class Workspace(msgspec.Struct, frozen=True):
    """Directories: the primary checkout, where the caller is, where work happens."""

    primary_root: Path
    current_cwd: Path
    coord_worktree: Path | None
    execution_workspace: Path
    allowed_command_cwd: Path


class StatusSurface(msgspec.Struct, frozen=True):
    """Where the status lives: ``branch``, and its mission directory when checked out as usual.

    ``read_dir``/``write_dir`` are the mission directory in the checkout that
    normally has ``branch`` out (the primary checkout, or the coordination
    worktree); :meth:`MissionExecutionContext.status` follows the branch wherever
    it is checked out, or reads its commit when nobody has it out.
    """

    branch: str
    read_dir: Path
    write_dir: Path


class ArtifactPlacement(msgspec.Struct, frozen=True):
    placement_ref: CommitTarget


class PromptSource(msgspec.Struct, frozen=True):
    prompt_source_dir: Path


class MissionExecutionContext(msgspec.Struct, frozen=True):
    """The resolved context of one action on one mission (frozen)."""

    action: str
    mission_dir_name: str
    git_common_dir: Path
    topology: Topology
    meta: MissionMeta
    wp: str | None
    lane: str | None
    identity: Identity
    branch_ref: BranchRef
    workspace: Workspace
    status_surface: StatusSurface
    artifact_placement: ArtifactPlacement
    prompt_source: PromptSource

    @property
    def primary_mission_dir(self) -> Path:
        return self.workspace.primary_root / SPECS_DIRNAME / self.mission_dir_name

    def mission_dir_in(self, checkout: Path) -> Path:
        """This mission's directory in another checkout of the repository (a worktree)."""
        return checkout / SPECS_DIRNAME / self.mission_dir_name

    @property
    def mission_branch(self) -> str:
        """``kitty/mission-<dir>``: the name lanes.json records (and coord topologies use)."""
        return mission_branch_of(self.mission_dir_name)

    def lane_branch(self, lane_id: str) -> str:
        """``kitty/mission-<dir>-<lane id>``, the branch of one lane."""
        return f"{self.mission_branch}-{lane_id}"

    def lane_worktree(self, lane_id: str) -> Path:
        """``.worktrees/<dir>-<lane id>`` in the primary checkout."""
        return lane_worktree_of(self.workspace.primary_root, self.mission_dir_name, lane_id)

    @property
    def merge_worktree(self) -> Path:
        """``.worktrees/<dir>-merge``: where a merge checks out a target nobody has out."""
        return self.workspace.primary_root / WORKTREES_DIRNAME / f"{self.mission_dir_name}-merge"

    @property
    def mission_path(self) -> str:
        """``kitty-specs/<dir>``: the mission directory as a path inside any tree of the repo."""
        return f"{SPECS_DIRNAME}/{self.mission_dir_name}"

    def lanes(self) -> list[LanePlan]:
        """The lanes of ``lanes.json`` in the primary mission directory ([] without one)."""
        return read_lanes(self.primary_mission_dir)

    def to_dict(self) -> dict[str, Any]:
        """One JSON-serialisable key per fragment (paths as strings)."""
        return {
            name: _plain(getattr(self, name))
            for name in (
                "identity",
                "branch_ref",
                "workspace",
                "status_surface",
                "artifact_placement",
                "prompt_source",
            )
        }

    def status(self) -> MissionStatus:
        """The status authority, read from the branch that holds this mission's status.

        Read where that branch is checked out, or from its commit when no worktree
        has it out (see :func:`read_status`). Writes go through :class:`StatusWrite`.
        """
        from ._status_store import read_status

        return read_status(self)


def mission_branch_of(mission_dir_name: str) -> str:
    return f"kitty/mission-{mission_dir_name}"


def lane_worktree_of(primary_root: Path, mission_dir_name: str, lane_id: str) -> Path:
    return primary_root / WORKTREES_DIRNAME / f"{mission_dir_name}-{lane_id}"


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready builtins: structs as dicts, paths as strings, all the way down."""
    if isinstance(value, msgspec.Struct):
        return {key: _plain(item) for key, item in msgspec.structs.asdict(value).items()}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value


def git_dirs_of(
    path: Path,
    *,
    next_step: str = "run the command from your project's checkout (or `git init` one)",
    must_exist: bool = True,
) -> GitDirs:
    """The git dirs of the checkout holding ``path``; ``NOT_A_REPOSITORY`` outside git.

    ``must_exist=False`` for a file that may be gone (a deletion to commit).
    """
    dirs = find_git_dirs(path) if not must_exist or path.exists() else None
    if dirs is None:
        raise ContextError(
            f"{path} is not inside a git repository", code="NOT_A_REPOSITORY", next_step=next_step
        )
    return dirs


def list_missions(*, cwd: Path | str) -> list[str]:
    """The mission directory names of the repository of ``cwd`` (primary checkout), sorted."""
    dirs = git_dirs_of(Path(os.path.abspath(cwd)))
    return mission_dirs(dirs.primary_root / SPECS_DIRNAME)


def resolve_action_context(
    *,
    cwd: Path | str,
    action: str,
    mission: str,
    wp: str | None = None,
    env: Mapping[str, str] | None = None,
) -> MissionExecutionContext:
    """Resolve ``action`` on ``mission`` from ``cwd``: the same fragments from any directory."""
    if action not in MISSION_ACTIONS and action not in WP_ACTIONS:
        known = ", ".join(sorted(MISSION_ACTIONS | WP_ACTIONS))
        raise ContextError(
            f"unknown action {action!r} (known: {known})",
            code="INVALID_ACTION",
            next_step="use one of the known actions",
        )
    current = Path(os.path.abspath(cwd))
    dirs = git_dirs_of(current)
    primary = dirs.primary_root
    specs = primary / SPECS_DIRNAME
    name = resolve_handle(specs, mission)
    mission_dir = specs / name
    meta = MissionMeta.read(mission_dir / META_FILENAME)
    topology = meta.topology(mission_dir)
    coordination = meta.coordination_branch if topology.uses_coordination else None
    refs = Refs(primary, dirs.common_dir, env)
    if coordination is not None and not refs.branch_exists(coordination):
        raise ContextError(
            f"{name} records coordination branch {coordination!r}, which no longer exists",
            code="COORDINATION_BRANCH_DELETED",
            next_step=f"restore the branch (`git branch {coordination} <commit>`) "
            "or remove coordination_branch from meta.json to flatten the mission",
        )
    target = CommitTarget(meta.target_branch, "target")
    coord_worktree = primary / WORKTREES_DIRNAME / f"{name}-coord" if coordination else None
    status_dir = coord_worktree / SPECS_DIRNAME / name if coord_worktree else mission_dir
    lane = None
    execution = primary
    if action in WP_ACTIONS:
        if wp is None:
            raise ContextError(
                f"{action} needs a work package",
                code="WORK_PACKAGE_UNRESOLVED",
                next_step=f"pass the work package id, e.g. "
                f"`spec-kitty {action} WP01 --mission {name}`",
            )
        wp = wp.strip().upper()
        lane = _lane_of(mission_dir, wp)
        if not topology.uses_lanes:
            lane = None  # lanes.json may exist (finalize-tasks writes it), but no lane is used
        elif lane is not None:
            execution = lane_worktree_of(primary, name, lane)
    return MissionExecutionContext(
        action=action,
        mission_dir_name=name,
        git_common_dir=dirs.common_dir,
        topology=topology,
        meta=meta,
        wp=wp,
        lane=lane,
        identity=Identity(meta.mission_id, meta.mid8, meta.mission_slug),
        branch_ref=BranchRef(
            target_branch=meta.target_branch,
            coordination_branch=coordination,
            destination_ref=CommitTarget(coordination, "coordination") if coordination else target,
        ),
        workspace=Workspace(
            primary_root=primary,
            current_cwd=current,
            coord_worktree=coord_worktree,
            execution_workspace=execution,
            allowed_command_cwd=execution,
        ),
        status_surface=StatusSurface(
            branch=coordination or meta.target_branch, read_dir=status_dir, write_dir=status_dir
        ),
        artifact_placement=ArtifactPlacement(placement_ref=target),
        prompt_source=PromptSource(prompt_source_dir=mission_dir / "tasks"),
    )


def _lane_of(mission_dir: Path, wp: str) -> str | None:
    """The lane id holding ``wp`` (lanes.json); None without lanes. Unknown WP is an error."""
    for lane in read_lanes(mission_dir):
        if wp in lane.wp_ids:
            return lane.lane_id
    tasks_dir = mission_dir / "tasks"
    if tasks_dir.is_dir() and any(tasks_dir.glob(f"{wp}-*.md")):
        return None
    raise ContextError(
        f"work package {wp!r} is not part of {mission_dir.name}",
        code="WORK_PACKAGE_UNRESOLVED",
        next_step=f"check the id against `spec-kitty status --mission {mission_dir.name}`, or "
        f"run `spec-kitty finalize-tasks --mission {mission_dir.name}`",
    )
