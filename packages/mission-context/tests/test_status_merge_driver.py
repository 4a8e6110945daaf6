"""The status.json merge driver: the view of the merged log, whichever way git merges.

Two branches each move a different WP. A real ``git merge`` and ``git rebase`` (where the
driver finds both commits) give exactly the reduction of the union of the logs; a
``git cherry-pick`` (where it cannot tell which commit git is applying) still merges the
two views WP by WP without a conflict (shown here without git, and through a
``git cherry-pick``); and a side that is not a view is a conflict, with
``ours`` left as it was.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from context_support import DIR, make_repo
from kitty_testing import git

from mission_context import ensure_merge_drivers
from mission_context.status_merge_driver import main, merged_view
from mission_status import MissionStatus, materialize_snapshot, render_status_json

MISSION = f"kitty-specs/{DIR}"


def _move(root: Path, wp: str, lane: str, actor: str) -> None:
    MissionStatus.open(root / MISSION).transition(wp, lane, actor=actor)
    git(root, "add", MISSION)
    git(root, "commit", "-q", "-m", f"status: {wp} -> {lane}")


@pytest.fixture
def branched(tmp_path: Path) -> Path:
    """Main with WP01 and WP02 planned; `other` claims WP02, main claims WP01."""
    root = make_repo(tmp_path / "repo", "single_branch")["primary"]
    ensure_merge_drivers(root, root / ".git")
    status = MissionStatus.open(root / MISSION)
    for wp in ("WP01", "WP02"):
        status.transition(wp, "planned", actor="finalize")
    git(root, "add", MISSION)
    git(root, "commit", "-q", "-m", "seed")
    git(root, "switch", "-q", "-c", "other")
    _move(root, "WP02", "claimed", "bob")
    git(root, "switch", "-q", "main")
    _move(root, "WP01", "claimed", "amy")
    return root


def _lanes(root: Path) -> dict[str, str]:
    view = json.loads((root / MISSION / "status.json").read_text())
    return {wp: state["lane"] for wp, state in view["work_packages"].items()}


def _view_is_the_logs(root: Path) -> None:
    assert (root / MISSION / "status.json").read_text() == render_status_json(
        materialize_snapshot(root / MISSION)
    )


@pytest.mark.parametrize("how", ["merge", "rebase"])
def test_a_merge_or_rebase_gives_the_view_of_the_merged_log(branched: Path, how: str) -> None:
    if how == "merge":
        git(branched, "merge", "-q", "--no-edit", "other")
    else:
        git(branched, "switch", "-q", "other")
        git(branched, "rebase", "-q", "main")
    assert git(branched, "status", "--porcelain") == ""
    assert _lanes(branched) == {"WP01": "claimed", "WP02": "claimed"}
    _view_is_the_logs(branched)  # exact: event_count, last_event_id, materialized_at too


def test_a_cherry_pick_merges_without_a_conflict(branched: Path) -> None:
    git(branched, "cherry-pick", "other")
    assert git(branched, "status", "--porcelain") == ""
    assert _lanes(branched) == {"WP01": "claimed", "WP02": "claimed"}
    view = json.loads((branched / MISSION / "status.json").read_text())
    assert view["summary"]["claimed"] == 2
    assert view["event_count"] == 4  # 2 seeds + each side's claim
    assert view["work_packages"]["WP02"]["actor"] == "bob"


def test_outside_a_merge_the_views_are_merged_without_git(tmp_path: Path) -> None:
    base, ours, theirs = (tmp_path / name for name in ("base", "ours", "theirs"))
    for directory in (base, ours, theirs):
        MissionStatus.open(_dir(directory)).transition("WP01", "planned", actor="f")
    MissionStatus.open(_dir(ours)).transition("WP01", "claimed", actor="amy")
    MissionStatus.open(_dir(theirs)).transition("WP02", "planned", actor="f")
    sides = [(d / "m" / "status.json").read_bytes() for d in (base, ours, theirs)]
    merged = merged_view(tmp_path, "m/status.json", *sides, env={})
    assert merged is not None
    view = json.loads(merged)
    lanes = {wp: state["lane"] for wp, state in view["work_packages"].items()}
    assert lanes == {"WP01": "claimed", "WP02": "planned"}
    assert view["summary"]["claimed"] == 1 and view["summary"]["planned"] == 1


def _dir(root: Path) -> Path:
    (root / "m").mkdir(parents=True, exist_ok=True)
    return root / "m"


def test_a_side_that_is_not_a_view_is_a_conflict_and_ours_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, ours, theirs = (tmp_path / name for name in ("base", "ours", "theirs"))
    for path in (base, ours, theirs):
        path.write_text("<<<<<<< not json\n")
    assert main([str(base), str(ours), str(theirs), "m/status.json"]) == 1
    assert ours.read_text() == "<<<<<<< not json\n"
    message = capsys.readouterr().err
    assert message.startswith("STATUS_MERGE_CONFLICT:")
    assert "git checkout --ours -- m/status.json" in message
    assert main(["only-one"]) == 2  # usage


def test_git_runs_it_as_the_config_says(branched: Path) -> None:
    command = git(branched, "config", "--get", "merge.spec-kitty-status.driver")
    assert shlex.split(command) == [
        sys.executable, "-m", "mission_context.status_merge_driver", "%O", "%A", "%B", "%P",
    ]  # fmt: skip
    probe = subprocess.run(
        [sys.executable, "-m", "mission_context.status_merge_driver"],
        capture_output=True, text=True, check=False, env={**os.environ},
    )  # fmt: skip
    assert probe.returncode == 2
    assert "usage:" in probe.stderr
