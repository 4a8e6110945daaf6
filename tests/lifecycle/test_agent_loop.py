"""A scripted agent carries a mission from intent to acceptance reading only ``next --json``.

The agent knows nothing of the lifecycle: it asks ``spec-kitty next --agent bot --json``,
follows the steps as given (``run`` a line as printed, ``write`` placeholder prose where a
file is asked for, ``work``: write each owned file in the workspace), and asks again. The
mission has four work packages, a dependency chain WP01 -> WP02 -> WP03 and an independent
WP04, and the reviewer rejects WP02 once. At every step ``next`` must answer the same
from the primary checkout and from a lane worktree, and the actions it gave are asserted
in order.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
from kitty_testing import ENV, git, make_repo, sk

AGENT = "bot"

TASKS = """# Tasks: search box

## Work Package WP01: Core index

**Depends on**: none
**Requirement Refs**: FR-001
**Owned Files**: src/core.py

- [ ] T001 build the index

## Work Package WP02: Query parser

**Depends on**: WP01
**Requirement Refs**: FR-002
**Owned Files**: src/query.py

- [ ] T002 parse queries

## Work Package WP03: Search view

**Depends on**: WP02
**Requirement Refs**: FR-002
**Owned Files**: src/view.py

- [ ] T003 render results

## Work Package WP04: Guide

**Depends on**: none
**Requirement Refs**: FR-003
**Owned Files**: docs/guide.md

- [ ] T004 write the guide
"""

PROSE = {
    "spec.md": "# Search box\n\n## Requirements\n\n- FR-001: The index MUST hold every page.\n"
    "- FR-002: A query MUST return matching pages.\n- FR-003: The guide MUST explain it.\n",
    "plan.md": "# Plan\n\n## Architecture\n\nAn index (src/core.py), a parser, a view.\n",
    "tasks.md": TASKS,
    "analysis-report.md": "# Analysis\n\nEvery requirement is covered. Ready.\n",
    "WP02-feedback.md": "Empty queries crash the parser: return no results instead.\n",
}


def next_doc(cwd: Path, home: Path, mission: str | None) -> dict[str, Any]:
    args = ["next", "--agent", AGENT, "--json"]
    if mission:
        args += ["--mission", mission]
    done = sk(cwd, home, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def perform(step: dict[str, Any], root: Path, home: Path, rounds: dict[str, int]) -> Any:
    """Do one step as the agent would; the JSON a ``run`` of spec-kitty printed, if any."""
    if "write" in step:
        path = Path(step["write"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(PROSE[path.name], encoding="utf-8")
        return None
    if "work" in step:
        workspace = Path(step["work"])
        for owned in step["owned_files"]:
            rounds[owned] = rounds.get(owned, 0) + 1
            target = workspace / owned
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"# {owned}, round {rounds[owned]}\n", encoding="utf-8")
        return None
    words = shlex.split(step["run"].replace("<name>", "Search box"))
    if words[0] == "spec-kitty":
        done = sk(root, home, *words[1:])
        assert done.returncode == 0, f"{step['run']}:\n{done.stdout}{done.stderr}"
        assert "Traceback" not in done.stderr
        return json.loads(done.stdout) if "--json" in words else None
    done = subprocess.run(words, cwd=root, env=ENV, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{step['run']}:\n{done.stdout}{done.stderr}"
    return None


def lane_worktrees(root: Path) -> list[Path]:
    listing = git(root, "worktree", "list", "--porcelain").splitlines()
    paths = [Path(line.split(" ", 1)[1]) for line in listing if line.startswith("worktree ")]
    return [path for path in paths[1:] if path.is_dir() and "-lane-" in path.name]


@pytest.mark.parametrize("topology", ["lanes", "single_branch"])
def test_a_scripted_agent_carries_a_mission_from_intent_to_acceptance(
    tmp_path: Path, topology: str
) -> None:
    root = make_repo(tmp_path / "repo")
    home = tmp_path / "home"
    assert sk(root, home, "init").returncode == 0
    git(root, "config", "user.name", "Test")
    mission: str | None = None
    rejected = False
    rounds: dict[str, int] = {}
    actions: list[str] = []
    compared = 0
    for _ in range(40):
        doc = next_doc(root, home, mission)
        for worktree in lane_worktrees(root):  # the same answer from any directory
            assert next_doc(worktree, home, mission) == doc
            compared += 1
        action = doc["action"] + (f" {doc['wp_id']}" if doc["wp_id"] else "")
        actions.append(action)
        if doc["action"] == "done":
            break
        assert doc["steps"], doc
        steps = list(doc["steps"])
        if doc["action"] == "review":
            verdict = "reject" if doc["wp_id"] == "WP02" and not rejected else "approve"
            rejected = rejected or verdict == "reject"
            steps += doc[verdict]
        if doc["action"] == "specify":  # the one choice the agent makes: how work is laid out
            steps = [{"run": f"{steps[0]['run']} --topology {topology}"}]
        for step in steps:
            printed = perform(step, root, home, rounds)
            if doc["action"] == "specify":
                mission = printed["mid8"]
        if doc["action"] == "review" and "--reject" in steps[-1]["run"]:
            # People see the feedback too: on the board and in status --json.
            board = json.loads(sk(root, home, "status", "--mission", str(mission), "--json").stdout)
            assert board["work_packages"]["WP02"]["feedback"] == PROSE["WP02-feedback.md"].strip()
            assert board["work_packages"]["WP03"]["waiting_on"] == ["WP02"]
            text = sk(root, home, "status", "--mission", str(mission)).stdout
            assert "WP02 review feedback: Empty queries crash the parser" in text
        if doc["action"] == "address_feedback":
            assert "Empty queries crash the parser" in doc["brief"]
            assert doc["implement"]["feedback"] == PROSE["WP02-feedback.md"].strip()
    assert actions == [
        "specify",
        "write_spec",
        "write_plan",
        "write_tasks",
        "analyze",
        "finalize",
        "implement WP01",
        "review WP01",
        "implement WP02",
        "review WP02",
        "address_feedback WP02",
        "review WP02",
        "implement WP03",
        "review WP03",
        "implement WP04",
        "review WP04",
        "merge",
        "accept",
        "done",
    ]
    assert (compared > 10) == (topology == "lanes")
    # What the agent built is on main, every WP done, the rework included.
    assert git(root, "show", "main:src/query.py") == "# src/query.py, round 2"
    for path in ("src/core.py", "src/view.py", "docs/guide.md"):
        assert git(root, "ls-files", path) == path
    board = json.loads(sk(root, home, "status", "--mission", str(mission), "--json").stdout)
    assert {wp: row["lane"] for wp, row in board["work_packages"].items()} == dict.fromkeys(
        ("WP01", "WP02", "WP03", "WP04"), "done"
    )
