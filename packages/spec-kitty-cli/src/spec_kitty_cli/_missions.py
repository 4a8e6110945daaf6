"""The mission commands: each resolves the context once and goes through ``MissionStatus``.

Every ``run_*`` function returns the exit code; errors of our packages (a
:class:`mission_status.MissionStatusError`, which :class:`mission_context.ContextError`
is) become one stderr line, or the JSON error object with ``--json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mission_context import (
    ContextError,
    CoordinationWorkspace,
    MissionExecutionContext,
    StatusWrite,
    create_mission,
    list_missions,
    resolve_action_context,
)
from mission_status import (
    Evidence,
    MissionStatusError,
    ReviewApproval,
    parse_lane,
)

from ._board import board_document, print_board, wp_titles
from ._output import emit_json
from ._runtime import finish_write, guarded, resolve, say

# -- status ------------------------------------------------------------------------


def run_status(cwd: Path, mission: str | None, *, as_json: bool) -> int:
    """The board of one mission, or every mission with its progress. Writes nothing."""

    def body() -> int:
        if mission is None:
            return _print_missions(cwd, as_json=as_json)
        ctx: MissionExecutionContext = resolve(cwd, "status", mission)
        status = ctx.status()
        snapshot, figures = status.snapshot(), status.progress()
        titles = wp_titles(ctx.prompt_source.prompt_source_dir)
        document = {
            "mission_slug": ctx.identity.mission_slug,
            "mission_id": ctx.identity.mission_id,
            **board_document(ctx.identity.mission_slug, snapshot, figures, titles),
        }
        if as_json:
            emit_json(document)
        else:
            print_board(ctx.identity.mission_slug, snapshot, figures, titles)
        return 0

    return guarded(as_json, body)


def _print_missions(cwd: Path, *, as_json: bool) -> int:
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
    if as_json:
        emit_json({"missions": rows})
        return 0
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    if not rows:
        console.print("No missions yet: create one with `spec-kitty specify NAME`.")
        return 0
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
    return 0


# -- context -------------------------------------------------------------------------


def run_context(
    cwd: Path, mission: str | None, action: str, wp: str | None, *, as_json: bool
) -> int:
    """Every fragment of the resolved context. Writes nothing."""

    def body() -> int:
        ctx: MissionExecutionContext = resolve(cwd, action, mission, wp)
        document = {
            "action": ctx.action,
            "mission": ctx.mission_dir_name,
            "topology": ctx.topology.value,
            "wp": ctx.wp,
            "lane": ctx.lane,
            **ctx.to_dict(),
        }
        if as_json:
            emit_json(document)
            return 0
        from rich.console import Console
        from rich.text import Text

        console = Console(highlight=False)
        console.print(Text(f"{ctx.mission_dir_name} ({ctx.topology.value}), action {action}"))
        for fragment, values in ctx.to_dict().items():
            console.print(Text(fragment, style="bold"))
            for key, value in values.items():
                console.print(Text(f"  {key}: {value}"))
        return 0

    return guarded(as_json, body)


# -- specify ---------------------------------------------------------------------------


def run_specify(
    cwd: Path,
    name: str,
    *,
    topology: str,
    target_branch: str | None,
    mission_type: str,
    as_json: bool,
) -> int:
    """Create a mission and commit it to its target branch."""

    def body() -> int:
        made = create_mission(
            cwd=cwd,
            name=name,
            topology=topology,
            target_branch=target_branch,
            mission_type=mission_type,
        )
        meta = made.meta
        if meta.coordination_branch:
            ctx = resolve_action_context(cwd=cwd, action="specify", mission=made.mission_dir.name)
            CoordinationWorkspace.resolve(ctx)
        document = {
            "mission_id": meta.mission_id,
            "mission_slug": meta.mission_slug,
            "mid8": meta.mid8,
            "topology": meta.topology(made.mission_dir).value,
            "target_branch": meta.target_branch,
            "coordination_branch": meta.coordination_branch,
            "feature_dir": str(made.mission_dir),  # the key 3.2.7's agents read
        }
        if as_json:
            emit_json(document)
        else:
            lines = [
                f"Created {meta.mission_slug} ({document['topology']})",
                f"  spec: {made.mission_dir / 'spec.md'}",
                f"  committed to {meta.target_branch}",
            ]
            if meta.coordination_branch:
                lines.append(f"  coordination branch: {meta.coordination_branch}")
            say(*lines, f"Next: edit the spec, then `spec-kitty plan --mission {meta.mid8}`")
        return 0

    return guarded(as_json, body)


# -- move-task -------------------------------------------------------------------------


def run_move_task(
    cwd: Path,
    wp: str,
    *,
    to: str,
    mission: str | None,
    actor: str,
    note: str | None,
    reviewer: str | None,
    approval_ref: str | None,
    review_ref: str | None,
    force: bool,
    reason: str | None,
    as_json: bool,
) -> int:
    """One lane transition through the status facade."""

    def body() -> int:
        ctx: MissionExecutionContext = resolve(cwd, "move-task", mission, wp)
        wp_id = wp.strip().upper()
        lane = parse_lane(to)
        evidence = None
        if reviewer or approval_ref:
            if not (reviewer and approval_ref):
                raise ContextError(
                    "--reviewer and --approval-ref go together",
                    code="INVALID_ARGUMENTS",
                    next_step="pass both, e.g. --reviewer alice --approval-ref PR#12",
                )
            evidence = Evidence(
                review=ReviewApproval(reviewer=reviewer, verdict="approved", reference=approval_ref)
            )
        write = StatusWrite(ctx)
        with write as batch:
            was = batch.lane(wp_id)
            before = was.value if was is not None else None
            event = batch.transition(
                wp_id,
                lane,
                actor=actor,
                reason=reason or note,
                force=force,
                evidence=evidence,
                review_ref=review_ref,
            )
        committed = finish_write(ctx, write)
        document = {
            "mission": ctx.mission_dir_name,
            "wp_id": wp_id,
            "from_lane": before,
            "to_lane": event.to_lane.value,
            "event_id": event.event_id,
            "actor": actor,
            **committed,
        }
        if as_json:
            emit_json(document)
        else:
            say(f"{wp_id}: {before} -> {event.to_lane.value} ({ctx.mission_dir_name})")
        return 0

    return guarded(as_json, body)
