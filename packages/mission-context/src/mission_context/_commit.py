"""Commit routing: commit given files to a branch without switching any checkout.

Two routes, chosen by who has the branch checked out:

- ``worktree``: a live worktree has it out. The files are copied there (unless
  they already are there), staged and committed with ``git commit --only``, so
  that worktree's other staged or unstaged changes stay as they were.
- ``index``: nobody has it out. The files are staged into a temporary index
  seeded from the branch tip, written as a tree, wrapped with ``commit-tree``
  and the branch is moved with ``update-ref <new> <old>`` (compare-and-swap).

Either way no checkout changes branch, the caller's index and working tree are
untouched, and commits to one branch are serialised by a file lock in the
common git dir. Bookkeeping commits do not run commit hooks (``--no-verify``),
the same on both routes.

A checkout that does not have the branch out may hold another branch's copy of
a file (the primary checkout on a hotfix branch made from an old commit). Such a
copy is not an edit of the branch's file and is never committed over it: an
unchanged copy is left out, and an edited one is refused (``COMMIT_SOURCE_DIVERGED``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import msgspec

from mission_status import GitDirs, git_operation_in_progress

from ._context import CommitTarget, git_dirs_of
from ._errors import ContextError
from ._git import Git, GitError, branch_tip, hash_files, tree_entries
from ._locks import branch_lock
from ._refs import Refs, Worktree

# git check-ref-format rules that matter for a branch we are handed.
_BAD_BRANCH = re.compile(r"(^[-/.])|(\.\.)|([\x00-\x20\x7f~^:?*\[\\])|(@\{)|([/.]$)|(\.lock$)|(//)")


class CommitResult(msgspec.Struct, frozen=True):
    """A commit made by :func:`commit_to`.

    ``route`` is ``worktree`` (committed in ``worktree``, which has the branch
    out) or ``index`` (temporary index + commit-tree + update-ref).
    """

    sha: str
    branch: str
    route: str
    worktree: Path | None
    paths: tuple[str, ...]


def commit_to(
    target: CommitTarget,
    paths: Iterable[Path | str],
    message: str,
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    lock_timeout: float = 60.0,
    changed: bool = False,
) -> CommitResult | None:
    """Commit exactly ``paths`` (files, as they are now) to ``target.branch``.

    ``changed``: the caller knows they differ from the branch (it just appended to them),
    which spares a ``git status`` where the branch is checked out.

    ``paths`` are files of one checkout, absolute or relative to ``cwd``; each is
    committed at its path relative to that checkout, a missing file as a
    deletion. Returns None when the branch already holds them as they are.
    Raises :class:`ContextError` (``COMMIT_PATHS_INVALID``, ``COMMIT_TARGET_MISSING``,
    ``COMMIT_TARGET_BUSY``, ``COMMIT_TARGET_DIRTY``, ``COMMIT_SOURCE_DIVERGED``,
    ``COMMIT_LOCK_TIMEOUT``, ``COMMIT_RACE``) or :class:`GitError`.
    """
    if not message.strip():
        raise _invalid("the commit message is empty", "pass a message saying what changed")
    _check_branch(target.branch)
    base = Path(os.path.abspath(cwd if cwd is not None else os.getcwd()))
    source, rels = _checkout_paths(base, paths)
    with branch_lock(source.common_dir, target.branch, timeout=lock_timeout):
        holder = Refs(source.primary_root, source.common_dir, env).holder_of(target.branch)
        if holder is not None and holder.branch != target.branch and not holder.rebasing:
            holder = None  # only bisected there, which never moves it: commit to the ref itself
        git = Git(source.worktree_root, env)
        parent = branch_tip(git, target.branch) if holder is None else None
        if holder is None and parent is None:
            raise ContextError(
                f"branch {target.branch!r} does not exist",
                code="COMMIT_TARGET_MISSING",
                next_step=f"create it first (`git branch {target.branch} <start>`), "
                "or check meta.json",
            )
        if holder is None or holder.root != source.worktree_root:
            rels = _edits_only(git, rels, target.branch)
            if not rels:
                return None
        if parent is not None:
            sha = commit_over(
                git, source.git_dir, work_tree=None, rels=rels, branch=target.branch,
                parent=parent, message=message,
            )  # fmt: skip
            return CommitResult(sha, target.branch, "index", None, rels) if sha else None
        assert holder is not None
        return _commit_in_worktree(
            holder, source, rels, target.branch, message, env=env, changed=changed
        )


def _edits_only(git: Git, rels: tuple[str, ...], branch: str) -> tuple[str, ...]:
    """Those of ``rels`` that edit ``branch``'s files, seen from a checkout of another branch.

    A path the checkout's HEAD tracks at another version than ``branch`` has is
    that branch's copy: left out when unchanged, refused when edited.
    """
    here = tree_entries(git, "HEAD", rels)
    there = tree_entries(git, f"refs/heads/{branch}", rels)
    foreign = [rel for rel in rels if rel in here and here[rel] != there.get(rel)]
    if not foreign:
        return rels
    hashed = dict(zip(foreign, hash_files(git, foreign), strict=True))
    edited = [rel for rel in foreign if hashed[rel] != here[rel]]
    if edited:
        raise ContextError(
            f"{git.cwd} is not on {branch}: its {', '.join(edited)} "
            f"{'is an edit' if len(edited) == 1 else 'are edits'} of another version than "
            f"{branch} has; committing would overwrite {branch}'s",
            code="COMMIT_SOURCE_DIVERGED",
            next_step=f"make the change on {branch} (`git switch {branch}` in {git.cwd}, "
            "or a worktree of it), then run the command again",
        )
    return tuple(rel for rel in rels if rel not in foreign)


def _invalid(message: str, next_step: str) -> ContextError:
    return ContextError(message, code="COMMIT_PATHS_INVALID", next_step=next_step)


def _check_branch(branch: str) -> None:
    if not branch or _BAD_BRANCH.search(branch):
        raise ContextError(
            f"{branch!r} is not a valid branch name",
            code="COMMIT_TARGET_INVALID",
            next_step="check the branch in the mission's meta.json",
        )


def _checkout_paths(base: Path, paths: Iterable[Path | str]) -> tuple[GitDirs, tuple[str, ...]]:
    """The one checkout holding every path, and the paths relative to it (posix, sorted)."""
    source: GitDirs | None = None
    rels: set[str] = set()
    for raw in paths:
        path = Path(os.path.normpath(base / raw))
        if path.is_dir():
            raise _invalid(f"{path} is a directory", "pass the files to commit, one by one")
        dirs = git_dirs_of(
            path, next_step="pass files of your project's checkout", must_exist=False
        )
        if source is not None and dirs.worktree_root != source.worktree_root:
            raise _invalid(
                f"{path} is in {dirs.worktree_root}, the other files in {source.worktree_root}",
                "commit the files of each checkout separately",
            )
        source = dirs
        rel = Path(os.path.relpath(path, dirs.worktree_root))
        if rel.parts[0] == ".git":
            raise _invalid(f"{path} is inside the git dir", "pass files of the checkout")
        rels.add(rel.as_posix())
    if source is None:
        raise _invalid("no paths to commit", "pass at least one file")
    return source, tuple(sorted(rels))


def commit_over(
    git: Git,
    scratch_dir: Path,
    *,
    work_tree: Path | None,
    rels: tuple[str, ...],
    branch: str,
    parent: str,
    message: str,
) -> str | None:
    """Commit ``rels`` (as they are under ``work_tree``, default ``git.cwd``) on top of ``parent``.

    The tree is built in a temporary index (in ``scratch_dir``, a git dir) seeded
    from ``parent``, and ``branch`` moves from ``parent`` to the new commit with a
    compare-and-swap: nothing is committed over a branch that moved meanwhile
    (``COMMIT_RACE``). Returns the new commit, or None when the tree is unchanged.
    """
    index = scratch_dir / f"spec-kitty-index-{os.getpid()}-{os.urandom(4).hex()}"
    scratch = {"GIT_INDEX_FILE": str(index)}
    where = ("--work-tree", str(work_tree)) if work_tree is not None else ()
    try:
        git.run("read-tree", parent, extra_env=scratch)
        git.run(*where, "add", "--all", "--", *rels, extra_env=scratch, next_step=_ADD_NEXT_STEP)
        tree = git.out("write-tree", extra_env=scratch)
    finally:
        index.unlink(missing_ok=True)
    if tree == git.out("rev-parse", f"{parent}^{{tree}}"):
        return None
    sha = git.out("commit-tree", tree, "-p", parent, "-m", message)
    moved = git.run(
        "update-ref", "-m", f"spec-kitty: {message.splitlines()[0]}",
        f"refs/heads/{branch}", sha, parent, ok_codes=(0, 1, 128),
    )  # fmt: skip
    if moved.returncode != 0:
        raise ContextError(
            f"{branch} moved while a commit was being made on it ({moved.stderr.strip()})",
            code="COMMIT_RACE",
            next_step="run the command again",
        )
    return sha


#: ``commit --only`` takes the paths' content from the working tree itself; no automatic
#: maintenance inside our commit (the user's next git command runs it).
_COMMIT = ("-c", "maintenance.auto=false", "-c", "gc.auto=0", "commit", "--quiet",
           "--no-verify", "--only", "-m")  # fmt: skip
_STATUS = ("status", "--porcelain", "-z", "--untracked-files=all", "--ignored=matching")
_COMMIT_NEXT_STEP = "fix what git reports above and re-run the command"
_ADD_NEXT_STEP = "pass files that exist or are tracked (a missing file commits its deletion)"


def _commit_in_worktree(
    holder: Worktree,
    source: GitDirs,
    rels: tuple[str, ...],
    branch: str,
    message: str,
    *,
    env: Mapping[str, str] | None,
    changed: bool = False,
) -> CommitResult | None:
    if holder.branch != branch or git_operation_in_progress(holder.root):
        raise ContextError(
            f"branch {branch!r} is busy in {holder.root}: a git operation "
            "(rebase, merge, cherry-pick, bisect) is in progress there",
            code="COMMIT_TARGET_BUSY",
            next_step=f"finish or abort the git operation in {holder.root}, then retry",
        )
    git = Git(holder.root, env)
    here = holder.root == source.worktree_root
    if changed and here:  # one process: tracked paths commit as they are (else: the long way)
        done = git.run(*_COMMIT, message, "--", *rels, ok_codes=(0, 1, 128))
        if done.returncode == 0:
            return _committed(git, holder, source, rels=rels, branch=branch, env=env)
    listed = [entry for entry in git.out(*_STATUS, "--", *rels).split("\0") if entry]
    if holder.root != source.worktree_root:
        if any(not entry.startswith("!!") for entry in listed):
            raise ContextError(
                f"{holder.root} has uncommitted changes to {', '.join(rels)}",
                code="COMMIT_TARGET_DIRTY",
                next_step=f"commit or discard them in {holder.root}, then retry",
            )
        _mirror(source.worktree_root, holder.root, rels)
        git.run("add", "--all", "--", *rels, next_step=_ADD_NEXT_STEP)
    elif not listed:
        return None  # nothing of them differs from the branch
    elif any(entry[:2] in ("??", "!!") for entry in listed):
        git.run("add", "--all", "--", *rels, next_step=_ADD_NEXT_STEP)  # new (or ignored) files
    done = git.run(*_COMMIT, message, "--", *rels, ok_codes=(0, 1))
    if done.returncode != 0:
        if git.run("diff", "--cached", "--quiet", "--", *rels, ok_codes=(0, 1)).returncode == 0:
            return None
        raise GitError(done.args, done.returncode, done.stderr, next_step=_COMMIT_NEXT_STEP)
    return _committed(git, holder, source, rels=rels, branch=branch, env=env)


def _committed(
    git: Git,
    holder: Worktree,
    source: GitDirs,
    *,
    rels: tuple[str, ...],
    branch: str,
    env: Mapping[str, str] | None,
) -> CommitResult:
    sha = Refs(holder.root, source.common_dir, env).tip(branch) or git.out("rev-parse", "HEAD")
    return CommitResult(sha, branch, "worktree", holder.root, rels)


def _mirror(source_root: Path, target_root: Path, rels: tuple[str, ...]) -> None:
    """Make each path under ``target_root`` what it is under ``source_root`` (or absent)."""
    for rel in rels:
        src, dst = source_root / rel, target_root / rel
        if dst.is_symlink() or (dst.exists() and not src.exists()):
            dst.unlink()
        if src.is_symlink():
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(os.readlink(src), dst)
        elif src.is_file():
            import shutil

            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            shutil.copymode(src, dst)
