"""Every command line we print as a next step can be copied as it is.

A ``next_step=`` of an error, or a ``Next:`` line of a report, that names a mission command
(``spec-kitty plan``, ``implement``, ...) must carry ``--mission``: the command refuses
without it, and a hint that fails when pasted is worse than none. And every ``spec-kitty X``
they name must be a command of the CLI.
"""

from __future__ import annotations

import ast
import re

from workspace import ROOT

from spec_kitty_cli._compat3 import ROOTS
from spec_kitty_cli.app import app

SOURCES = sorted(ROOT.glob("packages/*/src/*/**/*.py"))
#: Commands that act on one mission and refuse without --mission.
MISSION_COMMANDS = (
    "plan", "tasks", "finalize-tasks", "record-analysis", "analyze", "implement", "move-task",
    "review", "context", "merge", "accept", "retrospect", "materialize", "occurrence-map check",
)  # fmt: skip
#: A command line: in backticks, or what a ``Next:`` line says.
_COMMAND = re.compile(r"(?:`|^Next: )spec-kitty ([a-z][a-z-]*)")
_LINE = re.compile(rf"spec-kitty ({'|'.join(map(re.escape, MISSION_COMMANDS))})\b(?!-)[^`]*")


def _text(node: ast.expr) -> str | None:
    """A string expression's text, ``{}`` for each interpolated value (None: not a string)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.IfExp):
        return f"{_text(node.body) or ''} | {_text(node.orelse) or ''}"
    return None


def hints(tree: ast.AST) -> list[tuple[int, str]]:
    """Every ``next_step=...`` value and every ``"Next: ..."`` string, with its line."""
    found: list[tuple[int, str]] = []
    inner = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "next_step":
            text = _text(node.value)
            if text is not None:
                found.append((node.value.lineno, text))
        elif isinstance(node, ast.Constant | ast.JoinedStr) and id(node) not in inner:
            text = _text(node)
            if text is not None and text.startswith("Next:"):
                found.append((node.lineno, text))
    return found


def offenders(tree: ast.AST) -> list[str]:
    commands = {command.name for command in app.registered_commands} | ROOTS
    bad = []
    for line, text in hints(tree):
        bad += [f"{line}: {m.group(0)!r} lacks --mission" for m in _LINE.finditer(text)
                if "--mission" not in m.group(0)]  # fmt: skip
        bad += [f"{line}: no command {m.group(1)!r}" for m in _COMMAND.finditer(text)
                if m.group(1) not in commands]  # fmt: skip
    return bad


def test_every_printed_next_step_names_its_mission_and_a_real_command() -> None:
    problems = [
        f"{path.relative_to(ROOT)}:{problem}"
        for path in SOURCES
        if path.name != "_prompts.py"  # agent prose: its lines are run by their own test
        for problem in offenders(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert problems == []
    assert len([h for path in SOURCES for h in hints(ast.parse(path.read_text()))]) > 100


def test_a_planted_hint_without_the_mission_is_caught() -> None:
    planted = ast.parse(
        'raise CliError("x", code="X", next_step="run `spec-kitty plan` again")\n'
        'lines.append(f"Next: spec-kitty review {wp} --mission {m}")\n'
        'lines.append("Next: spec-kitty frobnicate")\n'
    )
    assert offenders(planted) == [
        "1: 'spec-kitty plan' lacks --mission",
        "3: no command 'frobnicate'",
    ]
