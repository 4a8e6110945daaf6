"""spec-kitty vs spec-kitty-cli 3.2.7: the agent-facing ``next --json`` and ``implement WP01``,
as real processes.

Each side builds its own mission with its own commands from the same spec.md, plan.md,
tasks.md and analysis report (3.2.7 also gets the WP files its finalize-tasks needs). ``next``
must leave its repository unchanged; ``implement`` writes, so every sample gets a fresh copy of
the side's finalized repository, prepared before the timing."""

from __future__ import annotations

import json
import shutil
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import _harness as h
from _worker import LOG_NAME

WP_COUNT = 8  # WP02..WP08 depend on WP01, so WP01 is the one next action
AGENT, WP = "bench", "WP01"
GOALS = {"implement": 20.0}  # ratio of medians (3.2.7 / ours) it should reach
PASS_GOAL = 2.0  # next --json should take at most this many python -c pass
LABELS = {"next": "next --json", "implement": "implement WP01", "pass": "python -c pass"}
BRANCH = "bench"  # 3.2.7 refuses to commit planning artifacts to main

SPEC = """# Feature Specification: Bench mission

## User Scenarios & Testing

### User Story 1 - Time the agent commands (Priority: P1)

A maintainer times `next` and `implement` on a mission in the implement phase.

**Acceptance Scenarios**:

1. **Given** a finalized mission, **When** an agent asks for the next action, **Then** it gets WP01.

## Requirements

### Functional Requirements

| ID | Requirement | Acceptance Criteria | Status |
| --- | --- | --- | --- |
| FR-001 | The tool computes widgets. | Widgets are computed. | proposed |
| FR-002 | The tool reports widgets. | Widgets are reported. | proposed |

## Success Criteria

- **SC-001**: Widgets are computed and reported.
"""
PLAN = """# Implementation Plan: Bench mission

## Summary

Compute widgets in `src/widgets/`, one module per work package.

## Technical Context

**Language/Version**: Python 3.11
**Testing**: pytest

## Project Structure

```
src/widgets/
tests/
```
"""
ANALYSIS = "# Analysis report\n\nNo issues: spec, plan and tasks agree.\n\n## Verdict\n\nReady.\n"


def tasks_md() -> str:
    """One section per WP in the layout both tools parse (``**Owned Files**`` is ours)."""
    parts = ["# Work Packages: Bench mission\n"]
    for i in range(1, WP_COUNT + 1):
        parts.append(
            f"## Work Package WP{i:02d}: Widget {i}\n\n"
            f"**Dependencies**: {'none' if i == 1 else 'WP01'}\n"
            "**Requirement Refs**: FR-001, FR-002\n"
            f"**Owned Files**: src/widgets/w{i}.py\n\n"
            f"Build widget {i}.\n\n- [ ] T{i:03d} Build widget {i}\n"
        )
    return "\n".join(parts)


def wp_file(i: int) -> str:
    """A WP prompt file with the front matter 3.2.7's tasks-packages step writes."""
    deps = "[]" if i == 1 else '["WP01"]'
    return (
        f'---\nwork_package_id: "WP{i:02d}"\ntitle: "Widget {i}"\ndependencies: {deps}\n'
        f'requirement_refs: ["FR-001", "FR-002"]\nsubtasks: ["T{i:03d}"]\n'
        f'owned_files: ["src/widgets/w{i}.py"]\ncreate_intent: ["src/widgets/w{i}.py"]\n'
        f'authoritative_surface: "src/widgets/"\nexecution_mode: "code_change"\n---\n\n'
        f"# WP{i:02d}: Widget {i}\n\n## Objective\n\nBuild widget {i} in "
        f"`src/widgets/w{i}.py`.\n\n### Subtask T{i:03d}: Build widget {i}\n\n"
        "- **Steps**: write the module and its test.\n\n## Definition of Done\n\n"
        f"- The widget works.\n\nImplement with `spec-kitty agent action implement WP{i:02d} "
        "--agent <name>`.\n"
    )


