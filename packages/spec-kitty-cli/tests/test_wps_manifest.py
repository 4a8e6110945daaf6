"""``wps.yaml``, 3.x's WP manifest: it decides the WPs and ``tasks.md`` is generated from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kitty_testing import cli, git, ok_json, tree_digest

from spec_kitty_cli._frontmatter import TasksError
from spec_kitty_cli._tasks_md import parse_tasks_md
from spec_kitty_cli._wps import GENERATED_NOTE, parse_manifest, render_tasks_md

# As 3.2.7's tasks step writes it: concern refs, a prompt file, a key we do not know.
MANIFEST = """\
work_packages:
  - id: WP01
    title: Cart model
    owned_files: [src/cart.py, tests/test_cart.py]
    requirement_refs: [FR-001]
    subtasks: [T001, "T002: totals"]
    prompt_file: tasks/WP01-cart-model-and-totals.md
    plan_concern_refs: [IC-01]
    estimated_hours: 3
  - id: WP02
    title: Payment step
    dependencies: [WP01]
    owned_files: [src/pay.py]
    cross_cutting: true
  - id: WP03
    title: Docs page
    owned_files: [kitty-specs/notes.md]
    execution_mode: planning_artifact
"""


def test_the_manifest_reads_as_3x_reads_it() -> None:
    wps = parse_manifest(MANIFEST)
    assert [(wp.wp_id, wp.dependencies, wp.execution_mode) for wp in wps] == [
        ("WP01", (), "code_change"),
        ("WP02", ("WP01",), "code_change"),
        ("WP03", (), "planning_artifact"),
    ]
    assert wps[0].filename == "WP01-cart-model-and-totals.md"  # from prompt_file
    assert [(s.id, s.title) for s in wps[0].subtasks] == [("T001", ""), ("T002", "totals")]
    assert wps[1].filename == "WP02-payment-step.md"


def test_the_generated_tasks_md_parses_back_to_the_same_work_packages() -> None:
    wps = parse_manifest(MANIFEST)
    text = render_tasks_md(wps, "Checkout")
    assert text.split("\n")[2] == GENERATED_NOTE
    again = parse_tasks_md(text)
    fields = ("wp_id", "title", "dependencies", "requirement_refs", "owned_files")
    assert [[getattr(wp, f) for f in fields] for wp in again] == [
        [getattr(wp, f) for f in fields] for wp in wps
    ]
    assert [wp.execution_mode for wp in again] == [wp.execution_mode for wp in wps]
    assert [[s.id for s in wp.subtasks] for wp in again] == [["T001", "T002"], [], []]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("work_packages: [\n", "not valid YAML"),
        ("- id: WP01\n", "a mapping with a work_packages list"),
        ("work_packages: []\n", "work_packages is empty"),
        ("work_packages:\n  - WP01\n", "work_packages[0]: expected a mapping"),
        ("work_packages:\n  - {id: WP1, title: A}\n", "work_packages[0].id: must be WPnn"),
        ("work_packages:\n  - {id: WP01}\n", "work_packages[0].title"),
        ("work_packages:\n  - {id: WP01, title: A, owned_files: src}\n", ".owned_files: must be"),
        ("work_packages:\n  - {id: WP01, title: A, dependencies: [1]}\n", ".dependencies: must"),
        ("work_packages:\n  - {id: WP01, title: A, dependencies: [W1]}\n", "'W1' is not WPnn"),
        ("work_packages:\n  - {id: WP01, title: A, execution_mode: x}\n", ".execution_mode:"),
        ("work_packages:\n  - {id: WP01, title: A}\n  - {id: WP01, title: B}\n", "already"),
        ("work_packages:\n  - {id: WP01, title: A, dependencies: [WP01]}\n", "on itself"),
        ("work_packages:\n  - {id: WP01, title: A, dependencies: [WP07]}\n", "WP07 is not listed"),
        (
            "work_packages:\n  - {id: WP01, title: A, dependencies: [WP02]}\n"
            "  - {id: WP02, title: B, dependencies: [WP01]}\n",
            "cycle WP01 -> WP02 -> WP01",
        ),
    ],
)
def test_a_bad_manifest_names_the_entry_and_key(text: str, says: str) -> None:
    with pytest.raises(TasksError) as caught:
        parse_manifest(text)
    assert caught.value.code == "WPS_MANIFEST_INVALID"
    assert caught.value.message.startswith("wps.yaml")
    assert says in caught.value.message


def _mission(repo: Path) -> tuple[str, Path]:
    ok_json(repo, "init")
    made = ok_json(repo, "specify", "Checkout", "--topology", "lanes")
    return made["mid8"], Path(made["feature_dir"])


def test_finalize_reads_wps_yaml_and_generates_tasks_md(repo: Path) -> None:
    mid8, folder = _mission(repo)
    (folder / "wps.yaml").write_text(MANIFEST)
    done = ok_json(repo, "finalize-tasks", "--mission", mid8)
    assert done["source"] == "wps.yaml"
    assert [(wp["wp_id"], wp["dependencies"]) for wp in done["work_packages"]] == [
        ("WP01", []),
        ("WP02", ["WP01"]),
        ("WP03", []),
    ]
    assert done["seeded"] == ["WP01", "WP02", "WP03"]
    names = sorted(path.name for path in (folder / "tasks").iterdir())
    assert names == ["WP01-cart-model-and-totals.md", "WP02-payment-step.md", "WP03-docs-page.md"]
    lanes = json.loads((folder / "lanes.json").read_text())
    assert lanes["planning_artifact_wps"] == ["WP03"]
    generated = (folder / "tasks.md").read_text()
    assert GENERATED_NOTE in generated
    # both are committed to the target branch, as they are on disk
    rel = folder.relative_to(repo)
    assert git(repo, "show", f"main:{rel}/tasks.md") == generated.rstrip("\n")
    assert "estimated_hours" in git(repo, "show", f"main:{rel}/wps.yaml")
    assert git(repo, "status", "--porcelain") == ""

    again = cli(repo, "finalize-tasks", "--mission", mid8)
    assert again.returncode == 0, again.stderr
    assert "Regenerated" not in again.stdout
    assert git(repo, "status", "--porcelain") == ""


def test_the_manifest_decides_after_an_edit(repo: Path) -> None:
    mid8, folder = _mission(repo)
    (folder / "wps.yaml").write_text(MANIFEST)
    ok_json(repo, "finalize-tasks", "--mission", mid8)
    (folder / "wps.yaml").write_text(MANIFEST.replace("    dependencies: [WP01]\n", ""))
    done = ok_json(repo, "finalize-tasks", "--mission", mid8)
    assert done["work_packages"][1]["dependencies"] == []
    assert "**Dependencies**: WP01" not in (folder / "tasks.md").read_text()
    wp02 = (folder / "tasks" / "WP02-payment-step.md").read_text()
    assert "dependencies: []" in wp02


def test_a_wp_file_keeps_its_execution_mode_when_the_manifest_has_none(repo: Path) -> None:
    mid8, folder = _mission(repo)
    (folder / "tasks").mkdir()
    (folder / "tasks" / "WP01-notes.md").write_text(
        "---\nwork_package_id: WP01\nexecution_mode: planning_artifact\n---\n\nNotes.\n"
    )
    (folder / "wps.yaml").write_text("work_packages:\n  - {id: WP01, title: Notes}\n")
    done = ok_json(repo, "finalize-tasks", "--mission", mid8)
    assert done["work_packages"][0]["lane_id"] is None
    assert "Notes." in (folder / "tasks" / "WP01-notes.md").read_text()


def test_uncommitted_edits_to_tasks_md_are_refused_and_nothing_is_written(repo: Path) -> None:
    mid8, folder = _mission(repo)
    (folder / "tasks.md").write_text("# Tasks\n\n## WP01: By hand\n\nMy notes.\n")
    (folder / "wps.yaml").write_text(MANIFEST)
    before = tree_digest(repo)
    done = cli(repo, "finalize-tasks", "--mission", mid8, "--json")
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "TASKS_MD_EDITED"
    assert "commit tasks.md" in error["next_step"]
    assert "Traceback" not in done.stderr
    assert tree_digest(repo) == before

    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "tasks by hand")
    done = ok_json(repo, "finalize-tasks", "--mission", mid8)
    assert done["source"] == "wps.yaml"
    assert GENERATED_NOTE in (folder / "tasks.md").read_text()
    rel = folder.relative_to(repo)
    history = git(repo, "log", "-p", "--format=", "--", f"{rel}/tasks.md")
    assert "+My notes." in history  # git keeps it


def test_a_broken_manifest_is_refused_before_anything_is_written(repo: Path) -> None:
    mid8, folder = _mission(repo)
    (folder / "wps.yaml").write_text("work_packages:\n  - {id: WP1, title: A}\n")
    before = tree_digest(repo)
    done = cli(repo, "finalize-tasks", "--mission", mid8, "--json")
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "WPS_MANIFEST_INVALID"
    assert "work_packages[0].id" in error["message"]
    assert tree_digest(repo) == before


def test_3x_validate_only_and_next_see_the_manifest(repo: Path) -> None:
    mid8, folder = _mission(repo)
    for name in ("spec.md", "plan.md"):
        (folder / name).write_text(f"# {name}\n\nWritten.\n")
    (folder / "wps.yaml").write_text(MANIFEST)
    before = tree_digest(repo)
    checked = ok_json(
        repo, "agent", "mission", "finalize-tasks", "--validate-only", "--mission", mid8
    )
    assert checked["source"] == "wps.yaml"
    assert [wp["wp_id"] for wp in checked["work_packages"]] == ["WP01", "WP02", "WP03"]
    assert tree_digest(repo) == before
    # the manifest counts as written tasks: next asks for the analysis, not for tasks.md
    assert ok_json(repo, "next", "--mission", mid8)["action"] == "analyze"
