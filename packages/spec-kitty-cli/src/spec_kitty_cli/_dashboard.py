"""``spec-kitty dashboard [start|stop|status]``: a read-only local web board and JSON API.

Read-only by construction: every handler reads the board through the context's status (a pure
fold of the event log of the branch that holds it) and plain ``read`` calls; nothing reachable
from the server opens a file of the repository for writing, replaces one, commits, or runs a
git command that writes (a status branch nobody has checked out, or one in the middle of a
rebase, is read with ``git cat-file``). The only files the dashboard ever writes are its owner
record and log, which :func:`sync_daemon.run_service` keeps under ``$SPEC_KITTY_HOME``.

The board is the log's, so a stale committed ``status.json`` does not matter. Boards are cached
per status directory, keyed by the identity of the log (size, mtime, inode) and of the WP files
whose titles the board shows: a poll that finds the same identity costs a few ``stat`` calls,
never a re-reduce. ``GET /api/missions/{m}/version`` exposes that key, so the page fetches the
board only when it changed.

This module is the server (the command, ``spec-kitty dashboard``, is ``commands/dashboard.py``).
One dashboard per repository: the scope's endpoint is the primary checkout, and the process is
started, reused, stopped and reaped by the generic service mechanism of ``sync_daemon``
(``ensure_running`` / ``stop`` / ``status`` / ``reap`` / ``run_service``); the argv carries the
``--service dashboard --scope-id ID`` markers the reaper looks for.

``python -m spec_kitty_cli._dashboard serve --service dashboard --scope-id ID --state-root R
--endpoint ROOT --identity USER [--port N] [--idle-seconds S]`` runs it in the foreground.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import msgspec

from mission_context import MissionExecutionContext
from mission_status import MissionStatusError
from spec_kitty_cli._board import board_of
from spec_kitty_cli._errors import exit_code_for
from spec_kitty_cli._planning import ANALYSIS_REPORT, PLANNING_DOCS
from spec_kitty_cli._retrospective import NAME as RETROSPECTIVE

if TYPE_CHECKING:
    from sync_daemon import Reply, Route, Scope, Served, ServiceSpec

SERVICE = "dashboard"
#: Bumped when the page/API contract changes incompatibly: older dashboards are replaced.
PROTOCOL = 1

#: The planning artifacts the API serves, by exact name; nothing else is ever opened.
ARTIFACTS: tuple[str, ...] = (*PLANNING_DOCS, ANALYSIS_REPORT, RETROSPECTIVE)
_WP_ID = re.compile(r"^WP\d{2,3}$")
#: Largest artifact served (bigger ones are refused, not truncated).
MAX_ARTIFACT_BYTES = 4 * 1024 * 1024
_JSON = "application/json"
_TEXT = "text/plain; charset=utf-8"
_HTML = "text/html; charset=utf-8"


# =============================================================================== server side


class _NotFound(Exception):
    """A 404 with a structured error body."""

    def __init__(self, code: str, message: str, next_step: str) -> None:
        super().__init__(message)
        self.body = {"error": {"code": code, "message": message, "next_step": next_step}}


class _Board(msgspec.Struct, frozen=True):
    key: tuple[Any, ...]
    version: str
    document: dict[str, Any]


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    """(size, mtime_ns, inode) of ``path`` without following a symlink; None if missing."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _wp_files_key(tasks_dir: Path) -> tuple[Any, ...]:
    """Identity of the WP prompt files (their titles are on the board)."""
    try:
        with os.scandir(tasks_dir) as entries:
            names = sorted(e.name for e in entries if e.name.startswith("WP"))
    except OSError:
        return ()
    return tuple((name, _stat_key(tasks_dir / name)) for name in names)


