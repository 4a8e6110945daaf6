"""Git merge driver for ``status.events.jsonl``: ``python -m mission_status.merge_driver %O %A %B``.

Register it with::

    git config merge.spec-kitty-events.driver "python -m mission_status.merge_driver %O %A %B"
    echo 'kitty-specs/**/status.events.jsonl merge=spec-kitty-events' >> .gitattributes

Writes the union into ``%A``. Exit 0 when merged, 1 on a conflict (same
``event_id``, different payload: both variants are kept for you to resolve),
2 on bad usage.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ._fsutil import write_atomic
from ._merge import merge_logs


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 3:
        print(
            "usage: python -m mission_status.merge_driver BASE OURS THEIRS (git passes %O %A %B)",
            file=sys.stderr,
        )
        return 2
    base, ours, theirs = (Path(arg) for arg in args[:3])
    try:
        outcome = merge_logs(
            base.read_bytes() if base.exists() else b"", ours.read_bytes(), theirs.read_bytes()
        )
    except OSError as exc:
        print(f"EVENT_LOG_MERGE_FAILED: {exc}; next: resolve the file by hand", file=sys.stderr)
        return 2
    write_atomic(ours, outcome.data)
    if outcome.conflicts:
        ids = ", ".join(outcome.conflicts)
        print(
            f"EVENT_LOG_MERGE_CONFLICT: event ids with different payloads: {ids}; "
            "next: keep one line per id in status.events.jsonl, then `git add` it",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
