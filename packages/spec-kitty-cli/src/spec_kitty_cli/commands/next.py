"""``spec-kitty next``: the one next action, its brief and the exact steps. Reads only.

The state is read once per mission (its artifacts, analysis, board, dependencies, reviews,
merge state, acceptance) through the resolved context, so the answer is the same from
the primary checkout, a lane worktree or the coordination worktree. :mod:`.._next`
decides; this module turns the decision into steps: ``{"run": line}`` to run as printed,
``{"write": path, "what": ...}`` to write, ``{"work": workspace, ...}`` to implement.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mission_context import MissionExecutionContext, list_missions, resolve_action_context
from mission_status import Lane, MissionStatusError, StatusEvent, StatusSnapshot
from spec_kitty_cli._briefs import (
    command_line,
    feedback_of,
    implement_brief,
    read_wp,
    review_brief,
)
from spec_kitty_cli._next import (
    ARTIFACTS,
    IDLE,
    MISSING,
    TEMPLATE,
    WRITTEN,
    Decision,
    MissionState,
    WorkItem,
    decide,
)
from spec_kitty_cli._output import Report
from spec_kitty_cli._runtime import resolve
from spec_kitty_cli._templates import is_unwritten, mission_type

#: The value a command line needs that ``next`` cannot know.
AGENT_PLACEHOLDER = "<agent>"


def next_action(cwd: Path, mission: str | None, agent: str | None) -> Report:
    """The next action of ``mission`` (or, without one, of every mission) for ``agent``."""
    if mission is not None:
        ctx = resolve(cwd, "next", mission)
        document = _mission_document(ctx, agent)
        return Report(document, _lines(document))
    rows: list[dict[str, Any]] = []
    for name in list_missions(cwd=cwd):
        try:
            ctx = resolve_action_context(cwd=cwd, action="next", mission=name)
            rows.append(_mission_document(ctx, agent))
        except MissionStatusError as err:
            rows.append({"mission": name, "error": err.to_dict()})
    chosen = _first(rows) or _new_mission(rows)
    document = {**chosen, "missions": [_summary(row) for row in rows]}
    lines = _lines(document)
    if len(rows) > 1:
        lines += ["", "Every mission:"]
        lines += [f"  {row['mission']}: {row.get('action', 'error')}" for row in rows]
    return Report(document, lines)


def _first(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first mission with something to do; else the first waiting or blocked one."""
    live = [row for row in rows if "action" in row]
    for row in live:
        if row["action"] not in IDLE:
            return row
    return next((row for row in live if row["action"] != "done"), None)


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("mission", "mid8", "action", "wp_id", "reason", "error")
    return {key: row[key] for key in keys if key in row}


def _new_mission(rows: list[dict[str, Any]]) -> dict[str, Any]:
    why = "every mission is accepted" if rows else "there is no mission yet"
    return {
        "mission": None,
        "mid8": None,
        "action": "specify",
        "wp_id": None,
        "reason": why,
        "brief": "Create a mission for the work: name it in a few words.\n",
        "steps": [
            {"run": 'spec-kitty specify "<name>" --mission-type software-dev --json'},
        ],
        "placeholders": {"<name>": "the mission's name, in words (the intent)"},
    }


# -- one mission ------------------------------------------------------------------------


def mission_state(ctx: MissionExecutionContext, snapshot: StatusSnapshot) -> MissionState:
    """What :func:`decide` needs of ``ctx``'s mission, read from its files and its board."""
    artifacts = {name: _artifact(ctx.primary_mission_dir / f"{name}.md") for name in ARTIFACTS}
    if (ctx.primary_mission_dir / "wps.yaml").is_file():
        artifacts["tasks"] = WRITTEN  # 3.x's WP manifest: finalize-tasks generates tasks.md
    work = tuple(
        WorkItem(
            wp_id=wp_id,
            lane=state.lane,
            actor=state.actor,
            dependencies=tuple(read_wp(ctx, wp_id).strings("dependencies")),
            rejected=feedback_of(state) is not None,
            reason=_block_reason(ctx, wp_id) if state.lane is Lane.BLOCKED else None,
        )
        for wp_id, state in snapshot.work_packages.items()
    )
    from spec_kitty_cli._merging import state_path

    return MissionState(
        artifacts=artifacts,
        analysis=_analysis(ctx),
        work=work,
        merging=state_path(ctx).exists(),
        accepted=bool(ctx.meta.raw.get("accepted_at")),
    )


