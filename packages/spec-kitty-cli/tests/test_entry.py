"""The console script's typer-free ``status`` path: same bytes as the typer path, less start-up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from kitty_testing import ENV, TASKS_MD, ok_json

from spec_kitty_cli._entry import fast_status


@pytest.mark.parametrize(
    ("args", "parsed"),
    [
        (["status"], (None, False)),
        (["status", "--json"], (None, True)),
        (["status", "--mission", "01KTPKST", "--json"], ("01KTPKST", True)),
        (["status", "--json", "-m", "checkout"], ("checkout", True)),
        (["status", "--mission=abc"], ("abc", False)),
        (["status", "-m", "a", "-m", "b"], ("b", False)),  # the last one wins, as in typer
    ],
)
def test_plain_status_lines_take_the_fast_path(
    args: list[str], parsed: tuple[str | None, bool]
) -> None:
    assert fast_status(args) == parsed


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
        ["context", "--mission", "x", "--json"],
        ["move-task", "status"],
    ],
)
def test_everything_else_goes_to_typer(args: list[str]) -> None:
    assert fast_status(args) is None


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
        assert fast.stderr.endswith("LOADED \n"), "the fast path imported typer, rich or yaml"
