"""What the planning commands share: the planning files, their commit, and scaffolding.

Planning artifacts live in the primary checkout's mission directory and are
committed to the placement ref (the target branch) through ``commit_to``, which
commits exactly the files named: status files, other branches' files and the
user's unrelated edits never block a planning commit or get swept into one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from mission_context import MissionExecutionContext
from mission_status import LOG_FILENAME, STATUS_FILENAME

from ._output import Report
from ._runtime import commit_files, resolve

#: Files of a mission directory that are planning artifacts (committed to the target).
_PLANNING_SUFFIXES = frozenset({".md", ".json", ".yaml", ".yml"})
#: Status files commit to the destination ref.
_NOT_PLANNING = frozenset({LOG_FILENAME, STATUS_FILENAME})
#: The planning documents a mission may have, in reading order.
PLANNING_DOCS = ("spec.md", "plan.md", "tasks.md", "research.md", "data-model.md", "quickstart.md")
#: The inputs whose content an analysis report is keyed to.
ANALYSIS_INPUTS = ("spec.md", "plan.md", "tasks.md")
ANALYSIS_REPORT = "analysis-report.md"


def planning_files(ctx: MissionExecutionContext) -> list[Path]:
    """Every planning artifact in the primary mission directory.

    Status files are excluded (they commit to the destination ref), and so is meta.json:
    only specify and merge change it, and they commit it themselves, so a stale copy in
    a checkout must never overwrite the target's.
    """
    root = ctx.primary_mission_dir
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and path.suffix in _PLANNING_SUFFIXES
        and path.name not in _NOT_PLANNING
        and path != ctx.meta.path
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )


def commit_planning(ctx: MissionExecutionContext, message: str) -> str | None:
    """Commit outstanding planning artifacts to the placement ref; the sha, or None."""
    made = commit_files(ctx, planning_files(ctx), message)
    return made.sha if made else None


def scaffold(
    cwd: Path, mission: str | None, which: Literal["plan", "tasks"], *, then: str
) -> Report:
    """``plan`` / ``tasks``: write ``<which>.md`` from the mission type's template when it is
    missing, and commit the planning artifacts; ``then`` is the command to run next."""
    from ._templates import mission_type, render

    ctx = resolve(cwd, which, mission)
    name = f"{which}.md"
    path = ctx.primary_mission_dir / name
    created = not path.exists()
    if created:
        title = ctx.meta.friendly_name or ctx.identity.mission_slug
        template = getattr(mission_type(ctx.meta.mission_type), which)
        path.write_text(render(template, title), encoding="utf-8")
    sha = commit_planning(ctx, f"{which}: {ctx.mission_dir_name}")
    document = {
        "mission": ctx.mission_dir_name,
        "path": str(path),
        "created": created,
        "commit": sha,
    }
    return Report(
        document,
        [
            f"{'Wrote' if created else 'Kept'} {path}",
            f"  committed to {ctx.branch_ref.target_branch}" if sha else "  nothing new to commit",
            f"Next: write {name} (replace the template and its first line), then "
            f"`spec-kitty {then} --mission {ctx.identity.mid8}`",
        ],
    )


def input_hashes(ctx: MissionExecutionContext) -> dict[str, str | None]:
    """sha256 of spec/plan/tasks in the primary mission directory (None when missing), and
    of wps.yaml when the mission has one (it decides the work packages then)."""
    import hashlib

    hashes: dict[str, str | None] = {}
    manifest = "wps.yaml" if (ctx.primary_mission_dir / "wps.yaml").is_file() else None
    for name in (*ANALYSIS_INPUTS, *filter(None, [manifest])):
        try:
            hashes[name] = hashlib.sha256((ctx.primary_mission_dir / name).read_bytes()).hexdigest()
        except FileNotFoundError:
            hashes[name] = None
    return hashes