def _artifact(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return MISSING
    return TEMPLATE if is_unwritten(text) or not text.strip() else WRITTEN


def _analysis(ctx: MissionExecutionContext) -> str:
    """``missing``, ``stale`` (or unreadable) or ``current``, judged by content as analyze."""
    from spec_kitty_cli._frontmatter import read_front_matter
    from spec_kitty_cli._planning import ANALYSIS_REPORT, input_hashes

    path = ctx.primary_mission_dir / ANALYSIS_REPORT
    try:
        front = read_front_matter(path.read_text(encoding="utf-8"), source=str(path))
    except FileNotFoundError:
        return MISSING
    except (MissionStatusError, OSError, UnicodeDecodeError):
        return "stale"
    return "current" if front.get("inputs") == input_hashes(ctx) else "stale"


def _block_reason(ctx: MissionExecutionContext, wp_id: str) -> str | None:
    history = ctx.status().history(wp_id)
    for row in reversed(history):
        if isinstance(row, StatusEvent) and row.to_lane is Lane.BLOCKED:
            return row.reason
    return None


def _mission_document(ctx: MissionExecutionContext, agent: str | None) -> dict[str, Any]:
    snapshot = ctx.status().snapshot()
    decision = decide(mission_state(ctx, snapshot), agent)
    brief, steps, extra = _plan_steps(ctx, decision, snapshot, agent)
    document: dict[str, Any] = {
        "mission": ctx.mission_dir_name,
        "mid8": ctx.identity.mid8,
        "mission_type": ctx.meta.mission_type,
        "topology": ctx.topology.value,
        "action": decision.action,
        "wp_id": decision.wp_id,
        "reason": decision.reason,
        "brief": brief,
        "steps": steps,
        **extra,
    }
    if any(AGENT_PLACEHOLDER in str(step) for step in [*steps, *extra.values()]):
        document["placeholders"] = {AGENT_PLACEHOLDER: "your name as the agent (pass --agent)"}
    return document


def _plan_steps(
    ctx: MissionExecutionContext,
    decision: Decision,
    snapshot: StatusSnapshot,
    agent: str | None,
) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
    """(brief, steps, extra keys) for ``decision``."""
    mid8 = ctx.identity.mid8
    who = agent or AGENT_PLACEHOLDER
    kind = mission_type(ctx.meta.mission_type)
    folder = ctx.primary_mission_dir
    action = decision.action
    if action.startswith("write_"):
        which = action.removeprefix("write_")
        path = folder / f"{which}.md"
        scaffold = "plan" if which in ("spec", "plan") else "tasks"
        then = {"spec": "plan", "plan": "tasks", "tasks": "tasks"}[which]
        steps: list[dict[str, Any]] = []
        if which != "spec" and not path.exists():
            steps.append({"run": command_line("spec-kitty", scaffold, "--mission", mid8)})
        steps += [
            {"write": str(path), "what": kind.guides[which]},
            {"run": command_line("spec-kitty", then, "--mission", mid8)},
        ]
        brief = (
            f"# Write {which}.md of {ctx.mission_dir_name} ({kind.name})\n\n"
            f"{decision.reason}. {kind.guides[which]}\n\n"
            f"Replace the whole template, including its first line (the "
            f"`spec-kitty:template` marker). Then run `{steps[-1]['run']}`.\n"
        )
        return brief, steps, {}
    if action == "analyze":
        report = folder / "analysis-report.md"
        steps = [
            {"write": str(report), "what": _ANALYSIS_GUIDE},
            {
                "run": command_line(
                    "spec-kitty", "record-analysis", "--mission", mid8, "--input-file", str(report)
                )
            },
        ]
        brief = f"# Analyse {ctx.mission_dir_name}\n\n{decision.reason}. {_ANALYSIS_GUIDE}\n"
        return brief, steps, {}
    if action == "finalize":
        line = command_line("spec-kitty", "finalize-tasks", "--mission", mid8, "--json")
        brief = (
            f"# Finalize the tasks of {ctx.mission_dir_name}\n\n{decision.reason}. "
            "This writes a file per work package and lanes.json, and puts every work "
            "package on the board as planned.\n"
        )
        return brief, [{"run": line}], {}
    if action in ("implement", "address_feedback"):
        assert decision.wp_id is not None
        return _implement_steps(ctx, decision.wp_id, snapshot, who)
    if action == "review":
        assert decision.wp_id is not None
        wp_ctx = resolve_action_context(
            cwd=ctx.workspace.current_cwd, action="review", mission=ctx.mission_dir_name,
            wp=decision.wp_id,
        )  # fmt: skip
        made = review_brief(wp_ctx, decision.wp_id, snapshot, reviewer=who)
        extra = {
            "approve": [{"run": made.document["approve"]}],
            "reject": [
                {"write": made.document["feedback_file"], "what": _FEEDBACK_GUIDE},
                {"run": made.document["reject"]},
            ],
            "review": made.document,
        }
        return made.text, [{"run": made.document["diff_command"]}], extra
    if action == "merge":
        from spec_kitty_cli._merging import state_path

        words = ["spec-kitty", "merge", "--mission", mid8]
        if state_path(ctx).exists():
            words.append("--resume")
        brief = (
            f"# Merge {ctx.mission_dir_name}\n\n{decision.reason}. Merging lands every lane "
            f"on {ctx.branch_ref.target_branch} in dependency order; approved work "
            "becomes done.\n"
        )
        return brief, [{"run": command_line(*words, "--json")}], {}
    if action == "accept":
        line = command_line("spec-kitty", "accept", "--mission", mid8, "--actor", who, "--json")
        brief = (
            f"# Accept {ctx.mission_dir_name}\n\n{decision.reason}. Accepting records who "
            "accepted the mission, when and from which commit.\n"
        )
        return brief, [{"run": line}], {}
    look = command_line("spec-kitty", "status", "--mission", mid8)
    brief = f"# {ctx.mission_dir_name}: {action}\n\n{decision.reason}.\n\nThe board: `{look}`\n"
    return brief, [], {}


def _implement_steps(
    ctx: MissionExecutionContext, wp_id: str, snapshot: StatusSnapshot, agent: str
) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
    wp_ctx = resolve_action_context(
        cwd=ctx.workspace.current_cwd, action="implement", mission=ctx.mission_dir_name, wp=wp_id
    )
    if wp_ctx.lane is not None and wp_ctx.topology.uses_lanes:
        workspace, branch = wp_ctx.lane_worktree(wp_ctx.lane), wp_ctx.lane_branch(wp_ctx.lane)
    else:
        workspace, branch = wp_ctx.workspace.primary_root, wp_ctx.branch_ref.target_branch
    made = implement_brief(wp_ctx, wp_id, snapshot, agent=agent, workspace=workspace, branch=branch)
    start = command_line(
        "spec-kitty", "implement", wp_id, "--mission", ctx.identity.mid8, "--agent", agent, "--json"
    )
    steps: list[dict[str, Any]] = [
        {"run": start},
        {
            "work": str(workspace),
            "owned_files": made.document["owned_files"],
            "what": f"implement {wp_id} as its brief says"
            + (", addressing the review feedback first" if made.document["feedback"] else ""),
        },
        *({"run": line} for line in made.document["commands"]),
    ]
    return made.text, steps, {"implement": made.document}


_ANALYSIS_GUIDE = (
    "Check that spec, plan and tasks agree: each requirement id and the work packages that "
    "cover it, contradictions between them, files owned twice, dependency cycles, "
    "requirements nobody could check; end with a verdict."
)
_FEEDBACK_GUIDE = "What must change, point by point, so the implementer can act on each."


# -- for people -------------------------------------------------------------------------


def _lines(document: dict[str, Any]) -> list[str]:
    """The brief, then the numbered steps (review: the diff, then either verdict)."""
    lines = [str(document.get("brief", "")).rstrip(), ""]
    head = document["action"] + (f" {document['wp_id']}" if document.get("wp_id") else "")
    lines.insert(0, f"Next: {head} ({document.get('mission') or 'no mission'})\n")
    steps = document.get("steps") or []
    if steps:
        lines.append("Steps:")
        lines += _numbered(steps)
    for verdict in ("approve", "reject"):
        if verdict in document:
            lines.append(f"To {verdict}:")
            lines += _numbered(document[verdict])
    return lines


def _numbered(steps: list[dict[str, Any]]) -> list[str]:
    out = []
    for number, step in enumerate(steps, 1):
        if "run" in step:
            out.append(f"  {number}. run: {step['run']}")
        elif "write" in step:
            out.append(f"  {number}. write {step['write']}")
        else:
            out.append(f"  {number}. {step['what']} in {step['work']}")
    return out
