"""How commands report: JSON documents for agents, lines for people, errors, exit codes.

A command is a function that returns a :class:`Report` (or raises one of our structured
errors); :func:`run` is the one place that renders either, for people or with ``--json``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

#: A refused or failed operation.
EXIT_FAILURE = 1
#: The command line itself is wrong (a handle that cannot be one, an unknown action).
EXIT_USAGE = 2
#: The thing named on the command line (mission, directory, work package) does not exist,
#: or the context cannot be resolved to exactly one.
EXIT_NOT_FOUND = 3

#: Codes that mean "unresolved context" without ending in ``_NOT_FOUND``.
_UNRESOLVED = frozenset(
    {
        "MISSION_AMBIGUOUS_SELECTOR",
        "FEATURE_CONTEXT_UNRESOLVED",
        "WORK_PACKAGE_UNRESOLVED",
        "NOT_A_REPOSITORY",
        "TARGET_BRANCH_UNRESOLVED",
        "COORDINATION_BRANCH_DELETED",
    }
)
#: Codes that mean the arguments could never work.
_USAGE = frozenset(
    {
        "INVALID_MISSION_HANDLE",
        "INVALID_ACTION",
        "INVALID_MISSION_NAME",
        "INVALID_TOPOLOGY",
        "INVALID_ARGUMENTS",
        "UNKNOWN_LANE",
        "USAGE_ERROR",
    }
)


class StructuredError(Protocol):
    """What every error of our packages offers: a stable code, a message and a next step."""

    code: str
    message: str
    next_step: str

    def to_dict(self) -> dict[str, str]:
        """The JSON error object."""
        ...


def exit_code_for(err: StructuredError) -> int:
    """3 not found / unresolved, 2 unusable arguments, 1 every other (refused) error."""
    if err.code.endswith("_NOT_FOUND") or err.code in _UNRESOLVED:
        return EXIT_NOT_FOUND
    return EXIT_USAGE if err.code in _USAGE else EXIT_FAILURE


def emit_json(document: Any) -> None:
    """Print exactly one JSON document on stdout."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


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
        sys.stderr.write(" ".join(line.splitlines()) + "\n")
    return exit_code_for(err)


@dataclass(frozen=True, slots=True)
class Report:
    """What a command found or did.

    ``document`` is what ``--json`` prints. People get ``lines`` (plain text, one per
    line), or whatever ``show`` prints when the answer is a table. ``exit_code`` is 0
    unless the answer itself is a refusal (``accept`` not ready, ``doctor`` errors).
    """

    document: Any
    lines: Sequence[str] = ()
    show: Callable[[], None] | None = None
    exit_code: int = 0


def run(as_json: bool, command: Callable[[], Report]) -> int:
    """Run ``command``; print its report, or its structured error; return the exit code."""
    from mission_status import MissionStatusError

    try:
        report = command()
    except MissionStatusError as err:
        return report_error(err, as_json=as_json)
    if as_json:
        emit_json(report.document)
    elif report.show is not None:
        report.show()
    elif report.lines:
        say(*report.lines)
    return report.exit_code


def say(*lines: str) -> None:
    """Print plain lines for people (no markup interpretation, long paths never split)."""
    from rich.console import Console
    from rich.text import Text

    out = Console(highlight=False, soft_wrap=True)
    for line in lines:
        out.print(Text(line))
