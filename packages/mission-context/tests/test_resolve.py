"""resolve_action_context: identical fragments from every directory, for every handle form.

Real git repositories in temporary directories, one per topology, with lane
and coordination worktrees created by ``git worktree add``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, ClassVar

import pytest
from context_support import (
    COORD_BRANCH,
    DIR,
    LEGACY_DIR,
    LEGACY_ID,
    MISSION_ID,
    make_repo,
    write_json,
)
from kitty_testing import git

from mission_context import ContextError, Topology, resolve_action_context

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


@pytest.mark.parametrize("topology", TOPOLOGIES)
def test_legacy_number_and_unprefixed_slug_handles_from_every_directory(
    tmp_path: Path, topology: str
) -> None:
    places = make_repo(tmp_path / "repo", topology)
    seen = set()
    for place in places.values():
        for handle in ("2", "002", "lightweight-release", LEGACY_DIR, LEGACY_ID, LEGACY_ID[:8]):
            ctx = resolve_action_context(cwd=place, action="status", mission=handle)
            assert ctx.identity.mission_id == LEGACY_ID
            assert ctx.status_surface.read_dir == places["primary"] / "kitty-specs" / LEGACY_DIR
            seen.add(json.dumps(fragments(ctx), sort_keys=True))
    assert len(seen) == 1


def code_of(**kwargs: Any) -> str:
    with pytest.raises(ContextError) as caught:
        resolve_action_context(**kwargs)
    assert caught.value.next_step
    return caught.value.code


def test_errors_have_stable_codes_and_never_guess(tmp_path: Path) -> None:
    places = make_repo(tmp_path / "repo", "coord")
    primary = places["primary"]
    assert code_of(cwd=primary, action="status", mission="nope") == "MISSION_NOT_FOUND"
    for bad in ("..", "a/b", ".hidden", "../x", "-rf", "a b"):
        assert code_of(cwd=primary, action="status", mission=bad) == "INVALID_MISSION_HANDLE"
    for missing in ("", "  "):
        assert code_of(cwd=primary, action="status", mission=missing) == (
            "FEATURE_CONTEXT_UNRESOLVED"
        )
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


def test_a_lane_whose_wp_ids_is_not_a_list_is_reported_not_matched(tmp_path: Path) -> None:
    places = make_repo(tmp_path / "repo", "lanes")
    lanes = places["primary"] / "kitty-specs" / DIR / "lanes.json"
    write_json(lanes, {"version": 1, "lanes": [{"lane_id": "lane-a", "wp_ids": "WP01WP02"}]})
    with pytest.raises(ContextError) as caught:
        resolve_action_context(cwd=places["primary"], action="implement", mission=DIR, wp="WP01")
    assert caught.value.code == "LANES_INVALID"
    assert "lanes[0].wp_ids" in caught.value.message


@pytest.mark.parametrize("lane_id", ["../../escape", "", ".hidden", "a/b", 7])
def test_a_lane_id_that_is_not_a_safe_name_is_refused(tmp_path: Path, lane_id: object) -> None:
    places = make_repo(tmp_path / "repo", "lanes")
    lanes = places["primary"] / "kitty-specs" / DIR / "lanes.json"
    write_json(lanes, {"version": 1, "lanes": [{"lane_id": lane_id, "wp_ids": ["WP01"]}]})
    with pytest.raises(ContextError) as caught:
        resolve_action_context(cwd=places["primary"], action="implement", mission=DIR, wp="WP01")
    assert caught.value.code == "LANES_INVALID"
    assert not (places["primary"].parent / "escape").exists()


class _CountingPopen(subprocess.Popen):  # type: ignore[type-arg]
    spawned: ClassVar[list[list[str]]] = []

    def __init__(self, args: Any, *rest: Any, **kwargs: Any) -> None:
        _CountingPopen.spawned.append(list(args))
        super().__init__(args, *rest, **kwargs)


@pytest.mark.parametrize("topology", TOPOLOGIES)
@pytest.mark.parametrize("reftable", [False, True])
def test_a_mission_level_resolve_spawns_at_most_two_subprocesses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, topology: str, reftable: bool
) -> None:
    places = make_repo(tmp_path / "repo", topology)
    if reftable:  # the layout of a reftable repository: refs are not plain files there
        (places["primary"] / ".git" / "reftable").mkdir()
    monkeypatch.setattr(subprocess, "Popen", _CountingPopen)
    _CountingPopen.spawned = []
    for place in places.values():
        before = len(_CountingPopen.spawned)
        ctx = resolve_action_context(cwd=place, action="status", mission=MISSION_ID[:8])
        ctx.status().snapshot()
        spawned = _CountingPopen.spawned[before:]
        assert len(spawned) <= 2, spawned
        if not reftable:
            assert spawned == [], "everything here can be parsed from files"
        else:  # refs live in binary tables: git says which branch each worktree has out
            expected = [["worktree", "list"]]
            if ctx.branch_ref.coordination_branch:
                expected.insert(0, ["rev-parse", "--verify"])
            assert [args[3:5] for args in spawned] == expected


def test_reftable_fallback_still_notices_a_deleted_coordination_branch(tmp_path: Path) -> None:
    places = make_repo(tmp_path / "repo", "coord")
    root = places["primary"]
    (root / ".git" / "reftable").mkdir()
    git(root, "worktree", "remove", "--force", str(places["coord worktree"]))
    git(root, "branch", "-D", COORD_BRANCH)
    with pytest.raises(ContextError) as caught:
        resolve_action_context(cwd=root, action="status", mission=DIR)
    assert caught.value.code == "COORDINATION_BRANCH_DELETED"
