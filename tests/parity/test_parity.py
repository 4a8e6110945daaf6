"""Parity: one mission, one answer, from every directory of the repository.

The lifecycle runs through the real ``spec-kitty`` CLI. After every step the
suite observes the mission from every place a user or agent can stand (the
primary checkout, a subdirectory, each lane worktree and its subdirectories,
the coordination worktree) and asserts identical context fragments and an
identical board. The ratchets plant the divergences the old tool suffered (a
stray event log in a worktree, a worktree's own meta.json) and prove the
check catches a resolver that reads them, while ours stays whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kitty_testing import TASKS_MD, commit_work, git, make_repo, ok_json

from mission_context import resolve_action_context
from mission_status import MissionStatus

Observation = tuple[str, str]  # (context fragments, board) as canonical JSON
Observer = Callable[[Path, str, str | None], Observation]


def observe(place: Path, mission: str, wp: str | None) -> Observation:
    """What our resolver and status authority answer from ``place``."""
    action = "implement" if wp else "status"
    ctx = resolve_action_context(cwd=place, action=action, mission=mission, wp=wp)
    fragments = ctx.to_dict()
    fragments["workspace"].pop("current_cwd")  # the one field that names the caller
    return _canonical(fragments), _canonical(_board(ctx.status()))


def cwd_local_observer(place: Path, mission: str, wp: str | None) -> Observation:
    """The split-brain resolver we replaced: it trusts the checkout it stands in."""
    root = Path(git(place, "rev-parse", "--show-toplevel"))
    mission_dir = root / "kitty-specs" / mission
    meta = json.loads((mission_dir / "meta.json").read_text())
    fragments = {"target_branch": meta["target_branch"], "wp": wp}
    return _canonical(fragments), _canonical(_board(MissionStatus(mission_dir, write_view=False)))


def _board(status: MissionStatus) -> dict[str, Any]:
    snapshot = status.snapshot()
    return {
        "summary": dict(snapshot.summary),
        "lanes": {wp: state.lane.value for wp, state in snapshot.work_packages.items()},
        "last_event_id": snapshot.last_event_id,
    }


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def places(root: Path, mission: str) -> list[Path]:
    """Every directory an agent may run a command from, for this mission."""
    found = [root, root / "src"]
    worktrees = root / ".worktrees"
    for worktree in sorted(worktrees.glob(f"{mission}-*")) if worktrees.is_dir() else []:
        found += [worktree, worktree / "kitty-specs" / mission]
        if (worktree / "src").is_dir():
            found.append(worktree / "src")
    return [place for place in found if place.is_dir()]


def assert_parity(
    root: Path, mission: str, wp: str | None = None, observer: Observer = observe
) -> Observation:
    """The same observation from every place; the divergent places are named otherwise."""
    seen = {place: observer(place, mission, wp) for place in places(root, mission)}
    reference = seen[root]
    divergent = {str(place): obs for place, obs in seen.items() if obs != reference}
    assert not divergent, f"{mission} seen differently from {sorted(divergent)}: {divergent}"
    return reference


def lanes_of(observation: Observation) -> dict[str, str]:
    lanes: dict[str, str] = json.loads(observation[1])["lanes"]
    return lanes


def _start(tmp_path: Path, topology: str) -> tuple[Path, str, str]:
    root = make_repo(tmp_path / "repo")
    (root / "src" / "pkg").mkdir()
    ok_json(root, "init")
    made = ok_json(root, "specify", "Parity", "--topology", topology)
    mid8, mission_dir = str(made["mid8"]), Path(str(made["feature_dir"]))
    ok_json(root, "tasks", "--mission", mid8)
    (mission_dir / "tasks.md").write_text(TASKS_MD)
    ok_json(root, "finalize-tasks", "--mission", mid8)
    return root, mid8, mission_dir.name


def _approve(cwd: Path, mid8: str, wp: str) -> None:
    ok_json(cwd, "move-task", wp, "--to", "for_review", "--mission", mid8)
    ok_json(cwd, "review", wp, "--mission", mid8, "--approve", "--reference", f"PR-{wp}")


@pytest.mark.parametrize("topology", ["lanes", "lanes_with_coord"])
def test_every_step_looks_the_same_from_everywhere(tmp_path: Path, topology: str) -> None:
    """A flattened fixture (lanes) and a coord fixture (lanes_with_coord)."""
    root, mid8, mission = _start(tmp_path, topology)
    assert set(lanes_of(assert_parity(root, mission)).values()) == {"planned"}
    for wp in ("WP01", "WP02", "WP03"):
        assert_parity(root, mission, wp)
    steps: list[tuple[str, str, str]] = []
    for wp, path in (("WP01", "src/core.py"), ("WP02", "src/board.py"), ("WP03", "docs/a.md")):
        space = Path(
            ok_json(root, "implement", wp, "--mission", mid8, "--agent", "a")["workspace_path"]
        )
        assert lanes_of(assert_parity(root, mission, wp))[wp] == "in_progress"
        commit_work(space, path, f"{wp}\n")
        _approve(space, mid8, wp)  # moved and reviewed from inside the WP's worktree
        steps.append((wp, "approved", lanes_of(assert_parity(root, mission, wp))[wp]))
    assert steps == [(wp, "approved", "approved") for wp in ("WP01", "WP02", "WP03")]
    ok_json(root, "merge", "--mission", mid8)
    final = assert_parity(root, mission)
    assert set(lanes_of(final).values()) == {"done"}
    assert git(root, "status", "--porcelain") == ""


@pytest.fixture
def in_progress(tmp_path: Path) -> tuple[Path, str, Path]:
    """A lanes mission with WP01 in progress in its lane worktree."""
    root, mid8, mission = _start(tmp_path, "lanes")
    space = Path(
        ok_json(root, "implement", "WP01", "--mission", mid8, "--agent", "a")["workspace_path"]
    )
    return root, mission, space


def test_ratchet_the_old_resolver_fails_on_an_ordinary_lifecycle(
    in_progress: tuple[Path, str, Path],
) -> None:
    """The lane branch's copy of the log froze when the lane was made: a cwd-local read is stale."""
    root, mission, _ = in_progress
    with pytest.raises(AssertionError, match="seen differently"):
        assert_parity(root, mission, observer=cwd_local_observer)


