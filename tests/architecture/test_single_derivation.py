"""Static guard: only mission-context works out where a mission lives.

Everything that locates a mission (reading ``meta.json``, composing
``kitty-specs/...`` or ``.worktrees/...`` paths, parsing a ``.git`` file,
deriving ``mid8`` or the target branch) happens in ``mission_context``, or in
the few mission-status modules named below with their reason. The guard reads
the source of every shipped module with ``ast``, so a comment or a message
that mentions ``meta.json`` is fine and a path built from it is not. We also
say "mission": no identifier uses the legacy ``feature`` vocabulary except the
fields that read the legacy ``feature_slug`` key.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest
from workspace import PACKAGES, ROOT

#: Module prefixes allowed to use each located name, and why.
ALLOWED: dict[str, dict[str, str]] = {
    "meta.json": {
        "mission_context": "the resolver: reads meta.json from the primary checkout",
        "mission_status._meta": (
            "status.json carries mission_number/mission_type of the directory it "
            "materializes; mission-status is pinned alone, so it reads them itself"
        ),
    },
    "kitty-specs": {"mission_context": "the resolver"},
    ".worktrees": {"mission_context": "the resolver"},
    ".git": {
        "mission_status._git": "the single parser of worktree pointers",
        "mission_context": "git topology (worktree registrations, refs)",
        "occurrence_map._moves": (
            "skips VCS metadata directories while scanning a lane checkout for stale "
            "references to moved paths; it never locates mission state"
        ),
    },
    "gitdir:": {"mission_status._git": "the single parser of worktree pointers"},
    "commondir": {"mission_status._git": "the single parser of worktree pointers"},
    "target_branch": {"mission_context": "derived once, in BranchRef"},
    "mid8": {"mission_context": "derived once, in Identity"},
}
#: Modules that read the legacy ``feature_slug`` key of old event-log rows.
LEGACY_SLUG_READERS = ("mission_status._log",)

_PATH_NAMES = ("meta.json", "kitty-specs", ".worktrees", ".git", "gitdir:", "commondir")


def _allowed(name: str, module: str) -> bool:
    return any(
        module == prefix or module.startswith(prefix + ".") for prefix in ALLOWED.get(name, {})
    )


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _identifiers(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.arg):
        return [node.arg]
    if isinstance(node, ast.keyword) and node.arg:
        return [node.arg]
    if isinstance(node, ast.alias):
        return [node.asname or node.name.rsplit(".", 1)[-1]]
    return []


def _is_text(node: ast.AST, text: str) -> bool:
    return isinstance(node, ast.Constant) and node.value == text


def _reads_key(node: ast.AST, key: str) -> bool:
    """``x[key]`` or ``x.get(key)``: reading the key, not writing it into an output document."""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
        return _is_text(node.slice, key)
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("get", "pop", "setdefault")
        and bool(node.args)
        and _is_text(node.args[0], key)
    )


def violations(source: str, module: str, *, calls_reference: bool = False) -> list[str]:
    """Every place in ``source`` (the code of ``module``) that breaks the guard.

    ``calls_reference``: the module drives spec-kitty 3.2.7 (benchmarks, compat
    tools), whose API says ``feature``; its keyword and attribute names are
    then that API's, not ours, and are not flagged. Our own names still are.
    """
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found: list[str] = []

    def flag(node: ast.AST, what: str) -> None:
        found.append(f"{module}:{getattr(node, 'lineno', '?')}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in docstrings:
                continue
            for name in _PATH_NAMES:
                if (node.value == name or node.value.startswith(name + "/")) and not _allowed(
                    name, module
                ):
                    flag(node, f"locates mission state with {node.value!r}")
        if _reads_key(node, "target_branch") and not _allowed("target_branch", module):
            flag(node, "reads target_branch (use ctx.branch_ref.target_branch)")
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Slice)
            and isinstance(node.slice.upper, ast.Constant)
            and node.slice.upper.value == 8
            and "mission_id" in ast.unparse(node.value)
            and not _allowed("mid8", module)
        ):
            flag(node, "derives mid8 (use ctx.identity.mid8)")
        if calls_reference and isinstance(node, ast.keyword | ast.Attribute):
            continue
        for identifier in _identifiers(node):
            if "feature" not in identifier.lower():
                continue
            if identifier == "feature_slug" and module.startswith(LEGACY_SLUG_READERS):
                continue
            flag(node, f"identifier {identifier!r} uses the legacy feature vocabulary")
    return found


def shipped_modules() -> list[tuple[str, Path]]:
    modules = []
    for src in sorted(PACKAGES.glob("*/src")):
        for path in sorted(src.rglob("*.py")):
            dotted = ".".join(path.relative_to(src).with_suffix("").parts)
            modules.append((dotted.removesuffix(".__init__"), path))
    return modules


def test_the_guard_sees_every_package() -> None:
    roots = {module.split(".")[0] for module, _ in shipped_modules()}
    assert roots == {"mission_status", "mission_context", "occurrence_map", "sync_daemon"} | {
        "spec_kitty_cli"
    }


def test_only_mission_context_locates_mission_state() -> None:
    problems = [
        problem
        for module, path in shipped_modules()
        for problem in violations(path.read_text(encoding="utf-8"), module)
    ]
    assert problems == [], "\n".join(problems)


def test_tools_and_tests_say_mission() -> None:
    problems = []
    for path in sorted([*ROOT.glob("tools/**/*.py"), *ROOT.glob("**/tests/**/*.py")]):
        if ".venv" in path.parts or ".bench" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        reference = "specify_cli" in source
        for problem in violations(source, "tests-or-tools", calls_reference=reference):
            if "feature" in problem and "'feature_slug'" not in problem:
                problems.append(f"{path.relative_to(ROOT)}: {problem}")
    assert problems == [], "\n".join(problems)


PLANTED = {
    "reads meta.json": 'import json\ndata = json.loads((d / "meta.json").read_text())\n',
    "composes kitty-specs": 'mission = root / "kitty-specs" / name\n',
    "composes a kitty-specs f-string": 'mission = f"kitty-specs/{name}"\n',
    "composes .worktrees": 'lane = os.path.join(root, ".worktrees", name)\n',
    "parses a .git file": 'text = (root / ".git").read_text()\n',
    "parses gitdir:": 'if line.startswith("gitdir:"):\n    pass\n',
    "derives mid8": "mid8 = meta.mission_id[:8]\n",
    "reads target_branch": 'branch = meta["target_branch"]\n',
    "gets target_branch": 'branch = raw.get("target_branch", "main")\n',
    "a feature_dir variable": "feature_dir = Path('x')\n",
    "a feature argument": "def open_mission(feature_slug: str) -> None:\n    pass\n",
    "a Feature class": "class FeatureContext:\n    pass\n",
    "a feature keyword": "resolve(feature='x')\n",
}


@pytest.mark.parametrize("planted", sorted(PLANTED))
def test_the_guard_catches_planted_code(planted: str) -> None:
    assert violations(PLANTED[planted], "spec_kitty_cli.commands"), planted


def test_the_guard_spares_messages_docstrings_and_allowed_modules() -> None:
    clean = textwrap.dedent(
        '''
        """Reads meta.json? No: this docstring only mentions kitty-specs/ and .git."""
        raise Error("repair meta.json", next_step="see kitty-specs/<mission>/meta.json")
        '''
    )
    assert violations(clean, "spec_kitty_cli.commands") == []
    output = 'doc = {"target_branch": ctx.branch_ref.target_branch}\ndoc["target_branch"] = b\n'
    assert violations(output, "spec_kitty_cli.commands") == []
    assert violations(PLANTED["reads meta.json"], "mission_context._meta") == []
    assert violations(PLANTED["parses gitdir:"], "mission_status._git") == []
    assert violations("slug = row.feature_slug\n", "mission_status._log") == []
    assert violations("slug = row.feature_slug\n", "mission_status._views")
    driving_reference = "ctx = specify_cli.resolve(feature=slug)\npath = ctx.feature_dir\n"
    assert violations(driving_reference, "tools", calls_reference=True) == []
    assert violations("feature_dir = ctx.feature_dir\n", "tools", calls_reference=True)
