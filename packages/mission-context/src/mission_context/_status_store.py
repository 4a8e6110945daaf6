"""Where a mission's status lives right now, and the one way it is read and written.

A mission's status (``status.events.jsonl`` and ``status.json``) belongs to one
branch: the coordination branch under a coord topology, else the target branch.
Every read and write goes to that branch's copy, whichever checkout the command
runs from:

- When a worktree has the branch checked out (its HEAD names the branch), the
  files there are the branch's, plus any rows a command appended and could not
  commit. A write appends there and commits there, holding the mission's lock
  from before it reads the lane to after the commit, so the committed view is
  always the reduction of the committed log.
- When no worktree has it out (the primary checkout is on a hotfix branch, or
  bisecting), reads come from the branch's commit, and a write appends to a
  private copy of the branch's files and moves the branch with a
  compare-and-swap; no working tree is touched.
- While the checkout holding the branch is in the middle of a rebase, merge,
  cherry-pick or revert, or the branch is being rebased in some worktree, a
  write is refused before anything is written: aborting the operation would
  otherwise throw the row away.

No file of one checkout is ever copied over another's: a checkout on another
branch holds that branch's log, which is not the mission's.
"""

from __future__ import annotations

import os
import time
import weakref
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import msgspec

from mission_status import (
    LOG_FILENAME,
    META_FILENAME,
    STATUS_FILENAME,
    Annotation,
    EventLog,
    MissionStatus,
    StatusBatch,
    StatusEvent,
    git_operation_error,
    git_operation_marker,
    merge_logs,
    write_atomic,
)

from ._commit import commit_over, commit_to
from ._context import CommitTarget
from ._errors import ContextError
from ._git import Git, GitError, branch_tip
from ._init import ensure_merge_drivers
from ._locks import branch_lock
from ._refs import Refs
from ._workspaces import CoordinationWorkspace

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._context import MissionExecutionContext

#: How long a write waits for another git command's ``index.lock`` to go away.
INDEX_LOCK_WAIT = float(os.environ.get("SPEC_KITTY_INDEX_LOCK_WAIT", "3"))
_RETRIES = 3


class StatusHome(msgspec.Struct, frozen=True):
    """Where the branch holding a mission's status is checked out, right now.

    ``checkout`` is the live worktree whose HEAD is ``branch`` (None: nobody has
    it out), ``mission_dir`` the mission's directory there. ``blocked_by`` is the
    marker of a git operation that forbids writing now: one in progress in that
    checkout (a lone ``index.lock`` included), or a rebase of the branch in
    another worktree.
    """

    branch: str
    checkout: Path | None
    mission_dir: Path | None
    blocked_by: Path | None

    @property
    def readable_in_place(self) -> bool:
        """Whether the checkout's files are the branch's (no operation has them in flux)."""
        return self.mission_dir is not None and (
            self.blocked_by is None or self.blocked_by.name == "index.lock"
        )


def locate_status(ctx: MissionExecutionContext, env: Mapping[str, str] | None = None) -> StatusHome:
    """Where ``ctx``'s status branch is checked out (files only, no subprocess)."""
    return locate_branch(ctx, ctx.branch_ref.destination_ref.branch, env)


def locate_branch(
    ctx: MissionExecutionContext, branch: str, env: Mapping[str, str] | None = None
) -> StatusHome:
    """Where ``branch`` is checked out, with ``ctx``'s mission directory there."""
    refs = Refs(ctx.workspace.primary_root, ctx.git_common_dir, env)
    primary = refs.primary()  # the usual holder of a target: no need to list every worktree
    worktrees = [primary] if primary is not None and primary.branch == branch else refs.worktrees()
    for worktree in worktrees:
        if worktree.exists and worktree.branch == branch:
            return StatusHome(
                branch=branch,
                checkout=worktree.root,
                mission_dir=ctx.mission_dir_in(worktree.root),
                blocked_by=git_operation_marker(worktree.root),
            )
    rebased = None
    for worktree in worktrees:
        if worktree.rebasing == branch and worktree.git_dir is not None:
            rebased = git_operation_marker(worktree.root) or worktree.git_dir
    return StatusHome(branch=branch, checkout=None, mission_dir=None, blocked_by=rebased)


