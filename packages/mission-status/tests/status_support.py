"""Test helpers: the compat corpus and log rows in spec-kitty's style."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from mission_status import Lane

COMPAT_ENV = "SPEC_KITTY_COMPAT_DIR"


def compat_root() -> Path | None:
    """The shared compat corpus (``../shared/compat`` beside the checkout), if present."""
    configured = os.environ.get(COMPAT_ENV)
    if configured:
        return Path(configured)
    candidate = Path(__file__).resolve().parents[3].parent / "shared" / "compat"
    return candidate if candidate.is_dir() else None


def write_rows(mission_dir: Path, rows: list[dict[str, Any]], *, mode: str = "w") -> Path:
    """Write rows as spec-kitty does: ``json.dumps(row, sort_keys=True)`` per line."""
    mission_dir.mkdir(parents=True, exist_ok=True)
    path = mission_dir / "status.events.jsonl"
    with path.open(mode, encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, sort_keys=True) + "\n")
    return path


_counter = [0]
# Each row is one second after the previous one, so rows sort in the order they were made.
_EPOCH = datetime(2026, 1, 1, 10, 0, 0, tzinfo=UTC)


def transition_row(wp: str, from_lane: str, to_lane: str, **fields: Any) -> dict[str, Any]:
    """A lane-transition row with spec-kitty's always-present fields."""
    _counter[0] += 1
    row: dict[str, Any] = {
        "actor": "claude",
        "at": (_EPOCH + timedelta(seconds=_counter[0])).isoformat(),
        "event_id": f"01KAAAAAAAAAAAAAAAAA{_counter[0]:06d}",
        "evidence": None,
        "execution_mode": "worktree",
        "force": False,
        "from_lane": from_lane,
        "mission_slug": "demo-01KAAAAA",
        "policy_metadata": None,
        "reason": None,
        "review_ref": None,
        "to_lane": to_lane,
        "wp_id": wp,
    }
    row.update(fields)
    return row


def annotation_row(wp: str, at: str, event_id: str, **delta: Any) -> dict[str, Any]:
    return {
        "actor": "claude",
        "at": at,
        "delta": delta,
        "event_id": event_id,
        "kind": "annotation",
        "wp_id": wp,
    }


LANES = [lane.value for lane in Lane if lane is not Lane.UNINITIALIZED]
STAMPS = [
    "2026-01-01T10:00:00Z",
    "2026-01-01T10:00:00+00:00",
    "2026-01-01T10:00:00.5+00:00",
    "2026-01-01T10:00:01+00:00",
]


@st.composite
def logs(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for index in range(draw(st.integers(0, 30))):
        event_id = f"01KAAAAAAAAAAAAAAAAAAA{index:04d}"
        at = draw(st.sampled_from(STAMPS))
        wp = draw(st.sampled_from(["WP01", "WP02", "WP03"]))
        if draw(st.booleans()) and draw(st.booleans()):
            rows.append(
                annotation_row(
                    wp,
                    at,
                    event_id,
                    note=draw(st.sampled_from(["a", "b"])),
                    agent=draw(st.sampled_from(["", "x", "y"])),
                    tracker_refs=draw(st.lists(st.sampled_from("ABC"), max_size=3)),
                )
            )
            continue
        rows.append(
            transition_row(
                wp,
                draw(st.sampled_from(LANES)),
                draw(st.sampled_from(LANES[1:])),
                at=at,
                event_id=event_id,
                force=draw(st.booleans()),
                review_ref=draw(st.sampled_from([None, "ref"])),
                actor=draw(
                    st.sampled_from(
                        ["a", "b", {"role": "r", "profile": None, "tool": None, "model": None}]
                    )
                ),
            )
        )
    return rows
