"""commit_to: exactly the given files land on the target branch; no checkout moves."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from context_support import COORD_BRANCH, DIR, make_repo
from kitty_testing import git

from mission_context import CommitTarget, ContextError, GitError, commit_to

SPEC = f"kitty-specs/{DIR}/spec.md"
COORD = CommitTarget(COORD_BRANCH, "coordination")
MAIN = CommitTarget("main", "target")


def checkout_state(root: Path) -> dict[str, str]:
    """HEAD, the index bytes and every working-tree file (hashed), as a user would compare."""
    git_dir = Path(git(root, "rev-parse", "--absolute-git-dir"))
    state = {
        "HEAD": (git_dir / "HEAD").read_text(),
        "head sha": git(root, "rev-parse", "HEAD"),
        "index": hashlib.sha256((git_dir / "index").read_bytes()).hexdigest(),
    }
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith((".git", ".worktrees/")):
            state[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def status_lines(root: Path) -> list[str]:
    """``git status --porcelain``, unstripped: its first column is the staged state."""
    out = subprocess.run(
        ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    return sorted(out.splitlines())


def changed_files(root: Path, sha: str) -> list[str]:
    return git(root, "diff-tree", "--no-commit-id", "--name-only", "-r", sha).splitlines()


def dirty_primary(tmp_path: Path) -> Path:
    """A coord repo without coordination worktree, and a primary checkout mid-work."""
    root = make_repo(tmp_path / "repo", "coord", coord_worktree=False)["primary"]
    (root / SPEC).write_text("# spec\n\nnew requirement\n")
    (root / "src" / "pkg" / "a.py").write_text("x = 2\n")  # unstaged edit
    (root / "src" / "pkg" / "b.py").write_text("y = 1\n")
    git(root, "add", "src/pkg/b.py")  # staged new file
    (root / "scratch.txt").write_text("untracked\n")
    return root


def test_index_route_commits_to_a_branch_nobody_has_out(tmp_path: Path) -> None:
    root = dirty_primary(tmp_path)
    before = checkout_state(root)
    old_tip = git(root, "rev-parse", COORD_BRANCH)
    result = commit_to(COORD, [SPEC], "spec: new requirement", cwd=root)
    assert result is not None
    assert (result.route, result.branch, result.paths) == ("index", COORD_BRANCH, (SPEC,))
    assert git(root, "rev-parse", COORD_BRANCH) == result.sha
    assert git(root, "rev-parse", f"{result.sha}^") == old_tip
    assert changed_files(root, result.sha) == [SPEC]
    assert git(root, "show", f"{COORD_BRANCH}:{SPEC}") == "# spec\n\nnew requirement"
    assert git(root, "log", "-1", "--format=%s", COORD_BRANCH) == "spec: new requirement"
    assert checkout_state(root) == before, "the primary checkout changed"
    assert git(root, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert not list((root / ".git").glob("spec-kitty-index-*")), "temporary index left behind"


def test_nothing_to_commit_returns_none_and_makes_no_commit(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "coord", coord_worktree=False)["primary"]
    tip = git(root, "rev-parse", COORD_BRANCH)
    assert commit_to(COORD, [root / SPEC], "no-op", cwd=tmp_path) is None
    assert git(root, "rev-parse", COORD_BRANCH) == tip


def test_a_missing_file_commits_its_deletion(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "coord", coord_worktree=False)["primary"]
    (root / SPEC).unlink()
    result = commit_to(COORD, [SPEC], "drop the spec", cwd=root)
    assert result is not None
    files = git(root, "ls-tree", "-r", "--name-only", COORD_BRANCH).splitlines()
    assert SPEC not in files
    assert f"kitty-specs/{DIR}/meta.json" in files
    assert status_lines(root) == [f" D {SPEC}"]  # primary: deleted, nothing staged


def test_worktree_route_commits_where_the_branch_is_checked_out(tmp_path: Path) -> None:
    places = make_repo(tmp_path / "repo", "coord")
    root, coord = places["primary"], places["coord worktree"]
    (root / SPEC).write_text("# spec v2\n")
    (coord / "src" / "pkg" / "a.py").write_text("x = 'coord work in progress'\n")
    before_primary = checkout_state(root)
    result = commit_to(COORD, [root / SPEC], "spec v2")
    assert result is not None
    assert (result.route, result.worktree) == ("worktree", coord)
    assert git(coord, "rev-parse", "HEAD") == result.sha
    assert changed_files(root, result.sha) == [SPEC]
    assert (coord / SPEC).read_text() == "# spec v2\n"
    # The coordination worktree keeps its own unrelated edit, uncommitted.
    assert status_lines(coord) == [" M src/pkg/a.py"]
    assert git(coord, "rev-parse", "--abbrev-ref", "HEAD") == COORD_BRANCH
    assert checkout_state(root) == before_primary


def test_committing_to_the_source_checkouts_own_branch_takes_only_those_paths(
    tmp_path: Path,
) -> None:
    root = dirty_primary(tmp_path)
    result = commit_to(MAIN, [SPEC], "spec", cwd=root)
    assert result is not None
    assert (result.route, result.worktree) == ("worktree", root)
    assert changed_files(root, result.sha) == [SPEC]
    assert status_lines(root) == [" M src/pkg/a.py", "?? scratch.txt", "A  src/pkg/b.py"]


def test_a_dirty_path_in_the_holding_worktree_is_refused(tmp_path: Path) -> None:
    places = make_repo(tmp_path / "repo", "coord")
    root, coord = places["primary"], places["coord worktree"]
    (coord / SPEC).write_text("edited in the coordination worktree\n")
    (root / SPEC).write_text("edited in the primary\n")
    tip = git(root, "rev-parse", COORD_BRANCH)
    with pytest.raises(ContextError) as caught:
        commit_to(COORD, [SPEC], "spec", cwd=root)
    assert caught.value.code == "COMMIT_TARGET_DIRTY"
    assert (coord / SPEC).read_text() == "edited in the coordination worktree\n"
    assert git(root, "rev-parse", COORD_BRANCH) == tip


def test_a_branch_being_rebased_is_busy(tmp_path: Path) -> None:
    places = make_repo(tmp_path / "repo", "coord")
    root, coord = places["primary"], places["coord worktree"]
    git_dir = Path(git(coord, "rev-parse", "--absolute-git-dir"))
    git(coord, "checkout", "-q", "--detach")
    (git_dir / "rebase-merge").mkdir()
    (git_dir / "rebase-merge" / "head-name").write_text(f"refs/heads/{COORD_BRANCH}\n")
    (root / SPEC).write_text("changed\n")
    tip = git(root, "rev-parse", COORD_BRANCH)
    with pytest.raises(ContextError) as caught:
        commit_to(COORD, [SPEC], "spec", cwd=root)
    assert caught.value.code == "COMMIT_TARGET_BUSY"
    assert git(root, "rev-parse", COORD_BRANCH) == tip


def test_bad_input_is_refused_with_a_code(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "coord", coord_worktree=False)["primary"]
    outside = tmp_path / "outside.txt"
    outside.write_text("x\n")
    cases = {
        "COMMIT_PATHS_INVALID": [
            lambda: commit_to(COORD, [], "empty", cwd=root),
            lambda: commit_to(COORD, [f"kitty-specs/{DIR}"], "a directory", cwd=root),
            lambda: commit_to(COORD, [".git/config"], "git internals", cwd=root),
            lambda: commit_to(COORD, [SPEC], "   ", cwd=root),
        ],
        "NOT_A_REPOSITORY": [
            lambda: commit_to(COORD, [outside], "no repo"),
            lambda: commit_to(COORD, [SPEC, "../outside.txt"], "outside", cwd=root),
        ],
        "COMMIT_TARGET_MISSING": [
            lambda: commit_to(CommitTarget("nope", "target"), [SPEC], "m", cwd=root)
        ],
        "COMMIT_TARGET_INVALID": [
            lambda bad=bad: commit_to(CommitTarget(bad, "target"), [SPEC], "m", cwd=root)
            for bad in ("-x", "a..b", "a b", "x.lock", "")
        ],
    }
    (root / SPEC).write_text("changed\n")
    tip = git(root, "rev-parse", COORD_BRANCH)
    for code, calls in cases.items():
        for call in calls:
            with pytest.raises(ContextError) as caught:
                call()
            assert caught.value.code == code, caught.value
            assert caught.value.next_step
    assert git(root, "rev-parse", COORD_BRANCH) == tip


def test_files_of_two_checkouts_are_refused(tmp_path: Path) -> None:
    places = make_repo(tmp_path / "repo", "lanes")
    root, lane = places["primary"], places["lane worktree"]
    with pytest.raises(ContextError) as caught:
        commit_to(MAIN, [root / SPEC, lane / SPEC], "two checkouts")
    assert caught.value.code == "COMMIT_PATHS_INVALID"
    assert str(lane) in caught.value.message


def test_an_untracked_missing_path_is_a_git_error_naming_the_command(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "coord", coord_worktree=False)["primary"]
    with pytest.raises(GitError) as caught:
        commit_to(COORD, ["never-existed.txt"], "m", cwd=root)
    assert caught.value.code == "GIT_COMMAND_FAILED"
    assert caught.value.command[:4] == ("git", "-C", str(root), "add")
    assert "never-existed.txt" in caught.value.stderr


_COMMITTER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from mission_context import CommitTarget, commit_to
    root, go, name = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    while not os.path.exists(go):
        time.sleep(0.001)
    result = commit_to(CommitTarget(sys.argv[4], "coordination"), [root / name], name)
    print(result.sha)
    """
)


