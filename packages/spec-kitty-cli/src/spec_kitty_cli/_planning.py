"""Planning commands: init, plan, tasks, finalize-tasks, record-analysis, analyze.

Planning artifacts live in the primary checkout's mission directory and are
committed to the placement ref (the target branch) through ``commit_to``, which
commits exactly the files named: status files, other branches' files and the
user's unrelated edits never block a planning commit or get swept into one.
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mission_context import (
    ContextError,
    Git,
    MissionExecutionContext,
    StatusWrite,
    branch_tip,
    init_repository,
    place_artifact,
)
from mission_status import LOG_FILENAME, STATUS_FILENAME, Lane, MissionStatusError, isoformat

from ._output import emit_json
from ._runtime import commit_files, finish_write, guarded, resolve, say

if TYPE_CHECKING:
    from ._tasks_md import WorkPackageSpec

#: Files of a mission directory that are planning artifacts (committed to the target).
_PLANNING_SUFFIXES = frozenset({".md", ".json", ".yaml", ".yml"})
#: Status files commit to the destination ref.
_NOT_PLANNING = frozenset({LOG_FILENAME, STATUS_FILENAME})
#: The inputs whose content an analysis report is keyed to.
ANALYSIS_INPUTS = ("spec.md", "plan.md", "tasks.md")
ANALYSIS_REPORT = "analysis-report.md"

_PLAN_TEMPLATE = """# Plan: {name}

## Approach

How the spec will be met, and why this way.

## Architecture

The parts, and what each owns.

## Risks

- ...
"""

_TASKS_TEMPLATE = """# Tasks: {name}

One section per work package. `spec-kitty finalize-tasks` reads the headings,
`Depends on`, `Requirement Refs` and `Owned Files` lines below.

## Work Package WP01: First slice

**Depends on**: none
**Requirement Refs**: FR-001
**Owned Files**: src/...

