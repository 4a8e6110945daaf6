"""Bad input gets a typed, line-numbered error (or correct handling), never a traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from status_support import transition_row, write_rows

from mission_status import (
    Annotation,
    EventLog,
    EventLogError,
    ForeignRow,
    MissionMetaError,
    StatusEvent,
    materialize_snapshot,
)


def _error(mission_dir: Path) -> EventLogError:
    with pytest.raises(EventLogError) as caught:
        materialize_snapshot(mission_dir)
    error = caught.value
    assert error.next_step
    assert error.to_dict() == {
        "code": error.code,
        "message": error.message,
        "next_step": error.next_step,
    }
    return error


def _log_with_bad_second_line(mission_dir: Path, bad: bytes) -> None:
    write_rows(mission_dir, [transition_row("WP01", "genesis", "planned")])
    with (mission_dir / "status.events.jsonl").open("ab") as handle:
        handle.write(bad + b"\n")
        handle.write(json.dumps(transition_row("WP02", "genesis", "planned")).encode() + b"\n")


@pytest.mark.parametrize(
    ("bad", "code", "phrase"),
    [
        (b'{"event_id": ', "EVENT_LOG_INVALID_JSON", "invalid JSON"),
        (b"[1, 2, 3]", "EVENT_LOG_INVALID_EVENT", "expected a JSON object"),
        (b'"just a string"', "EVENT_LOG_INVALID_EVENT", "expected a JSON object"),
        (
            json.dumps(transition_row("WP01", "planned", "doing")).encode(),
            "EVENT_LOG_UNKNOWN_LANE",
            "to_lane",
        ),
        (
            json.dumps(transition_row("WP01", "planned", "claimed", actor={"role": "x"})).encode(),
            "EVENT_LOG_INVALID_ACTOR",
            "actor",
        ),
        (
            json.dumps(transition_row("WP01", "planned", "claimed", actor=7)).encode(),
            "EVENT_LOG_INVALID_ACTOR",
            "actor",
        ),
        (b'{"kind": "comment", "event_id": "x"}', "EVENT_LOG_UNKNOWN_KIND", "comment"),
        (
            b'{"kind": "annotation", "event_id": "not-a-ulid", "wp_id": "WP01"}',
            "EVENT_LOG_INVALID_EVENT",
            "ULID",
        ),
        (b'{"wp_id": "WP01"}', "EVENT_LOG_INVALID_EVENT", "event_id"),
        (b'{"event_id": "caf\xe9"}', "EVENT_LOG_NOT_UTF8", "UTF-8"),
    ],
)
def test_bad_line_is_reported_with_its_line_number(
    mission_dir: Path, bad: bytes, code: str, phrase: str
) -> None:
    _log_with_bad_second_line(mission_dir, bad)
    before = (mission_dir / "status.events.jsonl").read_bytes()
    error = _error(mission_dir)
    assert error.code == code
    assert error.line == 2
    assert phrase in error.message
    assert ":2:" in str(error)
    assert (mission_dir / "status.events.jsonl").read_bytes() == before  # nothing rewritten
    assert not (mission_dir / "status.json").exists()


def test_symlinked_log_is_refused(mission_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.jsonl"
    target.write_text(json.dumps(transition_row("WP01", "genesis", "planned")) + "\n")
    (mission_dir / "status.events.jsonl").symlink_to(target)
    error = _error(mission_dir)
    assert error.code == "EVENT_LOG_SYMLINK"
    assert error.line is None


def test_a_one_megabyte_line_is_read_correctly(mission_dir: Path) -> None:
    big_evidence = {
        "review": {"reviewer": "r", "verdict": "approved", "reference": "PR#1"},
        "verification": [{"command": "pytest", "result": "pass", "summary": "x" * 1_000_000}],
    }
    write_rows(
        mission_dir,
        [
            transition_row("WP01", "genesis", "planned"),
            transition_row(
                "WP01", "planned", "done", force=True, reason="r", evidence=big_evidence
            ),
        ],
    )
    assert (mission_dir / "status.events.jsonl").stat().st_size > 1_000_000
    assert materialize_snapshot(mission_dir).work_packages["WP01"].lane.value == "done"


def test_blank_lines_and_crlf_are_tolerated(mission_dir: Path) -> None:
    rows = [
        transition_row("WP01", "genesis", "planned"),
        transition_row("WP02", "genesis", "planned"),
    ]
    text = "\n\n".join(json.dumps(row, sort_keys=True) for row in rows).replace("\n\n", "\r\n\n")
    (mission_dir / "status.events.jsonl").write_text(text + "\r\n")
    assert set(materialize_snapshot(mission_dir).work_packages) == {"WP01", "WP02"}


def test_records_are_classified(mission_dir: Path) -> None:
    write_rows(
        mission_dir,
        [
            transition_row("WP01", "genesis", "planned"),
            {
                "actor": "a",
                "at": "t",
                "delta": {"note": "n"},
                "event_id": "01KAAAAAAAAAAAAAAAAAAAAAAA",
                "kind": "annotation",
                "wp_id": "WP01",
            },
            {"event_type": "Anything", "at": "t"},
            transition_row("WP02", "genesis", "planned", feature_slug="001-x", mission_slug=None),
        ],
    )
    records = EventLog(mission_dir).read()
    assert [type(record) for record in records] == [
        StatusEvent,
        Annotation,
        ForeignRow,
        StatusEvent,
    ]
    assert records[3].mission_slug == "001-x"  # legacy feature_slug alias


def test_written_lines_match_spec_kittys_byte_style(mission_dir: Path) -> None:
    row = transition_row("WP01", "genesis", "planned", reason="naïve → ok")
    records = [*EventLog(mission_dir).read()]
    assert records == []
    write_rows(mission_dir, [row])
    event = EventLog(mission_dir).read()[0]
    other = mission_dir.parent / "other"
    other.mkdir()
    EventLog(other).append(event)
    assert (other / "status.events.jsonl").read_bytes() == (
        mission_dir / "status.events.jsonl"
    ).read_bytes()


def test_corrupt_meta_json_is_named(mission_dir: Path) -> None:
    write_rows(mission_dir, [transition_row("WP01", "genesis", "planned")])
    (mission_dir / "meta.json").write_text("{not json")
    with pytest.raises(MissionMetaError) as caught:
        materialize_snapshot(mission_dir)
    assert caught.value.code == "MISSION_META_INVALID"
    assert "meta.json" in caught.value.message
    (mission_dir / "meta.json").write_text("[]")
    with pytest.raises(MissionMetaError):
        materialize_snapshot(mission_dir)


def test_unreadable_log_is_a_typed_error(mission_dir: Path) -> None:
    (mission_dir / "status.events.jsonl").mkdir()
    error = _error(mission_dir)
    assert error.code == "EVENT_LOG_UNREADABLE"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_permission_denied_is_a_typed_error(mission_dir: Path) -> None:
    path = write_rows(mission_dir, [transition_row("WP01", "genesis", "planned")])
    path.chmod(0)
    assert _error(mission_dir).code == "EVENT_LOG_UNREADABLE"
