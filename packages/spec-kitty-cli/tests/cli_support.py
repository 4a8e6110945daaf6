"""Run ``spec-kitty`` as a user does: a real process, real git, no global git config."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ENV = {
    **os.environ,
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "COLUMNS": "200",
}
ENV.pop("SPEC_KITTY_ACTOR", None)

TASKS_MD = """# Tasks

## Work Package WP01: Core model

**Requirement Refs**: FR-001
**Owned Files**: src/core.py

- [ ] T001 write the model

## Work Package WP02: Board view

Depends on WP01
**Owned Files**: src/board.py

- [ ] T002 render the board

### WP03 - Guide

**Owned Files**: docs/guide.md
"""


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def cli(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "spec_kitty_cli", *args],
        cwd=cwd,
        env=ENV,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def ok_json(cwd: Path, *args: str, stdin: str | None = None) -> dict[str, Any]:
    """Run with ``--json``; assert success and exactly one JSON document on stdout."""
    done = cli(cwd, *args, "--json", stdin=stdin)
    assert done.returncode == 0, f"{args}: {done.stdout}{done.stderr}"
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (git's own directory excluded)."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def make_repo(root: Path) -> Path:
    """A git repository on ``main`` with one commit (src/app.py)."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("print('hi')\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    return root


def commit_work(workspace: Path, name: str, text: str) -> None:
    """What an agent does in its workspace: write a file and commit it."""
    path = workspace / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    git(workspace, "add", name)
    git(workspace, "commit", "-q", "-m", f"work: {name}")


def sk(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``spec-kitty ARGS`` with a private ``SPEC_KITTY_HOME`` (daemon state, outbox)."""
    return subprocess.run(
        [sys.executable, "-m", "spec_kitty_cli", *args],
        cwd=cwd,
        env={**ENV, "SPEC_KITTY_HOME": str(home)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def sk_json(cwd: Path, home: Path, *args: str) -> dict[str, Any]:
    """:func:`sk` with ``--json``: success and exactly one JSON document."""
    done = sk(cwd, home, *args, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not)."""
    try:
        state = Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0]
    except (OSError, IndexError):
        return False
    return "zombie" not in state.lower()


def daemons(home: Path, module: str) -> list[int]:
    """Live processes running ``module`` whose command line names the state root ``home``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if module.encode() in argv and str(home).encode() in argv and alive(int(entry.name)):
            found.append(int(entry.name))
    return found
