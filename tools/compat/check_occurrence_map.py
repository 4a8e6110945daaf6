"""What spec-kitty 3.2.7 says of occurrence maps: its own loader, validator and admissibility
check, printed as one JSON document per map (the shape of ``expected-validation.json`` in the
compat corpus). Run it with the reference venv's python (it imports ``specify_cli``; tooling
only):

    .bench/sk327/bin/python tools/compat/check_occurrence_map.py FILE...

Each FILE is an ``occurrence_map.yaml``; 3.2.7 reads it from its directory. The output is
``{path: {valid, errors, warnings, admissible, admissibility_errors}}``, or ``{path:
{exception: "..."}}`` where 3.2.7 raised. Exit status: 0, or 2 on bad usage.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from specify_cli.bulk_edit.occurrence_map import (
    check_admissibility,
    load_occurrence_map,
    validate_occurrence_map,
)


def verdict(path: Path) -> dict[str, Any]:
    """3.2.7's verdict on the map at ``path`` (its file name must be occurrence_map.yaml)."""
    try:
        omap = load_occurrence_map(path.parent)
        if omap is None:
            return {"exception": "no map"}
        validation = validate_occurrence_map(omap)
        admissibility = check_admissibility(omap) if validation.valid else None
    except Exception as exc:  # the verdict is what 3.2.7 does, a crash included
        return {"exception": f"{type(exc).__name__}: {exc}"}
    return {
        "valid": validation.valid,
        "errors": list(validation.errors),
        "warnings": list(validation.warnings),
        "admissible": admissibility.valid if admissibility is not None else None,
        "admissibility_errors": list(admissibility.errors) if admissibility else [],
    }


def main(argv: list[str]) -> int:
    if not argv or any(Path(arg).name != "occurrence_map.yaml" for arg in argv):
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps({arg: verdict(Path(arg)) for arg in argv}, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
