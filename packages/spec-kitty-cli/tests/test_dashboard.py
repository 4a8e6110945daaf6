"""``spec-kitty dashboard``: read-only by construction, the log's board, one per repository.

Every test that starts a dashboard gets its own ``SPEC_KITTY_HOME`` and kills whatever
dashboard process of that home is still alive when it ends.
"""

from __future__ import annotations

import builtins
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from kitty_testing import ENV, TASKS_MD, alive, daemons, git, make_repo, ok_json, sk, sk_json

from spec_kitty_cli._dashboard import ARTIFACTS, Dashboard

# -- helpers -----------------------------------------------------------------------------------


def dashboards(home: Path) -> list[int]:
    """Live dashboard processes whose command line names this state root."""
    return daemons(home, "spec_kitty_cli._dashboard")


def get(port: int, path: str) -> tuple[int, str, bytes]:
    """A raw GET (``path`` sent exactly as given, no client-side normalisation)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        conn.close()


def get_json(port: int, path: str) -> tuple[int, Any]:
    status, kind, body = get(port, path)
    assert kind.startswith("application/json"), (path, kind)
    return status, json.loads(body)


def all_files(root: Path) -> dict[str, str]:
    """sha256 of EVERY file under ``root`` (git's own directory included)."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def make_mission(root: Path) -> tuple[str, Path]:
    """init, specify, tasks.md, finalize-tasks: WP01-WP03 planned. Returns (dir name, dir)."""
    ok_json(root, "init")
    made = ok_json(root, "specify", "Checkout flow", "--topology", "lanes")
    mission_dir = Path(str(made["feature_dir"]))
    ok_json(root, "tasks", "--mission", str(made["mid8"]))
    (mission_dir / "tasks.md").write_text(TASKS_MD)
    ok_json(root, "finalize-tasks", "--mission", str(made["mid8"]))
    return mission_dir.name, mission_dir


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "sk-home"
    yield root
    for pid in dashboards(root):
        os.kill(pid, signal.SIGKILL)


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, str, Path]:
    root = make_repo(tmp_path / "repo")
    name, mission_dir = make_mission(root)
    return root, name, mission_dir


@pytest.fixture
def server(project: tuple[Path, str, Path], home: Path) -> Iterator[int]:
    root = project[0]
    started = sk_json(root, home, "dashboard", "start", "--port", "0")
    yield int(started["port"])
    sk(root, home, "dashboard", "stop")


# -- the API -----------------------------------------------------------------------------------


def test_board_is_what_status_prints_and_follows_transitions(
    project: tuple[Path, str, Path], server: int
) -> None:
    root, name, _ = project
    status, board = get_json(server, f"/api/missions/{name}/board")
    assert status == 200
    assert board == ok_json(root, "status", "--mission", name)
    assert {wp: e["lane"] for wp, e in board["work_packages"].items()} == dict.fromkeys(
        ("WP01", "WP02", "WP03"), "planned"
    )
    _, first = get_json(server, f"/api/missions/{name}/version")
    ok_json(root, "move-task", "WP01", "--to", "claimed", "--mission", name, "--actor", "ann")
    _, second = get_json(server, f"/api/missions/{name}/version")
    assert first["version"] != second["version"]
    _, board = get_json(server, f"/api/missions/{name}/board")
    assert board == ok_json(root, "status", "--mission", name)
    assert board["work_packages"]["WP01"]["lane"] == "claimed"
    assert board["work_packages"]["WP01"]["actor"] == "ann"


def test_missions_health_page_and_artifacts(project: tuple[Path, str, Path], server: int) -> None:
    root, name, mission_dir = project
    status, listing = get_json(server, "/api/missions")
    assert status == 200
    assert listing["repository"] == str(root)
    [row] = listing["missions"]
    assert row["mission"] == name
    assert (row["work_packages"], row["done"], row["done_percentage"]) == (3, 0, 0.0)
    assert row["summary"]["planned"] == 3
    status, health = get_json(server, "/health")
    assert (status, health["service"]) == (200, "dashboard")
    assert "token" not in json.dumps(health)
    status, kind, page = get(server, "/")
    assert status == 200 and kind.startswith("text/html")
    assert b'id="board"' in page
    for external in (b"http://", b"https://", b"//cdn"):
        assert external not in page.replace(b"http://www.w3.org", b""), "an external request"
    status, index = get_json(server, f"/api/missions/{name}/artifacts")
    assert index["artifacts"] == ["spec.md", "tasks.md"]
    assert index["work_packages"] == ["WP01", "WP02", "WP03"]
    status, kind, text = get(server, f"/api/missions/{name}/artifacts/tasks.md")
    assert (status, kind) == (200, "text/plain; charset=utf-8")
    assert text == (mission_dir / "tasks.md").read_bytes()
    status, _, prompt = get(server, f"/api/missions/{name}/artifacts/WP02")
    assert status == 200 and b"Board view" in prompt