def read_status(
    ctx: MissionExecutionContext, env: Mapping[str, str] | None = None
) -> MissionStatus:
    """The status of ``ctx`` as its branch holds it, for reading.

    In the checkout that has the branch out when its files are settled; else a
    private copy of the branch's committed files (removed when the returned
    object is), so a checkout on another branch, a bisect or a conflicted merge
    never shows a historical or half-merged board. A target branch that does
    not exist (yet, or any more) leaves the primary checkout's copy as the only
    one there is: that is what is read. The returned status refuses writes
    (``STATUS_READ_ONLY``): they go through :class:`StatusWrite`.
    """
    home = locate_status(ctx, env)
    if home.readable_in_place and home.mission_dir is not None and home.mission_dir.is_dir():
        return MissionStatus.open(home.mission_dir, read_only=True)
    git = Git(ctx.workspace.primary_root, env)
    tip = branch_tip(git, home.branch)
    if tip is None:
        return MissionStatus.open(ctx.primary_mission_dir, read_only=True)
    root = _copy_of_branch(ctx, git, tip)
    status = MissionStatus(ctx.mission_dir_in(root), write_view=False, read_only=True)
    import shutil

    weakref.finalize(status, shutil.rmtree, root, True)
    return status


def status_source(
    ctx: MissionExecutionContext, env: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """What a status read of ``ctx`` would read, as a key that changes when that does.

    In place: the mission directory and the log's (size, mtime_ns, inode); from
    the branch: its name and tip. For caches of boards (the dashboard).
    """
    home = locate_status(ctx, env)
    directory = home.mission_dir
    if home.readable_in_place and directory is not None and directory.is_dir():
        try:
            st = os.lstat(directory / LOG_FILENAME)
            identity = f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"
        except OSError:
            identity = "absent"
        return ("dir", str(directory), identity)
    tip = branch_tip(Git(ctx.workspace.primary_root, env), home.branch)
    return ("branch", home.branch, tip or "absent")


class StatusWrite:
    """One status write of a command: ``with StatusWrite(ctx) as batch: batch.transition(...)``.

    On entry the merge drivers are made sure of, a missing coordination
    worktree is created, the mission's lock is taken and the write is refused
    (nothing written) while a git operation holds the branch. The batch's rows
    are appended in one write when the block ends, ``status.json`` is
    recomputed, and both files are committed to the branch, together with any
    rows an interrupted command left uncommitted. Nothing is written when the
    block raises.

    After the block: ``commit`` is the new commit (None when nothing changed),
    ``rows`` what was appended, ``view_written`` whether ``status.json`` changed,
    ``view`` where it is, ``warning`` set when the rows are recorded in the
    checkout but could not be committed yet (the next write commits them).
    """

    def __init__(
        self,
        ctx: MissionExecutionContext,
        *,
        message: str | None = None,
        env: Mapping[str, str] | None = None,
        lock_timeout: float = 60.0,
    ) -> None:
        self.ctx = ctx
        self.message = message
        self.env = env
        self.lock_timeout = lock_timeout
        self.commit: str | None = None
        self.rows: list[StatusEvent | Annotation] = []
        self.warning: str | None = None
        self.view_written = False
        self._stack = ExitStack()
        self._batch_scope: AbstractContextManager[StatusBatch] | None = None
        self._batch: StatusBatch | None = None
        self._home: StatusHome | None = None
        self._status: MissionStatus | None = None
        self._copy: Path | None = None
        self._tip: str | None = None

    # -- entering: refuse early, then lock -------------------------------------------------

    def __enter__(self) -> StatusBatch:
        ctx = self.ctx
        ensure_merge_drivers(ctx.workspace.primary_root, ctx.git_common_dir, self.env)
        home = locate_status(ctx, self.env)
        if home.checkout is None and home.blocked_by is None and ctx.workspace.coord_worktree:
            CoordinationWorkspace.resolve(ctx, lock_timeout=self.lock_timeout, env=self.env)
        lock = EventLog(ctx.primary_mission_dir, lock_timeout=self.lock_timeout)
        try:
            self._stack.enter_context(lock.lock())
            home = self._settled_home()
            self._home = home
            if home.mission_dir is not None:
                self._status = self._in_checkout(home)
            else:
                self._stack.enter_context(
                    branch_lock(ctx.git_common_dir, home.branch, timeout=self.lock_timeout)
                )
                self._status = self._in_copy(home, lock.lock_path)
            self._batch_scope = self._status.batch()
            self._batch = self._batch_scope.__enter__()
        except BaseException:
            self._stack.close()
            self._discard_copy()
            raise
        return self._batch

    @property
    def view(self) -> str:
        """Where ``status.json`` is: a path, or ``<branch>:<path>`` when nobody has it out."""
        home = self._home
        if home is not None and home.mission_dir is not None:
            return str(home.mission_dir / STATUS_FILENAME)
        branch = home.branch if home is not None else self.ctx.branch_ref.destination_ref.branch
        return f"{branch}:{self.ctx.mission_path}/{STATUS_FILENAME}"

    def _settled_home(self) -> StatusHome:
        """The home, once another command's ``index.lock`` is gone; refused during an operation."""
        deadline = time.monotonic() + INDEX_LOCK_WAIT
        while True:
            home = locate_status(self.ctx, self.env)
            marker = home.blocked_by
            if marker is None:
                return home
            if marker.name != "index.lock" or time.monotonic() >= deadline:
                raise git_operation_error(
                    marker, refused=f"not changing the status of {self.ctx.mission_dir_name}"
                )
            time.sleep(0.05)

    def _in_checkout(self, home: StatusHome) -> MissionStatus:
        """The checkout's status files, first made to hold every row the branch has."""
        assert home.mission_dir is not None
        home.mission_dir.mkdir(parents=True, exist_ok=True)
        log = home.mission_dir / LOG_FILENAME
        git = Git(home.mission_dir, self.env)
        committed = git.blobs([f"refs/heads/{home.branch}:./{LOG_FILENAME}"])[0] or b""
        try:
            working = log.read_bytes()
        except FileNotFoundError:
            working = b""
        if not working.startswith(committed):
            # Replaced by an older copy (a checkout of one file, an edit): never commit the
            # loss of a committed row. Union, the branch's rows first, as the merge driver does.
            write_atomic(log, merge_logs(b"", committed, working).data)
        return MissionStatus(home.mission_dir, lock_timeout=self.lock_timeout)

    def _in_copy(self, home: StatusHome, lock_path: Path) -> MissionStatus:
        """A private copy of the branch's status files, to append to and commit from."""
        git = Git(self.ctx.workspace.primary_root, self.env)
        self._tip = _tip_or_fail(self.ctx, git, home.branch)
        self._copy = _copy_of_branch(self.ctx, git, self._tip)
        directory = self.ctx.mission_dir_in(self._copy)
        return MissionStatus(directory, lock_timeout=self.lock_timeout, lock_path=lock_path)

    # -- leaving: append, commit ------------------------------------------------------------

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        home, status = self._home, self._status
        try:
            assert self._batch_scope is not None
            assert self._batch is not None
            # The batch sees the body's error (and appends nothing), else appends its rows
            # and rewrites the view, all while the mission's lock is still held.
            self._batch_scope.__exit__(kind, error, trace)
            if kind is not None:
                return
            assert home is not None
            assert status is not None
            self.rows = list(self._batch.rows)
            # Appending rows wrote the view; else write one an interrupted command never wrote.
            self.view_written = bool(self.rows) or status.materialize().written
            commit = self._commit_in_checkout if home.checkout is not None else self._commit_copy
            self.commit = commit(home, status, self.message or describe(self.rows))
        finally:
            self._stack.close()  # the branch's lock, then the mission's
            self._discard_copy()

    def _commit_in_checkout(
        self, home: StatusHome, status: MissionStatus, message: str
    ) -> str | None:
        assert home.checkout is not None
        target = CommitTarget(home.branch, self.ctx.branch_ref.destination_ref.role)
        deadline = time.monotonic() + INDEX_LOCK_WAIT
        while True:
            try:
                made = commit_to(
                    target, status.files(), message, cwd=home.checkout, env=self.env,
                    changed=bool(self.rows),
                )  # fmt: skip
            except ContextError as err:
                # A git command of the user's took the index (or began an operation) after
                # the checks: the rows are in the checkout, and the next write commits them.
                locked = isinstance(err, GitError) and "index.lock" in err.stderr
                if locked and time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                if not locked and err.code != "COMMIT_TARGET_BUSY":
                    raise
                self.warning = (
                    f"recorded in {home.checkout} but not committed yet: {err.message} "
                    "(the next status write commits it)"
                )
                return None
            return made.sha if made is not None else None

    def _commit_copy(self, home: StatusHome, status: MissionStatus, message: str) -> str | None:
        """Move the branch to a commit of the copy (compare-and-swap; merged again if it moved)."""
        assert self._copy is not None
        assert self._tip is not None
        git = Git(self.ctx.workspace.primary_root, self.env)
        rels = tuple(f"{self.ctx.mission_path}/{name}" for name in (LOG_FILENAME, STATUS_FILENAME))
        for _ in range(_RETRIES):
            try:
                return commit_over(
                    git, self.ctx.git_common_dir, work_tree=self._copy, rels=rels,
                    branch=home.branch, parent=self._tip, message=message,
                )  # fmt: skip
            except ContextError as err:
                if err.code != "COMMIT_RACE":
                    raise
            # Someone (a fetch into the branch, a push) moved it meanwhile: take its rows too.
            self._tip = _tip_or_fail(self.ctx, git, home.branch)
            theirs = git.blobs([f"{self._tip}:{rels[0]}"])[0] or b""
            log = status.log.path
            write_atomic(log, merge_logs(b"", theirs, log.read_bytes()).data)
            status.materialize()
        raise ContextError(
            f"{home.branch} kept moving while {self.ctx.mission_dir_name}'s status was written",
            code="COMMIT_RACE",
            next_step="run the command again",
        )

    def _discard_copy(self) -> None:
        if self._copy is not None:
            import shutil

            shutil.rmtree(self._copy, ignore_errors=True)
            self._copy = None


def describe(rows: list[StatusEvent | Annotation]) -> str:
    """A commit message naming what ``rows`` did (``status: WP01 planned -> claimed, ...``)."""
    parts = [
        f"{row.wp_id} {row.from_lane.value} -> {row.to_lane.value}"
        if isinstance(row, StatusEvent)
        else f"{row.wp_id} note"
        for row in rows
    ]
    if not parts:
        return "status: record uncommitted status"
    shown = parts[:6]
    more = f" (+{len(parts) - len(shown)} more)" if len(parts) > len(shown) else ""
    return f"status: {', '.join(shown)}{more}"


def _tip_or_fail(ctx: MissionExecutionContext, git: Git, branch: str) -> str:
    tip = branch_tip(git, branch)
    if tip is None:
        raise ContextError(
            f"the status of {ctx.mission_dir_name} lives on {branch!r}, which does not exist",
            code="STATUS_BRANCH_NOT_FOUND",
            next_step=f"restore the branch (`git branch {branch} <commit>`), or fix "
            f"target_branch/coordination_branch in {ctx.meta.path}",
        )
    return tip


def _copy_of_branch(ctx: MissionExecutionContext, git: Git, tip: str) -> Path:
    """``<tmp>/kitty-specs/<mission>/`` holding the status files and meta.json of ``tip``."""
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="spec-kitty-status-"))
    try:
        directory = ctx.mission_dir_in(root)
        directory.mkdir(parents=True)
        names = (LOG_FILENAME, STATUS_FILENAME, META_FILENAME)
        blobs = git.blobs([f"{tip}:{ctx.mission_path}/{name}" for name in names])
        for name, data in zip(names, blobs, strict=True):
            if data is not None:
                (directory / name).write_bytes(data)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return root
