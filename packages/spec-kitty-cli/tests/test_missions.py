"""specify, status, context and move-task as a user runs them: real git, real processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kitty_testing import cli, git, ok_json, tree_digest


def specify(root: Path, topology: str) -> dict[str, object]:
    """A new mission with WP01 and WP02 task files (what finalize-tasks will write)."""
    made = ok_json(root, "specify", "Checkout flow", "--topology", topology)
    tasks = Path(str(made["feature_dir"])) / "tasks"
    tasks.mkdir()
    for wp in ("WP01", "WP02"):
        (tasks / f"{wp}-core.md").write_text(f"---\nwork_package_id: {wp}\n---\n# {wp}\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "tasks")
    assert set(made) == {
        "mission_id", "mission_slug", "mid8", "topology", "target_branch",
        "coordination_branch", "feature_dir",
    }  # fmt: skip
    assert made["topology"] == topology
    return made


@pytest.mark.parametrize("topology", ["single_branch", "lanes", "coord"])
def test_status_is_identical_from_every_directory_and_writes_nothing(
    repo: Path, topology: str
) -> None:
    made = specify(repo, topology)
    mid8 = str(made["mid8"])
    assert git(repo, "status", "--porcelain") == ""
    for wp in ("WP01", "WP02"):
        ok_json(repo, "move-task", wp, "--to", "planned", "--mission", mid8)
    places = [repo, repo / "src"]
    lane = repo / ".worktrees" / f"{made['mission_slug']}-lane-a"
    git(repo, "worktree", "add", "-q", "-b", "lane-a", str(lane))
    places += [lane, lane / "src"]
    if made["coordination_branch"]:
        coord = ok_json(repo, "context", "--mission", mid8)["workspace"]
        assert isinstance(coord, dict)
        places.append(Path(coord["coord_worktree"]))
    # A move made from inside a worktree is seen from everywhere else.
    moved = ok_json(lane / "src", "move-task", "WP01", "--to", "claimed", "--mission", mid8)
    assert (moved["from_lane"], moved["to_lane"]) == ("planned", "claimed")
    before = {place: tree_digest(place) for place in places}
    boards = [cli(place, "status", "--mission", mid8, "--json") for place in places]
    assert all(board.returncode == 0 for board in boards), [b.stderr for b in boards]
    assert len({board.stdout for board in boards}) == 1, "the board differs by directory"
    board = json.loads(boards[0].stdout)
    assert board["mission_id"] == made["mission_id"]
    assert board["summary"]["claimed"] == 1
    assert board["work_packages"]["WP01"]["lane"] == "claimed"
    assert board["work_packages"]["WP02"]["lane"] == "planned"
    assert {place: tree_digest(place) for place in places} == before, "status wrote a file"
    contexts = {
        json.dumps({k: v for k, v in ok_json(p, "context", "--mission", mid8).items()
                    if k != "workspace"}, sort_keys=True)
        for p in places
    }  # fmt: skip
    assert len(contexts) == 1


def test_human_board_has_a_column_per_lane(repo: Path) -> None:
    mid8 = str(specify(repo, "lanes")["mid8"])
    ok_json(repo, "move-task", "WP01", "--to", "planned", "--mission", mid8)
    done = cli(repo, "status", "--mission", mid8)
    assert done.returncode == 0, done.stderr
    header = done.stdout.splitlines()[2]
    for lane in ("planned", "claimed", "in_progress", "for_review", "approved", "done"):
        assert lane in header
    assert "WP01" in done.stdout
    assert "Progress:" in done.stdout


def test_status_without_a_mission_lists_every_mission(repo: Path) -> None:
    first = specify(repo, "lanes")
    second = specify(repo, "coord")
    listed = ok_json(repo, "status")["missions"]
    assert isinstance(listed, list)
    assert [row["mission"] for row in listed] == sorted(
        [str(first["mission_slug"]), str(second["mission_slug"])]
    )
    assert all("error" not in row for row in listed), listed
    assert {row["topology"] for row in listed} == {"lanes", "coord"}


@pytest.mark.parametrize(
    ("args", "code", "exit_code"),
    [
        (["status", "--mission", "nope"], "MISSION_NOT_FOUND", 3),
        (["status", "--mission", "../etc"], "INVALID_MISSION_HANDLE", 2),
        (["move-task", "WP01", "--to", "planned"], "FEATURE_CONTEXT_UNRESOLVED", 3),
        (["context", "--mission", "MID8", "--action", "fly"], "INVALID_ACTION", 2),
        (["move-task", "WP01", "--to", "sideways", "--mission", "MID8"], "UNKNOWN_LANE", 2),
        (["move-task", "WP01", "--to", "done", "--mission", "MID8"], "ILLEGAL_TRANSITION", 1),
        (["specify", "!!!"], "INVALID_MISSION_NAME", 2),
    ],
)
def test_errors_are_one_line_or_one_json_document(
    repo: Path, args: list[str], code: str, exit_code: int
) -> None:
    mid8 = str(specify(repo, "lanes")["mid8"])
    ok_json(repo, "move-task", "WP01", "--to", "planned", "--mission", mid8)
    args = [mid8 if arg == "MID8" else arg for arg in args]
    before = tree_digest(repo)
    plain = cli(repo, *args)
    assert plain.returncode == exit_code, plain.stderr
    assert plain.stdout == ""
    assert len(plain.stderr.splitlines()) == 1
    assert plain.stderr.startswith(f"error[{code}]:"), plain.stderr
    assert "(next: " in plain.stderr
    as_json = cli(repo, *args, "--json")
    assert as_json.returncode == exit_code
    error = json.loads(as_json.stdout)["error"]
    assert error["code"] == code
    assert error["next_step"]
    assert "Traceback" not in plain.stderr + as_json.stderr
    assert tree_digest(repo) == before


def test_outside_a_repository(tmp_path: Path) -> None:
    done = cli(tmp_path, "status", "--mission", "x")
    assert done.returncode == 3
    assert done.stderr.startswith("error[NOT_A_REPOSITORY]:")
