"""One durable replace-by-rename write per package: nothing renames a file over another elsewhere.

A file replaced by rename (``status.json``, ``meta.json``, the merge state, the merge
drivers' output, owner records) must be fsynced before the rename and its directory
after it, or a crash can leave an empty or a vanished file. That is easy to forget
at a new call site, so every rename goes through the one helper of its package:
``mission_status.write_atomic`` (which mission-context and the CLI use too), and
sync-daemon's ``write_atomic`` (sync-daemon depends on nothing of ours). A planted
violation proves the check can fail.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(ROOT.glob("packages/*/src/*/**/*.py"))
#: The modules allowed to rename, and the helper each one is.
HELPERS = {
    "mission_status._fsutil": "write_atomic, the helper of mission-status, context and CLI",
    "sync_daemon._files": "write_atomic, sync-daemon's (it depends on no other package)",
}
_RENAMES = frozenset({"replace", "rename", "renames"})


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).parts[3:]).removesuffix(".py")


def renames(tree: ast.AST) -> list[int]:
    """Lines calling ``os.replace/rename/renames`` or a ``Path``'s ``.replace``/``.rename``.

    ``str.replace`` has a different arity (two or three arguments, the first a
    string) and ``msgspec.structs.replace`` takes keywords; a path's
    ``replace``/``rename`` takes exactly one target and no keyword.
    """
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if node.func.attr not in _RENAMES:
            continue
        on_os = isinstance(node.func.value, ast.Name) and node.func.value.id == "os"
        one_path_argument = (
            len(node.args) == 1 and not node.keywords and not isinstance(node.args[0], ast.Constant)
        )
        if on_os or one_path_argument:
            found.append(node.lineno)
    return found


def violations(module: str, tree: ast.AST) -> list[str]:
    if module in HELPERS:
        return []
    return [
        f"{module}:{line}: renames a file outside its package's helper" for line in renames(tree)
    ]


def test_every_rename_goes_through_its_packages_helper() -> None:
    problems = []
    for path in SOURCES:
        problems += violations(_module(path), ast.parse(path.read_text(), str(path)))
    assert problems == []
    for module in HELPERS:
        path = ROOT / "packages" / module.split(".")[0].replace("_", "-") / "src"
        source = (path / (module.replace(".", "/") + ".py")).read_text()
        assert renames(ast.parse(source)), f"{module} no longer renames: update HELPERS"


def test_the_helpers_fsync_the_file_and_its_directory() -> None:
    for module in HELPERS:
        dist = module.split(".")[0].replace("_", "-")
        source = (ROOT / "packages" / dist / "src" / (module.replace(".", "/") + ".py")).read_text()
        assert "fsync(" in source and "fsync_dir(" in source, module


def test_a_planted_rename_is_caught() -> None:
    planted = ast.parse(
        "import os\nos.replace(a, b)\ntmp.rename(path)\npath.replace(other)\n"
        "text.replace('a', 'b')\nname.replace('-', '_', 1)\nstructs.replace(s, x=1)\n"
    )
    assert len(violations("spec_kitty_cli._merge", planted)) == 3
    assert violations("mission_status._fsutil", planted) == []
