"""Progress of a mission: done share and lane-weighted readiness."""

from __future__ import annotations

import msgspec

from ._lanes import LANE_WEIGHTS, Lane
from ._snapshot import StatusSnapshot


class Progress(msgspec.Struct, frozen=True, kw_only=True):
    """Weighted % = mean lane weight x 100; done % = done / total x 100."""

    total: int
    done: int
    weighted_percentage: float
    done_percentage: float
    per_lane: dict[str, int]


def progress(snapshot: StatusSnapshot) -> Progress:
    """The progress figures of ``snapshot`` (rounded to 4 decimals, as spec-kitty prints them)."""
    states = snapshot.work_packages.values()
    total = len(states)
    per_lane: dict[str, int] = {}
    weight = 0.0
    for state in states:
        per_lane[state.lane.value] = per_lane.get(state.lane.value, 0) + 1
        weight += LANE_WEIGHTS[state.lane]
    done = per_lane.get(Lane.DONE.value, 0)
    return Progress(
        total=total,
        done=done,
        weighted_percentage=round(weight / total * 100.0, 4) if total else 0.0,
        done_percentage=round(done / total * 100.0, 4) if total else 0.0,
        per_lane=per_lane,
    )