def test_unknown_mission_artifact_and_path_are_structured_404s(
    project: tuple[Path, str, Path], server: int
) -> None:
    _, name, _ = project
    for path, code in [
        ("/api/missions/nope/board", "MISSION_NOT_FOUND"),
        ("/api/missions/nope/version", "MISSION_NOT_FOUND"),
        ("/api/missions/nope/artifacts/spec.md", "MISSION_NOT_FOUND"),
        ("/api/missions/..%2F..%2Fetc/board", "MISSION_NOT_FOUND"),
        (f"/api/missions/{name}/artifacts/plan.md", "ARTIFACT_NOT_FOUND"),  # not written yet
        (f"/api/missions/{name}/artifacts/meta.json", "ARTIFACT_NOT_FOUND"),
        (f"/api/missions/{name}/artifacts/status.events.jsonl", "ARTIFACT_NOT_FOUND"),
        (f"/api/missions/{name}/artifacts/..%2Fmeta.json", "ARTIFACT_NOT_FOUND"),
        (f"/api/missions/{name}/artifacts/..%2F..%2F..%2F.git%2Fconfig", "ARTIFACT_NOT_FOUND"),
        (f"/api/missions/{name}/artifacts/%2e%2e%2fmeta.json", "ARTIFACT_NOT_FOUND"),
        (f"/api/missions/{name}/artifacts/../meta.json", "ARTIFACT_NOT_FOUND"),
        (f"/api/missions/{name}/artifacts/../../../../etc/passwd", "ARTIFACT_NOT_FOUND"),
        (f"/api/missions/{name}/artifacts/tasks%2FWP01-core-model.md", "ARTIFACT_NOT_FOUND"),
        (f"/api/missions/{name}/artifacts/WP09", "ARTIFACT_NOT_FOUND"),
        ("/api/nothing", "NOT_FOUND"),
    ]:
        status, body = get_json(server, path)
        assert status == 404, path
        assert set(body["error"]) == {"code", "message", "next_step"}, path
        assert body["error"]["code"] == code, path


def test_an_allowed_name_that_is_a_symlink_out_is_refused(
    project: tuple[Path, str, Path], server: int, tmp_path: Path
) -> None:
    _, name, mission_dir = project
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret\n")
    (mission_dir / "research.md").symlink_to(secret)
    status, body = get_json(server, f"/api/missions/{name}/artifacts/research.md")
    assert (status, body["error"]["code"]) == (404, "ARTIFACT_NOT_FOUND")


def test_a_stale_committed_status_json_does_not_fool_the_board(
    project: tuple[Path, str, Path], server: int
) -> None:
    root, name, mission_dir = project
    ok_json(root, "move-task", "WP01", "--to", "claimed", "--mission", name)
    view = mission_dir / "status.json"
    stale = json.loads(view.read_text())
    stale["work_packages"]["WP01"]["lane"] = "done"
    stale["summary"] = {**stale["summary"], "done": 1, "claimed": 0}
    view.write_text(json.dumps(stale, indent=2))
    git(root, "commit", "-qam", "a stale status.json")
    before = all_files(root)
    _, board = get_json(server, f"/api/missions/{name}/board")
    assert board["work_packages"]["WP01"]["lane"] == "claimed"
    _, listing = get_json(server, "/api/missions")
    assert listing["missions"][0]["done"] == 0
    assert all_files(root) == before


def test_boards_are_re_reduced_only_when_the_log_changes(
    project: tuple[Path, str, Path],
) -> None:
    root, name, _ = project
    app = Dashboard(root)
    route = app.resolver("GET", f"/api/missions/{name}/board")
    assert route is not None and route.auth is False
    for _ in range(20):
        assert route.handler(b"")[0] == 200
        app.routes()[("GET", "/api/missions")].handler(b"")
    assert app.cache.reduces == 1
    ok_json(root, "move-task", "WP02", "--to", "claimed", "--mission", name)
    assert route.handler(b"")[1]["work_packages"]["WP02"]["lane"] == "claimed"
    assert app.cache.reduces == 2


# -- read-only by construction ------------------------------------------------------------------