def test_concurrent_commits_to_one_branch_all_land(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "coord", coord_worktree=False)["primary"]
    go = tmp_path / "go"
    names = [f"note-{n}.txt" for n in range(6)]
    for name in names:
        (root / name).write_text(f"{name}\n")
    tip = git(root, "rev-parse", COORD_BRANCH)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _COMMITTER, str(root), str(go), name, COORD_BRANCH],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    time.sleep(0.5)
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    history = git(root, "log", "--format=%s", f"{tip}..{COORD_BRANCH}").splitlines()
    assert sorted(history) == names
    files = git(root, "ls-tree", "--name-only", COORD_BRANCH).splitlines()
    assert set(names) <= set(files)


def test_a_branch_tip_is_read_from_its_ref_file_or_packed_refs(tmp_path: Path) -> None:
    """What ``commit_to`` reports as the new commit, without asking git (``Refs.tip``)."""
    from kitty_testing import make_repo as plain_repo

    from mission_context._refs import Refs

    root = plain_repo(tmp_path / "r")
    git(root, "branch", "side")
    common = root / ".git"
    refs = Refs(root, common)
    assert refs.tip("main") == git(root, "rev-parse", "main")  # loose
    git(root, "pack-refs", "--all")
    assert not (common / "refs" / "heads" / "side").exists()
    assert refs.tip("side") == git(root, "rev-parse", "side")  # packed
    assert refs.tip("nope") is None
    (common / "refs" / "heads" / "odd").write_text("ref: refs/heads/main\n")
    assert refs.tip("odd") == git(root, "rev-parse", "main")  # not a plain id: git decides
