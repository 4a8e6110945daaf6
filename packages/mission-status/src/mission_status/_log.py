"""``EventLog``: the append-only ``status.events.jsonl`` of one mission directory.

Reads stream in blocks of whole lines (bounded memory, line-numbered typed
errors). One rule says what a row is (:func:`_kind_of`, on the few keys that
decide it) and one type says what each kind holds (``StatusEvent``,
``Annotation``); a block is decoded with a few msgspec calls (every line's
markers, then each kind as one typed list), and a row that needs spec-kitty's
special cases, or a block with any error, goes line by line. Appends
take a per-mission file lock that every worktree of the repository shares (it
lives in the git common dir), write with ``O_APPEND`` and ``fsync``, and never
rewrite existing lines.
"""

from __future__ import annotations

import enum
import errno
import operator
import os
import re
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import compress
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from ._errors import EventLogError, MissionStatusError
from ._events import Annotation, StatusEvent, encode_line
from ._flock import FileLock, LockTimeout
from ._fsutil import fsync_dir
from ._git import find_git_dirs

LOG_FILENAME = "status.events.jsonl"
LOCK_DIRNAME = "spec-kitty-locks"

_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
_RETROSPECTIVE_TYPES = frozenset(
    {"RetrospectiveCaptured", "RetrospectiveCaptureFailed", "RetrospectiveSkipped"}
)
_T = TypeVar("_T")


class ForeignRow(msgspec.Struct, frozen=True):
    """A row that shares the log but is not about lanes (kept in the file, ignored here).

    ``record`` is kept only for ``retrospective.*`` rows, which feed the
    snapshot's ``retrospective`` section.
    """

    record: dict[str, Any] | None


class TornLine(msgspec.Struct, frozen=True):
    """An unterminated final line that does not parse: a crash mid-append."""

    line: int
    offset: int
    length: int


LogRecord = StatusEvent | Annotation | ForeignRow
_IGNORED_ROW = ForeignRow(None)


class RecordGroups(msgspec.Struct):
    """A block's records by kind, each kind in file order: all a reduce needs.

    ``retrospective`` holds the raw ``retrospective.*`` rows; other foreign
    rows feed nothing and are dropped.
    """

    transitions: list[StatusEvent] = msgspec.field(default_factory=list)
    annotations: list[Annotation] = msgspec.field(default_factory=list)
    retrospective: list[dict[str, Any]] = msgspec.field(default_factory=list)


# Decoded rows never form reference cycles, so the garbage collector need not
# track them (that would cost a collection every few hundred rows).
class _Markers(msgspec.Struct, gc=False):
    """Only the keys that decide what a row is; msgspec skips everything else cheaply."""

    kind: Any = msgspec.UNSET
    event_type: Any = msgspec.UNSET
    type: Any = msgspec.UNSET
    event_name: Any = msgspec.UNSET
    feature_slug: Any = msgspec.UNSET


class _Kind(enum.Enum):
    TRANSITION = "transition"
    ANNOTATION = "annotation"
    RETROSPECTIVE = "retrospective"  # a foreign row that feeds the snapshot
    IGNORED = "ignored"  # a foreign row that feeds nothing
    UNKNOWN = "unknown"  # a ``kind`` this format does not have: an error


def _kind_of(markers: _Markers) -> _Kind:
    """What a row is: the one rule (formats.md), whichever way the row was decoded."""
    kind = markers.kind
    if kind is not msgspec.UNSET and kind is not None:
        return _Kind.ANNOTATION if kind == "annotation" else _Kind.UNKNOWN
    event_name = markers.event_name
    if isinstance(event_name, str) and event_name.startswith("retrospective."):
        return _Kind.RETROSPECTIVE
    row_type = markers.type
    if markers.event_type is not msgspec.UNSET or (
        isinstance(row_type, str) and row_type in _RETROSPECTIVE_TYPES
    ):
        return _Kind.IGNORED
    return _Kind.TRANSITION


def _typed(kind: _Kind, markers: _Markers) -> type[StatusEvent] | type[Annotation] | None:
    """The type a row of this kind decodes to directly, if it can (else :func:`_exact`).

    A transition that names its mission only by the legacy ``feature_slug``
    needs the exact path, which fills ``mission_slug`` from it.
    """
    if kind is _Kind.ANNOTATION:
        return Annotation
    if kind is _Kind.TRANSITION and markers.feature_slug is msgspec.UNSET:
        return StatusEvent
    return None


