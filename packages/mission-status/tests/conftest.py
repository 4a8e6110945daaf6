"""Fixtures for the mission-status tests (helpers live in status_support.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from status_support import isolated_git_env, write_rows


@pytest.fixture
def mission_dir(tmp_path: Path) -> Path:
    path = tmp_path / "kitty-specs" / "demo-01KAAAAA"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def rows_writer(mission_dir: Path) -> Callable[[list[dict[str, Any]]], Path]:
    return lambda rows: write_rows(mission_dir, rows)


@pytest.fixture
def git_env(tmp_path: Path) -> dict[str, str]:
    """See :func:`status_support.isolated_git_env`."""
    return isolated_git_env(tmp_path / "home")
