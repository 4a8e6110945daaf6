"""Each package builds alone into a wheel that carries ``py.typed`` and the ``__about__`` version.

Built offline with the environment's hatchling (``--no-build-isolation``), exactly as a release
builds it, minus the network.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from workspace import IMPORT_NAMES, ROOT


def about_version(dist: str) -> str:
    path = ROOT / "packages" / dist / "src" / IMPORT_NAMES[dist] / "__about__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    values = [
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and any(getattr(target, "id", None) == "__version__" for target in node.targets)
    ]
    assert len(values) == 1 and isinstance(values[0], str), path
    return values[0]


def build_wheel(dist: str, out: Path) -> Path:
    try:
        import hatchling  # noqa: F401
    except ImportError:
        pytest.fail(
            "hatchling is not installed in the dev environment: add it to the root "
            "pyproject's dev dependencies (it builds the wheels offline)"
        )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            "--wheel-dir",
            str(out),
            str(ROOT / "packages" / dist),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _requirements(texts: list[str]) -> set[tuple[str, str, str]]:
    """Requirements compared by meaning: hatchling normalises names (``PyYAML`` -> ``pyyaml``)."""
    parsed = [Requirement(text) for text in texts]
    return {(canonicalize_name(req.name), str(req.specifier), str(req.marker)) for req in parsed}


@pytest.mark.parametrize("dist", sorted(IMPORT_NAMES))
def test_wheel_has_py_typed_version_and_declared_dependencies(dist: str, tmp_path: Path) -> None:
    name = IMPORT_NAMES[dist]
    version = about_version(dist)

    wheel = build_wheel(dist, tmp_path)

    assert wheel.name.startswith(f"{name}-{version}-py3-none-any")
    with zipfile.ZipFile(wheel) as archive:
        files = set(archive.namelist())
        dist_info = f"{name}-{version}.dist-info"
        metadata = Parser().parsestr(archive.read(f"{dist_info}/METADATA").decode("utf-8"))
        entry_points = (
            archive.read(f"{dist_info}/entry_points.txt").decode("utf-8")
            if f"{dist_info}/entry_points.txt" in files
            else ""
        )
        about = archive.read(f"{name}/__about__.py").decode("utf-8")

    assert f"{name}/py.typed" in files
    assert f"{name}/__init__.py" in files
    # Only the package and its metadata: no tests, no sibling packages, no stray files.
    assert {path.split("/")[0] for path in files} == {name, dist_info}
    assert metadata["Name"] == dist
    assert metadata["Version"] == version
    assert f'__version__ = "{version}"' in about
    project = tomllib.loads((ROOT / "packages" / dist / "pyproject.toml").read_text("utf-8"))
    assert _requirements(metadata.get_all("Requires-Dist") or []) == _requirements(
        project["project"].get("dependencies", [])
    )
    scripts = project["project"].get("scripts", {})
    for script, target in scripts.items():
        assert f"{script} = {target}" in entry_points
