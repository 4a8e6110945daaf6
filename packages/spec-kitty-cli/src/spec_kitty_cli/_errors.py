"""The CLI's error contract: its own error type, every code it can print with its exit code,
and the one place that turns the other packages' errors into it.

Every spec-kitty package raises errors of one shape, ``(message, *, code, next_step)`` with
an UPPER_SNAKE ``code``: mission-status's ``MissionStatusError`` (mission-context's
``ContextError`` is one), occurrence-map's ``OccurrenceMapError``, sync-daemon's
``ServiceError``. The two that do not share mission-status's base (their packages depend on
nothing of ours) are translated by :func:`translate`. ``EXIT_CODES`` lists every code with
its exit status; a test checks it against the codes raised in the source and against
docs/cli.md, so a new code cannot go undocumented or get an exit status by accident.
"""

from __future__ import annotations

from typing import Protocol

from mission_status import MissionStatusError

#: A refused or failed operation.
EXIT_FAILURE = 1
#: The command line itself is wrong (a handle that cannot be one, an unknown action).
EXIT_USAGE = 2
#: The thing named on the command line (mission, directory, work package) does not exist,
#: or the context cannot be resolved to exactly one.
EXIT_NOT_FOUND = 3


class CliError(MissionStatusError):
    """An error of a command itself (not of a package it calls): a code, a message, a next step."""

    def __init__(self, message: str, *, code: str, next_step: str) -> None:
        super().__init__(message, next_step=next_step, code=code)


def _codes(exit_code: int, *codes: str) -> dict[str, int]:
    return dict.fromkeys(codes, exit_code)


_WORKTREE_KINDS = ("COORDINATION", "LANE", "MERGE")
_WORKTREE_CODES = tuple(
    f"{kind}_{what}"
    for kind in _WORKTREE_KINDS
    for what in ("WORKTREE_WRONG_BRANCH", "WORKTREE_OCCUPIED", "BRANCH_CHECKED_OUT", "LOCK_TIMEOUT")
)
#: The codes occurrence-map raises; the CLI prints them as ``OCCURRENCE_MAP_<code>``.
OCCURRENCE_MAP_CODES = (
    "UNREADABLE",
    "TOO_LARGE",
    "NOT_UTF8",
    "MALFORMED_YAML",
    "NOT_A_MAPPING",
    "INVALID_MAP",
)

