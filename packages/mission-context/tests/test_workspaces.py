"""Lane worktrees, the target checkout, meta.json rewrites, numbering and init, with real git."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from context_support import DIR, LEGACY_DIR, make_repo, race, write_json
from kitty_testing import git

from mission_context import (
    ContextError,
    LaneWorkspace,
    MissionExecutionContext,
    TargetCheckout,
    assign_mission_number,
    driver_commands,
    init_repository,
    remove_worktree,
    resolve_action_context,
    write_meta,
)

LANE_BRANCH = f"kitty/mission-{DIR}-lane-a"


def lanes_repo(tmp_path: Path) -> Path:
    """A lanes mission whose lane has neither a worktree nor a branch yet."""
    root = make_repo(tmp_path / "repo", "lanes")["primary"]
    git(root, "worktree", "remove", str(root / ".worktrees" / f"{DIR}-lane-a"))
    git(root, "branch", "-D", LANE_BRANCH)
    return root


def wp_ctx(cwd: Path) -> MissionExecutionContext:
    return resolve_action_context(cwd=cwd, action="implement", mission=DIR, wp="WP01")


def test_a_lane_worktree_starts_at_the_start_point_and_is_reused(tmp_path: Path) -> None:
    root = lanes_repo(tmp_path)
    made = LaneWorkspace.resolve(wp_ctx(root), start_point="refs/heads/main")
    expected = root / ".worktrees" / f"{DIR}-lane-a"
    assert (made.lane_id, made.branch, made.path, made.created) == (
        "lane-a", LANE_BRANCH, expected, True,
    )  # fmt: skip
    assert git(expected, "branch", "--show-current") == LANE_BRANCH
    assert git(expected, "rev-parse", "HEAD") == git(root, "rev-parse", "main")
    again = LaneWorkspace.resolve(wp_ctx(expected / "src"))
    assert (again.path, again.created) == (expected, False)
    assert git(root, "status", "--porcelain") == ""


def test_a_missing_lane_branch_without_a_start_point_is_an_error(tmp_path: Path) -> None:
    root = lanes_repo(tmp_path)
    with pytest.raises(ContextError) as caught:
        LaneWorkspace.resolve(wp_ctx(root))
    assert caught.value.code == "LANE_BRANCH_NOT_FOUND"
    assert not (root / ".worktrees" / f"{DIR}-lane-a").exists()


def test_a_mission_without_lanes_has_no_lane_workspace(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "single_branch")["primary"]
    with pytest.raises(ContextError) as caught:
        LaneWorkspace.resolve(wp_ctx(root), start_point="main")
    assert caught.value.code == "NO_LANE"


_RACER = textwrap.dedent(
    """
    import json, os, sys, time
    from mission_context import LaneWorkspace, resolve_action_context
    while not os.path.exists(sys.argv[2]):
        time.sleep(0.001)
    ctx = resolve_action_context(
        cwd=sys.argv[1], action="implement", mission=sys.argv[3], wp="WP01"
    )
    lane = LaneWorkspace.resolve(ctx, start_point="refs/heads/main")
    print(json.dumps({"path": str(lane.path), "created": lane.created}))
    """
)


def test_six_processes_at_once_make_one_lane_worktree(tmp_path: Path) -> None:
    root = lanes_repo(tmp_path)
    results = race(_RACER, root, tmp_path / "go", 6)
    assert {r["path"] for r in results} == {str(root / ".worktrees" / f"{DIR}-lane-a")}
    assert sum(r["created"] for r in results) == 1
    listed = git(root, "worktree", "list", "--porcelain")
    assert listed.count(f"branch refs/heads/{LANE_BRANCH}") == 1


def test_remove_worktree_keeps_uncommitted_work(tmp_path: Path) -> None:
    root = lanes_repo(tmp_path)
    lane = LaneWorkspace.resolve(wp_ctx(root), start_point="refs/heads/main")
    (lane.path / "unsaved.txt").write_text("work in progress\n")
    with pytest.raises(ContextError) as caught:
        remove_worktree(wp_ctx(root), lane.path, branch=lane.branch)
    assert caught.value.code == "WORKTREE_DIRTY"
    assert (lane.path / "unsaved.txt").read_text() == "work in progress\n"
    assert git(root, "branch", "--list", LANE_BRANCH) != ""
    (lane.path / "unsaved.txt").unlink()
    removed = remove_worktree(wp_ctx(root), lane.path, branch=lane.branch)
    assert removed == [str(lane.path), LANE_BRANCH]
    assert not lane.path.exists()
    assert git(root, "branch", "--list", LANE_BRANCH) == ""
    assert remove_worktree(wp_ctx(root), lane.path, branch=lane.branch) == []  # idempotent


def test_the_target_checkout_is_the_primary_or_a_temporary_worktree(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "single_branch")["primary"]
    ctx = resolve_action_context(cwd=root, action="merge", mission=DIR)
    held = TargetCheckout.resolve(ctx)
    assert (held.path, held.branch, held.temporary) == (root, "main", False)
    git(root, "switch", "-q", "-c", "elsewhere")
    other = TargetCheckout.resolve(ctx)
    assert other.temporary is True
    assert other.path == root / ".worktrees" / f"{DIR}-merge"
    assert git(other.path, "branch", "--show-current") == "main"
    other.release(ctx)
    assert not other.path.exists()
    assert git(root, "branch", "--show-current") == "elsewhere"  # the user's checkout untouched


def test_write_meta_keeps_every_other_key_in_spec_kittys_format(tmp_path: Path) -> None:
    path = tmp_path / "meta.json"
    write_json(path, {"mission_id": "01KTPKSTQ3N6Y2W8R4V7B9C0DE", "target_branch": "main",
                      "zz_unknown": {"kept": [1, 2]}, "mission_number": None})  # fmt: skip
    assert write_meta(path, {"mission_number": 7}) is True
    data = json.loads(path.read_text())
    assert data["zz_unknown"] == {"kept": [1, 2]}
    assert data["mission_number"] == 7
    assert path.read_text() == json.dumps(data, indent=2, sort_keys=True) + "\n"
    assert write_meta(path, {"mission_number": 7}) is False


def test_mission_numbers_are_max_plus_one_and_never_reassigned(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "single_branch")["primary"]
    specs = root / "kitty-specs"
    write_json(specs / "other-01KTZZZZ" / "meta.json", {"mission_number": 41})
    (specs / "117-legacy-without-meta").mkdir()
    write_json(specs / "broken" / "meta.json", {"mission_number": "x"})
    number, path = assign_mission_number(specs / DIR)
    assert (number, path) == (118, specs / DIR / "meta.json")
    assert json.loads(path.read_text())["mission_number"] == 118
    assert assign_mission_number(specs / DIR) == (None, path)
    assert LEGACY_DIR.startswith("002-")  # the fixture's legacy mission counts too, but lower


IDENTITY = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "t@example.com",
}  # fmt: skip
DRIVERS = driver_commands()


def test_init_repository_is_idempotent(tmp_path: Path) -> None:
    target = tmp_path / "project"
    env = {**os.environ, **IDENTITY}
    first = init_repository(target, env=env)
    assert first.created_repository is True
    assert first.changed == (".kittify/config.yaml", ".gitattributes", ".gitignore")
    assert first.commit is not None  # on the unborn branch of the fresh repository
    assert git(target, "show", "--name-only", "--format=", "HEAD").splitlines() == [
        ".gitattributes", ".gitignore", ".kittify/config.yaml",
    ]  # fmt: skip
    for driver, (_, command) in DRIVERS.items():
        assert git(target, "config", "--get", f"merge.{driver}.driver") == command
    assert (target / ".gitattributes").read_text().splitlines() == [
        "kitty-specs/**/status.events.jsonl merge=spec-kitty-events",
        "kitty-specs/**/status.json merge=spec-kitty-status",
    ]
    again = init_repository(target / "sub", env=env)
    assert (again.root, again.changed, again.commit) == (target, (), None)
    assert again.driver_configured is False


def test_init_commits_what_an_interrupted_init_left_behind(tmp_path: Path) -> None:
    target = tmp_path / "project"
    env = {**os.environ, **IDENTITY}
    git_env = {key: value for key, value in env.items() if not key.startswith("GIT_")}
    target.mkdir()
    subprocess.run(["git", "init", "-q", str(target)], check=True, env=git_env)
    (target / ".gitignore").write_text(".worktrees/\n")  # written, never committed
    done = init_repository(target, env=env)
    assert ".gitignore" not in done.changed
    assert done.commit is not None
    assert ".gitignore" in git(target, "show", "--name-only", "--format=", "HEAD").splitlines()
