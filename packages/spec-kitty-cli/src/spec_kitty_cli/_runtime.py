"""What every mission command shares: resolve once, write status through one writer, commit.

Status writes go through :class:`mission_context.StatusWrite`: under the mission's
lock it appends a command's rows to the log of the branch that holds the status
(wherever that branch is checked out, or its commit), recomputes ``status.json``
and commits both there, so no command leaves tracked status files modified
behind it and the committed view always matches the committed log.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mission_context import (
    CommitResult,
    MissionExecutionContext,
    StatusWrite,
    commit_to,
    resolve_action_context,
)
from mission_status import MissionStatusError
from spec_kitty_cli._errors import CliError

if TYPE_CHECKING:
    from rich.console import Console


def console() -> Console:
    """A console for people: no guessing at syntax highlighting, long paths never split."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def warn(message: str) -> None:
    """One warning line on stderr (stdout stays one JSON document with ``--json``)."""
    from rich.console import Console
    from rich.text import Text

    line = " ".join(f"warning: {message}".splitlines())
    Console(stderr=True, highlight=False, soft_wrap=True).print(Text(line, style="yellow"))


def check_action(command: str, action: str, allowed: tuple[str, ...]) -> None:
    """``INVALID_ARGUMENTS`` (exit 2) unless ``action`` is one of ``allowed``."""
    if action not in allowed:
        raise CliError(
            f"unknown {command} action {action!r}",
            code="INVALID_ARGUMENTS",
            next_step=f"use one of: {', '.join(allowed)}",
        )


def repository_root(cwd: Path, *, common: bool = False) -> Path:
    """The primary checkout of the repository holding ``cwd`` (``NOT_A_REPOSITORY`` outside).

    With ``common``, its common git dir instead.
    """
    from mission_context import git_dirs_of

    dirs = git_dirs_of(Path(cwd), next_step="run the command from your project's checkout")
    return dirs.common_dir if common else dirs.primary_root


def resolve(
    cwd: Path, action: str, mission: str | None, wp: str | None = None, *, sole: bool = False
) -> MissionExecutionContext:
    """The one context of this command; ``--mission`` is required (with ``sole``, a
    repository's only mission is meant when none is named, as 3.x finds it)."""
    if mission is None and sole:
        mission = only_mission(cwd)
    if mission is None:
        raise CliError(
            f"{action} needs a mission",
            code="FEATURE_CONTEXT_UNRESOLVED",
            next_step="pass --mission <handle>; `spec-kitty status` lists the missions",
        )
    return resolve_action_context(cwd=cwd, action=action, mission=mission, wp=wp)


def only_mission(cwd: Path) -> str | None:
    """The repository's mission when it has exactly one (None otherwise, or outside one)."""
    from mission_context import list_missions

    try:
        missions = list_missions(cwd=cwd)
    except MissionStatusError:
        return None  # not a repository: the command says so
    return missions[0] if len(missions) == 1 else None


def finish_write(ctx: MissionExecutionContext, write: StatusWrite) -> dict[str, Any]:
    """After a status write: hand its transitions to sync, and say what was committed.

    Returns ``{"commit": sha | None, "warning": str | None}`` for reports. A write
    whose rows are recorded but could not be committed yet warns on stderr.
    """
    if write.warning:
        warn(write.warning)
    queue_for_sync(ctx)
    return {"commit": write.commit, "warning": write.warning}


def queue_for_sync(ctx: MissionExecutionContext) -> None:
    """Hand the mission's transitions to the sync outbox when the project enables sync.

    The outbox keeps each event id once, so handing it the whole log is safe (and
    catches rows an interrupted command recorded). A sync problem never undoes a
    recorded transition: it is a warning.
    """
    from mission_status import StatusEvent

    from ._sync import queue_events

    def transitions() -> list[StatusEvent]:
        return [row for row in ctx.status().log.scan() if isinstance(row, StatusEvent)]

    try:
        queue_events(ctx, transitions)
    except (MissionStatusError, OSError, ValueError) as err:
        warn(f"not queued for sync: {err}")


def commit_files(
    ctx: MissionExecutionContext, paths: Iterable[Path], message: str
) -> CommitResult | None:
    """Commit planning files to the placement ref (the target branch)."""
    return commit_to(
        ctx.artifact_placement.placement_ref,
        list(paths),
        message,
        cwd=ctx.workspace.primary_root,
    )
