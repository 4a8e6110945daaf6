"""The ``spec-kitty`` console script: a typer-free path for ``status``, typer for the rest.

``status`` is what agents poll, so its start-up is most of its cost (the board
itself takes ~3 ms). A command line made only of ``status``, ``--mission/-m X``
(or ``--mission=X``) and ``--json`` runs ``commands.status`` directly, without
importing typer or rich; anything else (``--help``, another option, a typo) goes
to the typer application, which parses, documents and rejects as usual. Both
paths run the same ``commands.status``, so they print the same bytes.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path


def fast_status(args: Sequence[str]) -> tuple[str | None, bool] | None:
    """``(mission, as_json)`` when ``args`` is a plain ``status`` command line, else None."""
    if not args or args[0] != "status":
        return None
    mission: str | None = None
    as_json = False
    rest = list(args[1:])
    while rest:
        token = rest.pop(0)
        if token == "--json":
            as_json = True
        elif token.startswith("--mission="):
            mission = token.partition("=")[2]
        elif token in ("--mission", "-m") and rest and not rest[0].startswith("-"):
            mission = rest.pop(0)
        else:
            return None
    return mission, as_json


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``spec-kitty`` with ``argv`` (default: the process arguments); exits the process."""
    args = list(sys.argv[1:] if argv is None else argv)
    plain = fast_status(args)
    if plain is not None:
        from ._output import run
        from .commands.status import status

        mission, as_json = plain
        sys.exit(run(as_json, status, Path.cwd(), mission))
    from .app import main as full

    full(args)
