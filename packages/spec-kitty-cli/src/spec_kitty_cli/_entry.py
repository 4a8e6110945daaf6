"""The console script: the read cache and a typer-free path first, typer for the rest.

Agents run ``status``, ``next``, ``move-task`` and the other lifecycle commands hundreds of
times per mission, so start-up is most of their cost. ``--help`` prints text generated from
the typer application (``_helptext``); a plain ``status``/``next`` line (and ``--help`` on a
narrow terminal) is answered from the read cache while nothing it read has changed
(``_readcache``); a well-formed line of a common command is parsed without typer and its
command function called directly (``_fastcli``); a spec-kitty 3.x line goes to its alias
table (``_compat3``); anything else (``--help`` of a command, a typo, a missing option) goes
to the typer application, which parses, documents and rejects as usual. Every path runs the
same command function, so it prints the same bytes.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing, collections.abc and pathlib cost more than a cached answer
if TYPE_CHECKING:
    from collections.abc import Sequence

#: The read commands whose answers the read cache may replay.
READS = ("status", "next")


def cacheable(args: Sequence[str]) -> bool:
    """A line the read cache may replay: a plain ``status``/``next`` line, and help
    (``--help`` alone, or after command words)."""
    from ._fastcli import parse

    parsed = parse(args)
    if parsed is not None:
        return parsed[0] in READS
    return bool(args) and args[-1] == "--help" and not any(a.startswith("-") for a in args[:-1])


def static_help(args: Sequence[str]) -> str | None:
    """``spec-kitty [COMMAND] --help`` as typer prints it, from ``_helptext`` (generated from
    the typer application), where the terminal is 80 columns or wider: click wraps help to
    ``min(columns, 80) - 2``, so every such terminal gets these bytes. Else None."""
    if not args or args[-1] != "--help" or len(args) > 2 or _columns() < 80:
        return None
    from ._helptext import HELP

    return HELP.get(" ".join(args[:-1]))


def _columns() -> int:
    """The width click's help formatter uses, as ``shutil.get_terminal_size`` finds it."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 80
    return columns or 80


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``spec-kitty`` with ``argv`` (default: the process arguments); exits the process.

    A line the read cache may answer is replayed from it when nothing it read has changed,
    else run and recorded (see ``_readcache``).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    text = static_help(args)
    if text is not None:
        sys.stdout.write(text)
        sys.exit(0)
    if cacheable(args):
        from . import _readcache

        if _readcache.enabled():
            if _readcache.replay(args):
                sys.exit(0)
            sys.exit(_readcache.Recorder(args).run(lambda: _run(args)))
    sys.exit(_run(args))


def _run(args: list[str]) -> int:
    """The command line ``args``, run; its exit code."""
    from ._fastcli import parse, run

    parsed = parse(args)
    if parsed is not None:
        return run(*parsed)
    from ._compat3 import ROOTS

    if args and args[0] in ROOTS:  # a spec-kitty 3.x command line: no typer needed
        from ._compat3 import dispatch

        return dispatch(args)
    from .app import main as full

    full(args)
    return 0
