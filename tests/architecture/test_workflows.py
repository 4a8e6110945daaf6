"""The CI and release workflows stay in step with the packages they build and test."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
DISTS = sorted(p.name for p in (ROOT / "packages").iterdir() if (p / "pyproject.toml").is_file())


def workflow(name: str) -> dict[Any, Any]:
    loaded = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def local_dependencies(dist: str) -> list[str]:
    """Our packages ``dist`` needs, transitively, each after its own dependencies."""
    ordered: list[str] = []

    def visit(name: str) -> None:
        config = tomllib.loads((ROOT / "packages" / name / "pyproject.toml").read_text("utf-8"))
        for text in config["project"].get("dependencies", []):
            requirement = Requirement(text).name
            if requirement in DISTS and requirement not in ordered:
                visit(requirement)
        if name not in ordered:
            ordered.append(name)

    visit(dist)
    return ordered


def steps_text(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) + str(step.get("uses", "")) for step in job["steps"])


def test_local_dependency_order_puts_dependencies_first() -> None:
    assert local_dependencies("mission-context") == ["mission-status", "mission-context"]
    assert local_dependencies("spec-kitty-cli")[-1] == "spec-kitty-cli"
    assert local_dependencies("spec-kitty-cli").index("mission-status") < local_dependencies(
        "spec-kitty-cli"
    ).index("mission-context")


def test_workspace_job_runs_the_dev_script() -> None:
    job = workflow("ci.yml")["jobs"]["workspace"]

    assert "python tools/dev.py test" in steps_text(job)
    assert "actions/setup-python" in steps_text(job)


def test_package_matrix_covers_every_distribution() -> None:
    include = workflow("ci.yml")["jobs"]["package"]["strategy"]["matrix"]["include"]

    assert sorted(entry["dist"] for entry in include) == DISTS


@pytest.mark.parametrize("dist", DISTS)
def test_package_job_installs_exactly_the_local_packages_it_needs(dist: str) -> None:
    include = workflow("ci.yml")["jobs"]["package"]["strategy"]["matrix"]["include"]
    entry = next(entry for entry in include if entry["dist"] == dist)

    assert entry["install"].split() == [f"./packages/{name}" for name in local_dependencies(dist)]


def test_package_job_runs_only_that_packages_tests_in_a_fresh_venv() -> None:
    job = workflow("ci.yml")["jobs"]["package"]
    text = steps_text(job)

    assert "-m venv" in text
    assert "pytest packages/${{ matrix.dist }}/tests -p no:cacheprovider" in text
    assert "-e " not in text  # installed as users get it, not editable
    guard = next(
        step for step in job["steps"] if step.get("if") == "matrix.dist == 'mission-status'"
    )
    assert '"msgspec", "filelock"' in guard["run"]


def test_release_triggers_on_every_package_tag_and_checks_it() -> None:
    release = workflow("release.yml")
    # PyYAML reads the bare key `on` as the boolean True.
    patterns = release[True]["push"]["tags"]

    for dist in DISTS:
        assert any(fnmatch.fnmatchcase(f"{dist}-v0.1.0", pattern) for pattern in patterns), dist
    assert not any(fnmatch.fnmatchcase("v0.1.0", pattern) for pattern in patterns)
    build = release["jobs"]["build"]
    text = steps_text(build)
    assert "tools/release/check_tag.py" in text
    assert "python -m build" in text
    assert "actions/upload-artifact" in text
    publish = release["jobs"]["publish"]
    assert publish["permissions"] == {"id-token": "write"}
    assert "pypa/gh-action-pypi-publish" in steps_text(publish)
