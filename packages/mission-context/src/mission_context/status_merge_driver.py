"""Git merge driver for ``status.json``, run as ``python -m mission_context.status_merge_driver``.

Git passes ``%O %A %B %P`` (base, ours, theirs, the path).

``status.json`` is the reduction of the event log beside it, so the right merge
of two versions is the view of the merged log, never a line merge of two views
(which conflicts on every pair of concurrent transitions). The driver finds the
commits git is merging (ours is ``HEAD``; theirs is named by ``GITHEAD_<sha>``
during a merge, by the last line of ``rebase-merge/done`` during a rebase, or by
``MERGE_HEAD``/``CHERRY_PICK_HEAD``/``REVERT_HEAD``), checks that each holds
exactly the ``status.json`` git handed over, unions their logs as the event-log
driver does, and writes the view of the union into ``%A``.

When the commits cannot be told (an ``am``-based rebase, ``stash apply``), the
three views are merged work package by work package instead: the side that
changed a WP wins, and when both did, the later transition. The next status
write recomputes the file from the log either way. Exit 0 when merged, 1 when a
side is not a status.json at all (git then reports a conflict), 2 on bad usage.

Register it with (``spec-kitty init`` and every status write do)::

    git config merge.spec-kitty-status.driver \\
        "python -m mission_context.status_merge_driver %O %A %B %P"
    echo 'kitty-specs/**/status.json merge=spec-kitty-status' >> .gitattributes
"""

from __future__ import annotations

import os
import posixpath
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import msgspec

from mission_status import (
    DISPLAY_LANES,
    LOG_FILENAME,
    MissionStatusError,
    StatusSnapshot,
    WPState,
    find_git_dirs,
    materialize_snapshot,
    merge_logs,
    render_status_json,
    write_atomic,
)

from ._git import Git, GitError

_PICKS = frozenset({"pick", "p", "reword", "r", "edit", "e", "squash", "s", "fixup", "f"})


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 4:
        print(
            "usage: python -m mission_context.status_merge_driver BASE OURS THEIRS PATH "
            "(git passes %O %A %B %P)",
            file=sys.stderr,
        )
        return 2
    base, ours, theirs = (Path(arg) for arg in args[:3])
    try:
        sides = [path.read_bytes() if path.exists() else b"" for path in (base, ours, theirs)]
    except OSError as exc:
        print(f"STATUS_MERGE_FAILED: {exc}; next: resolve the file by hand", file=sys.stderr)
        return 2
    merged = merged_view(Path.cwd(), args[3], *sides, env=os.environ)
    if merged is None:
        print(
            f"STATUS_MERGE_CONFLICT: {args[3]} is not a status view on every side; next: "
            f"take one side (`git checkout --ours -- {args[3]}`) and `git add` it; the next "
            "status write recomputes it from the event log",
            file=sys.stderr,
        )
        return 1
    write_atomic(ours, merged)
    return 0


def merged_view(
    checkout: Path,
    path: str,
    base: bytes,
    ours: bytes,
    theirs: bytes,
    *,
    env: Mapping[str, str],
) -> bytes | None:
    """The ``status.json`` for the merge of ``ours`` and ``theirs`` (None: not views)."""
    exact = _from_merged_log(checkout, path, (base, ours, theirs), env)
    return exact if exact is not None else _from_views(base, ours, theirs)


# -- the exact way: the view of the merged log ---------------------------------------------


def _from_merged_log(
    checkout: Path, path: str, sides: tuple[bytes, bytes, bytes], env: Mapping[str, str]
) -> bytes | None:
    base, ours, theirs = sides
    try:
        dirs = find_git_dirs(checkout)
    except MissionStatusError:  # a broken pointer only means "not the exact way"
        return None
    if dirs is None:
        return None
    git = Git(checkout)
    try:
        ours_commit = _holding(git, ["HEAD"], path, ours)
        theirs_commit = _holding(git, _their_candidates(dirs.git_dir, env), path, theirs)
        if ours_commit is None or theirs_commit is None:
            return None
        found = git.run("merge-base", "--all", ours_commit, theirs_commit, ok_codes=(0, 1))
        base_commit = _holding(git, [f"{theirs_commit}^1", *found.stdout.split()], path, base)
        if base_commit is None:
            return None
        log = posixpath.join(posixpath.dirname(path), LOG_FILENAME)
        logs = git.blobs(
            [f"{commit}:{log}" for commit in (base_commit, ours_commit, theirs_commit)]
        )
    except GitError:
        return None
    union = merge_logs(*(data or b"" for data in logs)).data
    try:
        views = [msgspec.json.decode(side, type=StatusSnapshot) if side else None for side in sides]
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    snapshot = _reduce(union, posixpath.basename(posixpath.dirname(path)))
    if snapshot is None:
        return None
    number = _merged_field([view.mission_number if view else "" for view in views])
    kind = _merged_field([view.mission_type if view else "" for view in views])
    snapshot = msgspec.structs.replace(snapshot, mission_number=number, mission_type=kind)
    return render_status_json(snapshot).encode("utf-8")


