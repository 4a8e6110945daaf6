"""Union merge of event logs, for the git merge driver.

Rows are keyed by ``event_id`` (rows without one, or that do not parse, by
their bytes). The result keeps ours in order, then what only theirs has, then
what only the base has: no line is ever dropped. The same ``event_id`` with a
different payload is a conflict: every variant is kept and the caller exits 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

_DECODER = msgspec.json.Decoder()


@dataclass
class MergeOutcome:
    """The merged bytes, and the event ids whose payloads disagree."""

    data: bytes
    conflicts: list[str] = field(default_factory=list)


def _key_and_payload(line: bytes) -> tuple[str, object]:
    try:
        obj = _DECODER.decode(line)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return "raw:" + line.hex(), line
    if isinstance(obj, dict) and isinstance(obj.get("event_id"), str):
        return "id:" + obj["event_id"], obj
    return "raw:" + line.hex(), obj


def merge_logs(base: bytes, ours: bytes, theirs: bytes) -> MergeOutcome:
    """Union of three versions of ``status.events.jsonl``."""
    out: list[bytes] = []
    payloads: dict[str, object] = {}
    conflicts: list[str] = []
    variants: set[tuple[str, bytes]] = set()
    for side in (ours, theirs, base):
        for raw in side.splitlines():
            line = raw.strip()
            if not line:
                continue
            key, payload = _key_and_payload(line)
            known = payloads.get(key)
            if key not in payloads:
                payloads[key] = payload
                out.append(line)
            elif known != payload and (key, line) not in variants:
                variants.add((key, line))
                conflicts.append(key.removeprefix("id:"))
                out.append(line)
    return MergeOutcome(b"".join(line + b"\n" for line in out), sorted(set(conflicts)))
