"""The sync service end to end: a real daemon, a local HTTP sink that fails, a kill -9."""

from __future__ import annotations

import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from receiver_support import Receiver

from sync_daemon import Outbox, Scope, ensure_running, outbox_dir, request, stop, sync_spec


def _wait_for(condition: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def test_every_event_arrives_once_in_order_across_failures_and_a_kill(
    state_root: Path, receiver: Receiver
) -> None:
    scope = Scope(state_root, receiver.url, "tester")
    spec = sync_spec(scope, sink="http", url=receiver.url, idle_seconds=0)
    outbox = Outbox(outbox_dir(scope))
    first = [{"event_id": f"ev{n:02d}", "n": n} for n in range(10)]
    second = [{"event_id": f"ev{n:02d}", "n": n} for n in range(10, 20)]
    receiver.fail = {1, 2}  # the first two POSTs get 503: the daemon backs off and retries
    outbox.enqueue(first)
    daemon = ensure_running(spec)
    _wait_for(lambda: len(receiver.unique_in_order()) == 10)
    os.kill(daemon.pid, signal.SIGKILL)  # mid-way: a crash, no clean shutdown
    outbox.enqueue(second)
    receiver.fail.add(receiver.requests + 1)  # the restarted daemon's first POST fails too
    again = ensure_running(spec)
    assert again.pid != daemon.pid
    code, flushed = request(again, "POST", "/flush")
    assert code == 200
    _wait_for(lambda: len(receiver.unique_in_order()) == 20)
    assert receiver.unique_in_order() == [f"ev{n:02d}" for n in range(20)]
    assert outbox.depth() == 0
    assert len(outbox.pending()) == 0
    assert len(Path(outbox.journal_path).read_text().splitlines()) == 20  # nothing deleted
    assert stop(spec) is True
    assert flushed["depth"] in (0, 10)


def test_posted_events_are_journaled_before_delivery(state_root: Path, receiver: Receiver) -> None:
    scope = Scope(state_root, receiver.url, "tester")
    spec = sync_spec(scope, sink="http", url=receiver.url, idle_seconds=0)
    daemon = ensure_running(spec)
    code, body = request(daemon, "POST", "/events", {"events": [{"event_id": "a"}]})
    assert (code, body["queued"]) == (202, 1)
    assert request(daemon, "POST", "/events", {"events": [{"no_id": 1}]})[0] == 400
    _wait_for(lambda: receiver.unique_in_order() == ["a"])
    assert "a" in Path(Outbox(outbox_dir(scope)).journal_path).read_text()
    stop(spec)


class _SlowHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(3)  # a sink that takes its time
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_slow_delivery_never_makes_health_time_out(state_root: Path) -> None:
    slow = ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
    slow.daemon_threads = True
    thread = threading.Thread(target=slow.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{slow.server_address[1]}/events"
        scope = Scope(state_root, url, "tester")
        spec = sync_spec(scope, sink="http", url=url, idle_seconds=0)
        Outbox(outbox_dir(scope)).enqueue([{"event_id": "slow"}])
        daemon = ensure_running(spec)
        time.sleep(0.5)  # the delivery loop is now inside the 3 s POST
        started = time.monotonic()
        code, health = request(daemon, "GET", "/health", timeout=1.0)
        assert code == 200
        assert time.monotonic() - started < 1.0
        assert health["queue_depth"] == 1
        assert health["busy"] is True
        stop(spec)
    finally:
        slow.shutdown()
        slow.server_close()


def test_an_idle_sync_daemon_retires_by_itself(state_root: Path) -> None:
    scope = Scope(state_root, "jsonl", "tester")
    spec = sync_spec(scope, idle_seconds=1)
    daemon = ensure_running(spec)
    _wait_for(lambda: not Path(f"/proc/{daemon.pid}").exists() or _zombie(daemon.pid), 15)
    assert not spec.record_path.exists()


def _zombie(pid: int) -> bool:
    try:
        return "Z" in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
