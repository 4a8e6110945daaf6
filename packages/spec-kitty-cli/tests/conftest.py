"""The spec-kitty-cli tests import their helpers from cli_support.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from cli_support import make_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository on ``main`` with one commit (src/app.py)."""
    return make_repo(tmp_path / "repo")
