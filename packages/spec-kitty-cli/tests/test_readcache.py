"""The read cache replays exactly what the full path prints, and only while that still holds.

Each line is run three ways: with the cache off (the full path), once to record, once to
replay; all three must print the same bytes, from the primary checkout, a lane worktree, its
subdirectory and the coordination worktree, for every handle form. Then one input changes
(the log by a move, a WP title, a new mission, a file a probe found missing) and the next
answer must be recomputed and equal the full path's again. ``SPEC_KITTY_READ_CACHE_TRACE``
says what the cache did; tests sleep past its 50 ms racy window before they expect a store.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kitty_testing import ENV, TASKS_MD, commit_work, git, ok_json, tree_digest

RACY = 0.06  # just over the cache's racy window


def sk(
    cwd: Path, home: Path, *args: str, cache: bool = True, columns: int = 200
) -> subprocess.CompletedProcess[str]:
    env = {**ENV, "SPEC_KITTY_HOME": str(home), "SPEC_KITTY_READ_CACHE_TRACE": "1"}
    env["COLUMNS"] = str(columns)
    if not cache:
        env["SPEC_KITTY_READ_CACHE"] = "0"
    return subprocess.run(
        [sys.executable, "-m", "spec_kitty_cli", *args],
        cwd=cwd, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


def traced(done: subprocess.CompletedProcess[str]) -> str:
    """What the cache did: ``hit``, ``stored``, ``not stored: ...`` or ``off``."""
    lines = [line for line in done.stderr.splitlines() if line.startswith("read-cache: ")]
    verdicts = [line.removeprefix("read-cache: ") for line in lines if "miss" not in line]
    return verdicts[-1] if verdicts else "off"


def three_ways(cwd: Path, home: Path, *args: str, columns: int = 200) -> str:
    """The line's output, checked equal by the full path, a recording run and a replay."""
    full = sk(cwd, home, *args, cache=False, columns=columns)
    assert full.returncode == 0, full.stderr
    time.sleep(RACY)
    recorded = sk(cwd, home, *args, columns=columns)
    assert traced(recorded).startswith("stored"), recorded.stderr
    replayed = sk(cwd, home, *args, columns=columns)
    assert traced(replayed).startswith("hit"), replayed.stderr
    assert recorded.stdout == replayed.stdout == full.stdout
    return full.stdout


@pytest.fixture
def mission(repo: Path, tmp_path: Path) -> dict[str, Path | str]:
    """A lanes_with_coord mission with WP01 under way in its lane worktree."""
    ok_json(repo, "init")
    made = ok_json(repo, "specify", "Cached", "--topology", "lanes_with_coord")
    folder = Path(made["feature_dir"])
    (folder / "tasks.md").write_text(TASKS_MD)
    ok_json(repo, "finalize-tasks", "--mission", made["mid8"])
    started = ok_json(repo, "implement", "WP01", "--mission", made["mid8"], "--agent", "a")
    lane = Path(started["workspace_path"])
    commit_work(lane, "src/core.py", "core\n")
    (lane / "src" / "deep").mkdir(parents=True)
    coordination = next(
        Path(line.split(maxsplit=1)[1])
        for line in git(repo, "worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ") and "coord" in line
    )
    return {
        "root": repo, "home": tmp_path / "sk-home", "folder": folder, "lane": lane,
        "coordination": coordination, "mid8": made["mid8"], "id": made["mission_id"],
        "dir": folder.name,
    }  # fmt: skip


@pytest.mark.parametrize("where", ["root", "lane", "lane/src/deep", "coordination"])
@pytest.mark.parametrize("handle", ["mid8", "dir", "id", None])
@pytest.mark.parametrize("command", ["status", "next"])
def test_the_replay_is_the_full_path_from_everywhere(
    mission: dict[str, Path | str], where: str, handle: str | None, command: str
) -> None:
    base, _, sub = where.partition("/")
    cwd = Path(mission[base]) / sub
    words = [command, *(["--mission", str(mission[handle])] if handle else []), "--json"]
    document = json.loads(three_ways(cwd, Path(mission["home"]), *words))
    assert document  # one JSON document, the same three times


