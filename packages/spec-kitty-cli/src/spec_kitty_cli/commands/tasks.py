"""``spec-kitty tasks``: scaffold ``tasks.md`` (when missing) and commit the planning artifacts."""

from __future__ import annotations

from pathlib import Path

from spec_kitty_cli._output import Report
from spec_kitty_cli._planning import scaffold

TEMPLATE = """# Tasks: {name}

One section per work package. `spec-kitty finalize-tasks` reads the headings,
`Depends on`, `Requirement Refs` and `Owned Files` lines below.

## Work Package WP01: First slice

**Depends on**: none
**Requirement Refs**: FR-001
**Owned Files**: src/...

- [ ] T001 ...
"""


def tasks(cwd: Path, mission: str | None) -> Report:
    """Write tasks.md from the template when it is missing; commit the planning artifacts."""
    return scaffold(cwd, mission, "tasks", TEMPLATE, then="finalize-tasks")
