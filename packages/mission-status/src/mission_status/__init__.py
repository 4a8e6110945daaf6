"""mission-status: the one status authority of a spec-kitty mission.

The append-only ``status.events.jsonl`` is the only source of truth for work
package lanes; everything else here derives from it: the lane FSM, the
reducer, ``status.json`` and the :class:`MissionStatus` facade through which
every status read and write passes.
"""

from .__about__ import __version__
from ._errors import (
    EventLogError,
    GitOperationInProgressError,
    GuardError,
    MissionMetaError,
    MissionStatusError,
    TransitionError,
    UnknownLaneError,
    WorkPackageNotFoundError,
)
from ._events import (
    Actor,
    Annotation,
    AnnotationDelta,
    Evidence,
    RepoEvidence,
    ReviewApproval,
    ReviewOverride,
    ReviewResult,
    StatusEvent,
    VerificationResult,
)
from ._facade import MissionStatus, StatusBatch
from ._flock import FileLock, LockTimeout
from ._fsutil import write_atomic
from ._git import (
    GitDirs,
    GitPointerError,
    find_git_dirs,
    git_operation_error,
    git_operation_in_progress,
    git_operation_marker,
)
from ._ids import isoformat, new_ulid
from ._lanes import ALLOWED_EDGES, DISPLAY_LANES, TERMINAL_LANES, Lane, check_transition, parse_lane
from ._log import LOCK_DIRNAME, LOG_FILENAME, EventLog, ForeignRow, LockTimeoutError, TornLine
from ._merge import MergeOutcome, merge_logs
from ._meta import META_FILENAME
from ._progress import Progress, progress
from ._reducer import Reducer, reduce
from ._snapshot import StatusSnapshot, WPState, render_status_json
from ._views import (
    STATUS_FILENAME,
    LiveView,
    MaterializeResult,
    materialize,
    materialize_if_stale,
    materialize_snapshot,
)

__all__ = [
    "ALLOWED_EDGES",
    "DISPLAY_LANES",
    "LOCK_DIRNAME",
    "LOG_FILENAME",
    "META_FILENAME",
    "STATUS_FILENAME",
    "TERMINAL_LANES",
    "Actor",
    "Annotation",
    "AnnotationDelta",
    "EventLog",
    "EventLogError",
    "Evidence",
    "FileLock",
    "ForeignRow",
    "GitDirs",
    "GitOperationInProgressError",
    "GitPointerError",
    "GuardError",
    "Lane",
    "LiveView",
    "LockTimeout",
    "LockTimeoutError",
    "MaterializeResult",
    "MergeOutcome",
    "MissionMetaError",
    "MissionStatus",
    "MissionStatusError",
    "Progress",
    "Reducer",
    "RepoEvidence",
    "ReviewApproval",
    "ReviewOverride",
    "ReviewResult",
    "StatusBatch",
    "StatusEvent",
    "StatusSnapshot",
    "TornLine",
    "TransitionError",
    "UnknownLaneError",
    "VerificationResult",
    "WPState",
    "WorkPackageNotFoundError",
    "__version__",
    "check_transition",
    "find_git_dirs",
    "git_operation_error",
    "git_operation_in_progress",
    "git_operation_marker",
    "isoformat",
    "materialize",
    "materialize_if_stale",
    "materialize_snapshot",
    "merge_logs",
    "new_ulid",
    "parse_lane",
    "progress",
    "reduce",
    "render_status_json",
    "write_atomic",
]