def _their_candidates(git_dir: Path, env: Mapping[str, str]) -> list[str]:
    """Commits that may be the other side of the merge git is running in this checkout."""
    found = [key[len("GITHEAD_") :] for key in env if key.startswith("GITHEAD_")]
    for name in ("MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD"):
        found += _read(git_dir / name).split()
    done = _read(git_dir / "rebase-merge" / "done").splitlines()
    if done:
        words = done[-1].split()
        if len(words) >= 2 and words[0] in _PICKS:
            found.append(words[1])
    found += _read(git_dir / "rebase-apply" / "original-commit").split()
    return found


def _holding(git: Git, commits: list[str], path: str, content: bytes) -> str | None:
    """The first of ``commits`` whose ``path`` is exactly ``content`` (absent when empty)."""
    if not commits:
        return None
    blobs = git.blobs([f"{commit}:{path}" for commit in commits])
    for commit, blob in zip(commits, blobs, strict=True):
        if (blob if blob is not None else b"") == content:
            return commit
    return None


def _reduce(log: bytes, mission: str) -> StatusSnapshot | None:
    scratch = Path(tempfile.mkdtemp(prefix="spec-kitty-merge-"))
    try:
        directory = scratch / (mission or "mission")
        directory.mkdir()
        (directory / LOG_FILENAME).write_bytes(log)
        return materialize_snapshot(directory)
    except (MissionStatusError, OSError):  # an unreadable log: merge the views instead
        return None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _merged_field(values: list[str]) -> str:
    """A scalar both sides carry: the side that changed it from the base, else ours."""
    base, ours, theirs = values
    return theirs if ours == base else ours


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


# -- the fallback: merge the three views WP by WP ------------------------------------------


def _from_views(base: bytes, ours: bytes, theirs: bytes) -> bytes | None:
    try:
        base_view, ours_view, theirs_view = (
            msgspec.json.decode(side, type=StatusSnapshot) if side.strip() else None
            for side in (base, ours, theirs)
        )
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if ours_view is None or theirs_view is None:
        kept = ours_view or theirs_view
        return render_status_json(kept).encode("utf-8") if kept is not None else None
    old = base_view.work_packages if base_view is not None else {}
    work_packages = {}
    for wp_id in sorted(ours_view.work_packages.keys() | theirs_view.work_packages.keys()):
        mine, other = ours_view.work_packages.get(wp_id), theirs_view.work_packages.get(wp_id)
        work_packages[wp_id] = _merged_wp(old.get(wp_id), mine, other)
    summary = {lane.value: 0 for lane in DISPLAY_LANES}
    for state in work_packages.values():
        if state.lane.value in summary:
            summary[state.lane.value] += 1
    base_count = base_view.event_count if base_view is not None else 0
    latest = max(
        ours_view, theirs_view, key=lambda view: (view.materialized_at, view.last_event_id or "")
    )
    views = (base_view, ours_view, theirs_view)
    merged = msgspec.structs.replace(
        latest,
        mission_number=_merged_field([view.mission_number if view else "" for view in views]),
        event_count=max(
            ours_view.event_count + theirs_view.event_count - base_count,
            ours_view.event_count,
            theirs_view.event_count,
        ),
        summary=summary,
        work_packages=work_packages,
    )
    return render_status_json(merged).encode("utf-8")


def _merged_wp(base: WPState | None, ours: WPState | None, theirs: WPState | None) -> WPState:
    if ours is None or theirs is None:
        kept = ours or theirs
        assert kept is not None
        return kept
    if ours == base:
        return theirs
    if theirs == base:
        return ours
    later = max(
        ours, theirs, key=lambda state: (state.last_transition_at or "", state.last_event_id or "")
    )
    forced = ours.force_count + theirs.force_count - (base.force_count if base is not None else 0)
    return msgspec.structs.replace(later, force_count=max(forced, later.force_count))


if __name__ == "__main__":
    raise SystemExit(main())
