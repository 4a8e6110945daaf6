"""The one exception this package raises: :class:`OccurrenceMapError`."""

from __future__ import annotations


class OccurrenceMapError(Exception):
    """An occurrence map could not be read or is not a valid map.

    ``code`` is a stable machine-readable identifier in UPPER_SNAKE (``MALFORMED_YAML``,
    ``NOT_A_MAPPING``, ``INVALID_MAP``, ``TOO_LARGE``, ``NOT_UTF8``, ``UNREADABLE``),
    ``message`` says what is wrong (naming the file, and the line and column or key path
    where known) and ``next_step`` tells the user what to do about it. The signature is
    every spec-kitty package's: ``(message, *, code, next_step)``.
    """

    def __init__(self, message: str, *, code: str, next_step: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.next_step = next_step

    def to_dict(self) -> dict[str, str]:
        """Return the error as a JSON-ready mapping."""
        return {"code": self.code, "message": self.message, "next_step": self.next_step}