def last_json(out: str, what: str) -> dict[str, Any]:
    """The JSON document a command printed (3.2.7 can print text lines before it)."""
    for text in (out, *(line for line in reversed(out.splitlines()) if line.startswith("{"))):
        try:
            value = json.loads(text)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    raise h.BenchError(f"{what}: no JSON document in its output:\n{out[:2000]}")


def snapshot(root: Path) -> tuple[str | None, str | None]:
    """HEAD and ``git status --porcelain`` (untracked and ignored files included)."""
    status = ("status", "--porcelain", "--untracked-files=all", "--ignored")
    return h.git(root, "rev-parse", "HEAD"), h.git(root, *status)


def start_repo(root: Path) -> Path:
    h.new_repo(root)
    (root / "README.md").write_text("# bench\n", encoding="utf-8")
    h.commit(root, "initial")
    h.git(root, "checkout", "-q", "-b", BRANCH)
    return root


def build_ours(root: Path, script: Path, env: dict[str, str]) -> str:
    """init, specify, plan, tasks, record-analysis, finalize-tasks: ours' own commands."""
    start_repo(root)

    def sk(*words: str) -> dict[str, Any]:
        out = h.fresh([script, *words, "--json"], cwd=root, env=env)[2]
        return last_json(out, f"ours {words[0]}")

    sk("init")
    mission = str(sk("specify", "Bench mission")["mission_slug"])
    folder = root / "kitty-specs" / mission
    for command, name, text in (("plan", "spec.md", SPEC), ("tasks", "plan.md", PLAN)):
        (folder / name).write_text(text, encoding="utf-8")
        h.commit(root, name)
        sk(command, "--mission", mission)
    (folder / "tasks.md").write_text(tasks_md(), encoding="utf-8")
    h.commit(root, "tasks.md")
    report = root.parent / "analysis-ours.md"
    report.write_text(ANALYSIS, encoding="utf-8")
    sk("record-analysis", "--mission", mission, "--input-file", str(report))
    sk("finalize-tasks", "--mission", mission)
    return mission


def build_reference(root: Path, script: Path, env: dict[str, str]) -> str:
    """3.2.7's own commands: init, agent mission create / setup-plan / finalize-tasks /
    record-analysis (the order its own prompts give); the bench writes what its agents would."""
    start_repo(root)

    def sk(*words: str) -> dict[str, Any]:
        out = h.fresh([script, *words], cwd=root, env=env)[2]
        return last_json(out, f"3.2.7 {' '.join(words[:3])}") if "--json" in words else {}

    sk("init", "--ai", "claude", "--non-interactive")
    h.commit(root, "spec-kitty init")
    create = ("agent", "mission", "create", "bench-mission", "--topology", "lanes", "--json")
    about = ("--friendly-name", "Bench mission", "--purpose-tldr", "A benchmark mission")
    created = sk(*create, *about, "--purpose-context", "Times next and implement.")
    mission = str(created["mission_slug"])
    folder = root / "kitty-specs" / mission
    (folder / "spec.md").write_text(SPEC, encoding="utf-8")
    h.commit(root, "spec.md")
    sk("agent", "mission", "setup-plan", "--mission", mission, "--json")
    (folder / "plan.md").write_text(PLAN, encoding="utf-8")
    (folder / "tasks.md").write_text(tasks_md(), encoding="utf-8")
    for i in range(1, WP_COUNT + 1):
        (folder / "tasks" / f"WP{i:02d}-widget-{i}.md").write_text(wp_file(i), encoding="utf-8")
    h.commit(root, "plan.md, tasks.md and the WP files")
    sk("agent", "mission", "finalize-tasks", "--mission", mission, "--json")
    report = root.parent / "analysis-reference.md"
    report.write_text(ANALYSIS, encoding="utf-8")
    analysis = ("--input-file", str(report), "--agent", AGENT, "--json")
    sk("agent", "mission", "record-analysis", "--mission", mission, *analysis)
    return mission


