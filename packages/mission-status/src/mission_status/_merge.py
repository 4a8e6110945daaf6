"""Union merge of event logs, for the git merge driver.

Rows are keyed by ``event_id`` (rows without one, or that do not parse, by
their bytes). The result keeps ours in order, then what only theirs has, then
what only the base has: no line is ever dropped. The same ``event_id`` with a
different payload is a conflict: every variant is kept and the caller exits 1.
"""

from __future__ import annotations

import msgspec

_DECODER = msgspec.json.Decoder()
_ENCODER = msgspec.json.Encoder(order="sorted")


class MergeOutcome(msgspec.Struct):
    """The merged bytes, and the event ids whose payloads disagree."""

    data: bytes
    conflicts: list[str] = msgspec.field(default_factory=list)


def _key_and_payload(line: bytes) -> tuple[str, bytes]:
    """The row's key and a canonical form of its payload (``true`` and ``1`` differ)."""
    try:
        obj = _DECODER.decode(line)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return "raw:" + line.hex(), line
    canonical = _ENCODER.encode(obj)
    if isinstance(obj, dict) and isinstance(obj.get("event_id"), str):
        return "id:" + obj["event_id"], canonical
    return "raw:" + canonical.hex(), canonical


def merge_logs(base: bytes, ours: bytes, theirs: bytes) -> MergeOutcome:
    """Union of three versions of ``status.events.jsonl``.

    A conflict is a NEW divergence: an ``event_id`` whose merged payloads differ
    from what ours and theirs each already had. A pair of variants that a side
    already carries (resolved once and committed) never conflicts again.
    """
    out: list[bytes] = []
    merged: dict[str, set[bytes]] = {}
    per_side: tuple[dict[str, set[bytes]], ...] = ({}, {}, {})  # ours, theirs, base
    for side, payloads_of in zip((ours, theirs, base), per_side, strict=True):
        for raw in side.splitlines():
            line = raw.strip()
            if not line:
                continue
            key, payload = _key_and_payload(line)
            payloads_of.setdefault(key, set()).add(payload)
            variants = merged.setdefault(key, set())
            if payload not in variants:
                variants.add(payload)
                out.append(line)
    ours_sets, theirs_sets, _ = per_side
    conflicts = sorted(
        key.removeprefix("id:")
        for key, payloads in merged.items()
        if len(payloads) > 1
        and payloads != ours_sets.get(key, set())
        and payloads != theirs_sets.get(key, set())
    )
    return MergeOutcome(b"".join(line + b"\n" for line in out), conflicts)
