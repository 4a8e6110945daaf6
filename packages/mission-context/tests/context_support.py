"""Helpers for the mission-context tests: real git repositories with missions in them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from kitty_testing import git

MISSION_ID = "01KTPKSTQ3N6Y2W8R4V7B9C0DE"
DIR = "context-unification-01KTPKST"
LEGACY_ID = "01JZZZZZQ3N6Y2W8R4V7B9C0DE"
LEGACY_DIR = "002-lightweight-release"
COORD_BRANCH = f"kitty/mission-{DIR}"


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def make_repo(
    root: Path, topology: str, *, relative: bool = False, coord_worktree: bool = True
) -> dict[str, Path]:
    """A repo with one mission of ``topology`` (+ a legacy one); returns named directories.

    With ``coord_worktree=False`` a coord mission gets its coordination branch
    but no worktree for it.
    """
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test")  # commit_to commits with the repo's identity
    git(root, "config", "user.email", "test@example.com")
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
        meta["coordination_branch"] = COORD_BRANCH
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
    if coord and not coord_worktree:
        git(root, "branch", COORD_BRANCH)
    elif coord:
        coord_wt = root / ".worktrees" / f"{DIR}-coord"
        git(root, "worktree", "add", "-q", "-b", COORD_BRANCH, str(coord_wt))
        places["coord worktree"] = coord_wt
        places["coord mission dir"] = coord_wt / "kitty-specs" / DIR
    if relative:  # what `worktree.useRelativePaths` writes (git >= 2.48), done by hand
        for name in ("lane worktree", "coord worktree"):
            if name in places:
                dotgit = places[name] / ".git"
                admin = Path(dotgit.read_text().split(":", 1)[1].strip())
                dotgit.write_text(f"gitdir: {os.path.relpath(admin, places[name])}\n")
                (admin / "gitdir").write_text(f"{os.path.relpath(dotgit, admin)}\n")
    return places


def compat_missions_dir() -> Path | None:
    """The real spec-kitty missions of the shared compat corpus, if present."""
    configured = os.environ.get("SPEC_KITTY_COMPAT_DIR")
    root = (
        Path(configured)
        if configured
        else Path(__file__).resolve().parents[3].parent / "shared" / "compat"
    )
    missions = root / "spec-kitty-missions"
    if missions.is_dir():
        return missions
    if os.environ.get("SPEC_KITTY_REQUIRE_COMPAT"):
        raise RuntimeError("SPEC_KITTY_REQUIRE_COMPAT is set but the compat corpus is missing")
    return None


def race(script: str, root: Path, gate: Path, count: int) -> list[dict[str, Any]]:
    """Run ``count`` interpreters of ``script`` (argv: root, gate, mission dir) at once.

    Each waits until ``gate`` exists, so they all start their real work together;
    each prints one JSON object, returned in start order.
    """
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(root), str(gate), DIR],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    time.sleep(0.5)  # let every interpreter start and wait at the gate
    gate.touch()
    results = []
    for racer in racers:
        out, err = racer.communicate(timeout=120)
        assert racer.returncode == 0, err
        results.append(json.loads(out))
    return results
