"""``status --json`` and ``context --json`` on a repository of real spec-kitty missions.

The compat corpus (``/work/shared/compat``, see its README) holds real missions with what
spec-kitty 3.2.7 computed for each (``expected-status.json``). Every mission is run through
the typer app in-process (fast); a handful also as real processes, which must print the
same bytes. Without the corpus the tests skip, unless ``SPEC_KITTY_REQUIRE_COMPAT=1``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from kitty_testing import ENV, cli, git, tree_digest
from typer.testing import CliRunner

from spec_kitty_cli.app import app

FRAGMENTS = (
    "identity",
    "branch_ref",
    "workspace",
    "status_surface",
    "artifact_placement",
    "prompt_source",
)
#: The compat corpus: ``$SPEC_KITTY_COMPAT_DIR`` or ``shared/compat`` beside the monorepo.
COMPAT_ROOT = Path(
    os.environ.get("SPEC_KITTY_COMPAT_DIR")
    or Path(__file__).resolve().parents[4] / "shared" / "compat"
)
CORPUS = (
    COMPAT_ROOT / "spec-kitty-missions" if (COMPAT_ROOT / "spec-kitty-missions").is_dir() else None
)
#: What cli() runs the process with: git identity, no global git config, no actor override.
RUN_ENV: dict[str, str | None] = {**ENV, "SPEC_KITTY_ACTOR": None}


def _meta(repo: Path, name: str) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads((repo / "kitty-specs" / name / "meta.json").read_text())
    return meta


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole corpus under kitty-specs/ of a git repo on main, committed.

    A mission whose meta.json names a coordination branch gets that branch (at the
    corpus commit, so it holds the mission's status files), checked out in its
    coordination worktree ``.worktrees/<dir>-coord``, where its status is read.
    """
    if CORPUS is None:
        if os.environ.get("SPEC_KITTY_REQUIRE_COMPAT", "") not in ("", "0"):
            pytest.fail(f"SPEC_KITTY_REQUIRE_COMPAT is set but {COMPAT_ROOT} has no corpus")
        pytest.skip(f"compat corpus absent ({COMPAT_ROOT}/spec-kitty-missions)")
    root = tmp_path_factory.mktemp("compat-cli") / "repo"
    shutil.copytree(CORPUS, root / "kitty-specs")
    (root / ".gitignore").write_text(".worktrees/\n")
    git(root.parent, "init", "-q", "-b", "main", str(root))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the compat corpus")
    for name in missions(root):
        branch = _meta(root, name).get("coordination_branch")
        if branch:
            git(root, "worktree", "add", "-q", "-b", branch, str(coord_worktree(root, name)))
    return root


def missions(repo: Path) -> list[str]:
    return sorted(p.name for p in (repo / "kitty-specs").iterdir() if p.is_dir())


def coord_worktree(repo: Path, name: str) -> Path:
    return repo / ".worktrees" / f"{name}-coord"


def coord_missions(repo: Path) -> list[str]:
    return [n for n in missions(repo) if _meta(repo, n).get("coordination_branch")]


