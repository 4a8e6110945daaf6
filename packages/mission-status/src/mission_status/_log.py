"""``EventLog``: the append-only ``status.events.jsonl`` of one mission directory.

Reads stream line by line (bounded memory, line-numbered typed errors). Appends
take a per-mission file lock that every worktree of the repository shares (it
lives in the git common dir), write with ``O_APPEND`` and ``fsync``, and never
rewrite existing lines.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from ._bulk import RETROSPECTIVE_TYPES as _RETROSPECTIVE_TYPES
from ._bulk import ULID as _ULID
from ._bulk import RecordGroups, decode_block
from ._errors import EventLogError, MissionStatusError
from ._events import Annotation, StatusEvent, encode_line
from ._fsutil import fsync_dir
from ._git import find_git_dirs

LOG_FILENAME = "status.events.jsonl"
LOCK_DIRNAME = "spec-kitty-locks"

_EVENT_DECODER = msgspec.json.Decoder(StatusEvent)
_ANY_DECODER = msgspec.json.Decoder()
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class ForeignRow:
    """A row that shares the log but is not about lanes (kept in the file, ignored here).

    ``record`` is kept only for ``retrospective.*`` rows, which feed the
    snapshot's ``retrospective`` section.
    """

    record: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class TornLine:
    """An unterminated final line that does not parse: a crash mid-append."""

    line: int
    offset: int
    length: int


LogRecord = StatusEvent | Annotation | ForeignRow


class _Probe(msgspec.Struct):
    """Only the keys that decide what a row is; msgspec skips everything else cheaply."""

    kind: Any = msgspec.UNSET
    event_type: Any = msgspec.UNSET
    type: Any = msgspec.UNSET
    event_name: Any = msgspec.UNSET
    feature_slug: Any = msgspec.UNSET


_PROBE_DECODER = msgspec.json.Decoder(_Probe)
_ANNOTATION_DECODER = msgspec.json.Decoder(Annotation)


def _not_utf8(exc: UnicodeDecodeError, *, path: Path, line_no: int) -> EventLogError:
    return EventLogError(
        f"line is not valid UTF-8 ({exc.reason} at byte {exc.start})",
        path=path,
        line=line_no,
        code="EVENT_LOG_NOT_UTF8",
    )


def decode_row(line: bytes, *, path: Path, line_no: int) -> LogRecord:
    """Decode and classify one non-blank log line. Raises :class:`EventLogError`.

    The exact path: bulk reads go through :func:`decode_rows`, which batches the
    common cases and falls back to this for anything unusual.
    """
    if not line.isascii():  # msgspec does not validate the fields it skips
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _not_utf8(exc, path=path, line_no=line_no) from None
    try:
        probe = _PROBE_DECODER.decode(line)
    except (msgspec.DecodeError, UnicodeDecodeError):
        _decode_object(line, path=path, line_no=line_no)  # raises the precise error
        raise  # pragma: no cover - _decode_object always raises here

    def exact() -> LogRecord:
        return classify(
            _decode_object(line, path=path, line_no=line_no), path=path, line_no=line_no
        )

    if probe.kind is not msgspec.UNSET and probe.kind is not None:
        if probe.kind != "annotation":
            raise EventLogError(
                f"unknown kind {probe.kind!r} (the only kind is 'annotation')",
                path=path,
                line=line_no,
                code="EVENT_LOG_UNKNOWN_KIND",
            )
        try:
            annotation = _ANNOTATION_DECODER.decode(line)
        except msgspec.ValidationError:
            return exact()
        return annotation if _ULID.match(annotation.event_id) else exact()
    if _is_foreign(probe):
        return ForeignRow(None)
    if probe.feature_slug is msgspec.UNSET and probe.event_name is msgspec.UNSET:
        try:
            return _EVENT_DECODER.decode(line)
        except msgspec.DecodeError:
            pass  # falsy evidence, null slug...: the exact path decides
    return exact()


def _decode_object(line: bytes, *, path: Path, line_no: int) -> dict[str, Any]:
    """Decode a line into a dict, or raise the precise, line-numbered error."""
    try:
        obj = _ANY_DECODER.decode(line)
    except UnicodeDecodeError as exc:
        raise _not_utf8(exc, path=path, line_no=line_no) from None
    except msgspec.DecodeError as exc:
        raise EventLogError(
            f"invalid JSON: {exc}", path=path, line=line_no, code="EVENT_LOG_INVALID_JSON"
        ) from None
    if not isinstance(obj, dict):
        raise EventLogError(
            f"expected a JSON object, got {type(obj).__name__}",
            path=path,
            line=line_no,
            code="EVENT_LOG_INVALID_EVENT",
        )
    return obj


def classify(obj: dict[str, Any], *, path: Path, line_no: int) -> LogRecord:
    """Turn a decoded row into a transition, an annotation or a foreign row."""
    kind = obj.get("kind")
    if kind is not None:
        if kind != "annotation":
            raise EventLogError(
                f"unknown kind {kind!r} (the only kind is 'annotation')",
                path=path,
                line=line_no,
                code="EVENT_LOG_UNKNOWN_KIND",
            )
        event_id = obj.get("event_id")
        if not isinstance(event_id, str) or not _ULID.match(event_id):
            raise EventLogError(
                f"annotation event_id {event_id!r} is not a ULID",
                path=path,
                line=line_no,
                code="EVENT_LOG_INVALID_EVENT",
            )
        return _convert(obj, Annotation, path=path, line_no=line_no)
    event_name = obj.get("event_name")
    if isinstance(event_name, str) and event_name.startswith("retrospective."):
        return ForeignRow(obj)
    row_type = obj.get("type")
    if (isinstance(row_type, str) and row_type in _RETROSPECTIVE_TYPES) or "event_type" in obj:
        return ForeignRow(None)
    # A lane transition. spec-kitty treats a falsy evidence/review_result as absent.
    fields = dict(obj)
    for name in ("evidence", "review_result"):
        if name in fields and not fields[name]:
            fields[name] = None
    if not fields.get("mission_slug"):
        fields["mission_slug"] = fields.get("feature_slug") or ""
    return _convert(fields, StatusEvent, path=path, line_no=line_no)


def _convert(obj: dict[str, Any], kind: type[_T], *, path: Path, line_no: int) -> _T:
    try:
        return msgspec.convert(obj, kind)
    except msgspec.ValidationError as exc:
        message = str(exc)
        code = "EVENT_LOG_INVALID_EVENT"
        if "Invalid enum value" in message:
            code = "EVENT_LOG_UNKNOWN_LANE"
        elif "actor" in message:
            code = "EVENT_LOG_INVALID_ACTOR"
        what = "annotation" if kind is Annotation else "transition"
        raise EventLogError(
            f"invalid {what}: {message}", path=path, line=line_no, code=code
        ) from None


_PROBES_DECODER = msgspec.json.Decoder(list[_Probe])
_EVENTS_DECODER = msgspec.json.Decoder(list[StatusEvent])
_ANNOTATIONS_DECODER = msgspec.json.Decoder(list[Annotation])
_BLOCK_SIZE = 8 << 20
# What a write cut short looks like: unparseable JSON, or a multi-byte character cut in two.
_TORN_CODES = frozenset({"EVENT_LOG_INVALID_JSON", "EVENT_LOG_NOT_UTF8"})


def _is_plain(probe: _Probe) -> bool:
    unset = msgspec.UNSET
    return (
        probe.kind is unset
        and probe.event_type is unset
        and probe.type is unset
        and probe.event_name is unset
        and probe.feature_slug is unset
    )


def _is_foreign(probe: _Probe) -> bool:
    """A non-lane row that feeds nothing (retrospective.* rows feed the snapshot)."""
    if isinstance(probe.event_name, str) and probe.event_name.startswith("retrospective."):
        return False
    return probe.event_type is not msgspec.UNSET or (
        isinstance(probe.type, str) and probe.type in _RETROSPECTIVE_TYPES
    )


def decode_rows(lines: list[bytes], numbers: list[int], *, path: Path) -> list[LogRecord]:
    """Decode many non-blank lines at once; same results and errors as :func:`decode_row`.

    One msgspec call classifies every line, one decodes all plain transitions
    and one all annotations; any line that is unusual, or a batch that fails,
    goes through the exact per-line path.
    """

    def one_by_one(indexes: list[int]) -> list[LogRecord]:
        return [decode_row(lines[i], path=path, line_no=numbers[i]) for i in indexes]

    everything = list(range(len(lines)))
    if not all(line.isascii() for line in lines):
        for i in everything:  # report bad UTF-8 at its line before any batch decode
            if not lines[i].isascii():
                decode_row(lines[i], path=path, line_no=numbers[i])
    try:
        probes = _PROBES_DECODER.decode(b"[" + b",".join(lines) + b"]")
    except msgspec.DecodeError:
        return one_by_one(everything)
    records: list[LogRecord | None] = [None] * len(lines)
    plain: list[int] = []
    notes: list[int] = []
    for i, probe in enumerate(probes):
        if _is_plain(probe):
            plain.append(i)
        elif probe.kind == "annotation":
            notes.append(i)
        elif _is_foreign(probe) and (probe.kind is msgspec.UNSET or probe.kind is None):
            records[i] = ForeignRow(None)
        else:
            records[i] = decode_row(lines[i], path=path, line_no=numbers[i])
    for indexes, decoder in ((plain, _EVENTS_DECODER), (notes, _ANNOTATIONS_DECODER)):
        if not indexes:
            continue
        try:
            batch: list[Any] = decoder.decode(b"[" + b",".join(lines[i] for i in indexes) + b"]")
        except msgspec.DecodeError:
            batch = one_by_one(indexes)
        for i, record in zip(indexes, batch, strict=True):
            if type(record) is Annotation and not _ULID.match(record.event_id):
                record = decode_row(lines[i], path=path, line_no=numbers[i])  # noqa: PLW2901
            records[i] = record
    return records  # type: ignore[return-value]  # every slot was filled above


class LogScan:
    """One pass over the log from a byte offset: iterate for records.

    Reads in blocks of complete lines (bounded memory for any file size). After
    iteration, ``end_offset`` is the byte offset just past the last consumed
    line, ``next_line`` the number of the next line, and ``torn`` the torn final
    line, if any (it is not yielded and does not raise).
    """

    def __init__(self, path: Path, *, start: int = 0, start_line: int = 1) -> None:
        self.path = path
        self.start = start
        self.end_offset = start
        self.next_line = start_line
        self.torn: TornLine | None = None
        self._carry = b""

    def __iter__(self) -> Iterator[LogRecord]:
        for block in self._blocks():
            yield from self._block(block)
        yield from self._tail()

    def groups(self) -> Iterator[RecordGroups]:
        """The same records, by kind, block by block: what a reduce needs, read faster.

        Kinds keep their file order; the order between kinds is not kept (a
        reduce does not depend on it). Errors are the same as iteration's.
        """
        for block in self._blocks():
            groups = decode_block(block)
            if groups is None:
                groups = _grouped(self._block(block))
            else:
                self._advance(len(block), groups.lines)
            yield groups
        tail = list(self._tail())
        if tail:
            yield _grouped(tail)

    def _blocks(self) -> Iterator[bytes]:
        """Blocks of complete lines; an unterminated final line is left for :meth:`_tail`.

        Reads what the file holds when it is opened: lines appended meanwhile
        are for the next scan (a view continues from ``end_offset``).
        """
        self._carry = b""
        opened = _open_no_follow(self.path)
        if opened is None:
            return
        fd, size = opened
        try:
            offset, carry = self.start, b""
            while offset < size:
                # os.read allocates what it is asked for: never ask for more than is there.
                chunk = os.pread(fd, min(_BLOCK_SIZE, size - offset), offset)
                if not chunk:
                    break  # truncated meanwhile
                offset += len(chunk)
                data = carry + chunk if carry else chunk
                cut = data.rfind(b"\n") + 1
                block, carry = data[:cut], data[cut:]
                if block:
                    yield block
            self._carry = carry
        finally:
            os.close(fd)

    def _tail(self) -> Iterator[LogRecord]:
        carry = self._carry.strip()
        if not carry:
            return
        try:
            record = decode_row(carry, path=self.path, line_no=self.next_line)
        except EventLogError as error:
            if error.code not in _TORN_CODES:
                raise  # complete JSON that is wrong: an error, not a crash
            self.torn = TornLine(self.next_line, self.end_offset, len(self._carry))
            return
        # A line that parses is complete even without its newline, so it is
        # consumed; the newline the next append adds ends this same line, so
        # the line count moves on only when that newline is read.
        self._advance(len(self._carry), 0)
        yield record

    def _block(self, block: bytes) -> list[LogRecord]:
        lines: list[bytes] = []
        numbers: list[int] = []
        first = self.next_line
        for index, raw in enumerate(block.split(b"\n")[:-1]):
            stripped = raw.strip()
            if stripped:
                lines.append(stripped)
                numbers.append(first + index)
        records = decode_rows(lines, numbers, path=self.path) if lines else []
        self._advance(len(block), block.count(b"\n"))
        return records

    def _advance(self, size: int, lines: int) -> None:
        self.end_offset += size
        self.next_line += lines


def _grouped(records: list[LogRecord]) -> RecordGroups:
    transitions: list[StatusEvent] = []
    annotations: list[Annotation] = []
    retrospective: list[dict[str, Any]] = []
    for record in records:
        if type(record) is StatusEvent:
            transitions.append(record)
        elif type(record) is Annotation:
            annotations.append(record)
        elif isinstance(record, ForeignRow) and record.record is not None:
            retrospective.append(record.record)
    return RecordGroups(transitions, annotations, retrospective)


def _open_no_follow(path: Path) -> tuple[int, int] | None:
    """Open the log without following a symlink: (fd, size), or None if it is absent."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _os_error(path, exc) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise EventLogError(
            "the event log is not a regular file",
            path=path,
            line=None,
            code="EVENT_LOG_UNREADABLE",
            next_step=f"move {path} aside; the log must be a regular file",
        )
    return fd, st.st_size


