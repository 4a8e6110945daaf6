"""``spec-kitty retrospect``: write and commit ``kitty-specs/<mission>/retrospective.yaml``."""

from __future__ import annotations

from pathlib import Path

from spec_kitty_cli._merging import write_retrospective
from spec_kitty_cli._output import Report
from spec_kitty_cli._runtime import resolve


def retrospect(cwd: Path, mission: str | None) -> Report:
    """The tracked retrospective (kept when the target has one), on the target branch."""
    ctx = resolve(cwd, "retrospect", mission)
    placed = write_retrospective(ctx)
    document = {
        "mission": ctx.mission_dir_name,
        "path": placed.location,
        "created": placed.written,
        "commit": placed.commit,
    }
    verb = "Wrote" if placed.written else "Kept"
    return Report(
        document,
        [f"{verb} {placed.location}; add findings under helped, not_helpful, gaps, proposals."],
    )
