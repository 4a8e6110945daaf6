"""The lifecycle suite drives the CLI with the spec-kitty-cli tests' helpers (cli_support.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "packages" / "spec-kitty-cli" / "tests"))

from cli_support import make_repo  # importable once the path is set above


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository on ``main`` with one commit (src/app.py)."""
    return make_repo(tmp_path / "repo")
