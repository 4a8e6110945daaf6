"""The file primitives of this package: directory fsync, atomic replace, JSON lines, a lock.

JSON lines (the outbox's journal and ledger, the ``jsonl`` sink) are appended through
``O_APPEND`` in one ``write`` followed by ``fsync``; a torn last line (a crash mid-append) is
ignored on read, and the next append starts on a fresh line so the torn bytes never corrupt a
later record. Whole files (the owner record) are replaced by rename, fsynced first.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import filelock

from ._errors import ServiceError


@contextlib.contextmanager
def held(lock: filelock.FileLock, *, code: str, next_step: str) -> Iterator[None]:
    """Hold ``lock`` (within its own timeout), or raise :class:`ServiceError` with ``code``."""
    try:
        lock.acquire()
    except filelock.Timeout:
        raise ServiceError(
            f"could not lock {lock.lock_file} within {lock.timeout:g}s",
            code=code,
            next_step=next_step,
        ) from None
    try:
        yield
    finally:
        lock.release()


def fsync_dir(directory: Path) -> None:
    """Make a file created or renamed in ``directory`` durable, where the platform allows it."""
    if os.name != "posix":  # pragma: no cover - daemons are POSIX-only
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, *, mode: int) -> None:
    """Replace ``path`` with ``data`` (file mode ``mode``): written and fsynced, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def encode_json_line(record: Mapping[str, Any]) -> bytes:
    """One compact JSON line (sorted keys, trailing newline) for ``record``."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def append_json_lines(path: Path, records: Iterable[Mapping[str, Any]]) -> None:
    """Append ``records`` to ``path`` as JSON lines in one ``O_APPEND`` write, then fsync.

    When the file does not end with a newline (a torn earlier append), a newline is written
    first so the new records start on lines of their own. Serialisation happens before the file
    is opened, so an unserialisable record writes nothing.
    """
    data = b"".join(encode_json_line(record) for record in records)
    if not data:
        return
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        if _ends_without_newline(fd):
            data = b"\n" + data
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        fsync_dir(path.parent)


def read_json_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON objects stored one per line in ``path`` (missing file: none).

    Lines that are not a complete JSON object (a torn append, or garbage) are skipped. An
    unterminated last line counts only when it parses as a whole object, which is exactly how
    it will read once the next append terminates it.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    return list(parse_json_lines(raw))


def parse_json_lines(raw: bytes) -> Iterator[dict[str, Any]]:
    """The complete JSON objects among the lines of ``raw`` (see :func:`read_json_lines`)."""
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(value, dict):
            yield value


def _ends_without_newline(fd: int) -> bool:
    size = os.fstat(fd).st_size
    if size == 0:
        return False
    os.lseek(fd, size - 1, os.SEEK_SET)
    return os.read(fd, 1) != b"\n"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
