"""The reducer's rules, one test each, plus properties over generated logs."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from status_support import annotation_row, logs, transition_row, write_rows

from mission_status import (
    Lane,
    LiveView,
    materialize,
    materialize_snapshot,
    render_status_json,
)


def board(mission_dir: Path) -> dict[str, str]:
    snapshot = materialize_snapshot(mission_dir)
    return {wp: state.lane.value for wp, state in snapshot.work_packages.items()}


def test_first_occurrence_of_a_duplicate_event_id_wins(mission_dir: Path) -> None:
    seed = transition_row("WP01", "genesis", "planned", at="2026-01-01T09:00:00+00:00")
    first = transition_row("WP01", "planned", "claimed", event_id="01KAAAAAAAAAAAAAAAAAAAAAAA")
    clash = dict(first, to_lane="blocked")
    write_rows(mission_dir, [seed, first, clash])
    snapshot = materialize_snapshot(mission_dir)
    assert snapshot.work_packages["WP01"].lane is Lane.CLAIMED
    assert snapshot.event_count == 2


def test_order_is_by_raw_string_so_z_sorts_after_fractional(mission_dir: Path) -> None:
    # "...05Z" > "...05.5+00:00" as strings, so the Z row is later and wins.
    write_rows(
        mission_dir,
        [
            transition_row("WP01", "planned", "blocked", at="2026-01-01T10:00:05Z"),
            transition_row("WP01", "planned", "claimed", at="2026-01-01T10:00:05.5+00:00"),
        ],
    )
    snapshot = materialize_snapshot(mission_dir)
    assert snapshot.work_packages["WP01"].lane is Lane.BLOCKED
    assert snapshot.materialized_at == "2026-01-01T10:00:05Z"


def test_rollback_beats_a_forward_move_at_the_same_instant_in_either_order(
    mission_dir: Path,
) -> None:
    at = "2026-01-01T12:00:00+00:00"
    rollback = transition_row(
        "WP01", "in_review", "in_progress", at=at, event_id="01KZZZZZZZZZZZZZZZZZZZZZZ1"
    )
    forward = transition_row(
        "WP01", "in_review", "approved", at=at, event_id="01KZZZZZZZZZZZZZZZZZZZZZZ2"
    )
    for rows in ([rollback, forward], [forward, rollback]):
        write_rows(mission_dir, rows)
        assert board(mission_dir) == {"WP01": "in_progress"}
    # A legacy rollback is for_review -> in_progress carrying a review_ref.
    legacy = dict(rollback, from_lane="for_review", review_ref="feedback://1")
    write_rows(mission_dir, [legacy, forward])
    assert board(mission_dir) == {"WP01": "in_progress"}
    # Without the review_ref it is an ordinary move and the later id wins.
    write_rows(mission_dir, [dict(legacy, review_ref=None), forward])
    assert board(mission_dir) == {"WP01": "approved"}


def test_claim_copies_runtime_slots_from_policy_metadata(mission_dir: Path) -> None:
    write_rows(
        mission_dir,
        [
            transition_row("WP01", "genesis", "planned"),
            transition_row(
                "WP01",
                "planned",
                "claimed",
                policy_metadata={
                    "shell_pid": 4242,
                    "shell_pid_created_at": "t0",
                    "agent": "claude",
                },
            ),
            transition_row("WP01", "claimed", "in_progress", force=True, reason="r"),
        ],
    )
    state = materialize_snapshot(mission_dir).work_packages["WP01"]
    assert (state.shell_pid, state.shell_pid_created_at, state.agent) == (4242, "t0", "claude")
    assert state.force_count == 1


def test_review_result_is_set_nulled_and_carried(mission_dir: Path) -> None:
    verdict = {"reviewer": "r", "verdict": "changes_requested", "reference": "x"}
    write_rows(
        mission_dir,
        [
            transition_row("WP01", "for_review", "in_review"),
            transition_row("WP01", "in_review", "in_progress", review_result=verdict),
            transition_row("WP01", "in_progress", "for_review"),
        ],
    )
    assert materialize_snapshot(mission_dir).work_packages["WP01"].review_result == verdict
    write_rows(
        mission_dir,
        [
            transition_row("WP01", "for_review", "in_review"),
            transition_row("WP01", "in_review", "blocked", force=True, reason="stop"),
        ],
    )
    assert materialize_snapshot(mission_dir).work_packages["WP01"].review_result is None


def test_cancellation_records_reason_and_its_provenance(mission_dir: Path) -> None:
    write_rows(
        mission_dir,
        [
            transition_row("WP01", "planned", "canceled", reason="Force move to canceled"),
            transition_row("WP02", "planned", "canceled", reason="scope cut"),
        ],
    )
    wps = materialize_snapshot(mission_dir).work_packages
    assert (wps["WP01"].cancellation_reason, wps["WP01"].reason_source) == (
        "Force move to canceled",
        "synthetic",
    )
    assert wps["WP02"].reason_source == "operator"


def test_annotations_fold_after_transitions(mission_dir: Path) -> None:
    write_rows(
        mission_dir,
        [
            transition_row("WP01", "genesis", "planned", at="2026-01-01T10:00:00+00:00"),
            annotation_row(
                "WP01",
                "2026-01-01T09:00:00+00:00",
                "01KAAAAAAAAAAAAAAAAAAAAAA1",
                agent="claude",
                note="one",
                subtasks={"T1": "planned"},
                tracker_refs=["A", "B"],
            ),
            annotation_row(
                "WP01",
                "2026-01-01T09:30:00+00:00",
                "01KAAAAAAAAAAAAAAAAAAAAAA2",
                agent="",
                note="two",
                subtasks={"T1": "done", "T2": "planned"},
                tracker_refs=["B", "C"],
            ),
            annotation_row(
                "WP09",
                "2026-01-01T09:30:00+00:00",
                "01KAAAAAAAAAAAAAAAAAAAAAA3",
                tracker_refs_replace=["Z", "Z"],
                release_runtime_claim=True,
            ),
        ],
    )
    snapshot = materialize_snapshot(mission_dir)
    wp1 = snapshot.work_packages["WP01"]
    assert wp1.lane is Lane.PLANNED and wp1.agent == "claude"  # "" never clobbers
    assert wp1.notes == ["one", "two"]
    assert wp1.subtasks == {"T1": "done", "T2": "planned"}
    assert wp1.tracker_refs == ["A", "B", "C"]
    wp9 = snapshot.work_packages["WP09"]  # annotation-only: uninitialized, not on the board
    assert wp9.lane is Lane.UNINITIALIZED and wp9.tracker_refs == ["Z"] and wp9.agent is None
    assert sum(snapshot.summary.values()) == 1


def test_review_override_and_its_release_sentinel(mission_dir: Path) -> None:
    override = {"at": "t", "actor": "arbiter", "wp_id": "WP01", "reason": "ok"}
    rows = [
        annotation_row(
            "WP01", "2026-01-01T09:00:00+00:00", "01KAAAAAAAAAAAAAAAAAAAAAA1", review=override
        )
    ]
    write_rows(mission_dir, rows)
    assert materialize_snapshot(mission_dir).work_packages["WP01"].review == override
    empty = {"at": "", "actor": "", "wp_id": "", "reason": ""}
    rows.append(
        annotation_row(
            "WP01", "2026-01-01T09:01:00+00:00", "01KAAAAAAAAAAAAAAAAAAAAAA2", review=empty
        )
    )
    write_rows(mission_dir, rows)
    assert materialize_snapshot(mission_dir).work_packages["WP01"].review is None


def test_identity_fields_come_from_meta_with_slug_fallback(mission_dir: Path) -> None:
    write_rows(
        mission_dir, [transition_row("WP01", "genesis", "planned", mission_slug="042-legacy")]
    )
    snapshot = materialize_snapshot(mission_dir)
    assert (snapshot.mission_number, snapshot.mission_type) == ("42", "")
    (mission_dir / "meta.json").write_text(
        '{"mission_number": "007", "mission_type": " research "}'
    )
    snapshot = materialize_snapshot(mission_dir)
    assert (snapshot.mission_number, snapshot.mission_type) == ("7", "research")


def test_unsafe_slug_from_the_log_is_never_used(mission_dir: Path) -> None:
    write_rows(
        mission_dir, [transition_row("WP01", "genesis", "planned", mission_slug="../../etc")]
    )
    assert materialize_snapshot(mission_dir).mission_slug == ""


def test_foreign_rows_are_ignored_and_retrospective_is_summarised(mission_dir: Path) -> None:
    write_rows(
        mission_dir,
        [
            transition_row("WP01", "genesis", "planned"),
            {"event_type": "DecisionRecorded", "payload": {"to_lane": "done"}},
            {"type": "RetrospectiveCaptured", "wp_id": "WP01"},
            {"event_name": "retrospective.requested", "at": "1", "event_id": "a"},
            {"event_name": "retrospective.proposal.generated", "at": "2", "event_id": "b"},
            {
                "event_name": "retrospective.completed",
                "at": "3",
                "event_id": "c",
                "payload": {"record_path": "kitty-specs/x/retrospective.yaml"},
            },
        ],
    )
    snapshot = materialize_snapshot(mission_dir)
    assert snapshot.event_count == 1
    assert snapshot.retrospective == {
        "status": "completed",
        "mode": None,
        "record_path": "kitty-specs/x/retrospective.yaml",
        "proposals_total": 1,
        "proposals_applied": 0,
        "proposals_rejected": 0,
        "proposals_pending": 1,
    }


def test_empty_or_missing_log_is_an_empty_board(mission_dir: Path) -> None:
    snapshot = materialize_snapshot(mission_dir)
    assert snapshot.event_count == 0 and snapshot.work_packages == {}
    assert snapshot.materialized_at == "" and snapshot.last_event_id is None
    assert set(snapshot.summary) == {lane.value for lane in Lane} - {"genesis", "uninitialized"}


# -- properties ---------------------------------------------------------------


def _text(mission_dir: Path, rows: list[dict[str, Any]]) -> str:
    write_rows(mission_dir, rows)
    return render_status_json(materialize_snapshot(mission_dir))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=logs(), seed=st.integers(0, 2**32))
def test_any_order_of_the_lines_gives_the_same_board(
    mission_dir: Path, rows: list[dict[str, Any]], seed: int
) -> None:
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    assert _text(mission_dir, rows) == _text(mission_dir, shuffled)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=logs(), data=st.data())
def test_duplicated_lines_anywhere_change_nothing(
    mission_dir: Path, rows: list[dict[str, Any]], data: st.DataObject
) -> None:
    transitions = [row for row in rows if "kind" not in row]
    if not transitions:
        return
    duplicated = list(rows)
    for row in data.draw(st.lists(st.sampled_from(transitions), min_size=1, max_size=5)):
        duplicated.insert(data.draw(st.integers(0, len(duplicated))), dict(row))
    assert _text(mission_dir, rows) == _text(mission_dir, duplicated)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=logs(), cut=st.integers(0, 30))
def test_live_view_tail_refresh_equals_a_full_reduce(
    mission_dir: Path, rows: list[dict[str, Any]], cut: int
) -> None:
    write_rows(mission_dir, rows[:cut])
    view = LiveView(mission_dir)
    view.snapshot()
    write_rows(mission_dir, rows[cut:], mode="a")
    assert render_status_json(view.snapshot()) == render_status_json(
        materialize_snapshot(mission_dir)
    )


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=logs())
def test_re_materializing_is_byte_stable(mission_dir: Path, rows: list[dict[str, Any]]) -> None:
    write_rows(mission_dir, rows)
    materialize(mission_dir)
    before = (mission_dir / "status.json").read_bytes()
    again = materialize(mission_dir)
    assert not again.written
    assert (mission_dir / "status.json").read_bytes() == before
    assert (
        json.loads(before)["materialized_at"] == materialize_snapshot(mission_dir).materialized_at
    )


def test_live_view_reads_only_the_tail_after_an_append(mission_dir: Path) -> None:
    write_rows(mission_dir, [transition_row("WP01", "genesis", "planned")])
    view = LiveView(mission_dir)
    view.snapshot()
    write_rows(
        mission_dir,
        [transition_row("WP01", "planned", "claimed", at="2026-02-01T00:00:00+00:00")],
        mode="a",
    )
    assert view.snapshot().work_packages["WP01"].lane is Lane.CLAIMED
    assert (view.full_reduces, view.tail_refreshes) == (1, 1)
    # A rewritten file (not an append) is noticed and fully re-reduced.
    write_rows(
        mission_dir, [transition_row("WP01", "genesis", "planned", at="2026-03-01T00:00:00+00:00")]
    )
    assert view.snapshot().work_packages["WP01"].lane is Lane.PLANNED
    assert view.full_reduces == 2
