"""Bad input to the lifecycle commands: a stable code, a next step, the contract's exit code.

Never a traceback, and nothing in the repository changes (every file and every
ref is compared before and after).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kitty_testing import TASKS_MD, cli, git, ok_json, tree_digest


@pytest.fixture
def mission(repo: Path) -> tuple[Path, str, Path]:
    ok_json(repo, "init")
    made = ok_json(repo, "specify", "Errors", "--topology", "lanes")
    return repo, str(made["mid8"]), Path(str(made["feature_dir"]))


def _refs(root: Path) -> str:
    return git(root, "for-each-ref", "--format=%(refname) %(objectname)")


def _assert_refused(root: Path, args: list[str], code: str, exit_code: int) -> str:
    before, refs = tree_digest(root), _refs(root)
    plain = cli(root, *args)
    assert plain.returncode == exit_code, plain.stdout + plain.stderr
    assert plain.stdout == ""
    assert len(plain.stderr.splitlines()) == 1, plain.stderr
    assert plain.stderr.startswith(f"error[{code}]:"), plain.stderr
    assert "(next: " in plain.stderr
    as_json = cli(root, *args, "--json")
    assert as_json.returncode == exit_code
    error = json.loads(as_json.stdout)["error"]
    assert error["code"] == code
    assert error["next_step"]
    assert "Traceback" not in plain.stderr + as_json.stderr
    assert tree_digest(root) == before
    assert _refs(root) == refs
    return plain.stderr


@pytest.mark.parametrize(
    ("args", "code", "exit_code"),
    [
        (["finalize-tasks"], "TASKS_NOT_FOUND", 3),
        (["analyze"], "ANALYSIS_NOT_FOUND", 3),
        (["record-analysis", "--input-file", "/nonexistent/report.md"], "INPUT_FILE_NOT_FOUND", 3),
        (["implement", "WP09", "--agent", "a"], "WORK_PACKAGE_UNRESOLVED", 3),
        (["merge", "--resume"], "MERGE_STATE_NOT_FOUND", 3),
        (["merge", "--resume", "--abort"], "INVALID_ARGUMENTS", 2),
        (["merge"], "MERGE_NOT_READY", 1),
        (["review", "WP01", "--approve", "--reject"], "INVALID_ARGUMENTS", 2),
        (["review", "WP01", "--approve"], "INVALID_ARGUMENTS", 2),
        (["review", "WP01", "--reject"], "INVALID_ARGUMENTS", 2),
        (["review", "WP01", "--reject", "--feedback-file", "/nope"], "FEEDBACK_FILE_NOT_FOUND", 3),
    ],
)
def test_refusals_before_any_work(
    mission: tuple[Path, str, Path], args: list[str], code: str, exit_code: int
) -> None:
    root, mid8, _ = mission
    _assert_refused(root, [*args, "--mission", mid8], code, exit_code)


def test_a_broken_tasks_md_names_the_line(mission: tuple[Path, str, Path]) -> None:
    root, mid8, mission_dir = mission
    (mission_dir / "tasks.md").write_text(TASKS_MD.replace("Depends on WP01", "Depends on WP07"))
    message = _assert_refused(root, ["finalize-tasks", "--mission", mid8], "TASKS_INVALID", 1)
    assert "tasks.md:" in message
    assert "WP07" in message
    assert not (mission_dir / "lanes.json").exists()


def test_review_of_work_not_submitted_is_refused(mission: tuple[Path, str, Path]) -> None:
    root, mid8, mission_dir = mission
    (mission_dir / "tasks.md").write_text(TASKS_MD)
    ok_json(root, "finalize-tasks", "--mission", mid8)
    args = ["review", "WP01", "--mission", mid8, "--approve", "--reference", "PR#1"]
    _assert_refused(root, args, "WORK_PACKAGE_NOT_IN_REVIEW", 1)
    ok_json(root, "implement", "WP01", "--mission", mid8, "--agent", "claude")
    taken = ["implement", "WP01", "--mission", mid8, "--agent", "codex"]
    _assert_refused(root, taken, "WORK_PACKAGE_CLAIMED", 1)


def test_materialize_is_refused_during_a_git_operation(mission: tuple[Path, str, Path]) -> None:
    root, mid8, mission_dir = mission
    (mission_dir / "tasks.md").write_text(TASKS_MD)
    ok_json(root, "finalize-tasks", "--mission", mid8)
    (mission_dir / "status.json").unlink()
    (root / ".git" / "rebase-merge").mkdir()  # what git leaves while a rebase stops
    try:
        _assert_refused(root, ["materialize", "--mission", mid8], "GIT_OPERATION_IN_PROGRESS", 1)
    finally:
        (root / ".git" / "rebase-merge").rmdir()
    written = ok_json(root, "materialize", "--mission", mid8)
    assert written["written"] is True
    assert json.loads((mission_dir / "status.json").read_text())["summary"]["planned"] == 3
    assert ok_json(root, "materialize", "--mission", mid8)["written"] is False


def test_doctor_reports_drift_and_a_broken_log(mission: tuple[Path, str, Path]) -> None:
    root, mid8, mission_dir = mission
    (mission_dir / "tasks.md").write_text(TASKS_MD)
    ok_json(root, "finalize-tasks", "--mission", mid8)
    healthy = ok_json(root, "doctor")
    assert healthy["summary"] == {"missions": 1, "errors": 0, "warnings": 0}
    view = mission_dir / "status.json"
    view.write_text(view.read_text().replace('"planned": 3', '"planned": 2'))
    drift = ok_json(root, "doctor", "--mission", mid8)["missions"][0]["findings"]
    assert [f["code"] for f in drift] == ["STATUS_JSON_DRIFT"]
    with (mission_dir / "status.events.jsonl").open("a") as handle:
        handle.write("{not json\n")
    broken = cli(root, "doctor", "--json")
    assert broken.returncode == 1
    findings = json.loads(broken.stdout)["missions"][0]["findings"]
    assert findings[0]["severity"] == "error"
    assert findings[0]["code"].startswith("EVENT_LOG")


def test_a_broken_analysis_report_has_its_own_code(mission: tuple[Path, str, Path]) -> None:
    root, mid8, mission_dir = mission
    (mission_dir / "analysis-report.md").write_text("---\nrecorded_at: [unclosed\n---\n")
    message = _assert_refused(root, ["analyze", "--mission", mid8], "ANALYSIS_REPORT_INVALID", 1)
    assert "analysis-report.md:" in message


def test_approved_work_reopens_with_a_review_ref(mission: tuple[Path, str, Path]) -> None:
    root, mid8, mission_dir = mission
    (mission_dir / "tasks.md").write_text(TASKS_MD)
    ok_json(root, "finalize-tasks", "--mission", mid8)
    ok_json(root, "implement", "WP01", "--mission", mid8, "--agent", "a")
    ok_json(root, "move-task", "WP01", "--to", "for_review", "--mission", mid8)
    ok_json(root, "review", "WP01", "--mission", mid8, "--approve", "--reference", "PR#1")
    reopen = ["move-task", "WP01", "--to", "in_progress", "--mission", mid8, "--note", "bug"]
    _assert_refused(root, reopen, "TRANSITION_GUARD_FAILED", 1)
    moved = ok_json(root, *reopen, "--review-ref", "PR#1-followup")
    assert (moved["from_lane"], moved["to_lane"]) == ("approved", "in_progress")


def test_a_lost_coordination_worktree_is_reported_and_rebuilt(repo: Path) -> None:
    ok_json(repo, "init")
    made = ok_json(repo, "specify", "Coord", "--topology", "coord")
    mid8 = str(made["mid8"])
    coord = Path(ok_json(repo, "context", "--mission", mid8)["workspace"]["coord_worktree"])
    git(repo, "worktree", "remove", str(coord))
    findings = json.loads(cli(repo, "doctor", "--json").stdout)["missions"][0]["findings"]
    assert [f["code"] for f in findings] == ["COORDINATION_WORKTREE_MISSING"]
    assert findings[0]["severity"] == "warning"
    # The status lives on the coordination branch, which is still there: it is read from it.
    assert ok_json(repo, "status", "--mission", mid8)["summary"]["planned"] == 0
    assert not coord.exists()  # reading wrote nothing
    ok_json(repo, "materialize", "--mission", mid8)  # a writer: it rebuilds the worktree
    assert coord.is_dir()
    assert ok_json(repo, "status", "--mission", mid8)["summary"]["planned"] == 0


@pytest.mark.parametrize(
    "args",
    [["move-task", "WP01"], ["status", "--bogus"], ["implement"], ["review"]],
)
def test_a_rejected_command_line_still_gives_one_json_document(repo: Path, args: list[str]) -> None:
    done = cli(repo, *args, "--json")
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "USAGE_ERROR"
    assert error["message"]
    assert "--help" in error["next_step"]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["sync", "dashboard", "occurrence-map"])
def test_an_unknown_action_is_a_usage_error(mission: tuple[Path, str, Path], command: str) -> None:
    root, _, _ = mission
    message = _assert_refused(root, [command, "bogus"], "INVALID_ARGUMENTS", 2)
    assert "'bogus'" in message
