"""Typed errors: every failure carries a stable ``code``, a message and a next step."""

from __future__ import annotations

from pathlib import Path


class MissionStatusError(Exception):
    """Base class of every error this package raises on purpose.

    ``code`` is stable and machine-readable; ``next_step`` tells a person what to do.
    """

    code: str = "MISSION_STATUS_ERROR"

    def __init__(self, message: str, *, next_step: str, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.next_step = next_step

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        """The JSON error object the CLI prints with ``--json``."""
        return {"code": self.code, "message": self.message, "next_step": self.next_step}


class EventLogError(MissionStatusError):
    """The event log cannot be read: bad JSON, a bad row, a symlink, bad bytes.

    ``line`` is the 1-based line number of the offending row (None for file-level problems).
    """

    code = "EVENT_LOG_INVALID"

    def __init__(
        self,
        message: str,
        *,
        path: Path,
        line: int | None,
        code: str | None = None,
        next_step: str | None = None,
    ) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(
            f"{where}: {message}",
            next_step=next_step
            or (
                f"fix or remove line {line} of {path.name} by hand; every other line is kept"
                if line is not None
                else f"check that {path} is a readable regular file"
            ),
            code=code,
        )
        self.path = path
        self.line = line


class TransitionError(MissionStatusError):
    """A lane transition was refused: the edge is not in the FSM or a guard failed."""

    code = "ILLEGAL_TRANSITION"

    def __init__(
        self,
        message: str,
        *,
        wp_id: str,
        from_lane: str,
        to_lane: str,
        next_step: str,
        code: str | None = None,
    ) -> None:
        super().__init__(message, next_step=next_step, code=code)
        self.wp_id = wp_id
        self.from_lane = from_lane
        self.to_lane = to_lane


class GuardError(TransitionError):
    """The edge exists but its guard is not satisfied (missing actor, reason, evidence...)."""

    code = "TRANSITION_GUARD_FAILED"


class UnknownLaneError(MissionStatusError):
    """A lane name that is not one of the canonical lanes (or the ``doing`` alias)."""

    code = "UNKNOWN_LANE"


class WorkPackageNotFoundError(MissionStatusError):
    """The mission has no work package with that id."""

    code = "WORK_PACKAGE_NOT_FOUND"


class MissionMetaError(MissionStatusError):
    """``meta.json`` exists but cannot be used (bad JSON, not an object, unreadable)."""

    code = "MISSION_META_INVALID"


class GitOperationInProgressError(MissionStatusError):
    """A rebase, merge, cherry-pick, revert or bisect is in progress: writing now is unsafe.

    ``code`` is ``GIT_INDEX_LOCKED`` when the marker is a lone ``index.lock``.
    """

    code = "GIT_OPERATION_IN_PROGRESS"

    def __init__(
        self,
        message: str,
        *,
        marker: Path,
        next_step: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(
            message,
            next_step=next_step
            or (
                "finish or abort the git operation (e.g. `git rebase --continue` or "
                "`git rebase --abort`), then run the command again"
            ),
            code=code,
        )
        self.marker = marker
