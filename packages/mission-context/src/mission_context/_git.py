"""The one way the packages run git: argument lists, structured errors, and git's answers.

Everything that can be read from files is read from files (see ``_refs``);
this runner is for what cannot: creating worktrees, hashing objects, moving
refs, and the questions below it (a branch's tip, ancestry, an unfinished
merge, the remote copies of a branch, what differs from a tree, uncommitted
changes). Commands never go through a shell, inherit the caller's environment
minus the variables that would point git at another repository, and fail with
a :class:`GitError` carrying the command line and git's stderr.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mission_status import find_git_dirs

from ._errors import ContextError

#: Variables that make git act on another repository, index or worktree than the
#: one we name (they are set while git runs a hook, for example).
_LOCATION_VARIABLES = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_COMMON_DIR",
        "GIT_PREFIX",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_NAMESPACE",
        "GIT_CEILING_DIRECTORIES",
    }
)


class GitError(ContextError):
    """A git command failed; ``command`` and ``stderr`` say which and why."""

    def __init__(
        self, command: tuple[str, ...], returncode: int, stderr: str, *, next_step: str
    ) -> None:
        self.command = command
        self.returncode = returncode
        self.stderr = stderr.strip()
        detail = self.stderr.splitlines()[-1] if self.stderr else f"exit status {returncode}"
        super().__init__(
            f"`{' '.join(command)}` failed: {detail}",
            code="GIT_COMMAND_FAILED",
            next_step=next_step,
        )


def git_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: ``os.environ``) without the variables that relocate git."""
    source = os.environ if base is None else base
    env = {key: value for key, value in source.items() if key not in _LOCATION_VARIABLES}
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


class Git:
    """Runs ``git -C <cwd> ...``; one instance per checkout."""

    def __init__(self, cwd: Path, env: Mapping[str, str] | None = None) -> None:
        self.cwd = cwd
        self._base_env = env
        self._env: dict[str, str] | None = None  # built on the first run: most never run

    def run(
        self,
        *args: str,
        extra_env: Mapping[str, str] | None = None,
        ok_codes: tuple[int, ...] = (0,),
        next_step: str = "fix what git reports above and re-run the command",
    ) -> subprocess.CompletedProcess[str]:
        """Run git and return the finished process; raise :class:`GitError` otherwise."""
        done = self._spawn(args, extra_env, text=True, encoding="utf-8", errors="replace")
        if done.returncode not in ok_codes:
            raise GitError(done.args, done.returncode, done.stderr, next_step=next_step)
        return done

    def out(self, *args: str, extra_env: Mapping[str, str] | None = None) -> str:
        """stdout of a successful command, without the trailing newline."""
        return self.run(*args, extra_env=extra_env).stdout.rstrip("\n")

    def blobs(self, specs: list[str]) -> list[bytes | None]:
        """The bytes of each object spec (``<rev>:<path>``), None for one that does not exist.

        One ``git cat-file --batch`` for all of them, read as bytes (never decoded).
        """
        request = "".join(f"{spec}\n" for spec in specs).encode("utf-8")
        done = self._spawn(("cat-file", "--batch"), input=request)
        if done.returncode != 0:
            stderr = done.stderr.decode("utf-8", "replace")
            raise GitError(done.args, done.returncode, stderr, next_step="check the repository")
        found: list[bytes | None] = []
        data, at = done.stdout, 0
        for _ in specs:
            end = data.index(b"\n", at)
            header = data[at:end].split()
            at = end + 1
            if len(header) != 3:  # "<spec> missing" (or ambiguous): no content follows
                found.append(None)
                continue
            size = int(header[2])
            found.append(data[at : at + size] if header[1] == b"blob" else None)
            at += size + 1
        return found

    def _spawn(
        self, args: tuple[str, ...], extra_env: Mapping[str, str] | None = None, **options: Any
    ) -> subprocess.CompletedProcess[Any]:
        """``git -C <cwd> <args>`` in git's environment; a missing git is a :class:`GitError`."""
        command = ("git", "-C", str(self.cwd), *args)
        if self._env is None:
            self._env = git_environment(self._base_env)
        env = self._env if extra_env is None else {**self._env, **extra_env}
        try:
            return subprocess.run(command, env=env, capture_output=True, check=False, **options)
        except OSError as exc:  # git itself is missing or not executable
            raise GitError(command, 127, str(exc), next_step="install git") from None


# -- git's answers -------------------------------------------------------------------


