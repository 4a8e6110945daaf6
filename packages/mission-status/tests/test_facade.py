"""MissionStatus: the one read/write path."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from status_support import transition_row, write_rows

from mission_status import (
    Actor,
    Annotation,
    Evidence,
    GuardError,
    Lane,
    MissionStatus,
    MissionStatusError,
    ReviewApproval,
    ReviewResult,
    StatusEvent,
    TransitionError,
    WorkPackageNotFoundError,
    materialize_if_stale,
    materialize_snapshot,
    render_status_json,
)


class Clock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def test_lifecycle_through_the_facade(mission_dir: Path) -> None:
    status = MissionStatus.open(mission_dir, clock=Clock())
    status.transition("WP01", "planned", actor="finalize")
    status.transition("WP01", "claimed", actor="claude", policy_metadata={"shell_pid": 7})
    status.transition("WP01", "doing", actor="claude")
    status.transition("WP01", "for_review", actor="claude")
    status.transition("WP01", "in_review", actor="rev")
    approval = ReviewResult(reviewer="rev", verdict="approved", reference="PR#9")
    evidence = Evidence(review=ReviewApproval(reviewer="rev", verdict="approved", reference="PR#9"))
    status.transition("WP01", Lane.APPROVED, actor="rev", review_result=approval, evidence=evidence)
    status.transition("WP01", "done", actor="merge", evidence=evidence)
    state = status.wp("WP01")
    assert state.lane is Lane.DONE and state.shell_pid == 7
    assert state.review_result == approval.to_record()
    assert status.lanes() == {"WP01": Lane.DONE}
    assert status.progress().done_percentage == 100.0
    # status.json was refreshed on every write and equals a pure reduce.
    assert (mission_dir / "status.json").read_text() == render_status_json(
        materialize_snapshot(mission_dir)
    )
    assert [
        row.to_lane.value for row in status.history("WP01") if isinstance(row, StatusEvent)
    ] == ["planned", "claimed", "in_progress", "for_review", "in_review", "approved", "done"]


def test_files_lists_what_a_write_left_to_commit(mission_dir: Path) -> None:
    status = MissionStatus.open(mission_dir, clock=Clock())
    assert status.files() == []
    status.transition("WP01", "planned", actor="finalize")
    assert status.files() == [
        mission_dir / "status.events.jsonl",
        mission_dir / "status.json",
    ]
    (mission_dir / "status.json").unlink()
    assert status.files() == [mission_dir / "status.events.jsonl"]  # only what exists


def test_illegal_transition_writes_nothing(mission_dir: Path) -> None:
    status = MissionStatus.open(mission_dir, clock=Clock())
    status.transition("WP01", "planned", actor="finalize")
    before = (mission_dir / "status.events.jsonl").read_bytes()
    with pytest.raises(TransitionError) as caught:
        status.transition("WP01", "done", actor="x")
    assert (caught.value.from_lane, caught.value.to_lane) == ("planned", "done")
    with pytest.raises(GuardError):
        status.transition("WP01", "claimed", actor="")
    assert (mission_dir / "status.events.jsonl").read_bytes() == before


def test_guard_uses_the_lane_reduced_from_the_log_not_a_cache(mission_dir: Path) -> None:
    """Another writer (another worktree, spec-kitty 3.x) appended behind our back."""
    status = MissionStatus.open(mission_dir, clock=Clock())
    status.transition("WP01", "planned", actor="finalize")
    assert status.wp("WP01").lane is Lane.PLANNED
    write_rows(
        mission_dir,
        [transition_row("WP01", "planned", "claimed", at="2026-11-23T09:00:30+00:00")],
        mode="a",
    )
    status.transition("WP01", "in_progress", actor="claude")  # legal only from claimed
    assert status.wp("WP01").lane is Lane.IN_PROGRESS


def test_a_lagging_clock_still_produces_a_winning_event(mission_dir: Path) -> None:
    write_rows(
        mission_dir, [transition_row("WP01", "genesis", "planned", at="2030-01-01T00:00:00+00:00")]
    )
    status = MissionStatus.open(mission_dir, clock=Clock())  # clock is years behind
    event = status.transition("WP01", "claimed", actor="claude")
    assert event.at == "2030-01-01T00:00:00+00:00"
    assert status.wp("WP01").lane is Lane.CLAIMED


def test_structured_actor_round_trips(mission_dir: Path) -> None:
    status = MissionStatus.open(mission_dir, clock=Clock())
    actor = Actor(role="implementer", profile="python", tool="claude", model=None)
    status.transition("WP01", "planned", actor=actor)
    line = json.loads((mission_dir / "status.events.jsonl").read_text())
    assert line["actor"] == {
        "role": "implementer",
        "profile": "python",
        "tool": "claude",
        "model": None,
    }
    assert status.wp("WP01").actor == "claude"


def test_annotate_and_unknown_wp(mission_dir: Path) -> None:
    status = MissionStatus.open(mission_dir, clock=Clock())
    status.transition("WP01", "planned", actor="finalize")
    annotation = status.annotate("WP01", actor="claude", note="halfway", subtasks={"T001": "done"})
    assert isinstance(annotation, Annotation)
    state = status.wp("WP01")
    assert state.notes == ["halfway"] and state.subtasks == {"T001": "done"}
    with pytest.raises(WorkPackageNotFoundError) as caught:
        status.wp("WP99")
    assert "WP01" in caught.value.message


def test_open_refuses_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(MissionStatusError) as caught:
        MissionStatus.open(tmp_path / "nope")
    assert caught.value.code == "MISSION_DIR_NOT_FOUND"


def test_materialize_if_stale_skips_when_the_log_did_not_change(
    tmp_path: Path, mission_dir: Path
) -> None:
    (tmp_path / ".git").mkdir()  # the stamp lives in the git dir
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    status = MissionStatus.open(mission_dir, clock=Clock(), write_view=False)
    status.transition("WP01", "planned", actor="finalize")
    first = materialize_if_stale(mission_dir)
    assert first.written
    second = materialize_if_stale(mission_dir)
    assert (second.written, second.reason) == (False, "up-to-date")
    assert second.snapshot == first.snapshot
    # Seen through another spelling of the same directory: still fresh.
    other_spelling = Path(str(mission_dir.parent) + "/./" + mission_dir.name)
    assert materialize_if_stale(other_spelling).reason == "up-to-date"
    # Hand-editing status.json makes it stale again.
    (mission_dir / "status.json").write_text("{}\n")
    assert materialize_if_stale(mission_dir).written
    assert not any(p.name.endswith(".tmp") for p in mission_dir.iterdir())


def test_a_stamp_for_another_mission_or_in_an_older_format_is_never_trusted(
    tmp_path: Path, mission_dir: Path
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    status = MissionStatus.open(mission_dir, clock=Clock(), write_view=False)
    status.transition("WP01", "planned", actor="finalize")
    assert materialize_if_stale(mission_dir).written
    (stamp,) = (tmp_path / ".git" / "spec-kitty-cache" / "status").iterdir()
    recorded = json.loads(stamp.read_text())
    assert recorded["status"] == (mission_dir / "status.json").read_text()
    # The same file names another mission (a key collision): a miss, and the view is rewritten.
    (mission_dir / "status.json").write_text("{}\n")
    stamp.write_text(json.dumps({**recorded, "owner": ["other", "/elsewhere"], "status": "{}\n"}))
    assert materialize_if_stale(mission_dir).written
    # A stamp as the previous release wrote it (a digest, no text): a miss, never an error.
    (mission_dir / "status.json").write_text("{}\n")
    stamp.write_text(json.dumps({"log": recorded["log"], "status_sha256": "0" * 64}))
    assert materialize_if_stale(mission_dir).written
    assert json.loads((mission_dir / "status.json").read_text())["work_packages"]["WP01"]
    assert materialize_if_stale(mission_dir).reason == "up-to-date"


def test_annotate_rejects_unknown_slots_and_lanes(mission_dir: Path) -> None:
    status = MissionStatus.open(mission_dir, clock=Clock())
    for slots in ({"subtasks": {"T1": "finished"}}, {"shell_pid": "not-a-pid"}, {"bogus": 1}):
        with pytest.raises(MissionStatusError) as caught:
            status.annotate("WP01", actor="a", **slots)
        assert caught.value.code == "INVALID_ANNOTATION"
    assert not (mission_dir / "status.events.jsonl").exists()


# -- batches -----------------------------------------------------------------------------


def test_a_batch_is_one_append_checked_row_by_row(mission_dir: Path) -> None:
    status = MissionStatus.open(mission_dir, clock=Clock())
    status.transition("WP01", "planned", actor="finalize")
    log = mission_dir / "status.events.jsonl"
    before = log.read_bytes()
    with status.batch() as batch:
        assert batch.lane("WP01") is Lane.PLANNED
        batch.transition("WP01", "claimed", actor="claude")
        assert batch.lane("WP01") is Lane.CLAIMED  # the next row is checked from here
        batch.annotate("WP01", actor="claude", note="started")
        batch.transition("WP01", "in_progress", actor="claude")
        assert log.read_bytes() == before  # nothing is written until the block ends
    lines = log.read_bytes()[len(before) :].decode().splitlines()
    assert [json.loads(line).get("to_lane", "note") for line in lines] == [
        "claimed",
        "note",
        "in_progress",
    ]
    rows = [json.loads(line) for line in lines]
    stamps = [(row["at"], row["event_id"]) for row in rows]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    assert status.wp("WP01").lane is Lane.IN_PROGRESS
    assert status.wp("WP01").notes == ["started"]
    assert (mission_dir / "status.json").read_text() == render_status_json(
        materialize_snapshot(mission_dir)
    )


def test_a_batch_that_raises_writes_nothing(mission_dir: Path) -> None:
    status = MissionStatus.open(mission_dir, clock=Clock())
    status.transition("WP01", "planned", actor="finalize")
    before = (mission_dir / "status.events.jsonl").read_bytes()

    def claim_then_finish() -> None:
        with status.batch() as batch:
            batch.transition("WP01", "claimed", actor="claude")
            batch.transition("WP01", "done", actor="claude")  # claimed -> done is no edge

    with pytest.raises(TransitionError):
        claim_then_finish()
    assert (mission_dir / "status.events.jsonl").read_bytes() == before
    assert status.wp("WP01").lane is Lane.PLANNED


def test_a_batch_is_stamped_after_a_log_whose_clock_ran_ahead(mission_dir: Path) -> None:
    ahead = Clock(datetime(2030, 1, 1, tzinfo=UTC))
    MissionStatus.open(mission_dir, clock=ahead).transition("WP01", "planned", actor="x")
    status = MissionStatus.open(mission_dir, clock=Clock())
    with status.batch() as batch:
        batch.transition("WP01", "claimed", actor="claude")
        batch.transition("WP01", "in_progress", actor="claude")
    assert status.wp("WP01").lane is Lane.IN_PROGRESS


def test_a_read_only_status_refuses_every_write(mission_dir: Path) -> None:
    MissionStatus.open(mission_dir, clock=Clock()).transition("WP01", "planned", actor="x")
    before = (mission_dir / "status.events.jsonl").read_bytes()
    reader = MissionStatus.open(mission_dir, read_only=True)
    assert reader.wp("WP01").lane is Lane.PLANNED  # reads work
    for write in (
        lambda: reader.transition("WP01", "claimed", actor="a"),
        lambda: reader.annotate("WP01", actor="a", note="n"),
        reader.materialize,
    ):
        with pytest.raises(MissionStatusError) as refused:
            write()
        assert refused.value.code == "STATUS_READ_ONLY"
    assert (mission_dir / "status.events.jsonl").read_bytes() == before
