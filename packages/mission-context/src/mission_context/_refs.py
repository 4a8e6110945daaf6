"""The repository's branches and worktrees, read from git's own files.

With the default ``files`` ref backend, which branch each worktree has out and
whether a branch exists are plain files (``HEAD``, ``refs/heads/...``,
``packed-refs``, ``worktrees/<id>/gitdir``), so resolving a context costs no
subprocess. A repository using the ``reftable`` backend keeps refs in binary
tables; there we ask git (``rev-parse``, ``worktree list --porcelain``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import msgspec

from mission_status import GitPointerError, find_git_dirs

from ._git import Git, branch_tip, ref_file_tip

_HEADS = "refs/heads/"


class Worktree(msgspec.Struct, frozen=True):
    """One checkout registered in the repository.

    ``branch`` is the branch it has out (None when detached). ``rebasing`` and
    ``bisecting`` name a branch it is rebasing or bisecting while HEAD is
    detached: git treats that branch as checked out there too, but only a rebase
    moves it (a bisect leaves it where it is). ``exists`` is False for a stale
    registration whose directory has gone.
    """

    root: Path
    git_dir: Path | None
    branch: str | None
    rebasing: str | None
    bisecting: str | None
    exists: bool
    locked: bool

    def holds(self, branch: str) -> bool:
        return branch in (self.branch, self.rebasing, self.bisecting)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _short(ref: str | None) -> str | None:
    """``refs/heads/x`` -> ``x``; anything else (a sha, a non-branch ref) -> None."""
    if ref is not None and ref.startswith(_HEADS):
        return ref[len(_HEADS) :]
    return None


def _head_branch(git_dir: Path) -> str | None:
    head = _read(git_dir / "HEAD")
    if head is None or not head.startswith("ref:"):
        return None
    return _short(head[len("ref:") :].strip())


def _rebasing(git_dir: Path) -> str | None:
    """The branch a rebase in ``git_dir`` is replaying (and will move when it finishes)."""
    for name in ("rebase-merge/head-name", "rebase-apply/head-name"):
        branch = _short(_read(git_dir / name))
        if branch is not None:
            return branch
    return None


def _bisecting(git_dir: Path) -> str | None:
    return _read(git_dir / "BISECT_START") or None


class Refs:
    """Branches and worktrees of the repository of ``primary_root`` and ``common_dir``."""

    def __init__(
        self, primary_root: Path, common_dir: Path, env: Mapping[str, str] | None = None
    ) -> None:
        self.primary_root = primary_root
        self.common_dir = common_dir
        self.reftable = (common_dir / "reftable").is_dir()
        self._git = Git(self.primary_root, env)

    def branch_exists(self, branch: str) -> bool:
        """Whether ``refs/heads/<branch>`` exists."""
        if self.reftable:
            done = self._git.run(
                "rev-parse", "--verify", "--quiet", f"{_HEADS}{branch}", ok_codes=(0, 1)
            )
            return done.returncode == 0
        if (self.common_dir / "refs" / "heads" / branch).is_file():
            return True
        packed = _read(self.common_dir / "packed-refs") or ""
        wanted = f" {_HEADS}{branch}"
        return any(line.endswith(wanted) for line in packed.splitlines())

    def tip(self, branch: str) -> str | None:
        """The commit ``refs/heads/<branch>`` names (from the ref files where they answer)."""
        known, tip = ref_file_tip(self.common_dir, branch)
        return tip if known else branch_tip(self._git, branch)

    def primary(self) -> Worktree | None:
        """The primary checkout alone, read from its files (None with the reftable backend,
        whose HEAD is not a plain file): the usual holder of a target branch, cheaply."""
        if self.reftable:
            return None
        return self._worktree(self.primary_root, self.common_dir, locked=False)

    def worktrees(self) -> list[Worktree]:
        """The primary checkout first, then every linked worktree (stale ones included)."""
        if self.reftable:
            return self._listed_worktrees()
        found = [self._worktree(self.primary_root, self.common_dir, locked=False)]
        try:
            admin_dirs = sorted(os.scandir(self.common_dir / "worktrees"), key=lambda e: e.name)
        except OSError:
            admin_dirs = []
        for entry in admin_dirs:
            admin = Path(entry.path)
            pointer = _read(admin / "gitdir")
            if not entry.is_dir() or not pointer:
                continue
            dotgit = Path(pointer)
            if not dotgit.is_absolute():
                dotgit = admin / dotgit
            root = Path(os.path.normpath(dotgit)).parent
            found.append(self._worktree(root, admin, locked=(admin / "locked").exists()))
        return found

    def _worktree(self, root: Path, git_dir: Path, *, locked: bool) -> Worktree:
        return Worktree(
            root=root,
            git_dir=git_dir,
            branch=_head_branch(git_dir),
            rebasing=_rebasing(git_dir),
            bisecting=_bisecting(git_dir),
            exists=(root / ".git").exists(),
            locked=locked,
        )

    def _listed_worktrees(self) -> list[Worktree]:
        """``git worktree list --porcelain``, for ref backends we do not parse."""
        text = self._git.out("worktree", "list", "--porcelain")
        found = []
        for block in text.split("\n\n"):
            fields: dict[str, str] = {}
            for line in block.splitlines():
                key, _, value = line.partition(" ")
                fields[key] = value
            if "worktree" not in fields:
                continue
            root = Path(fields["worktree"])
            git_dir = self._admin_dir_of(root)
            found.append(
                Worktree(
                    root=root,
                    git_dir=git_dir,
                    branch=_short(fields.get("branch")),
                    rebasing=_rebasing(git_dir) if git_dir else None,
                    bisecting=_bisecting(git_dir) if git_dir else None,
                    exists="prunable" not in fields and (root / ".git").exists(),
                    locked="locked" in fields,
                )
            )
        return found

    def _admin_dir_of(self, root: Path) -> Path | None:
        if root == self.primary_root:
            return self.common_dir
        if not (root / ".git").exists():
            return None
        try:
            dirs = find_git_dirs(root)
        except GitPointerError:
            return None
        return dirs.git_dir if dirs is not None else None

    def holder_of(self, branch: str) -> Worktree | None:
        """The live worktree that has ``branch`` checked out (or is rebasing it), if any."""
        return next((w for w in self.worktrees() if w.exists and w.holds(branch)), None)
