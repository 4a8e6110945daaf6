"""``MissionStatus``: the one read/write path for a mission's status."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec

from ._errors import MissionStatusError, WorkPackageNotFoundError
from ._events import (
    ActorField,
    Annotation,
    AnnotationDelta,
    Evidence,
    ReviewResult,
    StatusEvent,
)
from ._git import git_operation_marker
from ._ids import Clock, IdFactory, isoformat, new_ulid, next_ulid_after, utc_now
from ._lanes import Lane, check_transition, parse_lane
from ._log import EventLog
from ._meta import read_meta
from ._progress import Progress, progress
from ._snapshot import StatusSnapshot, WPState
from ._views import STATUS_FILENAME, LiveView, MaterializeResult, materialize, write_view


class MissionStatus:
    """The status authority of one mission directory.

    Every status read and write goes through this facade: reads reduce the
    event log (following only its new tail between calls), writes check the
    lane FSM against the reduced current lane, append under the mission's
    lock, then refresh ``status.json`` (deferred while a git operation is in
    progress). ``clock`` and ``id_factory`` are injectable for deterministic tests.
    """

    def __init__(
        self,
        mission_dir: Path,
        *,
        clock: Clock = utc_now,
        id_factory: IdFactory | None = None,
        lock_timeout: float = 60.0,
        lock_path: Path | None = None,
        write_view: bool = True,
        read_only: bool = False,
    ) -> None:
        self.mission_dir = Path(mission_dir)
        self.log = EventLog(self.mission_dir, lock_timeout=lock_timeout, lock_path=lock_path)
        self._view = LiveView(self.mission_dir, log=self.log)
        self._clock = clock
        self._id_factory = id_factory
        self._write_view = write_view
        self.read_only = read_only

    @classmethod
    def open(cls, mission_dir: Path | str, **options: Any) -> MissionStatus:
        """Open the status of ``mission_dir``. Raises if the directory does not exist."""
        path = Path(mission_dir)
        if not path.is_dir():
            raise MissionStatusError(
                f"mission directory not found: {path}",
                next_step="pass an existing kitty-specs/<mission> directory",
                code="MISSION_DIR_NOT_FOUND",
            )
        return cls(path, **options)

    # -- reads ---------------------------------------------------------------

    def snapshot(self) -> StatusSnapshot:
        """The current reduced state (what ``status.json`` should say)."""
        return self._view.snapshot()

    def lanes(self) -> dict[str, Lane]:
        """Each WP's current lane."""
        return {wp_id: state.lane for wp_id, state in self.snapshot().work_packages.items()}

    def wp(self, wp_id: str) -> WPState:
        """One WP's state. Raises :class:`WorkPackageNotFoundError`."""
        snapshot = self.snapshot()
        state = snapshot.work_packages.get(wp_id)
        if state is None:
            known = ", ".join(sorted(snapshot.work_packages)) or "none"
            raise WorkPackageNotFoundError(
                f"{self.mission_dir.name} has no work package {wp_id!r} (known: {known})",
                next_step="check the WP id, or run "
                f"`spec-kitty finalize-tasks --mission {self.mission_dir.name}` to seed the WPs",
            )
        return state

    def history(self, wp_id: str) -> list[StatusEvent | Annotation]:
        """Every transition and annotation of ``wp_id``, in reducer order."""
        seen: set[str] = set()
        rows: list[StatusEvent | Annotation] = []
        for record in self.log.scan():
            if isinstance(record, StatusEvent) and record.wp_id == wp_id:
                if record.event_id not in seen:
                    seen.add(record.event_id)
                    rows.append(record)
            elif isinstance(record, Annotation) and record.wp_id == wp_id:
                rows.append(record)
        return sorted(rows, key=lambda row: (row.at, row.event_id))

    def progress(self) -> Progress:
        return progress(self.snapshot())

    def files(self) -> list[Path]:
        """The tracked files this status owns that exist: the event log, then ``status.json``.

        What a caller commits after a write.
        """
        candidates = (self.log.path, self.mission_dir / STATUS_FILENAME)
        return [path for path in candidates if path.is_file()]

    # -- writes --------------------------------------------------------------

    @contextmanager
    def batch(self) -> Iterator[StatusBatch]:
        """One atomic status write: every row the body makes is appended in a single write.

        The mission's lock is held for the whole block, so ``batch.snapshot`` is
        the current state and no other writer can interleave. Each
        :meth:`StatusBatch.transition` is checked against the lane the earlier
        rows of the batch left. Nothing is written when the body raises; after
        a crash the log holds all of the batch's rows or none of them.
        """
        self._refuse_if_read_only()
        with self.log.lock():
            batch = StatusBatch(self, self.snapshot())
            yield batch
            if batch.rows:
                self.log.append(*batch.rows)
                self._refresh_view()

    def transition(
        self,
        wp_id: str,
        to: Lane | str,
        *,
        actor: ActorField,
        reason: str | None = None,
        force: bool = False,
        evidence: Evidence | None = None,
        review_ref: str | None = None,
        review_result: ReviewResult | None = None,
        execution_mode: str = "worktree",
        policy_metadata: dict[str, Any] | None = None,
    ) -> StatusEvent:
        """Move ``wp_id`` to lane ``to`` and return the appended event.

        A WP not yet in the log starts from ``genesis``. Raises
        :class:`TransitionError`/:class:`GuardError` when the FSM refuses;
        nothing is written then.
        """
        with self.batch() as batch:
            return batch.transition(
                wp_id,
                to,
                actor=actor,
                reason=reason,
                force=force,
                evidence=evidence,
                review_ref=review_ref,
                review_result=review_result,
                execution_mode=execution_mode,
                policy_metadata=policy_metadata,
            )

    def annotate(
        self, wp_id: str, *, actor: ActorField, delta: AnnotationDelta | None = None, **slots: Any
    ) -> Annotation:
        """Record a runtime-slot change (agent, subtasks, note, ...) for ``wp_id``.

        Give either ``delta`` or its fields as keywords (``note="..."``).
        """
        with self.batch() as batch:
            return batch.annotate(wp_id, actor=actor, delta=delta, **slots)

    def materialize(self) -> MaterializeResult:
        """Write ``status.json`` now (raises during a git operation)."""
        self._refuse_if_read_only()
        return materialize(self.mission_dir)

    def _refuse_if_read_only(self) -> None:
        if self.read_only:
            raise MissionStatusError(
                f"the status of {self.mission_dir.name} was opened for reading",
                next_step="write through the owner of the write path "
                "(mission_context.StatusWrite in spec-kitty)",
                code="STATUS_READ_ONLY",
            )

    # -- internals -----------------------------------------------------------

    def _new_stamp(self) -> tuple[str, str]:
        """A timestamp and id from the clock and the id factory (ordered by the batch)."""
        now = self._clock()
        return isoformat(now), self._id_factory() if self._id_factory else new_ulid(now)

    def _refresh_view(self) -> None:
        """Refresh status.json after a write (under the lock); deferred during git operations."""
        if self._write_view and git_operation_marker(self.mission_dir) is None:
            write_view(self.mission_dir, self._view.snapshot(), self.log)


