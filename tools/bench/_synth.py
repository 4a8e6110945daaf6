"""Synthetic ``status.events.jsonl`` logs for the scale benchmark (stdlib only).

Every row is a lane transition written exactly as spec-kitty writes one
(``json.dumps(row, sort_keys=True)``), in timestamp order, with ULID-shaped
event ids that increase with the row index. Rows and ids are pure functions of
the row index and the seed, so the same arguments give the same bytes, and the
id and timestamp of row ``n`` are known without generating rows ``0..n-1``.

Each of ``WP_COUNT`` work packages walks the lane cycle in ``CYCLE`` (claims
with policy metadata, a review rollback with a ``changes_requested`` verdict,
an approval with a verdict, done with evidence, then a forced reopen), so the
reducer sees every kind of row it meets in real logs except annotations.
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
_STEP = timedelta(milliseconds=_STEP_MS)
_BASE_MS = int(_BASE.timestamp()) * 1000
_ACTORS = ("claude", "codex", "gemini", "reviewer-renata", "opencode")

_RFC4648 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_CROCKFORD = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TO_CROCKFORD = bytes.maketrans(_RFC4648, _CROCKFORD)
# Odd multiplier: index -> 80 "random-looking" bits, distinct for distinct indexes.
_SCRAMBLE = 0x9E3779B97F4A7C15F39CC0605CEDC835 | 1


def ulid(millis: int, randomness: int) -> str:
    """The 26-character Crockford ULID of a 48-bit time and 80 random bits."""
    value = ((millis & ((1 << 48) - 1)) << 80) | (randomness & ((1 << 80) - 1))
    # 130 bits (two leading zero bits + 128) read five at a time = 26 characters.
    encoded = base64.b32encode((value << 6).to_bytes(17, "big"))[:26]
    return encoded.translate(_TO_CROCKFORD).decode("ascii")


def timestamp(index: int) -> str:
    """The ``at`` of row ``index`` (250 ms apart, spec-kitty's microsecond style)."""
    return (_BASE + index * _STEP).isoformat(timespec="microseconds")


def event_id(index: int) -> str:
    """The event id of row ``index``: its timestamp's milliseconds plus scrambled bits."""
    return ulid(_BASE_MS + index * _STEP_MS, (index * _SCRAMBLE) >> 8)


def _review_ref(wp: str, cycle: int) -> str:
    return f"review-cycle://{MISSION_SLUG}/{wp}-bench/review-cycle-{cycle}.md"


# (from_lane, to_lane, kind): one full cycle of a work package.
CYCLE: tuple[tuple[str, str, str], ...] = (
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
NEXT_LANE = {source: target for source, target, _ in CYCLE[:4]} | {
    "in_review": "approved",
    "approved": "done",
    "done": "planned",
}


def row(index: int, wp: str, step: int, cycle: int, actor: str) -> dict[str, Any]:
    """The log row of ``index``: step ``step`` of cycle ``cycle`` of work package ``wp``."""
    from_lane, to_lane, kind = CYCLE[step]
    record: dict[str, Any] = {
        "actor": actor,
        "at": timestamp(index),
        "event_id": event_id(index),
        "evidence": None,
        "execution_mode": "worktree",
        "force": False,
        "from_lane": from_lane,
        "mission_id": MISSION_ID,
        "mission_slug": MISSION_SLUG,
        "policy_metadata": None,
        "reason": None,
        "review_ref": None,
        "review_result": None,
        "to_lane": to_lane,
        "wp_id": wp,
    }
    if kind == "claim":
        record["policy_metadata"] = {"agent": f"{actor}:bench", "shell_pid": 10000 + index % 50000}
    elif kind == "rollback":
        ref = _review_ref(wp, cycle)
        record["reason"] = f"changes requested: {ref}"
        record["review_ref"] = ref
        record["review_result"] = {
            "reference": ref,
            "reviewer": "reviewer-renata",
            "verdict": "changes_requested",
        }
    elif kind == "approve":
        record["review_result"] = {
            "reference": _review_ref(wp, cycle),
            "reviewer": "reviewer-renata",
            "verdict": "approved",
        }
    elif kind == "done":
        record["evidence"] = {
            "review": {
                "reference": _review_ref(wp, cycle),
                "reviewer": "reviewer-renata",
                "verdict": "approved",
            }
        }
    elif kind == "reopen":
        record["force"] = True
        record["reason"] = "reopened for the next benchmark cycle"
    return record


def write_meta(mission_dir: Path) -> None:
    """Write the synthetic mission's ``meta.json`` into ``mission_dir``."""
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


def write_log(
    path: Path, lines: int, *, marks: tuple[int, ...] = (), seed: int = SEED
) -> dict[int, int]:
    """Write a ``lines``-row log to ``path``.

    Returns the byte length of the first ``n`` rows for each ``n`` in ``marks``
    (and for ``lines``), so that a prefix of the file is the log of ``n`` rows.
    """
    wanted = set(marks) | {lines}
    offsets: dict[int, int] = {}
    rng = random.Random(seed)
    steps = [0] * WP_COUNT
    cycles = [0] * WP_COUNT
    wps = [f"WP{n:02d}" for n in range(1, WP_COUNT + 1)]
    dumps = json.dumps
    size = 0
    with open(path, "w", encoding="ascii", newline="\n") as out:
        batch: list[str] = []
        for index in range(lines):
            if index in wanted:
                offsets[index] = size + sum(len(line) + 1 for line in batch)
            slot = rng.randrange(WP_COUNT)
            step = steps[slot]
            batch.append(
                dumps(row(index, wps[slot], step, cycles[slot], _ACTORS[index % 5]), sort_keys=True)
            )
            if step == len(CYCLE) - 1:
                steps[slot] = 0
                cycles[slot] += 1
            else:
                steps[slot] = step + 1
            if len(batch) == 10000:
                text = "\n".join(batch) + "\n"
                size += len(text)
                out.write(text)
                batch.clear()
        if batch:
            text = "\n".join(batch) + "\n"
            size += len(text)
            out.write(text)
    offsets[lines] = size
    return offsets


def copy_prefix(source: Path, target: Path, length: int) -> None:
    """Copy the first ``length`` bytes of ``source`` to ``target``."""
    with open(source, "rb") as src, open(target, "wb") as dst:
        remaining = length
        while remaining:
            chunk = src.read(min(remaining, 1 << 24))
            if not chunk:
                raise ValueError(f"{source} is shorter than {length} bytes")
            dst.write(chunk)
            remaining -= len(chunk)
