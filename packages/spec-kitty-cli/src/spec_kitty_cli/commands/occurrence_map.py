"""``spec-kitty occurrence-map validate|check|init``: the occurrence map of a bulk-edit mission."""

from __future__ import annotations

from pathlib import Path

from mission_context import MissionExecutionContext
from spec_kitty_cli._errors import EXIT_FAILURE, CliError
from spec_kitty_cli._occurrence import (
    MAP_NAME,
    check_wp,
    entries,
    is_bulk_edit,
    map_path,
    print_report,
    require_admissible_map,
)
from spec_kitty_cli._output import Report, say
from spec_kitty_cli._runtime import check_action, resolve


def occurrence_map(
    cwd: Path,
    action: str,
    wp: str | None,
    mission: str | None,
    *,
    term: str | None,
    replacement: str | None,
    strict: bool,
) -> Report:
    """validate / check / init (a map that cannot be read is ``OCCURRENCE_MAP_<code>``)."""
    check_action("occurrence-map", action, ("validate", "check", "init"))
    if action == "init":
        return _init(resolve(cwd, "occurrence-map", mission), term, replacement)
    if action == "validate":
        return _validate(resolve(cwd, "occurrence-map", mission))
    return _check(cwd, wp, mission, strict=strict)


def _check(cwd: Path, wp: str | None, mission: str | None, *, strict: bool) -> Report:
    if wp is None:
        raise CliError(
            "check needs a work package",
            code="WORK_PACKAGE_UNRESOLVED",
            next_step="spec-kitty occurrence-map check WP01 --mission <handle>",
        )
    ctx = resolve(cwd, "review", mission, wp.strip().upper())
    require_admissible_map(ctx, "occurrence-map check")
    report, base, head = check_wp(ctx, ctx.wp or wp)
    findings: list[dict[str, str]] = []
    if ctx.lane is not None and ctx.topology.uses_lanes and ctx.lane_worktree(ctx.lane).is_dir():
        from occurrence_map import check_moves, load

        own = ctx.primary_mission_dir.relative_to(ctx.workspace.primary_root).as_posix()
        moves = check_moves(
            load(map_path(ctx)), ctx.lane_worktree(ctx.lane), strict=strict, mission_dir=own
        )
        findings = [{"severity": f.severity, "code": f.code, "message": f.message} for f in moves]
    errors = [f for f in findings if f["severity"] == "error"]
    document = {
        "mission": ctx.mission_dir_name,
        "wp_id": ctx.wp,
        "base": base,
        "head": head,
        "ok": report.ok and not errors,
        "files": entries(report),
        "moves": findings,
    }
    lines = [
        f"{finding['severity']}[{finding['code']}]: {finding['message']}" for finding in findings
    ]
    lines.append("allowed" if document["ok"] else "blocked")

    def show() -> None:
        print_report(report)
        say(*lines)

    return Report(document, lines, show=show, exit_code=0 if document["ok"] else EXIT_FAILURE)


def _validate(ctx: MissionExecutionContext) -> Report:
    from occurrence_map import validate_file

    path = map_path(ctx)
    if not path.is_file():
        raise CliError(
            f"{ctx.mission_dir_name} has no {MAP_NAME}",
            code="OCCURRENCE_MAP_NOT_FOUND",
            next_step=f"spec-kitty occurrence-map init --mission {ctx.identity.mid8} "
            "--term OLD --replacement NEW",
        )
    report = validate_file(path)
    document = {
        "mission": ctx.mission_dir_name,
        "path": str(path),
        "bulk_edit": is_bulk_edit(ctx),
        "valid": report.valid,
        "errors": report.errors,
        "warnings": report.warnings,
        "admissible": report.admissible,
        "admissibility_errors": report.admissibility_errors,
    }
    lines = [f"error: {error}" for error in report.errors]
    lines += [f"not admissible: {problem}" for problem in report.admissibility_errors]
    lines += [f"warning: {warning}" for warning in report.warnings]
    verdict = "valid and admissible" if report.valid and report.admissible else "blocked"
    lines.append(f"{path}: {verdict}")
    return Report(
        document, lines, exit_code=0 if report.valid and report.admissible else EXIT_FAILURE
    )


def _init(ctx: MissionExecutionContext, term: str | None, replacement: str | None) -> Report:
    from occurrence_map import starter_map

    if not term or not replacement:
        raise CliError(
            "init needs --term and --replacement",
            code="INVALID_ARGUMENTS",
            next_step="spec-kitty occurrence-map init --mission <handle> --term OLD "
            "--replacement NEW",
        )
    path = map_path(ctx)
    if path.exists():
        raise CliError(
            f"{path} already exists",
            code="OCCURRENCE_MAP_EXISTS",
            next_step="edit it, or remove it first to start over",
        )
    path.write_text(starter_map(term, replacement), encoding="utf-8")
    return Report(
        {"mission": ctx.mission_dir_name, "path": str(path), "created": True},
        [f"Wrote {path}: review every category's action, then validate it."],
    )
