"""Every package is a well-formed, separately versioned distribution.

Checked per package: hatchling with a dynamic version read from ``__about__.py``, README,
CHANGELOG with an entry for the current version, ``py.typed``, a sorted ``__all__`` that
lists every public name of ``__init__``, private modules prefixed ``_``, and dependencies that
are floors (with a next-major cap between our own packages), never exact pins.
"""

from __future__ import annotations

import ast
import importlib
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.version import Version
from workspace import DISTS, IMPORT_NAMES, PACKAGES, ROOT

#: Which of our packages each package may depend on (design.md: strict one-way dependencies).
OUR_DEPENDENCIES = {
    "mission-status": set(),
    "mission-context": {"mission-status"},
    "occurrence-map": set(),
    "sync-daemon": set(),
    "spec-kitty-cli": {"mission-status", "mission-context", "occurrence-map", "sync-daemon"},
}
#: Non-underscore modules that are public on purpose, and why. Everything else must be private.
PUBLIC_MODULES = {
    "mission_status.merge_driver": "git runs it as `python -m mission_status.merge_driver`",
    "mission_context.status_merge_driver": (
        "git runs it as `python -m mission_context.status_merge_driver`"
    ),
    "spec_kitty_cli.app": "the console script `spec-kitty = spec_kitty_cli.app:main`",
}
#: Non-underscore packages whose modules are all public on purpose, and why.
PUBLIC_PACKAGES = {
    "spec_kitty_cli.commands": (
        "one module per CLI command (hatch's layout): commands/move_task.py is `move-task`; "
        "their interface is the command line, documented in docs/cli.md"
    ),
}
ENTRY_MODULES = {"__init__", "__about__", "__main__"}


def pyproject(dist: str) -> dict[str, Any]:
    return tomllib.loads((PACKAGES / dist / "pyproject.toml").read_text(encoding="utf-8"))


def about_version(dist: str) -> str:
    """``__version__`` from the package's ``__about__.py``, read without importing it."""
    path = PACKAGES / dist / "src" / IMPORT_NAMES[dist] / "__about__.py"
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if (
            isinstance(node, ast.Assign)
            and [getattr(target, "id", None) for target in node.targets] == ["__version__"]
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    raise AssertionError(f'{path} has no `__version__ = "..."` assignment')


def all_sort_key(name: str) -> tuple[int, str]:
    """RUF022's isort-style order: SCREAMING_CASE, then CamelCase, then everything else."""
    if len(name) > 1 and name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def module_bindings(source: str) -> tuple[list[str] | None, set[str]]:
    """``__all__`` (None when absent) and every name bound at module level of ``source``.

    ``from __future__`` imports bind a name too, but it is not part of any API.
    """
    declared: list[str] | None = None
    bound: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                bound.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    if target.id == "__all__" and node.value is not None:
                        declared = list(ast.literal_eval(node.value))
                    bound.add(target.id)
    bound.discard("__all__")
    return declared, bound


def unlisted_modules(package_dir: Path) -> list[str]:
    """Dotted names of modules under ``package_dir`` that are neither private nor allow-listed.

    A module is private when any part of its dotted path below the package starts with ``_``
    (so ``pkg/_cmds/board.py`` is private through its parent).
    """
    found = []
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir).with_suffix("").parts
        if parts[-1] in ENTRY_MODULES:
            parts = parts[:-1]
        if any(part.startswith("_") for part in parts) or not parts:
            continue
        dotted = ".".join((package_dir.name, *parts))
        listed = dotted in PUBLIC_MODULES or any(
            dotted == prefix or dotted.startswith(prefix + ".") for prefix in PUBLIC_PACKAGES
        )
        if not listed:
            found.append(dotted)
    return found


# -- self-tests of the checkers: each must be able to say "no" ----------------------------------


def test_binding_collector_sees_every_kind_of_module_level_name() -> None:
    source = (
        "from __future__ import annotations\n"
        "import os.path\n"
        "from ._x import A as B, c\n"
        "D: int = 1\n"
        "E = F = 2\n"
        "def g(): pass\n"
        "class H: pass\n"
        "__all__ = ['B', 'D']\n"
        "if True:\n    hidden = 1\n"
    )

    declared, bound = module_bindings(source)

    assert declared == ["B", "D"]
    assert bound == {"os", "B", "c", "D", "E", "F", "g", "H"}


def test_private_module_checker_flags_unlisted_public_modules(tmp_path: Path) -> None:
    package = tmp_path / "demo_pkg"
    for relative in ("__init__.py", "_private.py", "_sub/public_in_private.py", "leaky.py"):
        (package / relative).parent.mkdir(parents=True, exist_ok=True)
        (package / relative).write_text("", encoding="utf-8")
    (package / "sub").mkdir()
    (package / "sub" / "__init__.py").write_text("", encoding="utf-8")

    assert unlisted_modules(package) == ["demo_pkg.leaky", "demo_pkg.sub"]


def test_all_sort_key_matches_ruff_isort_style() -> None:
    names = ["reduce", "Lane", "__version__", "DISPLAY_LANES", "WPState", "Actor", "X"]

    assert sorted(names, key=all_sort_key) == [
        "DISPLAY_LANES",
        "Actor",
        "Lane",
        "WPState",
        "X",
        "__version__",
        "reduce",
    ]


# -- the workspace -------------------------------------------------------------------------------


def test_packages_dir_holds_exactly_the_five_distributions() -> None:
    assert sorted(p.name for p in PACKAGES.iterdir() if p.is_dir()) == DISTS


