"""The one lock-with-timeout of the packages above mission-status, and the locks built on it.

Every lock file lives in ``<git common dir>/spec-kitty-locks/`` (beside mission-status's
event-log locks), so all worktrees of a repository share them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from urllib.parse import quote

from mission_status import LOCK_DIRNAME, FileLock, LockTimeout

from ._errors import ContextError


@contextmanager
def held_lock(
    common_dir: Path,
    name: str,
    *,
    timeout: float,
    code: str,
    message: str | None = None,
    next_step: str = "wait for the other spec-kitty command to finish, then retry",
) -> Iterator[None]:
    """Hold ``<common dir>/spec-kitty-locks/<name>`` across processes and worktrees.

    The one lock-with-timeout of the packages above mission-status (whose event-log
    locks live in the same folder). Raises :class:`ContextError` with ``code``
    (and ``message``, ``next_step``) when another process holds it for ``timeout`` s.
    """
    path = common_dir / LOCK_DIRNAME / name
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path)
    try:
        lock.acquire(timeout=timeout)
    except LockTimeout:
        raise ContextError(
            message or f"another command has held {path} for {timeout:g}s",
            code=code,
            next_step=next_step,
        ) from None
    try:
        yield
    finally:
        lock.release()


def branch_lock(
    common_dir: Path, branch: str, *, timeout: float = 60.0
) -> AbstractContextManager[None]:
    """The lock that serialises every commit to ``branch`` (``COMMIT_LOCK_TIMEOUT``)."""
    name = f"branch-{quote(branch, safe='')}.lock"
    return held_lock(common_dir, name, timeout=timeout, code="COMMIT_LOCK_TIMEOUT")