_MARKERS = msgspec.json.Decoder(_Markers)
_PLAIN = _Markers()  # an ordinary transition has none of the markers
_NOTE = _Markers(kind="annotation")  # an ordinary annotation
_EVENT_ID = operator.attrgetter("event_id")
_MARKERS_LIST = msgspec.json.Decoder(list[_Markers])
_DECODERS: dict[type[Any], msgspec.json.Decoder[Any]] = {
    StatusEvent: msgspec.json.Decoder(StatusEvent),
    Annotation: msgspec.json.Decoder(Annotation),
}
_LIST_DECODERS: dict[type[Any], msgspec.json.Decoder[Any]] = {
    StatusEvent: msgspec.json.Decoder(list[StatusEvent]),
    Annotation: msgspec.json.Decoder(list[Annotation]),
}
_ANY_DECODER = msgspec.json.Decoder()


def decode_row(line: bytes, *, path: Path, line_no: int) -> LogRecord:
    """Decode and classify one non-blank log line. Raises :class:`EventLogError`."""
    _check_utf8(line, path=path, line_no=line_no)
    try:
        markers = _MARKERS.decode(line)
    except msgspec.DecodeError:
        _decode_object(line, path=path, line_no=line_no)  # raises the precise error
        raise  # pragma: no cover - _decode_object always raises here
    return _record(markers, line, path, line_no)


def _record(markers: _Markers, line: bytes, path: Path, line_no: int) -> LogRecord:
    """The record of a line whose markers are already decoded."""
    kind = _kind_of(markers)
    if kind is _Kind.IGNORED:
        return _IGNORED_ROW
    typed = _typed(kind, markers)
    if typed is not None:
        try:
            record: LogRecord = _DECODERS[typed].decode(line)
        except msgspec.DecodeError:
            pass  # falsy evidence, a null slug, a wrong type...: the exact path decides
        else:
            if type(record) is not Annotation or _ULID.match(record.event_id):
                return record  # an annotation's id must also be a ULID
    return _exact(kind, _decode_object(line, path=path, line_no=line_no), path, line_no)


def _exact(kind: _Kind, obj: dict[str, Any], path: Path, line_no: int) -> LogRecord:
    """A row of ``kind`` from its decoded object, as spec-kitty reads it, or the precise error."""
    if kind is _Kind.UNKNOWN:
        raise EventLogError(
            f"unknown kind {obj['kind']!r} (the only kind is 'annotation')",
            path=path,
            line=line_no,
            code="EVENT_LOG_UNKNOWN_KIND",
        )
    if kind is _Kind.RETROSPECTIVE:
        return ForeignRow(obj)
    if kind is _Kind.ANNOTATION:
        event_id = obj.get("event_id")
        if not isinstance(event_id, str) or not _ULID.match(event_id):
            raise EventLogError(
                f"annotation event_id {event_id!r} is not a ULID",
                path=path,
                line=line_no,
                code="EVENT_LOG_INVALID_EVENT",
            )
        return _convert(obj, Annotation, path=path, line_no=line_no)
    # A lane transition. spec-kitty treats a falsy evidence/review_result as absent.
    fields = dict(obj)
    for name in ("evidence", "review_result"):
        if name in fields and not fields[name]:
            fields[name] = None
    if not fields.get("mission_slug"):
        fields["mission_slug"] = fields.get("feature_slug") or ""
    return _convert(fields, StatusEvent, path=path, line_no=line_no)


def _check_utf8(line: bytes, *, path: Path, line_no: int) -> None:
    if line.isascii():  # msgspec does not validate the fields it skips
        return
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(exc, path=path, line_no=line_no) from None


def _not_utf8(exc: UnicodeDecodeError, *, path: Path, line_no: int) -> EventLogError:
    return EventLogError(
        f"line is not valid UTF-8 ({exc.reason} at byte {exc.start})",
        path=path,
        line=line_no,
        code="EVENT_LOG_NOT_UTF8",
    )


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


_BLOCK_SIZE = 8 << 20
# What a write cut short looks like: unparseable JSON, or a multi-byte character cut in two.
_TORN_CODES = frozenset({"EVENT_LOG_INVALID_JSON", "EVENT_LOG_NOT_UTF8"})


def decode_rows(lines: list[bytes], numbers: list[int], *, path: Path) -> list[LogRecord]:
    """Decode many non-blank lines at once: exactly what :func:`decode_row` gives each."""
    decoded = _decode_batch(lines, numbers, path)
    return decoded.records() if decoded is not None else _one_by_one(lines, numbers, path)


def decode_groups(lines: list[bytes], numbers: list[int], *, path: Path) -> RecordGroups:
    """The same records by kind (:class:`RecordGroups`), without putting them in order."""
    decoded = _decode_batch(lines, numbers, path)
    if decoded is None:
        return _grouped(_one_by_one(lines, numbers, path))
    return decoded.groups()


