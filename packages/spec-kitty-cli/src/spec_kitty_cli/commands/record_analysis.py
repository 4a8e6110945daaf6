"""``spec-kitty record-analysis``: analysis-report.md, keyed to the hashes of spec/plan/tasks."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from mission_context import place_artifact
from mission_status import isoformat
from spec_kitty_cli._errors import CliError
from spec_kitty_cli._output import Report
from spec_kitty_cli._planning import ANALYSIS_REPORT, input_hashes
from spec_kitty_cli._runtime import resolve


def record_analysis(cwd: Path, mission: str | None, input_file: str) -> Report:
    """Write the report (front matter: when, and the inputs' sha256) onto the target branch."""
    import yaml

    ctx = resolve(cwd, "record-analysis", mission)
    report = _read_input(input_file)
    if not report.strip():
        raise CliError(
            "the analysis report is empty",
            code="INVALID_ARGUMENTS",
            next_step="pass a file (or stdin with `-`) holding the analysis",
        )
    front = {
        "recorded_at": isoformat(datetime.now(UTC)),
        "inputs": input_hashes(ctx),
    }
    header = yaml.safe_dump(front, sort_keys=False, default_flow_style=False)
    text = f"---\n{header}---\n\n{report.rstrip()}\n"
    placed = place_artifact(
        ctx, ANALYSIS_REPORT, text.encode("utf-8"), f"record-analysis: {ctx.mission_dir_name}"
    )
    document = {
        "mission": ctx.mission_dir_name,
        "path": placed.location,
        "inputs": front["inputs"],
        "commit": placed.commit,
    }
    return Report(
        document, [f"Recorded {placed.location}", f"  keyed to {', '.join(front['inputs'])}"]
    )


def _read_input(input_file: str) -> str:
    if input_file == "-":
        return sys.stdin.read()
    try:
        return Path(input_file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(
            f"{input_file} does not exist",
            code="INPUT_FILE_NOT_FOUND",
            next_step="pass an existing file, or `-` to read the report from stdin",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(
            f"cannot read {input_file}: {exc}",
            code="INVALID_ARGUMENTS",
            next_step="pass a readable UTF-8 text file",
        ) from None
