"""One background service per scope, the client side: ensure, stop, status, reap, request.

A service is identified by its name and a :class:`Scope`; its state lives in
``<state_root>/services/<name>-<scope_id>/`` (``owner.json``, ``lock``, ``daemon.log``).
:func:`ensure_running` holds ``lock`` while it inspects, reaps and spawns, so any number of
concurrent callers end with exactly one daemon. :func:`reap` is the only reaper.

The daemon command (``ServiceSpec.argv``) must run the daemon in the foreground (its pid is the
daemon's pid), must call :func:`sync_daemon.run_service` so it writes its own owner record, and
must carry the marker arguments ``--service <name>`` and ``--scope-id <scope_id>`` as separate
arguments: the reaper recognises orphaned daemons by them and never touches a process without
them. The control token is generated inside the daemon and never passed on a command line or in
the environment.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import filelock

from ._errors import ServiceError
from ._files import held
from ._owner import OwnerRecord, read_record, remove_record
from ._processes import (
    cmdline,
    has_markers,
    is_alive,
    marked_pids,
    process_start_time,
    terminate,
    wait_gone,
)

_POLL = 0.02
#: A daemon's exit status when the port it was asked to listen on is taken.
PORT_IN_USE_EXIT = 98
_HEALTH_TIMEOUT = 1.0
_REAP_GRACE = 3.0
_LOG_TAIL = 2000


@dataclass(frozen=True)
class Scope:
    """What one daemon serves: a state root, an endpoint and an identity (e.g. a user)."""

    state_root: Path
    endpoint: str
    identity: str

    @property
    def scope_id(self) -> str:
        """First 16 hex digits of sha256(state_root NUL endpoint NUL identity)."""
        joined = "\0".join((str(self.state_root), self.endpoint, self.identity))
        return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]

    def service_dir(self, name: str) -> Path:
        """Directory holding ``owner.json``, ``lock`` and ``daemon.log`` of service ``name``."""
        return self.state_root / "services" / f"{name}-{self.scope_id}"


@dataclass(frozen=True)
class ServiceSpec:
    """How to find, start and judge one service daemon (see the module doc for ``argv``)."""

    name: str
    scope: Scope
    argv: tuple[str, ...]
    version: str
    protocol: int
    start_timeout: float = 15.0
    lock_timeout: float = 30.0

    @property
    def service_dir(self) -> Path:
        """This service's state directory."""
        return self.scope.service_dir(self.name)

    @property
    def record_path(self) -> Path:
        """Where the daemon's owner record lives."""
        return self.service_dir / "owner.json"

    @property
    def log_path(self) -> Path:
        """Where the daemon's stdout and stderr go."""
        return self.service_dir / "daemon.log"


# --------------------------------------------------------------------------- the daemon command

#: The arguments every daemon command carries: the reaper's markers and what rebuilds the scope.
SCOPE_FLAGS = ("--service", "--scope-id", "--state-root", "--endpoint", "--identity")


def daemon_command(
    launcher: Sequence[str], name: str, scope: Scope, *extra: str
) -> tuple[str, ...]:
    """``launcher serve --service NAME --scope-id ID ... EXTRA``: a daemon's ``ServiceSpec.argv``.

    ``launcher`` starts the program (e.g. ``(sys.executable, "-m", "sync_daemon")``); the
    markers the reaper looks for come from here, so every service carries them the same way.
    """
    values = (name, scope.scope_id, str(scope.state_root), scope.endpoint, scope.identity)
    pairs = [part for pair in zip(SCOPE_FLAGS, values, strict=True) for part in pair]
    return (*launcher, "serve", *pairs, *extra)


# --------------------------------------------------------------------------- public operations


def ensure_running(spec: ServiceSpec) -> OwnerRecord:
    """Return the record of the one healthy daemon of ``spec``, starting it if needed."""
    with _locked(spec):
        current = _usable_record(spec)
        if current is not None:
            return current
        _reap_locked(spec)
        return _spawn(spec)


def stop(spec: ServiceSpec, *, timeout: float = 5.0) -> bool:
    """Stop the daemon of ``spec`` (and any orphans of its scope); True if anything was stopped."""
    with _locked(spec):
        stopped = False
        record = read_record(spec.record_path).record
        if record is not None and is_alive(record):
            _stop_daemon(spec, record, timeout)
            stopped = True
        return bool(_reap_locked(spec)) or stopped


def status(spec: ServiceSpec) -> dict[str, Any]:
    """The daemon's state: record (without token), whether it is alive, its /health or None."""
    found = read_record(spec.record_path)
    record = found.record
    alive = record is not None and is_alive(record)
    return {
        "service": spec.name,
        "scope_id": spec.scope.scope_id,
        "state": found.state,
        "reason": found.reason,
        "record": record.public_dict() if record is not None else None,
        "alive": alive,
        "health": _health(record) if record is not None and alive else None,
    }


def reap(spec: ServiceSpec) -> list[int]:
    """THE reaper: drop a dead record and stop orphaned daemons of this service and scope.

    A record whose process is gone (or whose pid now belongs to another process) is removed; an
    unreadable record is removed too. Processes of this user whose command line carries
    ``--service <name> --scope-id <scope_id>`` and that the record does not name are stopped
    (SIGTERM, SIGKILL after a grace). Returns the pids stopped.
    """
    with _locked(spec):
        return _reap_locked(spec)


