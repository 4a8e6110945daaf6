"""The console script: the read cache and a typer-free path first, typer for the rest.

Agents run ``status``, ``next``, ``move-task`` and the other lifecycle commands hundreds of
times per mission, so start-up is most of their cost. A plain ``status``/``next`` line (and
``--help``) is answered from the read cache while nothing it read has changed
(``_readcache``); a well-formed line of a common command is parsed without typer and its
command function called directly (``_fastcli``); a spec-kitty 3.x line goes to its alias
table (``_compat3``); anything else (``--help`` of a command, a typo, a missing option) goes
to the typer application, which parses, documents and rejects as usual. Every path runs the
same command function, so it prints the same bytes.
"""

from __future__ import annotations

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


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``spec-kitty`` with ``argv`` (default: the process arguments); exits the process.

    A line the read cache may answer is replayed from it when nothing it read has changed,
    else run and recorded (see ``_readcache``).
    """
    args = list(sys.argv[1:] if argv is None else argv)
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
