"""The one test-support plugin of every suite: real git, the CLI as a process, shared fixtures.

Loaded for every test by the repository's ``conftest.py`` (``pytest_plugins``); importable as
``kitty_testing`` because the root pyproject puts ``tests/support`` on pytest's ``pythonpath``.
It imports none of our packages at module level, so each distribution's suite can use it with
only that distribution installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

#: The environment the CLI and git run with: no global or system git config, a fixed identity.
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


def isolated_git_env(home: Path) -> dict[str, str]:
    """A minimal environment for git that keeps the user's and the system's config out."""
    home.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e",
        "GIT_EDITOR": "true",
        "GIT_SEQUENCE_EDITOR": "true",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ADVICE": "0",
        "LC_ALL": "C",
    }


def run_git(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """``git ARGS`` in ``cwd`` (default environment :data:`ENV`); with ``check``, a failure
    fails the test with git's output."""
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=dict(ENV if env is None else env),
        capture_output=True,
        text=True,
        check=False,
    )
    if check and done.returncode != 0:
        pytest.fail(f"git {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done


def git(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """The output (stripped) of a git command that must succeed."""
    return run_git(cwd, *args, env=env, check=True).stdout.strip()


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


@pytest.fixture(autouse=True, scope="session")
def _private_state_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The caches and state every command keeps under ``$SPEC_KITTY_HOME`` (the read cache,
    the YAML memo) go to the session's temporary directory, never the user's
    ``~/.spec-kitty``: for the CLI run as a process (:data:`ENV`) and in this process."""
    home = tmp_path_factory.mktemp("spec-kitty-home")
    saved = os.environ.get("SPEC_KITTY_HOME")
    ENV["SPEC_KITTY_HOME"] = os.environ["SPEC_KITTY_HOME"] = str(home)
    yield home
    ENV.pop("SPEC_KITTY_HOME", None)
    if saved is None:
        os.environ.pop("SPEC_KITTY_HOME", None)
    else:
        os.environ["SPEC_KITTY_HOME"] = saved


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository on ``main`` with one commit (src/app.py)."""
    return make_repo(tmp_path / "repo")


@pytest.fixture
def git_env(tmp_path: Path) -> dict[str, str]:
    """See :func:`isolated_git_env` (a private HOME under the test's tmp_path)."""
    return isolated_git_env(tmp_path / "home")


# -- the command lines of agent files -----------------------------------------------------

_INLINE = re.compile(r"`(spec-kitty [^`]+)`")


def markdown_lines(text: str) -> list[str]:
    """The ``spec-kitty`` lines of Markdown: in fenced blocks (a line ending in ``\\`` joined
    with the next), and inline code spans outside."""
    found: list[str] = []
    fence: str | None = None
    continued: str | None = None
    for raw in text.splitlines():
        stripped = raw.strip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            continue
        if fence is not None:
            if stripped.startswith(fence) and not stripped[3:].strip():
                fence = None
            elif continued is not None:  # a line ending in `\` goes on on the next one
                continued = f"{continued} {stripped}"
            elif stripped.startswith("spec-kitty "):
                continued = stripped
            if continued is not None and not continued.endswith("\\"):
                found.append(continued)
                continued = None
            elif continued is not None:
                continued = continued[:-1].rstrip()
            continue
        found.extend(" ".join(span.split()) for span in _INLINE.findall(raw))
    assert fence is None, "an unclosed code fence"
    return found


def file_lines(path: str, text: str) -> list[str]:
    """The ``spec-kitty`` lines of one generated file, by its format."""
    if not path.endswith(".toml"):
        return markdown_lines(text)
    document = tomllib.loads(text)
    assert isinstance(document.get("prompt"), str), f"{path} has no prompt string"
    # The comment lines before the first key (the file's note) are read by people, too.
    head = []
    for raw in text.splitlines():
        if not raw.startswith("#"):
            break
        head.append(raw)
    return markdown_lines("\n".join(head)) + markdown_lines(document["prompt"])
