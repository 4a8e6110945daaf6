"""ensure_running / stop / status / reap / request against a real echo daemon on loopback."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import filelock
import pytest
from echo_service import (
    SpecFactory,
    echo_spec,
    gone,
    marked_pids,
    wait_for,
)

from sync_daemon import (
    OwnerRecord,
    ServiceError,
    ensure_running,
    process_start_time,
    read_record,
    reap,
    request,
    status,
    stop,
    write_record,
)

TESTS_DIR = Path(__file__).parent
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _get(port: int, path: str) -> tuple[int, bytes]:
    with NO_PROXY.open(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
        return resp.status, resp.read()


def _post_raw(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("POST", path, body=b"", headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """An unrelated live process the daemon machinery must never touch."""
    proc = subprocess.Popen(["sleep", "60"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


# --- 1. concurrency ------------------------------------------------------------------------------

RACER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from echo_service import echo_spec
    from sync_daemon import ensure_running
    gate, root = Path(sys.argv[2]), Path(sys.argv[3])
    while not gate.exists():
        time.sleep(0.002)
    print(ensure_running(echo_spec(root, start_timeout=30.0)).pid, flush=True)
    """
)


def test_eight_concurrent_callers_end_with_exactly_one_daemon(
    state_root: Path, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(TESTS_DIR), str(gate), str(state_root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(8)
    ]
    time.sleep(0.3)
    gate.touch()
    outputs = [racer.communicate(timeout=90) for racer in racers]

    assert all(r.returncode == 0 for r in racers), [err.decode() for _, err in outputs]
    pids = {int(out) for out, _ in outputs}
    assert len(pids) == 1
    spec = echo_spec(state_root)
    assert marked_pids(spec) == sorted(pids)
    record = read_record(spec.record_path).record
    assert record is not None and record.pid in pids


def test_different_state_roots_get_different_daemons(state_root: Path, tmp_path: Path) -> None:
    other_root = tmp_path / "other-state"
    first = ensure_running(echo_spec(state_root))
    second = ensure_running(echo_spec(other_root))

    assert first.pid != second.pid
    assert first.scope_id != second.scope_id
    assert ensure_running(echo_spec(state_root)).pid == first.pid


# --- 2. crash recovery ---------------------------------------------------------------------------


def test_killed_daemon_is_replaced(make_spec: SpecFactory) -> None:
    spec = make_spec()
    first = ensure_running(spec)
    os.kill(first.pid, signal.SIGKILL)
    assert wait_for(lambda: gone(first.pid))

    second = ensure_running(spec)

    assert second.pid != first.pid
    assert status(spec)["health"]["pid"] == second.pid
    assert marked_pids(spec) == [second.pid]


# --- 3. never kill an unrelated process ----------------------------------------------------------


@pytest.mark.parametrize("forged_start_time", [False, True])
def test_record_naming_unrelated_pid_is_replaced_without_killing_it(
    make_spec: SpecFactory, sleeper: subprocess.Popen[bytes], forged_start_time: bool
) -> None:
    spec = make_spec()
    start = process_start_time(sleeper.pid) if forged_start_time else "1"
    assert start is not None
    fake = OwnerRecord(
        service="echo",
        scope_id=spec.scope.scope_id,
        pid=sleeper.pid,
        start_time=start,
        port=9,
        version="1.0",
        protocol=1,
        executable=sys.executable,
        started_at="2026-01-01T00:00:00Z",
        token="forged",
    )
    spec.service_dir.mkdir(parents=True)
    write_record(spec.record_path, fake)

    assert reap(spec) == []
    record = ensure_running(spec)

    assert sleeper.poll() is None
    assert record.pid not in (sleeper.pid, os.getpid())
    found = read_record(spec.record_path).record
    assert found is not None and found.pid == record.pid


def test_record_naming_this_process_is_not_signalled(make_spec: SpecFactory) -> None:
    spec = make_spec()
    me = os.getpid()
    start = process_start_time(me)
    assert start is not None
    spec.service_dir.mkdir(parents=True)
    write_record(
        spec.record_path,
        OwnerRecord("echo", spec.scope.scope_id, me, start, 9, "1.0", 1, "x", "t", "forged"),
    )

    record = ensure_running(spec)  # would SIGTERM pytest itself if the markers were ignored

    assert record.pid != me


# --- 4. orphans ----------------------------------------------------------------------------------


def test_reap_stops_orphan_of_its_scope_only(make_spec: SpecFactory) -> None:
    spec = make_spec()
    other = make_spec(identity="someone-else")
    orphan = ensure_running(spec)
    neighbour = ensure_running(other)
    spec.record_path.unlink()

    stopped = reap(spec)

    assert stopped == [orphan.pid]
    assert gone(orphan.pid)
    assert not gone(neighbour.pid)
    assert status(other)["health"]["pid"] == neighbour.pid
    assert reap(other) == []


def test_reap_drops_dead_and_unreadable_records(make_spec: SpecFactory) -> None:
    spec = make_spec()
    spec.service_dir.mkdir(parents=True)
    spec.record_path.write_text("{garbage")

    assert reap(spec) == []
    assert read_record(spec.record_path).state == "absent"


# --- 5. token ------------------------------------------------------------------------------------


def test_token_never_leaks_and_guards_shutdown(make_spec: SpecFactory) -> None:
    spec = make_spec()
    record = ensure_running(spec)
    token = record.token.encode()

    code, body = _get(record.port, "/health")
    assert code == 200 and token not in body
    assert json.loads(body)["pid"] == record.pid
    assert token not in Path(f"/proc/{record.pid}/cmdline").read_bytes()
    assert token not in Path(f"/proc/{record.pid}/environ").read_bytes()
    assert token not in json.dumps(status(spec)).encode()

    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": record.token}):
        code, body = _post_raw(record.port, "/shutdown", headers)
        assert code == 401
        assert json.loads(body) == {"error": "unauthorized"}
    time.sleep(0.2)
    assert not gone(record.pid)

    code, _ = request(record, "POST", "/shutdown")

    assert code == 200
    assert wait_for(lambda: gone(record.pid))
    assert wait_for(lambda: read_record(spec.record_path).state == "absent")


def test_routes_auth_404_and_body_limit(make_spec: SpecFactory) -> None:
    record = ensure_running(make_spec())

    assert request(record, "POST", "/echo", {"a": 1}) == (200, {"echo": {"a": 1}})
    assert _post_raw(record.port, "/echo", {})[0] == 401
    assert _post_raw(record.port, "/public", {})[0] == 200
    assert request(record, "GET", "/nope") == (404, {"error": "not found"})
    too_big = {"Authorization": f"Bearer {record.token}", "Content-Length": str(9 << 20)}
    assert _post_raw(record.port, "/echo", too_big)[0] == 413
    assert _get(record.port, "/health")[0] == 200


# --- 6. idle -------------------------------------------------------------------------------------


def test_idle_daemon_retires_and_removes_its_record(make_spec: SpecFactory) -> None:
    spec = make_spec(idle_seconds=1.0)
    record = ensure_running(spec)

    assert wait_for(lambda: gone(record.pid), timeout=10)
    assert read_record(spec.record_path).state == "absent"


def test_busy_daemon_does_not_retire(make_spec: SpecFactory) -> None:
    spec = make_spec(idle_seconds=0.5, extra=("--busy",))
    record = ensure_running(spec)
    time.sleep(1.5)

    assert not gone(record.pid)
    assert status(spec)["health"]["idle"] is False


# --- stop / status / versions / failures ---------------------------------------------------------


def test_stop_and_status(make_spec: SpecFactory) -> None:
    spec = make_spec()
    assert status(spec)["state"] == "absent"
    record = ensure_running(spec)

    info = status(spec)
    assert info["alive"] is True and info["state"] == "valid"
    assert "token" not in info["record"]
    assert info["health"]["idle"] is True

    assert stop(spec) is True
    assert gone(record.pid)
    assert read_record(spec.record_path).state == "absent"
    assert stop(spec) is False
    assert status(spec)["alive"] is False


def test_new_version_replaces_idle_daemon(make_spec: SpecFactory) -> None:
    old = ensure_running(make_spec(version="1.0"))

    new = ensure_running(make_spec(version="2.0"))

    assert new.pid != old.pid and new.version == "2.0"
    assert wait_for(lambda: gone(old.pid))


def test_new_version_reuses_busy_daemon(make_spec: SpecFactory) -> None:
    old = ensure_running(make_spec(version="1.0", extra=("--busy",)))

    again = ensure_running(make_spec(version="2.0", extra=("--busy",)))

    assert again.pid == old.pid


def test_new_protocol_replaces_daemon(make_spec: SpecFactory) -> None:
    old = ensure_running(make_spec(protocol=1, extra=("--busy",)))

    new = ensure_running(make_spec(protocol=2))

    assert new.pid != old.pid and new.protocol == 2
    assert gone(old.pid)


def test_daemon_that_exits_early_raises_with_log_tail(make_spec: SpecFactory) -> None:
    spec = make_spec()
    broken = type(spec)(
        name=spec.name,
        scope=spec.scope,
        argv=(sys.executable, "-c", "import sys; print('boom-on-start'); sys.exit(3)"),
        version="1.0",
        protocol=1,
    )

    with pytest.raises(ServiceError) as info:
        ensure_running(broken)

    assert info.value.code == "SERVICE_START_FAILED"
    assert "boom-on-start" in info.value.message
    assert info.value.next_step


def test_a_port_in_use_is_its_own_error_and_leaves_no_daemon(make_spec: SpecFactory) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        spec = make_spec(extra=("--port", str(port)))
        with pytest.raises(ServiceError) as info:
            ensure_running(spec)

    assert info.value.code == "SERVICE_PORT_IN_USE"
    assert info.value.next_step
    assert f"port {port} is in use" in spec.log_path.read_text()
    assert read_record(spec.record_path).state == "absent"
    assert marked_pids(spec) == []


def test_lock_timeout_raises(make_spec: SpecFactory) -> None:
    spec = make_spec()
    hurried = type(spec)(**{**spec.__dict__, "lock_timeout": 0.2})
    spec.service_dir.mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import filelock, sys, time; l = filelock.FileLock(sys.argv[1]); l.acquire(); "
            "print('locked', flush=True); time.sleep(30)",
            str(spec.service_dir / "lock"),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
        with pytest.raises(ServiceError) as info:
            ensure_running(hurried)
        assert info.value.code == "SERVICE_LOCK_TIMEOUT"
    finally:
        holder.kill()
        holder.wait()
    assert filelock.FileLock(str(spec.service_dir / "lock")).acquire(timeout=5)


def test_a_resolver_answers_path_parameters_with_any_content_type(make_spec: SpecFactory) -> None:
    record = ensure_running(make_spec())
    base = f"http://127.0.0.1:{record.port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{base}/page/board", timeout=5) as reply:
        assert reply.status == 200
        assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
        assert reply.read() == b"<h1>board</h1>"
    with pytest.raises(urllib.error.HTTPError) as missing:
        opener.open(f"{base}/page/../etc", timeout=5)
    assert missing.value.code == 404
