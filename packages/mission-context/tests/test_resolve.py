"""resolve_action_context: identical fragments from every directory, for every handle form.

Real git repositories in temporary directories, one per topology, with lane
and coordination worktrees created by ``git worktree add``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mission_context import ContextError, Topology, resolve_action_context

MISSION_ID = "01KTPKSTQ3N6Y2W8R4V7B9C0DE"
DIR = "context-unification-01KTPKST"
LEGACY_ID = "01JZZZZZQ3N6Y2W8R4V7B9C0DE"
LEGACY_DIR = "002-lightweight-release"


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def make_repo(root: Path, topology: str, *, relative: bool = False) -> dict[str, Path]:
    """A repo with one mission of ``topology`` (+ a legacy one); returns named directories."""
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    coord = topology in ("coord", "lanes_with_coord")
    lanes = topology in ("lanes", "lanes_with_coord")
    mission = root / "kitty-specs" / DIR
    meta: dict[str, Any] = {
        "mission_id": MISSION_ID,
        "mission_slug": DIR,
        "slug": DIR,
        "mission_number": None,
        "mission_type": "software-dev",
        "friendly_name": "Context unification",
        "target_branch": "main",
        "created_at": "2026-11-01T00:00:00+00:00",
        "flattened": not coord,
        "topology": topology,
    }
    if coord:
        meta["coordination_branch"] = f"kitty/mission-{DIR}"
    write_json(mission / "meta.json", meta)
    (mission / "tasks").mkdir()
    (mission / "tasks" / "WP01-core.md").write_text("---\nwork_package_id: WP01\n---\n")
    (mission / "spec.md").write_text("# spec\n")
    if lanes:
        write_json(
            mission / "lanes.json",
            {"version": 1, "lanes": [{"lane_id": "lane-a", "wp_ids": ["WP01"]}]},
        )
    write_json(
        root / "kitty-specs" / LEGACY_DIR / "meta.json",
        {"mission_id": LEGACY_ID, "mission_slug": LEGACY_DIR, "target_branch": "main"},
    )
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "src" / "pkg" / "a.py").write_text("x = 1\n")
    (root / ".gitignore").write_text(".worktrees/\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    places = {"primary": root, "primary subdir": root / "src" / "pkg"}
    if lanes:
        lane = root / ".worktrees" / f"{DIR}-lane-a"
        git(root, "worktree", "add", "-q", "-b", f"kitty/mission-{DIR}-lane-a", str(lane))
        places["lane worktree"] = lane
        places["lane subdir"] = lane / "src" / "pkg"
    if coord:
        coord_wt = root / ".worktrees" / f"{DIR}-coord"
        git(root, "worktree", "add", "-q", "-b", f"kitty/mission-{DIR}", str(coord_wt))
        places["coord worktree"] = coord_wt
        places["coord mission dir"] = coord_wt / "kitty-specs" / DIR
    if relative:  # what `worktree.useRelativePaths` writes (git >= 2.48), done by hand
        for name in ("lane worktree", "coord worktree"):
            if name in places:
                dotgit = places[name] / ".git"
                target = dotgit.read_text().split(":", 1)[1].strip()
                dotgit.write_text(f"gitdir: {os.path.relpath(target, places[name])}\n")
    return places


TOPOLOGIES = ["single_branch", "lanes", "coord", "lanes_with_coord"]
HANDLES = [DIR, MISSION_ID, MISSION_ID[:8], MISSION_ID[:8].lower(), "context-unification-01KTPKST"]


def fragments(ctx: Any) -> dict[str, Any]:
    data: dict[str, Any] = ctx.to_dict()
    data["workspace"] = {k: v for k, v in data["workspace"].items() if k != "current_cwd"}
    return data


@pytest.mark.parametrize("topology", TOPOLOGIES)
@pytest.mark.parametrize(("action", "wp"), [("status", None), ("implement", "WP01")])
def test_fragments_are_identical_from_every_directory_and_handle(
    tmp_path: Path, topology: str, action: str, wp: str | None
) -> None:
    places = make_repo(tmp_path / "repo", topology)
    seen = []
    for place in places.values():
        for handle in HANDLES:
            ctx = resolve_action_context(cwd=place, action=action, mission=handle, wp=wp)
            assert ctx.workspace.current_cwd == place
            seen.append(json.dumps(fragments(ctx), sort_keys=True))
    assert len(set(seen)) == 1, "fragments differ by cwd or handle"
    ctx = resolve_action_context(cwd=places["primary"], action=action, mission=DIR, wp=wp)
    assert ctx.topology is Topology(topology)
    assert ctx.identity.mid8 == "01KTPKST"
    assert ctx.artifact_placement.placement_ref.branch == "main"


def test_relative_gitdir_worktrees_resolve_the_same(tmp_path: Path) -> None:
    places = make_repo(tmp_path / "repo", "lanes_with_coord", relative=True)
    dotgit = (places["lane worktree"] / ".git").read_text()
    assert not dotgit.split(":", 1)[1].strip().startswith("/"), dotgit
    results = {
        json.dumps(fragments(resolve_action_context(cwd=p, action="status", mission=DIR)))
        for p in places.values()
    }
    assert len(results) == 1


def test_coord_routes_status_through_the_coordination_worktree(tmp_path: Path) -> None:
    places = make_repo(tmp_path / "repo", "coord")
    ctx = resolve_action_context(cwd=places["coord mission dir"], action="status", mission=DIR)
    coord_dir = places["coord worktree"] / "kitty-specs" / DIR
    assert ctx.branch_ref.coordination_branch == f"kitty/mission-{DIR}"
    assert ctx.branch_ref.destination_ref.branch == f"kitty/mission-{DIR}"
    assert ctx.status_surface.read_dir == ctx.status_surface.write_dir == coord_dir
    assert ctx.workspace.primary_root == places["primary"]
    assert ctx.status().mission_dir == coord_dir


@pytest.mark.parametrize("topology", ["single_branch", "lanes"])
def test_flattened_topologies_have_no_coordination_branch(tmp_path: Path, topology: str) -> None:
    places = make_repo(tmp_path / "repo", topology)
    ctx = resolve_action_context(cwd=places["primary"], action="status", mission=DIR)
    assert ctx.branch_ref.coordination_branch is None
    assert ctx.branch_ref.destination_ref.branch == "main"
    mission = places["primary"] / "kitty-specs" / DIR
    assert ctx.status_surface.read_dir == ctx.status_surface.write_dir == mission


def test_lane_wp_executes_in_its_lane_worktree(tmp_path: Path) -> None:
    places = make_repo(tmp_path / "repo", "lanes")
    ctx = resolve_action_context(cwd=places["primary"], action="implement", mission=DIR, wp="WP01")
    assert ctx.lane == "lane-a"
    assert ctx.workspace.execution_workspace == places["lane worktree"]


def test_legacy_number_and_unprefixed_slug_handles(tmp_path: Path) -> None:
    places = make_repo(tmp_path / "repo", "single_branch")
    for handle in ("2", "002", "lightweight-release", LEGACY_DIR, LEGACY_ID):
        ctx = resolve_action_context(cwd=places["primary subdir"], action="status", mission=handle)
        assert ctx.identity.mission_id == LEGACY_ID


def code_of(**kwargs: Any) -> str:
    with pytest.raises(ContextError) as caught:
        resolve_action_context(**kwargs)
    assert caught.value.next_step
    return caught.value.code


def test_errors_have_stable_codes_and_never_guess(tmp_path: Path) -> None:
    places = make_repo(tmp_path / "repo", "coord")
    primary = places["primary"]
    assert code_of(cwd=primary, action="status", mission="nope") == "MISSION_NOT_FOUND"
    for bad in ("..", "a/b", ".hidden", "../x", ""):
        assert code_of(cwd=primary, action="status", mission=bad) == "INVALID_MISSION_HANDLE"
    assert code_of(cwd=primary, action="fly", mission=DIR) == "INVALID_ACTION"
    assert code_of(cwd=tmp_path, action="status", mission=DIR) == "NOT_A_REPOSITORY"
    assert (
        code_of(cwd=primary, action="implement", mission=DIR, wp="WP09")
        == "WORK_PACKAGE_UNRESOLVED"
    )
    git(primary, "worktree", "remove", "--force", str(places["coord worktree"]))
    git(primary, "branch", "-D", f"kitty/mission-{DIR}")
    assert code_of(cwd=primary, action="status", mission=DIR) == "COORDINATION_BRANCH_DELETED"


def test_ambiguous_mid8_lists_the_candidates(tmp_path: Path) -> None:
    places = make_repo(tmp_path / "repo", "single_branch")
    twin = places["primary"] / "kitty-specs" / "twin-01KTPKST"
    write_json(
        twin / "meta.json",
        {
            "mission_id": "01KTPKSTAAAAAAAAAAAAAAAAAA",
            "mission_slug": twin.name,
            "target_branch": "m",
        },
    )
    with pytest.raises(ContextError) as caught:
        resolve_action_context(cwd=places["primary"], action="status", mission="01KTPKST")
    assert caught.value.code == "MISSION_AMBIGUOUS_SELECTOR"
    assert DIR in caught.value.message and twin.name in caught.value.message


@pytest.mark.parametrize("content", [None, "{not json", "[]", '{"mission_id": "short"}'])
def test_missing_or_corrupt_meta_names_the_file(tmp_path: Path, content: str | None) -> None:
    places = make_repo(tmp_path / "repo", "single_branch")
    meta = places["primary"] / "kitty-specs" / DIR / "meta.json"
    (meta.parent / "status.events.jsonl").write_text("")  # still a mission directory
    if content is None:
        meta.unlink()
        mission = MISSION_ID  # only the id can still name it: then nothing matches
        assert code_of(cwd=places["primary"], action="status", mission=mission) in {
            "MISSION_NOT_FOUND"
        }
    else:
        meta.write_text(content)
    with pytest.raises(ContextError) as caught:
        resolve_action_context(cwd=places["primary"], action="status", mission=DIR)
    assert caught.value.code == "MISSION_META_INVALID"
    assert str(meta) in caught.value.message


def test_meta_is_read_from_the_primary_checkout_only(tmp_path: Path) -> None:
    places = make_repo(tmp_path / "repo", "lanes")
    stray = places["lane worktree"] / "kitty-specs" / DIR / "meta.json"
    data = json.loads(stray.read_text())
    stray.write_text(json.dumps({**data, "target_branch": "elsewhere"}))
    ctx = resolve_action_context(cwd=places["lane subdir"], action="status", mission=DIR)
    assert ctx.branch_ref.target_branch == "main"
    assert ctx.meta.path == places["primary"] / "kitty-specs" / DIR / "meta.json"


def test_a_lane_whose_wp_ids_is_not_a_list_never_matches_by_substring(tmp_path: Path) -> None:
    places = make_repo(tmp_path / "repo", "lanes")
    lanes = places["primary"] / "kitty-specs" / DIR / "lanes.json"
    write_json(lanes, {"version": 1, "lanes": [{"lane_id": "lane-a", "wp_ids": "WP01WP02"}]})
    ctx = resolve_action_context(cwd=places["primary"], action="implement", mission=DIR, wp="WP01")
    assert ctx.lane is None  # WP01 still exists (tasks/WP01-core.md), but in no lane
    assert ctx.workspace.execution_workspace == places["primary"]