def copies(template: Path, count: int, prefix: str) -> list[Path]:
    """``count`` copies of a repository, their git index refreshed (a copy changes inodes, so
    the first git command in it would otherwise re-hash every file inside the timing)."""
    out = []
    for n in range(count):
        target = template.parent / f"{prefix}-{n:02d}"
        shutil.copytree(template, target, symlinks=True)
        h.git(target, "update-index", "-q", "--refresh", check=False)
        out.append(target)
    return out


def next_answer(side: str, out: str) -> dict[str, Any]:
    """What ``next`` decided: ours names an action, 3.2.7's query names the mission's state."""
    answer = last_json(out, f"{side} next --json")
    if side == "ours":
        return {"action": answer.get("action"), "wp_id": answer.get("wp_id")}
    if not answer.get("is_query"):
        raise h.BenchError(f"3.2.7 next did not answer in query mode:\n{out[:2000]}")
    return {"action": answer.get("preview_step"), "wp_id": answer.get("wp_id")}


def lane_of_log(folder: Path) -> tuple[str | None, str | None]:
    """The last lane WP01 moved to in the event log, and by whom."""
    lane = actor = None
    for line in (folder / LOG_NAME).read_text(encoding="utf-8").splitlines():
        event = json.loads(line) if line.strip() else {}
        if event.get("wp_id") == WP and "to_lane" in event:
            lane, actor = event["to_lane"], event.get("actor")
    return lane, actor


def check_implement(
    side: str, root: Path, mission: str, out: str, script: Path, env: dict[str, str]
) -> str:
    """After an implement: WP01 in progress for the agent (the side's own status command and
    the event log) and its lane workspace a registered git worktree; returns the lane."""
    folder = root / "kitty-specs" / mission
    lanes = json.loads((folder / "lanes.json").read_text(encoding="utf-8"))["lanes"]
    lane_id = next(str(lane["lane_id"]) for lane in lanes if WP in lane["wp_ids"])
    workspace = root / ".worktrees" / f"{mission}-{lane_id}"
    status = ["status"] if side == "ours" else ["agent", "tasks", "status"]
    board = last_json(
        h.fresh([script, *status, "--mission", mission, "--json"], cwd=root, env=env)[2],
        f"{side} status",
    )
    rows = board["work_packages"]
    state = rows[WP] if side == "ours" else next(r for r in rows if r["id"] == WP)
    found = {
        "status lane": state.get("lane"),
        "status actor": state.get("actor" if side == "ours" else "agent"),
        "log": lane_of_log(folder),
        "workspace": workspace.is_dir(),
        "worktree": str(workspace) in (h.git(root, "worktree", "list", "--porcelain") or ""),
    }
    if side == "ours":
        found["json workspace"] = last_json(out, "ours implement").get("workspace_path")
    wanted = {
        "status lane": "in_progress",
        "status actor": AGENT,
        "log": ("in_progress", AGENT),
        "workspace": True,
        "worktree": True,
        "json workspace": str(workspace),
    }
    wrong = {key: value for key, value in found.items() if value != wanted[key]}
    if wrong:
        raise h.BenchError(f"{side} implement {WP} in {root}: expected {wanted}, found {wrong}")
    return lane_id


def agent_commands(side: str, script: Path, mission: str) -> dict[str, list[Any]]:
    """The command lines as each side's agents run them: 3.2.7's ``next`` without ``--result``
    is its read-only query mode; its agents implement with ``agent action implement``."""
    if side == "ours":
        return {
            "next": [script, "next", "--mission", mission, "--agent", AGENT, "--json"],
            "implement": [
                script,
                "implement",
                WP,
                "--mission",
                mission,
                "--agent",
                AGENT,
                "--json",
            ],
        }
    return {
        "next": [script, "next", "--agent", AGENT, "--mission", mission, "--json"],
        "implement": [
            script,
            "agent",
            "action",
            "implement",
            WP,
            "--mission",
            mission,
            "--agent",
            AGENT,
        ],
    }


