"""``spec-kitty board``: the lanes of one mission, as a table or one JSON document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mission_status import (
    DISPLAY_LANES,
    MissionStatus,
    MissionStatusError,
    Progress,
    StatusSnapshot,
)

from ._output import emit_json, report_error


def run_board(mission_dir: Path, *, as_json: bool) -> int:
    """Print the board of ``mission_dir``; return the exit code (0, or the error's code)."""
    try:
        status = MissionStatus.open(mission_dir)
        snapshot = status.snapshot()
        figures = status.progress()
    except MissionStatusError as err:
        return report_error(err, as_json=as_json)
    # An empty log reduces to an empty slug; the directory still names the mission.
    slug = snapshot.mission_slug or mission_dir.resolve().name
    if as_json:
        emit_json(board_document(slug, snapshot, figures))
    else:
        print_board(slug, snapshot, figures)
    return 0


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


def print_board(
    slug: str,
    snapshot: StatusSnapshot,
    figures: Progress,
    titles: dict[str, str] | None = None,
) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    titles = titles or {}
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
