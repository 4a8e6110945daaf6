"""Every real spec-kitty mission of the compat corpus resolves, by every handle it has."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from context_support import compat_missions_dir
from kitty_testing import git

from mission_context import (
    ContextError,
    CoordinationWorkspace,
    MissionMeta,
    resolve_action_context,
)
from mission_context._meta import read_mission_id

CORPUS = compat_missions_dir()
pytestmark = pytest.mark.skipif(CORPUS is None, reason="compat corpus (../shared/compat) absent")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding the whole corpus under kitty-specs/, committed.

    Coord missions get the coordination branch their meta.json records (at the
    same commit), so their status surface is a real coordination worktree.
    """
    assert CORPUS is not None
    root = tmp_path_factory.mktemp("compat") / "repo"
    shutil.copytree(CORPUS, root / "kitty-specs")
    git(root.parent, "init", "-q", "-b", "main", str(root))
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.com")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the compat corpus")
    for meta_path in sorted((root / "kitty-specs").glob("*/meta.json")):
        meta = MissionMeta.read(meta_path)
        if meta.coordination_branch and meta.topology(meta_path.parent).uses_coordination:
            git(root, "branch", meta.coordination_branch)
    return root


def test_the_fast_id_reader_agrees_with_the_full_parser() -> None:
    assert CORPUS is not None
    metas = sorted(CORPUS.glob("*/meta.json"))
    assert len(metas) >= 100
    for meta in metas:
        try:
            expected: str | None = MissionMeta.read(meta).mission_id
        except ContextError:
            expected = None
        assert read_mission_id(meta) == expected, meta


def test_every_mission_resolves_and_its_board_matches_3_2_7(repo: Path) -> None:
    names = sorted(p.name for p in (repo / "kitty-specs").iterdir())
    mid8s = Counter(MissionMeta.read(repo / "kitty-specs" / n / "meta.json").mid8 for n in names)
    checked = coord = 0
    for name in names:
        meta = MissionMeta.read(repo / "kitty-specs" / name / "meta.json")
        handles = [name, meta.mission_id] + ([meta.mid8] if mid8s[meta.mid8] == 1 else [])
        for handle in handles:
            ctx = resolve_action_context(cwd=repo, action="status", mission=handle)
            assert ctx.mission_dir_name == name, handle
        if ctx.branch_ref.coordination_branch:
            workspace = CoordinationWorkspace.resolve(ctx)
            assert ctx.status_surface.read_dir == workspace.mission_dir
            coord += 1
        expected = json.loads((repo / "kitty-specs" / name / "expected-status.json").read_text())
        board = ctx.status().snapshot()
        lanes = {wp: state.lane.value for wp, state in board.work_packages.items()}
        assert lanes == {wp: s["lane"] for wp, s in expected["work_packages"].items()}, name
        checked += 1
    assert checked == len(names)
    assert coord >= 5


def test_a_shared_mid8_is_ambiguous_and_lists_both(repo: Path) -> None:
    names = sorted(p.name for p in (repo / "kitty-specs").iterdir())
    by_mid8: dict[str, list[str]] = {}
    for name in names:
        by_mid8.setdefault(
            MissionMeta.read(repo / "kitty-specs" / name / "meta.json").mid8, []
        ).append(name)
    shared = {mid8: group for mid8, group in by_mid8.items() if len(group) > 1}
    if not shared:
        pytest.skip("no two corpus missions share a mid8")
    mid8, group = next(iter(shared.items()))
    with pytest.raises(ContextError) as caught:
        resolve_action_context(cwd=repo, action="status", mission=mid8)
    assert caught.value.code == "MISSION_AMBIGUOUS_SELECTOR"
    assert all(name in caught.value.message for name in group)
