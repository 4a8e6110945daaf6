"""One status writer: every status write of the tool goes through ``mission_context.StatusWrite``.

``StatusWrite`` is what holds the mission's lock from the read of the current lane to
the commit, writes the status branch's own copy, and refuses during a git operation. A
command that appended through a ``MissionStatus`` of its own would skip all of that
(the bugs of issue 13), so outside mission-status itself and ``_status_store`` no
module opens a batch, materializes, or moves a lane on anything but the batch that
``StatusWrite`` hands out. The statuses ``ctx.status()`` returns refuse writes at run
time too (``STATUS_READ_ONLY``). A planted violation proves the check can fail.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(ROOT.glob("packages/*/src/*/**/*.py"))
OWNERS = ("mission_status", "mission_context._status_store")
_WRITES = frozenset({"transition", "annotate"})
_OWNED = frozenset({"batch", "materialize", "materialize_if_stale", "write_view"})


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).parts[3:]).removesuffix(".py")


def violations(module: str, tree: ast.AST) -> list[str]:
    if module.startswith(OWNERS):
        return []
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        receiver = (
            func.value.id
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            else None
        )
        if name in _WRITES and receiver != "batch":
            problems.append(f"{module}:{node.lineno}: {name}() outside a StatusWrite batch")
        if name in _OWNED or name == "MissionStatus":
            problems.append(f"{module}:{node.lineno}: {name}() writes status outside StatusWrite")
    return problems


def test_status_is_written_only_through_status_write() -> None:
    problems = []
    for path in SOURCES:
        problems += violations(_module(path), ast.parse(path.read_text(), str(path)))
    assert problems == []


def test_a_planted_second_writer_is_caught() -> None:
    planted = ast.parse(
        "status = ctx.status()\nstatus.transition('WP01', 'claimed', actor='a')\n"
        "with status.batch() as b:\n    b.annotate('WP01', actor='a', note='n')\n"
        "MissionStatus(path).materialize()\nbatch.transition('WP01', 'done', actor='m')\n"
    )
    assert len(violations("spec_kitty_cli._work", planted)) == 5
    assert violations("mission_context._status_store", planted) == []
