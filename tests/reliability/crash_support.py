"""Kill ``spec-kitty`` at a chosen git call, and compare what a repository ends up as.

The crash mechanism is a ``git`` wrapper (a POSIX sh script that counts under util-linux
``flock``) placed first on ``PATH``. The CLI runs git as
``git`` from ``PATH``, so every git call it makes passes through the wrapper. The CLI is
launched through ``sh -c '... exec python -m spec_kitty_cli'`` so that the shell's pid,
exported as ``SK_CRASH_TARGET``, *is* the pid of the python process. The wrapper counts
only the calls whose parent is that process (git calls made by merge drivers, which git
itself spawns, are not the command's own calls) and, at call number ``SK_CRASH_AT``, kills
the command with SIGKILL either before running git (``SK_CRASH_WHEN=before``: git never
runs) or right after git finished (``after``: git's effect is on disk, the command never
saw it).

The comparison is :func:`fingerprint`: everything a user can observe of a mission after a
command (the board, the committed event log and ``status.json``, every checkout's
``git status``, the worktrees, the branches and the target branch's tree), with
run-specific values (timestamps, ULIDs, commit shas, the repository's own path) replaced
by placeholders, so that an interrupted-then-repeated run can be compared with an
uninterrupted one.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kitty_testing import ENV, git

#: The real git, found once on the unmodified PATH (the wrapper must never find itself).
REAL_GIT = shutil.which("git", path=ENV.get("PATH"))
#: util-linux ``flock``: the wrapper holds it while it counts the call.
FLOCK = shutil.which("flock", path=ENV.get("PATH"))

#: What an uncaught exception prints; no run may print it, killed or not.
TRACEBACK = "Traceback (most recent call last)"

#: How long one CLI run (or the wait for its leftover processes) may take.
TIMEOUT = 120

#: Starts the CLI so that the exported ``SK_CRASH_TARGET`` is the python process's pid.
_LAUNCHER = 'SK_CRASH_TARGET=$$; export SK_CRASH_TARGET; exec "$0" -m spec_kitty_cli "$@"'

#: The wrapper, a POSIX sh script (a python one would cost ~20 ms of start-up per git call).
#: ``$PPID`` is the parent of the shell, that is, of this git call. The counter is read and
#: rewritten while fd 9 holds an exclusive flock; each counted call's argv is appended to
#: the log, its arguments ended by \037 and the call by \036 (arguments may hold newlines).
_WRAPPER = """#!/bin/sh
# git, counted; kills SK_CRASH_TARGET before or after call number SK_CRASH_AT.
if [ "$PPID" != "${{SK_CRASH_TARGET:-}}" ]; then
    exec {real_git} "$@"  # not the command's own call (e.g. git run by a merge driver)
fi
exec 9>>"$SK_CRASH_COUNTER"
{flock} -x 9
read -r number < "$SK_CRASH_COUNTER" || true
number=$(( ${{number:-0}} + 1 ))
printf '%s' "$number" > "$SK_CRASH_COUNTER"
printf '%s\\037' "$@" >> "$SK_CRASH_LOG"
printf '\\036' >> "$SK_CRASH_LOG"
exec 9>&-
if [ "$number" != "${{SK_CRASH_AT:-}}" ]; then
    exec {real_git} "$@"
fi
if [ "$SK_CRASH_WHEN" = before ]; then
    kill -KILL "$SK_CRASH_TARGET"
    exit 1
fi
{real_git} "$@"
status=$?
kill -KILL "$SK_CRASH_TARGET"
exit "$status"
"""


def install_git_wrapper(directory: Path) -> Path:
    """Write the counting, killing ``git`` into ``directory``; return the directory."""
    assert REAL_GIT is not None, "git is not on PATH"
    assert FLOCK is not None, "flock (util-linux) is not on PATH"
    directory.mkdir(parents=True, exist_ok=True)
    wrapper = directory / "git"
    wrapper.write_text(_WRAPPER.format(real_git=shlex.quote(REAL_GIT), flock=shlex.quote(FLOCK)))
    wrapper.chmod(0o755)
    return directory


@dataclass(frozen=True)
class Run:
    """One finished CLI process."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL

    def document(self) -> Any:
        """The one JSON document on stdout (fails on none, or on more than one)."""
        return json.loads(self.stdout)

    def describe(self) -> str:
        return f"`{' '.join(self.args)}` exited {self.returncode}\n{self.stdout}{self.stderr}"


