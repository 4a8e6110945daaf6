"""Sync's settings, its service, and the queueing of transitions for sync (the command is
``commands/sync.py``).

Sync is off unless ``.kittify/config.yaml`` says ``sync: {enabled: true}``. When it
is on, every command that writes status appends the mission's transitions to the
outbox journal under ``$SPEC_KITTY_HOME`` (the outbox ignores ids it already has),
and nudges a running daemon; it never starts one behind the user's back. The scope
of a daemon is (state root, endpoint, identity): the sink URL (or ``jsonl``) and the
OS user, so two repositories syncing to one endpoint share one daemon.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from mission_context import CONFIG_PATH, MissionExecutionContext
from mission_status import StatusEvent
from spec_kitty_cli._errors import CliError
from spec_kitty_cli._runtime import warn


class SyncSettings(msgspec.Struct, frozen=True):
    enabled: bool
    sink: str
    url: str | None
    idle_seconds: float


def read_settings(root: Path) -> SyncSettings:
    """The ``sync`` section of the project config (defaults when there is none).

    A config that is not valid YAML, or a ``sync`` section of the wrong shape, is
    ``CONFIG_INVALID`` naming the file (and the line), never a guess.
    """
    path = root / CONFIG_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return SyncSettings(False, "jsonl", None, 600.0)
    from spec_kitty_cli import _yaml

    try:
        config = _yaml.load(text) or {}
    except _yaml.errors() as exc:
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


def _invalid(where: str, what: str) -> CliError:
    return CliError(
        f"{where}: {what}",
        code="CONFIG_INVALID",
        next_step="fix .kittify/config.yaml (see docs/cli.md, `sync`)",
    )


def _scope(settings: SyncSettings) -> Any:
    import getpass

    from sync_daemon import Scope, default_state_root

    return Scope(
        state_root=default_state_root(os.environ),
        endpoint=settings.url or "jsonl",
        identity=getpass.getuser(),
    )


def service_spec(settings: SyncSettings) -> Any:
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