def _forbid_writes(monkeypatch: pytest.MonkeyPatch, sandbox: Path) -> list[str]:
    """Make every way of writing under ``sandbox`` (and every subprocess) raise."""
    attempts: list[str] = []
    inside = str(sandbox.resolve())

    def guarded(what: str, real: Callable[..., Any], *, paths: int = 1) -> Callable[..., Any]:
        def check(*args: Any, **kwargs: Any) -> Any:
            for arg in args[:paths]:
                target = os.path.abspath(os.fspath(arg)) if isinstance(arg, str | Path) else ""
                if target.startswith(inside) or os.path.realpath(target).startswith(inside):
                    attempts.append(f"{what} {target}")
                    raise PermissionError(f"read-only test: {what} {target}")
            return real(*args, **kwargs)

        return check

    real_open = builtins.open

    def open_guard(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if any(flag in mode for flag in "wax+"):
            return guarded(f"open({mode})", real_open)(file, mode, *args, **kwargs)
        return real_open(file, mode, *args, **kwargs)

    real_os_open = os.open
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def os_open_guard(path: Any, flags: int, *args: Any, **kwargs: Any) -> Any:
        if flags & write_flags:
            return guarded("os.open(write)", real_os_open)(path, flags, *args, **kwargs)
        return real_os_open(path, flags, *args, **kwargs)

    def no_process(*args: Any, **kwargs: Any) -> Any:
        attempts.append(f"subprocess {args[:1]}")
        raise PermissionError("read-only test: no subprocess (git could write)")

    monkeypatch.setattr(builtins, "open", open_guard)
    monkeypatch.setattr(os, "open", os_open_guard)
    for name in ("replace", "rename", "remove", "unlink", "mkdir", "makedirs", "rmdir",
                 "truncate", "chmod", "utime"):  # fmt: skip
        monkeypatch.setattr(os, name, guarded(f"os.{name}", getattr(os, name), paths=2))
    for name in ("write_text", "write_bytes", "touch", "mkdir", "unlink", "rename", "replace",
                 "chmod", "symlink_to", "rmdir"):  # fmt: skip
        monkeypatch.setattr(Path, name, guarded(f"Path.{name}", getattr(Path, name)))
    for name in ("rmtree", "move", "copy", "copyfile", "copy2"):
        monkeypatch.setattr(shutil, name, guarded(f"shutil.{name}", getattr(shutil, name), paths=2))
    monkeypatch.setattr(subprocess, "Popen", no_process)
    monkeypatch.setattr(subprocess, "run", no_process)
    import mission_context
    import mission_status
    from mission_status import _facade, _log, _views

    def refuse(what: str) -> Callable[..., Any]:
        def fail(*_a: Any, **_k: Any) -> Any:
            attempts.append(what)
            raise PermissionError(f"read-only test: {what}")

        return fail

    for module in (mission_status, _views):
        for name in ("materialize", "materialize_if_stale"):
            monkeypatch.setattr(module, name, refuse(name))
    for name in ("write_view", "write_if_changed"):
        monkeypatch.setattr(_views, name, refuse(name))
    monkeypatch.setattr(_facade, "write_view", refuse("write_view"))
    for name in ("transition", "annotate", "materialize"):
        monkeypatch.setattr(_facade.MissionStatus, name, refuse(f"MissionStatus.{name}"))
    for name in ("append", "lock"):
        monkeypatch.setattr(_log.EventLog, name, refuse(f"EventLog.{name}"))
    monkeypatch.setattr(mission_context, "commit_to", refuse("commit_to"))
    return attempts


def test_every_route_only_reads(
    project: tuple[Path, str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, name, mission_dir = project
    ok_json(root, "move-task", "WP01", "--to", "claimed", "--mission", name)
    ok_json(root, "plan", "--mission", name)
    before = all_files(root)
    app = Dashboard(root)
    attempts = _forbid_writes(monkeypatch, tmp_path)
    # The guard itself works: a write into the repository raises.
    with pytest.raises(PermissionError):
        (mission_dir / "status.json").write_text("{}")
    with pytest.raises(PermissionError):
        open(mission_dir / "x.txt", "w")  # noqa: SIM115
    attempts.clear()
    paths = [
        "/",
        "/index.html",
        "/api/missions",
        f"/api/missions/{name}/board",
        f"/api/missions/{name}/version",
        f"/api/missions/{name}/artifacts",
        *(f"/api/missions/{name}/artifacts/{artifact}" for artifact in ARTIFACTS),
        f"/api/missions/{name}/artifacts/WP01",
        f"/api/missions/{name}/artifacts/..%2Fmeta.json",
        "/api/missions/nope/board",
        "/nothing",
    ]
    answers = {}
    for path in paths * 3:
        route = app.routes().get(("GET", path)) or app.resolver("GET", path)
        assert route is not None and route.auth is False, path
        answer = route.handler(b"")
        answers[path] = answer if isinstance(answer, tuple) else answer.status
    assert attempts == []
    assert answers[f"/api/missions/{name}/board"][0] == 200
    assert answers[f"/api/missions/{name}/artifacts/plan.md"] == 200
    assert answers["/api/missions/nope/board"][0] == 404
    assert all_files(root) == before
    # Non-GET methods are not routed at all (the host answers 404).
    assert app.resolver("POST", f"/api/missions/{name}/board") is None


def test_the_server_half_names_no_write_function() -> None:
    import ast

    import spec_kitty_cli._dashboard as module

    source = Path(str(module.__file__)).read_text()
    server_side = source.split("# =====", 2)[1].split("\n", 1)[1]  # up to the CLI half
    names = set()
    for node in ast.walk(ast.parse(server_side)):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.add(node.name)
    forbidden = {
        "write_text", "write_bytes", "materialize", "materialize_if_stale", "transition",
        "annotate", "commit_to", "commit_status", "commit_files", "writable_status", "replace",
        "rename", "unlink", "mkdir", "O_WRONLY", "O_RDWR", "O_CREAT", "O_APPEND", "O_TRUNC",
        "subprocess", "Popen", "EventLog", "append_event",
    }  # fmt: skip
    assert names & forbidden == set()
    assert "board_of" in names  # the one board, read through the context's status authority


# -- under load, during a rebase ------------------------------------------------------------


def test_two_hundred_requests_during_a_rebase_change_nothing(
    project: tuple[Path, str, Path], home: Path
) -> None:
    root, name, _ = project
    (root / "src" / "app.py").write_text("print('main')\n")
    git(root, "commit", "-qam", "main side")
    git(root, "checkout", "-q", "-b", "topic", "HEAD~1")
    (root / "src" / "app.py").write_text("print('topic')\n")
    git(root, "commit", "-qam", "topic side")
    rebase = subprocess.run(
        ["git", "rebase", "main"], cwd=root, env=ENV, capture_output=True, text=True, check=False
    )
    assert rebase.returncode != 0
    assert (root / ".git" / "rebase-merge").is_dir()
    started = sk_json(root, home, "dashboard", "start", "--port", "0")
    port = int(started["port"])
    try:
        before = all_files(root)
        paths = [
            "/",
            "/api/missions",
            f"/api/missions/{name}/board",
            f"/api/missions/{name}/version",
            f"/api/missions/{name}/artifacts",
            f"/api/missions/{name}/artifacts/spec.md",
            f"/api/missions/{name}/artifacts/WP01",
            "/health",
        ]
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda i: get(port, paths[i % len(paths)]), range(200)))
        assert [status for status, _, _ in results] == [200] * 200
        assert all_files(root) == before, "the dashboard changed the working tree or .git"
        assert (root / ".git" / "rebase-merge").is_dir()
    finally:
        sk(root, home, "dashboard", "stop")
    status = git(root, "status")
    assert "rebase" in status


# -- lifecycle --------------------------------------------------------------------------------


def test_start_reuses_status_reports_stop_stops_and_files_stay_in_home(
    project: tuple[Path, str, Path], home: Path
) -> None:
    root, _, _ = project
    before = all_files(root)
    first = sk_json(root, home, "dashboard", "start", "--port", "0")
    assert set(first) >= {"url", "port", "pid"}
    assert first["url"] == f"http://127.0.0.1:{first['port']}/"
    again = sk_json(root / "src", home, "dashboard")  # the default action is start
    assert (again["pid"], again["reused"]) == (first["pid"], True)
    state = sk_json(root, home, "dashboard", "status")
    assert (state["running"], state["pid"], state["url"]) == (True, first["pid"], first["url"])
    assert dashboards(home) == [first["pid"]]
    owners = list(home.glob("services/dashboard-*/owner.json"))
    assert len(owners) == 1
    people = sk(root, home, "dashboard", "status")
    assert first["url"] in people.stdout
    assert sk_json(root, home, "dashboard", "stop")["stopped"] is True
    assert sk_json(root, home, "dashboard", "status")["running"] is False
    assert sk_json(root, home, "dashboard", "stop")["stopped"] is False
    assert dashboards(home) == []
    assert all_files(root) == before, "runtime files landed in the repository"


def test_it_binds_loopback_only(project: tuple[Path, str, Path], server: int) -> None:
    listening = [
        line.split()[1]
        for name in ("/proc/net/tcp", "/proc/net/tcp6")
        if Path(name).exists()
        for line in Path(name).read_text().splitlines()[1:]
        if line.split()[3] == "0A" and line.split()[1].endswith(f":{server:04X}")
    ]
    assert listening == [f"0100007F:{server:04X}"]


def test_a_killed_dashboard_and_an_orphan_are_cleaned_on_the_next_start(
    project: tuple[Path, str, Path], home: Path
) -> None:
    root, _, _ = project
    first = sk_json(root, home, "dashboard", "start")
    os.kill(first["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while alive(first["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    state = sk_json(root, home, "dashboard", "status")
    assert state["running"] is False
    second = sk_json(root, home, "dashboard", "start")
    assert second["pid"] != first["pid"] and second["reused"] is False
    assert get_json(int(second["port"]), "/health")[1]["pid"] == second["pid"]
    # An orphan: a live dashboard whose owner record is gone. The next start reaps it.
    [owner] = home.glob("services/dashboard-*/owner.json")
    owner.unlink()
    third = sk_json(root, home, "dashboard", "start")
    assert third["pid"] != second["pid"]
    deadline = time.monotonic() + 10
    while alive(second["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert dashboards(home) == [third["pid"]]
    sk_json(root, home, "dashboard", "stop")
    assert dashboards(home) == []


def test_port_choices(project: tuple[Path, str, Path], home: Path) -> None:
    root, _, _ = project
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        done = sk(root, home, "dashboard", "start", "--port", str(busy), "--json")
        assert done.returncode == 1
        assert json.loads(done.stdout)["error"]["code"] == "DASHBOARD_PORT_IN_USE"
        people = sk(root, home, "dashboard", "start", "--port", str(busy))
        assert people.stderr.startswith("error[DASHBOARD_PORT_IN_USE]:")
        assert "Traceback" not in people.stderr
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        wanted = spare.getsockname()[1]
    first = sk_json(root, home, "dashboard", "start", "--port", str(wanted))
    assert first["port"] == wanted
    other = wanted + 1 if wanted < 65535 else wanted - 1
    again = sk_json(root, home, "dashboard", "start", "--port", str(other))
    assert (again["pid"], again["port"], again["reused"]) == (first["pid"], wanted, True)
    assert str(wanted) in again["note"]
    sk_json(root, home, "dashboard", "stop")


def test_errors_are_structured(tmp_path: Path, home: Path, repo: Path) -> None:
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    done = sk(outside, home, "dashboard", "start", "--json")
    assert done.returncode == 3
    assert json.loads(done.stdout)["error"]["code"] == "NOT_A_REPOSITORY"
    done = sk(repo, home, "dashboard", "restart", "--json")
    assert done.returncode == 2
    assert json.loads(done.stdout)["error"]["code"] == "INVALID_ARGUMENTS"
    done = sk(repo, home, "dashboard", "start", "--port", "70000", "--json")
    assert json.loads(done.stdout)["error"]["code"] == "INVALID_ARGUMENTS"
    assert dashboards(home) == []


def test_open_opens_the_page_in_the_browser(
    project: tuple[Path, str, Path], home: Path, tmp_path: Path
) -> None:
    root, _, _ = project
    seen = tmp_path / "opened.txt"
    browser = tmp_path / "fake-browser"
    browser.write_text(f'#!/bin/sh\necho "$1" > {seen}\n')
    browser.chmod(0o755)
    done = subprocess.run(
        [sys.executable, "-m", "spec_kitty_cli", "dashboard", "start", "--open", "--json"],
        cwd=root,
        env={**ENV, "SPEC_KITTY_HOME": str(home), "BROWSER": str(browser)},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    url = json.loads(done.stdout)["url"]
    deadline = time.monotonic() + 10
    while not seen.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert seen.read_text().strip() == url
    sk_json(root, home, "dashboard", "stop")


def test_help_has_the_example() -> None:
    from typer.testing import CliRunner

    from spec_kitty_cli.app import app

    result = CliRunner().invoke(app, ["dashboard", "--help"])
    assert result.exit_code == 0
    assert "Example: spec-kitty dashboard start --port 0 --json" in " ".join(result.stdout.split())


def test_the_daemon_argv_carries_the_reaper_markers(tmp_path: Path) -> None:
    from spec_kitty_cli._dashboard import dashboard_spec
    from sync_daemon import Scope

    scope = Scope(tmp_path / "home", str(tmp_path / "repo"), "me")
    argv = list(dashboard_spec(scope).argv)
    assert argv[argv.index("--service") + 1] == "dashboard"
    assert argv[argv.index("--scope-id") + 1] == scope.scope_id
    assert "token" not in " ".join(argv).lower()
