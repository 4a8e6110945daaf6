"""The batch read (a few msgspec calls per block) agrees with the line-by-line reader.

Every read goes through the batch path; decoding one line at a time is what it
falls back to. These tests pin that the two always give the same board or the
same error (code and line), on generated logs mutated in the ways a log goes
wrong, and that the batch path really is taken for ordinary logs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from status_support import annotation_row, compat_root, logs, transition_row

from mission_status import EventLog, EventLogError, materialize_snapshot, render_status_json
from mission_status._log import _decode_batch, decode_row
from mission_status._reducer import reduce_records

ACTOR = {"role": "implementer", "profile": None, "tool": "claude", "model": None}
EVIDENCE = {"review": {"reviewer": "r", "verdict": "approved", "reference": "ref"}}


def line(row: dict[str, Any]) -> bytes:
    return (json.dumps(row, sort_keys=True) + "\n").encode()


def outcome_bulk(mission_dir: Path) -> tuple[str, Any]:
    try:
        return ("board", render_status_json(materialize_snapshot(mission_dir)))
    except EventLogError as error:
        return ("error", (error.code, error.line))


def outcome_exact(mission_dir: Path) -> tuple[str, Any]:
    """The board from decoding each line on its own (an unterminated last line included)."""
    path = EventLog(mission_dir).path
    numbered = enumerate(path.read_bytes().split(b"\n"), start=1)
    try:
        records = [
            decode_row(raw.strip(), path=path, line_no=n) for n, raw in numbered if raw.strip()
        ]
        reducer = reduce_records(iter(records))
        return ("board", render_status_json(reducer.snapshot()))
    except EventLogError as error:
        return ("error", (error.code, error.line))


# Ways a line goes wrong or gets unusual: each maps an encoded line to new bytes.
def _retype(field: str, value: Any) -> Any:
    def mutate(row: dict[str, Any]) -> bytes:
        return line({**row, field: value})

    return mutate


def _drop(field: str) -> Any:
    def mutate(row: dict[str, Any]) -> bytes:
        return line({k: v for k, v in row.items() if k != field})

    return mutate


MUTATIONS: dict[str, Any] = {
    "force as a string": _retype("force", "yes"),
    "unknown lane": _retype("to_lane", "doing-it"),
    "null wp_id": _retype("wp_id", None),
    "numeric actor": _retype("actor", 7),
    "null actor": _retype("actor", None),
    "actor with an extra key": _retype("actor", {**ACTOR, "display": "x"}),
    "structured actor": _retype("actor", ACTOR),
    "empty evidence": _retype("evidence", {}),
    "false evidence": _retype("evidence", False),
    "real evidence": _retype("evidence", EVIDENCE),
    "empty review_result": _retype("review_result", {}),
    "null mission_slug": _retype("mission_slug", None),
    "feature_slug": _retype("feature_slug", "042-legacy"),
    "kind null": _retype("kind", None),
    "unknown kind": _retype("kind", "comment"),
    "foreign event_type": _retype("event_type", "WPCreated"),
    "retrospective type": _retype("type", "RetrospectiveCaptured"),
    "retrospective event": _retype("event_name", "retrospective.requested"),
    "missing at": _drop("at"),
    "missing event_id": _drop("event_id"),
    "missing delta": _drop("delta"),
    "short annotation id": _retype("event_id", "not-a-ulid"),
    "policy metadata list": _retype("policy_metadata", [1]),
    "non-ascii reason": _retype("reason", "café — done"),
    "escaped key": lambda row: line(row).replace(b'"wp_id"', b'"\\u0077p_id"'),
    "blank line after": lambda row: line(row) + b"\n",
    "whitespace line after": lambda row: line(row) + b"   \n",
    "leading spaces": lambda row: b"  " + line(row),
    "crlf": lambda row: line(row)[:-1] + b"\r\n",
    "two objects on one line": lambda row: line(row)[:-1] + b" " + line(row),
    "object split over two lines": lambda row: line(row).replace(b", ", b",\n", 1),
    "not an object": lambda row: b"[1, 2]\n",
    "invalid json": lambda row: line(row)[:-3] + b"\n",
    "invalid utf-8 in a skipped field": lambda row: line({**row, "zz": "x"}).replace(
        b'"x"', b'"\xff"'
    ),
}


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=logs(),
    mutations=st.lists(
        st.tuples(st.sampled_from(sorted(MUTATIONS)), st.integers(0, 40)), max_size=3
    ),
)
def test_bulk_and_exact_readers_agree(
    mission_dir: Path, rows: list[dict[str, Any]], mutations: list[tuple[str, int]]
) -> None:
    encoded = [line(row) for row in rows]
    for name, position in mutations:
        if encoded:
            index = position % len(encoded)
            encoded[index] = MUTATIONS[name](rows[index])
    (mission_dir / "status.events.jsonl").write_bytes(b"".join(encoded))
    assert outcome_bulk(mission_dir) == outcome_exact(mission_dir)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_mutation_of_a_transition_and_an_annotation_agrees(
    mission_dir: Path, name: str
) -> None:
    transition = transition_row("WP01", "planned", "claimed", event_id="01KAAAAAAAAAAAAAAAAAAAAAA1")
    note = annotation_row(
        "WP01", "2026-01-02T00:00:00+00:00", "01KAAAAAAAAAAAAAAAAAAAAAA2", note="n"
    )
    for target in (transition, note):
        others = [line(transition_row("WP02", "planned", "claimed"))]
        data = b"".join([*others, MUTATIONS[name](target), *others])
        (mission_dir / "status.events.jsonl").write_bytes(data)
        assert outcome_bulk(mission_dir) == outcome_exact(mission_dir), (name, target)


def batch(data: bytes) -> list[Any] | None:
    lines = [raw.strip() for raw in data.split(b"\n") if raw.strip()]
    path = Path("status.events.jsonl")
    try:
        decoded = _decode_batch(lines, list(range(1, len(lines) + 1)), path)
    except (msgspec.DecodeError, EventLogError):  # the batch path refuses it
        return None
    return decoded.records() if decoded is not None else None


def test_an_ordinary_block_is_decoded_in_a_batch() -> None:
    rows = [
        transition_row("WP01", "planned", "claimed", actor=ACTOR),
        transition_row("WP01", "for_review", "approved", evidence=EVIDENCE),
        annotation_row("WP01", "2026-01-02T00:00:00+00:00", "01KAAAAAAAAAAAAAAAAAAAAAA2", note="n"),
        {"event_id": "01KAAAAAAAAAAAAAAAAAAAAAA3", "event_type": "WPCreated", "payload": {}},
    ]
    records = batch(b"".join(line(row) for row in rows))
    assert records is not None
    assert [type(r).__name__ for r in records] == [
        "StatusEvent",
        "StatusEvent",
        "Annotation",
        "ForeignRow",
    ]
    assert [r.to_lane for r in records[:2]] == ["claimed", "approved"]
    assert records[2].delta.note == "n"


@pytest.mark.parametrize(
    "name",
    ["two objects on one line", "not an object", "invalid json", "short annotation id"],
)
def test_unusual_blocks_are_left_to_the_line_by_line_reader(name: str) -> None:
    row = transition_row("WP01", "planned", "claimed")
    if name == "short annotation id":
        row = annotation_row("WP01", "2026-01-02T00:00:00+00:00", "01KAAAAAAAAAAAAAAAAAAAAAA2")
    assert batch(line(row)) is not None
    assert batch(MUTATIONS[name](row)) is None


def test_the_compat_corpus_takes_the_batch_path() -> None:
    root = compat_root()
    if root is None:
        pytest.skip("compat corpus not present")
    logs_ = sorted((root / "spec-kitty-missions").glob("*/status.events.jsonl"))
    batched = [path for path in logs_ if path.stat().st_size and batch(path.read_bytes())]
    # The one left is an empty file (nothing to decode): 133 of 134 logs are batch-decoded.
    assert len(batched) >= len(logs_) - 1, [p.parent.name for p in logs_ if p not in batched]


def test_a_duplicate_id_keeps_the_first_row_in_file_order_across_row_shapes(
    mission_dir: Path,
) -> None:
    # The first row names its mission by the legacy feature_slug (decoded one by one), the
    # second is an ordinary transition with the same id (decoded in the batch): the first wins.
    first = transition_row("WP01", "planned", "claimed", event_id="01KAAAAAAAAAAAAAAAAAAAAAB1")
    first = {**{k: v for k, v in first.items() if k != "mission_slug"}, "feature_slug": "042-x"}
    second = {**first, "to_lane": "in_progress", "at": "2026-01-01T10:59:00+00:00"}
    del second["feature_slug"]
    second["mission_slug"] = "042-x"
    (mission_dir / "status.events.jsonl").write_bytes(line(first) + line(second))
    kind, board = outcome_bulk(mission_dir)
    assert kind == "board"
    assert json.loads(board)["work_packages"]["WP01"]["lane"] == "claimed"
    assert (kind, board) == outcome_exact(mission_dir)
