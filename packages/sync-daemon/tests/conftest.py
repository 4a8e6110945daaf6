"""Fixtures for the sync-daemon service tests: echo-service specs and daemon clean-up."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from echo_service import SpecFactory, echo_spec, pids_mentioning

from sync_daemon import ServiceSpec


@pytest.fixture
def state_root(tmp_path: Path) -> Iterator[Path]:
    """A private state root; every daemon started under it is killed afterwards."""
    root = tmp_path / "state"
    root.mkdir()
    try:
        yield root
    finally:
        for pid in pids_mentioning(str(tmp_path)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def make_spec(state_root: Path) -> SpecFactory:
    """Build echo specs under this test's state root."""

    def factory(**kwargs: object) -> ServiceSpec:
        return echo_spec(state_root, **kwargs)  # type: ignore[arg-type]

    return factory
