"""sync-daemon: exactly one background service per scope, one reaper, a durable outbox.

The generic mechanism (any named service: the sync daemon, the dashboard): the client side
in ``_service`` (:func:`ensure_running` under a file lock, ONE reaper :func:`reap`,
:func:`stop`, :func:`status`, :func:`request`), the daemon side in ``_host``
(:func:`run_service`, every daemon's ``main``), the processes in ``_processes`` (ONE
liveness probe, :func:`is_alive`: pid alive AND process start time unchanged, and the
reaper's signals), the :class:`OwnerRecord` in ``_owner`` (written atomically, 0600, read
tri-state) and the durable file primitives in ``_files``.

The sync service, in ``_sync``: an append-only :class:`Outbox` (journal + delivery ledger)
delivered to a sink (:class:`JsonlSink` by default, :class:`HttpSink` where configured) with
capped exponential backoff; :func:`sync_spec` starts it.
"""

from .__about__ import __version__
from ._errors import ServiceError
from ._host import Option, Reply, Resolver, Route, Served, run_service
from ._outbox import DeliveryReport, JournalEntry, Outbox
from ._owner import OwnerRecord, RecordRead, read_record, write_record
from ._paths import default_state_root
from ._processes import is_alive, process_start_time
from ._service import (
    PORT_IN_USE_EXIT,
    Scope,
    ServiceSpec,
    daemon_command,
    ensure_running,
    reap,
    request,
    status,
    stop,
)
from ._sinks import HttpSink, JsonlSink, Sink, SinkError, sink_from_config
from ._sync import DEFAULT_IDLE_SECONDS, PROTOCOL, outbox_dir, sink_config, sync_spec

__all__ = [
    "DEFAULT_IDLE_SECONDS",
    "PORT_IN_USE_EXIT",
    "PROTOCOL",
    "DeliveryReport",
    "HttpSink",
    "JournalEntry",
    "JsonlSink",
    "Option",
    "Outbox",
    "OwnerRecord",
    "RecordRead",
    "Reply",
    "Resolver",
    "Route",
    "Scope",
    "Served",
    "ServiceError",
    "ServiceSpec",
    "Sink",
    "SinkError",
    "__version__",
    "daemon_command",
    "default_state_root",
    "ensure_running",
    "is_alive",
    "outbox_dir",
    "process_start_time",
    "read_record",
    "reap",
    "request",
    "run_service",
    "sink_config",
    "sink_from_config",
    "status",
    "stop",
    "sync_spec",
    "write_record",
]
