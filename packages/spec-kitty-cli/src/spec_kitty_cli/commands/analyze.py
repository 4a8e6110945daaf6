"""``spec-kitty analyze``: is the recorded analysis stale? Judged by content. Reads only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mission_status import MissionStatusError
from spec_kitty_cli._errors import CliError
from spec_kitty_cli._output import Report
from spec_kitty_cli._planning import ANALYSIS_REPORT, input_hashes
from spec_kitty_cli._runtime import resolve


def analyze(cwd: Path, mission: str | None) -> Report:
    """Compare the hashes the report was keyed to with spec/plan/tasks as they are now."""
    from spec_kitty_cli._frontmatter import read_front_matter

    ctx = resolve(cwd, "analyze", mission)
    path = ctx.primary_mission_dir / ANALYSIS_REPORT
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(
            f"{ctx.mission_dir_name} has no {ANALYSIS_REPORT}",
            code="ANALYSIS_NOT_FOUND",
            next_step=f"spec-kitty record-analysis --mission {ctx.identity.mid8} "
            "--input-file <report>",
        ) from None
    try:
        front = read_front_matter(text, source=str(path))
    except MissionStatusError as err:
        raise CliError(
            err.message.replace("WP file", "analysis report"),
            code="ANALYSIS_REPORT_INVALID",
            next_step=f"record it again: spec-kitty record-analysis --mission "
            f"{ctx.identity.mid8} --input-file <report>",
        ) from None
    inputs_field = front.get("inputs")
    recorded: dict[str, Any] = inputs_field if isinstance(inputs_field, dict) else {}
    current = input_hashes(ctx)
    inputs = {
        name: {
            "recorded": recorded.get(name),
            "current": current[name],
            "stale": recorded.get(name) != current[name],
        }
        for name in current
    }
    stale = [name for name, entry in inputs.items() if entry["stale"]]
    document = {
        "mission": ctx.mission_dir_name,
        "report": str(path),
        "recorded_at": front.get("recorded_at"),
        "stale": bool(stale),
        "inputs": inputs,
    }
    if stale:
        line = f"The analysis is stale: {', '.join(stale)} changed since it was recorded."
    else:
        line = "The analysis is current: spec, plan and tasks are as analysed."
    return Report(document, [line])