- [ ] T001 ...
"""


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


# -- init ------------------------------------------------------------------------------


def run_init(path: Path, *, as_json: bool) -> int:
    """Prepare a repository: config, merge driver, ignored worktrees. Idempotent."""

    def body() -> int:
        done = init_repository(path)
        document = {
            "root": str(done.root),
            "created_repository": done.created_repository,
            "changed": list(done.changed),
            "merge_driver_configured": done.driver_configured,
            "commit": done.commit.sha if done.commit else None,
            "branch": done.branch,
        }
        if as_json:
            emit_json(document)
            return 0
        if done.created_repository:
            say(f"Initialised a git repository in {done.root}")
        if not done.changed and not done.driver_configured:
            say(f"{done.root} is already set up for spec-kitty: nothing to do.")
        for name in done.changed:
            say(f"  wrote {name}")
        if done.driver_configured:
            say("  configured the event-log merge driver (local git config)")
        if done.commit:
            say(f"  committed to {done.branch} ({done.commit.sha[:10]})")
        elif done.changed:
            say("  not committed: HEAD is detached; commit the files yourself")
        say('Next: spec-kitty specify "What you want to build"')
        return 0

    return guarded(as_json, body)


# -- plan / tasks ------------------------------------------------------------------------


def run_scaffold(cwd: Path, mission: str | None, which: str, *, as_json: bool) -> int:
    """``plan`` / ``tasks``: write the template when missing, commit planning artifacts."""

    def body() -> int:
        ctx = resolve(cwd, which, mission)
        name = f"{which}.md"
        path = ctx.primary_mission_dir / name
        template = _PLAN_TEMPLATE if which == "plan" else _TASKS_TEMPLATE
        created = not path.exists()
        if created:
            title = ctx.meta.friendly_name or ctx.identity.mission_slug
            path.write_text(template.format(name=title), encoding="utf-8")
        sha = commit_planning(ctx, f"{which}: {ctx.mission_dir_name}")
        document = {
            "mission": ctx.mission_dir_name,
            "path": str(path),
            "created": created,
            "commit": sha,
        }
        if as_json:
            emit_json(document)
            return 0
        say(f"{'Wrote' if created else 'Kept'} {path}")
        say(f"  committed to {ctx.branch_ref.target_branch}" if sha else "  nothing new to commit")
        follow = "tasks" if which == "plan" else "finalize-tasks"
        say(f"Next: edit {name}, then `spec-kitty {follow} --mission {ctx.identity.mid8}`")
        return 0

    return guarded(as_json, body)


# -- finalize-tasks ------------------------------------------------------------------------


def run_finalize_tasks(cwd: Path, mission: str | None, *, as_json: bool) -> int:
    """tasks.md -> WP files and lanes.json (committed), every WP seeded to planned."""

    def body() -> int:
        from ._occurrence import require_admissible_map
        from ._tasks_md import compute_lanes, lanes_document, parse_tasks_md

        ctx = resolve(cwd, "finalize-tasks", mission)
        require_admissible_map(ctx, "finalize-tasks")
        tasks_md = ctx.primary_mission_dir / "tasks.md"
        try:
            text = tasks_md.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ContextError(
                f"{tasks_md} does not exist",
                code="TASKS_NOT_FOUND",
                next_step=f"run `spec-kitty tasks --mission {ctx.identity.mid8}` and fill it in",
            ) from None
        wps = parse_tasks_md(text, source=str(tasks_md.relative_to(ctx.workspace.primary_root)))
        base_commit = branch_tip(Git(ctx.workspace.primary_root), ctx.branch_ref.target_branch)
        now = isoformat(datetime.now(UTC))
        files = [_write_wp_file(ctx, wp, base_commit=base_commit, now=now) for wp in wps]
        lanes = compute_lanes(wps)
        document = lanes_document(
            lanes,
            wps,
            mission_slug=ctx.identity.mission_slug,
            mission_id=ctx.identity.mission_id,
            mission_branch=ctx.mission_branch,
            target_branch=ctx.branch_ref.target_branch,
            computed_at=now,
        )
        _write_lanes(ctx.primary_mission_dir / "lanes.json", document)
        sha = commit_planning(ctx, f"finalize-tasks: {ctx.mission_dir_name}")
        write = StatusWrite(ctx)
        with write as batch:
            seeded = [wp.wp_id for wp in wps if batch.lane(wp.wp_id) is None]
            for wp_id in seeded:
                batch.transition(wp_id, Lane.PLANNED, actor="finalize-tasks")
        committed = finish_write(ctx, write)
        lane_of = {wp_id: lane.lane_id for lane in lanes for wp_id in lane.wp_ids}
        report = {
            "mission": ctx.mission_dir_name,
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
            "lanes": document["lanes"],
            "seeded": seeded,
            "commit": sha,
            "status_commit": committed.get("commit"),
        }
        if as_json:
            emit_json(report)
            return 0
        say(f"{ctx.mission_dir_name}: {len(wps)} work packages in {len(lanes)} lanes")
        for entry in report["work_packages"]:
            needs = ", ".join(entry["dependencies"]) or "nothing"
            where = entry["lane_id"] or "no lane"
            say(f"  {entry['wp_id']} {entry['title']} ({where}; needs {needs})")
        if seeded:
            say(f"Seeded {', '.join(seeded)} as planned.")
        first = wps[0].wp_id
        say(f"Next: spec-kitty implement {first} --mission {ctx.identity.mid8} --agent <you>")
        return 0

    return guarded(as_json, body)


def _write_wp_file(
    ctx: MissionExecutionContext, wp: WorkPackageSpec, *, base_commit: str | None, now: str
) -> Path:
    """Create ``tasks/WPxx-<slug>.md``, or refresh the front matter of the existing file.

    An existing file keeps its name, body, creation time, base and any key of its
    own; the keys tasks.md decides are rewritten, and a stored lane is dropped.
    """
    from ._frontmatter import read_front_matter
    from ._tasks_md import render_wp_file

    tasks_dir = ctx.prompt_source.prompt_source_dir
    tasks_dir.mkdir(parents=True, exist_ok=True)
    fresh = render_wp_file(
        wp, base_branch=ctx.branch_ref.target_branch, base_commit=base_commit, created_at=now
    )
    existing = sorted(tasks_dir.glob(f"{wp.wp_id}-*.md"))
    if not existing:
        path = tasks_dir / wp.filename
        path.write_text(fresh, encoding="utf-8")
        return path
    path = existing[0]
    old_text = path.read_text(encoding="utf-8")
    old = read_front_matter(old_text, source=str(path))
    decided = read_front_matter(fresh, source=wp.filename)
    kept = {key: old[key] for key in ("created_at", "base_branch", "base_commit") if old.get(key)}
    merged = {**old, **decided, **kept}
    merged.pop("lane", None)
    text = _with_front_matter(old_text, merged)
    if text != old_text:
        path.write_text(text, encoding="utf-8")
    return path


def _with_front_matter(text: str, fields: dict[str, Any]) -> str:
    """``text`` with its front matter block replaced by ``fields`` (the body kept as is)."""
    import yaml

    body = text
    if text.startswith("---\n"):
        end = text.find("\n---", 3)
        if end != -1:
            closing = text.find("\n", end + 4)
            body = text[closing + 1 :] if closing != -1 else ""
    header = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return f"---\n{header}---\n{body}"


def _write_lanes(path: Path, document: dict[str, Any]) -> None:
    """Write lanes.json; an unchanged allocation keeps its file (and computed_at) as is."""
    try:
        previous = json.loads(path.read_bytes())
    except (OSError, ValueError):
        previous = None
    if isinstance(previous, dict):
        same = {**document, "computed_at": previous.get("computed_at")}
        if same == previous:
            return
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# -- record-analysis / analyze ---------------------------------------------------------------


def input_hashes(ctx: MissionExecutionContext) -> dict[str, str | None]:
    """sha256 of spec/plan/tasks in the primary mission directory (None when missing)."""
    hashes: dict[str, str | None] = {}
    for name in ANALYSIS_INPUTS:
        try:
            hashes[name] = hashlib.sha256((ctx.primary_mission_dir / name).read_bytes()).hexdigest()
        except FileNotFoundError:
            hashes[name] = None
    return hashes


def run_record_analysis(cwd: Path, mission: str | None, input_file: str, *, as_json: bool) -> int:
    """Write analysis-report.md keyed to the input hashes and commit it to the target."""

    def body() -> int:
        import yaml

        ctx = resolve(cwd, "record-analysis", mission)
        report = _read_input(input_file)
        if not report.strip():
            raise ContextError(
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
        if as_json:
            emit_json(document)
        else:
            say(f"Recorded {placed.location}", f"  keyed to {', '.join(ANALYSIS_INPUTS)}")
        return 0

    return guarded(as_json, body)


def _read_input(input_file: str) -> str:
    if input_file == "-":
        return sys.stdin.read()
    try:
        return Path(input_file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContextError(
            f"{input_file} does not exist",
            code="INPUT_FILE_NOT_FOUND",
            next_step="pass an existing file, or `-` to read the report from stdin",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContextError(
            f"cannot read {input_file}: {exc}",
            code="INVALID_ARGUMENTS",
            next_step="pass a readable UTF-8 text file",
        ) from None


def run_analyze(cwd: Path, mission: str | None, *, as_json: bool) -> int:
    """Whether the recorded analysis still matches spec/plan/tasks (content hashes). Reads only."""

    def body() -> int:
        from ._frontmatter import read_front_matter

        ctx = resolve(cwd, "analyze", mission)
        path = ctx.primary_mission_dir / ANALYSIS_REPORT
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ContextError(
                f"{ctx.mission_dir_name} has no {ANALYSIS_REPORT}",
                code="ANALYSIS_NOT_FOUND",
                next_step=f"spec-kitty record-analysis --mission {ctx.identity.mid8} "
                "--input-file <report>",
            ) from None
        try:
            front = read_front_matter(text, source=str(path))
        except MissionStatusError as err:
            raise ContextError(
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
            for name in ANALYSIS_INPUTS
        }
        stale = [name for name, entry in inputs.items() if entry["stale"]]
        document = {
            "mission": ctx.mission_dir_name,
            "report": str(path),
            "recorded_at": front.get("recorded_at"),
            "stale": bool(stale),
            "inputs": inputs,
        }
        if as_json:
            emit_json(document)
        elif stale:
            say(f"The analysis is stale: {', '.join(stale)} changed since it was recorded.")
        else:
            say("The analysis is current: spec, plan and tasks are as analysed.")
        return 0

    return guarded(as_json, body)
