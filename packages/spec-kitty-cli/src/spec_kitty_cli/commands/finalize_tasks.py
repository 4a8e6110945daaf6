"""``spec-kitty finalize-tasks``: tasks.md -> WP files and lanes.json, every WP seeded planned."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mission_context import (
    Git,
    MissionExecutionContext,
    StatusWrite,
    branch_tip,
    differing_from,
    lanes_document,
    write_lanes,
)
from mission_status import Lane, isoformat
from spec_kitty_cli._errors import CliError
from spec_kitty_cli._output import Report
from spec_kitty_cli._planning import commit_planning
from spec_kitty_cli._runtime import finish_write, resolve

if TYPE_CHECKING:
    from spec_kitty_cli._tasks_md import WorkPackageSpec


def validate_tasks(cwd: Path, mission: str | None) -> Report:
    """Read the work packages (wps.yaml, else tasks.md) and report them; write nothing
    (3.x's ``--validate-only``)."""
    ctx = resolve(cwd, "finalize-tasks", mission)
    source, wps, _ = _work_packages(ctx)
    document = {
        "mission": ctx.mission_dir_name,
        "valid": True,
        "source": source.name,
        "work_packages": [
            {"wp_id": wp.wp_id, "title": wp.title, "dependencies": list(wp.dependencies)}
            for wp in wps
        ],
    }
    return Report(document, [f"{source}: {len(wps)} work packages, valid"])


def finalize_tasks(cwd: Path, mission: str | None) -> Report:
    """Write the WP files and lanes.json, commit them, then seed each new WP as planned.

    A re-run keeps each WP file's body and its own keys, leaves an unchanged lane
    allocation as it is, seeds only WPs not seeded yet, and commits whatever an
    interrupted run left uncommitted.
    """
    from spec_kitty_cli._occurrence import require_admissible_map
    from spec_kitty_cli._tasks_md import compute_lanes, planning_wps

    ctx = resolve(cwd, "finalize-tasks", mission)
    require_admissible_map(ctx, "finalize-tasks")
    source, wps, generated = _work_packages(ctx)
    if generated is not None:
        (ctx.primary_mission_dir / "tasks.md").write_text(generated, encoding="utf-8")
    base_commit = branch_tip(Git(ctx.workspace.primary_root), ctx.branch_ref.target_branch)
    now = isoformat(datetime.now(UTC))
    files = [_write_wp_file(ctx, wp, base_commit=base_commit, now=now) for wp in wps]
    lanes = compute_lanes(wps)
    allocation = lanes_document(
        lanes,
        mission_slug=ctx.identity.mission_slug,
        mission_id=ctx.identity.mission_id,
        mission_branch=ctx.mission_branch,
        target_branch=ctx.branch_ref.target_branch,
        computed_at=now,
        planning_artifact_wps=planning_wps(wps),
    )
    write_lanes(ctx.primary_mission_dir, allocation)
    sha = commit_planning(ctx, f"finalize-tasks: {ctx.mission_dir_name}")
    write = StatusWrite(ctx)
    with write as batch:
        seeded = [wp.wp_id for wp in wps if batch.lane(wp.wp_id) is None]
        for wp_id in seeded:
            batch.transition(wp_id, Lane.PLANNED, actor="finalize-tasks")
    committed = finish_write(ctx, write)
    lane_of = {wp_id: lane.lane_id for lane in lanes for wp_id in lane.wp_ids}
    document = {
        "mission": ctx.mission_dir_name,
        "source": source.name,
        "work_packages": [
            {
                "wp_id": wp.wp_id,
                "title": wp.title,
                "file": str(path),
                "dependencies": list(wp.dependencies),
                "requirement_refs": list(wp.requirement_refs),
                "lane_id": lane_of.get(wp.wp_id),
            }
            for wp, path in zip(wps, files, strict=True)
        ],
        "lanes": allocation["lanes"],
        "seeded": seeded,
        "commit": sha,
        "status_commit": committed.get("commit"),
    }
    lines = [f"{ctx.mission_dir_name}: {len(wps)} work packages in {len(lanes)} lanes"]
    if generated is not None:
        lines.append(f"Regenerated tasks.md from {source.name}.")
    for entry in document["work_packages"]:
        needs = ", ".join(entry["dependencies"]) or "nothing"
        where = entry["lane_id"] or "no lane"
        lines.append(f"  {entry['wp_id']} {entry['title']} ({where}; needs {needs})")
    if seeded:
        lines.append(f"Seeded {', '.join(seeded)} as planned.")
    lines.append(f"Next: spec-kitty next --mission {ctx.identity.mid8}")
    return Report(document, lines)


def _work_packages(
    ctx: MissionExecutionContext,
) -> tuple[Path, list[WorkPackageSpec], str | None]:
    """Where the WPs come from, the WPs, and the ``tasks.md`` to write (None: keep it).

    ``wps.yaml``, when the mission has one, decides (as in 3.x) and ``tasks.md`` is
    generated from it; else ``tasks.md`` is parsed.
    """
    from spec_kitty_cli._tasks_md import parse_tasks_md
    from spec_kitty_cli._wps import MANIFEST, parse_manifest, render_tasks_md

    manifest = ctx.primary_mission_dir / MANIFEST
    root = ctx.workspace.primary_root
    try:
        manifest_text = manifest.read_text(encoding="utf-8")
    except FileNotFoundError:
        tasks_md, text = _tasks_text(ctx)
        return tasks_md, parse_tasks_md(text, source=str(tasks_md.relative_to(root))), None
    wps = parse_manifest(
        manifest_text, source=str(manifest.relative_to(root)), mode_of=_mode_of(ctx)
    )
    generated = render_tasks_md(wps, ctx.meta.friendly_name or ctx.identity.mission_slug)
    return manifest, wps, _tasks_md_to_write(ctx, generated)


def _mode_of(ctx: MissionExecutionContext) -> Callable[[str], str | None]:
    """The execution mode each WP file states (a manifest entry without one keeps it)."""
    from spec_kitty_cli._frontmatter import read_front_matter

    def mode_of(wp_id: str) -> str | None:
        for path in sorted(ctx.prompt_source.prompt_source_dir.glob(f"{wp_id}-*.md")):
            mode = read_front_matter(path.read_text(encoding="utf-8"), source=str(path)).get(
                "execution_mode"
            )
            return mode if isinstance(mode, str) else None
        return None

    return mode_of


def _tasks_md_to_write(ctx: MissionExecutionContext, generated: str) -> str | None:
    """``generated``, unless ``tasks.md`` already says it, or holds text only it has.

    A missing, template or generated ``tasks.md`` is replaced; so is a hand-written one
    the target branch holds as it is (git keeps it). One with uncommitted edits is
    refused: ``TASKS_MD_EDITED``.
    """
    from spec_kitty_cli._templates import is_unwritten
    from spec_kitty_cli._wps import is_generated

    tasks_md = ctx.primary_mission_dir / "tasks.md"
    try:
        current = tasks_md.read_text(encoding="utf-8")
    except FileNotFoundError:
        return generated
    if current == generated:
        return None
    if is_unwritten(current) or is_generated(current):
        return generated
    git = Git(ctx.workspace.primary_root)
    rel = str(tasks_md.relative_to(ctx.workspace.primary_root))
    if differing_from(git, ctx.branch_ref.target_branch, [rel]):
        raise CliError(
            f"{tasks_md} has edits that are not committed, and wps.yaml decides the work "
            "packages: finalize-tasks would replace it with the one generated from wps.yaml",
            code="TASKS_MD_EDITED",
            next_step="move the edits into wps.yaml, or commit tasks.md (git keeps it), then "
            f"`spec-kitty finalize-tasks --mission {ctx.identity.mid8}`",
        )
    return generated


def _tasks_text(ctx: MissionExecutionContext) -> tuple[Path, str]:
    """tasks.md and its text: ``TASKS_NOT_FOUND`` when missing, ``TASKS_NOT_WRITTEN`` when it
    is still the template."""
    from spec_kitty_cli._templates import is_unwritten

    tasks_md = ctx.primary_mission_dir / "tasks.md"
    try:
        text = tasks_md.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(
            f"{tasks_md} does not exist",
            code="TASKS_NOT_FOUND",
            next_step=f"run `spec-kitty tasks --mission {ctx.identity.mid8}` and fill in "
            "tasks.md (or write wps.yaml)",
        ) from None
    if is_unwritten(text):
        raise CliError(
            f"{tasks_md} is still the template (its first line is the template marker)",
            code="TASKS_NOT_WRITTEN",
            next_step="write the work packages into tasks.md and delete its first line, then "
            f"`spec-kitty finalize-tasks --mission {ctx.identity.mid8}`",
        )
    return tasks_md, text


def _write_wp_file(
    ctx: MissionExecutionContext, wp: WorkPackageSpec, *, base_commit: str | None, now: str
) -> Path:
    """Create ``tasks/WPxx-<slug>.md``, or refresh the front matter of the existing file.

    An existing file keeps its name, body, creation time, base and any key of its
    own (and its ``subtasks`` when tasks.md lists none, as 3.x files have them); the keys
    tasks.md decides are rewritten, and a stored lane is dropped.
    """
    from spec_kitty_cli._frontmatter import read_front_matter, replace_front_matter
    from spec_kitty_cli._tasks_md import render_wp_file, wp_front_matter

    tasks_dir = ctx.prompt_source.prompt_source_dir
    tasks_dir.mkdir(parents=True, exist_ok=True)
    branch = ctx.branch_ref.target_branch
    existing = sorted(tasks_dir.glob(f"{wp.wp_id}-*.md"))
    if not existing:
        path = tasks_dir / wp.filename
        text = render_wp_file(wp, base_branch=branch, base_commit=base_commit, created_at=now)
        path.write_text(text, encoding="utf-8")
        return path
    path = existing[0]
    old_text = path.read_text(encoding="utf-8")
    old = read_front_matter(old_text, source=str(path))
    decided = wp_front_matter(wp, base_branch=branch, base_commit=base_commit, created_at=now)
    kept = {key: old[key] for key in ("created_at", "base_branch", "base_commit") if old.get(key)}
    if not decided.get("subtasks") and old.get("subtasks"):
        kept["subtasks"] = old["subtasks"]  # 3.x keeps them here; tasks.md lists none
    merged = {**old, **decided, **kept}
    merged.pop("lane", None)
    text = replace_front_matter(old_text, merged)
    if text != old_text:
        path.write_text(text, encoding="utf-8")
    return path
