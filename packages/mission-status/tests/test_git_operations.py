"""status.json is never written while git is in the middle of something (real git).

Every test builds a throw-away repository in ``tmp_path`` with a mission whose
event log was written through the facade, starts a real git operation that
stops half-way (a conflict, or ``git bisect start``), and checks what a user
would see: the operation is detected, ``materialize`` refuses with
``GIT_OPERATION_IN_PROGRESS``, ``materialize_if_stale`` defers, and not one
byte of the working tree changes. After the operation is aborted the view is
written once, then skipped as byte-identical, stamped with the last event's
time rather than the wall clock.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kitty_testing import git, run_git

from mission_status import (
    GitOperationInProgressError,
    GitPointerError,
    MissionStatus,
    find_git_dirs,
    git_operation_in_progress,
    materialize,
    materialize_if_stale,
    materialize_snapshot,
    render_status_json,
)

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

MISSION = "demo-01KTPKST"
MISSION_ID = "01KTPKSTABCDEFGHJKMNPQRSTV"
LANE_WORKTREE = "demo-01KTPKST-lane-a"

Env = dict[str, str]


# -- helpers -------------------------------------------------------------------


class FakeClock:
    """A clock far from the wall clock, one second per call."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def absolute_git_dir(env: Env, checkout: Path) -> Path:
    return Path(git(checkout, "rev-parse", "--absolute-git-dir", env=env)).resolve()


