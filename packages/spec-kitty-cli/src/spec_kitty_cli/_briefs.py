"""The briefs agents work from: what to implement (or fix), and what to review.

A brief is Markdown for the reader and a document for ``--json``, built from the mission's
files and its board alone: the WP file, the spec lines of its requirement ids, the plan
sections that mention it, its owned files, what its dependencies delivered, the feedback
of its last rejected review, and the exact command lines to run when done.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import msgspec

from mission_context import Git, MissionExecutionContext, branch_tip
from mission_status import StatusSnapshot, WPState
from spec_kitty_cli._templates import mission_type

#: The note ``review --reject`` records with the feedback, before its text.
FEEDBACK_PREFIX = "review feedback:\n"
_PLAN_LIMIT = 6000
_SECTION = re.compile(r"^## ", re.MULTILINE)


class Brief(msgspec.Struct, frozen=True):
    """A brief: ``text`` (Markdown) and ``document`` (its parts, for ``--json``)."""

    text: str
    document: dict[str, Any]


class WorkPackageFile(msgspec.Struct, frozen=True):
    """``tasks/WPxx-*.md``: its front matter and its body."""

    path: Path | None
    front: dict[str, Any]
    body: str

    @property
    def title(self) -> str:
        return str(self.front.get("title") or "")

    def strings(self, key: str) -> list[str]:
        value = self.front.get(key)
        return [str(item) for item in value] if isinstance(value, list) else []


def command_line(*words: str) -> str:
    """``words`` as one shell line, each quoted only when it must be."""
    return shlex.join(words)


def read_wp(ctx: MissionExecutionContext, wp_id: str) -> WorkPackageFile:
    """The WP file of ``wp_id`` (empty when there is none)."""
    from spec_kitty_cli._frontmatter import read_front_matter

    for path in sorted(ctx.prompt_source.prompt_source_dir.glob(f"{wp_id}-*.md")):
        text = path.read_text(encoding="utf-8")
        front = read_front_matter(text, source=str(path))  # WP_FILE_INVALID when broken
        lines = text.removeprefix("\ufeff").split("\n")
        if lines[0].rstrip() == "---":
            end = next(i for i in range(1, len(lines)) if lines[i].rstrip() == "---")
            lines = lines[end + 1 :]
        body = "\n".join(lines).strip()
        first, _, rest = body.partition("\n")
        if first.startswith("#") and wp_id in first:  # the brief has its own heading
            body = rest.strip()
        return WorkPackageFile(path, front, body)
    return WorkPackageFile(None, {}, "")


def feedback_of(state: WPState | None) -> str | None:
    """The feedback of the WP's last review when it requested changes, else None."""
    if state is None:
        return None
    result = state.review_result if isinstance(state.review_result, dict) else {}
    if result.get("verdict") != "changes_requested":
        return None
    notes = state.notes if isinstance(state.notes, list) else []
    for note in reversed(notes):
        if note.startswith(FEEDBACK_PREFIX):
            return note.removeprefix(FEEDBACK_PREFIX).strip()
    path = result.get("feedback_path")  # recorded by another tool: the file may still be there
    if isinstance(path, str):
        try:
            return Path(path).read_text(encoding="utf-8").strip() or None
        except (OSError, UnicodeDecodeError):
            pass
    return f"changes requested by {result.get('reviewer', 'the reviewer')} (no text recorded)"