def request(
    record: OwnerRecord,
    method: str,
    path: str,
    body: Any = None,
    *,
    timeout: float = 5.0,
) -> tuple[int, dict[str, Any]]:
    """Send an authenticated JSON request to the daemon; return (HTTP status, JSON body)."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    req = urllib.request.Request(
        f"http://127.0.0.1:{record.port}{path}",
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {record.token}", "Content-Type": "application/json"},
    )
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            return resp.status, _json_object(resp.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, _json_object(exc.read())
    except (OSError, ValueError) as exc:
        raise ServiceError(
            f"{record.service} daemon (pid {record.pid}, port {record.port}) did not answer: {exc}",
            code="SERVICE_UNREACHABLE",
            next_step="Check the daemon with the status command, or restart it.",
        ) from exc


# --------------------------------------------------------------------------- ensure / spawn

# Never route loopback traffic through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _locked(spec: ServiceSpec) -> contextlib.AbstractContextManager[None]:
    spec.service_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = filelock.FileLock(str(spec.service_dir / "lock"), timeout=spec.lock_timeout)
    return held(
        lock,
        code="SERVICE_LOCK_TIMEOUT",
        next_step="Another command is starting or stopping this service; retry in a moment.",
    )


def _usable_record(spec: ServiceSpec) -> OwnerRecord | None:
    """The current daemon's record if it may be reused; stops a daemon that must be replaced."""
    record = read_record(spec.record_path).record
    if record is None or not is_alive(record):
        return None
    health = _health(record, attempts=3)
    if health is None:
        _stop_daemon(spec, record, timeout=2.0, ask=False)  # hung, or not our daemon at all
        return None
    if record.protocol != spec.protocol:
        _stop_daemon(spec, record, timeout=5.0)  # we cannot talk to it
        return None
    if record.version != spec.version and health.get("idle") is True:
        _stop_daemon(spec, record, timeout=5.0)  # outdated and idle: replace
        return None
    return record


def _spawn(spec: ServiceSpec) -> OwnerRecord:
    """Start the daemon and wait for its owner record and /health."""
    with open(spec.log_path, "ab") as log:
        try:
            child = subprocess.Popen(
                spec.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                close_fds=True,
                env=dict(os.environ),
            )
        except OSError as exc:
            raise ServiceError(
                f"could not start {spec.name} daemon: {exc}",
                code="SERVICE_START_FAILED",
                next_step=f"Check the daemon command: {' '.join(spec.argv)}",
            ) from exc
    deadline = time.monotonic() + spec.start_timeout
    while time.monotonic() < deadline:
        code = child.poll()
        if code == PORT_IN_USE_EXIT:
            raise ServiceError(
                f"{spec.name} daemon could not listen on the port it was given",
                code="SERVICE_PORT_IN_USE",
                next_step="Choose another port, or 0 for a free one.",
            )
        if code is not None:
            raise ServiceError(
                f"{spec.name} daemon exited with status {code} while starting:\n{_log_tail(spec)}",
                code="SERVICE_START_FAILED",
                next_step=f"Read {spec.log_path} for details.",
            )
        record = read_record(spec.record_path).record
        if record is not None and record.pid == child.pid and _health(record) is not None:
            return record
        time.sleep(_POLL)
    child.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=5.0)
    raise ServiceError(
        f"{spec.name} daemon did not become healthy within {spec.start_timeout:g}s:\n"
        f"{_log_tail(spec)}",
        code="SERVICE_START_TIMEOUT",
        next_step=f"Read {spec.log_path} for details.",
    )


def _log_tail(spec: ServiceSpec) -> str:
    try:
        data = spec.log_path.read_bytes()
    except OSError:
        return "(no log)"
    return data[-_LOG_TAIL:].decode("utf-8", errors="replace")


def _health(record: OwnerRecord, *, attempts: int = 1) -> dict[str, Any] | None:
    """The daemon's /health JSON if it answers as the process the record names, else None."""
    for attempt in range(attempts):
        if attempt:
            time.sleep(0.2)
        try:
            with _OPENER.open(
                f"http://127.0.0.1:{record.port}/health", timeout=_HEALTH_TIMEOUT
            ) as resp:
                body = _json_object(resp.read())
        except (OSError, ValueError):
            continue
        if (
            body.get("pid") == record.pid
            and body.get("service") == record.service
            and body.get("scope_id") == record.scope_id
        ):
            return body
    return None


def _json_object(raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    value = json.loads(raw.decode("utf-8"))
    return value if isinstance(value, dict) else {"value": value}


# --------------------------------------------------------------------------- stopping / reaping


def _stop_daemon(
    spec: ServiceSpec, record: OwnerRecord, timeout: float, *, ask: bool = True
) -> None:
    """Ask the daemon to shut down (``ask``), then SIGTERM, then SIGKILL; remove its record.

    A pid that does not carry the service markers is never asked nor signalled (it is not our
    daemon, whatever the record says); only the record is dropped.
    """
    args = cmdline(record.pid)
    if args is not None and has_markers(args, spec.name, spec.scope.scope_id):
        if ask:
            with contextlib.suppress(ServiceError, ValueError):
                request(record, "POST", "/shutdown", timeout=min(timeout, 2.0))
        if not (ask and wait_gone(record.pid, record.start_time, timeout)):
            terminate(spec.name, spec.scope.scope_id, record.pid, record.start_time, grace=timeout)
    remove_record(spec.record_path, pid=record.pid)


def _reap_locked(spec: ServiceSpec) -> list[int]:
    found = read_record(spec.record_path)
    keep: int | None = None
    if found.state == "unreadable":
        remove_record(spec.record_path)
    elif found.record is not None:
        if is_alive(found.record):
            keep = found.record.pid
        else:
            remove_record(spec.record_path, pid=found.record.pid)
    stopped = []
    for pid in marked_pids(spec.name, spec.scope.scope_id):
        if pid == keep or pid == os.getpid():
            continue
        started = process_start_time(pid)
        if started is not None and terminate(
            spec.name, spec.scope.scope_id, pid, started, grace=_REAP_GRACE
        ):
            stopped.append(pid)
    return stopped
