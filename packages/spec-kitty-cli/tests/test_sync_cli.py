"""``spec-kitty sync``: one daemon per scope, status, stop, and queueing only when enabled.

Every test gets its own ``SPEC_KITTY_HOME`` and stops every daemon it started.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kitty_testing import ENV, TASKS_MD, alive, daemons, git, make_repo, sk, sk_json

_started: list[int] = []


def start_json(cwd: Path, home: Path, *args: str) -> dict[str, Any]:
    """:func:`sk_json`, remembering every daemon pid it reports (for the clean-up)."""
    document = sk_json(cwd, home, *args)
    if isinstance(document.get("pid"), int):
        _started.append(document["pid"])
    return document


def _daemons(home: Path) -> list[int]:
    return daemons(home, "sync_daemon")


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "sk-home"
    yield root
    for pid in [*_started, *_daemons(root)]:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def project(tmp_path: Path, home: Path) -> Path:
    root = make_repo(tmp_path / "repo")
    start_json(root, home, "init")
    return root


def test_start_reuses_status_reports_stop_stops(project: Path, home: Path) -> None:
    first = start_json(project, home, "sync", "start")
    again = start_json(project, home, "sync", "start")
    assert again["pid"] == first["pid"]
    state = start_json(project, home, "sync", "status")
    assert state["running"] is True
    assert state["pid"] == first["pid"]
    assert state["queue_depth"] == 0
    assert _daemons(home) == [first["pid"]]
    stopped = start_json(project, home, "sync", "stop")
    assert stopped["stopped"] is True
    assert start_json(project, home, "sync", "status")["running"] is False
    assert _daemons(home) == []


def test_eight_starts_at_once_make_one_daemon(project: Path, home: Path, tmp_path: Path) -> None:
    env = {**ENV, "SPEC_KITTY_HOME": str(home)}
    racers = [
        subprocess.Popen(
            [sys.executable, "-m", "spec_kitty_cli", "sync", "start", "--json"],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    pids = []
    for racer in racers:
        out, err = racer.communicate(timeout=120)
        assert racer.returncode == 0, err
        pids.append(json.loads(out)["pid"])
    _started.extend(pids)
    assert len(set(pids)) == 1
    assert _daemons(home) == [pids[0]]
    other_home = tmp_path / "other-home"
    other = start_json(project, other_home, "sync", "start")
    _started.append(int(str(other["pid"])))
    assert other["pid"] != pids[0]
    start_json(project, other_home, "sync", "stop")


def test_transitions_are_queued_only_when_sync_is_enabled(project: Path, home: Path) -> None:
    made = start_json(project, home, "specify", "Synced", "--topology", "single_branch")
    mid8 = str(made["mid8"])
    (Path(str(made["feature_dir"])) / "tasks.md").write_text(TASKS_MD)
    start_json(project, home, "finalize-tasks", "--mission", mid8)
    assert not list(home.rglob("journal.jsonl")), "queued while sync is disabled"
    config = project / ".kittify" / "config.yaml"
    config.write_text(config.read_text().replace("enabled: false", "enabled: true"))
    git(project, "commit", "-qam", "enable sync")
    start_json(project, home, "move-task", "WP01", "--to", "claimed", "--mission", mid8)
    journal = next(home.rglob("journal.jsonl"))
    queued = [json.loads(line) for line in journal.read_text().splitlines()]
    assert len(queued) == 4  # the three seeds and the claim: the whole log, once each
    assert start_json(project, home, "sync", "status")["queue_depth"] == 4
    flushed = start_json(project, home, "sync", "now")
    assert (flushed["delivered"], flushed["queue_depth"]) == (4, 0)
    delivered = next(home.rglob("delivered.jsonl")).read_text().splitlines()
    assert [json.loads(line)["to_lane"] for line in delivered][-1] == "claimed"
    assert _daemons(home) == [], "a transition must not start a daemon"


def test_a_broken_config_is_reported_with_its_line(project: Path, home: Path) -> None:
    (project / ".kittify" / "config.yaml").write_text("sync:\n  enabled: [yes\n")
    done = sk(project, home, "sync", "status", "--json")
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "CONFIG_INVALID"
    assert "config.yaml:" in error["message"]
