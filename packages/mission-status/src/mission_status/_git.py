"""The one parser of git worktree pointers, and the in-progress-operation check.

A checkout's ``.git`` is a directory (primary checkout) or a file
``gitdir: <path>`` (linked worktree; the path may be relative to the file's
directory). A linked worktree's gitdir holds ``commondir`` naming the shared git
dir, relative to the gitdir. Everything here is parsed from files: no subprocess.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from ._errors import GitOperationInProgressError, MissionStatusError

#: Files or directories whose presence means a git operation is under way.
IN_PROGRESS_MARKERS: tuple[str, ...] = (
    "rebase-merge",
    "rebase-apply",
    "MERGE_HEAD",
    "CHERRY_PICK_HEAD",
    "REVERT_HEAD",
    "BISECT_LOG",
    "index.lock",
)


class GitPointerError(MissionStatusError):
    """A ``.git`` file or ``commondir`` that cannot be parsed."""

    code = "GIT_POINTER_INVALID"


class GitDirs(msgspec.Struct, frozen=True):
    """Where git keeps the state of one checkout.

    ``worktree_root`` is the top of the checkout, ``git_dir`` its own git dir,
    ``common_dir`` the git dir shared by every worktree of the repository.
    """

    worktree_root: Path
    git_dir: Path
    common_dir: Path

    @property
    def is_linked_worktree(self) -> bool:
        return self.git_dir != self.common_dir

    @property
    def primary_root(self) -> Path:
        """The primary checkout of the repository.

        For a primary checkout that is its own root (a submodule's included:
        its ``.git`` file points into the superproject). For a linked worktree
        it is the common git dir's ``core.worktree`` when set (a submodule's
        worktrees), else the directory holding the common git dir.
        """
        if not self.is_linked_worktree:
            return self.worktree_root
        return _core_worktree(self.common_dir) or self.common_dir.parent


def _core_worktree(common_dir: Path) -> Path | None:
    """``core.worktree`` from ``<common dir>/config`` (relative to the git dir), if set."""
    try:
        text = (common_dir / "config").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line.strip("[]").strip().lower()
        elif section == "core" and "=" in line:
            key, _, value = line.partition("=")
            if key.strip().lower() == "worktree":
                path = Path(value.strip().strip('"'))
                return Path(os.path.normpath(common_dir / path))
    return None


def read_gitdir_pointer(dotgit_file: Path) -> Path:
    """Parse a ``.git`` file (``gitdir: <path>``) into an absolute gitdir path.

    Raises :class:`GitPointerError` when the file does not hold a gitdir line.
    """
    try:
        text = dotgit_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GitPointerError(
            f"cannot read {dotgit_file}: {exc}",
            next_step="run `git worktree repair` from the primary checkout",
        ) from exc
    for line in text.splitlines():
        if line.startswith("gitdir:"):
            target = Path(line[len("gitdir:") :].strip())
            if not target.is_absolute():
                target = dotgit_file.parent / target
            return Path(os.path.normpath(target))
    raise GitPointerError(
        f"{dotgit_file} has no 'gitdir:' line",
        next_step="run `git worktree repair` from the primary checkout",
    )


def _read_commondir(git_dir: Path) -> Path:
    try:
        raw = (git_dir / "commondir").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return git_dir  # a primary checkout (or a submodule): its own common dir
    except (OSError, UnicodeDecodeError) as exc:
        raise GitPointerError(
            f"cannot read {git_dir / 'commondir'}: {exc}",
            next_step="run `git worktree repair` from the primary checkout",
        ) from exc
    common = Path(raw)
    if not common.is_absolute():
        common = git_dir / common
    return Path(os.path.normpath(common))


def find_git_dirs(path: Path) -> GitDirs | None:
    """The git dirs of the checkout containing ``path``, or None outside git.

    Walks up from ``path`` to the first ``.git`` entry. Honours ``GIT_DIR`` only
    through the filesystem layout, never the environment, so the answer is the
    same for every caller. Raises :class:`GitPointerError` on a broken pointer.
    """
    current = Path(os.path.abspath(path))
    for candidate in (current, *current.parents):
        dotgit = candidate / ".git"
        if dotgit.is_dir():
            git_dir = Path(os.path.normpath(dotgit))
            return GitDirs(candidate, git_dir, _read_commondir(git_dir))
        if dotgit.is_file():
            git_dir = read_gitdir_pointer(dotgit)
            return GitDirs(candidate, git_dir, _read_commondir(git_dir))
    return None


def git_operation_marker(path: Path) -> Path | None:
    """The marker of a git operation in progress in the checkout of ``path``, if any.

    Every marker is per checkout: it lives in the checkout's own git dir (for
    the primary checkout that is the common dir). An operation in one checkout
    never holds up another.
    """
    dirs = find_git_dirs(path)
    if dirs is None:
        return None
    for name in IN_PROGRESS_MARKERS:
        marker = dirs.git_dir / name
        if os.path.lexists(marker):
            return marker
    return None


def git_operation_in_progress(path: Path) -> bool:
    """True while a rebase, merge, cherry-pick, revert or bisect is under way.

    ``path`` is any path inside the checkout (a mission directory, say). The
    checkout's own git dir is checked, so a linked worktree with a relative
    gitdir is handled like the primary checkout.
    """
    return git_operation_marker(path) is not None


_OPERATIONS = {
    "rebase-merge": ("a rebase", "git rebase --continue", "git rebase --abort"),
    "rebase-apply": ("a rebase (or `git am`)", "git rebase --continue", "git rebase --abort"),
    "MERGE_HEAD": ("a merge", "git commit", "git merge --abort"),
    "CHERRY_PICK_HEAD": ("a cherry-pick", "git cherry-pick --continue", "git cherry-pick --abort"),
    "REVERT_HEAD": ("a revert", "git revert --continue", "git revert --abort"),
    "BISECT_LOG": ("a bisect", "git bisect reset", "git bisect reset"),
}


def git_operation_error(marker: Path, *, refused: str) -> GitOperationInProgressError:
    """The error for ``refused`` (what was not done) while ``marker`` exists.

    A lone ``index.lock`` is named as the lock it is (``GIT_INDEX_LOCKED``):
    another git command is running there, or one was killed and left it.
    Every other marker is ``GIT_OPERATION_IN_PROGRESS`` naming the operation.
    """
    checkout = _checkout_of(marker)
    if marker.name == "index.lock":
        return GitOperationInProgressError(
            f"{refused}: {marker} exists: a git command is running in {checkout}, "
            "or one was interrupted and left its lock behind",
            marker=marker,
            next_step=f"wait for that git command to finish; if none is running, the lock is "
            f"stale: remove it (`rm {marker}`) and run the command again",
            code="GIT_INDEX_LOCKED",
        )
    what, carry_on, give_up = _OPERATIONS.get(marker.name, ("a git operation", "", ""))
    steps = f"finish it (`{carry_on}`) or abort it (`{give_up}`) in {checkout}"
    if carry_on == give_up:
        steps = f"end it (`{give_up}`) in {checkout}"
    return GitOperationInProgressError(
        f"{refused}: {what} is in progress in {checkout} ({marker.name})",
        marker=marker,
        next_step=f"{steps}, then run the command again" if carry_on else None,
    )


def _checkout_of(marker: Path) -> Path:
    """The checkout whose git dir holds ``marker`` (its git dir when that cannot be told)."""
    git_dir = marker.parent
    if (git_dir / "commondir").is_file():  # a linked worktree's admin dir
        pointer = git_dir / "gitdir"
        try:
            return Path(pointer.read_text(encoding="utf-8").strip()).parent
        except OSError:
            return git_dir
    return git_dir.parent if git_dir.name == ".git" else git_dir
