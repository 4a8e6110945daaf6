"""The occurrence-map gate of bulk-edit missions, through the CLI, under every topology."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from kitty_testing import cli, commit_work, git, ok_json

TASKS = "## WP01: Rename\n**Owned Files**: src/app.py\n"


def bulk_edit_mission(root: Path, topology: str) -> tuple[str, Path]:
    """A bulk-edit mission (change_mode in the primary meta.json) with tasks.md written."""
    ok_json(root, "init")
    made = ok_json(root, "specify", "Rename widget", "--topology", topology)
    mission_dir = Path(str(made["feature_dir"]))
    meta_path = mission_dir / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["change_mode"] = "bulk_edit"
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    (mission_dir / "tasks.md").write_text(TASKS)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "bulk edit")
    return str(made["mid8"]), mission_dir


def init_map(root: Path, mid8: str) -> Any:
    """``occurrence-map init``: the starter map for widget -> gadget."""
    return ok_json(
        root, "occurrence-map", "init", "--mission", mid8, "--term", "widget",
        "--replacement", "gadget",
    )  # fmt: skip


def set_action(mission_dir: Path, category: str, action: str) -> None:
    """Edit the category's action in the starter map (``name: { action: x }`` lines)."""
    path = mission_dir / "occurrence_map.yaml"
    lines = [
        f"  {category}: {{ action: {action} }}" if line.strip().startswith(f"{category}:") else line
        for line in path.read_text().splitlines()
    ]
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("topology", ["coord", "lanes"])
def test_finalize_tasks_refuses_until_the_map_is_admissible(repo: Path, topology: str) -> None:
    mid8, mission_dir = bulk_edit_mission(repo, topology)
    refused = cli(repo, "finalize-tasks", "--mission", mid8, "--json")
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["error"]["code"] == "OCCURRENCE_MAP_MISSING"
    assert not (mission_dir / "lanes.json").exists()
    created = init_map(repo, mid8)
    assert created["created"] is True
    report = ok_json(repo, "occurrence-map", "validate", "--mission", mid8)
    assert (report["valid"], report["admissible"], report["bulk_edit"]) == (True, True, True)
    (mission_dir / "occurrence_map.yaml").write_text("target: [unclosed\n")
    broken = cli(repo, "finalize-tasks", "--mission", mid8)
    assert broken.returncode == 1
    assert broken.stderr.startswith("error[OCCURRENCE_MAP_INVALID]:")
    assert "line" in broken.stderr
    assert "Traceback" not in broken.stderr


def test_review_blocks_a_lane_that_touches_a_do_not_change_file(repo: Path) -> None:
    mid8, mission_dir = bulk_edit_mission(repo, "lanes")
    init_map(repo, mid8)
    set_action(mission_dir, "code_symbols", "do_not_change")
    ok_json(repo, "finalize-tasks", "--mission", mid8)
    lane = Path(
        ok_json(repo, "implement", "WP01", "--mission", mid8, "--agent", "a")["workspace_path"]
    )
    commit_work(lane, "src/app.py", "print('gadget')\n")
    ok_json(repo, "move-task", "WP01", "--to", "for_review", "--mission", mid8)
    check = cli(repo, "occurrence-map", "check", "WP01", "--mission", mid8, "--json")
    assert check.returncode == 1
    files = json.loads(check.stdout)["files"]
    assert [(f["path"], f["category"], f["verdict"]) for f in files] == [
        ("src/app.py", "code_symbols", "blocked")
    ]
    refused = cli(repo, "review", "WP01", "--mission", mid8, "--approve", "--reference", "PR#1")
    assert refused.returncode == 1
    assert "error[OCCURRENCE_MAP_BLOCKED]" in refused.stderr
    assert "src/app.py" in refused.stderr  # the table names every file
    state = ok_json(repo, "status", "--mission", mid8)["work_packages"]["WP01"]["lane"]
    assert state == "for_review"  # nothing moved
    set_action(mission_dir, "code_symbols", "rename")
    approved = ok_json(
        repo, "review", "WP01", "--mission", mid8, "--approve", "--reference", "PR#1"
    )
    assert approved["to_lane"] == "approved"


def test_check_reports_a_deletion_to_dev_null(repo: Path) -> None:
    commit_work(repo, "docs/legacy.md", "the old widget guide\n")
    mid8, mission_dir = bulk_edit_mission(repo, "lanes")
    init_map(repo, mid8)
    set_action(mission_dir, "user_facing_strings", "do_not_change")
    path = mission_dir / "occurrence_map.yaml"
    text = path.read_text()
    assert "\nmoves: []\n" in text
    path.write_text(
        text.replace(
            "\nmoves: []\n",
            "\nmoves:\n  - from: [docs/legacy.md]\n    to: /dev/null\n    reason: retired\n",
        )
    )
    report = ok_json(repo, "occurrence-map", "validate", "--mission", mid8)
    assert (report["valid"], report["admissible"], report["errors"]) == (True, True, [])
    ok_json(repo, "finalize-tasks", "--mission", mid8)
    lane = Path(
        ok_json(repo, "implement", "WP01", "--mission", mid8, "--agent", "a")["workspace_path"]
    )
    git(lane, "rm", "-q", "docs/legacy.md")
    commit_work(lane, "src/app.py", "print('gadget')\n")
    check = ok_json(repo, "occurrence-map", "check", "WP01", "--mission", mid8)
    by_path = {f["path"]: f for f in check["files"]}
    gone = by_path["docs/legacy.md"]
    assert (gone["source"], gone["action"], gone["verdict"]) == ("move", "delete", "allowed")
    assert gone["reason"] == "declared deletion moves[0]: retired"
    assert (check["ok"], check["moves"]) == (True, [])
    shown = cli(repo, "occurrence-map", "check", "WP01", "--mission", mid8)
    assert shown.returncode == 0, shown.stderr
    (row,) = [line for line in shown.stderr.splitlines() if "docs/legacy.md" in line]
    cells = [cell.strip() for cell in row.split("│")[1:-1]]
    assert cells == ["docs/legacy.md", "move", "-", "delete", "allowed"]
    # A file left mentioning the deleted path: a finding, an error with --strict.
    commit_work(lane, "src/app.py", "print('gadget')  # see docs/legacy.md\n")
    strict = cli(repo, "occurrence-map", "check", "WP01", "--mission", mid8, "--strict", "--json")
    assert strict.returncode == 1
    assert json.loads(strict.stdout)["moves"] == [
        {
            "severity": "error",
            "code": "stale_reference",
            "message": "src/app.py: still references 'docs/legacy.md', deleted by moves[0]",
        }
    ]
    # Put back in its place: still there, whatever the diff says.
    commit_work(lane, "src/app.py", "print('gadget')\n")
    commit_work(lane, "docs/legacy.md", "back again\n")
    again = cli(repo, "occurrence-map", "check", "WP01", "--mission", mid8, "--strict", "--json")
    assert again.returncode == 1
    (finding,) = json.loads(again.stdout)["moves"]
    assert finding["message"] == (
        "moves[0]: 'docs/legacy.md' is deleted by this move (to: /dev/null) but is still there"
    )
