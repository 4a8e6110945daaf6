"""THE liveness probe: is the process an owner record names still that very process?

A pid alone is not an identity: pids are recycled. A daemon is alive only when its pid exists,
belongs to this user, is not a zombie, and its process start time equals the one recorded when
the daemon wrote its owner record. Every other module asks this one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ._owner import OwnerRecord

_PROC = Path("/proc")


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
    if not pid_exists(record.pid):
        return False
    started = process_start_time(record.pid)
    return started is not None and started == record.start_time


def pid_exists(pid: int) -> bool:
    """True when ``pid`` exists and this user may signal it (another user's process is False)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # exists, but not ours: never our daemon
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
    try:
        done = subprocess.run(
            ["ps", "-o", f"{column}=", "-p", str(pid)],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and value else None
