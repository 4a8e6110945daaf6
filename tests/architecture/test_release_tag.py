"""``tools/release/check_tag.py``: a release tag must match the package it names."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "release" / "check_tag.py"
DISTS = sorted(p.name for p in (ROOT / "packages").iterdir() if (p / "pyproject.toml").is_file())


def check(tag: str, root: Path | None = None) -> subprocess.CompletedProcess[str]:
    extra = ["--root", str(root)] if root is not None else []
    return subprocess.run(
        [sys.executable, str(SCRIPT), tag, *extra],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def repo_version(dist: str) -> str:
    about = next((ROOT / "packages" / dist / "src").glob("*/__about__.py"))
    assign = next(
        node for node in ast.parse(about.read_text("utf-8")).body if isinstance(node, ast.Assign)
    )
    assert isinstance(assign.value, ast.Constant)
    return str(assign.value.value)


def fake_repo(
    root: Path, *, dist: str = "demo-pkg", version: str = "1.2.3", changelog: str | None = None
) -> Path:
    """A minimal repository with one hatch package at ``version``."""
    package = root / "packages" / dist
    about = package / "src" / dist.replace("-", "_") / "__about__.py"
    about.parent.mkdir(parents=True)
    about.write_text(f'__version__ = "{version}"\n', encoding="utf-8")
    (package / "pyproject.toml").write_text(
        f'[project]\nname = "{dist}"\ndynamic = ["version"]\n\n'
        f'[tool.hatch.version]\npath = "src/{dist.replace("-", "_")}/__about__.py"\n',
        encoding="utf-8",
    )
    (package / "CHANGELOG.md").write_text(
        changelog if changelog is not None else f"# Changelog\n\n## [{version}]\n\n- x\n",
        encoding="utf-8",
    )
    return root


@pytest.mark.parametrize("dist", DISTS)
def test_every_package_of_this_repo_is_releasable_at_its_current_version(dist: str) -> None:
    version = repo_version(dist)

    done = check(f"{dist}-v{version}")

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"dist={dist}",
        f"version={version}",
        f"path=packages/{dist}",
    ]
    assert done.stderr == ""


def test_refs_tags_prefix_is_accepted(tmp_path: Path) -> None:
    done = check("refs/tags/demo-pkg-v1.2.3", fake_repo(tmp_path))

    assert done.returncode == 0, done.stderr
    assert "dist=demo-pkg" in done.stdout.splitlines()


def test_version_mismatch_names_both_versions(tmp_path: Path) -> None:
    done = check("demo-pkg-v1.2.4", fake_repo(tmp_path))

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("error: ")
    assert "1.2.4" in done.stderr and "1.2.3" in done.stderr


def test_unknown_package_is_refused_and_known_ones_listed(tmp_path: Path) -> None:
    done = check("nope-v1.2.3", fake_repo(tmp_path))

    assert done.returncode == 1
    assert "packages/nope does not exist" in done.stderr
    assert "demo-pkg" in done.stderr


@pytest.mark.parametrize(
    "tag",
    [
        "v1.2.3",
        "demo-pkg-1.2.3",
        "demo-pkg-v1.2",
        "demo-pkg-v1.2.3rc1",
        "demo-pkg-v1.2.3.4",
        "Demo-Pkg-v1.2.3",
        "../demo-pkg-v1.2.3",
        "",
    ],
)
def test_malformed_tags_are_refused(tmp_path: Path, tag: str) -> None:
    done = check(tag, fake_repo(tmp_path))

    assert done.returncode == 1
    assert "is not <dist>-vX.Y.Z" in done.stderr


def test_missing_changelog_entry_is_refused(tmp_path: Path) -> None:
    repo = fake_repo(tmp_path, changelog="# Changelog\n\n## [1.2.2]\n")

    done = check("demo-pkg-v1.2.3", repo)

    assert done.returncode == 1
    assert "CHANGELOG.md has no `## [1.2.3]` entry" in done.stderr


def test_missing_tag_argument_is_a_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=60, check=False
    )

    assert done.returncode == 2