@dataclass(frozen=True)
class InstrumentedRun(Run):
    """A CLI run under the wrapper: ``calls`` are the argv of each git call it made."""

    calls: tuple[tuple[str, ...], ...] = ()


def run_cli(repo: Path, *args: str) -> Run:
    """``spec-kitty ARGS`` in ``repo`` with the plain :data:`ENV` (no wrapper), as a user."""
    done = subprocess.run(
        [sys.executable, "-m", "spec_kitty_cli", *args],
        cwd=repo,
        env=ENV,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT,
    )
    return Run(args, done.returncode, done.stdout, done.stderr)


def run_instrumented(
    repo: Path,
    wrapper_dir: Path,
    scratch: Path,
    args: tuple[str, ...],
    *,
    crash_at: int | None = None,
    when: str = "before",
) -> InstrumentedRun:
    """Run ``spec-kitty ARGS`` with the wrapper first on PATH; kill it at ``crash_at``.

    Without ``crash_at`` the wrapper only counts. Returns once the CLI and every process
    of its process group (a git or wrapper it left behind) is gone.
    """
    scratch.mkdir(parents=True, exist_ok=True)
    counter, log = scratch / "git-calls.count", scratch / "git-calls.jsonl"
    counter.write_text("")
    log.write_text("")
    env = {
        **ENV,
        "PATH": f"{wrapper_dir}{os.pathsep}{ENV.get('PATH', '')}",
        "SK_CRASH_COUNTER": str(counter),
        "SK_CRASH_LOG": str(log),
        "SK_CRASH_WHEN": when,
    }
    env.pop("SK_CRASH_TARGET", None)
    if crash_at is None:
        env.pop("SK_CRASH_AT", None)
    else:
        env["SK_CRASH_AT"] = str(crash_at)
    process = subprocess.Popen(
        ["sh", "-c", _LAUNCHER, sys.executable, *args],
        cwd=repo,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
        wait_for_process_group(process.pid)
    records = log.read_text().split("\036")[:-1]
    calls = tuple(tuple(record.split("\037")[:-1]) for record in records)
    return InstrumentedRun(args, process.returncode, stdout, stderr, calls=calls)


def _running_group(pid: str) -> int | None:
    """The process group of ``pid`` if it runs (a zombie nobody reaps does not); else None."""
    try:
        stat = Path("/proc", pid, "stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the command name: state ppid pgrp ...
    return None if fields[0] in ("Z", "X") else int(fields[2])


def _pids() -> list[str]:
    return [entry.name for entry in os.scandir("/proc") if entry.name.isdigit()]


def _live_members(pgid: int) -> list[str]:
    """The processes of group ``pgid`` that still run."""
    return [pid for pid in _pids() if _running_group(pid) == pgid]


def processes_under(root: Path) -> list[str]:
    """Live processes whose working directory is ``root`` or below it: pid and command line."""
    found = []
    for pid in _pids():
        try:
            cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
            argv = Path("/proc", pid, "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if cwd.is_relative_to(root) and _running_group(pid) is not None:
            found.append(f"{pid}: {argv.decode(errors='replace')}")
    return found


def wait_for_process_group(pgid: int) -> None:
    """Block until no process of group ``pgid`` runs; fail (after killing them) if they linger."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return  # not even a zombie left
        if not _live_members(pgid):
            return
        if time.monotonic() > deadline:
            os.killpg(pgid, signal.SIGKILL)
            raise AssertionError(f"processes of group {pgid} still run after {TIMEOUT}s")
        time.sleep(0.005)


def clone_repository(source: Path, destination: Path) -> Path:
    """Copy a repository with its linked worktrees (all under ``.worktrees/``) and relink them.

    Each copied worktree's ``.git`` file still names the source's administrative directory,
    and ``git worktree repair`` follows that link (it would relink the *source* to the
    copy), so the file is first pointed at the copy's own ``.git/worktrees/<name>``; the
    repair then points the copy's administrative directory back at the copied worktree.
    The result is checked with ``git worktree list``.
    """
    shutil.copytree(source, destination, symlinks=True)
    linked = sorted(dot_git.parent for dot_git in destination.glob(".worktrees/*/.git"))
    for worktree in linked:
        name = Path(worktree.joinpath(".git").read_text().removeprefix("gitdir:").strip()).name
        admin = destination / ".git" / "worktrees" / name
        assert admin.is_dir(), f"{worktree}: no {admin}"
        worktree.joinpath(".git").write_text(f"gitdir: {admin}\n")
    if linked:
        git(destination, "worktree", "repair", *map(str, linked))
    listed = sorted(worktree_paths(destination))
    assert listed == sorted(map(str, [destination, *linked])), (destination, listed)
    return destination


def worktree_paths(repo: Path) -> list[str]:
    """Every checkout of ``repo``: the primary first, then each linked worktree."""
    listing = git(repo, "worktree", "list", "--porcelain").splitlines()
    return [line.removeprefix("worktree ") for line in listing if line.startswith("worktree ")]


_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")
_ULID = re.compile(r"(?<![0-9A-Za-z])[0-9A-HJKMNP-TV-Z]{26}(?![0-9A-Za-z])")
_SHA = re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{40}(?![0-9A-Za-z])")


def normalise(text: str, repo: Path) -> str:
    """``text`` with timestamps, ULIDs, 40-hex shas and the repository's path replaced."""
    text = text.replace(str(repo), "<repo>")
    text = _TIMESTAMP.sub("<timestamp>", text)
    text = _ULID.sub("<ulid>", text)
    return _SHA.sub("<sha>", text)


def _normalise_value(value: Any, repo: Path) -> Any:
    """:func:`normalise` applied to every string inside a parsed JSON value."""
    if isinstance(value, str):
        return normalise(value, repo)
    if isinstance(value, list):
        return [_normalise_value(item, repo) for item in value]
    if isinstance(value, dict):
        return {normalise(key, repo): _normalise_value(item, repo) for key, item in value.items()}
    return value


def _tree(repo: Path, branch: str) -> dict[str, str]:
    """Every path of ``branch``'s tree with its content (normalised text, or a size for binary)."""
    entries = [line.split("\t", 1) for line in git(repo, "ls-tree", "-r", branch).splitlines()]
    objects = [meta.split()[2] for meta, _ in entries]
    batch = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=repo,
        env=ENV,
        input="".join(f"{sha}\n" for sha in objects).encode(),
        capture_output=True,
        check=True,
    ).stdout
    contents: dict[str, str] = {}
    at = 0
    for (meta, path), _ in zip(entries, objects, strict=True):
        header_end = batch.index(b"\n", at)
        size = int(batch[at:header_end].split()[2])
        blob = batch[header_end + 1 : header_end + 1 + size]
        at = header_end + 1 + size + 1
        try:
            text = normalise(blob.decode("utf-8"), repo)
        except UnicodeDecodeError:
            text = f"<{size} binary bytes>"
        contents[path] = f"{meta.split()[0]} {text}"
    return contents


def _events(log_text: str | None, repo: Path) -> list[str]:
    """The committed event log as a sorted multiset of what each row says."""
    rows: Counter[str] = Counter()
    for line in (log_text or "").splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            rows[f"unparsable row: {line}"] += 1
            continue
        if row.get("kind") == "annotation":
            delta = json.dumps(_normalise_value(row.get("delta"), repo), sort_keys=True)
            rows[f"{row.get('wp_id')} annotation {delta}"] += 1
        else:
            rows[
                f"{row.get('wp_id')} {row.get('from_lane')} -> {row.get('to_lane')}"
                f" by {row.get('actor')}"
            ] += 1
    return sorted(f"{count} x {row}" for row, count in rows.items())


@dataclass(frozen=True)
class Mission:
    """Which mission of a repository the fingerprint looks at.

    ``status_branch`` is where its status is committed (the coordination branch of the
    coord topologies); None means the target.
    """

    mid8: str
    directory: str  # the directory name under kitty-specs/
    target: str = "main"
    status_branch: str | None = None


def fingerprint(repo: Path, mission: Mission) -> dict[str, Any]:
    """Everything observable about ``mission`` in ``repo``, with run-specific values normalised.

    The board, the committed event log (as a multiset of rows) and ``status.json`` on the
    status branch, ``git status`` of every checkout, the worktrees, the local branches and
    the target branch's whole tree.
    """
    status = run_cli(repo, "status", "--mission", mission.mid8, "--json")
    if status.returncode == 0:
        board: Any = {wp: entry["lane"] for wp, entry in status.document()["work_packages"].items()}
    else:
        board = {"status failed": normalise(status.describe(), repo)}
    tree = _tree(repo, mission.target)
    status_tree = tree if mission.status_branch is None else _tree(repo, mission.status_branch)
    prefix = f"kitty-specs/{mission.directory}/"
    log = status_tree.get(f"{prefix}status.events.jsonl")
    committed_status = status_tree.get(f"{prefix}status.json")
    checkouts: dict[str, str] = {}
    worktrees: list[str] = []
    listing = git(repo, "worktree", "list", "--porcelain").split("\n\n")
    for block in listing:
        fields = dict(line.partition(" ")[::2] for line in block.splitlines())
        where = os.path.relpath(fields["worktree"], repo)
        worktrees.append(f"{where} {fields.get('branch', '(detached)')}")
        checkouts[where] = git(
            Path(fields["worktree"]), "status", "--porcelain", "--untracked-files=all"
        )
    return {
        "board": board,
        "events": _events(log.split(" ", 1)[1] if log else None, repo),
        "status.json": committed_status.split(" ", 1)[1] if committed_status else None,
        "checkouts": checkouts,
        "worktrees": sorted(worktrees),
        "branches": git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/").split(),
        "tree": tree,
    }


def _render(value: Any, indent: str = "") -> list[str]:
    """``value`` as readable lines (multi-line strings split, one line per line) for diffs."""
    if isinstance(value, dict):
        lines = []
        for key in sorted(value):
            item = value[key]
            if item is None or (isinstance(item, str) and "\n" not in item):
                lines.append(f"{indent}{key}: {item}")
            else:
                lines.extend([f"{indent}{key}:", *_render(item, indent + "  ")])
        return lines
    if isinstance(value, list):
        lines = []
        for item in value:
            if isinstance(item, str) and "\n" not in item:
                lines.append(f"{indent}- {item}")
            else:
                lines.extend(_render(item, indent + "- "))
        return lines or [f"{indent}[]"]
    if isinstance(value, str):
        return [f"{indent}| {line}" for line in value.splitlines()] or [f"{indent}| "]
    return [f"{indent}{value}"]


def fingerprint_diff(expected: dict[str, Any], actual: dict[str, Any]) -> str:
    """A unified diff of two fingerprints, component by component (empty when equal)."""
    lines: list[str] = []
    for key in sorted(expected.keys() | actual.keys()):
        want, got = _render(expected.get(key)), _render(actual.get(key))
        if want != got:
            lines.extend(
                difflib.unified_diff(
                    want, got, f"{key} (expected)", f"{key} (this run)", lineterm="", n=2
                )
            )
    return "\n".join(lines)