class StatusBatch:
    """The rows of one :meth:`MissionStatus.batch`, checked as they are made.

    ``snapshot`` is the state when the batch began; :meth:`lane` follows the
    rows made since. Rows are stamped in order, after everything in the log.
    """

    def __init__(self, status: MissionStatus, snapshot: StatusSnapshot) -> None:
        self.status = status
        self.snapshot = snapshot
        self.rows: list[StatusEvent | Annotation] = []
        self._lanes: dict[str, Lane] = {}
        self._last: tuple[str, str] | None = (
            (snapshot.materialized_at, snapshot.last_event_id)
            if snapshot.last_event_id is not None
            else None
        )

    def lane(self, wp_id: str) -> Lane | None:
        """``wp_id``'s lane with this batch's rows applied (None for a WP never seeded)."""
        if wp_id in self._lanes:
            return self._lanes[wp_id]
        state = self.snapshot.work_packages.get(wp_id)
        return state.lane if state is not None else None

    def transition(
        self,
        wp_id: str,
        to: Lane | str,
        *,
        actor: ActorField,
        reason: str | None = None,
        force: bool = False,
        evidence: Evidence | None = None,
        review_ref: str | None = None,
        review_result: ReviewResult | None = None,
        execution_mode: str = "worktree",
        policy_metadata: dict[str, Any] | None = None,
    ) -> StatusEvent:
        """Add a move of ``wp_id`` to ``to`` (see :meth:`MissionStatus.transition`)."""
        to_lane = to if isinstance(to, Lane) else parse_lane(to)
        actor_name = actor if isinstance(actor, str) else actor.identity
        from_lane = self.lane(wp_id) or Lane.GENESIS
        check_transition(
            wp_id,
            from_lane,
            to_lane,
            actor=actor_name,
            reason=reason,
            force=force,
            evidence=evidence,
            review_ref=review_ref,
            review_result=review_result,
        )
        at, event_id = self._stamp()
        meta = read_meta(self.status.mission_dir) or {}
        mission_id = meta.get("mission_id")
        event = StatusEvent(
            event_id=event_id,
            mission_slug=self.status.mission_dir.resolve().name,
            wp_id=wp_id,
            from_lane=from_lane,
            to_lane=to_lane,
            at=at,
            actor=actor,
            force=force,
            execution_mode=execution_mode,
            reason=reason,
            review_ref=review_ref,
            evidence=evidence,
            review_result=review_result,
            policy_metadata=policy_metadata,
            mission_id=mission_id if isinstance(mission_id, str) else None,
        )
        self.rows.append(event)
        self._lanes[wp_id] = to_lane
        return event

    def annotate(
        self, wp_id: str, *, actor: ActorField, delta: AnnotationDelta | None = None, **slots: Any
    ) -> Annotation:
        """Add a runtime-slot change (see :meth:`MissionStatus.annotate`)."""
        unknown = sorted(set(slots) - set(AnnotationDelta.__struct_fields__))
        if unknown:
            raise MissionStatusError(
                f"invalid annotation for {wp_id}: unknown slot(s) {', '.join(unknown)}",
                next_step="known slots: " + ", ".join(AnnotationDelta.__struct_fields__),
                code="INVALID_ANNOTATION",
            )
        try:  # validated (and lane names converted) whichever way it was given
            change = msgspec.convert(
                msgspec.to_builtins(delta) if delta is not None else slots, AnnotationDelta
            )
        except msgspec.ValidationError as exc:
            raise MissionStatusError(
                f"invalid annotation for {wp_id}: {exc}",
                next_step="pass only known slots (agent, note, subtasks={'T001': 'done'}, ...)",
                code="INVALID_ANNOTATION",
            ) from None
        at, event_id = self._stamp()
        annotation = Annotation(event_id=event_id, wp_id=wp_id, at=at, actor=actor, delta=change)
        self.rows.append(annotation)
        return annotation

    def _stamp(self) -> tuple[str, str]:
        """A timestamp and id that sort after the log and after this batch's earlier rows.

        The reducer orders by (at, event_id) as strings, so a clock that lags
        another writer's must not make a new event lose to an older one.
        """
        at, event_id = self.status._new_stamp()
        if self._last is not None and (at, event_id) <= self._last:
            at, event_id = self._last[0], next_ulid_after(self._last[1])
        self._last = (at, event_id)
        return at, event_id
