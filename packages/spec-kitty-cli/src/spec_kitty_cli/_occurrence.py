"""The occurrence-map gate of bulk-edit missions (the command is ``commands/occurrence_map.py``).

A mission whose primary ``meta.json`` says ``change_mode: bulk_edit`` must carry an
admissible ``occurrence_map.yaml`` in its primary mission directory before
``finalize-tasks`` or ``implement`` run, and ``review`` classifies every file its lane
changed against that map. Both are read from the primary checkout under every topology
(spec-kitty 3.2.7 read the coordination copy of a coord mission, found no meta.json there
and silently skipped the check).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mission_context import Git, MissionExecutionContext, changed_paths, merge_base
from spec_kitty_cli._errors import CliError

if TYPE_CHECKING:
    from occurrence_map import DiffReport

MAP_NAME = "occurrence_map.yaml"
BULK_EDIT = "bulk_edit"


def map_path(ctx: MissionExecutionContext) -> Path:
    return ctx.primary_mission_dir / MAP_NAME


def is_bulk_edit(ctx: MissionExecutionContext) -> bool:
    return ctx.meta.change_mode == BULK_EDIT


def require_admissible_map(ctx: MissionExecutionContext, action: str) -> None:
    """The gate of ``finalize-tasks`` and ``implement``: refuse without an admissible map."""
    if not is_bulk_edit(ctx):
        return
    from occurrence_map import validate_file

    path = map_path(ctx)
    fix = f"spec-kitty occurrence-map validate --mission {ctx.identity.mid8}"
    if not path.is_file():
        raise CliError(
            f"{ctx.mission_dir_name} is a bulk-edit mission and has no {MAP_NAME}",
            code="OCCURRENCE_MAP_MISSING",
            next_step=f"spec-kitty occurrence-map init --mission {ctx.identity.mid8} "
            "--term OLD --replacement NEW, fill it in, then re-run " + action,
        )
    report = validate_file(path)
    if not report.valid:
        raise CliError(
            f"{path} is invalid: {'; '.join(report.errors)}",
            code="OCCURRENCE_MAP_INVALID",
            next_step=f"fix the map ({fix}), then re-run {action}",
        )
    if not report.admissible:
        raise CliError(
            f"{path} is not admissible yet: {'; '.join(report.admissibility_errors)}",
            code="OCCURRENCE_MAP_INADMISSIBLE",
            next_step=f"complete the map ({fix}), then re-run {action}",
        )


def lane_changes(ctx: MissionExecutionContext, wp_id: str) -> tuple[str, str, list[str]]:
    """(base, head, changed paths) of the work of ``wp_id``.

    With lanes: the lane branch against its merge base with the target. Without: the
    target against the WP's recorded ``base_commit``.
    """
    git = Git(ctx.workspace.primary_root)
    target = f"refs/heads/{ctx.branch_ref.target_branch}"
    if ctx.lane is not None and ctx.topology.uses_lanes:
        head = f"refs/heads/{ctx.lane_branch(ctx.lane)}"
        base = merge_base(git, target, head)
    else:
        from spec_kitty_cli._work_packages import wp_front_matter

        head = target
        base = str(wp_front_matter(ctx, wp_id).get("base_commit") or "")
        if not base:
            raise CliError(
                f"{wp_id} records no base_commit to diff against",
                code="WORK_PACKAGE_BASE_UNKNOWN",
                next_step=f"re-run `spec-kitty finalize-tasks --mission {ctx.identity.mid8}` "
                "to record it",
            )
    return base, head, changed_paths(git, base, head)


def check_wp(ctx: MissionExecutionContext, wp_id: str) -> tuple[DiffReport, str, str]:
    """Classify every file ``wp_id`` changed; the report and the base/head compared."""
    from occurrence_map import check_diff, load

    base, head, changed = lane_changes(ctx, wp_id)
    mission_dir = str(ctx.primary_mission_dir.relative_to(ctx.workspace.primary_root))
    report = check_diff(load(map_path(ctx)), changed, mission_dir=mission_dir)
    return report, base, head


def review_gate(ctx: MissionExecutionContext, wp_id: str) -> None:
    """Refuse an approval while the WP changed a do_not_change or unclassified file."""
    if not is_bulk_edit(ctx):
        return
    require_admissible_map(ctx, "review")
    report, _, _ = check_wp(ctx, wp_id)
    if report.ok:
        return
    print_report(report)
    blocked = ", ".join(f"{entry.path} ({entry.reason})" for entry in report.blocked)
    raise CliError(
        f"{wp_id} changes files the occurrence map does not allow: {blocked}",
        code="OCCURRENCE_MAP_BLOCKED",
        next_step=f"revert those files in the lane, or extend {MAP_NAME}; "
        f"`spec-kitty occurrence-map check {wp_id} --mission {ctx.identity.mid8}` shows all",
    )


def entries(report: DiffReport) -> list[dict[str, Any]]:
    return [
        {
            "path": entry.path,
            "category": entry.category,
            "source": entry.source,
            "action": entry.action,
            "verdict": entry.verdict,
            "reason": entry.reason,
        }
        for entry in report.entries
    ]


def print_report(report: DiffReport) -> None:
    """Every changed file and its verdict, as a table on stderr (the gate's evidence)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="occurrence map check")
    for column in ("file", "matched", "category", "action", "verdict"):
        table.add_column(column)
    for entry in report.entries:
        style = "red" if entry.verdict == "blocked" else ""
        table.add_row(
            entry.path,
            entry.source,
            entry.category or "-",
            entry.action or "-",
            entry.verdict,
            style=style,
        )
    Console(stderr=True, highlight=False).print(table)
