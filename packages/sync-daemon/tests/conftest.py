"""Fixtures for the sync-daemon service tests: echo-service specs and daemon clean-up."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from echo_service import SpecFactory, echo_spec, pids_mentioning
from receiver_support import Receiver

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


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """A running :class:`Receiver` (loopback requests never go through a proxy)."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