def _one_by_one(lines: list[bytes], numbers: list[int], path: Path) -> list[LogRecord]:
    return [decode_row(line, path=path, line_no=n) for line, n in zip(lines, numbers, strict=True)]


class _Batch:
    """A block decoded in a few msgspec calls: the ordinary transitions and annotations
    each as one typed list, the other rows one by one, each group in file order."""

    __slots__ = ("annotation_mask", "annotations", "others", "transition_mask", "transitions")

    def __init__(self, transition_mask: list[bool], annotation_mask: list[bool]) -> None:
        self.transition_mask, self.annotation_mask = transition_mask, annotation_mask
        self.transitions: list[StatusEvent] = []
        self.annotations: list[Annotation] = []
        self.others: dict[int, LogRecord] = {}

    def records(self) -> list[LogRecord]:
        records: list[Any] = [None] * len(self.transition_mask)
        for mask, group in (
            (self.transition_mask, self.transitions),
            (self.annotation_mask, self.annotations),
        ):
            for i, record in zip(compress(range(len(mask)), mask), group, strict=True):
                records[i] = record
        for i, other in self.others.items():
            records[i] = other
        return records

    def groups(self) -> RecordGroups:
        others = self.others.values()
        if any(type(record) is not ForeignRow for record in others):
            return _grouped(self.records())  # a transition among the others: keep file order
        retrospective = [r.record for r in others if isinstance(r, ForeignRow) and r.record]
        return RecordGroups(self.transitions, self.annotations, retrospective)


def _decode_batch(lines: list[bytes], numbers: list[int], path: Path) -> _Batch | None:
    """The block as a :class:`_Batch`, or None when it must be decoded line by line.

    Any failure gives None, so that an error is always the first bad line's,
    reported by :func:`decode_row`.
    """
    try:
        if not all(map(bytes.isascii, lines)):
            for line, line_no in zip(lines, numbers, strict=True):
                _check_utf8(line, path=path, line_no=line_no)
        joined = b"[" + b",".join(lines) + b"]"
        markers = _MARKERS_LIST.decode(joined)
        batch = _Batch(list(map(_PLAIN.__eq__, markers)), list(map(_NOTE.__eq__, markers)))
        if batch.transition_mask.count(True) == len(lines):  # only transitions: many logs
            batch.transitions = _LIST_DECODERS[StatusEvent].decode(joined)
            return batch
        if batch.transition_mask.count(True) + batch.annotation_mask.count(True) < len(lines):
            ordinary = map(operator.or_, batch.transition_mask, batch.annotation_mask)
            for i in compress(range(len(lines)), map(operator.not_, ordinary)):
                batch.others[i] = _record(markers[i], lines[i], path, numbers[i])
        for typed, mask in (
            (StatusEvent, batch.transition_mask),
            (Annotation, batch.annotation_mask),
        ):
            if True in mask:
                rows = b",".join(compress(lines, mask))
                group = _LIST_DECODERS[typed].decode(b"[" + rows + b"]")
                if typed is StatusEvent:
                    batch.transitions = group
                elif all(map(_ULID.match, map(_EVENT_ID, group))):
                    batch.annotations = group
                else:
                    return None
    except (msgspec.DecodeError, EventLogError):
        return None
    return batch


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
        """The same records, by kind, block by block: what a reduce needs.

        Kinds keep their file order; the order between kinds is not kept (a
        reduce does not depend on it). Errors are the same as iteration's.
        """
        for block in self._blocks():
            lines, numbers = self._lines(block)
            yield decode_groups(lines, numbers, path=self.path) if lines else RecordGroups()
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
        lines, numbers = self._lines(block)
        return decode_rows(lines, numbers, path=self.path) if lines else []

    def _lines(self, block: bytes) -> tuple[list[bytes], list[int]]:
        """A block's non-blank lines, stripped, and their numbers; moves past the block."""
        first = self.next_line
        raw = block.split(b"\n")[:-1]
        lines = list(map(bytes.strip, raw))
        self._advance(len(block), len(raw))
        if b"" not in lines:
            return lines, list(range(first, first + len(lines)))
        kept = [(line, first + index) for index, line in enumerate(lines) if line]
        return [line for line, _ in kept], [number for _, number in kept]

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


_LOCKS: dict[Path, FileLock] = {}
_LOCKS_GUARD = threading.Lock()


def _shared_lock(path: Path) -> FileLock:
    """One FileLock per lock file per process, so a thread may nest acquisitions."""
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
        try:
            lock.acquire(timeout=self.lock_timeout)
        except LockTimeout:
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
