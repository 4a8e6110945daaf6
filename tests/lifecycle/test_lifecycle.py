"""The whole mission lifecycle, as a user runs it, for every topology.

init -> specify -> plan -> tasks -> finalize-tasks -> record-analysis/analyze ->
implement -> move-task (from the WP's own workspace) -> review -> merge -> accept,
with real git and real ``spec-kitty`` processes. After the merge the primary
checkout is clean, on the branch it started on, and holds every event.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kitty_testing import TASKS_MD, cli, commit_work, git, make_repo, ok_json

TOPOLOGIES = ["single_branch", "lanes", "coord", "lanes_with_coord"]


def init_and_specify(root: Path, topology: str) -> tuple[str, Path]:
    ok_json(root, "init")
    made = ok_json(root, "specify", "Checkout flow", "--topology", topology)
    return str(made["mid8"]), Path(str(made["feature_dir"]))


def finalize(root: Path, mid8: str, mission_dir: Path) -> dict[str, object]:
    ok_json(root, "tasks", "--mission", mid8)
    (mission_dir / "tasks.md").write_text(TASKS_MD)
    return ok_json(root, "finalize-tasks", "--mission", mid8)


def board(cwd: Path, mid8: str) -> dict[str, str]:
    document = ok_json(cwd, "status", "--mission", mid8)
    return {wp: entry["lane"] for wp, entry in document["work_packages"].items()}


def approve(cwd: Path, mid8: str, wp: str) -> None:
    ok_json(cwd, "move-task", wp, "--to", "for_review", "--mission", mid8)
    ok_json(
        cwd, "review", wp, "--mission", mid8, "--approve",
        "--reviewer", "alice", "--reference", f"PR-{wp}",
    )  # fmt: skip


def test_init_is_idempotent_and_configures_the_merge_driver(repo: Path) -> None:
    first = ok_json(repo, "init")
    assert first["changed"] == [".kittify/config.yaml", ".gitattributes", ".gitignore"]
    assert first["commit"] == git(repo, "rev-parse", "HEAD")
    assert git(repo, "status", "--porcelain") == ""
    assert "mission_status.merge_driver" in git(
        repo, "config", "--get", "merge.spec-kitty-events.driver"
    )
    assert "status.events.jsonl merge=spec-kitty-events" in (repo / ".gitattributes").read_text()
    assert git(repo, "check-ignore", ".worktrees/x") == ".worktrees/x"
    again = ok_json(repo, "init")
    assert again["changed"] == []
    assert again["commit"] is None
    assert again["merge_driver_configured"] is False


def test_init_creates_the_repository_when_there_is_none(tmp_path: Path) -> None:
    made = ok_json(tmp_path, "init", "fresh")
    assert made["created_repository"] is True
    assert (tmp_path / "fresh" / ".kittify" / "config.yaml").is_file()
    assert git(tmp_path / "fresh", "log", "--format=%s") == "spec-kitty init"


@pytest.mark.parametrize("topology", TOPOLOGIES)
def test_the_whole_lifecycle_leaves_the_primary_checkout_clean(
    tmp_path: Path, topology: str
) -> None:
    root = make_repo(tmp_path / "repo")
    mid8, mission_dir = init_and_specify(root, topology)
    name = mission_dir.name
    plan = ok_json(root, "plan", "--mission", mid8)
    assert plan["created"] is True
    assert git(root, "ls-files", f"kitty-specs/{name}/plan.md") == f"kitty-specs/{name}/plan.md"

    finalized = finalize(root, mid8, mission_dir)
    assert finalized["seeded"] == ["WP01", "WP02", "WP03"]
    assert board(root, mid8) == {"WP01": "planned", "WP02": "planned", "WP03": "planned"}
    titled = ok_json(root, "status", "--mission", mid8)["work_packages"]
    assert {wp: entry["title"] for wp, entry in titled.items()} == {
        "WP01": "Core model", "WP02": "Board view", "WP03": "Guide",
    }  # fmt: skip
    people = cli(root, "status", "--mission", mid8)
    assert "WP02 Board view" in people.stdout
    assert "0/3 work packages done" in people.stdout
    lanes = json.loads((mission_dir / "lanes.json").read_text())
    for required in ("mission_slug", "mission_id", "mission_branch", "target_branch",
                     "computed_at", "computed_from"):  # fmt: skip
        assert lanes[required], required
    wp02 = next((mission_dir / "tasks").glob("WP02-*.md")).read_text()
    assert "dependencies:\n- WP01\n" in wp02
    assert "lane:" not in wp02
    assert git(root, "status", "--porcelain") == ""

    ok_json(root, "record-analysis", "--mission", mid8, "--input-file", "-", stdin="All good.\n")
    assert ok_json(root, "analyze", "--mission", mid8)["stale"] is False

    refused = cli(root, "implement", "WP02", "--mission", mid8, "--agent", "claude")
    assert refused.returncode == 1
    assert refused.stderr.startswith("error[DEPENDENCIES_NOT_READY]:")
    assert board(root, mid8)["WP02"] == "planned"

    first = ok_json(root, "implement", "WP01", "--mission", mid8, "--agent", "claude")
    workspace = Path(first["workspace_path"])
    lanes_used = topology in ("lanes", "lanes_with_coord")
    if lanes_used:
        assert workspace == root / ".worktrees" / f"{name}-{first['lane_id']}"
        assert first["branch_name"] == f"kitty/mission-{name}-{first['lane_id']}"
        assert git(workspace, "branch", "--show-current") == first["branch_name"]
        assert (workspace / "kitty-specs" / name / "plan.md").is_file()
    else:
        assert workspace == root
    assert board(root, mid8)["WP01"] == "in_progress"
    commit_work(workspace, "src/core.py", "MODEL = 1\n")
    (workspace / "src").mkdir(exist_ok=True)
    approve(workspace / "src", mid8, "WP01")  # from inside the WP's own workspace
    assert board(root, mid8)["WP01"] == "approved"

    second = ok_json(root, "implement", "WP02", "--mission", mid8, "--agent", "claude")
    second_space = Path(second["workspace_path"])
    assert (second_space / "src" / "core.py").read_text() == "MODEL = 1\n"  # WP01's work
    commit_work(second_space, "src/board.py", "BOARD = 2\n")
    third = ok_json(root, "implement", "WP03", "--mission", mid8, "--agent", "gemini")
    third_space = Path(third["workspace_path"])
    commit_work(third_space, "docs/guide.md", "# Guide\n")

    ok_json(third_space, "move-task", "WP03", "--to", "for_review", "--mission", mid8)
    feedback = tmp_path / "feedback.md"
    feedback.write_text("Explain the board.\n")
    rejected = ok_json(
        root, "review", "WP03", "--mission", mid8, "--reject", "--feedback-file", str(feedback)
    )
    assert (rejected["from_lane"], rejected["to_lane"]) == ("for_review", "planned")
    again = ok_json(root, "implement", "WP03", "--mission", mid8, "--agent", "gemini")
    assert again["workspace_path"] == third["workspace_path"]  # reused, not recreated
    assert again["workspace_created"] is False
    approve(root, mid8, "WP03")
    approve(second_space, mid8, "WP02")

    plan_only = ok_json(root, "merge", "--mission", mid8, "--dry-run")
    lane_steps = [step for step in plan_only["steps"] if step.startswith("merge-lane:")]
    assert len(lane_steps) == (len(lanes["lanes"]) if lanes_used else 0)
    if lanes_used:  # WP02's lane lands after WP01's
        order = [step.split(":")[1] for step in lane_steps]
        wp_lane = {wp: lane["lane_id"] for lane in lanes["lanes"] for wp in lane["wp_ids"]}
        assert order.index(wp_lane["WP01"]) <= order.index(wp_lane["WP02"])
    assert git(root, "status", "--porcelain") == ""

    merged = ok_json(root, "merge", "--mission", mid8)
    assert merged["mission_number"] == 1
    assert sorted(merged["done"]) == ["WP01", "WP02", "WP03"]
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "branch", "--show-current") == "main"
    assert git(root, "branch", "--list", "kitty/*-lane-*") == ""
    assert not list((root / ".worktrees").glob("*-lane-*"))
    for path in ("src/core.py", "src/board.py", "docs/guide.md"):
        assert git(root, "ls-files", path) == path
    assert board(root, mid8) == {"WP01": "done", "WP02": "done", "WP03": "done"}
    meta = json.loads(git(root, "show", f"main:kitty-specs/{name}/meta.json"))
    assert meta["mission_number"] == 1
    retrospective = f"kitty-specs/{name}/retrospective.yaml"
    assert git(root, "ls-files", retrospective) == retrospective
    log = git(root, "show", f"main:kitty-specs/{name}/status.events.jsonl").splitlines()
    assert sum('"to_lane": "done"' in line for line in log) == 3
    accepted = ok_json(root, "accept", "--mission", mid8, "--actor", "alice")
    assert (accepted["ready"], accepted["problems"], accepted["accepted_by"]) == (True, [], "alice")
    meta = json.loads(git(root, "show", f"main:kitty-specs/{name}/meta.json"))
    assert meta["accepted_at"] == accepted["accepted_at"]
    assert [entry["accepted_by"] for entry in meta["acceptance_history"]] == ["alice"]
    again = ok_json(root, "accept", "--mission", mid8, "--actor", "bob")
    assert (again["accepted_by"], again["commit"]) == ("alice", None)  # recorded once
    health = ok_json(root, "doctor", "--mission", mid8)["summary"]
    assert (health["errors"], health["warnings"]) == (0, 0)  # status.json carries the number


def test_a_second_merged_mission_gets_the_next_number(repo: Path) -> None:
    numbers = []
    for title in ("First", "Second"):
        made = ok_json(repo, "specify", title, "--topology", "single_branch")
        mid8 = str(made["mid8"])
        mission_dir = Path(str(made["feature_dir"]))
        (mission_dir / "tasks.md").write_text("## WP01: Only\n**Owned Files**: a.txt\n")
        ok_json(repo, "finalize-tasks", "--mission", mid8)
        ok_json(repo, "implement", "WP01", "--mission", mid8, "--agent", "a")
        approve(repo, mid8, "WP01")
        numbers.append(ok_json(repo, "merge", "--mission", mid8)["mission_number"])
    assert numbers == [1, 2]


def test_merge_refuses_while_work_is_not_approved(repo: Path) -> None:
    mid8, mission_dir = init_and_specify(repo, "lanes")
    finalize(repo, mid8, mission_dir)
    ok_json(repo, "implement", "WP01", "--mission", mid8, "--agent", "a")
    done = cli(repo, "merge", "--mission", mid8, "--json")
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "MERGE_NOT_READY"
    assert "WP01 (in_progress)" in error["message"]


def _conflicting_lanes(root: Path) -> tuple[str, str]:
    """A lanes mission whose two lanes both rewrite README.md differently."""
    mid8, mission_dir = init_and_specify(root, "lanes")
    ok_json(root, "tasks", "--mission", mid8)
    (mission_dir / "tasks.md").write_text(
        "## WP01: One\n**Owned Files**: one.txt\n\n## WP02: Two\n**Owned Files**: two.txt\n"
    )
    ok_json(root, "finalize-tasks", "--mission", mid8)
    for wp in ("WP01", "WP02"):
        space = Path(
            ok_json(root, "implement", wp, "--mission", mid8, "--agent", "a")["workspace_path"]
        )
        commit_work(space, "README.md", f"written by {wp}\n")
        approve(root, mid8, wp)
    return mid8, git(root, "rev-parse", "main")


def test_a_conflicted_merge_resumes_after_the_user_resolves_it(repo: Path) -> None:
    mid8, _ = _conflicting_lanes(repo)
    stopped = cli(repo, "merge", "--mission", mid8)
    assert stopped.returncode == 1
    assert "error[MERGE_CONFLICT]" in stopped.stderr
    assert "--resume" in stopped.stderr
    again = cli(repo, "merge", "--mission", mid8)
    assert "error[MERGE_IN_PROGRESS]" in again.stderr
    (repo / "README.md").write_text("both\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "--no-edit")
    resumed = ok_json(repo, "merge", "--mission", mid8, "--resume")
    assert sorted(resumed["done"]) == ["WP01", "WP02"]
    assert (repo / "README.md").read_text() == "both\n"
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "branch", "--list", "kitty/*") == ""


def test_abort_puts_the_target_back_where_it_was(repo: Path) -> None:
    mid8, before = _conflicting_lanes(repo)
    assert cli(repo, "merge", "--mission", mid8).returncode == 1
    aborted = ok_json(repo, "merge", "--mission", mid8, "--abort")
    assert aborted["aborted"] is True
    assert git(repo, "rev-parse", "main") == before
    assert git(repo, "status", "--porcelain") == ""
    assert set(board(repo, mid8).values()) == {"approved"}  # nothing marked done
    assert cli(repo, "merge", "--mission", mid8, "--resume").returncode == 3


def test_the_union_driver_keeps_lane_rows_and_lifecycle_rows(repo: Path) -> None:
    """A lane branch that appended a lifecycle row (``timestamp``) merges without losing a line."""
    mid8, mission_dir = init_and_specify(repo, "lanes")
    finalize(repo, mid8, mission_dir)
    space = Path(
        ok_json(repo, "implement", "WP01", "--mission", mid8, "--agent", "a")["workspace_path"]
    )
    lifecycle = {"event_id": "01KZZZZZZZZZZZZZZZZZZZZZZZ", "event_type": "MissionStarted",
                 "timestamp": "2026-11-24T10:00:00+00:00"}  # fmt: skip
    lane_log = space / "kitty-specs" / mission_dir.name / "status.events.jsonl"
    with lane_log.open("a") as handle:
        handle.write(json.dumps(lifecycle, sort_keys=True) + "\n")
    commit_work(space, "src/core.py", "x = 1\n")
    git(space, "add", "-A")
    git(space, "commit", "-q", "-m", "lifecycle row")
    approve(repo, mid8, "WP01")
    for wp in ("WP02", "WP03"):
        ok_json(repo, "implement", wp, "--mission", mid8, "--agent", "a")
        approve(repo, mid8, wp)
    target_rows = set((mission_dir / "status.events.jsonl").read_text().splitlines())
    ok_json(repo, "merge", "--mission", mid8)
    merged = (mission_dir / "status.events.jsonl").read_text().splitlines()
    assert target_rows <= set(merged)
    assert json.dumps(lifecycle, sort_keys=True) in merged
    assert "<<<<<<<" not in "\n".join(merged)
    assert board(repo, mid8) == {"WP01": "done", "WP02": "done", "WP03": "done"}
