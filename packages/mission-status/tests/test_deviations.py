"""Where we deliberately differ from spec-kitty 3.2.7 (each case is in docs/compat.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from status_support import transition_row, write_rows

from mission_status import EventLogError, materialize_snapshot


@pytest.mark.parametrize("raw", ['"pending"', '"TBD"', "1.5", "true", '"abc"'])
def test_unparseable_mission_number_counts_as_unset(mission_dir: Path, raw: str) -> None:
    """3.2.7 raises ValueError/TypeError and cannot show the board at all."""
    write_rows(mission_dir, [transition_row("WP01", "genesis", "planned", mission_slug="012-x")])
    (mission_dir / "meta.json").write_text(f'{{"mission_number": {raw}}}')
    assert materialize_snapshot(mission_dir).mission_number == "12"  # the slug's NNN- prefix


def test_a_raw_line_separator_inside_a_string_is_not_a_line_break(mission_dir: Path) -> None:
    """3.2.7 splits lines with str.splitlines(), which breaks on U+2028 inside valid JSON."""
    row = transition_row("WP01", "genesis", "planned", reason="a\u2028b")
    line = json.dumps(row, sort_keys=True, ensure_ascii=False)
    (mission_dir / "status.events.jsonl").write_text(line + "\n", encoding="utf-8")
    assert materialize_snapshot(mission_dir).work_packages["WP01"].lane.value == "planned"


def test_nan_is_not_json(mission_dir: Path) -> None:
    """Python's json module accepts NaN/Infinity; they are not JSON, so the line is refused."""
    line = json.dumps(transition_row("WP01", "genesis", "planned")).replace(
        '"force": false', '"force": NaN'
    )
    (mission_dir / "status.events.jsonl").write_text(line + "\n")
    with pytest.raises(EventLogError) as caught:
        materialize_snapshot(mission_dir)
    assert (caught.value.code, caught.value.line) == ("EVENT_LOG_INVALID_JSON", 1)


@pytest.mark.parametrize(
    ("field", "value"),
    [("force", "yes"), ("wp_id", 1), ("at", 20260101), ("execution_mode", None)],
)
def test_mistyped_fields_are_refused_not_coerced(
    mission_dir: Path, field: str, value: object
) -> None:
    """3.2.7 keeps them as-is or str()s them, producing boards like force_count from "yes"."""
    write_rows(mission_dir, [transition_row("WP01", "genesis", "planned", **{field: value})])
    with pytest.raises(EventLogError) as caught:
        materialize_snapshot(mission_dir)
    assert caught.value.line == 1
    assert field in caught.value.message
