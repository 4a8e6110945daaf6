"""The ``spec-kitty`` typer application.

Commands here are thin signatures: each imports its implementation (and the mission
packages behind it) only when it runs, so ``--version`` and ``--help`` import none of them.
Exit codes: 0 success, 1 a refused or failed operation, 2 bad usage, 3 something not found.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from .__about__ import __version__

app = typer.Typer(
    name="spec-kitty",
    help="spec-kitty: spec-driven missions for teams of people and agents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"spec-kitty {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """spec-kitty: spec-driven missions for teams of people and agents."""


@app.command("board")
def board(
    mission_dir: Annotated[
        Path,
        typer.Argument(
            help="The mission directory (kitty-specs/<mission>) whose board to show.",
            show_default=False,
        ),
    ],
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON document instead of the table."),
    ] = False,
) -> None:
    """Show a mission's board: the work packages in each lane, then progress."""
    from ._board import run_board

    raise typer.Exit(run_board(mission_dir, as_json=as_json))


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``spec-kitty`` with ``argv`` (default: the process arguments); exits the process."""
    app(args=None if argv is None else list(argv), prog_name="spec-kitty")