def implement_brief(
    ctx: MissionExecutionContext,
    wp_id: str,
    snapshot: StatusSnapshot,
    *,
    agent: str,
    workspace: Path,
    branch: str,
) -> Brief:
    """What ``agent`` needs to implement ``wp_id`` (or address its review) in ``workspace``."""
    wp = read_wp(ctx, wp_id)
    mid8 = ctx.identity.mid8
    owned = wp.strings("owned_files")
    feedback = feedback_of(snapshot.work_packages.get(wp_id))
    requirements = _requirements(ctx, wp.strings("requirement_refs"))
    dependencies = [_delivered(ctx, dep, snapshot) for dep in wp.strings("dependencies")]
    plan = _plan_sections(ctx, [wp_id, *wp.strings("requirement_refs"), *owned])
    done = [
        command_line("git", "-C", str(workspace), "add", "--", *(owned or ["."])),
        command_line("git", "-C", str(workspace), "commit", "-m", f"{wp_id}: {wp.title}"),
        command_line(
            "spec-kitty", "move-task", wp_id, "--to", "for_review", "--mission", mid8,
            "--actor", agent, "--note", f"{wp_id} ready for review",
        ),
    ]  # fmt: skip
    parts = [f"# {wp_id}: {wp.title or '(untitled)'}", ""]
    parts += [
        f"Mission: {ctx.mission_dir_name} ({ctx.meta.mission_type})",
        f"Workspace: {workspace} (branch {branch})",
        f"Owned files: {', '.join(owned) if owned else '(none listed)'}",
        f"Hand to review: {mission_type(ctx.meta.mission_type).deliverable}",
    ]
    if dependencies:
        parts.append("Depends on:")
        parts += [f"- {_dependency_line(dep)}" for dep in dependencies]
    if feedback:
        parts += ["", "## Review feedback to address first", "", feedback]
    parts += ["", "## The work package", "", wp.body or "(the WP file has no text)"]
    if requirements:
        parts += ["", "## Requirements it serves", ""]
        parts += [f"- {line}" for line in requirements.values()]
    if plan:
        parts += ["", "## From the plan", "", plan]
    parts += ["", "## When done", ""]
    parts += ["Work only in the workspace, on the owned files; run the tests; then:", ""]
    parts += ["```bash", *done, "```"]
    document = {
        "wp_id": wp_id,
        "title": wp.title,
        "mission": ctx.mission_dir_name,
        "mission_type": ctx.meta.mission_type,
        "workspace_path": str(workspace),
        "branch_name": branch,
        "owned_files": owned,
        "requirements": requirements,
        "dependencies": dependencies,
        "feedback": feedback,
        "wp_file": str(wp.path) if wp.path else None,
        "commands": done,
    }
    return Brief("\n".join(parts) + "\n", document)


def feedback_path(ctx: MissionExecutionContext, wp_id: str) -> Path:
    """Where a reviewer writes the feedback of a rejection (tracked with the mission)."""
    return ctx.primary_mission_dir / "reviews" / f"{wp_id}-feedback.md"


def review_brief(
    ctx: MissionExecutionContext, wp_id: str, snapshot: StatusSnapshot, *, reviewer: str
) -> Brief:
    """What ``reviewer`` needs to review ``wp_id``: the diff, the criteria, the two verdicts."""
    wp = read_wp(ctx, wp_id)
    mid8 = ctx.identity.mid8
    owned = wp.strings("owned_files")
    diff, reference = _diff_command(ctx, wp, owned)
    requirements = _requirements(ctx, wp.strings("requirement_refs"))
    subtasks = re.findall(r"^\s*[-*+]\s+\[[ xX]\]\s+(T\d+.*)$", wp.body, re.MULTILINE)
    feedback_file = feedback_path(ctx, wp_id)
    approve = command_line(
        "spec-kitty", "review", wp_id, "--mission", mid8, "--approve",
        "--reviewer", reviewer, "--reference", reference,
    )  # fmt: skip
    reject = command_line(
        "spec-kitty", "review", wp_id, "--mission", mid8, "--reject",
        "--reviewer", reviewer, "--feedback-file", str(feedback_file),
    )  # fmt: skip
    state = snapshot.work_packages.get(wp_id)
    parts = [f"# Review {wp_id}: {wp.title or '(untitled)'}", ""]
    parts += [
        f"Mission: {ctx.mission_dir_name}",
        f"Implemented by: {state.actor if state else 'unknown'}",
        f"Owned files: {', '.join(owned) if owned else '(none listed)'}",
        "",
        "## The change",
        "",
        "```bash",
        diff,
        "```",
        "",
        "## Acceptance criteria",
        "",
    ]
    criteria = [*requirements.values(), *subtasks]
    parts += [f"- {line}" for line in criteria] or ["- the work package's text, below"]
    parts += [
        "- only the owned files changed; the tests pass",
        "",
        "## The work package",
        "",
        wp.body or "(the WP file has no text)",
        "",
        "## Verdict",
        "",
        "Approve:",
        "",
        "```bash",
        approve,
        "```",
        "",
        f"Or reject: write what must change to {feedback_file}, then",
        "",
        "```bash",
        reject,
        "```",
    ]
    document = {
        "wp_id": wp_id,
        "title": wp.title,
        "mission": ctx.mission_dir_name,
        "implemented_by": state.actor if state else None,
        "owned_files": owned,
        "diff_command": diff,
        "acceptance_criteria": criteria,
        "approve": approve,
        "reject": reject,
        "feedback_file": str(feedback_file),
    }
    return Brief("\n".join(parts) + "\n", document)


