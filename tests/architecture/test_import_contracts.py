"""The import-linter contracts hold on the repository, and provably catch reverse imports.

The contracts live in the root ``pyproject.toml`` (``[tool.importlinter]``). The ratchet tests
copy the five ``src`` trees, plant one forbidden import in the copy and run the same contracts
against it: a contract that cannot break would let every reverse import through unnoticed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from workspace import IMPORT_NAMES, ROOT

CONFIG = ROOT / "pyproject.toml"
# The console script ``lint-imports`` is this entry point; calling it through the current
# interpreter keeps the test independent of where the venv put its scripts.
LINT_IMPORTS = (
    "import sys; from importlinter.cli import lint_imports_command; "
    "sys.exit(lint_imports_command())"
)


def lint_imports(
    cwd: Path, *, pythonpath: list[Path] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run import-linter with the root config from ``cwd``; ``pythonpath`` comes first."""
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(str(path) for path in pythonpath)
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--config", str(CONFIG), "--no-cache", "--no-logo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_contracts_cover_exactly_our_five_packages() -> None:
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["tool"]["importlinter"]

    assert sorted(config["root_packages"]) == sorted(IMPORT_NAMES.values())
    assert sorted(p.name for p in (ROOT / "packages").iterdir() if p.is_dir()) == sorted(
        IMPORT_NAMES
    )
    assert len(config["contracts"]) >= 4


def test_repository_keeps_every_import_contract() -> None:
    done = lint_imports(ROOT)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.fixture
def src_copy(tmp_path: Path) -> Path:
    """A copy of the five packages' import roots under ``tmp_path/src``."""
    target = tmp_path / "src"
    for dist, name in IMPORT_NAMES.items():
        shutil.copytree(
            ROOT / "packages" / dist / "src" / name,
            target / name,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    return target


def test_the_untouched_copy_passes(src_copy: Path, tmp_path: Path) -> None:
    # Without this, a copy that fails for an unrelated reason would make the ratchet vacuous.
    done = lint_imports(tmp_path, pythonpath=[src_copy])

    assert done.returncode == 0, done.stdout + done.stderr


PLANTS = {
    "status-imports-cli-lazily": (
        "mission_status",
        "def _late() -> None:\n    import spec_kitty_cli  # noqa\n",
    ),
    "status-imports-context": ("mission_status", "from mission_context import ContextError\n"),
    "context-imports-cli": ("mission_context", "import spec_kitty_cli.app\n"),
    "context-imports-occurrence-map": ("mission_context", "import occurrence_map\n"),
    "context-imports-typer": ("mission_context", "import typer\n"),
    "occurrence-map-imports-status": ("occurrence_map", "import mission_status\n"),
    "sync-daemon-imports-context": ("sync_daemon", "import mission_context\n"),
    "sync-daemon-imports-rich": ("sync_daemon", "from rich.console import Console\n"),
    "status-imports-click": ("mission_status", "import click\n"),
}


@pytest.mark.parametrize(("package", "source"), list(PLANTS.values()), ids=list(PLANTS))
def test_a_planted_forbidden_import_breaks_the_contracts(
    src_copy: Path, tmp_path: Path, package: str, source: str
) -> None:
    (src_copy / package / "_planted.py").write_text(source, encoding="utf-8")

    done = lint_imports(tmp_path, pythonpath=[src_copy])

    assert done.returncode != 0, done.stdout + done.stderr
    assert "BROKEN" in done.stdout
    # Names the planted module, so the copy (not the installed packages) was analysed.
    assert f"{package}._planted" in done.stdout
