"""The bulk read (one msgspec pass per block) agrees with the exact line-by-line reader.

Every reduce goes through the bulk path; the exact reader is what it falls
back to. These tests pin that the two always give the same board or the same
error (code and line), on generated logs mutated in the ways a log goes wrong,
and that the bulk path really is taken for ordinary logs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from status_support import annotation_row, compat_root, logs, transition_row

from mission_status import EventLog, EventLogError, materialize_snapshot, render_status_json
from mission_status._bulk import decode_block
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
    try:
        reducer = reduce_records(iter(EventLog(mission_dir).scan()))
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


def test_an_ordinary_block_is_decoded_in_bulk() -> None:
    rows = [
        transition_row("WP01", "planned", "claimed", actor=ACTOR),
        transition_row("WP01", "for_review", "approved", evidence=EVIDENCE),
        annotation_row("WP01", "2026-01-02T00:00:00+00:00", "01KAAAAAAAAAAAAAAAAAAAAAA2", note="n"),
        {"event_id": "01KAAAAAAAAAAAAAAAAAAAAAA3", "event_type": "WPCreated", "payload": {}},
    ]
    groups = decode_block(b"".join(line(row) for row in rows))
    assert groups is not None
    assert [t.to_lane for t in groups.transitions] == ["claimed", "approved"]
    assert [a.delta.note for a in groups.annotations] == ["n"]
    assert groups.lines == 4


@pytest.mark.parametrize(
    "name",
    [
        "two objects on one line",
        "object split over two lines",
        "blank line after",
        "empty evidence",
        "feature_slug",
        "retrospective event",
        "invalid utf-8 in a skipped field",
    ],
)
def test_unusual_blocks_are_left_to_the_exact_reader(name: str) -> None:
    row = transition_row("WP01", "planned", "claimed")
    assert decode_block(line(row)) is not None
    assert decode_block(MUTATIONS[name](row)) is None


def test_the_compat_corpus_takes_the_bulk_path() -> None:
    root = compat_root()
    if root is None:
        pytest.skip("compat corpus not present")
    logs_ = sorted((root / "spec-kitty-missions").glob("*/status.events.jsonl"))
    bulk = [path for path in logs_ if decode_block(path.read_bytes()) is not None]
    # The one left is an empty file (nothing to decode): 133 of 134 logs are bulk-decoded.
    assert len(bulk) >= len(logs_) - 1, [p.parent.name for p in logs_ if p not in bulk]


def test_the_bulk_row_has_every_field_of_every_row_kind_with_the_same_type() -> None:
    # _Row restates StatusEvent's and Annotation's fields; a field added to one of
    # them but not to _Row would be silently skipped by the bulk reader.
    import typing

    from mission_status import Annotation, StatusEvent
    from mission_status._bulk import _Row

    row = typing.get_type_hints(_Row)
    # Loosened on purpose: checked by hand after decoding (see _bulk).
    loosened = {"actor": typing.Any, "wp_id": str | None, "mission_slug": str | None}
    for kind in (StatusEvent, Annotation):
        for name, hint in typing.get_type_hints(kind).items():
            assert name in row, f"{kind.__name__}.{name} is missing from _Row"
            assert row[name] == loosened.get(name, hint), (kind.__name__, name)
