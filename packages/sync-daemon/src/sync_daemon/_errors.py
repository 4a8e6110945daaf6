"""The error of this package: a stable code, a message and the next step."""

from __future__ import annotations


class ServiceError(Exception):
    """A service operation failed; ``code`` is stable, ``next_step`` tells the user what to do.

    The signature is every spec-kitty package's: ``(message, *, code, next_step)``.
    """

    def __init__(self, message: str, *, code: str, next_step: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.next_step = next_step

    def to_dict(self) -> dict[str, str]:
        """The JSON error object."""
        return {"code": self.code, "message": self.message, "next_step": self.next_step}
