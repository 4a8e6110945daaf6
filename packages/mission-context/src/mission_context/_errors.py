"""The structured error of context resolution: a stable code, a message and a next step."""

from __future__ import annotations

from mission_status import MissionStatusError


class ContextError(MissionStatusError):
    """The mission's execution context cannot be resolved (or must not be guessed).

    ``code`` is stable and machine-readable (``MISSION_NOT_FOUND``,
    ``MISSION_AMBIGUOUS_SELECTOR``, ``FEATURE_CONTEXT_UNRESOLVED``, ...), ``message`` says what
    went wrong and ``next_step`` tells a person what to do about it. It is a
    :class:`mission_status.MissionStatusError`, so callers render both the same way. Raises
    :class:`ValueError` when constructed with a blank code, message or next step: an error
    nobody can act on is a bug.
    """

    def __init__(self, message: str, *, code: str, next_step: str) -> None:
        for field, value in (("code", code), ("message", message), ("next_step", next_step)):
            if not value.strip():
                raise ValueError(f"ContextError needs a non-blank {field}")
        super().__init__(message, next_step=next_step, code=code)
