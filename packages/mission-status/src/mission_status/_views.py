"""Views of the log: the pure snapshot, ``status.json``, and a live tail-following view.

``materialize_snapshot`` never writes. ``materialize`` writes ``status.json``
atomically, skips byte-identical writes and refuses during a git operation.
``materialize_if_stale`` does the same work only when the log changed since
the last write, and silently defers during a git operation.
"""

from __future__ import annotations

import binascii
import json
import os
from pathlib import Path

import msgspec

from ._errors import EventLogError
from ._fsutil import write_atomic
from ._git import find_git_dirs, git_operation_error, git_operation_marker
from ._log import EventLog, LogScan
from ._meta import mission_number_text, mission_type_text, read_meta
from ._reducer import Reducer, reduce_records
from ._snapshot import StatusSnapshot, render_status_json

STATUS_FILENAME = "status.json"
_CACHE_DIRNAME = "spec-kitty-cache"


class MaterializeResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a materialization did: ``written`` is False when nothing changed on disk.

    ``reason`` says why nothing was written (``up-to-date``, ``git-operation-in-progress``).
    ``snapshot`` is None only when deferring during a git operation and the log
    itself cannot be read (a conflicted merge leaves markers in it).
    """

    snapshot: StatusSnapshot | None
    path: Path
    written: bool
    reason: str | None = None


def _identity(mission_dir: Path) -> tuple[str, str]:
    meta = read_meta(mission_dir) or {}
    return mission_number_text(meta.get("mission_number")), mission_type_text(
        meta.get("mission_type")
    )


def reduce_log(log: EventLog) -> tuple[Reducer, LogScan]:
    """Fold the whole log: one streaming pass when it is in order, else a sorted re-read."""
    scan = log.scan()
    reducer = Reducer()
    if all(reducer.feed_groups(groups) for groups in scan.groups()):
        return reducer, scan
    scan = log.scan()
    return reduce_records(scan), scan


def materialize_snapshot(mission_dir: Path) -> StatusSnapshot:
    """The snapshot of ``mission_dir``'s event log. Pure: reads, never writes.

    Raises :class:`EventLogError` for an unreadable log and
    :class:`MissionMetaError` for a corrupt ``meta.json``.
    """
    mission_dir = Path(mission_dir)
    number, mission_type = _identity(mission_dir)
    reducer, _ = reduce_log(EventLog(mission_dir))
    return reducer.snapshot(mission_number=number, mission_type=mission_type)


def write_if_changed(path: Path, text: str) -> bool:
    """Durably replace ``path`` with ``text`` unless it already holds exactly that."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, data)
    return True


def write_view(mission_dir: Path, snapshot: StatusSnapshot, log: EventLog) -> bool:
    """Write ``status.json`` for ``snapshot`` (if its bytes changed) and stamp it fresh.

    The caller holds the mission's lock and has checked for git operations.
    """
    path = mission_dir / STATUS_FILENAME
    written = write_if_changed(path, render_status_json(snapshot))
    _StalenessStamp.for_mission(mission_dir).record(log, path)
    return written


def materialize(mission_dir: Path) -> MaterializeResult:
    """Write ``status.json`` from the log (atomic; skipped when byte-identical).

    Raises :class:`GitOperationInProgressError` while a rebase, merge,
    cherry-pick, revert or bisect is in progress in this checkout.
    """
    mission_dir = Path(mission_dir)
    log = EventLog(mission_dir)
    with log.lock():
        _refuse_during_git_operation(mission_dir)
        snapshot = materialize_snapshot(mission_dir)
        written = write_view(mission_dir, snapshot, log)
    path = mission_dir / STATUS_FILENAME
    return MaterializeResult(
        snapshot=snapshot, path=path, written=written, reason=None if written else "up-to-date"
    )


def materialize_if_stale(mission_dir: Path) -> MaterializeResult:
    """Refresh ``status.json`` only if the log changed since it was last written.

    Staleness is keyed on the log file's identity (device, inode, size, mtime)
    and the canonical mission id, never on the caller's working directory, so
    the same mission seen from two checkouts is not falsely stale. During a git
    operation nothing is written (``reason="git-operation-in-progress"``).
    """
    mission_dir = Path(mission_dir)
    log = EventLog(mission_dir)
    path = mission_dir / STATUS_FILENAME
    stamp = _StalenessStamp.for_mission(mission_dir)
    fresh = stamp.fresh_snapshot(log, path)
    if fresh is not None:
        return MaterializeResult(snapshot=fresh, path=path, written=False, reason="up-to-date")
    if git_operation_marker(mission_dir) is not None:
        return _deferred(mission_dir, path)
    with log.lock():
        if git_operation_marker(mission_dir) is not None:
            return _deferred(mission_dir, path)
        snapshot = materialize_snapshot(mission_dir)
        written = write_view(mission_dir, snapshot, log)
    return MaterializeResult(
        snapshot=snapshot, path=path, written=written, reason=None if written else "up-to-date"
    )


def _deferred(mission_dir: Path, path: Path) -> MaterializeResult:
    """Nothing is written during a git operation; the log may even hold conflict markers."""
    try:
        snapshot: StatusSnapshot | None = materialize_snapshot(mission_dir)
    except EventLogError:
        snapshot = None
    return MaterializeResult(
        snapshot=snapshot, path=path, written=False, reason="git-operation-in-progress"
    )