def test_ratchet_a_stray_log_in_a_worktree_is_caught(in_progress: tuple[Path, str, Path]) -> None:
    root, mission, lane = in_progress
    stray = lane / "kitty-specs" / mission / "status.events.jsonl"
    stray.write_bytes((root / "kitty-specs" / mission / "status.events.jsonl").read_bytes())
    assert_parity(root, mission, observer=cwd_local_observer)  # in step before the plant
    row = {
        "actor": "ghost", "at": "2099-01-01T00:00:00+00:00", "event_id": "7" * 26,
        "evidence": None, "execution_mode": "worktree", "force": True,
        "from_lane": "in_progress", "mission_slug": mission, "policy_metadata": None,
        "reason": "stray", "review_ref": None, "to_lane": "done", "wp_id": "WP01",
    }  # fmt: skip
    with stray.open("a") as handle:
        handle.write(json.dumps(row, sort_keys=True) + "\n")
    with pytest.raises(AssertionError, match="seen differently"):
        assert_parity(root, mission, observer=cwd_local_observer)
    assert lanes_of(assert_parity(root, mission))["WP01"] == "in_progress"  # ours ignores it


def test_ratchet_a_worktree_meta_json_is_caught(in_progress: tuple[Path, str, Path]) -> None:
    root, mission, lane = in_progress
    meta_path = lane / "kitty-specs" / mission / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["target_branch"] = "elsewhere"
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    with pytest.raises(AssertionError, match="seen differently"):
        assert_parity(root, mission, observer=cwd_local_observer)
    fragments = json.loads(assert_parity(root, mission)[0])
    assert fragments["branch_ref"]["target_branch"] == "main"


def test_ratchet_a_missing_place_would_be_noticed(in_progress: tuple[Path, str, Path]) -> None:
    """The place list really includes the lane worktree (a check of the checker)."""
    root, mission, lane = in_progress
    assert lane in places(root, mission)
    assert lane / "kitty-specs" / mission in places(root, mission)