def _os_error(path: Path, exc: OSError) -> EventLogError:
    if exc.errno == errno.ELOOP:
        return EventLogError(
            "the event log is a symbolic link; refusing to follow it",
            path=path,
            line=None,
            code="EVENT_LOG_SYMLINK",
            next_step=f"replace {path.name} with the regular file it points to",
        )
    return EventLogError(
        f"cannot open the event log: {exc.strerror}",
        path=path,
        line=None,
        code="EVENT_LOG_UNREADABLE",
    )


if TYPE_CHECKING:
    from filelock import FileLock

_LOCKS: dict[Path, FileLock] = {}
_LOCKS_GUARD = threading.Lock()


def _shared_lock(path: Path) -> FileLock:
    """One FileLock per lock file per process, so a thread may nest acquisitions."""
    from filelock import FileLock  # imported on first write: reads never pay for it

    with _LOCKS_GUARD:
        lock = _LOCKS.get(path)
        if lock is None:
            lock = _LOCKS[path] = FileLock(path)
        return lock


class LockTimeoutError(MissionStatusError):
    """Another process held the mission's status lock for too long."""

    code = "STATUS_LOCK_TIMEOUT"


class EventLog:
    """The event log of one mission directory."""

    def __init__(
        self, mission_dir: Path, *, lock_timeout: float = 60.0, lock_path: Path | None = None
    ) -> None:
        self.mission_dir = Path(mission_dir)
        self.path = self.mission_dir / LOG_FILENAME
        self.lock_timeout = lock_timeout
        self._lock_path: Path | None = lock_path

    @property
    def lock_path(self) -> Path:
        """``<git common dir>/spec-kitty-locks/<mission>.status.lock`` (shared by worktrees).

        A log copied outside the repository (to write it to a branch nobody has
        checked out) is given the mission's real lock path instead.
        """
        if self._lock_path is None:
            dirs = find_git_dirs(self.mission_dir)
            base = dirs.common_dir / LOCK_DIRNAME if dirs is not None else self.mission_dir
            name = self.mission_dir.resolve().name
            self._lock_path = base / f"{name}.status.lock"
        return self._lock_path

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the per-mission status lock (blocks other writers in every worktree)."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock = _shared_lock(self.lock_path)
        from filelock import Timeout

        try:
            lock.acquire(timeout=self.lock_timeout)
        except Timeout:
            raise LockTimeoutError(
                f"timed out after {self.lock_timeout:g}s waiting for {self.lock_path}",
                next_step="another spec-kitty command is writing this mission's status; "
                "retry, or check for a hung process",
            ) from None
        try:
            yield
        finally:
            lock.release()

    def scan(self, *, start: int = 0, start_line: int = 1) -> LogScan:
        """Stream the records from byte ``start`` (line ``start_line``)."""
        return LogScan(self.path, start=start, start_line=start_line)

    def read(self) -> list[LogRecord]:
        """Every record in file order. Raises :class:`EventLogError` on a bad line."""
        return list(self.scan())

    def append(self, *records: StatusEvent | Annotation) -> None:
        """Append records as one write, under the lock, then fsync.

        An unterminated final line is never glued to: a complete record gets its
        newline; a torn fragment (crash mid-append) is moved aside to the lock
        directory and cut off before writing.
        """
        if not records:
            return
        data = b"".join(encode_line(record.to_record()) for record in records)
        with self.lock():
            self._append_locked(data)

    def _append_locked(self, data: bytes) -> None:
        self.mission_dir.mkdir(parents=True, exist_ok=True)
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        created = not os.path.lexists(self.path)
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            raise _os_error(self.path, exc) from None
        try:
            data = self._mend_tail(fd) + data
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            fsync_dir(self.mission_dir)

    def _mend_tail(self, fd: int) -> bytes:
        size = os.fstat(fd).st_size
        if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
            return b""
        start = _last_line_start(fd, size)
        fragment = os.pread(fd, size - start, start)
        try:
            _ANY_DECODER.decode(fragment.strip())
        except (msgspec.DecodeError, UnicodeDecodeError):
            salvage = self.lock_path.parent / f"{self.lock_path.stem}.torn-{start}.bin"
            salvage.write_bytes(fragment)
            os.ftruncate(fd, start)
            os.fsync(fd)
            return b""
        return b"\n"  # complete JSON that only lacks its newline: keep it, end it


def _last_line_start(fd: int, size: int) -> int:
    position = size
    while position > 0:
        chunk_start = max(0, position - 65536)
        chunk = os.pread(fd, position - chunk_start, chunk_start)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            return chunk_start + newline + 1
        position = chunk_start
    return 0
