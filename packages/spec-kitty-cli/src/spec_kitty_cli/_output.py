"""How commands report: JSON documents for agents, lines for people, errors, exit codes.

A command is a function that returns a :class:`Report` (or raises one of our structured
errors); :func:`run` is the one place that renders either, for people or with ``--json``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec

if TYPE_CHECKING:  # the error contract imports mission-status: only commands that run need it
    from spec_kitty_cli._errors import StructuredError

_P = ParamSpec("_P")


def emit_json(document: Any) -> None:
    """Print exactly one JSON document on stdout."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def report_error(err: StructuredError, *, as_json: bool) -> int:
    """Render ``err`` and return the exit code.

    People get one line on stderr, ``error[CODE]: message (next: next_step)``; with ``--json``
    agents get ``{"error": {...}}`` on stdout, so stdout always holds one JSON document.
    """
    from spec_kitty_cli._errors import exit_code_for

    if as_json:
        emit_json({"error": err.to_dict()})
    else:
        # One physical line, whatever the message holds, so scripts can grep it.
        line = f"error[{err.code}]: {err.message} (next: {err.next_step})"
        sys.stderr.write(" ".join(line.splitlines()) + "\n")
    return exit_code_for(err)


class Report:
    """What a command found or did.

    ``document`` is what ``--json`` prints. People get ``lines`` (plain text, one per
    line), or whatever ``show`` prints when the answer is a table. ``exit_code`` is 0
    unless the answer itself is a refusal (``accept`` not ready, ``doctor`` errors).
    A plain class: every command builds one, and neither dataclasses nor msgspec need
    importing for that.
    """

    __slots__ = ("document", "exit_code", "lines", "show")

    def __init__(
        self,
        document: Any,
        lines: Sequence[str] = (),
        show: Callable[[], None] | None = None,
        exit_code: int = 0,
    ) -> None:
        self.document = document
        self.lines = lines
        self.show = show
        self.exit_code = exit_code


def run(as_json: bool, command: Callable[_P, Report], *args: _P.args, **kwargs: _P.kwargs) -> int:
    """Run ``command(*args, **kwargs)``; print its report, or its structured error; return the
    exit code."""
    from mission_status import MissionStatusError

    try:
        report = command(*args, **kwargs)
    except MissionStatusError as err:
        return report_error(err, as_json=as_json)
    except Exception as err:  # another package's structured error, translated in one place
        from spec_kitty_cli._errors import translate

        translated = translate(err)
        if translated is None:
            raise
        return report_error(translated, as_json=as_json)
    if as_json:
        emit_json(report.document)
    elif report.show is not None:
        report.show()
    elif report.lines:
        say(*report.lines)
    return report.exit_code


def say(*lines: str) -> None:
    """Print plain lines for people (no markup interpretation, long paths never split).

    Lines of printable characters only, as almost all are, are what rich would print
    them as, character for character (a test holds the two together), so they are written
    straight away; a tab, a control character or a line break goes through rich, which
    expands or strips it, as it always has. Importing rich is a fifth of a write command.
    """
    if all(line.isprintable() for line in lines):
        sys.stdout.write("".join(f"{line}\n" for line in lines))
        sys.stdout.flush()
        return
    from rich.console import Console
    from rich.text import Text

    out = Console(highlight=False, soft_wrap=True)
    for line in lines:
        out.print(Text(line))
