"""One liveness probe, one reaper: the rule the tool we replace broke (three reapers, two probes).

Static checks over every shipped module: only ``sync_daemon._processes`` decides whether a
process is alive (``os.kill(pid, 0)``, process start times) and sends a signal that stops a
process (for the one reaper, ``sync_daemon._service``). A planted violation proves each check
can fail.
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


#: Where the signal functions may be named: the probe (signal 0) and the reaper.
_SIGNAL_SITES = ("sync_daemon._processes",)
#: Where process start times may be read: the probe, the host (its own record), the reaper
#: (a process's identity before it signals it), and the package's public re-export.
_START_TIME_READERS = (
    "sync_daemon._processes", "sync_daemon._host", "sync_daemon._service", "sync_daemon.__init__",
)  # fmt: skip


def _aliased_signals(tree: ast.AST) -> list[int]:
    """Lines that take ``os.kill``/``os.killpg`` without calling it there, or import it bare.

    An alias (``k = os.kill``, ``from os import kill``) would let a call slip past
    :func:`kill_calls`, which only sees ``os.kill(...)``.
    """
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    found = []
    for node in ast.walk(tree):
        taken = (
            isinstance(node, ast.Attribute)
            and node.attr in ("kill", "killpg")
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
            and id(node) not in called
        )
        imported = (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(alias.name in ("kill", "killpg") for alias in node.names)
        )
        if taken or imported:
            found.append(node.lineno)
    return found


def violations(module: str, tree: ast.AST) -> list[str]:
    problems = []
    for line, probe in kill_calls(tree):
        if probe and module != "sync_daemon._processes":
            problems.append(f"{module}:{line}: a second liveness probe (os.kill(pid, 0))")
        if not probe and module != "sync_daemon._processes":
            problems.append(f"{module}:{line}: a second reaper (a signal sent outside _processes)")
    if module not in _SIGNAL_SITES:
        problems += [
            f"{module}:{line}: os.kill taken by another name" for line in _aliased_signals(tree)
        ]
    for node in ast.walk(tree):
        reads_start_time = (
            (isinstance(node, ast.Constant) and node.value == "starttime")
            or (isinstance(node, ast.Attribute) and node.attr == "process_start_time")
            or (isinstance(node, ast.Name) and node.id == "process_start_time")
            or (
                isinstance(node, ast.alias)
                and (node.asname or node.name).rsplit(".", 1)[-1] == "process_start_time"
            )
        )
        if reads_start_time and module not in _START_TIME_READERS:
            problems.append(f"{module}:{getattr(node, 'lineno', 0)}: reads process start times")
    return problems


def test_one_liveness_probe_and_one_signal_site() -> None:
    problems = []
    for path in SOURCES:
        problems += violations(_module(path), ast.parse(path.read_text(), str(path)))
    assert problems == []
    assert kill_calls(ast.parse((ROOT / "packages/sync-daemon/src/sync_daemon/_processes.py")
                                .read_text()))  # fmt: skip


def test_a_planted_second_probe_and_reaper_are_caught() -> None:
    planted = ast.parse("import os\nos.kill(pid, 0)\nos.kill(pid, 9)\nx.process_start_time(1)\n")
    assert len(violations("spec_kitty_cli._dashboard", planted)) == 3
    # The holes: a bare call of the imported reader, and os.kill under another name.
    bare = ast.parse("from sync_daemon import process_start_time\nprocess_start_time(7)\n")
    assert len(violations("spec_kitty_cli._dashboard", bare)) == 2
    aliased = ast.parse("import os\nfrom os import kill\nk = os.kill\nk(pid, 9)\n")
    assert len(violations("spec_kitty_cli._dashboard", aliased)) == 2
    assert violations("sync_daemon._processes", ast.parse("import os\nos.kill(p, 0)\n")) == []
