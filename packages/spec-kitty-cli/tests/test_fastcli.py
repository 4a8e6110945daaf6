"""The typer-free command lines: declared as typer declares them, and printing what it prints.

``_fastcli.COMMANDS`` restates each command's parameters; the first test holds it to the
typer application's own (names, option strings, defaults, environment variables, required,
paths), so a parameter added in one place only fails here. The second runs write commands
twice, in twin repositories, once through the fast path and once through typer, and
compares exit codes and output with the run's own ids, shas, times and paths masked.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest
import typer
from kitty_testing import ENV, TASKS_MD, commit_work, make_repo, ok_json

from spec_kitty_cli._fastcli import ARG, COMMANDS, FLAG, OPTION, PATH
from spec_kitty_cli.app import app

GROUP = typer.main.get_command(app)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_table_is_the_typer_applications(name: str) -> None:
    module, function, params, from_json, dropped = COMMANDS[name]
    command = GROUP.commands[name]  # type: ignore[attr-defined]
    declared = []
    for p in command.params:
        if p.name == "as_json":
            assert p.opts == ["--json"]
            continue
        if p.param_type_name == "argument":
            kind = ARG
        elif getattr(p, "is_flag", False):
            kind = FLAG
        else:
            kind = PATH if type(p.type).__name__ == "TyperPath" else OPTION
        options = () if kind == ARG else tuple(p.opts)
        assert not p.secondary_opts, f"{name} {p.name}: --no- forms are typer's alone"
        assert p.nargs == 1 and not getattr(p, "multiple", False), f"{name} {p.name}"
        declared.append((p.name, kind, options, p.default, p.envvar, p.required))
    assert tuple(declared) == params
    # and the command function takes them (as keywords), as the typer command passes them
    target = getattr(import_module(f"spec_kitty_cli.commands.{module}"), function)
    names = set(inspect.signature(target).parameters) - {"cwd"}
    assert names == {p[0] for p in params} - set(dropped) | set(from_json)


def _mask(text: str, root: Path) -> str:
    text = text.replace(str(root), "<root>")
    text = re.sub(r"\b[0-9A-HJKMNP-TV-Z]{26}\b", "<ulid>", text)
    text = re.sub(r"\b[0-9A-HJKMNP-TV-Z]{8}\b", "<mid8>", text)
    text = re.sub(r"\b[0-9a-f]{40}\b", "<sha>", text)
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", "<at>", text)


_WAY = """
import sys
from spec_kitty_cli._entry import main as fast
from spec_kitty_cli.app import main as full
(fast if sys.argv[1] == "fast" else full)(sys.argv[2:])
"""


def _twin(base: Path, name: str) -> tuple[Path, str]:
    """A repository with a finalized lanes mission, WP01 under way (the same every time)."""
    root = make_repo(base / name)
    ok_json(root, "init")
    made = ok_json(root, "specify", "Twin", "--topology", "lanes")
    (Path(made["feature_dir"]) / "tasks.md").write_text(TASKS_MD)
    ok_json(root, "finalize-tasks", "--mission", made["mid8"])
    ok_json(root, "implement", "WP01", "--mission", made["mid8"], "--agent", "a")
    lane = root / ".worktrees" / f"{Path(made['feature_dir']).name}-lane-a"
    commit_work(lane, "src/core.py", "x\n")
    return root, made["mid8"]


@pytest.mark.parametrize(
    "line",
    [
        "move-task WP01 --to for_review --mission M --actor a --json",
        "move-task WP01 --to for_review --mission M --actor a --note done",
        "move-task WP02 --to doing --mission M",  # a refusal: WP02 waits on WP01
        "move-task WP01 --to nowhere --mission M --json",
        "review WP01 --mission M",
        "review WP01 --mission M --approve --json",  # refused: no reference
        "implement WP03 --mission M --agent b --json",
        "implement WP03 --mission M",  # refused: who implements it?
        "accept --mission M --json",
        "analyze --mission M --json",
        "context --mission M --action implement --wp WP01 --json",
        "finalize-tasks --mission M --json",
        "merge --mission M --dry-run --json",
        "record-analysis --mission M --input-file /no/such/file",
    ],
)
def test_the_fast_path_prints_what_typer_prints(tmp_path: Path, line: str) -> None:
    outputs = []
    for way in ("fast", "full"):
        root, mid8 = _twin(tmp_path, way)
        words = [mid8 if word == "M" else word for word in line.split()]
        done = subprocess.run(
            [sys.executable, "-c", _WAY, way, *words], cwd=root, capture_output=True, text=True,
            env={**ENV, "SPEC_KITTY_READ_CACHE": "0"}, check=False,
        )  # fmt: skip
        assert "Traceback" not in done.stderr, done.stderr
        outputs.append((done.returncode, _mask(done.stdout, root), _mask(done.stderr, root)))
    assert outputs[0] == outputs[1]
