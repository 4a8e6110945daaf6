"""The bulk read behind every reduce: one msgspec pass over a block of log lines.

The exact reader (``_log.decode_row``) classifies and decodes one line at a
time. That is right but slow: every line is parsed twice (once to see what
kind of row it is, once typed) and costs several Python calls. A reduce does
not need the rows in file order as public types, only the transitions and the
annotations, each in file order. So here a whole block is decoded in one
``decode_lines`` call into :class:`_Row`, a struct with the fields of every
row kind, and split into groups with C-level ``map``/``compress``.

The result must be exactly what the exact reader gives, so this path only
*accepts* a block it can prove equivalent and returns None for anything else
(the caller then uses the exact reader, which also reports errors with their
line numbers). It gives up on: a block that is not one JSON object per line,
invalid UTF-8, any value of the wrong type, a missing required field, a row of
any kind other than a plain transition, an annotation or an ignored foreign
row, or a falsy-but-not-null ``evidence`` (the exact reader's special cases).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import attrgetter, contains
from typing import Any, Protocol, cast

import msgspec

from ._events import Actor, ActorField, AnnotationDelta, Evidence, ReviewResult
from ._lanes import Lane

ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
RETROSPECTIVE_TYPES = frozenset(
    {"RetrospectiveCaptured", "RetrospectiveCaptureFailed", "RetrospectiveSkipped"}
)


class Transition(Protocol):
    """What the reducer reads from a lane transition (a ``StatusEvent`` or a bulk row)."""

    @property
    def event_id(self) -> str: ...
    @property
    def mission_slug(self) -> str | None: ...
    @property
    def wp_id(self) -> str: ...
    @property
    def from_lane(self) -> Lane: ...
    @property
    def to_lane(self) -> Lane: ...
    @property
    def at(self) -> str: ...
    @property
    def actor(self) -> ActorField: ...
    @property
    def force(self) -> bool: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def review_ref(self) -> str | None: ...
    @property
    def review_result(self) -> ReviewResult | None: ...
    @property
    def policy_metadata(self) -> dict[str, Any] | None: ...
    @property
    def reason_source(self) -> str | None: ...


class AnnotationRow(Protocol):
    """What the reducer reads from an annotation (an ``Annotation`` or a bulk row)."""

    @property
    def event_id(self) -> str: ...
    @property
    def wp_id(self) -> str: ...
    @property
    def at(self) -> str: ...
    @property
    def actor(self) -> ActorField: ...
    @property
    def delta(self) -> AnnotationDelta: ...


@dataclass(slots=True)
class RecordGroups:
    """A block's rows by kind, each in file order (all a reduce needs).

    ``retrospective`` holds the raw ``retrospective.*`` rows; other foreign
    rows feed nothing and are dropped. ``lines`` counts the block's lines when
    it was decoded here (the caller's line numbering needs it).
    """

    transitions: Sequence[Transition] = ()
    annotations: Sequence[AnnotationRow] = ()
    retrospective: list[dict[str, Any]] = field(default_factory=list)
    lines: int = 0


_UNSET: Any = msgspec.UNSET


# Decoded rows never form reference cycles, so the garbage collector need not
# track them (that would cost a collection every few hundred rows).
class _Row(msgspec.Struct, gc=False):
    """Every field any row kind has; absent ones stay UNSET. Mutable: actors are fixed up."""

    event_id: str = _UNSET
    wp_id: str | None = _UNSET
    at: str = _UNSET
    actor: Any = _UNSET  # str, or an object checked against Actor below
    mission_slug: str | None = None
    from_lane: Lane = _UNSET
    to_lane: Lane = _UNSET
    force: bool = _UNSET
    execution_mode: str = _UNSET
    reason: str | None = None
    review_ref: str | None = None
    evidence: Evidence | None = None
    review_result: ReviewResult | None = None
    policy_metadata: dict[str, Any] | None = None
    mission_id: str | None = None
    reason_source: str | None = None
    delta: AnnotationDelta = _UNSET
    # The keys that decide a row's kind (see _log.classify).
    kind: Any = _UNSET
    event_type: Any = _UNSET
    type: Any = _UNSET
    event_name: Any = _UNSET
    feature_slug: Any = _UNSET


_ROWS = msgspec.json.Decoder(_Row)
_MARKERS = attrgetter("kind", "event_type", "type", "event_name", "feature_slug")
_PLAIN = (_UNSET, _UNSET, _UNSET, _UNSET, _UNSET)
_ANNOTATION = ("annotation", _UNSET, _UNSET, _UNSET, _UNSET)
_TRANSITION_FIELDS = attrgetter(
    "event_id", "wp_id", "at", "actor", "from_lane", "to_lane", "force", "execution_mode"
)
_ANNOTATION_FIELDS = attrgetter("event_id", "wp_id", "at", "actor", "delta")
_WP_ID = attrgetter("wp_id")
_EVENT_ID = attrgetter("event_id")
_ACTOR = attrgetter("actor")


def decode_block(block: bytes) -> RecordGroups | None:
    """The groups of a block of complete lines, or None if the exact reader must decide."""
    lines = block.count(b"\n")
    # One object per line: each line starts with "{" and ends with "}". A line
    # break inside an object would need a line ending in "}" followed by one
    # starting with "{" within the object, which is not JSON.
    if (
        not lines
        or not block.startswith(b"{")
        or not block.endswith(b"}\n")
        or block.count(b"}\n{") != lines - 1
    ):
        return None
    if not block.isascii():  # msgspec does not check the bytes of keys it skips
        try:
            block.decode("utf-8")
        except UnicodeDecodeError:
            return None
    try:
        rows = _ROWS.decode_lines(block)
    except msgspec.DecodeError:  # includes ValidationError
        return None
    if len(rows) != lines:  # "{...} {...}" on one line
        return None
    markers = list(map(_MARKERS, rows))
    plain = list(map(_PLAIN.__eq__, markers))
    transitions = list(compress(rows, plain))
    annotations: list[_Row] = []
    if len(transitions) != lines:
        notes = list(map(_ANNOTATION.__eq__, markers))
        annotations = list(compress(rows, notes))
        if len(transitions) + len(annotations) != lines:
            others = [m for m, p, n in zip(markers, plain, notes, strict=True) if not (p or n)]
            if not all(map(_ignored, others)):
                return None
    if not (
        _complete(transitions, _TRANSITION_FIELDS) and _complete(annotations, _ANNOTATION_FIELDS)
    ):
        return None
    if not all(map(ULID.match, map(_EVENT_ID, annotations))):
        return None
    if not (_actors_valid(transitions) and _actors_valid(annotations)):
        return None
    # Checked above: every required field is present and typed.
    return RecordGroups(
        transitions=cast("list[Transition]", transitions),
        annotations=cast("list[AnnotationRow]", annotations),
        lines=lines,
    )


def _ignored(markers: tuple[Any, ...]) -> bool:
    """A foreign row the reducer ignores (``retrospective.*`` rows are not: they feed it)."""
    kind, event_type, row_type, event_name, _ = markers
    if kind is not _UNSET and kind is not None:
        return False
    if isinstance(event_name, str) and event_name.startswith("retrospective."):
        return False
    return event_type is not _UNSET or (
        isinstance(row_type, str) and row_type in RETROSPECTIVE_TYPES
    )


def _complete(rows: list[_Row], required: attrgetter[Any]) -> bool:
    if any(map(contains, map(required, rows), repeat(_UNSET))):
        return False
    return None not in map(_WP_ID, rows)


def _actors_valid(rows: list[_Row]) -> bool:
    """Every actor is a string or a valid structured :class:`Actor` (converted in place)."""
    if set(map(type, map(_ACTOR, rows))) <= {str}:
        return True
    for row in rows:
        if type(row.actor) is not str:
            try:
                row.actor = msgspec.convert(row.actor, Actor)
            except msgspec.ValidationError:
                return False
    return True
