"""No acknowledged transition and no committed work is lost, as a user would hit each case.

Each test reproduces a way the layer above the event log used to lose or misplace
work (issue 13) and asserts what the user sees afterwards: exit codes and error
codes, the committed log on the branch that holds the status (a superset of every
acknowledged row), the committed ``status.json`` (the reduction of that log), the
board, and every checkout's ``git status``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from kitty_testing import ENV, TASKS_MD, cli, commit_work, git, make_repo, ok_json, tree_digest

from mission_status import materialize_snapshot, render_status_json


def _mission(root: Path, topology: str) -> tuple[str, str]:
    ok_json(root, "init")
    made = ok_json(root, "specify", "Lost work", "--topology", topology)
    mission_dir = Path(str(made["feature_dir"]))
    (mission_dir / "tasks.md").write_text(TASKS_MD)
    ok_json(root, "finalize-tasks", "--mission", str(made["mid8"]))
    return str(made["mid8"]), mission_dir.name


def _rows(root: Path, ref: str, name: str) -> list[str]:
    return git(root, "show", f"{ref}:kitty-specs/{name}/status.events.jsonl").splitlines()


def _assert_view_is_the_logs(root: Path, ref: str, name: str, tmp_path: Path) -> None:
    """The committed status.json on ``ref`` is exactly the reduction of the committed log."""
    scratch = tmp_path / f"view-{len(list(tmp_path.iterdir()))}" / name
    scratch.mkdir(parents=True)
    (scratch / "status.events.jsonl").write_text("\n".join(_rows(root, ref, name)) + "\n")
    meta = git(root, "show", f"{ref}:kitty-specs/{name}/meta.json")
    (scratch / "meta.json").write_text(meta)
    committed = git(root, "show", f"{ref}:kitty-specs/{name}/status.json")
    assert committed + "\n" == render_status_json(materialize_snapshot(scratch))


def _board(cwd: Path, mid8: str) -> dict[str, str]:
    document = ok_json(cwd, "status", "--mission", mid8)
    return {wp: entry["lane"] for wp, entry in document["work_packages"].items()}


def _approve(cwd: Path, mid8: str, wp: str) -> None:
    ok_json(cwd, "move-task", wp, "--to", "for_review", "--mission", mid8)
    ok_json(cwd, "review", wp, "--mission", mid8, "--approve", "--reference", f"PR-{wp}")


def _refused(cwd: Path, args: list[str], code: str, exit_code: int = 1) -> dict[str, str]:
    done = cli(cwd, *args, "--json")
    assert done.returncode == exit_code, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    error: dict[str, str] = json.loads(done.stdout)["error"]
    assert error["code"] == code, error
    assert error["next_step"]
    return error


def _checkout_files(root: Path) -> dict[str, str]:
    """Every file of the primary checkout itself (linked worktrees under .worktrees/ excluded)."""
    return {
        path: sha for path, sha in tree_digest(root).items() if not path.startswith(".worktrees")
    }


def run_advice(cwd: Path, command: str) -> None:
    """Run a command line a next step printed, as a user would paste it."""
    done = subprocess.run(
        shlex.split(command), cwd=cwd, env=ENV, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"


def _refs(root: Path) -> str:
    return git(root, "for-each-ref", "--format=%(refname) %(objectname)")


# -- 1. a primary checkout on another branch, detached, or bisecting ------------------------


@pytest.mark.parametrize("how", ["branch", "detached", "bisect"])
@pytest.mark.parametrize("topology", ["single_branch", "lanes"])
def test_a_checkout_of_an_old_commit_never_rewrites_the_targets_log(
    tmp_path: Path, topology: str, how: str
) -> None:
    root = make_repo(tmp_path / "repo")
    mid8, name = _mission(root, topology)
    old = git(root, "rev-parse", "main")  # before WP01 moved
    ok_json(root, "implement", "WP01", "--mission", mid8, "--agent", "a")
    ok_json(root, "move-task", "WP01", "--to", "for_review", "--mission", mid8)
    acknowledged = _rows(root, "main", name)
    seen = _board(root, mid8)
    if how == "branch":
        git(root, "checkout", "-q", "-b", "hotfix", old)
    elif how == "detached":
        git(root, "checkout", "-q", "--detach", old)
    else:
        git(root, "bisect", "start", "main", old)
    head = git(root, "rev-parse", "HEAD")
    working = _checkout_files(root)
    assert (root / "kitty-specs" / name / "status.events.jsonl").read_text().count("\n") < len(
        acknowledged
    ), "the checkout really holds an older log"

    # The board is the target's, not the old commit's.
    assert _board(root, mid8) == seen
    moved = ok_json(root, "move-task", "WP02", "--to", "blocked", "--mission", mid8)
    assert moved["from_lane"] == "planned"
    assert moved["commit"]
    implemented = ok_json(root, "implement", "WP03", "--mission", mid8, "--agent", "c")
    assert implemented["to_lane"] == "in_progress"
    feedback = tmp_path / "analysis.md"
    feedback.write_text("All consistent.\n")
    ok_json(root, "record-analysis", "--mission", mid8, "--input-file", str(feedback))
    ok_json(root, "retrospect", "--mission", mid8)

    rows = _rows(root, "main", name)
    assert rows[: len(acknowledged)] == acknowledged  # append-only: no row lost or changed
    assert len(rows) == len(acknowledged) + 3  # blocked, claimed, in_progress
    _assert_view_is_the_logs(root, "main", name, tmp_path)
    assert _board(root, mid8) == {"WP01": "for_review", "WP02": "blocked", "WP03": "in_progress"}
    tracked = git(root, "ls-tree", "-r", "--name-only", "main").splitlines()
    for artifact in ("analysis-report.md", "retrospective.yaml"):
        assert f"kitty-specs/{name}/{artifact}" in tracked
    # The checkout on the other branch is exactly as it was: no copy of anything landed there.
    assert git(root, "rev-parse", "HEAD") == head
    assert _checkout_files(root) == working
    assert git(root, "status", "--porcelain") == ""

    if how == "bisect":
        git(root, "bisect", "reset")
    else:
        git(root, "checkout", "-q", "main")
    assert (root / "kitty-specs" / name / "status.events.jsonl").read_text().splitlines() == rows
    assert git(root, "status", "--porcelain") == ""


def test_an_edit_of_a_stale_planning_copy_is_refused_not_committed_over_the_target(
    tmp_path: Path,
) -> None:
    root = make_repo(tmp_path / "repo")
    mid8, name = _mission(root, "lanes")
    old = git(root, "rev-parse", "main")
    tasks = root / "kitty-specs" / name / "tasks.md"
    tasks.write_text(TASKS_MD + "\n## Work Package WP04: Later\n**Owned Files**: later.txt\n")
    ok_json(root, "finalize-tasks", "--mission", mid8)
    newer = git(root, "show", f"main:kitty-specs/{name}/tasks.md")
    git(root, "checkout", "-q", "-b", "hotfix", old)
    tasks.write_text(TASKS_MD + "\nAn edit of the old copy.\n")
    refs = _refs(root)
    error = _refused(root, ["implement", "WP01", "--mission", mid8, "--agent", "a"],
                     "COMMIT_SOURCE_DIVERGED")  # fmt: skip
    assert "tasks.md" in error["message"]
    assert "git switch main" in error["next_step"]
    assert git(root, "show", f"main:kitty-specs/{name}/tasks.md") == newer
    assert _refs(root) == refs


# -- 2. merge never marks work done without its code -----------------------------------------


def _approved_lanes(root: Path) -> tuple[str, dict[str, str], dict[str, Path]]:
    """A lanes mission whose three WPs are done in their lanes and approved."""
    mid8, _ = _mission(root, "lanes")
    branches, spaces = {}, {}
    for wp, path in (("WP01", "src/core.py"), ("WP02", "src/board.py"), ("WP03", "docs/guide.md")):
        made = ok_json(root, "implement", wp, "--mission", mid8, "--agent", "a")
        spaces[wp] = Path(made["workspace_path"])
        commit_work(spaces[wp], path, f"# {wp}\n")
        _approve(root, mid8, wp)
        branches[wp] = str(made["branch_name"])
    return mid8, branches, spaces


def test_merge_refuses_a_lane_branch_that_is_missing(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    mid8, branches, spaces = _approved_lanes(root)
    lane = branches["WP01"]
    git(root, "worktree", "remove", str(spaces["WP01"]))
    # The branch exists only on the machine that pushed it: here, as origin's copy.
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "origin", lane)
    git(root, "fetch", "-q", "origin")
    git(root, "branch", "-D", lane)
    refs, board = _refs(root), _board(root, mid8)
    error = _refused(root, ["merge", "--mission", mid8], "MERGE_LANE_MISSING")
    assert lane in error["message"]
    assert f"git branch {lane} origin/{lane}" in error["next_step"]
    assert _refs(root) == refs  # nothing merged, numbered or marked done
    assert _board(root, mid8) == board
    advice = re.search(r"`(git branch [^`]+)`", error["next_step"])
    assert advice is not None
    run_advice(root, advice.group(1))  # the next step, run exactly as given
    merged = ok_json(root, "merge", "--mission", mid8)
    assert sorted(merged["done"]) == ["WP01", "WP02", "WP03"]
    assert git(root, "show", "main:src/core.py") == "# WP01"


def test_merge_skips_a_missing_lane_only_when_all_its_work_is_canceled(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    mid8, branches, spaces = _approved_lanes(root)
    lane = branches["WP03"]
    git(root, "worktree", "remove", str(spaces["WP03"]))
    git(root, "branch", "-D", lane)
    error = _refused(root, ["merge", "--mission", mid8], "MERGE_LANE_MISSING")
    assert "git fetch" in error["next_step"]
    ok_json(root, "move-task", "WP03", "--to", "canceled", "--mission", mid8)
    merged = ok_json(root, "merge", "--mission", mid8)
    assert sorted(merged["done"]) == ["WP01", "WP02"]
    assert _board(root, mid8)["WP03"] == "canceled"
    assert git(root, "ls-tree", "--name-only", "main", "docs/") == ""


# -- 3. a git merge killed mid-way leaves its index.lock --------------------------------------


def _killing_git(tmp_path: Path, subcommand: str) -> dict[str, str]:
    """An environment whose ``git SUBCOMMAND`` leaves ``index.lock`` and kills spec-kitty.

    What a ``git merge`` killed while it holds the index leaves behind.
    """
    real = subprocess.run(["which", "git"], capture_output=True, text=True, check=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "git"
    wrapper.write_text(
        f"#!{sys.executable}\n"
        "import os, signal, subprocess, sys\n"
        f"if {subcommand!r} in sys.argv[1:4] and '--abort' not in sys.argv:\n"
        "    cwd = sys.argv[sys.argv.index('-C') + 1] if '-C' in sys.argv else '.'\n"
        "    git_dir = subprocess.run(['git', '-C', cwd, 'rev-parse', '--absolute-git-dir'],\n"
        "        capture_output=True, text=True).stdout.strip()\n"
        "    open(os.path.join(git_dir, 'index.lock'), 'w').close()\n"
        "    os.kill(os.getppid(), signal.SIGKILL)\n"
        "    sys.exit(1)\n"
        f"os.execv({real.stdout.strip()!r}, ['git', *sys.argv[1:]])\n"
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    return {**ENV, "PATH": f"{bin_dir}{os.pathsep}{ENV['PATH']}"}


@pytest.mark.parametrize("then", ["resume", "abort"])
def test_a_merge_killed_inside_git_merge_resumes_or_aborts_exactly(
    tmp_path: Path, then: str
) -> None:
    root = make_repo(tmp_path / "repo")
    mid8, branches, _ = _approved_lanes(root)
    before = (_refs(root), _board(root, mid8), git(root, "worktree", "list", "--porcelain"))
    killed = subprocess.run(
        [sys.executable, "-m", "spec_kitty_cli", "merge", "--mission", mid8],
        cwd=root, env=_killing_git(tmp_path, "merge"), capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert killed.returncode == -9
    lock = root / ".git" / "index.lock"
    assert lock.exists()
    if then == "resume":
        done = cli(root, "merge", "--mission", mid8, "--resume")
        assert done.returncode == 0, done.stderr
        assert f"removed {lock}" in " ".join(done.stderr.split())
        assert "MERGE_CONFLICT" not in done.stderr
        assert set(_board(root, mid8).values()) == {"done"}
        assert git(root, "branch", "--list", "kitty/*") == ""
        assert git(root, "status", "--porcelain") == ""
        return
    aborted = ok_json(root, "merge", "--mission", mid8, "--abort")
    assert aborted["aborted"] is True
    assert not lock.exists()
    after = (_refs(root), _board(root, mid8), git(root, "worktree", "list", "--porcelain"))
    assert after == before
    assert git(root, "status", "--porcelain") == ""
    assert set(branches.values()) <= set(git(root, "branch", "--format=%(refname:short)").split())


# -- 4. a worktree whose `git worktree add` was killed ---------------------------------------


def test_an_interrupted_worktree_add_is_reported_and_finished(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    mid8, name = _mission(root, "lanes")
    lanes = json.loads((root / "kitty-specs" / name / "lanes.json").read_text())["lanes"]
    lane = next(lane["lane_id"] for lane in lanes if "WP01" in lane["wp_ids"])
    path = root / ".worktrees" / f"{name}-{lane}"
    branch = f"kitty/mission-{name}-{lane}"
    # What `git worktree add` leaves when it is killed before it checked anything out.
    git(root, "worktree", "add", "--no-checkout", "--lock", "--reason", "initializing",
        "-b", branch, str(path), "main")  # fmt: skip
    health = cli(root, "doctor", "--mission", mid8, "--json")
    assert health.returncode == 1
    findings = json.loads(health.stdout)["missions"][0]["findings"]
    incomplete = [f for f in findings if f["code"] == "WORKTREE_INCOMPLETE"]
    assert len(incomplete) == 1
    assert str(path) in incomplete[0]["message"]
    assert f"spec-kitty implement WP01 --mission {mid8}" in incomplete[0]["next_step"]

    made = ok_json(root, "implement", "WP01", "--mission", mid8, "--agent", "a")
    assert Path(made["workspace_path"]) == path
    assert made["workspace_created"] is True  # finished, as if created now
    assert (path / "src" / "app.py").read_text() == "print('hi')\n"
    assert (path / "kitty-specs" / name / "tasks.md").is_file()
    assert git(path, "status", "--porcelain") == ""
    assert "locked" not in git(root, "worktree", "list", "--porcelain").split()
    commit_work(path, "src/core.py", "x = 1\n")
    changed = git(path, "show", "--name-status", "--format=", "HEAD").splitlines()
    assert changed == ["A\tsrc/core.py"]  # the agent's commit adds its file and deletes nothing
    healthy = ok_json(root, "doctor", "--mission", mid8)
    assert "WORKTREE_INCOMPLETE" not in json.dumps(healthy)


# -- 5. a transition during a conflicted pull ------------------------------------------------


def _conflicted(root: Path, style: str) -> None:
    """Start a pull-like rebase or merge of ``upstream`` that stops on a conflict."""
    git(root, "branch", "upstream", "main~3")
    git(root, "switch", "-q", "upstream")
    commit_work(root, "src/app.py", "print('upstream')\n")
    git(root, "switch", "-q", "main")
    commit_work(root, "src/app.py", "print('local')\n")
    stopped = subprocess.run(
        ["git", "rebase" if style == "rebase" else "merge", "upstream"],
        cwd=root, env=ENV, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert stopped.returncode != 0, stopped.stdout


@pytest.mark.parametrize("style", ["rebase", "merge"])
def test_a_transition_during_a_conflicted_pull_is_refused_and_nothing_is_undone(
    tmp_path: Path, style: str
) -> None:
    root = make_repo(tmp_path / "repo")
    mid8, name = _mission(root, "lanes")
    ok_json(root, "implement", "WP01", "--mission", mid8, "--agent", "a")
    ok_json(root, "move-task", "WP01", "--to", "for_review", "--mission", mid8)
    _conflicted(root, style)
    acknowledged = _rows(root, "main", name)
    log = root / "kitty-specs" / name / "status.events.jsonl"
    before, refs = log.read_bytes(), _refs(root)
    error = _refused(root, ["move-task", "WP02", "--to", "blocked", "--mission", mid8],
                     "GIT_OPERATION_IN_PROGRESS")  # fmt: skip
    assert style in error["message"]
    assert f"git {style} --abort" in error["next_step"]
    _refused(root, ["record-analysis", "--mission", mid8, "--input-file", str(log)],
             "GIT_OPERATION_IN_PROGRESS")  # fmt: skip
    assert log.read_bytes() == before  # nothing recorded that the abort could take back
    assert not (root / "kitty-specs" / name / "analysis-report.md").exists()
    assert _refs(root) == refs
    assert _board(root, mid8)["WP01"] == "for_review"  # read from the branch meanwhile

    git(root, style, "--abort")  # the advice a user follows
    assert _rows(root, "main", name)[: len(acknowledged)] == acknowledged
    ok_json(root, "move-task", "WP02", "--to", "blocked", "--mission", mid8)
    assert _board(root, mid8) == {"WP01": "for_review", "WP02": "blocked", "WP03": "planned"}
    assert git(root, "status", "--porcelain") == ""


# -- 8. smaller ones ---------------------------------------------------------------------------


def test_a_stale_index_lock_is_named_as_such(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    mid8, name = _mission(root, "single_branch")
    lock = root / ".git" / "index.lock"
    lock.touch()
    log = root / "kitty-specs" / name / "status.events.jsonl"
    before = log.read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "spec_kitty_cli", "move-task", "WP01", "--to", "blocked",
         "--mission", mid8, "--json"],
        cwd=root, env={**ENV, "SPEC_KITTY_INDEX_LOCK_WAIT": "0.2"}, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "GIT_INDEX_LOCKED"
    assert str(lock) in error["message"]
    assert "rebase" not in error["message"] + error["next_step"]
    assert f"rm {lock}" in error["next_step"]
    assert log.read_bytes() == before
    lock.unlink()
    assert ok_json(root, "move-task", "WP01", "--to", "blocked", "--mission", mid8)["commit"]


def test_a_refused_retrospect_leaves_no_stray_file(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    mid8, name = _mission(root, "single_branch")
    (root / ".git" / "MERGE_HEAD").write_text(git(root, "rev-parse", "HEAD") + "\n")
    try:
        _refused(root, ["retrospect", "--mission", mid8], "GIT_OPERATION_IN_PROGRESS")
    finally:
        (root / ".git" / "MERGE_HEAD").unlink()
    assert not (root / "kitty-specs" / name / "retrospective.yaml").exists()
    assert git(root, "status", "--porcelain") == ""


def test_abort_refuses_to_drop_a_commit_the_merge_did_not_make(tmp_path: Path) -> None:
    """A commit of someone else's lands on the target mid-merge: abort must not reset it away."""
    root = make_repo(tmp_path / "repo")
    mid8, _, spaces = _approved_lanes(root)
    for wp in ("WP01", "WP03"):  # the first and the last lane to land both write README.md
        commit_work(spaces[wp], "README.md", f"written by {wp}\n")
    stopped = cli(root, "merge", "--mission", mid8, "--json")
    assert json.loads(stopped.stdout)["error"]["code"] == "MERGE_CONFLICT"
    git(root, "merge", "--abort")  # the user sets the conflict aside ...
    commit_work(root, "NOTES.md", "someone else's work\n")  # ... and commits their own work
    ours = git(root, "rev-parse", "HEAD")
    error = _refused(root, ["merge", "--mission", mid8, "--abort"], "MERGE_ABORT_UNSAFE")
    assert ours[:12] in error["message"] and "NOTES" not in error["next_step"]
    assert git(root, "rev-parse", "main") == ours  # nothing thrown away
    advice = re.search(r"`(spec-kitty merge [^`]+)`", error["next_step"])
    assert advice is not None
    resumed = cli(root, *shlex.split(advice.group(1))[1:])
    assert resumed.returncode == 1  # the conflict is still there, and says so
    assert "MERGE_CONFLICT" in resumed.stderr
    git(root, "merge-base", "--is-ancestor", ours, "main")  # still in main (raises if not)
