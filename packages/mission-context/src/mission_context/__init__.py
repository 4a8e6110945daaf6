"""mission-context: resolve a spec-kitty mission's execution context once, from any directory.

``resolve_action_context`` is the only resolver; its fragments are identical
from the primary checkout, any lane or coordination worktree and any
subdirectory of them. Coordination worktrees and commit routing arrive next.
"""

from .__about__ import __version__
from ._context import (
    ArtifactPlacement,
    BranchRef,
    CommitTarget,
    Identity,
    MissionExecutionContext,
    PromptSource,
    StatusSurface,
    Workspace,
    resolve_action_context,
)
from ._errors import ContextError
from ._meta import MissionMeta, Topology

__all__ = [
    "ArtifactPlacement",
    "BranchRef",
    "CommitTarget",
    "ContextError",
    "Identity",
    "MissionExecutionContext",
    "MissionMeta",
    "PromptSource",
    "StatusSurface",
    "Topology",
    "Workspace",
    "__version__",
    "resolve_action_context",
]