def run(args: Any) -> dict[str, Any]:
    pythons = {"ours": Path(sys.executable), "reference": h.reference_python(args)}
    scripts = {side: python.parent / "spec-kitty" for side, python in pythons.items()}
    if not all(script.is_file() for script in scripts.values()):
        raise h.BenchError(f"no spec-kitty console script next to {list(pythons.values())}")
    info = h.provenance()
    runs = args.runs or (3 if args.quick else 10)
    warnings: list[str] = []
    builders = {"ours": build_ours, "reference": build_reference}
    with h.workdir(args, "bench-agent-") as work:
        (work / "home").mkdir()
        (work / "tmp").mkdir()  # 3.2.7's implement writes its prompt under $TMPDIR
        env = h.clean_env(work / "home") | {"TMPDIR": str(work / "tmp")}
        templates, missions, samples, unavailable = {}, {}, {}, {}
        for side, build in builders.items():
            h.progress(f"building the {side} mission with its own commands")
            try:
                templates[side] = work / side / "template"
                missions[side] = build(templates[side], scripts[side], env)
                samples[side] = copies(templates[side], runs + 1, "implement")
            except h.BenchError as exc:
                if side == "ours":
                    raise
                unavailable[side] = str(exc).splitlines()[0][:400]
                warnings.append(f"3.2.7 cannot build the mission here: {unavailable[side]}")
        sides = [side for side in pythons if side not in unavailable]
        h.progress(f"missions: {missions}; {runs + 1} implement repositories per side")
        before = {side: snapshot(templates[side]) for side in sides}
        commands = {side: agent_commands(side, scripts[side], missions[side]) for side in sides}
        for side in sides:
            commands[side]["pass"] = [pythons[side], "-c", "pass"]
        answers: dict[str, set[str]] = {side: set() for side in sides}
        lanes: dict[str, set[str]] = {side: set() for side in sides}
        used = {side: 0 for side in sides}

        def repetition(side: str) -> dict[str, tuple[float, float]]:
            times = {}
            for key, argv in commands[side].items():
                repo = samples[side][used[side]] if key == "implement" else templates[side]
                wall, cpu, out = h.fresh(argv, cwd=repo, env=env)
                if key == "next":
                    answers[side].add(json.dumps(next_answer(side, out), sort_keys=True))
                elif key == "implement":
                    lanes[side].add(
                        check_implement(side, repo, missions[side], out, scripts[side], env)
                    )
                times[key] = (wall, cpu)
            used[side] += 1
            return times

        reps = h.interleave(
            runs,
            lambda: repetition("ours"),
            (lambda: repetition("reference")) if "reference" in sides else None,
            warmup=1,
            alternate=True,
            label="repetition",
        )
        for side in sides:
            if snapshot(templates[side]) != before[side]:
                after = snapshot(templates[side])
                warnings.append(
                    f"{side} next changed its repository: HEAD {before[side][0]} -> {after[0]}, "
                    f"status {before[side][1]!r} -> {after[1]!r}"
                )

    for side in sides:
        if len(answers[side]) != 1:
            warnings.append(f"{side} next gave {len(answers[side])} different answers: {answers}")
    decided = {side: json.loads(min(found)) for side, found in answers.items()}
    for side, answer in decided.items():
        if answer != {"action": "implement", "wp_id": WP}:
            warnings.append(f"{side} next answered {answer}, not implement {WP}")

    if "reference" in sides:
        results = h.compare_commands(reps, LABELS, GOALS)
    else:  # 3.2.7 could not build its mission: ours alone, and the run exits 1
        results = {
            key: {"ours": h.summarize([rep[key][0] for rep in reps["ours"]])} for key in LABELS
        }
    return {
        "benchmark": "agent",
        "provenance": info,
        "versions": {"ours": version("spec-kitty-cli"), "reference": "3.2.7"},
        "scripts": {side: str(script) for side, script in scripts.items()},
        "command_lines": {
            side: {key: " ".join(["spec-kitty", *map(str, argv[1:])]) for key, argv in c.items()}
            for side, c in commands.items()
        },
        "scenario": {"missions": missions, "work_packages": WP_COUNT, "branch": BRANCH},
        "settings": {"runs": runs, "warmup": 1, "quick": args.quick},
        "commands": results,
        "next_answers": decided,
        "lanes": {side: sorted(found) for side, found in lanes.items()},
        "unavailable": unavailable,
        "pass_goal": PASS_GOAL,
        "warnings": warnings,
    }


