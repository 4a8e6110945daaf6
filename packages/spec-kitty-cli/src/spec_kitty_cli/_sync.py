"""``spec-kitty sync start|stop|status|now`` and the queueing of transitions for sync.

Sync is off unless ``.kittify/config.yaml`` says ``sync: {enabled: true}``. When it
is on, every command that writes status appends the mission's transitions to the
outbox journal under ``$SPEC_KITTY_HOME`` (the outbox ignores ids it already has),
and nudges a running daemon; it never starts one behind the user's back. The scope
of a daemon is (state root, endpoint, identity): the sink URL (or ``jsonl``) and the
OS user, so two repositories syncing to one endpoint share one daemon.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mission_context import ContextError, MissionExecutionContext
from mission_status import StatusEvent

from ._output import emit_json
from ._runtime import check_action, guarded, repository_root, say, service_failure, warn

CONFIG_PATH = (".kittify", "config.yaml")


@dataclass(frozen=True, slots=True)
class SyncSettings:
    enabled: bool
    sink: str
    url: str | None
    idle_seconds: float


def read_settings(root: Path) -> SyncSettings:
    """The ``sync`` section of the project config (defaults when there is none).

    A config that is not valid YAML, or a ``sync`` section of the wrong shape, is
    ``CONFIG_INVALID`` naming the file (and the line), never a guess.
    """
    path = root.joinpath(*CONFIG_PATH)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return SyncSettings(False, "jsonl", None, 600.0)
    import yaml

    try:
        config = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise _invalid(where, "is not valid YAML") from None
    section = config.get("sync", {}) if isinstance(config, dict) else None
    if not isinstance(section, dict):
        raise _invalid(str(path), "`sync` must be a mapping")
    enabled = section.get("enabled", False)
    sink, url = section.get("sink", "jsonl"), section.get("url")
    idle = section.get("idle_minutes", 10)
    if not isinstance(enabled, bool) or sink not in ("jsonl", "http"):
        raise _invalid(str(path), "`sync.enabled` must be true/false and `sync.sink` jsonl or http")
    if sink == "http" and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        raise _invalid(str(path), "`sync.sink: http` needs `sync.url: http(s)://...`")
    if not isinstance(idle, int | float) or isinstance(idle, bool) or idle < 0:
        raise _invalid(str(path), "`sync.idle_minutes` must be a number of minutes")
    return SyncSettings(enabled, sink, url if sink == "http" else None, float(idle) * 60)


def _invalid(where: str, what: str) -> ContextError:
    return ContextError(
        f"{where}: {what}",
        code="CONFIG_INVALID",
        next_step="fix .kittify/config.yaml (see docs/cli.md, `sync`)",
    )


def _scope(settings: SyncSettings) -> Any:
    from sync_daemon import Scope, default_state_root

    return Scope(
        state_root=default_state_root(os.environ),
        endpoint=settings.url or "jsonl",
        identity=getpass.getuser(),
    )


def _spec(settings: SyncSettings) -> Any:
    from sync_daemon import sync_spec

    return sync_spec(
        _scope(settings), sink=settings.sink, url=settings.url, idle_seconds=settings.idle_seconds
    )


# -- queueing ------------------------------------------------------------------------------


def queue_events(ctx: MissionExecutionContext, load: Callable[[], list[StatusEvent]]) -> None:
    """Append the events ``load`` gives to the outbox when sync is enabled; nudge the daemon."""
    settings = read_settings(ctx.workspace.primary_root)
    if not settings.enabled:
        return
    events = load()
    if not events:
        return
    from sync_daemon import Outbox, outbox_dir, read_record, request

    scope = _scope(settings)
    records = [{**event.to_record(), "mission_id": ctx.identity.mission_id} for event in events]
    Outbox(outbox_dir(scope)).enqueue(records)
    owner = read_record(scope.service_dir("sync") / "owner.json")
    if owner.record is not None:
        try:
            request(owner.record, "POST", "/flush", timeout=2.0)
        except OSError as exc:  # queued durably; the daemon or `sync now` delivers later
            warn(f"queued for sync, but the daemon did not answer ({exc})")


# -- the command ----------------------------------------------------------------------------


def run_sync(cwd: Path, action: str, *, as_json: bool) -> int:
    """start / stop / status / now."""

    def body() -> int:
        from sync_daemon import ServiceError

        check_action("sync", action, ("start", "stop", "status", "now"))
        try:
            return _run(cwd, action, as_json=as_json)
        except ServiceError as err:  # the daemon package's own structured error
            raise service_failure(err, "spec-kitty sync status") from None

    return guarded(as_json, body)


def _run(cwd: Path, action: str, *, as_json: bool) -> int:
    from sync_daemon import Outbox, ensure_running, outbox_dir, status, stop

    settings = read_settings(repository_root(cwd))
    spec = _spec(settings)
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
    if as_json:
        emit_json(document)
    else:
        say(message)
    return 0


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