def _refuse_during_git_operation(mission_dir: Path) -> None:
    marker = git_operation_marker(mission_dir)
    if marker is not None:
        raise git_operation_error(marker, refused=f"not writing {mission_dir / STATUS_FILENAME}")


def _log_identity(log: EventLog) -> list[int] | None:
    try:
        st = os.lstat(log.path)
    except FileNotFoundError:
        return None
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]


class _StalenessStamp:
    """``<git common dir>/spec-kitty-cache/status/<key>.json``: what status.json was made from.

    The stamp is for one mission (its id from meta.json, else the directory name) at one
    real path, so any spelling of the same directory finds it; the key is a CRC of the two
    and the stamp repeats them, so two missions whose keys collide only miss. It holds the
    log's identity and status.json's exact text: fresh means both are as they were (no
    hashing, which would load OpenSSL for every command that writes status). Outside git
    there is no stamp and every call re-reduces (still writing only on change).
    """

    def __init__(self, path: Path | None, owner: list[str] | None = None) -> None:
        self.path = path
        self.owner = owner

    @classmethod
    def for_mission(cls, mission_dir: Path) -> _StalenessStamp:
        dirs = find_git_dirs(mission_dir)
        if dirs is None:
            return cls(None)
        real = os.path.realpath(mission_dir)
        meta = read_meta(mission_dir) or {}
        mission_id = meta.get("mission_id") or os.path.basename(real)
        owner = [str(mission_id), real]
        key = binascii.crc32("\0".join(owner).encode("utf-8", "surrogateescape"))
        return cls(dirs.common_dir / _CACHE_DIRNAME / "status" / f"{key:08x}.json", owner)

    def fresh_snapshot(self, log: EventLog, status_path: Path) -> StatusSnapshot | None:
        if self.path is None:
            return None
        try:
            stamp = json.loads(self.path.read_bytes())
            status = status_path.read_bytes()
        except (OSError, ValueError):
            return None
        if not isinstance(stamp, dict) or stamp.get("owner") != self.owner:
            return None
        text = _text(status)
        if text is None or stamp.get("status") != text or stamp.get("log") != _log_identity(log):
            return None
        try:
            return msgspec.json.decode(status, type=StatusSnapshot)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None

    def record(self, log: EventLog, status_path: Path) -> None:
        if self.path is None:
            return
        try:
            status = _text(status_path.read_bytes())
            if status is None:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            stamp = {"owner": self.owner, "log": _log_identity(log), "status": status}
            write_if_changed(self.path, json.dumps(stamp))
        except OSError:
            pass  # the stamp is only an optimisation


class LiveView:
    """A snapshot that follows the log: each refresh folds only the new tail.

    Falls back to a full reduce when the file was replaced or rewritten, or when
    the tail holds a record that sorts before what was already folded.
    """

    _FINGERPRINT = 64

    def __init__(self, mission_dir: Path, *, log: EventLog | None = None) -> None:
        self.mission_dir = Path(mission_dir)
        self.log = log if log is not None else EventLog(self.mission_dir)
        self._reducer: Reducer | None = None
        self._end = 0
        self._next_line = 1
        self._file_id: tuple[int, int] | None = None
        self._fingerprint = b""
        self.full_reduces = 0
        self.tail_refreshes = 0

    def snapshot(self) -> StatusSnapshot:
        """The current snapshot (reads only what was appended since the last call)."""
        reducer = self._refresh()
        number, mission_type = _identity(self.mission_dir)
        return reducer.snapshot(mission_number=number, mission_type=mission_type)

    def _refresh(self) -> Reducer:
        try:
            st = os.lstat(self.log.path)
            file_id: tuple[int, int] | None = (st.st_dev, st.st_ino)
            size = st.st_size
        except FileNotFoundError:
            file_id, size = None, 0
        appended = (
            self._reducer is not None
            and file_id == self._file_id
            and size >= self._end
            and self._tail_intact()
        )
        if appended and self._reducer is not None:
            if size == self._end:
                return self._reducer
            scan = self.log.scan(start=self._end, start_line=self._next_line)
            if all(self._reducer.feed_groups(groups) for groups in scan.groups()):
                self.tail_refreshes += 1
                return self._remember(self._reducer, scan, file_id)
        reducer, scan = reduce_log(self.log)
        self.full_reduces += 1
        return self._remember(reducer, scan, file_id)

    def _remember(
        self, reducer: Reducer, scan: LogScan, file_id: tuple[int, int] | None
    ) -> Reducer:
        self._reducer, self._end, self._next_line = reducer, scan.end_offset, scan.next_line
        self._file_id = file_id
        self._fingerprint = self._read_fingerprint()
        return reducer

    def _read_fingerprint(self) -> bytes:
        start = max(0, self._end - self._FINGERPRINT)
        try:
            with open(self.log.path, "rb") as handle:
                handle.seek(start)
                return handle.read(self._end - start)
        except FileNotFoundError:
            return b""

    def _tail_intact(self) -> bool:
        return self._read_fingerprint() == self._fingerprint


def _text(data: bytes) -> str | None:
    """``data`` as UTF-8 text (None when it is not)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
