"""The sync service end to end: a real daemon, a local HTTP sink that fails, a kill -9."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_outbox import Receiver

from sync_daemon import Outbox, Scope, ensure_running, outbox_dir, request, stop, sync_spec


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
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


def _wait_for(condition: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def test_every_event_arrives_once_in_order_across_failures_and_a_kill(
    state_root: Path, sink: Receiver
) -> None:
    scope = Scope(state_root, sink.url, "tester")
    spec = sync_spec(scope, sink="http", url=sink.url, idle_seconds=0)
    outbox = Outbox(outbox_dir(scope))
    first = [{"event_id": f"ev{n:02d}", "n": n} for n in range(10)]
    second = [{"event_id": f"ev{n:02d}", "n": n} for n in range(10, 20)]
    sink.fail = {1, 2}  # the first two POSTs get 503: the daemon backs off and retries
    outbox.enqueue(first)
    daemon = ensure_running(spec)
    _wait_for(lambda: len(sink.unique_in_order()) == 10)
    os.kill(daemon.pid, signal.SIGKILL)  # mid-way: a crash, no clean shutdown
    outbox.enqueue(second)
    sink.fail.add(sink.requests + 1)  # the restarted daemon's first POST fails too
    again = ensure_running(spec)
    assert again.pid != daemon.pid
    code, flushed = request(again, "POST", "/flush")
    assert code == 200
    _wait_for(lambda: len(sink.unique_in_order()) == 20)
    assert sink.unique_in_order() == [f"ev{n:02d}" for n in range(20)]
    assert outbox.depth() == 0
    assert len(outbox.pending()) == 0
    assert len(Path(outbox.journal_path).read_text().splitlines()) == 20  # nothing deleted
    assert stop(spec) is True
    assert flushed["depth"] in (0, 10)


def test_posted_events_are_journaled_before_delivery(state_root: Path, sink: Receiver) -> None:
    scope = Scope(state_root, sink.url, "tester")
    spec = sync_spec(scope, sink="http", url=sink.url, idle_seconds=0)
    daemon = ensure_running(spec)
    code, body = request(daemon, "POST", "/events", {"events": [{"event_id": "a"}]})
    assert (code, body["queued"]) == (202, 1)
    assert request(daemon, "POST", "/events", {"events": [{"no_id": 1}]})[0] == 400
    _wait_for(lambda: sink.unique_in_order() == ["a"])
    assert "a" in Path(Outbox(outbox_dir(scope)).journal_path).read_text()
    stop(spec)
