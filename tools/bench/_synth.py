"""Synthetic ``status.events.jsonl`` logs for bench_scale (standard library only).

Lane transitions written as spec-kitty writes them (``json.dumps(row, sort_keys=True)``), in
timestamp order, with increasing ULID-shaped ids; a row is a pure function of its index and the
seed. Each of 48 work packages walks ``CYCLE``: claims with policy metadata, a review rollback,
an approval, done with evidence, a forced reopen.
"""

from __future__ import annotations

import base64
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

WP_COUNT = 48
MISSION_SLUG = "999-bench-scale"
MISSION_ID = "01KZZBENCHSCALE0000000000A"
SEED = 20261123
_BASE = datetime(2026, 1, 1, tzinfo=UTC)
_STEP_MS = 250
_ACTORS = ("claude", "codex", "gemini", "reviewer-renata", "opencode")
_TO_CROCKFORD = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)
_SCRAMBLE = 0x9E3779B97F4A7C15F39CC0605CEDC835 | 1  # odd: distinct indexes, distinct bits

# (from_lane, to_lane, kind): one full cycle of a work package.
CYCLE = (
    ("planned", "claimed", "claim"),
    ("claimed", "in_progress", "plain"),
    ("in_progress", "for_review", "plain"),
    ("for_review", "in_review", "plain"),
    ("in_review", "in_progress", "rollback"),
    ("in_progress", "for_review", "plain"),
    ("for_review", "in_review", "plain"),
    ("in_review", "approved", "approve"),
    ("approved", "done", "done"),
    ("done", "planned", "reopen"),
)
NEXT_LANE = {a: b for a, b, _ in CYCLE[:4]} | {
    "in_review": "approved",
    "approved": "done",
    "done": "planned",
}


def timestamp(index: int) -> str:
    return (_BASE + index * timedelta(milliseconds=_STEP_MS)).isoformat(timespec="microseconds")


def event_id(index: int) -> str:
    """A 26-character Crockford ULID: row ``index``'s milliseconds and 80 scrambled bits."""
    millis = int(_BASE.timestamp()) * 1000 + index * _STEP_MS
    value = (millis & ((1 << 48) - 1)) << 80 | ((index * _SCRAMBLE) >> 8) & ((1 << 80) - 1)
    encoded = base64.b32encode((value << 6).to_bytes(17, "big"))[:26]
    return encoded.translate(_TO_CROCKFORD).decode("ascii")


def row(index: int, wp: str, step: int, cycle: int, actor: str) -> dict[str, Any]:
    from_lane, to_lane, kind = CYCLE[step]
    ref = f"review-cycle://{MISSION_SLUG}/{wp}-bench/review-cycle-{cycle}.md"
    verdict = {"reference": ref, "reviewer": "reviewer-renata", "verdict": "approved"}
    record: dict[str, Any] = {
        "actor": actor,
        "at": timestamp(index),
        "event_id": event_id(index),
        "evidence": {"review": verdict} if kind == "done" else None,
        "execution_mode": "worktree",
        "force": kind == "reopen",
        "from_lane": from_lane,
        "mission_id": MISSION_ID,
        "mission_slug": MISSION_SLUG,
        "policy_metadata": None,
        "reason": None,
        "review_ref": None,
        "review_result": verdict if kind == "approve" else None,
        "to_lane": to_lane,
        "wp_id": wp,
    }
    if kind == "claim":
        record["policy_metadata"] = {"agent": f"{actor}:bench", "shell_pid": 10000 + index % 50000}
    elif kind == "rollback":
        record["reason"] = f"changes requested: {ref}"
        record["review_ref"] = ref
        record["review_result"] = {**verdict, "verdict": "changes_requested"}
    elif kind == "reopen":
        record["reason"] = "reopened for the next benchmark cycle"
    return record


def write_meta(mission_dir: Path) -> None:
    mission_dir.mkdir(parents=True, exist_ok=True)
    meta = {
        "created_at": "2026-01-01T00:00:00Z",
        "friendly_name": "Benchmark scale mission",
        "mission_id": MISSION_ID,
        "mission_number": 999,
        "mission_slug": MISSION_SLUG,
        "mission_type": "software-dev",
        "slug": MISSION_SLUG,
        "target_branch": "main",
    }
    (mission_dir / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def write_log(path: Path, lines: int, *, marks: tuple[int, ...] = ()) -> dict[int, int]:
    """Write ``lines`` rows to ``path``; the byte length of the first ``n`` rows, per mark."""
    wanted = set(marks) | {lines}
    offsets: dict[int, int] = {}
    rng = random.Random(SEED)
    steps, cycles = [0] * WP_COUNT, [0] * WP_COUNT
    size = 0
    with open(path, "w", encoding="ascii", newline="\n") as out:
        batch: list[str] = []
        for index in range(lines):
            if index in wanted:
                offsets[index] = size
            slot = rng.randrange(WP_COUNT)
            step = steps[slot]
            record = row(index, f"WP{slot + 1:02d}", step, cycles[slot], _ACTORS[index % 5])
            batch.append(json.dumps(record, sort_keys=True) + "\n")
            size += len(batch[-1])
            steps[slot] = (step + 1) % len(CYCLE)
            cycles[slot] += step == len(CYCLE) - 1
            if len(batch) == 10000:
                out.write("".join(batch))
                batch.clear()
        out.write("".join(batch))
    offsets[lines] = size
    return offsets


def copy_prefix(source: Path, target: Path, length: int) -> None:
    with open(source, "rb") as src, open(target, "wb") as dst:
        while length:
            chunk = src.read(min(length, 1 << 24))
            if not chunk:
                raise ValueError(f"{source} is shorter than expected")
            dst.write(chunk)
            length -= len(chunk)
