"""The two ``meta.json`` fields ``status.json`` carries: mission number and type."""

from __future__ import annotations

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
        raw = path.read_bytes()
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
