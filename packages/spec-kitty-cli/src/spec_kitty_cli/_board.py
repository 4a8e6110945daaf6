"""The board of a mission: the one document ``status --json`` prints and the dashboard serves,
and the table people see."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

import msgspec

from mission_status import (
    DISPLAY_LANES,
    Lane,
    MissionStatus,
    Progress,
    StatusEvent,
    StatusSnapshot,
    progress,
)

if TYPE_CHECKING:
    from mission_context import MissionExecutionContext

_DELIVERED = frozenset({Lane.APPROVED, Lane.DONE})


class Board(msgspec.Struct, frozen=True):
    """A mission's board: the reduced status, its progress, the WP titles, and the document."""

    slug: str
    snapshot: StatusSnapshot
    figures: Progress
    titles: dict[str, str]
    document: dict[str, Any]


def board_of(ctx: MissionExecutionContext) -> Board:
    """The board of ``ctx``'s mission, read through its status (the status branch's log)."""
    status = ctx.status()
    snapshot = status.snapshot()
    figures = progress(snapshot)
    cards = wp_cards(ctx.prompt_source.prompt_source_dir)
    titles = {wp_id: title for wp_id, (title, _) in cards.items() if title}
    details = {
        wp_id: _details(wp_id, cards.get(wp_id, (None, []))[1], snapshot, status)
        for wp_id, state in snapshot.work_packages.items()
    }
    slug = ctx.identity.mission_slug
    document = {
        "mission_slug": slug,
        "mission_id": ctx.identity.mission_id,
        **board_document(slug, snapshot, figures, titles, details),
    }
    return Board(slug, snapshot, figures, titles, document)


def wp_cards(tasks_dir: Path) -> dict[str, tuple[str | None, list[str]]]:
    """Each WP's (title, dependencies) from the front matter of ``tasks_dir/WPxx-*.md``."""
    from ._frontmatter import wp_dependencies, wp_title

    cards: dict[str, tuple[str | None, list[str]]] = {}
    try:
        files = sorted(tasks_dir.glob("WP*.md"))
    except OSError:
        return cards
    for path in files:
        wp_id = path.name.split("-", 1)[0]
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if wp_id not in cards:
            cards[wp_id] = (wp_title(text), wp_dependencies(text))
    return cards


def _details(
    wp_id: str, dependencies: list[str], snapshot: StatusSnapshot, status: MissionStatus
) -> dict[str, Any]:
    """What a card shows beyond the lane: dependencies, readiness, feedback, a block's reason."""
    from ._briefs import feedback_of

    state = snapshot.work_packages[wp_id]
    lanes = {wp_id: other.lane for wp_id, other in snapshot.work_packages.items()}
    waiting = [dep for dep in dependencies if lanes.get(dep) not in _DELIVERED]
    reason = None
    if state.lane is Lane.BLOCKED:
        moves = [row for row in status.history(wp_id) if _is_block(row)]
        reason = moves[-1].reason if moves else None
    return {
        "dependencies": dependencies,
        "ready": state.lane is Lane.PLANNED and not waiting,
        "waiting_on": waiting,
        "feedback": feedback_of(state),
        "blocked_reason": reason,
    }


def _is_block(row: object) -> TypeGuard[StatusEvent]:
    return isinstance(row, StatusEvent) and row.to_lane is Lane.BLOCKED


def board_document(
    slug: str,
    snapshot: StatusSnapshot,
    figures: Progress,
    titles: dict[str, str] | None = None,
    details: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The ``--json`` document: slug, lane summary, each WP's lane/actor/time/title (and its
    dependencies, readiness, review feedback and block reason), progress."""
    titles = titles or {}
    details = details or {}
    return {
        "mission_slug": slug,
        "summary": dict(snapshot.summary),
        "work_packages": {
            wp_id: {
                "lane": state.lane.value,
                "actor": state.actor,
                "last_transition_at": state.last_transition_at,
                "title": titles.get(wp_id),
                **details.get(wp_id, {}),
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
    for wp_id, card in board.document["work_packages"].items():
        if card.get("feedback"):
            first = card["feedback"].splitlines()[0]
            console.print(Text(f"{wp_id} review feedback: {first}", style="yellow"))
        if card.get("blocked_reason"):
            console.print(Text(f"{wp_id} blocked: {card['blocked_reason']}", style="red"))
        if card["lane"] == "planned" and card.get("waiting_on"):
            console.print(Text(f"{wp_id} waits on {', '.join(card['waiting_on'])}"))
    if off_board:
        console.print(Text("Not on the board: " + ", ".join(off_board)))
    console.print(
        Text(
            f"Progress: {figures.weighted_percentage:.1f}% weighted, "
            f"{figures.done_percentage:.1f}% done "
            f"({figures.done}/{figures.total} work packages done)"
        )
    )
