"""``spec-kitty move-task``: one lane transition, from any directory of the repository."""

from __future__ import annotations

from pathlib import Path

from mission_context import StatusWrite
from mission_status import Evidence, ReviewApproval, parse_lane
from spec_kitty_cli._errors import CliError
from spec_kitty_cli._output import Report
from spec_kitty_cli._runtime import finish_write, resolve


def move_task(
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
) -> Report:
    """Move ``wp`` to lane ``to`` through the one status writer (FSM-checked)."""
    ctx = resolve(cwd, "move-task", mission, wp)
    wp_id = wp.strip().upper()
    lane = parse_lane(to)
    evidence = None
    if reviewer or approval_ref:
        if not (reviewer and approval_ref):
            raise CliError(
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
    document = {
        "mission": ctx.mission_dir_name,
        "wp_id": wp_id,
        "from_lane": before,
        "to_lane": event.to_lane.value,
        "event_id": event.event_id,
        "actor": actor,
        **finish_write(ctx, write),
    }
    return Report(
        document, [f"{wp_id}: {before} -> {event.to_lane.value} ({ctx.mission_dir_name})"]
    )