def common_git_dir(env: Env, checkout: Path) -> Path:
    out = git(checkout, "rev-parse", "--path-format=absolute", "--git-common-dir", env=env)
    return Path(out.strip()).resolve()


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file (and a marker per directory) under ``root``, ``.git`` dirs excluded."""
    digest: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        base = Path(dirpath)
        digest[str(base.relative_to(root)) + "/"] = "dir"
        for name in filenames:
            path = base / name
            if path.is_symlink():
                digest[str(path.relative_to(root))] = "link:" + os.readlink(path)
            else:
                digest[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def last_transition_at(mission: Path) -> str:
    """The ``at`` of the transition that sorts last: what ``materialized_at`` must say."""
    rows = [
        json.loads(line)
        for line in (mission / "status.events.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return max((row["at"], row["event_id"]) for row in rows if "kind" not in row)[0]


class Repo:
    """A repository with one mission, two diverging branches (``main``, ``topic``)."""

    def __init__(self, root: Path, env: Env, clock: FakeClock) -> None:
        self.root = root
        self.env = env
        self.clock = clock

    @property
    def mission(self) -> Path:
        return self.mission_in(self.root)

    @staticmethod
    def mission_in(checkout: Path) -> Path:
        return checkout / "kitty-specs" / MISSION

    def git(self, *args: str, cwd: Path | None = None, check: bool = True) -> str:
        return run_git(cwd or self.root, *args, env=self.env, check=check).stdout

    def status(self, checkout: Path | None = None) -> MissionStatus:
        return MissionStatus.open(
            self.mission_in(checkout or self.root), write_view=False, clock=self.clock
        )


def build_repo(
    tmp_path: Path, env: Env, *, log_changes: str = "none", commit_view: bool = False
) -> Repo:
    """main and topic both change ``notes.txt``, so merging them stops on a conflict.

    The log of the base commit holds three transitions written through the facade.
    ``log_changes`` says which branches also append a transition: ``"none"``,
    ``"main"`` (the log merges cleanly), or ``"both"`` (the log conflicts too).
    ``commit_view`` commits the base commit's ``status.json``.
    """
    root = tmp_path / "repo"
    git(tmp_path, "init", "-q", "-b", "main", str(root), env=env)
    repo = Repo(root, env, FakeClock(datetime(2026, 1, 1, 9, 0, tzinfo=UTC)))
    (root / ".gitignore").write_text(".worktrees/\n", encoding="utf-8")
    (root / "notes.txt").write_text("base\n", encoding="utf-8")
    repo.mission.mkdir(parents=True)
    meta = {
        "created_at": "2026-01-01T08:00:00+00:00",
        "flattened": True,
        "friendly_name": "Demo",
        "mission_id": MISSION_ID,
        "mission_number": None,
        "mission_slug": MISSION,
        "mission_type": "software-dev",
        "slug": MISSION,
        "target_branch": "main",
    }
    (repo.mission / "meta.json").write_text(
        json.dumps(meta, sort_keys=True, indent=2) + "\n", encoding="utf-8"
    )
    status = repo.status()
    status.transition("WP01", "planned", actor="a")
    status.transition("WP01", "claimed", actor="a")
    status.transition("WP02", "planned", actor="a")
    if commit_view:
        assert materialize(repo.mission).written
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "base")

    repo.git("checkout", "-q", "-b", "topic")
    (root / "notes.txt").write_text("topic\n", encoding="utf-8")
    if log_changes == "both":
        repo.status().transition("WP02", "claimed", actor="b")
    repo.git("commit", "-q", "-am", "topic change")

    repo.git("checkout", "-q", "main")
    (root / "notes.txt").write_text("main\n", encoding="utf-8")
    if log_changes in ("main", "both"):
        repo.status().transition("WP01", "in_progress", actor="a")
    repo.git("commit", "-q", "-am", "main change")
    return repo


def add_linked_worktree(repo: Repo, branch: str, *, relative: bool) -> Path:
    """``git worktree add .worktrees/<lane> <branch>``, optionally with relative pointers.

    git < 2.48 ignores ``worktree.useRelativePaths``; then the ``.git`` file is
    rewritten by hand to what that option writes: a gitdir relative to the file.
    ``commondir`` is relative (``../..``) in every git version.
    """
    path = repo.root / ".worktrees" / LANE_WORKTREE
    config = ["-c", "worktree.useRelativePaths=true"] if relative else []
    repo.git(*config, "worktree", "add", "-q", str(path), branch)
    dotgit = path / ".git"
    if relative:
        pointer = dotgit.read_text(encoding="utf-8").split(":", 1)[1].strip()
        if Path(pointer).is_absolute():
            dotgit.write_text(f"gitdir: ../../.git/worktrees/{LANE_WORKTREE}\n", encoding="utf-8")
        pointer = dotgit.read_text(encoding="utf-8").split(":", 1)[1].strip()
        assert not Path(pointer).is_absolute()
    own = repo.root / ".git" / "worktrees" / LANE_WORKTREE
    assert (own / "commondir").read_text(encoding="utf-8").strip() == "../.."
    # git itself accepts the pointer
    assert absolute_git_dir(repo.env, path) == own.resolve()
    return path


# -- operations ------------------------------------------------------------------

#: operation -> the marker it leaves in the checkout's own git dir
MARKERS = {
    "rebase-merge": "rebase-merge",
    "rebase-apply": "rebase-apply",
    "am": "rebase-apply",
    "merge": "MERGE_HEAD",
    "cherry-pick": "CHERRY_PICK_HEAD",
    "revert": "REVERT_HEAD",
    "bisect": "BISECT_LOG",
}
ABORT = {
    "rebase-merge": ("rebase", "--abort"),
    "rebase-apply": ("rebase", "--abort"),
    "am": ("am", "--abort"),
    "merge": ("merge", "--abort"),
    "cherry-pick": ("cherry-pick", "--abort"),
    "revert": ("revert", "--abort"),
    "bisect": ("bisect", "reset"),
}
OPERATIONS = sorted(MARKERS)


def start_operation(repo: Repo, checkout: Path, operation: str, other: str, scratch: Path) -> None:
    """Start ``operation`` against ``other`` in ``checkout`` and leave it stopped half-way."""

    def conflicting(*args: str) -> None:
        result = run_git(checkout, *args, env=repo.env)
        assert result.returncode != 0, f"git {' '.join(args)} was expected to stop on a conflict"

    if operation == "rebase-merge":
        conflicting("rebase", "--merge", other)
    elif operation == "rebase-apply":
        conflicting("rebase", "--apply", other)
    elif operation == "am":
        patch = scratch / f"{operation}.patch"
        patch.write_text(repo.git("format-patch", "-1", "--stdout", other, cwd=checkout))
        conflicting("am", "-3", str(patch))
    elif operation == "merge":
        conflicting("merge", "--no-edit", other)
    elif operation == "cherry-pick":
        conflicting("cherry-pick", other)
    elif operation == "revert":
        conflicting("revert", "--no-edit", other)
    else:
        repo.git("bisect", "start", cwd=checkout)
        repo.git("bisect", "bad", "HEAD", cwd=checkout)
    marker = absolute_git_dir(repo.env, checkout) / MARKERS[operation]
    assert marker.exists(), f"{operation} left no {marker}"


def abort_operation(repo: Repo, checkout: Path, operation: str) -> None:
    repo.git(*ABORT[operation], cwd=checkout)
    assert not (absolute_git_dir(repo.env, checkout) / MARKERS[operation]).exists()


def assert_refused_without_touching(
    checkout: Path, mission: Path, code: str = "GIT_OPERATION_IN_PROGRESS"
) -> None:
    """What a user sees while the operation is in progress: a refusal, and no file changed."""
    before = tree_digest(checkout)
    had_view = (mission / "status.json").exists()

    assert git_operation_in_progress(mission)
    with pytest.raises(GitOperationInProgressError) as refused:
        materialize(mission)
    assert refused.value.code == code
    assert refused.value.to_dict()["code"] == code
    assert str(checkout) in refused.value.message
    with pytest.raises(GitOperationInProgressError):
        MissionStatus.open(mission).materialize()
    deferred = materialize_if_stale(mission)
    assert deferred.written is False
    assert deferred.reason == "git-operation-in-progress"

    assert tree_digest(checkout) == before
    assert (mission / "status.json").exists() == had_view


def assert_materializes_after_abort(mission: Path) -> None:
    assert not git_operation_in_progress(mission)
    first = materialize(mission)
    assert first.written is True
    view = mission / "status.json"
    text = view.read_bytes()
    assert text == render_status_json(materialize_snapshot(mission)).encode("utf-8")
    expected_at = last_transition_at(mission)
    assert json.loads(text)["materialized_at"] == expected_at
    assert first.snapshot.materialized_at == expected_at

    second = materialize(mission)
    assert second.written is False
    assert second.reason == "up-to-date"
    assert view.read_bytes() == text
    again = materialize_if_stale(mission)
    assert again.written is False
    assert again.reason == "up-to-date"
    assert view.read_bytes() == text


# -- the primary checkout --------------------------------------------------------------


@pytest.mark.parametrize("commit_view", [False, True], ids=["no-view", "committed-view"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_operation_in_primary_checkout_blocks_writes(
    tmp_path: Path, git_env: Env, operation: str, commit_view: bool
) -> None:
    # With a committed view, main's extra transition makes it stale once the operation ends.
    repo = build_repo(
        tmp_path, git_env, log_changes="main" if commit_view else "none", commit_view=commit_view
    )
    assert not git_operation_in_progress(repo.mission)
    start_operation(repo, repo.root, operation, "topic", tmp_path)

    assert_refused_without_touching(repo.root, repo.mission)

    abort_operation(repo, repo.root, operation)
    assert_materializes_after_abort(repo.mission)


def test_materialized_at_is_the_last_event_not_the_wall_clock(tmp_path: Path, git_env: Env) -> None:
    repo = build_repo(tmp_path, git_env)
    result = materialize(repo.mission)
    # The fake clock started on 2026-01-01T09:00 and ticked once per transition.
    assert result.snapshot.materialized_at == "2026-01-01T09:00:03+00:00"
    assert json.loads((repo.mission / "status.json").read_text())["materialized_at"] == (
        "2026-01-01T09:00:03+00:00"
    )


def test_conflicted_log_during_merge_is_deferred_not_an_error(tmp_path: Path, git_env: Env) -> None:
    """Both branches appended to the log and git (without the merge driver) left markers in it.

    ``materialize_if_stale`` promises to "silently defer during a git operation";
    it must not try to parse the half-merged log.
    """
    repo = build_repo(tmp_path, git_env, log_changes="both")
    start_operation(repo, repo.root, "merge", "topic", tmp_path)
    assert b"<<<<<<<" in (repo.mission / "status.events.jsonl").read_bytes()

    assert_refused_without_touching(repo.root, repo.mission)

    abort_operation(repo, repo.root, "merge")
    assert_materializes_after_abort(repo.mission)


@pytest.mark.parametrize("operation", ["rebase-merge", "cherry-pick", "revert", "bisect"])
def test_conflicted_log_operations_refuse_materialize(
    tmp_path: Path, git_env: Env, operation: str
) -> None:
    """Even with conflict markers in the log, ``materialize`` refuses before reading it."""
    repo = build_repo(tmp_path, git_env, log_changes="both", commit_view=True)
    start_operation(repo, repo.root, operation, "topic", tmp_path)
    before = tree_digest(repo.root)
    with pytest.raises(GitOperationInProgressError) as refused:
        materialize(repo.mission)
    assert refused.value.code == "GIT_OPERATION_IN_PROGRESS"
    assert tree_digest(repo.root) == before
    abort_operation(repo, repo.root, operation)
    assert_materializes_after_abort(repo.mission)


def test_index_lock_blocks_writes(tmp_path: Path, git_env: Env) -> None:
    repo = build_repo(tmp_path, git_env)
    lock = repo.root / ".git" / "index.lock"
    lock.write_bytes(b"")
    assert_refused_without_touching(repo.root, repo.mission, "GIT_INDEX_LOCKED")
    with pytest.raises(GitOperationInProgressError) as refused:
        materialize(repo.mission)
    # Named as the lock it is, with the file to remove when it is stale; no operation named.
    assert str(lock) in refused.value.message
    assert "rebase" not in refused.value.message + refused.value.next_step
    assert f"rm {lock}" in refused.value.next_step
    (repo.root / ".git" / "index.lock").unlink()
    assert_materializes_after_abort(repo.mission)


# -- linked worktrees ---------------------------------------------------------------


@pytest.mark.parametrize("relative", [False, True], ids=["absolute-gitdir", "relative-gitdir"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_operation_in_linked_worktree_blocks_only_that_worktree(
    tmp_path: Path, git_env: Env, operation: str, relative: bool
) -> None:
    repo = build_repo(tmp_path, git_env)
    linked = add_linked_worktree(repo, "topic", relative=relative)
    linked_mission = Repo.mission_in(linked)
    own_git_dir = repo.root / ".git" / "worktrees" / LANE_WORKTREE

    start_operation(repo, linked, operation, "main", tmp_path)
    assert (own_git_dir / MARKERS[operation]).exists()
    assert not (repo.root / ".git" / MARKERS[operation]).exists()

    linked_before = tree_digest(linked)
    assert_refused_without_touching(linked, linked_mission)

    # The primary checkout is not in the middle of anything: it writes its own view.
    assert not git_operation_in_progress(repo.mission)
    assert not git_operation_in_progress(repo.root)
    primary = materialize(repo.mission)
    assert primary.written is True
    assert (repo.mission / "status.json").is_file()
    assert materialize_if_stale(repo.mission).reason == "up-to-date"
    # ... without touching the linked worktree, which is still mid-operation.
    assert tree_digest(linked) == linked_before
    assert not (linked_mission / "status.json").exists()
    assert git_operation_in_progress(linked_mission)

    abort_operation(repo, linked, operation)
    assert_materializes_after_abort(linked_mission)
    # The primary's view was not disturbed by the linked worktree's write.
    assert materialize(repo.mission).written is False


@pytest.mark.parametrize("relative", [False, True], ids=["absolute-gitdir", "relative-gitdir"])
@pytest.mark.parametrize("operation", ["merge", "bisect"])
def test_operation_in_primary_does_not_hold_up_linked_worktrees(
    tmp_path: Path, git_env: Env, operation: str, relative: bool
) -> None:
    """Markers are per checkout: the primary's live in its own git dir, which is the common dir.

    A merge in the primary checkout says nothing about a linked worktree's files, so the
    worktree's view is written while the primary is refused.
    """
    repo = build_repo(tmp_path, git_env)
    linked = add_linked_worktree(repo, "topic", relative=relative)
    linked_mission = Repo.mission_in(linked)
    start_operation(repo, repo.root, operation, "topic", tmp_path)
    assert (repo.root / ".git" / MARKERS[operation]).exists()

    assert_refused_without_touching(repo.root, repo.mission)
    assert not git_operation_in_progress(linked_mission)
    assert_materializes_after_abort(linked_mission)

    abort_operation(repo, repo.root, operation)
    assert_materializes_after_abort(repo.mission)


@pytest.mark.parametrize("relative", [False, True], ids=["absolute-gitdir", "relative-gitdir"])
def test_index_lock_in_linked_git_dir_blocks_only_the_linked_worktree(
    tmp_path: Path, git_env: Env, relative: bool
) -> None:
    repo = build_repo(tmp_path, git_env)
    linked = add_linked_worktree(repo, "topic", relative=relative)
    lock = repo.root / ".git" / "worktrees" / LANE_WORKTREE / "index.lock"
    lock.write_bytes(b"")
    assert_refused_without_touching(linked, Repo.mission_in(linked), "GIT_INDEX_LOCKED")
    assert not git_operation_in_progress(repo.mission)
    lock.unlink()
    assert_materializes_after_abort(Repo.mission_in(linked))


# -- find_git_dirs --------------------------------------------------------------------


def test_find_git_dirs_primary_checkout(tmp_path: Path, git_env: Env) -> None:
    repo = build_repo(tmp_path, git_env)
    dirs = find_git_dirs(repo.mission)
    assert dirs is not None
    assert dirs.worktree_root == repo.root
    assert dirs.git_dir == repo.root / ".git"
    assert dirs.common_dir == repo.root / ".git"
    assert not dirs.is_linked_worktree
    assert dirs.primary_root == repo.root
    assert dirs.git_dir.resolve() == absolute_git_dir(git_env, repo.root)


@pytest.mark.parametrize("relative", [False, True], ids=["absolute-gitdir", "relative-gitdir"])
def test_find_git_dirs_matches_git_for_a_linked_worktree(
    tmp_path: Path, git_env: Env, relative: bool
) -> None:
    repo = build_repo(tmp_path, git_env)
    linked = add_linked_worktree(repo, "topic", relative=relative)
    dirs = find_git_dirs(Repo.mission_in(linked) / "tasks" / "not-yet-created")
    assert dirs is not None
    assert dirs.worktree_root == linked
    assert dirs.git_dir.resolve() == absolute_git_dir(git_env, linked)
    assert dirs.common_dir.resolve() == common_git_dir(git_env, linked)
    assert dirs.common_dir == repo.root / ".git"
    assert dirs.is_linked_worktree
    assert dirs.primary_root == repo.root


def test_primary_root_of_a_submodule_and_its_linked_worktree(tmp_path: Path, git_env: Env) -> None:
    """A submodule's ``.git`` file points into the superproject; its root is still itself."""
    library = tmp_path / "library"
    library.mkdir()
    git(library, "init", "-q", "-b", "main", env=git_env)
    git(library, "commit", "-q", "--allow-empty", "-m", "library", env=git_env)
    repo = build_repo(tmp_path, git_env)
    git(
        repo.root, "-c", "protocol.file.allow=always", "submodule", "add", "-q",
        str(library), "vendor/library", env=git_env,
    )  # fmt: skip
    sub = repo.root / "vendor" / "library"
    dirs = find_git_dirs(sub)
    assert dirs is not None
    assert dirs.common_dir == repo.root / ".git" / "modules" / "vendor" / "library"
    assert dirs.primary_root == sub == dirs.worktree_root
    linked = tmp_path / "library-topic"
    git(sub, "worktree", "add", "-q", "-b", "topic", str(linked), env=git_env)
    dirs = find_git_dirs(linked)
    assert dirs is not None
    assert dirs.is_linked_worktree
    assert dirs.primary_root == sub
    assert Path(git(linked, "rev-parse", "--show-toplevel", env=git_env)) == linked


