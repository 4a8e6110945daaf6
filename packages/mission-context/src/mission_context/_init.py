"""Preparing a repository for missions: config, merge driver, ignored worktrees.

Idempotent: every file is only added to (a missing line, a missing file), never
rewritten, and a second run changes and commits nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ._commit import CommitResult, commit_to
from ._context import SPECS_DIRNAME, WORKTREES_DIRNAME, CommitTarget
from ._gitcmd import Git
from ._worktrees import Refs

#: The git merge driver that unions event logs (``.gitattributes`` names it).
MERGE_DRIVER = "spec-kitty-events"
CONFIG_PATH = ".kittify/config.yaml"
_CONFIG_TEMPLATE = """\
# spec-kitty project configuration (https://github.com/spec-kitty).
version: 1
sync:
  # Queue every status transition to the sync daemon's outbox.
  enabled: false
"""


@dataclass(frozen=True, slots=True)
class InitResult:
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


def init_repository(
    path: Path | str, *, driver_command: str, env: Mapping[str, str] | None = None
) -> InitResult:
    """Prepare the repository holding ``path`` (``git init`` it when there is none).

    Writes ``.kittify/config.yaml`` when missing, adds the event-log merge driver
    to ``.gitattributes`` and to the local git config (``driver_command``, e.g.
    ``python -m mission_status.merge_driver %O %A %B``), lists ``.worktrees/`` in
    ``.gitignore``, and commits the files it changed to the branch checked out.
    """
    from mission_status import find_git_dirs

    where = Path(os.path.abspath(path))
    where.mkdir(parents=True, exist_ok=True)
    dirs = find_git_dirs(where)
    created = dirs is None
    if dirs is None:
        Git(where, env).run("init", "--quiet")
        dirs = find_git_dirs(where)
        assert dirs is not None  # git init just made it
    root = dirs.primary_root
    changed = [
        name
        for name, wrote in (
            (CONFIG_PATH, _write_if_missing(root / CONFIG_PATH, _CONFIG_TEMPLATE)),
            (
                ".gitattributes",
                _add_line(
                    root / ".gitattributes",
                    f"{SPECS_DIRNAME}/**/status.events.jsonl merge={MERGE_DRIVER}",
                ),
            ),
            (".gitignore", _add_line(root / ".gitignore", f"{WORKTREES_DIRNAME}/")),
        )
        if wrote
    ]
    git = Git(root, env)
    driver_changed = _configure_driver(git, driver_command)
    branch = Refs(root, dirs.common_dir, env).worktrees()[0].branch
    # What this run wrote, and what an earlier, interrupted run wrote but never committed
    # (a file the user already committed and then edited is theirs: never swept in).
    uncommitted = _untracked(git, [CONFIG_PATH, ".gitattributes", ".gitignore"])
    to_commit = sorted(set(changed) | uncommitted)
    commit = None
    if to_commit and branch is not None:
        commit = commit_to(
            CommitTarget(branch, "target"),
            [root / name for name in to_commit],
            "spec-kitty init",
            cwd=root,
            env=env,
        )
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


def _add_line(path: Path, line: str) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    if line in (existing.strip() for existing in text.splitlines()):
        return False
    separator = "" if not text or text.endswith("\n") else "\n"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"{separator}{line}\n")
    return True


def _configure_driver(git: Git, command: str) -> bool:
    """Set the merge driver in the local config; True when it changed."""
    key = f"merge.{MERGE_DRIVER}"
    current = git.run("config", "--local", "--get", f"{key}.driver", ok_codes=(0, 1)).stdout
    if current.strip() == command:
        return False
    git.run("config", "--local", f"{key}.name", "spec-kitty event log union")
    git.run("config", "--local", f"{key}.driver", command)
    return True
