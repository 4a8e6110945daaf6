"""``spec-kitty sync start|stop|status|now``: the sync daemon of this scope."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spec_kitty_cli._output import Report
from spec_kitty_cli._runtime import check_action, repository_root
from spec_kitty_cli._sync import read_settings, service_spec


def sync(cwd: Path, action: str) -> Report:
    """start / stop / status / now (deliver the queued events here, without the daemon).

    The daemon package's own errors (``SERVICE_*``) reach the user as they are.
    """
    check_action("sync", action, ("start", "stop", "status", "now"))
    from sync_daemon import Outbox, ensure_running, outbox_dir, status, stop

    settings = read_settings(repository_root(cwd))
    spec = service_spec(settings)
    if action == "start":
        record = ensure_running(spec)
        document: dict[str, Any] = {
            "pid": record.pid,
            "port": record.port,
            "scope_id": spec.scope.scope_id,
            "version": record.version,
            "enabled_in_config": settings.enabled,
        }
        message = f"sync daemon {record.pid} on 127.0.0.1:{record.port}"
    elif action == "stop":
        stopped = stop(spec)
        document = {"stopped": stopped, "scope_id": spec.scope.scope_id}
        message = "sync daemon stopped" if stopped else "no sync daemon was running"
    elif action == "status":
        document = _status_document(status(spec), Outbox(outbox_dir(spec.scope)))
        message = _describe_status(document)
    else:  # now: deliver here, without the daemon
        from sync_daemon import sink_config, sink_from_config

        outbox = Outbox(outbox_dir(spec.scope))
        sink = sink_from_config(
            sink_config(settings.sink, settings.url),
            state_dir=spec.scope.service_dir("sync"),
        )
        report = outbox.deliver(sink)
        document = {
            "delivered": report.delivered,
            "failed": report.failed,
            "error": report.error,
            "queue_depth": outbox.depth(),
        }
        message = f"delivered {report.delivered}; {outbox.depth()} still queued" + (
            f" (last error: {report.error})" if report.error else ""
        )
    return Report(document, [message])


def _status_document(state: dict[str, Any], outbox: Any) -> dict[str, Any]:
    health = state.get("health") or {}
    stats = outbox.stats()
    return {
        "running": bool(state.get("alive")),
        "pid": health.get("pid"),
        "port": (state.get("record") or {}).get("port"),
        "uptime_seconds": health.get("uptime_seconds"),
        "queue_depth": stats["pending"],
        "last_delivery_at": stats["last_delivery_at"],
        "last_error": stats["last_error"],
    }


def _describe_status(document: dict[str, Any]) -> str:
    head = (
        f"sync daemon {document['pid']} on port {document['port']}, "
        f"up {document['uptime_seconds']:.0f}s"
        if document["running"]
        else "no sync daemon running"
    )
    last = document["last_delivery_at"] or "never"
    return f"{head}; {document['queue_depth']} queued; last delivery: {last}"
