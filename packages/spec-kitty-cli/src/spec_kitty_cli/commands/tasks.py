"""``spec-kitty tasks``: scaffold ``tasks.md`` (when missing) and commit the planning artifacts."""

from __future__ import annotations

from pathlib import Path

from spec_kitty_cli._output import Report
from spec_kitty_cli._planning import scaffold


def tasks(cwd: Path, mission: str | None) -> Report:
    """Write tasks.md from the mission type's template when it is missing; commit the
    planning artifacts."""
    return scaffold(cwd, mission, "tasks", then="finalize-tasks")
