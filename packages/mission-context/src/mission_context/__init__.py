"""mission-context: resolve a spec-kitty mission's execution context once, from any directory.

``resolve_action_context`` is the only resolver; its fragments are identical
from the primary checkout, any lane or coordination worktree and any
subdirectory of them. ``CoordinationWorkspace.resolve`` creates or reuses a
coord mission's coordination worktree under a cross-process lock, and
``commit_to`` commits files to any branch without switching a checkout.
"""

from .__about__ import __version__
from ._artifacts import PlacedArtifact, discard_uncommitted, place_artifact
from ._commit import CommitResult, commit_to
from ._context import (
    ArtifactPlacement,
    BranchRef,
    CommitTarget,
    Identity,
    MissionExecutionContext,
    PromptSource,
    StatusSurface,
    Workspace,
    git_dirs_of,
    list_missions,
    resolve_action_context,
)
from ._create import CreatedMission, create_mission, human_slug
from ._errors import ContextError
from ._git import (
    Git,
    GitError,
    branch_tip,
    changed_paths,
    differing_from,
    is_ancestor,
    merge_base,
    merge_head,
    remote_copies,
    uncommitted_changes,
)
from ._init import (
    CONFIG_PATH,
    MERGE_DRIVER,
    STATUS_MERGE_DRIVER,
    InitResult,
    driver_commands,
    ensure_merge_drivers,
    init_repository,
    missing_merge_drivers,
)
from ._lanes import LanePlan, lanes_document, write_lanes
from ._locks import held_lock
from ._meta import (
    MissionMeta,
    Topology,
    assign_mission_number,
    highest_mission_number,
    write_meta,
)
from ._status_store import StatusHome, StatusWrite, locate_status, status_source
from ._workspaces import (
    CoordinationWorkspace,
    LaneWorkspace,
    TargetCheckout,
    checkout_of,
    incomplete_worktrees,
    is_checkout,
    registered_worktrees,
    remove_worktree,
)

__all__ = [
    "CONFIG_PATH",
    "MERGE_DRIVER",
    "STATUS_MERGE_DRIVER",
    "ArtifactPlacement",
    "BranchRef",
    "CommitResult",
    "CommitTarget",
    "ContextError",
    "CoordinationWorkspace",
    "CreatedMission",
    "Git",
    "GitError",
    "Identity",
    "InitResult",
    "LanePlan",
    "LaneWorkspace",
    "MissionExecutionContext",
    "MissionMeta",
    "PlacedArtifact",
    "PromptSource",
    "StatusHome",
    "StatusSurface",
    "StatusWrite",
    "TargetCheckout",
    "Topology",
    "Workspace",
    "__version__",
    "assign_mission_number",
    "branch_tip",
    "changed_paths",
    "checkout_of",
    "commit_to",
    "create_mission",
    "differing_from",
    "discard_uncommitted",
    "driver_commands",
    "ensure_merge_drivers",
    "git_dirs_of",
    "held_lock",
    "highest_mission_number",
    "human_slug",
    "incomplete_worktrees",
    "init_repository",
    "is_ancestor",
    "is_checkout",
    "lanes_document",
    "list_missions",
    "locate_status",
    "merge_base",
    "merge_head",
    "missing_merge_drivers",
    "place_artifact",
    "registered_worktrees",
    "remote_copies",
    "remove_worktree",
    "resolve_action_context",
    "status_source",
    "uncommitted_changes",
    "write_lanes",
    "write_meta",
]
