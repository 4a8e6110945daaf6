"""sync-daemon: exactly one background service per scope, one reaper, a durable outbox.

The generic mechanism (any named service: the sync daemon, the dashboard):
:class:`OwnerRecord` written atomically (0600) and read tri-state, ONE liveness probe
(:func:`is_alive`: pid alive AND process start time unchanged), :func:`ensure_running`
under a file lock, ONE reaper (:func:`reap`), and the daemon-side host (:func:`serve`).
The sync service itself: an append-only :class:`Outbox` (journal + delivery ledger)
delivered to a sink (:class:`JsonlSink` by default, :class:`HttpSink` where
configured) with capped exponential backoff; :func:`sync_spec` starts it.
"""

from .__about__ import __version__
from ._daemon import DEFAULT_IDLE_SECONDS, PROTOCOL, outbox_dir, sink_config, sync_spec
from ._host import Reply, Resolver, Route, serve
from ._liveness import is_alive, process_start_time
from ._outbox import DeliveryReport, JournalEntry, Outbox
from ._owner import OwnerRecord, RecordRead, read_record, write_record
from ._paths import default_state_root
from ._service import (
    Scope,
    ServiceError,
    ServiceSpec,
    daemon_command,
    ensure_running,
    reap,
    request,
    scope_of,
    serve_arguments,
    status,
    stop,
)
from ._sinks import HttpSink, JsonlSink, Sink, SinkError, sink_from_config

__all__ = [
    "DEFAULT_IDLE_SECONDS",
    "PROTOCOL",
    "DeliveryReport",
    "HttpSink",
    "JournalEntry",
    "JsonlSink",
    "Outbox",
    "OwnerRecord",
    "RecordRead",
    "Reply",
    "Resolver",
    "Route",
    "Scope",
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
    "scope_of",
    "serve",
    "serve_arguments",
    "sink_config",
    "sink_from_config",
    "status",
    "stop",
    "sync_spec",
    "write_record",
]