class BoardCache:
    """Boards per status directory, re-reduced only when the files they come from change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._boards: dict[str, _Board] = {}
        self.reduces = 0

    def key(self, ctx: MissionExecutionContext) -> tuple[Any, ...]:
        from mission_context import status_source

        return (
            ctx.identity.mission_id,
            ctx.identity.mission_slug,
            status_source(ctx),
            _wp_files_key(ctx.prompt_source.prompt_source_dir),
        )

    def board(self, ctx: MissionExecutionContext) -> _Board:
        """The board of ``ctx`` (cached while the key is unchanged)."""
        key = self.key(ctx)  # taken before reading: a change meanwhile only costs a re-reduce
        slot = ctx.mission_dir_name
        with self._lock:
            cached = self._boards.get(slot)
        if cached is not None and cached.key == key:
            return cached
        made = _Board(key, _version(key), board_of(ctx).document)
        with self._lock:
            self.reduces += 1
            self._boards[slot] = made
        return made

    def __len__(self) -> int:
        with self._lock:
            return len(self._boards)


def _version(key: tuple[Any, ...]) -> str:
    return hashlib.sha256(repr(key).encode("utf-8")).hexdigest()[:16]


class Dashboard:
    """The routes of one repository's dashboard. Every handler only reads."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache = BoardCache()
        self._page: bytes | None = None

    # -- plumbing ----------------------------------------------------------------------------

    def routes(self) -> dict[tuple[str, str], Route]:
        from sync_daemon import Route

        return {
            ("GET", "/"): Route(self._guard(self.page), auth=False),
            ("GET", "/index.html"): Route(self._guard(self.page), auth=False),
            ("GET", "/api/missions"): Route(self._guard(self.missions), auth=False),
        }

    def resolver(self, method: str, path: str) -> Route | None:
        """Routes with parameters: ``/api/missions/{mission}/...``; every other GET is a 404."""
        from sync_daemon import Route

        if method != "GET":
            return None
        parts = path.split("/")[1:]
        if len(parts) >= 3 and parts[:2] == ["api", "missions"]:
            mission, rest = unquote(parts[2]), parts[3:]
            if rest == ["board"]:
                return Route(self._guard(lambda _b: self.board(mission)), auth=False)
            if rest == ["version"]:
                return Route(self._guard(lambda _b: self.version(mission)), auth=False)
            if rest == ["artifacts"]:
                return Route(self._guard(lambda _b: self.artifact_index(mission)), auth=False)
            if rest and rest[0] == "artifacts":
                name = "/".join(unquote(part) for part in rest[1:])
                return Route(self._guard(lambda _b: self.artifact(mission, name)), auth=False)
        return Route(self._guard(lambda _b: self._unknown(path)), auth=False)

    def _guard(self, handler: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
        """Structured errors for every failure a request can meet (never a traceback)."""

        def run(body: bytes) -> Any:
            try:
                return handler(body)
            except _NotFound as err:
                return 404, err.body
            except MissionStatusError as err:
                code = exit_code_for(err)
                status = 404 if code in (2, 3) else 500
                return status, {"error": err.to_dict()}

        return run

    def _unknown(self, path: str) -> tuple[int, dict[str, Any]]:
        raise _NotFound(
            "NOT_FOUND",
            f"no such page or API: {path}",
            "see GET /api/missions, /api/missions/{mission}/board and /artifacts/{name}",
        )

    def _context(self, mission: str) -> MissionExecutionContext:
        from mission_context import resolve_action_context

        if not mission or "/" in mission or "\\" in mission or mission.startswith("."):
            raise _NotFound(
                "MISSION_NOT_FOUND",
                f"no mission {mission!r}",
                "GET /api/missions lists the missions of this repository",
            )
        return resolve_action_context(cwd=self.root, action="dashboard", mission=mission)

    # -- handlers -----------------------------------------------------------------------------

    def page(self, _body: bytes) -> Reply:
        from sync_daemon import Reply

        if self._page is None:
            from importlib.resources import files

            self._page = files(__package__).joinpath("dashboard.html").read_bytes()
        return Reply(200, self._page, _HTML)

    def missions(self, _body: bytes) -> tuple[int, dict[str, Any]]:
        """Every mission with its progress (from the cached boards)."""
        from mission_context import list_missions, resolve_action_context

        rows: list[dict[str, Any]] = []
        for name in list_missions(cwd=self.root):
            row: dict[str, Any] = {"mission": name}
            try:
                ctx = resolve_action_context(cwd=self.root, action="dashboard", mission=name)
                board = self.cache.board(ctx)
            except MissionStatusError as err:
                row["error"] = err.to_dict()
            else:
                document = board.document
                lanes = [entry["lane"] for entry in document["work_packages"].values()]
                row |= {
                    "mission_id": ctx.identity.mission_id,
                    "mid8": ctx.identity.mid8,
                    "mission_slug": ctx.identity.mission_slug,
                    "topology": ctx.topology.value,
                    "work_packages": len(lanes),
                    "done": lanes.count("done"),
                    "summary": document["summary"],
                    "done_percentage": document["progress"]["done_percentage"],
                    "weighted_percentage": document["progress"]["weighted_percentage"],
                    "version": board.version,
                }
            rows.append(row)
        return 200, {"repository": str(self.root), "missions": rows}

    def board(self, mission: str) -> tuple[int, dict[str, Any]]:
        return 200, self.cache.board(self._context(mission)).document

    def version(self, mission: str) -> tuple[int, dict[str, Any]]:
        ctx = self._context(mission)
        return 200, {"mission": ctx.mission_dir_name, "version": _version(self.cache.key(ctx))}

    def artifact_index(self, mission: str) -> tuple[int, dict[str, Any]]:
        ctx = self._context(mission)
        present = [name for name in ARTIFACTS if _regular_file(ctx.primary_mission_dir / name)]
        wps = sorted(
            {
                path.name.split("-", 1)[0]
                for path in _wp_files(ctx.prompt_source.prompt_source_dir, "WP")
                if _WP_ID.match(path.name.split("-", 1)[0])
            }
        )
        return 200, {"mission": ctx.mission_dir_name, "artifacts": present, "work_packages": wps}

    def artifact(self, mission: str, name: str) -> Reply:
        from sync_daemon import Reply

        ctx = self._context(mission)
        path = self._artifact_path(ctx, name)
        if path is None:
            raise _NotFound(
                "ARTIFACT_NOT_FOUND",
                f"{ctx.mission_dir_name} has no artifact {name!r}",
                "ask for one of: " + ", ".join(ARTIFACTS) + " or a WP id (WP01)",
            )
        return Reply(200, _read_text(path), _TEXT)

    def _artifact_path(self, ctx: MissionExecutionContext, name: str) -> Path | None:
        if "/" in name or "\\" in name or ".." in name or "\0" in name:
            return None
        if name in ARTIFACTS:
            base, candidates = ctx.primary_mission_dir, [ctx.primary_mission_dir / name]
        elif _WP_ID.match(name):
            base = ctx.prompt_source.prompt_source_dir
            candidates = _wp_files(base, name + "-")
        else:
            return None
        for path in candidates:
            if _regular_file(path) and _inside(path, base):
                return path
        return None

    def health(self) -> dict[str, Any]:
        return {"repository": str(self.root), "boards_cached": len(self.cache)}


def _wp_files(tasks_dir: Path, prefix: str) -> list[Path]:
    try:
        with os.scandir(tasks_dir) as entries:
            names = sorted(e.name for e in entries)
    except OSError:
        return []
    return [tasks_dir / n for n in names if n.startswith(prefix) and n.endswith(".md")]


def _regular_file(path: Path) -> bool:
    """A regular file, not a symlink (a link could point anywhere)."""
    try:
        return path.is_file() and not path.is_symlink()
    except OSError:
        return False


def _inside(path: Path, base: Path) -> bool:
    try:
        return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(base))
    except OSError:
        return False


