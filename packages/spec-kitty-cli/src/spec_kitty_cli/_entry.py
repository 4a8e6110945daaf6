"""The console script: a typer-free path for ``status`` and ``next``, typer for the rest.

``status`` and ``next`` are what agents poll, so their start-up is most of their cost
(the answer itself takes a few ms). A command line made only of one of them and its
options (``--mission/-m X`` or ``--mission=X``; for ``next`` also ``--agent X``) and
``--json`` runs the command module directly, without importing typer or rich; anything
else (``--help``, another option, a typo) goes to the typer application, which parses,
documents and rejects as usual. Both paths run the same command function, so they print
the same bytes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

#: The commands with a fast path, and the options (with a value) each takes.
_OPTIONS = {"status": ("--mission",), "next": ("--mission", "--agent", "--result")}
_SHORT = {"-m": "--mission"}


def fast_line(args: Sequence[str]) -> tuple[str, dict[str, str], bool] | None:
    """``(command, {option: value}, as_json)`` for a plain ``status``/``next`` line, else None.

    The last of a repeated option wins, as in typer.
    """
    if not args or args[0] not in _OPTIONS:
        return None
    allowed = _OPTIONS[args[0]]
    values: dict[str, str] = {}
    as_json = False
    rest = list(args[1:])
    while rest:
        token = rest.pop(0)
        name, equals, value = token.partition("=")
        name = _SHORT.get(name, name)
        if token == "--json":
            as_json = True
        elif name in allowed and equals and token.startswith("--"):
            values[name] = value
        elif name in allowed and not equals and rest and not rest[0].startswith("-"):
            values[name] = rest.pop(0)
        else:
            return None
    return args[0], values, as_json


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``spec-kitty`` with ``argv`` (default: the process arguments); exits the process."""
    args = list(sys.argv[1:] if argv is None else argv)
    plain = fast_line(args)
    if plain is None:
        from ._compat3 import ROOTS

        if args and args[0] in ROOTS:  # a spec-kitty 3.x command line: no typer needed
            from ._compat3 import dispatch

            sys.exit(dispatch(args))
        from .app import main as full

        full(args)
        return
    from ._output import run

    command, values, as_json = plain
    mission = values.get("--mission")
    if command == "status":
        from .commands.status import status

        sys.exit(run(as_json, status, Path.cwd(), mission))
    from .commands.next import next_action

    agent = values.get("--agent", os.environ.get("SPEC_KITTY_ACTOR"))  # typer's envvar
    sys.exit(run(as_json, next_action, Path.cwd(), mission, agent))
