"""An exclusive lock on a file, across processes and threads: ``flock(2)`` on POSIX.

spec-kitty 3.x locks a mission's status with filelock, which on POSIX is an exclusive
``flock`` of the same file, so this lock and 3.x's exclude each other. Importing filelock
cost a write command ~12 ms (it loads logging, secrets, hmac, OpenSSL and more) for a
dozen lines of ``fcntl``; Windows, which has no ``flock``, still uses filelock.

Each thread holds its own open file description, so two threads of one process exclude each
other as two processes do, and a thread may nest acquisitions of one :class:`FileLock`
(released when the outermost one is). A lock file removed while it was being acquired is
acquired again, so a holder never holds a file nobody else can open.
"""

from __future__ import annotations

import os
import sys
import threading
import time

__all__ = ["FileLock", "LockTimeout"]

_POLL = 0.05


class LockTimeout(TimeoutError):
    """The lock was not acquired within the timeout."""


if sys.platform == "win32":  # pragma: no cover - no flock here
    from filelock import FileLock as _Windows
    from filelock import Timeout as _WindowsTimeout

    class FileLock:
        def __init__(self, path: str | os.PathLike[str]) -> None:
            self._lock = _Windows(os.fspath(path))

        def acquire(self, timeout: float) -> None:
            try:
                self._lock.acquire(timeout=timeout)
            except _WindowsTimeout:
                raise LockTimeout(os.fspath(self._lock.lock_file)) from None

        def release(self) -> None:
            self._lock.release()

else:
    import fcntl

    class FileLock:
        """``flock`` of ``path`` (created 0644 when missing, never removed)."""

        def __init__(self, path: str | os.PathLike[str]) -> None:
            self.path = os.fspath(path)
            self._held = threading.local()

        def acquire(self, timeout: float) -> None:
            """Take the lock, waiting at most ``timeout`` seconds (``LockTimeout``)."""
            depth = getattr(self._held, "depth", 0)
            if depth:
                self._held.depth = depth + 1
                return
            deadline = time.monotonic() + timeout
            while True:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise LockTimeout(self.path) from None
                    time.sleep(min(_POLL, left))
                    continue
                except BaseException:
                    os.close(fd)
                    raise
                if os.fstat(fd).st_nlink == 0:  # removed meanwhile: lock the new one
                    os.close(fd)
                    continue
                self._held.fd, self._held.depth = fd, 1
                return

        def release(self) -> None:
            """Give the lock back (the outermost release of a nested one lets go)."""
            depth = getattr(self._held, "depth", 0)
            if depth > 1:
                self._held.depth = depth - 1
                return
            if depth == 1:
                fd = self._held.fd
                self._held.depth, self._held.fd = 0, None
                try:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                finally:
                    os.close(fd)