def _read_text(path: Path) -> bytes:
    """The file's bytes as UTF-8 (undecodable bytes replaced); read-only, no symlink follow."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise _NotFound("ARTIFACT_NOT_FOUND", f"cannot read {path.name}: {exc}", "retry") from None
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(MAX_ARTIFACT_BYTES + 1)
    if len(data) > MAX_ARTIFACT_BYTES:
        raise _NotFound(
            "ARTIFACT_TOO_LARGE",
            f"{path.name} is larger than {MAX_ARTIFACT_BYTES} bytes",
            "open the file in an editor",
        )
    return data.decode("utf-8", errors="replace").encode("utf-8")


def main(argv: Sequence[str]) -> int:
    """``serve``: run the dashboard in the foreground until stopped."""
    from sync_daemon import run_service

    return run_service(argv, name=SERVICE, start=_start, prog="python -m spec_kitty_cli._dashboard")


def _start(scope: Scope, _args: object) -> Served:
    from sync_daemon import Served

    from .__about__ import __version__

    dashboard = Dashboard(Path(scope.endpoint))
    return Served(
        version=__version__,
        protocol=PROTOCOL,
        routes=dashboard.routes(),
        resolver=dashboard.resolver,
        health=dashboard.health,
    )


# The process: its scope (one per repository and user) and its command line.


def dashboard_scope(root: Path) -> Scope:
    """One dashboard per repository (its primary checkout) and user, under $SPEC_KITTY_HOME."""
    from sync_daemon import Scope, default_state_root

    return Scope(default_state_root(os.environ), str(root), getpass.getuser())


def dashboard_spec(scope: Scope, *, port: int = 0, idle_seconds: float = 0.0) -> ServiceSpec:
    """The spec that runs the dashboard of ``scope`` (markers for the reaper included)."""
    from sync_daemon import ServiceSpec, daemon_command

    from .__about__ import __version__

    launcher = (sys.executable, "-P", "-m", "spec_kitty_cli._dashboard")
    extra = ("--port", str(port), "--idle-seconds", str(idle_seconds))
    argv = daemon_command(launcher, SERVICE, scope, *extra)
    return ServiceSpec(name=SERVICE, scope=scope, argv=argv, version=__version__, protocol=PROTOCOL)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