def _fake_layout(tmp_path: Path, pointer: str, commondir: str | None) -> tuple[Path, Path]:
    """A primary ``.git`` dir and a worktree whose ``.git`` file says ``pointer``."""
    common = tmp_path / "main" / ".git"
    own = common / "worktrees" / "wt"
    own.mkdir(parents=True)
    if commondir is not None:
        (own / "commondir").write_text(commondir + "\n", encoding="utf-8")
    worktree = tmp_path / "lanes" / "wt"
    (worktree / "kitty-specs" / MISSION).mkdir(parents=True)
    (worktree / ".git").write_text(pointer, encoding="utf-8")
    return worktree, own


def test_find_git_dirs_absolute_gitdir(tmp_path: Path) -> None:
    own_path = tmp_path / "main" / ".git" / "worktrees" / "wt"
    worktree, own = _fake_layout(tmp_path, f"gitdir: {own_path}\n", "../..")
    dirs = find_git_dirs(worktree / "kitty-specs" / MISSION)
    assert dirs is not None
    assert (dirs.worktree_root, dirs.git_dir, dirs.common_dir) == (
        worktree,
        own,
        tmp_path / "main" / ".git",
    )
    assert dirs.primary_root == tmp_path / "main"


@pytest.mark.parametrize("newline", ["\n", "\r\n", ""])
def test_find_git_dirs_relative_gitdir(tmp_path: Path, newline: str) -> None:
    worktree, own = _fake_layout(
        tmp_path, f"gitdir: ../../main/.git/worktrees/wt{newline}", "../.."
    )
    dirs = find_git_dirs(worktree / "kitty-specs" / MISSION)
    assert dirs is not None
    assert dirs.git_dir == own
    assert dirs.common_dir == tmp_path / "main" / ".git"
    assert dirs.is_linked_worktree