#: Every error code the CLI can print, and its exit status.
EXIT_CODES: dict[str, int] = {
    **_codes(
        EXIT_USAGE,
        "INVALID_MISSION_HANDLE",
        "INVALID_ACTION",
        "INVALID_MISSION_NAME",
        "INVALID_TOPOLOGY",
        "INVALID_ARGUMENTS",
        "UNKNOWN_LANE",
        "UNKNOWN_MISSION_TYPE",
        "AGENT_REQUIRED",
        "UNKNOWN_AGENT",
        "USAGE_ERROR",
        "NOT_CARRIED_OVER",
        "UNKNOWN_REQUIREMENT",
    ),
    **_codes(
        EXIT_NOT_FOUND,
        # the named thing does not exist
        "MISSION_NOT_FOUND",
        "MISSION_DIR_NOT_FOUND",
        "WORK_PACKAGE_NOT_FOUND",
        "TARGET_BRANCH_NOT_FOUND",
        "STATUS_BRANCH_NOT_FOUND",
        "TASKS_NOT_FOUND",
        "ANALYSIS_NOT_FOUND",
        "INPUT_FILE_NOT_FOUND",
        "FEEDBACK_FILE_NOT_FOUND",
        "MERGE_STATE_NOT_FOUND",
        "MERGE_TARGET_MISSING",
        "OCCURRENCE_MAP_NOT_FOUND",
        "LANE_BRANCH_NOT_FOUND",
        "MERGE_BRANCH_NOT_FOUND",
        # the context does not resolve to exactly one
        "MISSION_AMBIGUOUS_SELECTOR",
        "FEATURE_CONTEXT_UNRESOLVED",
        "WORK_PACKAGE_UNRESOLVED",
        "NOT_A_REPOSITORY",
        "TARGET_BRANCH_UNRESOLVED",
        "COORDINATION_BRANCH_DELETED",
    ),
    **_codes(
        EXIT_FAILURE,
        # reading a mission's files
        "MISSION_META_INVALID",
        "GIT_POINTER_INVALID",
        "LANES_INVALID",
        "EVENT_LOG_INVALID",
        "EVENT_LOG_INVALID_JSON",
        "EVENT_LOG_INVALID_EVENT",
        "EVENT_LOG_UNKNOWN_LANE",
        "EVENT_LOG_INVALID_ACTOR",
        "EVENT_LOG_UNKNOWN_KIND",
        "EVENT_LOG_NOT_UTF8",
        "EVENT_LOG_UNREADABLE",
        "EVENT_LOG_SYMLINK",
        "TASKS_INVALID",
        "TASKS_NOT_WRITTEN",
        "TASKS_MD_EDITED",
        "WPS_MANIFEST_DECIDES",
        "WPS_MANIFEST_INVALID",
        "MERGE_DRIVER_CONFLICT",
        "WP_FILE_INVALID",
        "ANALYSIS_REPORT_INVALID",
        "CONFIG_INVALID",
        # writing status and committing
        "ILLEGAL_TRANSITION",
        "TRANSITION_GUARD_FAILED",
        "INVALID_ANNOTATION",
        "STATUS_LOCK_TIMEOUT",
        "STATUS_READ_ONLY",
        "GIT_OPERATION_IN_PROGRESS",
        "GIT_INDEX_LOCKED",
        "GIT_COMMAND_FAILED",
        "COMMIT_TARGET_BUSY",
        "COMMIT_TARGET_DIRTY",
        "COMMIT_TARGET_MISSING",
        "COMMIT_TARGET_INVALID",
        "COMMIT_PATHS_INVALID",
        "COMMIT_LOCK_TIMEOUT",
        "COMMIT_SOURCE_DIVERGED",
        "COMMIT_RACE",
        # worktrees
        *_WORKTREE_CODES,
        "NO_COORDINATION_BRANCH",
        "NO_LANE",
        "WORKTREE_DIRTY",
        # the lifecycle's refusals
        "MISSION_EXISTS",
        "DEPENDENCIES_NOT_READY",
        "WORK_PACKAGE_CLAIMED",
        "WORK_PACKAGE_NOT_IMPLEMENTABLE",
        "WORK_PACKAGE_NOT_IN_REVIEW",
        "WORK_PACKAGE_BASE_UNKNOWN",
        "MERGE_NOT_READY",
        "MERGE_LANE_DIRTY",
        "MERGE_LANE_MISSING",
        "MERGE_TARGET_DIRTY",
        "MERGE_TARGET_MOVED",
        "MERGE_TARGET_BUSY",
        "MERGE_IN_PROGRESS",
        "MERGE_STATE_INVALID",
        "MERGE_CONFLICT",
        "MERGE_ABORT_UNSAFE",
        # occurrence maps
        "OCCURRENCE_MAP_MISSING",
        "OCCURRENCE_MAP_INVALID",
        "OCCURRENCE_MAP_INADMISSIBLE",
        "OCCURRENCE_MAP_BLOCKED",
        "OCCURRENCE_MAP_EXISTS",
        *(f"OCCURRENCE_MAP_{code}" for code in OCCURRENCE_MAP_CODES),
        # services (sync, dashboard)
        "SERVICE_UNREACHABLE",
        "SERVICE_LOCK_TIMEOUT",
        "OUTBOX_LOCK_TIMEOUT",
        "SERVICE_START_FAILED",
        "SERVICE_START_TIMEOUT",
        "SERVICE_PORT_IN_USE",
        "DASHBOARD_PORT_IN_USE",
        # agents' command files
        "AGENT_PATH_UNSAFE",
        "AGENTS_MANIFEST_INVALID",
    ),
}


class StructuredError(Protocol):
    """What every error of our packages offers: a stable code, a message and a next step."""

    code: str
    message: str
    next_step: str

    def to_dict(self) -> dict[str, str]:
        """The JSON error object."""
        ...


def exit_code_for(err: StructuredError) -> int:
    """The exit status of ``err``, from :data:`EXIT_CODES` (a code missing there is a refusal)."""
    return EXIT_CODES.get(err.code, EXIT_FAILURE)


def translate(err: BaseException) -> MissionStatusError | None:
    """The CLI error for an error of a package outside mission-status's family, else None.

    Occurrence-map's codes get their package's prefix (``OCCURRENCE_MAP_MALFORMED_YAML``);
    sync-daemon's are printed as they are.
    """
    from occurrence_map import OccurrenceMapError
    from sync_daemon import ServiceError

    if isinstance(err, OccurrenceMapError):
        return CliError(err.message, code=f"OCCURRENCE_MAP_{err.code}", next_step=err.next_step)
    if isinstance(err, ServiceError):
        return CliError(err.message, code=err.code, next_step=err.next_step)
    return None
