"""The one way mission-context runs git: argument lists, structured errors.

Everything that can be read from files is read from files (see ``_worktrees``);
this runner is for what cannot: creating worktrees, hashing objects, moving
refs. Commands never go through a shell, inherit the caller's environment
minus the variables that would point git at another repository, and fail with
a :class:`GitError` carrying the command line and git's stderr.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

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
        command = ("git", "-C", str(self.cwd), *args)
        if self._env is None:
            self._env = git_environment(self._base_env)
        env = self._env if extra_env is None else {**self._env, **extra_env}
        try:
            done = subprocess.run(
                command,
                env=env,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                check=False,
            )
        except OSError as exc:  # git itself is missing or not executable
            raise GitError(command, 127, str(exc), next_step="install git") from None
        if done.returncode not in ok_codes:
            raise GitError(command, done.returncode, done.stderr, next_step=next_step)
        return done

    def out(self, *args: str, extra_env: Mapping[str, str] | None = None) -> str:
        """stdout of a successful command, without the trailing newline."""
        return self.run(*args, extra_env=extra_env).stdout.rstrip("\n")

    def blobs(self, specs: list[str]) -> list[bytes | None]:
        """The bytes of each object spec (``<rev>:<path>``), None for one that does not exist.

        One ``git cat-file --batch`` for all of them, read as bytes (never decoded).
        """
        command = ("git", "-C", str(self.cwd), "cat-file", "--batch")
        if self._env is None:
            self._env = git_environment(self._base_env)
        request = "".join(f"{spec}\n" for spec in specs).encode("utf-8")
        try:
            done = subprocess.run(
                command, env=self._env, input=request, capture_output=True, check=False
            )
        except OSError as exc:
            raise GitError(command, 127, str(exc), next_step="install git") from None
        if done.returncode != 0:
            stderr = done.stderr.decode("utf-8", "replace")
            raise GitError(command, done.returncode, stderr, next_step="check the repository")
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
