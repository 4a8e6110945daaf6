"""A short tour of mission-status: a scratch mission, transitions through the facade, the board.

Run it with ``python3 tools/dev.py demo``. Everything happens in a temporary git
repository that is removed afterwards (pass ``--keep`` to keep it).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mission_status import (
    Evidence,
    MissionStatus,
    MissionStatusError,
    ReviewApproval,
    ReviewResult,
)


class _Clock:
    """A clock that advances one minute per reading, so the demo output is stable."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def run(root: Path) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    mission_dir = root / "kitty-specs" / "demo-mission-01KTPKST"
    mission_dir.mkdir(parents=True)
    meta = {
        "mission_id": "01KTPKSTZ8Q6Y7G4D9V3N2M1AB",
        "mission_number": None,
        "mission_slug": mission_dir.name,
        "mission_type": "software-dev",
    }
    (mission_dir / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    status = MissionStatus.open(mission_dir, clock=_Clock())
    print(f"scratch mission: {mission_dir}\n")

    def step(text: str) -> None:
        print(f"  - {text}")

    for wp in ("WP01", "WP02", "WP03", "WP04"):
        status.transition(wp, "planned", actor="finalize-tasks")
    step("seeded WP01..WP04 (genesis -> planned)")
    for wp, agent in (("WP01", "claude"), ("WP02", "codex")):
        status.transition(wp, "claimed", actor=agent)
        status.transition(wp, "doing", actor=agent)
    step("WP01 and WP02 claimed and in progress")
    status.annotate("WP01", actor="claude", note="parser done, wiring the CLI next")
    status.transition("WP01", "for_review", actor="claude")
    status.transition("WP01", "in_review", actor="reviewer")
    approval = ReviewResult(reviewer="reviewer", verdict="approved", reference="PR#12")
    status.transition(
        "WP01",
        "approved",
        actor="reviewer",
        review_result=approval,
        evidence=Evidence(
            review=ReviewApproval(reviewer="reviewer", verdict="approved", reference="PR#12")
        ),
    )
    step("WP01 reviewed and approved")
    status.transition("WP04", "blocked", actor="lead")
    step("WP04 blocked")
    try:
        status.transition("WP03", "done", actor="impatient")
    except MissionStatusError as error:
        step(f"refused, as it should be:\n      {error}\n      next: {error.next_step}")

    snapshot = status.snapshot()
    print(f"\n$ spec-kitty board {mission_dir}")
    subprocess.run([sys.executable, "-m", "spec_kitty_cli", "board", str(mission_dir)], check=True)
    print(f"\nstatus.json: {mission_dir / 'status.json'} ({snapshot.event_count} events,")
    print(f"materialized_at {snapshot.materialized_at}: the last event's time, not the clock)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the scratch repository")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="spec-kitty-demo-"))
    try:
        run(root)
    finally:
        if args.keep:
            print(f"\nkept {root}")
        else:
            shutil.rmtree(root)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
