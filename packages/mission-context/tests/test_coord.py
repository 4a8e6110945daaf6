"""CoordinationWorkspace.resolve: one coordination worktree, however many callers race for it."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from context_support import COORD_BRANCH, DIR, make_repo, race
from kitty_testing import git

from mission_context import (
    CommitTarget,
    ContextError,
    CoordinationWorkspace,
    MissionExecutionContext,
    commit_to,
    resolve_action_context,
)


def coord_ctx(root: Path) -> MissionExecutionContext:
    return resolve_action_context(cwd=root, action="status", mission=DIR)


def registered(root: Path) -> list[tuple[str, str]]:
    """(path, branch) of every worktree ``git worktree list`` knows, primary first."""
    text = git(root, "worktree", "list", "--porcelain")
    rows = []
    for block in text.split("\n\n"):
        fields = dict(line.partition(" ")[::2] for line in block.splitlines())
        rows.append((fields["worktree"], fields.get("branch", "(detached)")))
    return rows


def test_creates_the_worktree_once_then_reuses_it(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "coord", coord_worktree=False)["primary"]
    expected = root / ".worktrees" / f"{DIR}-coord"
    first = CoordinationWorkspace.resolve(coord_ctx(root))
    assert (first.path, first.branch, first.created) == (expected, COORD_BRANCH, True)
    assert first.mission_dir == expected / "kitty-specs" / DIR
    assert first.mission_dir.is_dir()
    assert (str(expected), f"refs/heads/{COORD_BRANCH}") in registered(root)
    again = CoordinationWorkspace.resolve(coord_ctx(expected / "kitty-specs"))
    assert (again.path, again.created) == (expected, False)
    assert git(root, "status", "--porcelain") == "", "the worktree shows up as untracked"
    # The resolved status surface is the worktree we made.
    assert coord_ctx(root).status().mission_dir == first.mission_dir


_RACER = textwrap.dedent(
    """
    import json, os, sys, time
    from mission_context import CoordinationWorkspace, resolve_action_context
    go = sys.argv[2]
    while not os.path.exists(go):
        time.sleep(0.001)
    ctx = resolve_action_context(cwd=sys.argv[1], action="status", mission=sys.argv[3])
    ws = CoordinationWorkspace.resolve(ctx)
    complete = (ws.mission_dir / "meta.json").is_file()  # checked out, not half-made
    print(json.dumps({"path": str(ws.path), "created": ws.created, "complete": complete}))
    """
)


def test_eight_processes_at_once_make_exactly_one_worktree(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "coord", coord_worktree=False)["primary"]
    results = race(_RACER, root, tmp_path / "go", 8)
    assert {r["path"] for r in results} == {str(root / ".worktrees" / f"{DIR}-coord")}
    assert sum(r["created"] for r in results) == 1
    assert all(r["complete"] for r in results), results
    coords = [row for row in registered(root) if row[1] == f"refs/heads/{COORD_BRANCH}"]
    assert len(coords) == 1
    assert len(registered(root)) == 2  # the primary checkout and the coordination worktree


def test_a_worktree_of_another_branch_at_the_path_is_an_error(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "coord", coord_worktree=False)["primary"]
    path = root / ".worktrees" / f"{DIR}-coord"
    git(root, "worktree", "add", "-q", "-b", "someone-else", str(path))
    with pytest.raises(ContextError) as caught:
        CoordinationWorkspace.resolve(coord_ctx(root))
    assert caught.value.code == "COORDINATION_WORKTREE_WRONG_BRANCH"
    assert "someone-else" in caught.value.message
    assert "git worktree remove" in caught.value.next_step
    assert (str(path), "refs/heads/someone-else") in registered(root)


def test_a_stale_registration_is_pruned_and_the_worktree_recreated(tmp_path: Path) -> None:
    places = make_repo(tmp_path / "repo", "coord")
    root, path = places["primary"], places["coord worktree"]
    shutil.rmtree(path)  # deleted by hand: git still lists it, holding the branch
    assert (str(path), f"refs/heads/{COORD_BRANCH}") in registered(root)
    ws = CoordinationWorkspace.resolve(coord_ctx(root))
    assert ws.created
    assert ws.mission_dir.is_dir()
    assert registered(root).count((str(path), f"refs/heads/{COORD_BRANCH}")) == 1
    assert len(registered(root)) == 2


def test_a_stale_registration_elsewhere_holding_the_branch_is_pruned(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "coord", coord_worktree=False)["primary"]
    elsewhere = tmp_path / "moved-away"
    git(root, "worktree", "add", "-q", str(elsewhere), COORD_BRANCH)
    shutil.rmtree(elsewhere)
    ws = CoordinationWorkspace.resolve(coord_ctx(root))
    assert ws.created
    assert [row[0] for row in registered(root)] == [str(root), str(ws.path)]


def test_a_live_worktree_elsewhere_holding_the_branch_is_named(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "coord", coord_worktree=False)["primary"]
    elsewhere = tmp_path / "elsewhere"
    git(root, "worktree", "add", "-q", str(elsewhere), COORD_BRANCH)
    with pytest.raises(ContextError) as caught:
        CoordinationWorkspace.resolve(coord_ctx(root))
    assert caught.value.code == "COORDINATION_BRANCH_CHECKED_OUT"
    assert str(elsewhere) in caught.value.message
    assert not (root / ".worktrees" / f"{DIR}-coord").exists()


def test_a_directory_that_is_not_a_worktree_is_not_overwritten(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "coord", coord_worktree=False)["primary"]
    path = root / ".worktrees" / f"{DIR}-coord"
    path.mkdir(parents=True)
    (path / "notes.txt").write_text("mine\n")
    with pytest.raises(ContextError) as caught:
        CoordinationWorkspace.resolve(coord_ctx(root))
    assert caught.value.code == "COORDINATION_WORKTREE_OCCUPIED"
    assert (path / "notes.txt").read_text() == "mine\n"
    assert sorted(p.name for p in path.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("topology", ["single_branch", "lanes"])
def test_flattened_missions_have_no_coordination_worktree(tmp_path: Path, topology: str) -> None:
    root = make_repo(tmp_path / "repo", topology)["primary"]
    with pytest.raises(ContextError) as caught:
        CoordinationWorkspace.resolve(coord_ctx(root))
    assert caught.value.code == "NO_COORDINATION_BRANCH"
    assert not (root / ".worktrees" / f"{DIR}-coord").exists()


def test_an_existing_exclude_file_gains_one_line(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "coord", coord_worktree=False)["primary"]
    exclude = root / ".git" / "info" / "exclude"
    exclude.write_text("*.swp")  # no trailing newline
    CoordinationWorkspace.resolve(coord_ctx(root))
    shutil.rmtree(root / ".worktrees")
    git(root, "worktree", "prune")
    CoordinationWorkspace.resolve(coord_ctx(root))
    assert exclude.read_text() == "*.swp\n/.worktrees/\n"


def test_relative_worktree_paths_are_reused_and_committed_to(tmp_path: Path) -> None:
    """git >= 2.48 with worktree.useRelativePaths writes both pointers relative."""
    places = make_repo(tmp_path / "repo", "lanes_with_coord", relative=True)
    root, coord = places["primary"], places["coord worktree"]
    admin_pointer = (root / ".git" / "worktrees" / coord.name / "gitdir").read_text()
    assert not admin_pointer.startswith("/")
    # (git 2.39 on this machine cannot read relative pointers back; we can.)
    ws = CoordinationWorkspace.resolve(coord_ctx(places["lane subdir"]))
    assert (ws.path, ws.created) == (coord, False)
    spec = root / "kitty-specs" / DIR / "spec.md"
    spec.write_text("# spec v2\n")
    result = commit_to(CommitTarget(COORD_BRANCH, "coordination"), [spec], "spec v2")
    assert result is not None
    assert (result.route, result.worktree) == ("worktree", coord)
    assert (coord / "kitty-specs" / DIR / "spec.md").read_text() == "# spec v2\n"


def test_a_reftable_repository_lists_worktrees_through_git(tmp_path: Path) -> None:
    """With refs not in plain files, worktrees come from `git worktree list --porcelain`."""
    places = make_repo(tmp_path / "repo", "coord")
    root, coord = places["primary"], places["coord worktree"]
    (root / ".git" / "reftable").mkdir()  # the layout marker; this git still reads files
    ws = CoordinationWorkspace.resolve(coord_ctx(root))
    assert (ws.path, ws.created) == (coord, False)
    spec = root / "kitty-specs" / DIR / "spec.md"
    spec.write_text("# reftable\n")
    result = commit_to(CommitTarget(COORD_BRANCH, "coordination"), [spec], "via git")
    assert result is not None
    assert (result.route, result.worktree) == ("worktree", coord)
    shutil.rmtree(coord)  # stale: `worktree list` marks it prunable
    again = CoordinationWorkspace.resolve(coord_ctx(root))
    assert again.created
    assert (again.mission_dir / "spec.md").read_text() == "# reftable\n"
