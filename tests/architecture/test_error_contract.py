"""One error contract: one signature, UPPER_SNAKE codes, one exit-code table, matching the docs.

Every error class of our packages takes ``(message, *, code, next_step)``; every code an
error is raised with is UPPER_SNAKE and is in the CLI's ``EXIT_CODES``, which gives its exit
status; docs/cli.md documents every code of that table, with the same exit status. A planted
violation proves each check can fail.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest
from workspace import ROOT

from mission_context import ContextError
from mission_status import MissionStatusError
from occurrence_map import OccurrenceMapError
from spec_kitty_cli._errors import EXIT_CODES, CliError
from sync_daemon import ServiceError

SOURCES = sorted(ROOT.glob("packages/*/src/*/**/*.py"))
DOCS = ROOT / "docs" / "cli.md"
_UPPER_SNAKE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")
#: A docs table row naming codes and an exit status: ``| `A`, `B` | 1 | ... |``.
_ROW = re.compile(r"^\|\s*((?:`[A-Z][A-Z0-9_]*`(?:,\s*)?)+)\s*\|\s*([123])\s*\|")


@pytest.mark.parametrize(
    "error", [MissionStatusError, ContextError, CliError, OccurrenceMapError, ServiceError]
)
def test_every_error_type_takes_message_then_code_and_next_step_by_keyword(error: type) -> None:
    parameters = list(inspect.signature(error.__init__).parameters.values())[1:]
    assert parameters[0].name == "message"
    assert parameters[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    keywords = {p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert {"code", "next_step"} <= keywords
    made = error("it broke", code="X_BROKE", next_step="fix it")
    assert (made.code, made.message, made.next_step) == ("X_BROKE", "it broke", "fix it")
    assert made.to_dict() == {"code": "X_BROKE", "message": "it broke", "next_step": "fix it"}


def raised_codes(tree: ast.AST) -> list[tuple[int, str]]:
    """Codes given literally to an error: ``SomethingError(..., code="X")``, ``code = "X"``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if not name.endswith("Error"):
                continue
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg == "code" and isinstance(value, ast.Constant):
                    found.append((node.lineno, str(value.value)))
        elif isinstance(node, ast.ClassDef) and node.name.endswith("Error"):
            for statement in node.body:
                if (
                    isinstance(statement, ast.Assign)
                    and [getattr(t, "id", None) for t in statement.targets] == ["code"]
                    and isinstance(statement.value, ast.Constant)
                ):
                    found.append((statement.lineno, str(statement.value.value)))
    return found


def violations(module: str, tree: ast.AST) -> list[str]:
    # The CLI prints occurrence-map's codes with the package's prefix.
    prefix = "OCCURRENCE_MAP_" if module.startswith("occurrence_map") else ""
    problems = []
    for line, code in raised_codes(tree):
        if not _UPPER_SNAKE.match(code):
            problems.append(f"{module}:{line}: code {code!r} is not UPPER_SNAKE")
        elif prefix + code not in EXIT_CODES:
            problems.append(f"{module}:{line}: code {code} is not in spec_kitty_cli._errors")
    return problems


def test_every_raised_code_is_upper_snake_and_has_an_exit_status() -> None:
    problems = []
    for path in SOURCES:
        module = ".".join(path.relative_to(ROOT).parts[3:]).removesuffix(".py")
        problems += violations(module, ast.parse(path.read_text(), str(path)))
    assert problems == []


def documented() -> dict[str, set[int]]:
    """Each code docs/cli.md gives an exit status in a table row, with those statuses."""
    found: dict[str, set[int]] = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        row = _ROW.match(line)
        if row:
            for code in re.findall(r"`([A-Z][A-Z0-9_]*)`", row.group(1)):
                found.setdefault(code, set()).add(int(row.group(2)))
    return found


def test_the_docs_give_every_code_the_exit_status_of_the_table() -> None:
    text = DOCS.read_text(encoding="utf-8")
    undocumented = sorted(code for code in EXIT_CODES if f"`{code}`" not in text)
    assert undocumented == [], "codes of spec_kitty_cli._errors.EXIT_CODES missing in docs/cli.md"
    wrong = {
        code: (statuses, EXIT_CODES.get(code))
        for code, statuses in documented().items()
        if statuses != {EXIT_CODES.get(code)}
    }
    assert wrong == {}, "docs/cli.md rows whose exit status is not the table's (or unknown codes)"


def test_planted_violations_are_caught() -> None:
    planted = ast.parse(
        "raise ContextError('m', code='lower_case', next_step='n')\n"
        "raise CliError('m', code='NOT_IN_THE_TABLE', next_step='n')\n"
        "class OddError(Exception):\n    code = 'Mixed_Case'\n"
        "Finding('warning', code='stale_reference')\n"  # not an error: not checked
    )
    assert len(violations("spec_kitty_cli._x", planted)) == 3
    assert _ROW.match("| `MISSION_NOT_FOUND`, `NOPE` | 3 | ... |")
    assert not _ROW.match("| `STATUS_JSON_DRIFT` | warning | ... |")
    assert Path(DOCS).is_file()
