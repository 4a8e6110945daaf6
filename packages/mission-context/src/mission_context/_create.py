"""Creating a mission: its directory, ``meta.json`` and ``spec.md``, committed to the target.

The directory is ``kitty-specs/<human slug>-<mid8>`` in the primary checkout;
``meta.json`` is written as spec-kitty writes it (keys sorted, indent 2, one
trailing newline). Coord topologies also get their coordination branch,
``kitty/mission-<dir>``, started at the commit that created the mission.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec

from mission_status import META_FILENAME, isoformat, new_ulid

from ._commit import CommitResult, commit_to
from ._context import SPECS_DIRNAME, CommitTarget, git_dirs_of, mission_branch_of
from ._errors import ContextError
from ._git import Git
from ._meta import MissionMeta, Topology
from ._refs import Refs

SPEC_FILENAME = "spec.md"
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_MAX_SLUG = 60

_SPEC_TEMPLATE = """# {name}

## Problem

What is wrong or missing today, and for whom.

## User scenarios

1. As a ..., I want ... so that ...

## Requirements

- FR-001: ...

## Success criteria

- SC-001: ...
"""


class CreatedMission(msgspec.Struct, frozen=True):
    """A mission made by :func:`create_mission`; ``commit`` is None if nothing was new."""

    meta: MissionMeta
    mission_dir: Path
    commit: CommitResult | None


def human_slug(name: str) -> str:
    """``"Context unification!"`` -> ``"context-unification"`` (at most 60 characters).

    Accented letters lose their accents (``Ünïcode`` -> ``unicode``).
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_name.lower()).strip("-")
    return slug[:_MAX_SLUG].rstrip("-")


def create_mission(
    *,
    cwd: Path | str,
    name: str,
    topology: Topology | str = Topology.SINGLE_BRANCH,
    target_branch: str | None = None,
    mission_type: str = "software-dev",
    spec_text: str | None = None,
    now: datetime | None = None,
    env: Mapping[str, str] | None = None,
) -> CreatedMission:
    """Create the mission ``name`` in the repository of ``cwd`` and commit it to its target.

    ``target_branch`` defaults to the branch the primary checkout has out; ``spec_text``
    is the first ``spec.md`` (default: a short template headed by the name).
    Raises :class:`ContextError`: ``INVALID_MISSION_NAME``, ``INVALID_TOPOLOGY``,
    ``NOT_A_REPOSITORY``, ``TARGET_BRANCH_UNRESOLVED``, ``TARGET_BRANCH_NOT_FOUND``.
    """
    slug = human_slug(name)
    if not slug:
        raise ContextError(
            f"{name!r} has no letters or digits to make a mission name from",
            code="INVALID_MISSION_NAME",
            next_step='name the mission in words, e.g. `spec-kitty specify "Checkout flow"`',
        )
    try:
        shape = Topology(topology)
    except ValueError:
        known = ", ".join(t.value for t in Topology)
        raise ContextError(
            f"unknown topology {topology!r} (known: {known})",
            code="INVALID_TOPOLOGY",
            next_step="pick one of the known topologies",
        ) from None
    dirs = git_dirs_of(
        Path(os.path.abspath(cwd)), next_step="run `git init` and `spec-kitty init` first"
    )
    primary = dirs.primary_root
    target = _target_branch(Refs(primary, dirs.common_dir, env), target_branch)
    moment = now or datetime.now(UTC)
    mission_id, mission_dir = _claim_directory(primary / SPECS_DIRNAME, slug, moment)
    dir_name = mission_dir.name
    meta: dict[str, object] = {
        "created_at": isoformat(moment),
        "flattened": not shape.uses_coordination,
        "friendly_name": name.strip(),
        "mission_id": mission_id,
        "mission_number": None,
        "mission_slug": dir_name,
        "mission_type": mission_type,
        "slug": dir_name,
        "target_branch": target,
        "topology": shape.value,
    }
    if shape.uses_coordination:
        meta["coordination_branch"] = mission_branch_of(dir_name)
    meta_path = mission_dir / META_FILENAME
    spec_path = mission_dir / SPEC_FILENAME
    try:
        meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        if spec_text is None:
            spec_text = _SPEC_TEMPLATE.format(name=name.strip())
        spec_path.write_text(spec_text, encoding="utf-8")
        commit = commit_to(
            CommitTarget(target, "target"), [meta_path, spec_path], f"specify: {dir_name}", env=env
        )
    except BaseException:
        import shutil

        shutil.rmtree(mission_dir, ignore_errors=True)  # nothing half-made stays behind
        raise
    if shape.uses_coordination:
        Git(primary, env).run("branch", mission_branch_of(dir_name), f"refs/heads/{target}")
    return CreatedMission(meta=MissionMeta.read(meta_path), mission_dir=mission_dir, commit=commit)


def _claim_directory(specs: Path, slug: str, moment: datetime) -> tuple[str, Path]:
    """A new mission id and its directory, created (so a racing process cannot take it).

    mid8 is the top of the id's timestamp, so two missions made within the same 256 ms
    would share it (and, of one name, one directory): a mid8 printed as ``--mission``
    would then be ambiguous. The id's time is moved on by 256 ms until both the mid8 and
    the name are free (``created_at`` keeps the real time).
    """
    specs.mkdir(parents=True, exist_ok=True)
    for step in range(64):
        mission_id = new_ulid(moment + timedelta(milliseconds=256 * step))
        if any(specs.glob(f"*-{mission_id[:8]}")):
            continue  # another mission has this mid8
        mission_dir = specs / f"{slug}-{mission_id[:8]}"
        try:
            mission_dir.mkdir()
        except FileExistsError:
            continue
        return mission_id, mission_dir
    raise ContextError(
        f"64 missions were created around this time: no free mission id for {slug!r}",
        code="MISSION_EXISTS",
        next_step="pick another name for the mission",
    )


def _target_branch(refs: Refs, wanted: str | None) -> str:
    primary_head = refs.worktrees()[0].branch
    if wanted is None:
        if primary_head is None:
            raise ContextError(
                f"{refs.primary_root} has a detached HEAD: no branch to target",
                code="TARGET_BRANCH_UNRESOLVED",
                next_step="pass --target-branch, or check out the branch missions land on",
            )
        return primary_head
    # An unborn branch (a fresh `git init`) is fine when it is the one checked out.
    if wanted != primary_head and not refs.branch_exists(wanted):
        raise ContextError(
            f"target branch {wanted!r} does not exist",
            code="TARGET_BRANCH_NOT_FOUND",
            next_step=f"create it (`git branch {wanted}`) or pass another --target-branch",
        )
    return wanted