def test_find_git_dirs_absolute_commondir(tmp_path: Path) -> None:
    common = tmp_path / "main" / ".git"
    worktree, _ = _fake_layout(tmp_path, "gitdir: ../../main/.git/worktrees/wt\n", str(common))
    dirs = find_git_dirs(worktree)
    assert dirs is not None
    assert dirs.common_dir == common


def test_find_git_dirs_without_commondir_is_its_own_common_dir(tmp_path: Path) -> None:
    """A submodule-style ``.git`` file: the gitdir has no ``commondir``."""
    worktree, own = _fake_layout(tmp_path, "gitdir: ../../main/.git/worktrees/wt\n", None)
    dirs = find_git_dirs(worktree)
    assert dirs is not None
    assert dirs.git_dir == dirs.common_dir == own
    assert not dirs.is_linked_worktree


def test_find_git_dirs_outside_git(tmp_path: Path) -> None:
    plain = tmp_path / "plain" / "kitty-specs" / MISSION
    plain.mkdir(parents=True)
    if find_git_dirs(tmp_path) is not None:  # pragma: no cover - tmp inside a repository
        pytest.skip("the temporary directory is itself inside a git checkout")
    assert find_git_dirs(plain) is None
    assert git_operation_in_progress(plain) is False


@pytest.mark.parametrize(
    "content",
    [b"", b"not a pointer\n", b"gitdir /no/colon\n", b"\xff\xfe\x00binary"],
    ids=["empty", "garbage", "no-colon", "not-utf8"],
)
def test_malformed_dotgit_file_raises_git_pointer_error(tmp_path: Path, content: bytes) -> None:
    worktree = tmp_path / "wt"
    mission = worktree / "kitty-specs" / MISSION
    mission.mkdir(parents=True)
    (worktree / ".git").write_bytes(content)
    with pytest.raises(GitPointerError) as broken:
        find_git_dirs(mission)
    assert broken.value.code == "GIT_POINTER_INVALID"
    assert "git worktree repair" in broken.value.next_step
    with pytest.raises(GitPointerError):
        git_operation_in_progress(mission)
    with pytest.raises(GitPointerError):
        materialize(mission)
    assert not (mission / "status.json").exists()


