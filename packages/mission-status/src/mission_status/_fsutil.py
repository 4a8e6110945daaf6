"""The one durable replace-by-rename write of this package.

A file that is replaced (``status.json``, the merge driver's output, a cache
stamp) is written to a temporary file in the same directory, flushed and
fsynced, renamed over the old file, and the directory is fsynced, so a crash
or power loss leaves either the old bytes or the new ones, never a torn file
or a rename the filesystem forgot.
"""

from __future__ import annotations

import os
from pathlib import Path

#: New files get the mode a plain ``open()`` would give them (0666 minus the umask),
#: as git and spec-kitty 3.2.7 write tracked files; a replaced file keeps its mode.
_NEW_FILE_MODE = 0o666


def fsync_dir(directory: Path) -> None:
    """Make a directory's entries (a new name, a rename) durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, *, new_mode: int = _NEW_FILE_MODE) -> None:
    """Replace ``path`` with ``data`` durably (temp file, fsync, rename, fsync the directory).

    An existing file keeps its mode; a new one gets ``new_mode`` (less the umask).
    """
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, new_mode)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if mode is not None:
                os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
