"""The lane FSM: lanes, display order, allowed edges and guards.

This module is the only transition authority. ``check_transition`` is pure: it is
given the current lane (reduced from the log) and the request, and raises if the
move is not allowed.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from ._errors import GuardError, TransitionError, UnknownLaneError

if TYPE_CHECKING:
    from ._events import Evidence, ReviewResult


class Lane(StrEnum):
    """A work package lane. ``GENESIS`` and ``UNINITIALIZED`` are never displayed."""

    GENESIS = "genesis"
    UNINITIALIZED = "uninitialized"
    PLANNED = "planned"
    CLAIMED = "claimed"
    IN_PROGRESS = "in_progress"
    FOR_REVIEW = "for_review"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    DONE = "done"
    BLOCKED = "blocked"
    CANCELED = "canceled"


#: The nine lanes of the board, in board order.
DISPLAY_LANES: tuple[Lane, ...] = (
    Lane.PLANNED,
    Lane.CLAIMED,
    Lane.IN_PROGRESS,
    Lane.FOR_REVIEW,
    Lane.IN_REVIEW,
    Lane.APPROVED,
    Lane.DONE,
    Lane.BLOCKED,
    Lane.CANCELED,
)
TERMINAL_LANES: frozenset[Lane] = frozenset({Lane.DONE, Lane.CANCELED})

#: Lane names accepted from people (command line), never from the log.
LANE_ALIASES: dict[str, Lane] = {"doing": Lane.IN_PROGRESS}

#: Weight of each lane in the weighted progress figure.
LANE_WEIGHTS: dict[Lane, float] = {
    Lane.GENESIS: 0.0,
    Lane.UNINITIALIZED: 0.0,
    Lane.PLANNED: 0.0,
    Lane.CLAIMED: 0.05,
    Lane.IN_PROGRESS: 0.3,
    Lane.FOR_REVIEW: 0.6,
    Lane.IN_REVIEW: 0.7,
    Lane.APPROVED: 0.8,
    Lane.DONE: 1.0,
    Lane.BLOCKED: 0.0,
    Lane.CANCELED: 0.0,
}

ALLOWED_EDGES: dict[Lane, frozenset[Lane]] = {
    Lane.GENESIS: frozenset({Lane.PLANNED, Lane.CANCELED}),
    Lane.PLANNED: frozenset({Lane.CLAIMED, Lane.BLOCKED, Lane.CANCELED}),
    Lane.CLAIMED: frozenset({Lane.IN_PROGRESS, Lane.BLOCKED, Lane.CANCELED}),
    Lane.IN_PROGRESS: frozenset(
        {Lane.FOR_REVIEW, Lane.APPROVED, Lane.PLANNED, Lane.BLOCKED, Lane.CANCELED}
    ),
    Lane.FOR_REVIEW: frozenset({Lane.IN_REVIEW, Lane.BLOCKED, Lane.CANCELED}),
    Lane.IN_REVIEW: frozenset(
        {Lane.APPROVED, Lane.DONE, Lane.IN_PROGRESS, Lane.PLANNED, Lane.BLOCKED, Lane.CANCELED}
    ),
    Lane.APPROVED: frozenset(
        {Lane.DONE, Lane.IN_PROGRESS, Lane.PLANNED, Lane.BLOCKED, Lane.CANCELED}
    ),
    Lane.BLOCKED: frozenset({Lane.IN_PROGRESS, Lane.CANCELED}),
    Lane.DONE: frozenset(),
    Lane.CANCELED: frozenset(),
    # A WP that only has annotations has never been seeded; it behaves like genesis.
    Lane.UNINITIALIZED: frozenset({Lane.PLANNED, Lane.CANCELED}),
}


def parse_lane(value: str) -> Lane:
    """Parse a lane name typed by a person; accepts the ``doing`` alias.

    Raises :class:`UnknownLaneError` for anything else.
    """
    name = value.strip().lower()
    if name in LANE_ALIASES:
        return LANE_ALIASES[name]
    try:
        return Lane(name)
    except ValueError:
        known = ", ".join(lane.value for lane in DISPLAY_LANES)
        raise UnknownLaneError(
            f"unknown lane {value!r}",
            next_step=f"use one of: {known} (or the alias 'doing')",
        ) from None


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def check_transition(
    wp_id: str,
    from_lane: Lane,
    to_lane: Lane,
    *,
    actor: str,
    reason: str | None = None,
    force: bool = False,
    evidence: Evidence | None = None,
    review_ref: str | None = None,
    review_result: ReviewResult | None = None,
) -> None:
    """Raise if moving ``wp_id`` from ``from_lane`` to ``to_lane`` is not allowed.

    Raises :class:`TransitionError` for an edge that does not exist and
    :class:`GuardError` for an edge whose guard fails. Both name from/to and what
    would make the move legal.
    """
    edge = f"{wp_id}: {from_lane.value} -> {to_lane.value}"

    def guard(message: str, next_step: str) -> GuardError:
        return GuardError(
            f"{edge} refused: {message}",
            wp_id=wp_id,
            from_lane=from_lane.value,
            to_lane=to_lane.value,
            next_step=next_step,
        )

    if to_lane in (Lane.GENESIS, Lane.UNINITIALIZED):
        raise TransitionError(
            f"{edge} refused: no transition may target {to_lane.value!r}",
            wp_id=wp_id,
            from_lane=from_lane.value,
            to_lane=to_lane.value,
            next_step="choose one of the board lanes: " + ", ".join(DISPLAY_LANES),
        )
    if force:
        if _blank(actor) or _blank(reason):
            raise guard(
                "a forced transition needs a non-blank actor and reason",
                "pass both an actor and a reason (e.g. --force --reason '...')",
            )
        return

    allowed = ALLOWED_EDGES[from_lane]
    if to_lane not in allowed:
        if allowed:
            options = ", ".join(lane.value for lane in DISPLAY_LANES if lane in allowed)
            hint = f"from {from_lane.value} the allowed lanes are: {options}"
        else:
            hint = f"{from_lane.value} is terminal: nothing leaves it"
        raise TransitionError(
            f"{edge} is not an allowed transition",
            wp_id=wp_id,
            from_lane=from_lane.value,
            to_lane=to_lane.value,
            next_step=f"{hint}; or force it with a reason (force=True, --force --reason)",
        )

    if from_lane is Lane.PLANNED and to_lane is Lane.CLAIMED and _blank(actor):
        raise guard("claiming needs an actor", "pass the claiming agent as the actor")
    if from_lane is Lane.IN_PROGRESS and to_lane is Lane.PLANNED and _blank(reason):
        raise guard("sending work back to planned needs a reason", "pass a reason")
    if to_lane in (Lane.APPROVED, Lane.DONE):
        _check_approval_evidence(evidence, review_result, guard)
    if (
        from_lane is Lane.APPROVED
        and to_lane in (Lane.IN_PROGRESS, Lane.PLANNED)
        and _blank(review_ref)
    ):
        raise guard(
            "reopening approved work needs a review reference",
            "pass the review reference that reopened it (review_ref, --review-ref)",
        )
    if from_lane is Lane.IN_REVIEW:
        _check_leaving_review(to_lane, evidence, review_ref, review_result, guard)


def _check_approval_evidence(
    evidence: Evidence | None,
    review_result: ReviewResult | None,
    guard: _GuardFactory,
) -> None:
    review = evidence.review if evidence is not None else None
    if (
        review is None
        and review_result is not None
        and review_result.verdict == "approved"
        and not (_blank(review_result.reviewer) or _blank(review_result.reference))
    ):
        return  # a review verdict of approval is itself the evidence of review
    if review is None:
        raise guard(
            "approval needs review evidence (reviewer, reference, verdict approved)",
            "pass evidence with the reviewer and the approval reference "
            "(--reviewer R --approval-ref X)",
        )
    if _blank(review.reviewer) or _blank(review.reference) or review.verdict != "approved":
        raise guard(
            "review evidence must name the reviewer and reference and have verdict 'approved'",
            "pass evidence with a reviewer, a reference and verdict 'approved'",
        )


def _check_leaving_review(
    to_lane: Lane,
    evidence: Evidence | None,
    review_ref: str | None,
    review_result: ReviewResult | None,
    guard: _GuardFactory,
) -> None:
    if review_result is None:
        raise guard(
            "leaving in_review needs a review result",
            "pass a review result (reviewer, verdict, reference): "
            "`spec-kitty review --approve` or `--reject`",
        )
    expected = {
        Lane.APPROVED: "approved",
        Lane.DONE: "approved",
        Lane.IN_PROGRESS: "changes_requested",
        Lane.PLANNED: "changes_requested",
    }.get(to_lane)
    if expected is not None and review_result.verdict != expected:
        raise guard(
            f"moving to {to_lane.value} needs review verdict {expected!r}, "
            f"got {review_result.verdict!r}",
            f"record a review result with verdict {expected!r}",
        )
    if evidence is not None:
        review = evidence.review
        if (review.reviewer, review.verdict, review.reference) != (
            review_result.reviewer,
            review_result.verdict,
            review_result.reference,
        ):
            raise guard(
                "the review evidence and the review result disagree",
                "pass the same reviewer, verdict and reference in both",
            )
    if review_ref is not None and review_ref != review_result.reference:
        raise guard(
            "review_ref differs from the review result's reference",
            "pass the review result's reference as review_ref, or omit review_ref",
        )


if TYPE_CHECKING:
    from collections.abc import Callable

    _GuardFactory = Callable[[str, str], GuardError]