def test_unreadable_commondir_raises_git_pointer_error(tmp_path: Path) -> None:
    worktree, own = _fake_layout(tmp_path, "gitdir: ../../main/.git/worktrees/wt\n", None)
    (own / "commondir").mkdir()  # a directory where a file should be
    with pytest.raises(GitPointerError) as broken:
        find_git_dirs(worktree)
    assert broken.value.code == "GIT_POINTER_INVALID"


def test_markers_are_looked_up_in_the_checkouts_own_git_dir(tmp_path: Path) -> None:
    worktree, own = _fake_layout(tmp_path, "gitdir: ../../main/.git/worktrees/wt\n", "../..")
    mission = worktree / "kitty-specs" / MISSION
    assert not git_operation_in_progress(mission)
    common = tmp_path / "main" / ".git"
    foreign_makers: list[tuple[Path, Callable[[Path], object]]] = [
        (common / "rebase-apply", Path.mkdir),
        (common / "MERGE_HEAD", Path.touch),
    ]
    for foreign, make_foreign in foreign_makers:
        make_foreign(foreign)  # the primary checkout's operation, not this worktree's
        assert not git_operation_in_progress(mission), foreign
        if foreign.is_dir():
            foreign.rmdir()
        else:
            foreign.unlink()
    marker_makers: list[tuple[Path, Callable[[Path], object]]] = [
        (own / "rebase-merge", Path.mkdir),
        (own / "CHERRY_PICK_HEAD", Path.touch),
        (own / "MERGE_HEAD", Path.touch),
        (own / "BISECT_LOG", Path.touch),
    ]
    for marker, make in marker_makers:
        make(marker)
        assert git_operation_in_progress(mission), marker
        if marker.is_dir():
            marker.rmdir()
        else:
            marker.unlink()
        assert not git_operation_in_progress(mission)
