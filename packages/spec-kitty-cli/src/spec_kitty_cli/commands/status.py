"""``spec-kitty status``: one mission's board, or every mission's progress. Writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mission_context import list_missions, resolve_action_context
from mission_status import MissionStatusError
from spec_kitty_cli._board import board_of, print_board
from spec_kitty_cli._output import Report
from spec_kitty_cli._runtime import resolve


def status(cwd: Path, mission: str | None) -> Report:
    """The board of ``mission``; without one, every mission with its progress."""
    if mission is None:
        return _missions(cwd)
    board = board_of(resolve(cwd, "status", mission))
    return Report(board.document, show=lambda: print_board(board))


def _missions(cwd: Path) -> Report:
    rows = []
    for name in list_missions(cwd=cwd):
        row: dict[str, Any] = {"mission": name}
        try:
            ctx = resolve_action_context(cwd=cwd, action="status", mission=name)
            figures = ctx.status().progress()
        except MissionStatusError as err:
            row["error"] = err.to_dict()
        else:
            row |= {
                "mission_id": ctx.identity.mission_id,
                "mid8": ctx.identity.mid8,
                "topology": ctx.topology.value,
                "work_packages": figures.total,
                "done_percentage": figures.done_percentage,
                "weighted_percentage": figures.weighted_percentage,
            }
        rows.append(row)
    return Report({"missions": rows}, show=lambda: _print_missions(rows))


def _print_missions(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    if not rows:
        console.print("No missions yet: create one with `spec-kitty specify NAME`.")
        return
    table = Table(title="missions")
    for column in ("mission", "mid8", "topology", "WPs", "done", "weighted"):
        table.add_column(column, no_wrap=column != "mission")
    for row in rows:
        if "error" in row:
            table.add_row(Text(row["mission"]), Text(row["error"]["code"], style="red"))
            continue
        table.add_row(
            Text(row["mission"]),
            row["mid8"],
            row["topology"],
            str(row["work_packages"]),
            f"{row['done_percentage']:.0f}%",
            f"{row['weighted_percentage']:.0f}%",
        )
    console.print(table)
