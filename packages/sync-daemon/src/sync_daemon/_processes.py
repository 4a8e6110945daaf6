"""Everything this package knows about OS processes: THE liveness probe and THE reaper's signals.

A pid alone is not an identity: pids are recycled. A daemon is alive only when its pid exists,
belongs to this user, is not a zombie, and its process start time equals the one recorded when
the daemon wrote its owner record. A process is signalled only when it is this user's, started
when we think it did, and carries the marker arguments ``--service <name> --scope-id <id>`` of
the service being stopped. Every other module asks this one.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ._owner import OwnerRecord

_PROC = Path("/proc")
_POLL = 0.02


def process_start_time(pid: int) -> str | None:
    """An opaque string identifying when ``pid`` started, or None if there is no such process.

    On Linux this is the ``starttime`` field (22) of ``/proc/<pid>/stat`` in clock ticks since
    boot; elsewhere the ``lstart`` column of ``ps``. Zombies have no start time (they are dead).
    """
    if pid <= 0:
        return None
    if _PROC.is_dir():
        fields = _proc_stat_fields(pid)
        if fields is None or fields[0] in ("Z", "X"):
            return None
        return fields[19]
    return ps_column(pid, "lstart")


def is_alive(record: OwnerRecord) -> bool:
    """True when the process named by ``record`` exists, is ours, and started when recorded."""
    return pid_exists(record.pid) and process_start_time(record.pid) == record.start_time


def pid_exists(pid: int) -> bool:
    """True when ``pid`` exists and this user may signal it (another user's process is False)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone, or exists but not ours: not our daemon
        return False
    return True


def same_user(pid: int) -> bool:
    """True when ``pid`` is owned by the current user."""
    if _PROC.is_dir():
        try:
            return (_PROC / str(pid)).stat().st_uid == os.getuid()
        except OSError:
            return False
    uid = ps_column(pid, "uid")
    return uid is not None and uid.strip() == str(os.getuid())


def _proc_stat_fields(pid: int) -> list[str] | None:
    """Fields 3.. of ``/proc/<pid>/stat`` (state first), robust to spaces and ')' in comm."""
    try:
        raw = (_PROC / str(pid) / "stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    _, sep, rest = raw.rpartition(")")
    fields = rest.split()
    if not sep or len(fields) < 20:
        return None
    return fields


def ps_column(pid: int, column: str) -> str | None:
    """One ``ps`` column for ``pid`` (non-Linux fallback), or None when the pid is gone."""
    if sys.platform == "win32":  # pragma: no cover - daemons are POSIX-only
        return None
    done = _ps("-o", f"{column}=", "-p", str(pid), timeout=5)
    if done is None or done.returncode != 0:
        return None
    return done.stdout.strip() or None


def _ps(*args: str, timeout: float) -> subprocess.CompletedProcess[str] | None:
    """Run ``ps args``; None when it cannot be run or does not finish within ``timeout``."""
    try:
        return subprocess.run(
            ["ps", *args], capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def terminate(name: str, scope_id: str, pid: int, start_time: str, *, grace: float) -> bool:
    """SIGTERM ``pid`` if it is still a daemon of service ``name`` and scope ``scope_id``
    that started at ``start_time``; SIGKILL after ``grace``. True if it was signalled."""
    if not _signal_daemon(name, scope_id, pid, start_time, signal.SIGTERM):
        return False
    if not wait_gone(pid, start_time, grace):
        _signal_daemon(name, scope_id, pid, start_time, signal.SIGKILL)
        wait_gone(pid, start_time, grace)
    return True


def _signal_daemon(
    name: str, scope_id: str, pid: int, start_time: str, sig: signal.Signals
) -> bool:
    """Signal ``pid`` only if it is this user's, unchanged, and carries the service markers."""
    if process_start_time(pid) != start_time or not same_user(pid):
        return False
    args = cmdline(pid)
    if args is None or not has_markers(args, name, scope_id):
        return False
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def wait_gone(pid: int, start_time: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while process_start_time(pid) == start_time:
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL)
    return True


def marked_pids(name: str, scope_id: str) -> list[int]:
    """Pids of this user's processes whose argv carries ``--service name --scope-id scope_id``."""
    if not _PROC.is_dir():
        return _marked_pids_ps(name, scope_id)
    pids = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        args = cmdline(pid)
        if args is not None and has_markers(args, name, scope_id) and same_user(pid):
            pids.append(pid)
    return sorted(pids)


def _marked_pids_ps(name: str, scope_id: str) -> list[int]:
    """Non-Linux fallback: match the markers in ``ps`` output (arguments joined by spaces)."""
    done = _ps("-ax", "-o", "pid=,uid=,args=", timeout=10)
    if done is None:
        return []
    pids = []
    for line in done.stdout.splitlines():
        parts = line.split(None, 2)
        if len(parts) < 3 or not parts[0].isdigit() or parts[1] != str(os.getuid()):
            continue
        if has_markers(parts[2].split(), name, scope_id):
            pids.append(int(parts[0]))
    return sorted(pids)


def cmdline(pid: int) -> list[str] | None:
    """The arguments of ``pid`` (``ps`` words where there is no /proc), or None if unknown."""
    if not _PROC.is_dir():
        line = ps_column(pid, "args")
        return line.split() if line is not None else None
    try:
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    return [a.decode("utf-8", errors="replace") for a in raw.split(b"\0")]


def has_markers(args: list[str], name: str, scope_id: str) -> bool:
    pairs = set(itertools.pairwise(args))
    return ("--service", name) in pairs and ("--scope-id", scope_id) in pairs