def _diff_command(
    ctx: MissionExecutionContext, wp: WorkPackageFile, owned: list[str]
) -> tuple[str, str]:
    """The ``git diff`` that shows the WP's change, and a reference naming what is reviewed.

    Lanes: the lane branch against the target (three dots: since they forked). One branch:
    the target against the commit tasks were finalized at (the WP file's ``base_commit``).
    """
    root = str(ctx.workspace.primary_root)
    target = ctx.branch_ref.target_branch
    paths = ["--", *owned] if owned else []
    if ctx.lane is not None and ctx.topology.uses_lanes:
        branch = ctx.lane_branch(ctx.lane)
        return command_line("git", "-C", root, "diff", f"{target}...{branch}", *paths), branch
    base = str(wp.front.get("base_commit") or f"{target}~1")
    return command_line("git", "-C", root, "diff", base, target, *paths), target


def _requirements(ctx: MissionExecutionContext, refs: list[str]) -> dict[str, str]:
    """``{id: the spec line that defines it}`` for each of ``refs`` found in spec.md."""
    try:
        spec = (ctx.primary_mission_dir / "spec.md").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    found: dict[str, str] = {}
    for ref in refs:
        match = re.search(rf"^.*\b{re.escape(ref)}\b.*$", spec, re.MULTILINE)
        if match:
            found[ref] = match.group(0).strip().lstrip("-*+ ").strip()
    return found


def _plan_sections(ctx: MissionExecutionContext, terms: list[str]) -> str:
    """The ``## `` sections of plan.md that mention one of ``terms`` (the whole plan when
    it is short and none does; its headings when it is long)."""
    try:
        plan = (ctx.primary_mission_dir / "plan.md").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    starts = [match.start() for match in _SECTION.finditer(plan)] or [0]
    sections = [
        plan[start:end].strip() for start, end in zip(starts, [*starts[1:], len(plan)], strict=True)
    ]
    needles = [term.split("*", 1)[0].rstrip("/") for term in terms if term.strip("*/")]
    relevant = [s for s in sections if any(needle and needle in s for needle in needles)]
    if relevant:
        return "\n\n".join(relevant)
    if len(plan) <= _PLAN_LIMIT:
        return "\n\n".join(sections)
    headings = [section.splitlines()[0] for section in sections]
    return "\n".join([f"plan.md is long; its sections ({ctx.mission_path}/plan.md):", *headings])


def _delivered(ctx: MissionExecutionContext, dep: str, snapshot: StatusSnapshot) -> dict[str, Any]:
    """What dependency ``dep`` delivered: lane, title, owned files, its approval, its commits."""
    state = snapshot.work_packages.get(dep)
    wp = read_wp(ctx, dep)
    owned = wp.strings("owned_files")
    result = state.review_result if state and isinstance(state.review_result, dict) else {}
    commits: list[str] = []
    lane = next((plan.lane_id for plan in ctx.lanes() if dep in plan.wp_ids), None)
    if lane is not None and ctx.topology.uses_lanes:
        git = Git(ctx.workspace.primary_root)
        branch = ctx.lane_branch(lane)
        if branch_tip(git, branch) is not None:
            target = ctx.branch_ref.target_branch
            log = git.out("log", "--format=%h %s", f"{target}..{branch}", "--", *owned)
            commits = log.splitlines()[:20]
    return {
        "wp_id": dep,
        "title": wp.title,
        "lane": state.lane.value if state else None,
        "owned_files": owned,
        "approved_by": result.get("reviewer") if result.get("verdict") == "approved" else None,
        "reference": result.get("reference") if result.get("verdict") == "approved" else None,
        "commits": commits,
    }


def _dependency_line(dep: dict[str, Any]) -> str:
    line = f"{dep['wp_id']} {dep['title']} ({dep['lane']})".replace("  ", " ")
    if dep["owned_files"]:
        line += f": {', '.join(dep['owned_files'])}"
    if dep["commits"]:
        line += "; " + "; ".join(dep["commits"][:5])
    return line
