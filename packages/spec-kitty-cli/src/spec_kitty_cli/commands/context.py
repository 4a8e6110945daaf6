"""``spec-kitty context``: every fragment of the resolved execution context. Writes nothing."""

from __future__ import annotations

from pathlib import Path

from mission_context import MissionExecutionContext
from spec_kitty_cli._output import Report
from spec_kitty_cli._runtime import resolve


def context(cwd: Path, mission: str | None, action: str, wp: str | None) -> Report:
    """The context ``action`` on ``mission`` (and ``wp``) resolves to, from ``cwd``."""
    ctx = resolve(cwd, action, mission, wp)
    document = {
        "action": ctx.action,
        "mission": ctx.mission_dir_name,
        "topology": ctx.topology.value,
        "wp": ctx.wp,
        "lane": ctx.lane,
        **ctx.to_dict(),
    }
    return Report(document, show=lambda: _print(ctx, action))


def _print(ctx: MissionExecutionContext, action: str) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False)
    console.print(Text(f"{ctx.mission_dir_name} ({ctx.topology.value}), action {action}"))
    for fragment, values in ctx.to_dict().items():
        console.print(Text(fragment, style="bold"))
        for key, value in values.items():
            console.print(Text(f"  {key}: {value}"))