def branch_tip(git: Git, branch: str) -> str | None:
    """The commit ``refs/heads/<branch>`` points at, or None when there is no such branch.

    Read from the ref files where they answer (see :func:`ref_file_tip`), else asked of git.
    """
    dirs = find_git_dirs(git.cwd)  # git runs without GIT_DIR & co. (see git_environment)
    if dirs is not None:
        known, tip = ref_file_tip(dirs.common_dir, branch)
        if known:
            return tip
    done = git.run(
        "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}", ok_codes=(0, 1)
    )
    return done.stdout.strip() or None


def ref_file_tip(common_dir: Path, branch: str) -> tuple[bool, str | None]:
    """``(True, sha or None)`` from ``refs/heads/<branch>`` or ``packed-refs``; ``(False,
    None)`` where only git can tell (the reftable backend, a symbolic or odd ref, a name
    that is not a plain branch name)."""
    if ".." in branch or branch.startswith(("/", "-")) or "\\" in branch or not branch:
        return False, None
    if (common_dir / "reftable").is_dir():
        return False, None
    try:
        loose = (common_dir / "refs" / "heads" / branch).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        loose = None
    except (OSError, UnicodeDecodeError):
        return False, None
    if loose is not None:
        return (True, loose) if _is_object_id(loose) else (False, None)
    try:
        packed = (common_dir / "packed-refs").read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return True, None
    except OSError:
        return False, None
    wanted = f" refs/heads/{branch}"
    for line in packed.splitlines():
        if line.endswith(wanted) and _is_object_id(line[: -len(wanted)]):
            return True, line[: -len(wanted)]
    return True, None


def _is_object_id(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def is_ancestor(git: Git, commit: str, of: str = "HEAD") -> bool:
    """True when ``commit`` is ``of`` or one of its ancestors."""
    return git.run("merge-base", "--is-ancestor", commit, of, ok_codes=(0, 1)).returncode == 0


def merge_head(git: Git) -> str | None:
    """The commit an unfinished ``git merge`` in ``git.cwd`` is merging, or None."""
    done = git.run("rev-parse", "--verify", "--quiet", "MERGE_HEAD", ok_codes=(0, 1))
    return done.stdout.strip() or None


def remote_copies(git: Git, branches: list[str]) -> dict[str, str]:
    """``{branch: remote ref}`` for the branches some remote has (``origin/kitty/...``)."""
    if not branches:
        return {}
    refs = git.out("for-each-ref", "--format=%(refname:short)", "refs/remotes/").splitlines()
    found = {}
    for branch in branches:
        for ref in refs:
            if ref.endswith(f"/{branch}"):
                found[branch] = ref
                break
    return found


def merge_base(git: Git, one: str, other: str) -> str:
    """The best common ancestor of two commits (``GitError`` when they share none)."""
    return git.out("merge-base", one, other)


def changed_paths(git: Git, base: str, head: str) -> list[str]:
    """The paths ``head`` changes against ``base`` (renames as a deletion and an addition)."""
    changed = git.out("diff", "--name-only", "--no-renames", f"{base}..{head}").splitlines()
    return sorted(path for path in changed if path)


def uncommitted_changes(git: Git, *, tracked_only: bool = False) -> list[str]:
    """``git status --porcelain`` lines of ``git.cwd`` (untracked files too, unless told)."""
    untracked = ("--untracked-files=no",) if tracked_only else ()
    return git.out("status", "--porcelain", *untracked).splitlines()


def tree_entries(git: Git, treeish: str, rels: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``{path: blob sha}`` of ``rels`` in ``treeish`` (paths it lacks are left out)."""
    done = git.run("ls-tree", "-z", "--full-tree", treeish, "--", *rels, ok_codes=(0, 128))
    entries = {}
    for record in done.stdout.split("\0"):
        info, _, name = record.partition("\t")
        if name:
            entries[name] = info.split()[2]
    return entries


def hash_files(git: Git, rels: list[str]) -> list[str]:
    """The blob sha of each file as it is in the checkout ("" for a missing one)."""
    present = [rel for rel in rels if (git.cwd / rel).is_file()]
    hashed = git.out("hash-object", "--", *present).split() if present else []
    shas = dict(zip(present, hashed, strict=True))
    return [shas.get(rel, "") for rel in rels]


def differing_from(git: Git, treeish: str, rels: list[str]) -> list[str]:
    """The files among ``rels`` whose content in the checkout is not what ``treeish`` holds."""
    if not rels:
        return []
    committed = tree_entries(git, treeish, rels)
    hashed = hash_files(git, rels)
    return [rel for rel, sha in zip(rels, hashed, strict=True) if committed.get(rel) != sha]
