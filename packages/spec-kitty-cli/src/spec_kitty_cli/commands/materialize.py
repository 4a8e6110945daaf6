"""``spec-kitty materialize``: ``status.json`` recomputed from the log and committed with it."""

from __future__ import annotations

from pathlib import Path

from mission_context import StatusWrite
from spec_kitty_cli._output import Report
from spec_kitty_cli._runtime import finish_write, resolve


def materialize(cwd: Path, mission: str | None) -> Report:
    """A status write with no rows: the view is recomputed, and committed with any rows an
    interrupted command left (refused while a git operation holds the status branch)."""
    ctx = resolve(cwd, "materialize", mission)
    write = StatusWrite(ctx, message=f"materialize: {ctx.mission_dir_name}")
    with write:
        pass
    committed = finish_write(ctx, write)
    document = {
        "mission": ctx.mission_dir_name,
        "path": write.view,
        "written": write.view_written,
        **committed,
    }
    return Report(
        document, [f"{'Wrote' if write.view_written else 'Already current:'} {write.view}"]
    )
