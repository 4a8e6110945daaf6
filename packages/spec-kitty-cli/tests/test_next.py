"""``spec-kitty next``: one action for every lifecycle state, the same from every directory.

The decision table runs over :func:`decide` directly (every state, including the ones a
happy path never reaches); the command-line half builds real states with the CLI and asks
``next`` from the primary checkout and from a lane worktree.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from kitty_testing import TASKS_MD, cli, commit_work, git, ok_json

from mission_status import Lane
from spec_kitty_cli._next import ACTIONS, MissionState, WorkItem, decide

W, T, M = "written", "template", "missing"


def state(
    spec: str = W, plan: str = W, tasks: str = W, analysis: str = "current", **rest: Any
) -> MissionState:
    return MissionState(
        artifacts={"spec": spec, "plan": plan, "tasks": tasks}, analysis=analysis, **rest
    )


def wp(wp_id: str, lane: Lane, actor: str = "", *deps: str, **rest: Any) -> WorkItem:
    return WorkItem(wp_id=wp_id, lane=lane, actor=actor, dependencies=deps, **rest)


P, C, IP, FR, IR, A, D, B, X = (
    Lane.PLANNED, Lane.CLAIMED, Lane.IN_PROGRESS, Lane.FOR_REVIEW, Lane.IN_REVIEW,
    Lane.APPROVED, Lane.DONE, Lane.BLOCKED, Lane.CANCELED,
)  # fmt: skip

TABLE: list[tuple[str, MissionState, str | None, tuple[str, str | None]]] = [
    # planning: the furthest written artifact decides; never back to an earlier one
    ("new mission", state(T, M, M, "missing"), "a", ("write_spec", None)),
    ("spec deleted", state(M, M, M, "missing"), "a", ("write_spec", None)),
    ("spec written", state(W, M, M, "missing"), "a", ("write_plan", None)),
    ("plan scaffolded", state(W, T, M, "missing"), "a", ("write_plan", None)),
    ("plan written", state(W, W, M, "missing"), "a", ("write_tasks", None)),
    ("tasks scaffolded", state(W, W, T, "missing"), "a", ("write_tasks", None)),
    ("tasks written", state(W, W, W, "missing"), "a", ("analyze", None)),
    ("analysis stale", state(analysis="stale"), "a", ("analyze", None)),
    ("analysed", state(), "a", ("finalize", None)),
    ("plan written over a template spec", state(T, W, M, "missing"), "a", ("write_tasks", None)),
    # seeded work packages beat every artifact (no jump back to the spec)
    ("seeded, spec a template", state(T, T, T, "missing", work=(wp("WP01", P),)), "a",
     ("implement", "WP01")),
    ("first ready WP", state(work=(wp("WP01", P), wp("WP02", P, "", "WP01"))), "a",
     ("implement", "WP01")),
    ("dependency approved", state(work=(wp("WP01", A), wp("WP02", P, "", "WP01"))), "a",
     ("implement", "WP02")),
    ("own work first", state(work=(wp("WP01", FR, "b"), wp("WP02", IP, "a"))), "a",
     ("implement", "WP02")),
    ("own rejected work first", state(work=(wp("WP01", P), wp("WP02", C, "a", rejected=True))),
     "a", ("address_feedback", "WP02")),
    ("review before new work", state(work=(wp("WP01", P), wp("WP02", FR, "b"))), "a",
     ("review", "WP02")),
    ("own review in progress", state(work=(wp("WP01", IR, "a"),)), "a", ("review", "WP01")),
    ("rework before new work", state(work=(wp("WP01", P), wp("WP02", P, rejected=True))), "a",
     ("address_feedback", "WP02")),
    ("someone else's claim", state(work=(wp("WP01", IP, "b"), wp("WP02", P, "", "WP01"))), "a",
     ("wait", None)),
    ("someone else's review", state(work=(wp("WP01", IR, "b"),)), "a", ("wait", None)),
    ("no agent: claims are others'", state(work=(wp("WP01", IP, "a"),)), None, ("wait", None)),
    ("blocked", state(work=(wp("WP01", B, "a", reason="API keys"), wp("WP02", P, "", "WP01"))),
     "a", ("blocked", None)),
    ("canceled dependency", state(work=(wp("WP01", X), wp("WP02", P, "", "WP01"))), "a",
     ("blocked", None)),
    ("all approved", state(work=(wp("WP01", A), wp("WP02", X))), "a", ("merge", None)),
    ("merge under way", state(work=(wp("WP01", A), wp("WP02", D)), merging=True), "a",
     ("merge", None)),
    ("all done", state(work=(wp("WP01", D), wp("WP02", X))), "a", ("accept", None)),
    ("accepted", state(work=(wp("WP01", D),), accepted=True), "a", ("done", None)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("situation", "mission", "agent", "expected"), TABLE, ids=[row[0] for row in TABLE]
)
def test_next_decides_one_action_for_every_state(
    situation: str, mission: MissionState, agent: str | None, expected: tuple[str, str | None]
) -> None:
    decision = decide(mission, agent)
    assert (decision.action, decision.wp_id) == expected, situation
    assert decision.action in ACTIONS
    assert decision.reason


def test_the_table_covers_every_action_but_specify() -> None:
    covered = {row[3][0] for row in TABLE}
    assert covered == set(ACTIONS) - {"specify"}  # specify: no mission at all (below)


def test_waiting_and_blocked_say_on_what() -> None:
    blocked = decide(
        state(work=(wp("WP01", B, "a", reason="API keys"), wp("WP02", P, "", "WP01"))), "a"
    )
    assert blocked.reason == "WP01 is blocked: API keys; WP02 waits on WP01 (blocked)"
    waiting = decide(state(work=(wp("WP01", IP, "bea"),)), "a")
    assert waiting.reason == "WP01 is in_progress by bea"


# -- through the command line -------------------------------------------------------------


def next_json(cwd: Path, *args: str) -> dict[str, Any]:
    return ok_json(cwd, "next", *args)


def test_without_missions_next_says_specify(repo: Path) -> None:
    ok_json(repo, "init")
    document = next_json(repo)
    assert (document["action"], document["missions"]) == ("specify", [])
    assert document["steps"] == [
        {"run": 'spec-kitty specify "<name>" --mission-type software-dev --json'}
    ]
    assert "<name>" in document["placeholders"]


def lanes_mission(root: Path) -> str:
    ok_json(root, "init")
    made = ok_json(root, "specify", "Checkout flow", "--topology", "lanes")
    mid8 = str(made["mid8"])
    (Path(str(made["feature_dir"])) / "tasks.md").write_text(TASKS_MD)
    ok_json(root, "finalize-tasks", "--mission", mid8)
    return mid8


def test_next_is_the_same_from_the_primary_checkout_and_a_lane_worktree(repo: Path) -> None:
    """States built with the CLI; each answer identical from both directories."""
    mid8 = lanes_mission(repo)
    started = ok_json(repo, "implement", "WP01", "--mission", mid8, "--agent", "ann")
    lane = Path(started["workspace_path"])
    assert lane != repo

    def both(agent: str) -> dict[str, Any]:
        here = next_json(repo, "--mission", mid8, "--agent", agent)
        assert next_json(lane, "--mission", mid8, "--agent", agent) == here
        assert next_json(lane / "src", "--mission", mid8, "--agent", agent) == here
        return here

    assert (both("ann")["action"], both("ann")["wp_id"]) == ("implement", "WP01")
    other = both("bea")  # WP03 owns other files and depends on nothing
    assert (other["action"], other["wp_id"]) == ("implement", "WP03")
    ok_json(repo, "implement", "WP03", "--mission", mid8, "--agent", "bea")
    assert both("cy")["action"] == "wait"
    assert "WP01 is in_progress by ann" in both("cy")["reason"]
    commit_work(lane, "src/core.py", "core\n")
    ok_json(repo, "move-task", "WP01", "--to", "for_review", "--mission", mid8, "--actor", "ann")
    review = both("cy")
    assert (review["action"], review["wp_id"]) == ("review", "WP01")
    assert "--reviewer cy" in review["approve"][0]["run"]
    assert review["steps"][0]["run"].startswith(f"git -C {repo} diff main...kitty/mission-")
    feedback = Path(review["reject"][0]["write"])
    feedback.parent.mkdir(parents=True, exist_ok=True)
    feedback.write_text("Round the totals.\n")
    rejected = cli(repo, *shlex.split(review["reject"][1]["run"])[1:])
    assert rejected.returncode == 0, rejected.stdout + rejected.stderr
    again = both("ann")
    assert (again["action"], again["wp_id"]) == ("address_feedback", "WP01")
    assert again["implement"]["feedback"] == "Round the totals."
    ok_json(repo, "move-task", "WP03", "--to", "blocked", "--mission", mid8, "--actor", "bea",
            "--note", "needs the tax tables")  # fmt: skip
    board = ok_json(repo, "status", "--mission", mid8)
    assert board["work_packages"]["WP03"]["blocked_reason"] == "needs the tax tables"
    assert board["work_packages"]["WP01"]["feedback"] == "Round the totals."
    assert board["work_packages"]["WP02"]["dependencies"] == ["WP01"]
    assert board["work_packages"]["WP01"]["ready"] is True


def test_implement_without_an_agent_is_refused_and_claims_nothing(repo: Path) -> None:
    mid8 = lanes_mission(repo)
    done = cli(repo, "implement", "WP01", "--mission", mid8, "--json")
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "AGENT_REQUIRED"
    assert f"spec-kitty implement WP01 --mission {mid8} --agent" in error["next_step"]
    assert ok_json(repo, "status", "--mission", mid8)["work_packages"]["WP01"]["lane"] == "planned"
    assert git(repo, "worktree", "list").count("\n") == 0  # no lane worktree made


def test_an_unknown_mission_type_is_refused_with_the_list(repo: Path) -> None:
    ok_json(repo, "init")
    done = cli(repo, "specify", "Field notes", "--mission-type", "poetry", "--json")
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "UNKNOWN_MISSION_TYPE"
    assert "software-dev, research, documentation" in error["message"]
    assert not (repo / "kitty-specs").exists() or not any((repo / "kitty-specs").iterdir())


@pytest.mark.parametrize(
    ("kind", "heading"),
    [("software-dev", "## User scenarios"), ("research", "## Research questions"),
     ("documentation", "## Audience")],
)  # fmt: skip
def test_each_mission_type_starts_from_its_own_templates(
    repo: Path, kind: str, heading: str
) -> None:
    ok_json(repo, "init")
    made = ok_json(repo, "specify", "Field notes", "--mission-type", kind)
    spec = (Path(str(made["feature_dir"])) / "spec.md").read_text()
    assert heading in spec and spec.startswith("<!-- spec-kitty:template")
    document = next_json(repo, "--mission", str(made["mid8"]))
    assert (document["action"], document["mission_type"]) == ("write_spec", kind)
    (Path(str(made["feature_dir"])) / "spec.md").write_text("# Field notes\n\n- RQ-001: why\n")
    plan = ok_json(repo, "plan", "--mission", str(made["mid8"]))
    assert Path(plan["path"]).read_text() != ""
    assert next_json(repo, "--mission", str(made["mid8"]))["action"] == "write_plan"


def test_finalize_refuses_the_tasks_template(repo: Path) -> None:
    ok_json(repo, "init")
    made = ok_json(repo, "specify", "Checkout flow")
    ok_json(repo, "tasks", "--mission", str(made["mid8"]))
    done = cli(repo, "finalize-tasks", "--mission", str(made["mid8"]), "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"]["code"] == "TASKS_NOT_WRITTEN"
    assert not (Path(str(made["feature_dir"])) / "tasks").exists()


def test_without_a_mission_next_answers_for_the_first_with_work_and_lists_all(
    repo: Path,
) -> None:
    mid8 = lanes_mission(repo)
    other = ok_json(repo, "specify", "Receipts", "--topology", "coord")
    coord = repo / ".worktrees" / f"{Path(str(other['feature_dir'])).name}-coord"
    assert coord.is_dir()
    document = next_json(repo, "--agent", "ann")
    assert {row["mid8"]: row["action"] for row in document["missions"]} == {
        mid8: "implement",
        other["mid8"]: "write_spec",
    }
    assert document["mid8"] == document["missions"][0]["mid8"]
    assert document["action"] == document["missions"][0]["action"]
    # The coordination worktree gives the same answers.
    assert next_json(coord, "--agent", "ann") == document
    ok = next_json(coord, "--mission", str(other["mid8"]))
    assert ok == next_json(repo, "--mission", str(other["mid8"]))