def test_a_changed_input_is_recomputed(mission: dict[str, Path | str]) -> None:
    root, home, mid8 = Path(mission["root"]), Path(mission["home"]), str(mission["mid8"])
    status = ("status", "--mission", mid8, "--json")
    before = json.loads(three_ways(root, home, *status))
    lane = Path(mission["lane"])
    ok_json(lane, "move-task", "WP01", "--to", "for_review", "--mission", mid8, "--actor", "a")
    after = sk(root, home, *status)
    assert not traced(after).startswith("hit"), after.stderr
    assert after.stdout == sk(root, home, *status, cache=False).stdout
    assert json.loads(after.stdout)["work_packages"]["WP01"]["lane"] == "for_review"
    assert before["work_packages"]["WP01"]["lane"] == "in_progress"
    time.sleep(RACY)
    sk(root, home, *status)  # stored, now that the move is older than the racy window
    replayed = sk(root, home, *status)
    assert traced(replayed).startswith("hit") and replayed.stdout == after.stdout

    wp_file = next((Path(mission["folder"]) / "tasks").glob("WP02-*.md"))
    wp_file.write_text(wp_file.read_text().replace("title: Board view", "title: Board, faster"))
    retitled = sk(root, home, *status)
    assert not traced(retitled).startswith("hit")
    assert json.loads(retitled.stdout)["work_packages"]["WP02"]["title"] == "Board, faster"


def test_a_new_mission_and_a_new_file_are_seen(mission: dict[str, Path | str]) -> None:
    root, home = Path(mission["root"]), Path(mission["home"])
    overview = json.loads(three_ways(root, home, "status", "--json"))
    ok_json(root, "specify", "Second")
    again = sk(root, home, "status", "--json")
    assert not traced(again).startswith("hit")
    assert len(json.loads(again.stdout)["missions"]) == len(overview["missions"]) + 1
    # next, then a merge state file appears where next looked for one and found none
    nxt = ("next", "--mission", str(mission["mid8"]), "--json")
    three_ways(root, home, *nxt)
    git(root, "checkout", "-q", "-b", "elsewhere")  # HEAD, read by every answer, changes
    moved = sk(root, home, *nxt)
    assert not traced(moved).startswith("hit")
    assert moved.stdout == sk(root, home, *nxt, cache=False).stdout


def test_help_is_replayed_as_typer_prints_it(repo: Path, tmp_path: Path) -> None:
    """On a terminal under 80 columns (wider ones get the generated text, test_helptext)."""
    for words in (["--help"], ["move-task", "--help"], ["agent", "--help"]):
        three_ways(repo, tmp_path / "home", *words, columns=64)


def test_what_is_never_stored(mission: dict[str, Path | str], tmp_path: Path) -> None:
    root, home = Path(mission["root"]), Path(mission["home"])
    failed = sk(root, home, "status", "--mission", "nope", "--json")
    assert failed.returncode == 3
    assert traced(failed) == "not stored: exit 3"
    off = tmp_path / "off-home"
    sk(root, off, "status", "--json", cache=False)
    sk(root, off, "status", "--json", cache=False)
    assert not (off / "cache").exists()


def test_entries_are_private_and_never_in_the_repository(mission: dict[str, Path | str]) -> None:
    root, home = Path(mission["root"]), Path(mission["home"])
    before = tree_digest(root)
    three_ways(root, home, "status", "--json")
    assert tree_digest(root) == before
    folder = home / "cache" / "read"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    entries = list(folder.iterdir())
    assert entries and all(stat.S_IMODE(entry.stat().st_mode) == 0o600 for entry in entries)
    for entry in entries:  # a damaged entry is a miss, then recorded again
        entry.write_bytes(b"\x00garbage")
    damaged = sk(root, home, "status", "--json")
    assert damaged.returncode == 0 and "Traceback" not in damaged.stderr
    assert traced(damaged).startswith("stored")
    assert os.listdir(folder)
