"""One liveness probe, one reaper: the rule the tool we replace broke (three reapers, two probes).

Static checks over every shipped module: only ``sync_daemon._liveness`` decides whether a
process is alive (``os.kill(pid, 0)``, process start times), and only ``sync_daemon._service``
sends a signal that stops a process. A planted violation proves each check can fail.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(ROOT.glob("packages/*/src/*/**/*.py"))


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).parts
    return ".".join(parts[3:]).removesuffix(".py")


def kill_calls(tree: ast.AST) -> list[tuple[int, bool]]:
    """``os.kill(...)`` calls: (line, whether the signal is the literal 0, a probe)."""
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("kill", "killpg")
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "os"
        ):
            probe = (
                len(node.args) == 2
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value == 0
            )
            found.append((node.lineno, probe))
    return found


def violations(module: str, tree: ast.AST) -> list[str]:
    problems = []
    for line, probe in kill_calls(tree):
        if probe and module != "sync_daemon._liveness":
            problems.append(f"{module}:{line}: a second liveness probe (os.kill(pid, 0))")
        if not probe and module != "sync_daemon._service":
            problems.append(f"{module}:{line}: a second reaper (a signal sent outside _service)")
    allowed = ("sync_daemon._liveness", "sync_daemon._host")
    for node in ast.walk(tree):
        reads_start_time = (isinstance(node, ast.Constant) and node.value == "starttime") or (
            isinstance(node, ast.Attribute) and node.attr == "process_start_time"
        )
        if reads_start_time and module not in allowed:
            problems.append(f"{module}:{getattr(node, 'lineno', 0)}: reads process start times")
    return problems


def test_one_liveness_probe_and_one_signal_site() -> None:
    problems = []
    for path in SOURCES:
        problems += violations(_module(path), ast.parse(path.read_text(), str(path)))
    assert problems == []
    assert kill_calls(ast.parse((ROOT / "packages/sync-daemon/src/sync_daemon/_service.py")
                                .read_text()))  # fmt: skip


def test_a_planted_second_probe_and_reaper_are_caught() -> None:
    planted = ast.parse("import os\nos.kill(pid, 0)\nos.kill(pid, 9)\nx.process_start_time(1)\n")
    assert len(violations("spec_kitty_cli._dashboard", planted)) == 3
    assert violations("sync_daemon._liveness", ast.parse("import os\nos.kill(p, 0)\n")) == []
