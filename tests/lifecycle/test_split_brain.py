"""The failure classes of the tool we replace, reproduced, and shown dead.

Each test sets up the situation that broke spec-kitty 3.x (status files of the
coordination branch lying around, planning files split between branches,
staleness judged by file times or by which checkout you stand in) and asserts
the user-visible outcome is right.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from kitty_testing import TASKS_MD, cli, commit_work, git, ok_json, tree_digest


def _coord_mission(root: Path, topology: str = "coord") -> tuple[str, Path, Path]:
    ok_json(root, "init")
    made = ok_json(root, "specify", "Split brain", "--topology", topology)
    mid8, mission_dir = str(made["mid8"]), Path(str(made["feature_dir"]))
    ok_json(root, "tasks", "--mission", mid8)
    (mission_dir / "tasks.md").write_text(TASKS_MD)
    ok_json(root, "finalize-tasks", "--mission", mid8)
    coord = Path(ok_json(root, "context", "--mission", mid8)["workspace"]["coord_worktree"])
    return mid8, mission_dir, coord


def test_record_analysis_is_not_blocked_by_coordination_status_files(repo: Path) -> None:
    mid8, mission_dir, coord = _coord_mission(repo)
    # What 3.2.7 tripped on: status files that belong to the coordination branch, modified
    # and uncommitted, in the coordination worktree and (a stray copy) in the primary checkout.
    coord_log = coord / "kitty-specs" / mission_dir.name / "status.events.jsonl"
    with coord_log.open("a") as handle:
        handle.write("\n")
    stray = mission_dir / "status.events.jsonl"
    stray.write_text('{"stray": true}\n')
    recorded = ok_json(
        repo, "record-analysis", "--mission", mid8, "--input-file", "-", stdin="Looks right.\n"
    )
    assert recorded["commit"] == git(repo, "rev-parse", "main")
    changed = git(repo, "show", "--name-only", "--format=", "main").splitlines()
    assert changed == [f"kitty-specs/{mission_dir.name}/analysis-report.md"]
    assert stray.read_text() == '{"stray": true}\n'  # untouched, uncommitted
    stray_entry = f"?? kitty-specs/{mission_dir.name}/status.events.jsonl"
    assert git(repo, "status", "--porcelain") == stray_entry


def test_implement_commits_planning_split_between_branches_first(repo: Path) -> None:
    mid8, mission_dir, _ = _coord_mission(repo, "lanes_with_coord")
    # Planning edited in the primary checkout, uncommitted; status lives on the coord branch.
    (mission_dir / "plan.md").write_text("# Plan\n\nThe new approach.\n")
    (mission_dir / "spec.md").write_text("# Spec\n\nEdited.\n")
    started = ok_json(repo, "implement", "WP01", "--mission", mid8, "--agent", "claude")
    assert started["planning_commit"] is not None
    lane = Path(started["workspace_path"])
    in_lane = lane / "kitty-specs" / mission_dir.name
    assert (in_lane / "plan.md").read_text() == "# Plan\n\nThe new approach.\n"
    assert (in_lane / "spec.md").read_text() == "# Spec\n\nEdited.\n"
    assert git(repo, "status", "--porcelain") == ""
    board = ok_json(lane, "status", "--mission", mid8)
    assert board["work_packages"]["WP01"]["lane"] == "in_progress"


def test_analyze_staleness_follows_content_from_any_directory(repo: Path) -> None:
    mid8, mission_dir, coord = _coord_mission(repo, "lanes_with_coord")
    ok_json(repo, "record-analysis", "--mission", mid8, "--input-file", "-", stdin="Fine.\n")
    lane = Path(
        ok_json(repo, "implement", "WP01", "--mission", mid8, "--agent", "a")["workspace_path"]
    )
    spots = [repo, repo / "src", lane, coord]
    answers = {json.dumps(ok_json(spot, "analyze", "--mission", mid8)) for spot in spots}
    assert len(answers) == 1
    assert json.loads(answers.pop())["stale"] is False
    # Touching a file (new mtime, same bytes) is not a change...
    spec = mission_dir / "spec.md"
    os.utime(spec, (1, 1))
    assert ok_json(lane, "analyze", "--mission", mid8)["stale"] is False
    # ...editing one is, wherever you ask from, including a lane whose copy is unchanged.
    spec.write_text(spec.read_text() + "\nOne more requirement.\n")
    for spot in spots:
        stale = ok_json(spot, "analyze", "--mission", mid8)
        assert stale["stale"] is True
        assert [name for name, entry in stale["inputs"].items() if entry["stale"]] == ["spec.md"]


def test_move_task_in_a_lane_worktree_sees_the_primary_lane(repo: Path) -> None:
    mid8, _, _ = _coord_mission(repo, "lanes_with_coord")
    lane = Path(
        ok_json(repo, "implement", "WP01", "--mission", mid8, "--agent", "a")["workspace_path"]
    )
    commit_work(lane, "src/core.py", "x = 1\n")
    moved = ok_json(lane, "move-task", "WP01", "--to", "for_review", "--mission", mid8)
    assert moved["from_lane"] == "in_progress"  # not the lane branch's frozen "planned"
    from_primary = ok_json(repo, "status", "--mission", mid8)
    assert from_primary["work_packages"]["WP01"]["lane"] == "for_review"


def test_read_commands_write_nothing_anywhere(repo: Path) -> None:
    mid8, _, coord = _coord_mission(repo, "lanes_with_coord")
    lane = Path(
        ok_json(repo, "implement", "WP01", "--mission", mid8, "--agent", "a")["workspace_path"]
    )
    roots = [repo, lane, coord]
    before = {root: tree_digest(root) for root in roots}
    heads = git(repo, "for-each-ref", "--format=%(refname) %(objectname)")
    for spot in roots:
        for args in (
            ["status", "--mission", mid8],
            ["status"],
            ["context", "--mission", mid8, "--action", "implement", "--wp", "WP01"],
            ["doctor", "--mission", mid8],
        ):
            assert cli(spot, *args, "--json").returncode == 0, args
    assert {root: tree_digest(root) for root in roots} == before
    assert git(repo, "for-each-ref", "--format=%(refname) %(objectname)") == heads
