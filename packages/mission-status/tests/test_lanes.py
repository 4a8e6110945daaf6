"""The lane FSM: exactly formats.md's edge table and guards."""

from __future__ import annotations

import pytest

from mission_status import (
    ALLOWED_EDGES,
    DISPLAY_LANES,
    Evidence,
    GuardError,
    Lane,
    ReviewApproval,
    ReviewResult,
    TransitionError,
    UnknownLaneError,
    check_transition,
    parse_lane,
)

TABLE = {
    "genesis": "planned canceled",
    "planned": "claimed blocked canceled",
    "claimed": "in_progress blocked canceled",
    "in_progress": "for_review approved planned blocked canceled",
    "for_review": "in_review blocked canceled",
    "in_review": "approved done in_progress planned blocked canceled",
    "approved": "done in_progress planned blocked canceled",
    "blocked": "in_progress canceled",
    "done": "",
    "canceled": "",
}
APPROVAL = ReviewResult(reviewer="r", verdict="approved", reference="PR#1")
REJECTION = ReviewResult(reviewer="r", verdict="changes_requested", reference="fb://1")
EVIDENCE = Evidence(review=ReviewApproval(reviewer="r", verdict="approved", reference="PR#1"))


def _satisfying(from_lane: Lane, to_lane: Lane) -> dict[str, object]:
    """Arguments that satisfy every guard of the edge."""
    kwargs: dict[str, object] = {"actor": "a", "reason": "why"}
    if to_lane in (Lane.APPROVED, Lane.DONE):
        kwargs["evidence"] = EVIDENCE
        kwargs["review_result"] = APPROVAL
    if from_lane is Lane.IN_REVIEW:
        kwargs.setdefault(
            "review_result", REJECTION if to_lane in (Lane.IN_PROGRESS, Lane.PLANNED) else APPROVAL
        )
    if from_lane is Lane.APPROVED and to_lane in (Lane.IN_PROGRESS, Lane.PLANNED):
        kwargs["review_ref"] = "fb://2"
    return kwargs


@pytest.mark.parametrize("source", list(TABLE))
def test_edge_table_is_exactly_the_documented_one(source: str) -> None:
    from_lane = Lane(source)
    expected = {Lane(name) for name in TABLE[source].split()}
    assert ALLOWED_EDGES[from_lane] == expected
    for target in DISPLAY_LANES:
        kwargs = _satisfying(from_lane, target)
        if target in expected:
            check_transition("WP01", from_lane, target, **kwargs)  # type: ignore[arg-type]
        else:
            with pytest.raises(TransitionError) as caught:
                check_transition("WP01", from_lane, target, **kwargs)  # type: ignore[arg-type]
            assert caught.value.code == "ILLEGAL_TRANSITION"
            assert (caught.value.from_lane, caught.value.to_lane) == (source, target.value)
            assert f"{source} -> {target.value}" in caught.value.message
            assert "force" in caught.value.next_step


@pytest.mark.parametrize(
    ("from_lane", "to_lane", "kwargs", "phrase"),
    [
        ("planned", "claimed", {"actor": " "}, "actor"),
        ("in_progress", "planned", {"actor": "a"}, "reason"),
        ("in_progress", "approved", {"actor": "a"}, "evidence"),
        (
            "approved",
            "done",
            {
                "actor": "a",
                "evidence": Evidence(
                    review=ReviewApproval(reviewer="r", verdict="changes_requested", reference="x")
                ),
            },
            "approved",
        ),
        ("in_review", "approved", {"actor": "a", "evidence": EVIDENCE}, "review result"),
        (
            "in_review",
            "in_progress",
            {"actor": "a", "review_result": APPROVAL},
            "changes_requested",
        ),
        (
            "in_review",
            "done",
            {
                "actor": "a",
                "evidence": EVIDENCE,
                "review_result": ReviewResult(
                    reviewer="someone-else", verdict="approved", reference="PR#1"
                ),
            },
            "disagree",
        ),
        (
            "in_review",
            "planned",
            {"actor": "a", "review_result": REJECTION, "review_ref": "other"},
            "review_ref",
        ),
        ("approved", "in_progress", {"actor": "a"}, "review reference"),
    ],
)
def test_guards_refuse_with_what_is_missing(
    from_lane: str, to_lane: str, kwargs: dict[str, object], phrase: str
) -> None:
    with pytest.raises(GuardError) as caught:
        check_transition("WP07", Lane(from_lane), Lane(to_lane), **kwargs)  # type: ignore[arg-type]
    assert caught.value.code == "TRANSITION_GUARD_FAILED"
    assert phrase in caught.value.message
    assert caught.value.next_step


def test_force_bypasses_edges_but_needs_actor_and_reason() -> None:
    check_transition("WP01", Lane.DONE, Lane.PLANNED, actor="a", reason="reopen", force=True)
    for actor, reason in (("", "r"), ("a", None), ("a", "  ")):
        with pytest.raises(GuardError):
            check_transition(
                "WP01", Lane.DONE, Lane.PLANNED, actor=actor, reason=reason, force=True
            )
    with pytest.raises(TransitionError):
        check_transition("WP01", Lane.PLANNED, Lane.GENESIS, actor="a", reason="r", force=True)


def test_parse_lane_accepts_the_doing_alias_only_from_people() -> None:
    assert parse_lane("doing") is Lane.IN_PROGRESS
    assert parse_lane(" For_Review ") is Lane.FOR_REVIEW
    with pytest.raises(UnknownLaneError) as caught:
        parse_lane("finished")
    assert "planned" in caught.value.next_step