def in_process(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    """Run ``spec-kitty ARGS`` through the typer app from ``repo``; assert exit 0."""
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(app, list(args), env=RUN_ENV)
    assert result.exit_code == 0, f"{args}: {result.exception!r} {result.stdout}{result.stderr}"
    return result.stdout


def as_json(stdout: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(stdout)  # exactly one document, or this raises
    return document


def test_every_mission_board_matches_3_2_7(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = missions(repo)
    assert CORPUS is not None
    assert len(names) == len([p for p in CORPUS.iterdir() if p.is_dir()]) >= 100
    before = tree_digest(repo)
    mismatches = []
    for name in names:
        board = as_json(in_process(repo, monkeypatch, "status", "--mission", name, "--json"))
        expected = json.loads((repo / "kitty-specs" / name / "expected-status.json").read_text())
        assert board["mission_id"] == _meta(repo, name)["mission_id"], name
        lanes = {wp: state["lane"] for wp, state in board["work_packages"].items()}
        want = {wp: state["lane"] for wp, state in expected["work_packages"].items()}
        if (lanes, board["summary"]) != (want, expected["summary"]):
            mismatches.append((name, lanes, want, board["summary"], expected["summary"]))
    assert mismatches == []
    assert tree_digest(repo) == before, "status wrote a file"


def test_every_mission_context_has_its_fragments(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = missions(repo)
    coords = set(coord_missions(repo))
    assert len(coords) >= 5  # 7 in the corpus of 2026-08-22
    before = tree_digest(repo)
    for name in names:
        ctx = as_json(in_process(repo, monkeypatch, "context", "--mission", name, "--json"))
        assert all(isinstance(ctx.get(fragment), dict) for fragment in FRAGMENTS), name
        assert ctx["mission"] == name
        assert ctx["identity"]["mission_id"] == _meta(repo, name)["mission_id"], name
        read_dir = Path(ctx["status_surface"]["read_dir"]).resolve()
        if name in coords:
            assert (
                ctx["branch_ref"]["coordination_branch"] == _meta(repo, name)["coordination_branch"]
            )
            assert read_dir.is_relative_to(coord_worktree(repo, name).resolve()), name
            assert read_dir == (coord_worktree(repo, name) / "kitty-specs" / name).resolve()
        else:
            assert read_dir == (repo / "kitty-specs" / name).resolve(), name
    assert tree_digest(repo) == before, "context wrote a file"


def test_status_lists_every_mission_without_error(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tree_digest(repo)
    rows = as_json(in_process(repo, monkeypatch, "status", "--json"))["missions"]
    assert [row["mission"] for row in rows] == missions(repo)
    assert [row for row in rows if "error" in row] == []
    assert {row["mission_id"] for row in rows} == {
        _meta(repo, name)["mission_id"] for name in missions(repo)
    }
    assert tree_digest(repo) == before, "status wrote a file"


def test_a_shared_mid8_is_ambiguous_but_every_directory_name_resolves(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_mid8: dict[str, list[str]] = {}
    for name in missions(repo):
        by_mid8.setdefault(_meta(repo, name)["mission_id"][:8], []).append(name)
    mid8, group = max(by_mid8.items(), key=lambda item: len(item[1]))
    assert len(group) > 1  # 15 missions of the corpus share 01KN2371
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(app, ["status", "--mission", mid8, "--json"], env=RUN_ENV)
    assert result.exit_code == 3
    error = as_json(result.stdout)["error"]
    assert error["code"] == "MISSION_AMBIGUOUS_SELECTOR"
    assert [name for name in group if name not in error["message"]] == []
    for name in group:  # each of them resolves by its directory name (as every test does)
        board = as_json(in_process(repo, monkeypatch, "status", "--mission", name, "--json"))
        assert board["mission_id"] == _meta(repo, name)["mission_id"]


def test_the_console_script_prints_what_the_app_prints(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = missions(repo)
    mid8s = Counter(_meta(repo, name)["mission_id"][:8] for name in names)
    kinds = (
        lambda n: re.match(r"\d{3}-", n) is not None,  # a legacy NNN- directory
        lambda n: n in coord_missions(repo),
        lambda n: (repo / "kitty-specs" / n / "lanes.json").is_file(),
        lambda n: mid8s[_meta(repo, n)["mission_id"][:8]] > 1,  # ambiguous by mid8
        lambda n: True,
    )
    sample: list[str] = []
    for kind in kinds:
        sample.append(next(n for n in reversed(names) if kind(n) and n not in sample))
    assert len(sample) == 5
    before = tree_digest(repo)
    for name in sample:
        for command in ("status", "context"):
            args = (command, "--mission", name, "--json")
            done = cli(repo, *args)
            assert done.returncode == 0, f"{args}: {done.stdout}{done.stderr}"
            assert done.stdout == in_process(repo, monkeypatch, *args), args
            assert as_json(done.stdout)["mission_slug" if command == "status" else "mission"]
    assert tree_digest(repo) == before, "a command wrote a file"
