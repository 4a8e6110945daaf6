"""``spec-kitty review``: for_review -> in_review -> approved, or back to planned with feedback."""

from __future__ import annotations

from pathlib import Path

from mission_context import StatusWrite
from mission_status import Evidence, Lane, ReviewApproval, ReviewResult, WPState
from spec_kitty_cli._errors import CliError
from spec_kitty_cli._occurrence import review_gate
from spec_kitty_cli._output import Report
from spec_kitty_cli._runtime import finish_write, resolve
from spec_kitty_cli._work_packages import seeded_state


def review(
    cwd: Path,
    wp: str,
    mission: str | None,
    *,
    approve: bool,
    reject: bool,
    reviewer: str,
    reference: str | None,
    feedback_file: Path | None,
) -> Report:
    """for_review -> in_review -> approved, or back to planned with the feedback recorded.

    A re-run of the same review (after a crash, say) records nothing twice: it only
    commits what the interrupted run left uncommitted (``recorded: false``). Without a
    verdict it prints the review brief and writes nothing.
    """
    wp_id = wp.strip().upper()
    if not (approve or reject):
        return _brief(cwd, wp_id, mission, reviewer)
    feedback = _check_review_arguments(approve, reject, reference, feedback_file)
    ctx = resolve(cwd, "review", mission, wp_id)
    if approve:
        assert reference is not None  # checked above
        result = ReviewResult(reviewer=reviewer, verdict="approved", reference=reference)
    else:
        assert feedback_file is not None
        assert feedback is not None
        result = ReviewResult(
            reviewer=reviewer,
            verdict="changes_requested",
            reference=reference or f"feedback:{feedback_file.name}",
            feedback_path=str(feedback_file),
        )
    to = Lane.APPROVED if approve else Lane.PLANNED
    state = seeded_state(ctx.status().snapshot(), ctx, wp_id)
    if not _reviewed(state, to, result):  # early refusals, before anything is written
        _require_review(state, wp_id, ctx.identity.mid8)
        if approve:
            review_gate(ctx, wp_id)  # a bulk-edit lane must keep to its occurrence map
    write = StatusWrite(ctx)
    with write as batch:
        state = seeded_state(batch.snapshot, ctx, wp_id)
        lane = state.lane
        if not _reviewed(state, to, result):  # a re-run after a crash records nothing twice
            _require_review(state, wp_id, ctx.identity.mid8)
            if lane is Lane.FOR_REVIEW:
                batch.transition(wp_id, Lane.IN_REVIEW, actor=reviewer)
            if approve:
                evidence = Evidence(
                    review=ReviewApproval(
                        reviewer=reviewer, verdict="approved", reference=result.reference
                    )
                )
                batch.transition(wp_id, to, actor=reviewer, review_result=result, evidence=evidence)
            else:
                batch.annotate(wp_id, actor=reviewer, note=f"review feedback:\n{feedback}")
                batch.transition(
                    wp_id, to, actor=reviewer, reason="changes requested",
                    review_result=result,
                )  # fmt: skip
    committed = finish_write(ctx, write)
    document = {
        "wp_id": wp_id,
        "from_lane": lane.value,
        "to_lane": to.value,
        "verdict": result.verdict,
        "reviewer": reviewer,
        "reference": result.reference,
        "recorded": bool(write.rows),
        **committed,
    }
    lines = [f"{wp_id}: {lane.value} -> {to.value} ({result.verdict} by {reviewer})"]
    lines.append(f"Next: spec-kitty next --mission {ctx.identity.mid8}")
    return Report(document, lines)


def _brief(cwd: Path, wp_id: str, mission: str | None, reviewer: str) -> Report:
    """The review brief of ``wp_id`` (refused unless it waits for review)."""
    from spec_kitty_cli._briefs import review_brief

    ctx = resolve(cwd, "review", mission, wp_id)
    snapshot = ctx.status().snapshot()
    _require_review(seeded_state(snapshot, ctx, wp_id), wp_id, ctx.identity.mid8)
    brief = review_brief(ctx, wp_id, snapshot, reviewer=reviewer)
    return Report({**brief.document, "brief_text": brief.text}, [brief.text.rstrip()])


def _reviewed(state: WPState, to: Lane, result: ReviewResult) -> bool:
    """Whether this very review is already the WP's last word (a re-run after a crash)."""
    recorded = state.review_result if isinstance(state.review_result, dict) else {}
    return state.lane is to and all(
        recorded.get(key) == getattr(result, key) for key in ("reviewer", "verdict", "reference")
    )


def _require_review(state: WPState, wp_id: str, mid8: str) -> None:
    if state.lane not in (Lane.FOR_REVIEW, Lane.IN_REVIEW):
        raise CliError(
            f"{wp_id} is {state.lane.value}, not waiting for review",
            code="WORK_PACKAGE_NOT_IN_REVIEW",
            next_step=f"see what it needs: `spec-kitty next --mission {mid8}`",
        )


def _check_review_arguments(
    approve: bool, reject: bool, reference: str | None, feedback_file: Path | None
) -> str | None:
    """Validate the flag combination; the feedback text for a rejection."""
    if approve and reject:
        raise CliError(
            "pass one of --approve and --reject, not both",
            code="INVALID_ARGUMENTS",
            next_step="--approve --reviewer R --reference X, or --reject --feedback-file F",
        )
    if approve:
        if not reference:
            raise CliError(
                "--approve needs --reference (where the review lives, e.g. PR#12)",
                code="INVALID_ARGUMENTS",
                next_step="add --reference <link or id>",
            )
        return None
    if feedback_file is None:
        raise CliError(
            "--reject needs --feedback-file with what to change",
            code="INVALID_ARGUMENTS",
            next_step="write the feedback to a file and pass --feedback-file <file>",
        )
    try:
        text = feedback_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(
            f"{feedback_file} does not exist",
            code="FEEDBACK_FILE_NOT_FOUND",
            next_step="pass an existing feedback file",
        ) from None
    if not text.strip():
        raise CliError(
            f"{feedback_file} is empty",
            code="INVALID_ARGUMENTS",
            next_step="write what must change into the feedback file",
        )
    return text.strip()
