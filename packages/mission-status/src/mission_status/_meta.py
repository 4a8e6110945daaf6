"""The two ``meta.json`` fields ``status.json`` carries: mission number and type."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import msgspec

from ._errors import MissionMetaError

META_FILENAME = "meta.json"
_DECODER = msgspec.json.Decoder()


def read_meta(mission_dir: Path) -> dict[str, Any] | None:
    """``meta.json`` as a dict; None when absent. Raises :class:`MissionMetaError` if corrupt."""
    path = mission_dir / META_FILENAME
    try:
        raw = _read(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise MissionMetaError(
            f"cannot read {path}: {exc.strerror}", next_step=f"check the permissions of {path}"
        ) from None
    try:
        meta = _DECODER.decode(raw)
    except (UnicodeDecodeError, msgspec.DecodeError) as exc:
        raise MissionMetaError(
            f"{path} is not valid JSON: {exc}",
            next_step=f"repair {path} (e.g. restore it with `git checkout -- {path.name}`)",
        ) from None
    if not isinstance(meta, dict):
        raise MissionMetaError(
            f"{path} must hold a JSON object, not {type(meta).__name__}",
            next_step=f"repair {path}",
        )
    return meta


def _read(path: Path) -> bytes:
    """The whole file (os-level: this is read once per reduce, so it stays cheap)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)
        if len(data) <= size:
            return data
        chunks = [data]  # it grew meanwhile
        while more := os.read(fd, 1 << 16):
            chunks.append(more)
        return b"".join(chunks)
    finally:
        os.close(fd)


def mission_number_text(raw: Any) -> str:
    """``mission_number`` as ``status.json`` writes it: decimal text, or "" when unset.

    Unparseable values (``"pending"``, floats, booleans) count as unset; see docs/compat.md.
    """
    if isinstance(raw, bool) or raw is None:
        return ""
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, str) and raw.strip():
        try:
            return str(int(raw.strip()))
        except ValueError:
            return ""
    return ""


def mission_type_text(raw: Any) -> str:
    return raw.strip() if isinstance(raw, str) else ""