def render(result: dict[str, Any]) -> str:
    commands, settings = result["commands"], result["settings"]
    compared = "reference" in commands["pass"]
    rows = []
    for key, c in commands.items():
        if not compared:
            rows.append([LABELS[key], h.secs(c["ours"]["median"]), "n/a", "", "", "", "", ""])
            continue
        goal = c["goal"]
        met = "" if goal is None else f">= {goal:.0f}x {'met' if c['ratio'] >= goal else 'NOT met'}"
        rows.append(
            [LABELS[key], h.secs(c["ours"]["median"]), h.secs(c["reference"]["median"]),
             f"{c['ratio']:.1f}x", met, f"{c['cpu_ratio']:.1f}x", f"{c['min_ratio']:.1f}x",
             h.span(c["round_ratios"])]
        )  # fmt: skip
    base = commands["pass"]["ours"]["median"]
    over_rows = []
    for key in ("next", "implement"):
        mine = commands[key]["ours"]["median"]
        goal = f"<= {PASS_GOAL:.0f}x {'met' if mine / base <= PASS_GOAL else 'NOT met'}"
        over_rows.append(
            [LABELS[key], f"+{h.secs(mine - base)}", f"{mine / base:.1f}x",
             goal if key == "next" else ""]
        )  # fmt: skip
    lines = [
        f"spec-kitty-cli {result['versions']['ours']} vs spec-kitty-cli 3.2.7: "
        "agent commands next --json and implement",
        h.describe(result["provenance"]),
        f"scenario: a {result['scenario']['work_packages']}-WP lanes mission (WP02.. depend on "
        f"WP01) built by each side's own commands on branch {result['scenario']['branch']}: "
        + ", ".join(f"{side} {m}" for side, m in result["scenario"]["missions"].items()),
        f"{settings['runs']} runs per command and side after 1 warm-up repetition; a fresh "
        "process each; implement in a fresh copy of the finalized repository each time; "
        "ours/3.2.7 order alternating" + (" (quick)" if settings["quick"] else ""),
        "",
        h.table(
            "command (median wall)|ours|3.2.7|ratio|goal|CPU ratio|min ratio|per-run ratios", rows
        ),
        "",
        f"ours over its python -c pass ({h.ms(base)}):",
        h.table("command|over pass|ours / python -c pass|goal", over_rows),
        "",
        "3.2.7 command lines:"
        if compared
        else f"3.2.7 not measured: {result['unavailable'].get('reference')}",
        *(
            f"  {key}: {line}"
            for key, line in result["command_lines"].get("reference", {}).items()
            if key != "pass"
        ),
        "",
        *(f"WARNING: {warning}" for warning in result["warnings"]),
    ]
    if not result["warnings"]:
        lines.append(
            f"checks: both next answered implement {WP} and left their repository unchanged "
            f"(HEAD, git status); after every implement {WP} was in_progress for {AGENT} (own "
            "status and event log) with its lane worktree registered"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = h.parser(__doc__, workdir=True)
    parser.add_argument("--runs", type=int, help="runs per command and side (default 10)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 runs unless --runs")
    sys.exit(h.main(parser, run, render))
