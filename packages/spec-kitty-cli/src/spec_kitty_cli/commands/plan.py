"""``spec-kitty plan``: scaffold ``plan.md`` (when missing) and commit the planning artifacts."""

from __future__ import annotations

from pathlib import Path

from spec_kitty_cli._output import Report
from spec_kitty_cli._planning import scaffold


def plan(cwd: Path, mission: str | None) -> Report:
    """Write plan.md from the mission type's template when it is missing; commit the
    planning artifacts."""
    return scaffold(cwd, mission, "plan", then="tasks")
