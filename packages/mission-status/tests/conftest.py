"""Fixtures for the mission-status tests (helpers live in status_support.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from status_support import write_rows


@pytest.fixture
def mission_dir(tmp_path: Path) -> Path:
    path = tmp_path / "kitty-specs" / "demo-01KAAAAA"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def rows_writer(mission_dir: Path) -> Callable[[list[dict[str, Any]]], Path]:
    return lambda rows: write_rows(mission_dir, rows)
