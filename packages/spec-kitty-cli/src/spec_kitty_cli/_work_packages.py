"""What the work-package commands share: a WP's front matter and its seeded state."""

from __future__ import annotations

from typing import Any

from mission_context import MissionExecutionContext
from mission_status import StatusSnapshot, WPState
from spec_kitty_cli._errors import CliError


def wp_front_matter(ctx: MissionExecutionContext, wp_id: str) -> dict[str, Any]:
    """The front matter of ``tasks/<wp_id>-*.md`` ({} when there is no WP file)."""
    from spec_kitty_cli._frontmatter import read_front_matter

    for path in sorted(ctx.prompt_source.prompt_source_dir.glob(f"{wp_id}-*.md")):
        return read_front_matter(path.read_text(encoding="utf-8"), source=str(path))
    return {}


def seeded_state(snapshot: StatusSnapshot, ctx: MissionExecutionContext, wp_id: str) -> WPState:
    state = snapshot.work_packages.get(wp_id)
    if state is None:
        raise CliError(
            f"{wp_id} of {ctx.mission_dir_name} has no status yet",
            code="WORK_PACKAGE_NOT_FOUND",
            next_step=f"run `spec-kitty finalize-tasks --mission {ctx.identity.mid8}` to seed it",
        )
    return state
