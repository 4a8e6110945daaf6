"""Event ids (ULIDs) and timestamps, injectable so that tests are deterministic."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

Clock = Callable[[], datetime]
IdFactory = Callable[[], str]


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_ulid(now: datetime | None = None, randomness: bytes | None = None) -> str:
    """A 26-character Crockford ULID: 48-bit millisecond time + 80 random bits."""
    moment = now or utc_now()
    millis = int(moment.timestamp() * 1000) & ((1 << 48) - 1)
    random_bits = int.from_bytes(randomness if randomness is not None else os.urandom(10), "big")
    value = (millis << 80) | (random_bits & ((1 << 80) - 1))
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def next_ulid_after(ulid: str) -> str:
    """An id that sorts right after ``ulid`` (the next ULID; any other id gets a suffix)."""
    if len(ulid) != 26 or any(char not in _CROCKFORD for char in ulid):
        return ulid + "0"
    value = 0
    for char in ulid:
        value = value * 32 + _CROCKFORD.index(char)
    value = (value + 1) & ((1 << 128) - 1)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def isoformat(moment: datetime) -> str:
    """spec-kitty's timestamp style: ``2026-03-31T14:02:05.181939+00:00``."""
    return moment.astimezone(UTC).isoformat()
