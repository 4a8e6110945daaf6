"""Preparing a repository for missions: config, merge drivers, ignored worktrees.

Idempotent: every file is only added to (a missing line, a missing file), never
rewritten, and a second run changes and commits nothing.

Two merge drivers keep concurrent status from conflicting when branches or
clones meet: the event log's union (``spec-kitty-events``) and ``status.json``
recomputed from the merged log (``spec-kitty-status``). ``.gitattributes``
travels with the repository, the driver definitions are local git config: a
fresh clone gets them from :func:`ensure_merge_drivers`, which every status
write calls.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path

import msgspec

from mission_status import find_git_dirs

from ._commit import CommitResult, commit_to
from ._context import SPECS_DIRNAME, WORKTREES_DIRNAME, CommitTarget
from ._git import Git
from ._refs import Refs

#: The git merge driver that unions event logs (``.gitattributes`` names it).
MERGE_DRIVER = "spec-kitty-events"
#: The git merge driver that recomputes ``status.json`` from the merged log.
STATUS_MERGE_DRIVER = "spec-kitty-status"
_ATTRIBUTES = (
    f"{SPECS_DIRNAME}/**/status.events.jsonl merge={MERGE_DRIVER}",
    f"{SPECS_DIRNAME}/**/status.json merge={STATUS_MERGE_DRIVER}",
)


def driver_commands(python: str | None = None) -> dict[str, tuple[str, str]]:
    """``{driver: (name, command)}`` for this interpreter (or ``python``)."""
    exe = shlex.quote(python or sys.executable)
    return {
        MERGE_DRIVER: (
            "spec-kitty event log union",
            f"{exe} -m mission_status.merge_driver %O %A %B",
        ),
        STATUS_MERGE_DRIVER: (
            "spec-kitty status.json from the merged log",
            f"{exe} -m mission_context.status_merge_driver %O %A %B %P",
        ),
    }


CONFIG_PATH = ".kittify/config.yaml"
_CONFIG_TEMPLATE = """\
# spec-kitty project configuration (https://github.com/spec-kitty).
version: 1
sync:
  # Queue every status transition to the sync daemon's outbox.
  enabled: false
"""


class InitResult(msgspec.Struct, frozen=True):
    """What :func:`init_repository` did.

    ``changed`` lists the files written (relative to ``root``); ``commit`` is None
    when nothing new was committed (already initialised, or a detached HEAD).
    """

    root: Path
    created_repository: bool
    changed: tuple[str, ...]
    driver_configured: bool
    commit: CommitResult | None
    branch: str | None


def init_repository(path: Path | str, *, env: Mapping[str, str] | None = None) -> InitResult:
    """Prepare the repository holding ``path`` (``git init`` it when there is none).

    Writes ``.kittify/config.yaml`` when missing, adds the two merge drivers to
    ``.gitattributes`` and to the local git config (run by this interpreter),
    lists ``.worktrees/`` in ``.gitignore``, and commits the files it changed to
    the branch checked out.
    """
    where = Path(os.path.abspath(path))
    where.mkdir(parents=True, exist_ok=True)
    dirs = find_git_dirs(where)
    created = dirs is None
    if dirs is None:
        Git(where, env).run("init", "--quiet")
        dirs = find_git_dirs(where)
        assert dirs is not None  # git init just made it
    root = dirs.primary_root
    wrote = {
        CONFIG_PATH: _write_if_missing(root / CONFIG_PATH, _CONFIG_TEMPLATE),
        ".gitattributes": _add_lines(root / ".gitattributes", _ATTRIBUTES),
        ".gitignore": _add_lines(root / ".gitignore", (f"{WORKTREES_DIRNAME}/",)),
    }
    changed = [name for name, written in wrote.items() if written]
    git = Git(root, env)
    driver_changed = _configure_drivers(git, dirs.common_dir)
    branch = Refs(root, dirs.common_dir, env).worktrees()[0].branch
    # What this run wrote, and what an earlier, interrupted run wrote but never committed
    # (a file the user already committed and then edited is theirs: never swept in).
    uncommitted = _untracked(git, list(wrote))
    to_commit = sorted(set(changed) | uncommitted)
    commit = None
    if to_commit and branch is not None:
        target = CommitTarget(branch, "target")
        paths = [root / name for name in to_commit]
        commit = commit_to(target, paths, "spec-kitty init", cwd=root, env=env)
    return InitResult(
        root=root,
        created_repository=created,
        changed=tuple(changed),
        driver_configured=driver_changed,
        commit=commit,
        branch=branch,
    )


def _untracked(git: Git, names: list[str]) -> set[str]:
    """Those of ``names`` that exist but are not in git's index."""
    existing = [name for name in names if (git.cwd / name).is_file()]
    if not existing:
        return set()
    tracked = git.out("ls-files", "--", *existing).splitlines()
    return set(existing) - set(tracked)


def _write_if_missing(path: Path, text: str) -> bool:
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def _add_lines(path: Path, lines: tuple[str, ...]) -> bool:
    """Append those of ``lines`` that ``path`` lacks; True when it changed."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    present = {existing.strip() for existing in text.splitlines()}
    missing = [line for line in lines if line not in present]
    if not missing:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    separator = "" if not text or text.endswith("\n") else "\n"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(separator + "".join(f"{line}\n" for line in missing))
    return True


def _configured_drivers(common_dir: Path) -> set[str]:
    """The merge drivers the local config defines a command for (read from the file)."""
    try:
        text = (common_dir / "config").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return set()
    found, section = set(), None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            head = line.strip("[]").strip()
            kind, _, name = head.partition(" ")
            section = name.strip('"') if kind.lower() == "merge" else None
        elif section is not None and line.split("=", 1)[0].strip().lower() == "driver":
            found.add(section)
    return found


def missing_merge_drivers(common_dir: Path) -> list[str]:
    """The merge drivers this repository's local config does not define (a fresh clone's)."""
    have = _configured_drivers(common_dir)
    return [driver for driver in driver_commands() if driver not in have]


def _configure_drivers(git: Git, common_dir: Path) -> bool:
    """Define the merge drivers this repository's config lacks; True when it changed."""
    missing = missing_merge_drivers(common_dir)
    for driver in missing:
        name, command = driver_commands()[driver]
        git.run("config", "--local", f"merge.{driver}.name", name)
        git.run("config", "--local", f"merge.{driver}.driver", command)
    return bool(missing)


def ensure_merge_drivers(
    primary_root: Path, common_dir: Path, env: Mapping[str, str] | None = None
) -> bool:
    """Make merges of status conflict-free in this clone; True when anything was set up.

    Defines the drivers in the local config when it lacks them (a fresh clone),
    and maps the status files to them in ``info/attributes`` (local, untracked)
    when the checked-out ``.gitattributes`` does not. An existing definition is
    kept as it is. Costs no subprocess when everything is in place.
    """
    changed = _configure_drivers(Git(primary_root, env), common_dir)
    try:
        tracked = (primary_root / ".gitattributes").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        tracked = ""
    present = {line.strip() for line in tracked.splitlines()}
    wanted = tuple(line for line in _ATTRIBUTES if line not in present)
    if wanted:
        changed |= _add_lines(common_dir / "info" / "attributes", wanted)
    return changed
