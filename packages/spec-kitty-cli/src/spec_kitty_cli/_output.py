"""How commands report: JSON documents for agents, one error line for people, exit codes."""

from __future__ import annotations

import json
from typing import Any, Protocol

import typer

#: A refused or failed operation.
EXIT_FAILURE = 1
#: The thing named on the command line (mission, directory, work package) does not exist.
EXIT_NOT_FOUND = 3


class StructuredError(Protocol):
    """What every error of our packages offers: a stable code, a message and a next step."""

    code: str
    message: str
    next_step: str

    def to_dict(self) -> dict[str, str]:
        """The JSON error object."""
        ...


def exit_code_for(err: StructuredError) -> int:
    """3 for "not found" codes (``*_NOT_FOUND``), 1 for every other error."""
    return EXIT_NOT_FOUND if err.code.endswith("_NOT_FOUND") else EXIT_FAILURE


def emit_json(document: Any) -> None:
    """Print exactly one JSON document on stdout."""
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


def report_error(err: StructuredError, *, as_json: bool) -> int:
    """Render ``err`` and return the exit code.

    People get one line on stderr, ``error[CODE]: message (next: next_step)``; with ``--json``
    agents get ``{"error": {...}}`` on stdout, so stdout always holds one JSON document.
    """
    if as_json:
        emit_json({"error": err.to_dict()})
    else:
        # One physical line, whatever the message holds, so scripts can grep it.
        line = f"error[{err.code}]: {err.message} (next: {err.next_step})"
        typer.echo(" ".join(line.splitlines()), err=True)
    return exit_code_for(err)
