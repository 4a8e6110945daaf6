"""The owner record: who runs the one background service of a scope, and how to reach it.

The daemon writes ``owner.json`` itself once it has bound its port; clients only read it (and the
reaper removes it when its process is gone). Writes are atomic (temp file in the same directory,
fsync, ``os.replace``) and the file is private to the user (mode 0600) because it carries the
control token.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

from ._files import write_atomic

RecordState = Literal["absent", "valid", "unreadable"]

_RECORD_MODE = 0o600


@dataclass(frozen=True)
class OwnerRecord:
    """Identity and address of a running service daemon.

    ``start_time`` is the process start time as reported by :func:`process_start_time`; together
    with ``pid`` it identifies the process, so a recycled pid is never mistaken for the daemon.
    """

    service: str
    scope_id: str
    pid: int
    start_time: str
    port: int
    version: str
    protocol: int
    executable: str
    started_at: str
    token: str

    def public_dict(self) -> dict[str, Any]:
        """The record as a dict without the control token (safe to print or log)."""
        data = asdict(self)
        del data["token"]
        return data


@dataclass(frozen=True)
class RecordRead:
    """Result of :func:`read_record`: ``absent``, ``valid`` (with a record) or ``unreadable``."""

    state: RecordState
    record: OwnerRecord | None = None
    reason: str | None = None


def write_record(path: Path, record: OwnerRecord) -> None:
    """Atomically write ``record`` to ``path`` as sorted-key JSON with mode 0600."""
    data = json.dumps(asdict(record), sort_keys=True, indent=2).encode("utf-8") + b"\n"
    write_atomic(path, data, mode=_RECORD_MODE)


def read_record(path: Path) -> RecordRead:
    """Read the owner record at ``path``; never raises for a missing or malformed file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return RecordRead("absent")
    except OSError as exc:
        return RecordRead("unreadable", reason=f"cannot read {path}: {exc.strerror or exc}")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return RecordRead("unreadable", reason=f"{path} is not valid JSON: {exc}")
    problem = _validate(data)
    if problem is not None:
        return RecordRead("unreadable", reason=f"{path}: {problem}")
    return RecordRead("valid", record=OwnerRecord(**data))


def remove_record(path: Path, *, pid: int | None = None) -> bool:
    """Delete the record at ``path``; with ``pid``, only if it still names that pid."""
    if pid is not None:
        current = read_record(path)
        if current.record is None or current.record.pid != pid:
            return False
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _validate(data: object) -> str | None:
    """A description of what is wrong with decoded record ``data``, or None if it is fine."""
    if not isinstance(data, dict):
        return f"expected a JSON object, got {type(data).__name__}"
    expected = {f.name: f.type for f in fields(OwnerRecord)}
    missing = sorted(set(expected) - set(data))
    if missing:
        return f"missing key(s): {', '.join(missing)}"
    unknown = sorted(set(data) - set(expected))
    if unknown:
        return f"unknown key(s): {', '.join(unknown)}"
    for name, type_name in expected.items():
        value = data[name]
        if type_name == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                return f"key {name!r} must be an integer, got {type(value).__name__}"
        elif not isinstance(value, str):
            return f"key {name!r} must be a string, got {type(value).__name__}"
    if data["pid"] <= 0:
        return f"key 'pid' must be positive, got {data['pid']}"
    if not 0 < data["port"] < 65536:
        return f"key 'port' must be a TCP port, got {data['port']}"
    return None
