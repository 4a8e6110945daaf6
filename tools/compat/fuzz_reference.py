"""Differential fuzzing of our reducer against spec-kitty 3.2.7.

Generates random event logs (ties, duplicates, rollbacks, claims, annotations,
retrospective rows, legacy ``Z`` stamps), reduces each with both
implementations and compares the status.json text. Needs the reference venv
(``python tools/bench/reference_env.py``) or ``SK327_PYTHON``.

    python tools/compat/fuzz_reference.py --cases 2000 --seed 1
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from mission_status import materialize_snapshot, render_status_json

LANES = [
    "planned",
    "claimed",
    "in_progress",
    "for_review",
    "in_review",
    "approved",
    "done",
    "blocked",
    "canceled",
    "genesis",
]
STAMPS = [
    "2026-01-01T10:00:00Z",
    "2026-01-01T10:00:00+00:00",
    "2026-01-01T10:00:00.5+00:00",
    "2026-01-01T10:00:01+00:00",
    "2026-01-01T10:00:05Z",
    "2026-01-02T00:00:00+00:00",
]

REFERENCE = r"""
import sys, pathlib
from specify_cli.status.reducer import materialize_snapshot, materialize_to_json
for d in sys.argv[1:]:
    try:
        out = materialize_to_json(materialize_snapshot(pathlib.Path(d)))
    except Exception as e:
        out = "ERROR " + type(e).__name__ + "\n"
    pathlib.Path(d, "reference.json").write_text(out)
"""


def _ulid(rng: random.Random) -> str:
    return "01K" + "".join(rng.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(23))


def _actor(rng: random.Random) -> object:
    if rng.random() < 0.15:
        return {
            "role": rng.choice(["implementer", None]),
            "profile": None,
            "tool": rng.choice(["claude", None, ""]),
            "model": None,
        }
    return rng.choice(["claude", "codex", "reviewer", ""])


def _transition(rng: random.Random, ids: list[str]) -> dict[str, object]:
    event_id = rng.choice(ids) if ids and rng.random() < 0.1 else _ulid(rng)
    ids.append(event_id)
    from_lane, to_lane = rng.choice(LANES), rng.choice(LANES[:-1])
    row: dict[str, object] = {
        "actor": _actor(rng),
        "at": rng.choice(STAMPS),
        "event_id": event_id,
        "evidence": None,
        "execution_mode": "worktree",
        "force": rng.random() < 0.3,
        "from_lane": from_lane,
        "mission_slug": rng.choice(["001-demo", "demo-01KAAAAA", "../x"]),
        "policy_metadata": rng.choice(
            [
                None,
                {"shell_pid": 42, "agent": "claude"},
                {"agent": ""},
                {"shell_pid_created_at": "t"},
            ]
        ),
        "reason": rng.choice([None, "", "Force move to done", "because", "move-task: x"]),
        "review_ref": rng.choice([None, None, "PR#1"]),
        "to_lane": to_lane,
        "wp_id": rng.choice(["WP01", "WP02", "WP03"]),
    }
    if rng.random() < 0.3:
        row["review_result"] = rng.choice(
            [
                None,
                {},
                {"reviewer": "r", "verdict": "approved", "reference": "x"},
                {
                    "reviewer": "r",
                    "verdict": "changes_requested",
                    "reference": "y",
                    "feedback_path": "f.md",
                },
            ]
        )
    if rng.random() < 0.1:
        row["reason_source"] = rng.choice(["operator", "synthetic"])
    if rng.random() < 0.05:
        row["feature_slug"] = row.pop("mission_slug")
    return row


def _annotation(rng: random.Random) -> dict[str, object]:
    delta: dict[str, object] = {}
    for _ in range(rng.randint(1, 4)):
        key = rng.choice(
            [
                "agent",
                "shell_pid",
                "subtasks",
                "note",
                "tracker_refs",
                "tracker_refs_replace",
                "review",
                "release_runtime_claim",
                "role",
                "model",
                "assignee",
            ]
        )
        delta[key] = {
            "agent": rng.choice(["a", "", "b"]),
            "shell_pid": rng.choice([1, 2]),
            "subtasks": {rng.choice(["T1", "T2"]): rng.choice(["planned", "done"])},
            "note": rng.choice(["n1", "n2"]),
            "tracker_refs": rng.sample(["x", "y", "z"], 2),
            "tracker_refs_replace": rng.sample(["x", "y", "z"], 2),
            "review": rng.choice(
                [
                    {"at": "", "actor": "", "wp_id": "", "reason": ""},
                    {"at": "t", "actor": "a", "wp_id": "WP01", "reason": "r"},
                ]
            ),
            "release_runtime_claim": rng.random() < 0.5,
            "role": "implementer",
            "model": "m",
            "assignee": rng.choice(["", "bob"]),
        }[key]
    return {
        "actor": _actor(rng),
        "at": rng.choice(STAMPS),
        "delta": delta,
        "event_id": _ulid(rng),
        "kind": "annotation",
        "wp_id": rng.choice(["WP01", "WP02", "WP04"]),
    }


def _retro(rng: random.Random) -> dict[str, object]:
    name = rng.choice(
        [
            "retrospective.requested",
            "retrospective.completed",
            "retrospective.proposal.generated",
            "retrospective.skipped",
        ]
    )
    return {
        "event_name": name,
        "at": rng.choice(STAMPS),
        "event_id": _ulid(rng),
        "payload": {
            "record_path": "r.yaml",
            "mode": {
                "value": "autonomous",
                "source_signal": {"kind": "environment", "evidence": "CI"},
            },
        },
    }


def make_case(rng: random.Random, directory: Path) -> None:
    ids: list[str] = []
    rows = []
    for _ in range(rng.randint(0, 25)):
        roll = rng.random()
        rows.append(
            _annotation(rng)
            if roll < 0.25
            else _retro(rng)
            if roll < 0.3
            else {"event_type": "X"}
            if roll < 0.32
            else _transition(rng, ids)
        )
    directory.mkdir()
    (directory / "status.events.jsonl").write_text(
        "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)
    )
    meta = rng.choice(
        [
            None,
            {"mission_number": 7, "mission_type": " research "},
            {"mission_number": "012"},
            {"mission_number": None},
        ]
    )
    if meta is not None:
        (directory / "meta.json").write_text(json.dumps(meta))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    reference = os.environ.get("SK327_PYTHON") or str(
        Path(__file__).resolve().parents[2] / ".bench" / "sk327" / "bin" / "python"
    )
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        dirs = [Path(tmp) / f"case{i}" for i in range(args.cases)]
        for directory in dirs:
            make_case(rng, directory)
        subprocess.run(
            [reference, "-c", REFERENCE, *map(str, dirs)], check=True, stderr=subprocess.DEVNULL
        )
        failures = 0
        for directory in dirs:
            expected = (directory / "reference.json").read_text()
            try:
                ours = render_status_json(materialize_snapshot(directory))
            except Exception as error:  # reported and compared, never hidden
                ours = f"ERROR {type(error).__name__}: {error}\n"
            if expected != ours and not (expected.startswith("ERROR") and ours.startswith("ERROR")):
                failures += 1
                if failures <= 3:
                    print(
                        f"--- {directory.name}\n{(directory / 'status.events.jsonl').read_text()}"
                        f"\nreference:\n{expected}\nours:\n{ours}"
                    )
        print(f"{args.cases - failures}/{args.cases} cases identical")
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
