"""create_mission: a new mission directory, committed to its target, resolvable at once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kitty_testing import git

from mission_context import (
    ContextError,
    CoordinationWorkspace,
    Topology,
    create_mission,
    human_slug,
    resolve_action_context,
)

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def fresh_repo(root: Path, *, commit: bool = True) -> Path:
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.com")
    if commit:
        (root / "README.md").write_text("# project\n")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "init")
    return root


@pytest.mark.parametrize("topology", list(Topology))
def test_creates_commits_and_resolves(tmp_path: Path, topology: Topology) -> None:
    root = fresh_repo(tmp_path / "repo")
    made = create_mission(cwd=root, name="Checkout flow", topology=topology, now=NOW)
    name = made.mission_dir.name
    assert name == f"checkout-flow-{made.meta.mid8}"
    assert made.mission_dir == root / "kitty-specs" / name
    raw = (made.mission_dir / "meta.json").read_text()
    assert raw == json.dumps(json.loads(raw), indent=2, sort_keys=True) + "\n"
    meta = json.loads(raw)
    assert meta["mission_slug"] == meta["slug"] == name
    assert meta["mission_number"] is None
    assert meta["created_at"] == "2026-11-23T09:30:00+00:00"
    assert (meta["topology"], meta["target_branch"], meta["friendly_name"]) == (
        topology.value,
        "main",
        "Checkout flow",
    )
    assert meta["flattened"] is not topology.uses_coordination
    assert made.commit is not None
    tracked = git(root, "ls-tree", "-r", "--name-only", "main").splitlines()
    assert {f"kitty-specs/{name}/meta.json", f"kitty-specs/{name}/spec.md"} <= set(tracked)
    assert git(root, "status", "--porcelain") == ""
    ctx = resolve_action_context(cwd=root, action="status", mission=made.meta.mid8)
    assert ctx.topology is topology
    if topology.uses_coordination:
        assert meta["coordination_branch"] == f"kitty/mission-{name}"
        assert git(root, "rev-parse", meta["coordination_branch"]) == made.commit.sha
        workspace = CoordinationWorkspace.resolve(ctx)
        assert (workspace.mission_dir / "meta.json").read_text() == raw
    else:
        assert "coordination_branch" not in meta


def test_a_fresh_repository_with_no_commit_gets_its_first(tmp_path: Path) -> None:
    root = fresh_repo(tmp_path / "repo", commit=False)
    made = create_mission(cwd=root, name="First", now=NOW)
    assert made.commit is not None
    assert git(root, "log", "--format=%s", "main") == f"specify: {made.mission_dir.name}"


def test_from_a_subdirectory_it_lands_in_the_primary_checkout(tmp_path: Path) -> None:
    root = fresh_repo(tmp_path / "repo")
    (root / "src").mkdir()
    made = create_mission(cwd=root / "src", name="Deep", now=NOW)
    assert made.mission_dir.parent == root / "kitty-specs"


def test_bad_input_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    root = fresh_repo(tmp_path / "repo")
    cases = {
        "INVALID_MISSION_NAME": {"name": "!!!"},
        "INVALID_TOPOLOGY": {"name": "x", "topology": "mesh"},
        "TARGET_BRANCH_NOT_FOUND": {"name": "x", "target_branch": "nope"},
    }
    for code, kwargs in cases.items():
        with pytest.raises(ContextError) as caught:
            create_mission(cwd=root, **kwargs)  # type: ignore[arg-type]
        assert caught.value.code == code
    with pytest.raises(ContextError) as caught:
        create_mission(cwd=tmp_path, name="x")
    assert caught.value.code == "NOT_A_REPOSITORY"
    git(root, "checkout", "-q", "--detach")
    with pytest.raises(ContextError) as caught:
        create_mission(cwd=root, name="x")
    assert caught.value.code == "TARGET_BRANCH_UNRESOLVED"
    assert not (root / "kitty-specs").exists()


def test_a_failed_commit_removes_the_half_made_mission(tmp_path: Path) -> None:
    root = fresh_repo(tmp_path / "repo")
    (root / ".gitignore").write_text("kitty-specs/\n")  # git add will refuse the files
    with pytest.raises(ContextError):
        create_mission(cwd=root, name="Ignored", now=NOW)
    assert list((root / "kitty-specs").iterdir()) == []


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Checkout flow", "checkout-flow"),
        ("  API: v2 / auth!! ", "api-v2-auth"),
        ("Ünïcode café", "unicode-cafe"),
        ("x" * 80, "x" * 60),
    ],
)
def test_human_slug(name: str, slug: str) -> None:
    assert human_slug(name) == slug


def test_the_same_name_twice_in_one_instant_gets_two_directories(tmp_path: Path) -> None:
    root = fresh_repo(tmp_path / "repo")
    first = create_mission(cwd=root, name="Twin", now=NOW)
    second = create_mission(cwd=root, name="Twin", now=NOW)
    assert first.mission_dir != second.mission_dir
    assert first.meta.mid8 != second.meta.mid8  # so a mid8 handle still names exactly one
    assert json.loads((second.mission_dir / "meta.json").read_text())["created_at"] == (
        "2026-11-23T09:30:00+00:00"
    )
    for made in (first, second):
        ctx = resolve_action_context(cwd=root, action="status", mission=made.meta.mid8)
        assert ctx.mission_dir_name == made.mission_dir.name


def test_two_names_in_one_instant_get_two_mid8s(tmp_path: Path) -> None:
    """A mid8 printed as --mission must name one mission, whatever the names."""
    root = fresh_repo(tmp_path / "repo")
    made = [create_mission(cwd=root, name=name, now=NOW) for name in ("Cart", "Receipts", "Tax")]
    assert len({m.meta.mid8 for m in made}) == 3
    for one in made:
        ctx = resolve_action_context(cwd=root, action="status", mission=one.meta.mid8)
        assert ctx.mission_dir_name == one.mission_dir.name
