"""The one next action of a mission, decided from its state alone.

:func:`decide` is pure: a :class:`MissionState` (which artifacts are written, whether the
analysis is current, each work package's lane, dependencies and last review) and the
asking agent in, a :class:`Decision` out. The phase is the furthest one the state shows
evidence of (seeded work packages beat a template spec), so the answer never jumps back
to an earlier step because an earlier file looks unfinished.
"""

from __future__ import annotations

import msgspec

from mission_status import Lane

#: The planning artifacts, in the order they are written.
ARTIFACTS = ("spec", "plan", "tasks")
WRITTEN, TEMPLATE, MISSING = "written", "template", "missing"

_DELIVERED = frozenset({Lane.APPROVED, Lane.DONE})
_FINISHED = frozenset({Lane.APPROVED, Lane.DONE, Lane.CANCELED})
_HELD = frozenset({Lane.CLAIMED, Lane.IN_PROGRESS})


class WorkItem(msgspec.Struct, frozen=True):
    """One work package as ``next`` sees it."""

    wp_id: str
    lane: Lane
    actor: str
    dependencies: tuple[str, ...] = ()
    #: Its last review requested changes (the feedback goes into the brief).
    rejected: bool = False
    #: Why it is blocked, when it is.
    reason: str | None = None


class MissionState(msgspec.Struct, frozen=True):
    """What the decision depends on, and nothing else."""

    artifacts: dict[str, str]
    #: ``missing``, ``stale`` or ``current``.
    analysis: str
    #: Empty until ``finalize-tasks`` seeded the work packages.
    work: tuple[WorkItem, ...] = ()
    merging: bool = False
    accepted: bool = False


class Decision(msgspec.Struct, frozen=True):
    """The next action: ``action`` (see :data:`ACTIONS`), why, and the WP it is about."""

    action: str
    reason: str
    wp_id: str | None = None


#: Every action ``next`` can give, in lifecycle order.
ACTIONS = (
    "specify",
    "write_spec",
    "write_plan",
    "write_tasks",
    "analyze",
    "finalize",
    "implement",
    "address_feedback",
    "review",
    "merge",
    "accept",
    "wait",
    "blocked",
    "done",
)
#: Actions that leave nothing for the asker to do now.
IDLE = frozenset({"wait", "blocked", "done"})


def decide(state: MissionState, agent: str | None) -> Decision:
    """The next action on a mission in ``state`` for ``agent`` (None: anyone)."""
    if state.work:
        return _implementation(state, agent)
    written = [name for name in ARTIFACTS if state.artifacts.get(name) == WRITTEN]
    furthest = ARTIFACTS.index(written[-1]) if written else -1
    if furthest < ARTIFACTS.index("tasks"):
        step = ARTIFACTS[furthest + 1]
        have = state.artifacts.get(step, MISSING)
        why = "is missing" if have == MISSING else "is still the template"
        return Decision(f"write_{step}", f"{step}.md {why}")
    if state.analysis != "current":
        why = "no analysis is recorded" if state.analysis == MISSING else "the analysis is stale"
        return Decision("analyze", f"tasks.md is written; {why}")
    return Decision("finalize", "spec, plan and tasks are written and analysed")


def _implementation(state: MissionState, agent: str | None) -> Decision:
    work = sorted(state.work, key=lambda item: item.wp_id)
    lanes = {item.wp_id: item.lane for item in work}
    if state.merging:
        return Decision("merge", "a merge is under way: resume it")
    if all(item.lane in _FINISHED for item in work):
        if any(item.lane is Lane.APPROVED for item in work):
            return Decision("merge", "every work package is approved")
        if state.accepted:
            return Decision("done", "the mission is merged and accepted")
        return Decision("accept", "every work package is done")
    if agent:
        for item in work:
            if item.lane in _HELD and item.actor == agent:
                action = "address_feedback" if item.rejected else "implement"
                return Decision(action, f"you have {item.wp_id} {item.lane.value}", item.wp_id)
    for item in work:
        if item.lane is Lane.FOR_REVIEW or (
            item.lane is Lane.IN_REVIEW and agent and item.actor == agent
        ):
            return Decision("review", f"{item.wp_id} is {item.lane.value}", item.wp_id)
    ready = [
        item
        for item in work
        if item.lane is Lane.PLANNED and all(lanes.get(d) in _DELIVERED for d in item.dependencies)
    ]
    for item in ready:
        if item.rejected:
            return Decision(
                "address_feedback", f"{item.wp_id}'s review requested changes", item.wp_id
            )
    if ready:
        item = ready[0]
        why = "its dependencies are approved" if item.dependencies else "it depends on nothing"
        return Decision("implement", f"{item.wp_id} is planned and {why}", item.wp_id)
    return _idle(work, lanes)


def _idle(work: list[WorkItem], lanes: dict[str, Lane]) -> Decision:
    """Nothing to do now: waiting on someone (``wait``) or on a block (``blocked``)."""
    busy = [
        f"{item.wp_id} is {item.lane.value} by {item.actor or 'someone'}"
        for item in work
        if item.lane in _HELD or item.lane is Lane.IN_REVIEW
    ]
    stuck = [
        f"{item.wp_id} is blocked" + (f": {item.reason}" if item.reason else "")
        for item in work
        if item.lane is Lane.BLOCKED
    ]
    waiting = [
        f"{item.wp_id} waits on "
        + ", ".join(
            f"{d} ({lanes[d].value if d in lanes else 'unknown'})"
            for d in item.dependencies
            if lanes.get(d) not in _DELIVERED
        )
        for item in work
        if item.lane is Lane.PLANNED
    ]
    if busy:
        return Decision("wait", "; ".join(busy + stuck + waiting))
    return Decision("blocked", "; ".join(stuck + waiting) or "no work package can move")
