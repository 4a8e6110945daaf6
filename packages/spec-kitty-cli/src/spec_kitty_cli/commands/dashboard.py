"""``spec-kitty dashboard start|stop|status``: this repository's read-only local web board.

The server itself is ``_dashboard``; this starts, stops and inspects it through the
generic one-service-per-scope mechanism of ``sync_daemon``.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spec_kitty_cli._dashboard import dashboard_scope, dashboard_spec
from spec_kitty_cli._errors import CliError
from spec_kitty_cli._output import Report
from spec_kitty_cli._runtime import check_action, repository_root

if TYPE_CHECKING:
    from sync_daemon import ServiceSpec


def _url(port: int) -> str:
    return f"http://127.0.0.1:{port}/"


def _port_in_use(port: int, detail: str = "") -> CliError:
    return CliError(
        f"port {port} on 127.0.0.1 is already in use{detail}",
        code="DASHBOARD_PORT_IN_USE",
        next_step="choose another port with --port N, or --port 0 for a free one",
    )


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def dashboard(cwd: Path, action: str, *, port: int, open_browser: bool) -> Report:
    """start / stop / status of this repository's dashboard."""
    from sync_daemon import ServiceError

    try:
        return _run(cwd, action, port=port, open_browser=open_browser)
    except ServiceError as err:  # otherwise the daemon package's error reaches the user as it is
        if err.code == "SERVICE_PORT_IN_USE":
            raise _port_in_use(port) from None
        raise


def _run(cwd: Path, action: str, *, port: int, open_browser: bool) -> Report:
    check_action("dashboard", action, ("start", "stop", "status"))
    if not 0 <= port <= 65535:
        raise CliError(
            f"--port {port} is not a TCP port",
            code="INVALID_ARGUMENTS",
            next_step="pass --port 0 (a free port) or a port between 1 and 65535",
        )
    from sync_daemon import status, stop

    root = repository_root(cwd)
    spec = dashboard_spec(dashboard_scope(root), port=port)
    if action == "start":
        document, message = _start(spec, root, port)
        if open_browser:
            import webbrowser

            webbrowser.open(document["url"])
    elif action == "stop":
        stopped = stop(spec)
        document = {"stopped": stopped, "repository": str(root)}
        message = "dashboard stopped" if stopped else "no dashboard was running"
    else:
        state = status(spec)
        record = state.get("record") or {}
        health = state.get("health") or {}
        running = bool(state.get("alive")) and bool(health)
        document = {
            "running": running,
            "url": _url(record["port"]) if running else None,
            "port": record.get("port") if running else None,
            "pid": record.get("pid") if running else None,
            "uptime_seconds": health.get("uptime_seconds"),
            "repository": str(root),
        }
        message = (
            f"dashboard {document['pid']} at {document['url']}"
            if running
            else "no dashboard running (start one with `spec-kitty dashboard start`)"
        )
    return Report(document, message.split("\n"))


def _start(spec: ServiceSpec, root: Path, port: int) -> tuple[dict[str, Any], str]:
    from sync_daemon import ensure_running, status

    before = status(spec)
    running_pid = (before.get("record") or {}).get("pid") if before.get("health") else None
    if running_pid is None and port and not _port_free(port):
        raise _port_in_use(port)
    record = ensure_running(spec)
    reused = record.pid == running_pid
    document: dict[str, Any] = {
        "url": _url(record.port),
        "port": record.port,
        "pid": record.pid,
        "reused": reused,
        "repository": str(root),
    }
    message = f"dashboard {record.pid} at {_url(record.port)}" + (" (already running)" * reused)
    if port and record.port != port:
        note = (
            f"a dashboard already runs on port {record.port} (asked for {port}); reusing it: "
            "`spec-kitty dashboard stop` first to move it"
        )
        document["note"] = note
        message += f"\n{note}"
    return document, message
