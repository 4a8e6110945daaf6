"""spec-kitty 3.x command lines run on ours: the alias table, and a mission carried by them.

The lines are the ones 3.2.7's agent files and hooks use (`agent action implement`, `agent
tasks move-task ... --to approved --note`, `--to planned --review-feedback-file`, `session-start`,
...), with the flags 3.x passes that we have no use for (`--shell-pid`, `--model`).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from kitty_testing import TASKS_MD, cli, commit_work, git, ok_json, tree_digest

from spec_kitty_cli._compat3 import (
    ALIASES,
    NOT_CARRIED,
    ROOTS,
    aliases_table,
    not_carried_table,
)


def run3(cwd: Path, line: str, stdin: str | None = None) -> dict[str, Any]:
    """Run a 3.x line (``--json`` appended); it must succeed with one JSON document."""
    done = cli(cwd, *shlex.split(line), "--json", stdin=stdin)
    assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"
    assert "Traceback" not in done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def test_the_entry_points_route_exactly_the_table_roots() -> None:
    roots = {alias.path.split()[0] for alias in ALIASES}
    assert roots | {family.split()[0] for family in NOT_CARRIED} == ROOTS
    paths = [alias.path for alias in ALIASES]
    assert len(paths) == len(set(paths))


@pytest.mark.parametrize("alias", ALIASES, ids=[a.path for a in ALIASES])
def test_every_alias_has_help(repo: Path, alias: Any) -> None:
    done = cli(repo, *alias.path.split(), "--help")
    assert done.returncode == 0, done.stderr
    assert f"run as: {alias.runs_as}" in done.stdout


def test_docs_compat_has_the_tables_of_the_source() -> None:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "compat.md").read_text()
    for table in (aliases_table(), not_carried_table()):
        assert "\n".join(table) in docs
    assert len(aliases_table()) == len(ALIASES) + 2


@pytest.mark.parametrize("family", NOT_CARRIED)
def test_a_family_not_carried_over_says_what_to_do(repo: Path, family: str) -> None:
    done = cli(repo, *family.split(), "status", "--json")
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert (error["code"], error["next_step"]) == ("NOT_CARRIED_OVER", NOT_CARRIED[family])
    plain = cli(repo, *family.split(), "--help")
    assert plain.returncode == 2
    assert plain.stderr.startswith("error[NOT_CARRIED_OVER]:")
    assert "Traceback" not in done.stderr + plain.stderr


def test_a_mission_carried_by_3x_command_lines(repo: Path, tmp_path: Path) -> None:
    ok_json(repo, "init")
    made = run3(repo, 'agent mission create "Checkout flow" --mission-type software-dev')
    slug, folder = made["mission_slug"], Path(made["feature_dir"])
    planned = run3(repo, f"agent mission setup-plan --mission {slug}")
    assert Path(planned["path"]).name == "plan.md"
    (folder / "tasks.md").write_text(TASKS_MD)
    checked = run3(repo, f"agent mission finalize-tasks --validate-only --mission {slug}")
    assert [wp["wp_id"] for wp in checked["work_packages"]] == ["WP01", "WP02", "WP03"]
    assert not (folder / "tasks").exists()  # validate-only writes nothing
    run3(repo, f"agent mission finalize-tasks --feature {slug}")  # --feature: 3.x's old name
    report = tmp_path / "report.md"
    report.write_text("All requirements covered.\n")
    run3(repo, f"agent mission record-analysis --mission {slug} --input-file {report}")
    prerequisites = run3(repo, f"agent mission check-prerequisites --mission {slug} "
                         "--include-tasks --paths-only")  # fmt: skip
    assert prerequisites["FEATURE_DIR"] == str(folder)
    assert {"spec.md", "plan.md", "tasks.md", "tasks/"} <= set(prerequisites["AVAILABLE_DOCS"])
    branch = run3(repo, "agent mission branch-context --target-branch main")
    assert (branch["current_branch"], branch["matches_target"]) == ("main", True)

    # implement without a WP: the one next gives
    started = run3(repo, f"agent action implement --mission {slug} --agent claude "
                   "--model opus --shell-pid 4242")  # fmt: skip
    assert started["wp_id"] == "WP01"
    workspace = Path(started["workspace_path"])
    commit_work(workspace, "src/core.py", "core\n")
    ticked = run3(repo, f"agent tasks mark-status T001 --status done --mission {slug}")
    assert ticked["updated"] and "- [x] T001" in (folder / "tasks.md").read_text()
    run3(repo, f'agent tasks add-history WP01 --note "model done" --mission {slug} --agent claude')
    moved = run3(workspace, f"agent tasks move-task WP01 --to for_review --mission {slug} "
                 "--agent claude --shell-pid 4242 --skip-pre-review-gate")  # fmt: skip
    assert (moved["result"], moved["task_id"], moved["old_lane"], moved["new_lane"]) == (
        "success", "WP01", "in_progress", "for_review"
    )  # the keys 3.x's agents read
    assert moved["to_lane"] == "for_review"
    brief = run3(repo, f"agent action review WP01 --mission {slug} --agent codex")
    assert brief["diff_command"].startswith("git -C")
    # 3.x's rejection: back to planned with a feedback file -> our review --reject
    feedback = tmp_path / "feedback.md"
    feedback.write_text("Handle an empty cart.\n")
    rejected = run3(repo, f"agent tasks move-task WP01 --to planned --mission {slug} "
                    f"--review-feedback-file {feedback} --agent codex")  # fmt: skip
    assert (rejected["verdict"], rejected["to_lane"]) == ("changes_requested", "planned")
    board = run3(repo, f"agent tasks status --mission {slug}")
    rows = {row["id"]: row for row in board["work_packages"]}
    assert rows["WP01"]["feedback"] == "Handle an empty cart."
    again = run3(repo, f"agent action implement WP01 --mission {slug} --agent claude")
    assert again["feedback"] == "Handle an empty cart."
    commit_work(workspace, "src/core.py", "core, empty carts too\n")
    run3(repo, f"agent tasks move-task WP01 --to for_review --mission {slug} --agent claude")
    # 3.x's approval: --to approved --note -> our review --approve
    approved = run3(repo, f'agent tasks move-task WP01 --to approved --note "Review passed" '
                    f"--mission {slug} --agent codex")  # fmt: skip
    assert (approved["verdict"], approved["reference"]) == ("approved", "note:Review passed")
    for wp, name in (("WP02", "src/board.py"), ("WP03", "docs/guide.md")):
        started = run3(repo, f"agent action implement {wp} --mission {slug} --agent claude")
        commit_work(Path(started["workspace_path"]), name, f"{wp}\n")
        run3(repo, f"agent status emit {wp} --to for_review --actor claude --mission {slug}")
        run3(repo, f"agent tasks move-task {wp} --to approved --approval-ref PR#7 "
             f"--reviewer bea --mission {slug}")  # fmt: skip
    resolved = run3(repo, f"agent context resolve --action merge --mission {slug}")
    assert (resolved["mission"], resolved["action"]) == (slug, "merge")
    assert run3(repo, f"agent status validate --mission {slug}")
    ok_json(repo, "merge", "--mission", slug)
    accepted = run3(repo, f"agent mission accept --mission {slug} --actor bea")
    assert (accepted["ready"], accepted["accepted_by"]) == (True, "bea")
    types = run3(repo, "mission list")  # 3.x: the mission types, as a list
    assert [row["id"] for row in types] == ["software-dev", "research", "documentation"]
    done = run3(repo, f"next --agent claude --mission {slug} --result success")
    assert done["action"] == "done"
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""


def test_spec_commit_commits_the_planning_files(repo: Path) -> None:
    ok_json(repo, "init")
    made = ok_json(repo, "specify", "Notes")
    spec = Path(made["feature_dir"]) / "spec.md"
    spec.write_text("# Notes\n\n- FR-001: keep notes\n")
    # 3.x: files, -m message; the mission is the one the file is in
    committed = run3(repo, f'spec-commit {spec.relative_to(repo)} -m "spec: notes"')
    assert (committed["committed"], committed["placement_ref"]) == (True, "main")
    assert git(repo, "log", "-1", "--format=%s") == "spec: notes"
    again = run3(repo, f"spec-commit --mission {made['mid8']} --message again")
    assert (again["committed"], again["commit_hash"]) == (False, None)


def test_the_hooks_exit_zero_with_a_hook_payload_on_stdin(repo: Path) -> None:
    payload = json.dumps({"session_id": "s1", "hook_event_name": "SessionStart"})
    for hook in ("session-start", "session-stop"):
        done = cli(repo, hook, "--agent", "claude", stdin=payload)
        assert (done.returncode, done.stderr) == (0, "")
    outside = cli(Path("/"), "session-start", stdin="{}")
    assert outside.returncode == 0  # a hook never breaks a session, even outside a repository


def test_upgrade_agent_check_reports_nothing_to_do(repo: Path) -> None:
    document = run3(repo, "upgrade --agent-check")
    assert (document["up_to_date"], document["needs_upgrade"]) == (True, False)


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("agent tasks move-task WP01 --to planned --frobnicate", "USAGE_ERROR"),
        ("agent mission setup-plan --mission", "USAGE_ERROR"),
        ("agent nonsense here", "USAGE_ERROR"),
        ("agent tasks status --mission ../etc", "INVALID_MISSION_HANDLE"),
    ],
)
def test_bad_3x_lines_get_a_code_and_no_traceback(repo: Path, line: str, code: str) -> None:
    ok_json(repo, "init")
    done = cli(repo, *shlex.split(line), "--json")
    assert done.returncode == 2, done.stdout + done.stderr
    assert json.loads(done.stdout)["error"]["code"] == code
    assert "Traceback" not in done.stderr


def test_merge_push_pushes_the_target(repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    ok_json(repo, "init")
    made = ok_json(repo, "specify", "Pushed", "--topology", "single_branch")
    mid8 = str(made["mid8"])
    (Path(made["feature_dir"]) / "tasks.md").write_text(TASKS_MD.split("## Work Package WP02")[0])
    ok_json(repo, "finalize-tasks", "--mission", mid8)
    ok_json(repo, "implement", "WP01", "--mission", mid8, "--agent", "a")
    commit_work(repo, "src/core.py", "core\n")
    ok_json(repo, "move-task", "WP01", "--to", "for_review", "--mission", mid8, "--actor", "a")
    ok_json(repo, "review", "WP01", "--mission", mid8, "--approve", "--reference", "PR#1")
    merged = ok_json(repo, "merge", "--mission", mid8, "--push")
    assert merged["pushed_to"] == "origin"
    assert git(remote, "rev-parse", "main") == git(repo, "rev-parse", "main")


# -- the merge drivers a 3.x repository is configured with --------------------------------

#: What 3.x writes: .gitattributes lines and, in the local config, `spec-kitty merge-driver-*`.
ATTRIBUTES_3X = """\
kitty-specs/**/status.events.jsonl merge=spec-kitty-event-log
kitty-specs/**/meta.json merge=spec-kitty-meta
kitty-specs/**/traces/*.md merge=spec-kitty-traces
kitty-specs/**/acceptance-matrix.json merge=spec-kitty-acceptance-matrix
kitty-specs/**/issue-matrix.json merge=spec-kitty-issue-matrix
kitty-specs/**/tasks/*/review-cycle-*.md merge=spec-kitty-review-cycle
"""
DRIVERS_3X = ("event-log", "meta", "traces", "acceptance-matrix", "issue-matrix", "review-cycle")


def event(n: int, wp: str, to: str) -> str:
    record = {
        "actor": "a", "at": f"2026-01-0{n}T00:00:00+00:00",
        "event_id": f"01KTPK{n:02d}" + "0" * 18,
        "evidence": None, "execution_mode": "worktree", "force": False, "from_lane": "planned",
        "mission_slug": "m-01KTPKST", "reason": None, "review_ref": None, "to_lane": to,
        "wp_id": wp,
    }  # fmt: skip
    return json.dumps(record, sort_keys=True) + "\n"


def test_a_merge_through_the_3x_drivers_has_no_conflict(repo: Path) -> None:
    import os
    import sys

    from kitty_testing import ENV, run_git

    (repo / ".gitattributes").write_text(ATTRIBUTES_3X)
    for name in DRIVERS_3X:
        git(repo, "config", f"merge.spec-kitty-{name}.driver",
            f"spec-kitty merge-driver-{name} %O %A %B")  # fmt: skip
    mission = repo / "kitty-specs" / "m-01KTPKST"
    (mission / "traces").mkdir(parents=True)
    files = {
        "status.events.jsonl": event(1, "WP01", "planned"),
        "meta.json": json.dumps(
            {"mission_id": "01KTPKST" + "0" * 18, "target_branch": "main", "friendly_name": "M"},
            indent=2,
        )
        + "\n",
        "traces/run.md": "# Trace\n\n- start\n",
        "acceptance-matrix.json": json.dumps(
            {"criteria": [{"criterion_id": "AC-1", "met": False}]}
        ),
    }
    for name, text in files.items():
        (mission / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "3.x mission")
    git(repo, "checkout", "-q", "-b", "side")
    with (mission / "status.events.jsonl").open("a") as log:
        log.write(event(2, "WP02", "claimed"))
    meta = json.loads((mission / "meta.json").read_text())
    (mission / "meta.json").write_text(json.dumps({**meta, "friendly_name": "Renamed"}))
    (mission / "traces" / "run.md").write_text("# Trace\n\n- start\n- side step\n")
    rows = [{"criterion_id": "AC-1", "met": False}, {"criterion_id": "AC-2", "met": True}]
    (mission / "acceptance-matrix.json").write_text(json.dumps({"criteria": rows}))
    git(repo, "commit", "-q", "-am", "side")
    git(repo, "checkout", "-q", "main")
    with (mission / "status.events.jsonl").open("a") as log:
        log.write(event(3, "WP03", "claimed"))
    entry = {"accepted_at": "2026-02-01T00:00:00+00:00", "accepted_by": "bea"}
    (mission / "meta.json").write_text(json.dumps({**meta, **entry, "acceptance_history": [entry]}))
    (mission / "traces" / "run.md").write_text("# Trace\n\n- start\n- main step\n")
    (mission / "acceptance-matrix.json").write_text(
        json.dumps({"criteria": [{"criterion_id": "AC-1", "met": True}]})
    )
    git(repo, "commit", "-q", "-am", "main")
    # `spec-kitty` on the PATH is ours, as after `pip install -U spec-kitty-cli`.
    env = {**ENV, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{ENV['PATH']}"}
    merged = run_git(repo, "merge", "--no-edit", "side", env=env)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "CONFLICT" not in merged.stdout
    log = (mission / "status.events.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["wp_id"] for line in log) == ["WP01", "WP02", "WP03"]
    meta = json.loads((mission / "meta.json").read_text())
    assert (meta["friendly_name"], meta["accepted_by"]) == ("Renamed", "bea")
    assert meta["acceptance_history"] == [entry]
    trace = (mission / "traces" / "run.md").read_text()
    assert "- main step" in trace and "- side step" in trace and trace.count("- start") == 1
    rows = json.loads((mission / "acceptance-matrix.json").read_text())["criteria"]
    assert rows == [{"criterion_id": "AC-1", "met": True}, {"criterion_id": "AC-2", "met": True}]


def test_a_driver_that_cannot_merge_exits_1_and_says_why(tmp_path: Path) -> None:
    for name, text in (("base", "{}"), ("ours", "{not json"), ("theirs", "{}")):
        (tmp_path / name).write_text(text)
    done = cli(tmp_path, "merge-driver-meta", "base", "ours", "theirs")
    assert done.returncode == 1
    assert "MERGE_DRIVER_CONFLICT" in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / "ours").read_text() == "{not json"  # left for a person


# -- adopting a repository 3.x set up -----------------------------------------------------

METADATA_3X = """\
# Spec Kitty Project Metadata
spec_kitty:
  schema_version: 3
  version: 3.2.7
"""
CONFIG_3X = """\
vcs:
  type: git
agents:
  available:
  - claude
  - gemini
  auto_commit: true
"""
HOOKS_3X = {
    "hooks": {
        "SessionStart": [{"hooks": [{"type": "command", "command": "spec-kitty session-start"}]}],
        "Stop": [{"hooks": [{"type": "command", "command": "spec-kitty session-stop"}]}],
    }
}


def test_init_adopts_a_3x_repository(repo: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from kitty_testing import ENV, tree_digest

    made = ok_json(repo, "specify", "Old mission")  # a mission that must not change
    (repo / ".kittify").mkdir(exist_ok=True)
    (repo / ".kittify" / "metadata.yaml").write_text(METADATA_3X)
    (repo / ".kittify" / "config.yaml").write_text(CONFIG_3X)
    (repo / ".gitattributes").write_text(ATTRIBUTES_3X)
    (repo / ".claude").mkdir()
    (repo / ".claude" / "settings.json").write_text(json.dumps(HOOKS_3X, indent=2))
    for name in DRIVERS_3X:
        git(repo, "config", f"merge.spec-kitty-{name}.driver",
            f"spec-kitty merge-driver-{name} %O %A %B")  # fmt: skip
    home = tmp_path / "home"
    global_file = home / ".claude" / "commands" / "spec-kitty.implement.md"
    global_file.parent.mkdir(parents=True)
    global_file.write_text("---\ndescription: x\n---\n<!-- spec-kitty-command-version: 3.2.7 -->\n")
    users_own = home / ".claude" / "commands" / "spec-kitty.mine.md"
    users_own.write_text("my own command\n")  # no 3.x marker: never touched
    specs_before = tree_digest(Path(made["feature_dir"]))
    env = {**ENV, "HOME": str(home)}

    def init(*args: str) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "spec_kitty_cli", "init", *args, "--json"],
            cwd=repo, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        document: dict[str, Any] = json.loads(done.stdout)
        return document

    adopted = init()["adopted"]
    assert adopted["from_version"] == "3.2.7"
    assert adopted["agents"] == ["claude", "gemini"]
    assert adopted["drivers_rewired"] == list(DRIVERS_3X)
    assert adopted["home_files"] == [str(global_file)] and adopted["home_removed"] == []
    assert (repo / ".gemini" / "commands" / "spec-kitty.next.toml").is_file()
    driver = git(repo, "config", "merge.spec-kitty-meta.driver")
    assert driver.endswith("-m spec_kitty_cli merge-driver-meta %O %A %B")
    assert tree_digest(Path(made["feature_dir"])) == specs_before
    again = init("--remove-3x-home")["adopted"]
    assert (again["drivers_rewired"], again["home_removed"]) == ([], [str(global_file)])
    assert not global_file.exists() and users_own.exists()
    # The hooks 3.x configured run ours and exit 0, with `spec-kitty` on the PATH.
    path_env = {**env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{ENV['PATH']}"}
    for event in HOOKS_3X["hooks"].values():
        command = event[0]["hooks"][0]["command"]
        done = subprocess.run(
            shlex.split(command), cwd=repo, env=path_env, input='{"session_id": "s"}',
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr


def test_finalize_tasks_keeps_what_3x_wrote_that_we_do_not_use(repo: Path) -> None:
    """WP `subtasks` and unknown front matter keys, and lanes.json `planning_commit_sha`."""
    ok_json(repo, "init")
    made = ok_json(repo, "specify", "Kept", "--topology", "lanes")
    folder = Path(made["feature_dir"])
    (folder / "tasks.md").write_text(
        "# Tasks\n\n## Work Package WP01: Core\n\n**Owned Files**: src/core.py\n"
    )
    ok_json(repo, "finalize-tasks", "--mission", made["mid8"])
    wp_file = next((folder / "tasks").glob("WP01-*.md"))
    text = wp_file.read_text()
    wp_file.write_text(
        text.replace("subtasks: []\n", "subtasks:\n- T001\n- T002\nagent_profile: implementer\n")
    )
    lanes = json.loads((folder / "lanes.json").read_text())
    (folder / "lanes.json").write_text(json.dumps({**lanes, "planning_commit_sha": "abc123"}))
    ok_json(repo, "finalize-tasks", "--mission", made["mid8"])
    import yaml

    front = yaml.safe_load(wp_file.read_text().split("---")[1])
    assert (front["subtasks"], front["agent_profile"]) == (["T001", "T002"], "implementer")
    assert json.loads((folder / "lanes.json").read_text())["planning_commit_sha"] == "abc123"


def test_map_requirements_writes_the_refs_where_finalize_reads_them(repo: Path) -> None:
    ok_json(repo, "init")
    made = run3(repo, 'agent mission create "mapped" --friendly-name "Mapped flow"')
    slug, folder = made["mission_slug"], Path(made["feature_dir"])
    assert slug.startswith("mapped-flow-")  # the name is the friendly name
    (folder / "spec.md").write_text("# Spec\n\n- FR-001: pay\n- FR-002: refund\n- NFR-001: fast\n")
    (folder / "tasks.md").write_text(TASKS_MD)
    one = run3(repo, f"agent tasks map-requirements --wp WP02 --refs NFR-001 --mission {slug}")
    assert one["mappings"]["WP02"] == ["NFR-001"]
    assert one["commit"] and git(repo, "status", "--porcelain") == ""
    both = run3(repo, "agent tasks map-requirements --batch "
                f"""'{{"WP01": ["FR-002"]}}' --mission {slug}""")  # fmt: skip
    assert both["mappings"]["WP01"] == ["FR-001", "FR-002"]  # merged, as 3.x does
    assert both["unmapped_requirements"] == []
    replaced = run3(repo, f"agent tasks map-requirements --wp WP01 --refs FR-002 --replace "
                    f"--mission {slug}")  # fmt: skip
    assert replaced["mappings"]["WP01"] == ["FR-002"]
    assert replaced["unmapped_requirements"] == ["FR-001"]
    finalized = run3(repo, f"agent mission finalize-tasks --mission {slug}")
    refs = {wp["wp_id"]: wp["requirement_refs"] for wp in finalized["work_packages"]}
    assert (refs["WP01"], refs["WP02"]) == (["FR-002"], ["NFR-001"])
    # after finalize, the WP file follows too
    run3(repo, f"agent tasks map-requirements --wp WP03 --refs FR-001 --mission {slug}")
    wp03 = next((folder / "tasks").glob("WP03-*.md")).read_text()
    assert "requirement_refs:\n- FR-001\n" in wp03


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("agent tasks map-requirements --wp WP01 --refs FR-404", "UNKNOWN_REQUIREMENT"),
        ("agent tasks map-requirements --wp WP01", "INVALID_ARGUMENTS"),
        ("agent tasks map-requirements --batch [1]", "INVALID_ARGUMENTS"),
        ("agent tasks map-requirements --wp WP09 --refs FR-001", "TASKS_INVALID"),
    ],
)
def test_map_requirements_refuses_and_writes_nothing(repo: Path, line: str, code: str) -> None:
    ok_json(repo, "init")
    made = ok_json(repo, "specify", "Refused map")
    folder = Path(made["feature_dir"])
    (folder / "spec.md").write_text("# Spec\n\n- FR-001: pay\n")
    (folder / "tasks.md").write_text(TASKS_MD)
    before = tree_digest(repo)
    done = cli(repo, *shlex.split(line), "--mission", made["mid8"], "--json")
    assert done.returncode != 0
    assert json.loads(done.stdout)["error"]["code"] == code
    assert tree_digest(repo) == before


def test_3x_lines_find_the_only_mission_and_3x_actions(repo: Path) -> None:
    ok_json(repo, "init")
    probe = run3(repo, "agent mission check-prerequisites --mission not-yet --resume-probe")
    assert probe == {"resumable": False, "mission_slug": "not-yet"}
    made = ok_json(repo, "specify", "Only one")
    (Path(made["feature_dir"]) / "tasks.md").write_text(TASKS_MD)
    for action in ("tasks_outline", "tasks_packages"):
        assert run3(repo, f"agent context resolve --action {action}")["action"] == "tasks"
    run3(repo, "agent mission finalize-tasks")
    started = run3(repo, "agent action implement WP01 --agent claude")
    assert started["wp_id"] == "WP01"
    ok_json(repo, "specify", "Second one")
    done = cli(repo, "agent", "action", "implement", "WP02", "--agent", "claude", "--json")
    assert json.loads(done.stdout)["error"]["code"] == "FEATURE_CONTEXT_UNRESOLVED"


def test_map_requirements_rerun_commits_what_a_killed_run_wrote(repo: Path) -> None:
    ok_json(repo, "init")
    made = ok_json(repo, "specify", "Killed map")
    folder = Path(made["feature_dir"])
    (folder / "spec.md").write_text("# Spec\n\n- FR-001: pay\n- FR-002: refund\n")
    (folder / "tasks.md").write_text(TASKS_MD)
    line = f"agent tasks map-requirements --wp WP02 --refs FR-002 --mission {made['mid8']}"
    assert run3(repo, line)["commit"]
    git(repo, "reset", "-q", "HEAD~1")  # as if killed after writing, before committing
    assert git(repo, "status", "--porcelain")
    again = run3(repo, line)
    assert again["updated"] == [] and again["commit"]
    assert git(repo, "status", "--porcelain") == ""
