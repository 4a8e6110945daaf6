"""The board of a mission: the one document ``status --json`` prints and the dashboard serves,
and the table people see."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mission_status import DISPLAY_LANES, Progress, StatusSnapshot, progress

if TYPE_CHECKING:
    from mission_context import MissionExecutionContext


@dataclass(frozen=True, slots=True)
class Board:
    """A mission's board: the reduced status, its progress, the WP titles, and the document."""

    slug: str
    snapshot: StatusSnapshot
    figures: Progress
    titles: dict[str, str]
    document: dict[str, Any]


def board_of(ctx: MissionExecutionContext) -> Board:
    """The board of ``ctx``'s mission, read through its status (the status branch's log)."""
    snapshot = ctx.status().snapshot()
    figures = progress(snapshot)
    titles = wp_titles(ctx.prompt_source.prompt_source_dir)
    slug = ctx.identity.mission_slug
    document = {
        "mission_slug": slug,
        "mission_id": ctx.identity.mission_id,
        **board_document(slug, snapshot, figures, titles),
    }
    return Board(slug, snapshot, figures, titles, document)


def wp_titles(tasks_dir: Path) -> dict[str, str]:
    """Each WP's title from the front matter of ``tasks_dir/WPxx-*.md`` (missing ones left out)."""
    from ._frontmatter import wp_title

    titles: dict[str, str] = {}
    try:
        files = sorted(tasks_dir.glob("WP*.md"))
    except OSError:
        return titles
    for path in files:
        wp_id = path.name.split("-", 1)[0]
        try:
            title = wp_title(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        if title and wp_id not in titles:
            titles[wp_id] = title
    return titles


def board_document(
    slug: str,
    snapshot: StatusSnapshot,
    figures: Progress,
    titles: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The ``--json`` document: slug, lane summary, each WP's lane/actor/time/title, progress."""
    titles = titles or {}
    return {
        "mission_slug": slug,
        "summary": dict(snapshot.summary),
        "work_packages": {
            wp_id: {
                "lane": state.lane.value,
                "actor": state.actor,
                "last_transition_at": state.last_transition_at,
                "title": titles.get(wp_id),
            }
            for wp_id, state in sorted(snapshot.work_packages.items())
        },
        "progress": {
            "weighted_percentage": figures.weighted_percentage,
            "done_percentage": figures.done_percentage,
        },
    }


def print_board(board: Board) -> None:
    """The board as a table (one column per lane, or one row per lane when narrow)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    slug, snapshot, figures, titles = board.slug, board.snapshot, board.figures, board.titles
    by_lane: dict[str, list[str]] = {lane.value: [] for lane in DISPLAY_LANES}
    off_board: list[str] = []
    for wp_id, state in sorted(snapshot.work_packages.items()):
        if state.lane.value in by_lane:
            title = titles.get(wp_id)
            by_lane[state.lane.value].append(f"{wp_id} {title}" if title else wp_id)
        else:
            # e.g. a WP that only has annotations: say so rather than drop it silently.
            off_board.append(f"{wp_id} ({state.lane.value})")
    # One column per lane when the terminal is wide enough for every lane name;
    # otherwise one row per lane, rather than names cut to "plan…".
    wide = sum(len(lane.value) + 3 for lane in DISPLAY_LANES) + 1
    if console.width >= wide:
        table = Table(title=Text(slug))
        for lane in DISPLAY_LANES:
            table.add_column(lane.value, no_wrap=True)
        table.add_row(*(Text("\n".join(by_lane[lane.value])) for lane in DISPLAY_LANES))
    else:
        table = Table(title=Text(slug))
        table.add_column("lane", no_wrap=True)
        table.add_column("work packages")
        for lane in DISPLAY_LANES:
            table.add_row(lane.value, Text(", ".join(by_lane[lane.value])))
    console.print(table)
    if off_board:
        console.print(Text("Not on the board: " + ", ".join(off_board)))
    console.print(
        Text(
            f"Progress: {figures.weighted_percentage:.1f}% weighted, "
            f"{figures.done_percentage:.1f}% done "
            f"({figures.done}/{figures.total} work packages done)"
        )
    )
