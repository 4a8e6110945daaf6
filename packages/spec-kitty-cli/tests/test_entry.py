"""The console script's typer-free ``status`` and ``next`` path: the typer path's bytes, faster."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from kitty_testing import ENV, TASKS_MD, ok_json

from spec_kitty_cli._fastcli import parse


@pytest.mark.parametrize(
    ("args", "parsed"),
    [
        (["status"], ("status", {"mission": None}, False)),
        (["status", "--json"], ("status", {"mission": None}, True)),
        (["status", "--mission", "01KTPKST", "--json"], ("status", {"mission": "01KTPKST"}, True)),
        (["status", "--json", "-m", "checkout"], ("status", {"mission": "checkout"}, True)),
        (["status", "--mission=abc"], ("status", {"mission": "abc"}, False)),
        (["status", "-m", "a", "-m", "b"], ("status", {"mission": "b"}, False)),  # typer's
        (
            ["next", "--agent", "bot", "--json"],
            ("next", {"mission": None, "agent": "bot", "result": None}, True),
        ),
        (
            ["next", "-m", "x", "--agent=bot"],
            ("next", {"mission": "x", "agent": "bot", "result": None}, False),
        ),
        (
            ["move-task", "WP01", "--to", "doing", "--force", "--reason", "r"],
            (
                "move-task",
                {"wp": "WP01", "to": "doing", "mission": None, "actor": "user", "note": None,
                 "reviewer": None, "approval_ref": None, "review_ref": None, "force": True,
                 "reason": "r"},
                False,
            ),
        ),
        (
            ["record-analysis", "--input-file", "-", "-m", "x"],
            ("record-analysis", {"input_file": "-", "mission": "x"}, False),
        ),
    ],
)
def test_well_formed_lines_take_the_fast_path(
    args: list[str], parsed: tuple[str, dict[str, str], bool]
) -> None:
    assert parse(args) == parsed


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--help"],
        ["status", "--help"],
        ["status", "-m"],
        ["status", "--mission", "--json"],
        ["status", "--bogus"],
        ["status", "extra"],
        ["context", "--mission", "x", "--bogus"],
        ["move-task", "WP01"],  # --to is required
        ["move-task", "WP01", "--to", "x", "--", "y"],
        ["move-task", "WP01", "--to", "x", "--force=yes"],
        ["status", "--agent", "bot"],  # status takes no --agent
        ["next", "--agent"],
        ["next", "--help"],
        ["next", "-a", "bot"],
        ["status", "-mX"],  # an attached short option: typer's to parse
        ["init"],
        ["dashboard", "--json"],
    ],
)
def test_everything_else_goes_to_typer(args: list[str]) -> None:
    assert parse(args) is None


def test_the_environment_stands_in_for_an_absent_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPEC_KITTY_ACTOR", "claude")
    assert parse(["implement", "WP01"]) == (
        "implement", {"wp": "WP01", "mission": None, "agent": "claude"}, False
    )
    assert parse(["implement", "WP01", "--agent", "me"])[1]["agent"] == "me"  # type: ignore[index]
    monkeypatch.setenv("SPEC_KITTY_ACTOR", "")  # empty: unset, as click has it
    assert parse(["accept"])[1]["actor"] == "user"  # type: ignore[index]


_BOTH_WAYS = """
import sys
from spec_kitty_cli._entry import main as fast
from spec_kitty_cli.app import main as full
entry = fast if sys.argv[1] == "fast" else full
try:
    entry(sys.argv[2:])
finally:
    loaded = sorted({m.split(".")[0] for m in sys.modules} & {"typer", "rich", "yaml"})
    sys.stderr.write("LOADED " + ",".join(loaded) + "\\n")
"""

_FAST_ONLY = _BOTH_WAYS.replace("from spec_kitty_cli.app import main as full\n", "").replace(
    'fast if sys.argv[1] == "fast" else full', "fast"
)


def _run(cwd: Path, way: str, *args: str) -> subprocess.CompletedProcess[str]:
    script = _FAST_ONLY if way == "fast" else _BOTH_WAYS
    return subprocess.run(
        [sys.executable, "-c", script, way, *args],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["status", "--mission", "MID8", "--json"],
        ["status", "--json"],
        ["status", "--mission", "nope", "--json"],
        ["status", "--mission", "nope"],
        ["status", "-m", "MID8"],
        ["next", "--mission", "MID8", "--agent", "bot", "--json"],
        ["next", "--json"],
        ["next", "-m", "MID8"],
        ["next", "--mission", "nope", "--json"],
    ],
)
def test_the_fast_path_prints_what_typer_prints(repo: Path, args: list[str]) -> None:
    ok_json(repo, "init")
    made = ok_json(repo, "specify", "Fast", "--topology", "lanes")
    (Path(made["feature_dir"]) / "tasks.md").write_text(TASKS_MD)
    ok_json(repo, "finalize-tasks", "--mission", made["mid8"])
    args = [made["mid8"] if arg == "MID8" else arg for arg in args]
    fast, full = _run(repo, "fast", *args), _run(repo, "full", *args)
    assert (fast.returncode, fast.stdout) == (full.returncode, full.stdout)
    assert fast.stderr.split("LOADED ")[0] == full.stderr.split("LOADED ")[0]
    if "--json" in args:
        json.loads(fast.stdout)  # exactly one document
        loaded = fast.stderr.split("LOADED ")[1].strip().split(",")
        assert not {"typer", "rich"} & set(loaded), "the fast path imported typer or rich"
        if args[0] == "status":
            assert loaded == [""], "status --json imported yaml"