def test_root_mypy_checks_every_package() -> None:
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]

    assert sorted(mypy["mypy_path"]) == sorted(f"packages/{dist}/src" for dist in DISTS)
    assert mypy["strict"] is True


def test_public_module_allow_list_has_no_stale_entries() -> None:
    for dotted in PUBLIC_MODULES:
        package, module = dotted.split(".", 1)
        dist = next(d for d, name in IMPORT_NAMES.items() if name == package)
        assert (PACKAGES / dist / "src" / package / f"{module}.py").is_file(), dotted


# -- per package ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dist", DISTS)
def test_pyproject_builds_with_hatchling_and_a_dynamic_version(dist: str) -> None:
    config = pyproject(dist)
    project = config["project"]
    name = IMPORT_NAMES[dist]

    assert config["build-system"]["build-backend"] == "hatchling.build"
    assert any(req.startswith("hatchling") for req in config["build-system"]["requires"])
    assert project["name"] == dist
    assert "version" not in project
    assert project["dynamic"] == ["version"]
    assert config["tool"]["hatch"]["version"]["path"] == f"src/{name}/__about__.py"
    assert config["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == [f"src/{name}"]
    assert project["requires-python"] == ">=3.11"
    assert project["license"] == "MIT"
    assert project["readme"] == "README.md"
    assert project["description"].strip()


@pytest.mark.parametrize("dist", DISTS)
def test_version_is_a_release_version_in_about(dist: str) -> None:
    version = about_version(dist)

    assert re.fullmatch(r"\d+\.\d+\.\d+", version), version
    assert str(Version(version)) == version


@pytest.mark.parametrize("dist", DISTS)
def test_readme_changelog_and_py_typed_ship_with_the_package(dist: str) -> None:
    root = PACKAGES / dist
    readme = (root / "README.md").read_text(encoding="utf-8")
    changelog = (root / "CHANGELOG.md").read_text(encoding="utf-8")

    assert readme.startswith(f"# {dist}\n")
    assert changelog.startswith("# Changelog")
    # The current version has its own entry (keep-a-changelog headings: ## [X.Y.Z]).
    assert re.search(rf"^## \[{re.escape(about_version(dist))}\]", changelog, re.MULTILINE)
    assert (root / "src" / IMPORT_NAMES[dist] / "py.typed").is_file()
    assert any((root / "tests").glob("test_*.py")), f"{dist} has no tests"


@pytest.mark.parametrize("dist", DISTS)
def test_all_is_sorted_and_lists_every_public_name(dist: str) -> None:
    name = IMPORT_NAMES[dist]
    init = PACKAGES / dist / "src" / name / "__init__.py"
    source = init.read_text(encoding="utf-8")
    declared, bound = module_bindings(source)

    assert ast.get_docstring(ast.parse(source)), f"{init} has no docstring"
    assert declared is not None, f"{init} has no __all__"
    assert declared == sorted(declared, key=all_sort_key), "__all__ is not sorted (RUF022)"
    assert len(set(declared)) == len(declared), "__all__ has duplicates"
    assert "__version__" in declared
    public = {binding for binding in bound if not binding.startswith("_")}
    assert public <= set(declared), f"public but not in __all__: {sorted(public - set(declared))}"
    assert set(declared) <= bound, f"in __all__ but not defined: {sorted(set(declared) - bound)}"
    module = importlib.import_module(name)
    for exported in declared:
        assert hasattr(module, exported), f"{name}.{exported} does not resolve"


@pytest.mark.parametrize("dist", DISTS)
def test_modules_are_private_unless_allow_listed(dist: str) -> None:
    package_dir = PACKAGES / dist / "src" / IMPORT_NAMES[dist]

    assert unlisted_modules(package_dir) == [], "prefix private modules with `_`"


@pytest.mark.parametrize("dist", DISTS)
def test_dependencies_are_floors_and_ours_are_capped(dist: str) -> None:
    requirements = [
        Requirement(text) for text in pyproject(dist)["project"].get("dependencies", [])
    ]
    ours = {req.name for req in requirements if req.name in IMPORT_NAMES}

    assert ours == OUR_DEPENDENCIES[dist]
    for req in requirements:
        operators = {spec.operator for spec in req.specifier}
        assert not operators & {"==", "===", "~="}, f"{dist}: {req} is a pin, use a floor"
        assert ">=" in operators, f"{dist}: {req} needs a floor (>=)"
        if req.name in IMPORT_NAMES:
            caps = [spec for spec in req.specifier if spec.operator == "<"]
            assert caps, f"{dist}: {req} needs a next-major cap (<N)"
            # The cap is a whole major version: <1, <2, ... (not <0.5 or <1.2.3).
            assert all(re.fullmatch(r"\d+", spec.version) for spec in caps), str(req)
            # The range must admit the version of the dependency in this very repository.
            assert req.specifier.contains(about_version(req.name)), f"{dist}: {req}"


def test_mission_status_depends_on_exactly_msgspec_and_filelock() -> None:
    """msgspec everywhere; filelock only on Windows (POSIX locks are mission-status's flock)."""
    requirements = {
        req.name: req
        for req in map(Requirement, pyproject("mission-status")["project"]["dependencies"])
    }

    assert sorted(requirements) == ["filelock", "msgspec"]
    assert all(not req.extras for req in requirements.values())
    assert requirements["msgspec"].marker is None
    marker = requirements["filelock"].marker
    assert marker is not None
    assert marker.evaluate({"sys_platform": "win32"})
    assert not marker.evaluate({"sys_platform": "linux"})
    assert "optional-dependencies" not in pyproject("mission-status")["project"]
