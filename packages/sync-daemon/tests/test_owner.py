"""Owner record (atomic, 0600, tri-state read) and the one liveness probe."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from sync_daemon import (
    OwnerRecord,
    _processes,
    is_alive,
    process_start_time,
    read_record,
    write_record,
)


def _record(**changes: object) -> OwnerRecord:
    base = OwnerRecord(
        service="echo",
        scope_id="0123456789abcdef",
        pid=os.getpid(),
        start_time=process_start_time(os.getpid()) or "?",
        port=4242,
        version="1.0",
        protocol=1,
        executable=sys.executable,
        started_at="2026-01-01T00:00:00Z",
        token="secret-token",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_absent_record(tmp_path: Path) -> None:
    found = read_record(tmp_path / "owner.json")

    assert (found.state, found.record, found.reason) == ("absent", None, None)


def test_valid_record_round_trips_with_mode_0600_and_sorted_keys(tmp_path: Path) -> None:
    path = tmp_path / "svc" / "owner.json"
    record = _record()

    write_record(path, record)

    found = read_record(path)
    assert found.state == "valid"
    assert found.record == record
    assert found.reason is None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys = list(json.loads(path.read_text()))
    assert keys == sorted(keys)
    assert [p.name for p in path.parent.iterdir()] == ["owner.json"]  # no temp left behind


def test_rewrite_replaces_atomically(tmp_path: Path) -> None:
    path = tmp_path / "owner.json"
    write_record(path, _record(port=1000))
    write_record(path, _record(port=2000))

    found = read_record(path)

    assert found.record is not None and found.record.port == 2000
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("content", "reason_part"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b"", "not valid JSON"),
    ],
)
def test_garbage_is_unreadable_with_reason(
    tmp_path: Path, content: bytes, reason_part: str
) -> None:
    path = tmp_path / "owner.json"
    path.write_bytes(content)

    found = read_record(path)

    assert found.state == "unreadable"
    assert found.record is None
    assert found.reason is not None and reason_part in found.reason


@pytest.mark.parametrize(
    ("change", "reason_part"),
    [
        ({"pid": "123"}, "'pid' must be an integer"),
        ({"pid": True}, "'pid' must be an integer"),
        ({"port": 1.5}, "'port' must be an integer"),
        ({"token": 7}, "'token' must be a string"),
        ({"port": 70000}, "'port' must be a TCP port"),
        ({"pid": 0}, "'pid' must be positive"),
        ({"extra": 1}, "unknown key(s): extra"),
    ],
)
def test_wrong_types_are_unreadable_with_reason(
    tmp_path: Path, change: dict[str, object], reason_part: str
) -> None:
    path = tmp_path / "owner.json"
    data = {**json.loads(json.dumps(_record().__dict__)), **change}
    path.write_text(json.dumps(data))

    found = read_record(path)

    assert found.state == "unreadable"
    assert found.reason is not None and reason_part in found.reason


def test_missing_keys_are_named(tmp_path: Path) -> None:
    path = tmp_path / "owner.json"
    data = dict(_record().__dict__)
    del data["port"], data["token"]
    path.write_text(json.dumps(data))

    found = read_record(path)

    assert found.state == "unreadable"
    assert found.reason is not None and "missing key(s): port, token" in found.reason


def test_public_dict_has_no_token() -> None:
    assert "token" not in _record().public_dict()


def test_this_process_is_alive_with_its_start_time() -> None:
    assert is_alive(_record())


def test_wrong_start_time_means_not_alive() -> None:
    assert not is_alive(_record(start_time="1"))


def test_dead_pid_is_not_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()

    assert process_start_time(child.pid) is None
    assert not is_alive(_record(pid=child.pid))


def test_zombie_is_not_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    started = process_start_time(child.pid)
    try:
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, not yet reaped
        assert started is None or not is_alive(_record(pid=child.pid, start_time=started))
    finally:
        child.wait()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux /proc only")
def test_start_time_parses_comm_with_spaces_and_parentheses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "4242"
    fake.mkdir()
    fields = ["S", *[str(n) for n in range(4, 22)], "987654", "0", "0"]
    (fake / "stat").write_text("4242 (evil ) (name) x) " + " ".join(fields) + "\n")
    monkeypatch.setattr(_processes, "_PROC", tmp_path)

    assert process_start_time(4242) == "987654"
