"""Validate ``retrospective.yaml`` files with spec-kitty 3.2.7's own readers.

3.2.7 accepts two record shapes and every consumer (``retrospect summary``, ``agent
retrospect synthesize``) tries the nested Pydantic reader (``read_record``) first and the
flat generator reader (``read_gen_record``, what 3.2.7's merge and ``retrospect create``
write) second. A file passes when either accepts it; otherwise both errors are printed.
Run it with the reference venv's python (it imports ``specify_cli``; tooling only):

    .bench/sk327/bin/python tools/compat/check_retrospective.py FILE...

Exit status: 0 when every file passes, 1 when any fails, 2 on bad usage.
"""

from __future__ import annotations

import sys
from pathlib import Path

from specify_cli.retrospective.reader import (
    SchemaError,
    YAMLParseError,
    read_gen_record,
    read_record,
)


def check(path: Path) -> tuple[bool, str]:
    """Return ``(passed, message)`` for one file."""
    try:
        gen = read_gen_record(path)
    except (OSError, YAMLParseError, SchemaError) as exc:
        gen_error = str(exc)
    else:
        return True, f"generator record (findings_status={gen.findings_status})"
    try:
        record = read_record(path)
    except (OSError, YAMLParseError, SchemaError) as exc:
        pydantic_error = "\n".join(
            line for line in str(exc).splitlines() if "errors.pydantic.dev" not in line
        )
        return False, f"read_gen_record: {gen_error}\nread_record: {pydantic_error}"
    return True, f"pydantic record (status={record.status})"


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    failed = False
    for name in argv:
        passed, message = check(Path(name))
        failed |= not passed
        print(f"{'OK' if passed else 'FAIL'} {name}: {message}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
