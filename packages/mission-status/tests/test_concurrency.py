"""Many writers, one log: no line lost, torn or glued; a crash mid-append is mended.

The concurrency tests start real OS processes (``python -c``) that all append to
one ``status.events.jsonl`` through :class:`MissionStatus`, then read the file
back as a user would. The torn-line tests write what a crash mid-append leaves
behind and check that readers ignore it and the next append repairs the file.
"""

from __future__ import annotations

import inspect
import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from kitty_testing import git, isolated_git_env

from mission_status import (
    EventLog,
    EventLogError,
    LiveView,
    LockTimeoutError,
    MissionStatus,
    StatusEvent,
    TornLine,
    find_git_dirs,
    materialize,
    materialize_snapshot,
    render_status_json,
)

MISSION = "demo-01KTPKST"
MISSION_ID = "01KTPKSTABCDEFGHJKMNPQRSTV"
PROCESSES = 4
TRANSITIONS = 250
SEEDS = 2

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


# -- helpers -----------------------------------------------------------------------


def make_mission(root: Path) -> Path:
    mission = root / "kitty-specs" / MISSION
    mission.mkdir(parents=True)
    meta = {"mission_id": MISSION_ID, "mission_slug": MISSION, "slug": MISSION}
    (mission / "meta.json").write_text(json.dumps(meta, sort_keys=True, indent=2) + "\n")
    return mission


def git_repo_mission(tmp_path: Path) -> Path:
    """A mission inside a fresh git repository (so the lock lives in the common dir)."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", env=isolated_git_env(tmp_path / "home"))
    return make_mission(root)


def log_lines(mission: Path) -> list[bytes]:
    return (mission / "status.events.jsonl").read_bytes().splitlines(keepends=True)


def plan(proc: int, count: int) -> list[tuple[str, str, bool, str]]:
    """The transitions process ``proc`` makes, in order: (wp_id, to_lane, force, reason).

    Each process owns two WPs. Process 4 only forces moves (actor + reason);
    the others walk planned -> claimed -> in_progress -> planned (with a reason).
    This function is also the child processes' source (inspect.getsource).
    """
    wps = [f"WP{proc}{k}" for k in range(2)]
    cycle = ["claimed", "in_progress", "planned"]
    forced = ["planned", "for_review", "blocked", "in_review", "approved", "claimed", "in_progress"]
    made = [0, 0]
    steps: list[tuple[str, str, bool, str]] = []
    for j in range(count):
        k = 1 if j % 3 == 0 else 0
        step = made[k]
        made[k] += 1
        if proc == 4:
            lane = forced[(step + 3 * k) % len(forced)]
            steps.append((wps[k], lane, True, f"forced {j}"))
        else:
            lane = "planned" if step == 0 else cycle[(step - 1) % len(cycle)]
            steps.append((wps[k], lane, False, f"step {j}"))
    return steps


CHILD = """
import sys, time
from pathlib import Path
from mission_status import MissionStatus

{plan}

mission, proc, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
write_view, gate = sys.argv[4] == "1", Path(sys.argv[5])
deadline = time.monotonic() + 60
while not gate.exists():
    if time.monotonic() > deadline:
        sys.exit("the start gate never opened")
    time.sleep(0.002)
status = MissionStatus.open(mission, write_view=write_view)
for wp_id, lane, force, reason in plan(proc, count):
    status.transition(wp_id, lane, actor=f"agent-{{proc}}", reason=reason, force=force)
"""


def run_writers(mission: Path, tmp_path: Path, *, write_view: bool) -> None:
    """PROCESSES processes x TRANSITIONS transitions, released together through a gate file."""
    script = CHILD.format(plan=textwrap.dedent(inspect.getsource(plan)))
    gate = tmp_path / "go"
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                script,
                str(mission),
                str(proc),
                str(TRANSITIONS),
                "1" if write_view else "0",
                str(gate),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for proc in range(1, PROCESSES + 1)
    ]
    gate.touch()
    failures = []
    for child in children:
        try:
            _, err = child.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            child.kill()
            _, err = child.communicate()
        if child.returncode != 0:
            failures.append(err.decode(errors="replace"))
    assert not failures, "\n".join(failures)


# -- many processes, one log ---------------------------------------------------------


@needs_git
@pytest.mark.parametrize("write_view", [False, True], ids=["log-only", "with-view"])
def test_concurrent_writers_lose_and_tear_nothing(tmp_path: Path, write_view: bool) -> None:
    mission = git_repo_mission(tmp_path)
    seeder = MissionStatus.open(mission, write_view=False)
    seeder.transition("WP01", "planned", actor="seed")
    seeder.transition("WP02", "planned", actor="seed")
    seed_bytes = (mission / "status.events.jsonl").read_bytes()

    run_writers(mission, tmp_path, write_view=write_view)

    data = (mission / "status.events.jsonl").read_bytes()
    assert data.startswith(seed_bytes)  # earlier lines unchanged byte for byte
    lines = log_lines(mission)
    assert len(lines) == SEEDS + PROCESSES * TRANSITIONS
    rows = []
    for number, line in enumerate(lines, 1):
        assert line.endswith(b"\n"), f"line {number} is not terminated"
        row = json.loads(line)  # no torn or glued line
        assert line == (json.dumps(row, sort_keys=True) + "\n").encode(), number
        rows.append(row)
    event_ids = [row["event_id"] for row in rows]
    assert len(set(event_ids)) == len(event_ids)

    # Each process's rows are all there, in the order it made them.
    for proc in range(1, PROCESSES + 1):
        made = [
            (row["wp_id"], row["to_lane"], row["force"], row["reason"])
            for row in rows
            if row["actor"] == f"agent-{proc}"
        ]
        assert made == plan(proc, TRANSITIONS), f"process {proc}"
    # The lock made every read-check-append atomic: each row starts where the last ended...
    current: dict[str, str] = {}
    for row in rows:
        assert row["from_lane"] == current.get(row["wp_id"], "genesis"), row
        current[row["wp_id"]] = row["to_lane"]
    # ... and sorts after every row before it, so the log stays in reducer order.
    stamps = [(row["at"], row["event_id"]) for row in rows]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)

    snapshot = materialize_snapshot(mission)
    assert snapshot.event_count == SEEDS + PROCESSES * TRANSITIONS
    assert snapshot.last_event_id == rows[-1]["event_id"]
    expected = {"WP01": "planned", "WP02": "planned"}
    for proc in range(1, PROCESSES + 1):
        for wp_id, lane, _, _ in plan(proc, TRANSITIONS):
            expected[wp_id] = lane
    assert {wp: state.lane.value for wp, state in snapshot.work_packages.items()} == expected
    assert len(set(expected.values())) >= 4  # the processes really end in different lanes

    lock = EventLog(mission).lock_path
    assert lock.parent.is_dir()
    assert not list(lock.parent.glob("*.torn-*"))
    view = mission / "status.json"
    if write_view:
        # The last writer refreshed the view under the lock: it shows every row.
        assert view.read_text(encoding="utf-8") == render_status_json(snapshot)
        assert not [p.name for p in mission.iterdir() if p.name.endswith(".tmp")]
        assert materialize(mission).written is False
    else:
        assert not view.exists()


@needs_git
def test_lock_is_shared_by_every_worktree_through_the_common_dir(tmp_path: Path) -> None:
    env = isolated_git_env(tmp_path / "home")
    primary = git_repo_mission(tmp_path)
    root = primary.parents[1]
    MissionStatus.open(primary, write_view=False).transition("WP01", "planned", actor="a")
    git(root, "add", "-A", env=env)
    git(root, "commit", "-q", "-m", "mission", env=env)
    git(root, "worktree", "add", "-q", "-b", "lane-a", str(root / ".worktrees" / "lane-a"), env=env)
    linked = root / ".worktrees" / "lane-a" / "kitty-specs" / MISSION

    common = (root / ".git").resolve()
    dirs = find_git_dirs(linked)
    assert dirs is not None
    assert dirs.common_dir.resolve() == common
    primary_lock = EventLog(primary).lock_path
    linked_lock = EventLog(linked).lock_path
    assert primary_lock == linked_lock
    assert primary_lock.parent.resolve() == common / "spec-kitty-locks"
    assert primary_lock.name == f"{MISSION}.status.lock"

    # A writer in the primary checkout holds the lock: the linked worktree waits.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from mission_status import EventLog\n"
            "with EventLog(sys.argv[1]).lock():\n"
            "    print('locked', flush=True)\n"
            "    sys.stdin.read()\n",
            str(primary),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        before = (linked / "status.events.jsonl").read_bytes()
        blocked = MissionStatus.open(linked, write_view=False, lock_timeout=0.3)
        started = time.monotonic()
        with pytest.raises(LockTimeoutError) as timed_out:
            blocked.transition("WP01", "claimed", actor="b")
        assert time.monotonic() - started >= 0.25
        assert timed_out.value.code == "STATUS_LOCK_TIMEOUT"
        assert (linked / "status.events.jsonl").read_bytes() == before
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    assert holder.returncode == 0
    event = MissionStatus.open(linked, write_view=False).transition("WP01", "claimed", actor="b")
    assert materialize_snapshot(linked).work_packages["WP01"].last_event_id == event.event_id


# -- a crash mid-append -----------------------------------------------------------------


def seeded(tmp_path: Path, *, big_reason: int = 0) -> tuple[Path, bytes]:
    """A mission with three transitions (the third with a long reason when asked)."""
    mission = git_repo_mission(tmp_path)
    status = MissionStatus.open(mission, write_view=False)
    status.transition("WP01", "planned", actor="a")
    status.transition("WP02", "planned", actor="a")
    status.transition("WP01", "claimed", actor="a", reason="r" * big_reason or None)
    return mission, (mission / "status.events.jsonl").read_bytes()


def salvage_path(mission: Path, offset: int) -> Path:
    lock = EventLog(mission).lock_path
    return lock.parent / f"{lock.stem}.torn-{offset}.bin"


@needs_git
@pytest.mark.parametrize("shape", ["small", "large", "blank-line-before", "only-line"])
def test_torn_final_line_is_ignored_then_moved_aside(tmp_path: Path, shape: str) -> None:
    mission, full = seeded(tmp_path, big_reason=300_000 if shape == "large" else 0)
    lines = full.splitlines(keepends=True)
    intact = b"".join(lines[:2])
    if shape == "blank-line-before":
        intact = lines[0] + b"\n" + lines[1]
    fragment = lines[2][: len(lines[2]) * 2 // 3]  # a crash two thirds into the third line
    if shape == "only-line":
        intact = b""
    (mission / "status.events.jsonl").write_bytes(intact + fragment)
    complete = len(intact.splitlines())
    torn_line = complete + 1

    scan = EventLog(mission).scan()
    records = list(scan)
    assert len(records) == len([line for line in intact.splitlines() if line.strip()])
    assert all(isinstance(record, StatusEvent) for record in records)
    assert scan.torn == TornLine(line=torn_line, offset=len(intact), length=len(fragment))
    assert scan.end_offset == len(intact)
    assert scan.next_line == torn_line
    assert EventLog(mission).read() == records

    snapshot = materialize_snapshot(mission)
    assert snapshot.event_count == len(records)
    if shape != "only-line":
        assert snapshot.work_packages["WP01"].lane.value == "planned"  # the torn claim is ignored

    event = MissionStatus.open(mission).transition("WP03", "planned", actor="b")

    data = (mission / "status.events.jsonl").read_bytes()
    assert data.startswith(intact)  # earlier lines unchanged byte for byte
    appended = data[len(intact) :]
    assert appended.count(b"\n") == 1
    assert json.loads(appended)["event_id"] == event.event_id  # no glued fragment
    for line in data.splitlines(keepends=True):
        assert line.endswith(b"\n")
        if line.strip():
            json.loads(line)
    assert salvage_path(mission, len(intact)).read_bytes() == fragment

    after = materialize_snapshot(mission)
    assert after.event_count == len(records) + 1
    assert after.work_packages["WP03"].lane.value == "planned"
    assert (mission / "status.json").read_text(encoding="utf-8") == render_status_json(after)


@needs_git
def test_live_facade_survives_a_torn_line_left_by_another_writer(tmp_path: Path) -> None:
    mission, full = seeded(tmp_path)
    status = MissionStatus.open(mission, write_view=False)
    assert status.snapshot().event_count == 3
    # Another process crashes mid-append while this facade is open.
    torn = b'{"actor": "ghost", "at": "2099-01-01T00:00:00+00:00", "event_'
    with (mission / "status.events.jsonl").open("ab") as handle:
        handle.write(torn)
    assert status.snapshot().event_count == 3
    status.transition("WP02", "claimed", actor="b")
    assert (mission / "status.events.jsonl").read_bytes().startswith(full)
    assert status.snapshot() == materialize_snapshot(mission)
    assert status.snapshot().event_count == 4
    assert status.lanes()["WP02"].value == "claimed"
    assert salvage_path(mission, len(full)).read_bytes() == torn


@needs_git
@pytest.mark.parametrize("last", ["transition", "foreign-row"])
def test_complete_final_line_without_newline_is_kept(tmp_path: Path, last: str) -> None:
    mission, full = seeded(tmp_path)
    if last == "foreign-row":
        full += b'{"event_type": "SomethingElse", "payload": 1}\n'
    unterminated = full[:-1]
    (mission / "status.events.jsonl").write_bytes(unterminated)

    scan = EventLog(mission).scan()
    records = list(scan)
    assert len(records) == len(full.splitlines())
    assert scan.torn is None
    assert scan.end_offset == len(unterminated)
    assert materialize_snapshot(mission).event_count == 3

    event = MissionStatus.open(mission).transition("WP02", "claimed", actor="b")

    data = (mission / "status.events.jsonl").read_bytes()
    new_line = data[len(full) :]
    assert data == full + new_line  # the newline was added first: nothing glued
    assert json.loads(new_line)["event_id"] == event.event_id
    assert all(json.loads(line) for line in data.splitlines())
    lock = EventLog(mission).lock_path
    assert not list(lock.parent.glob("*.torn-*"))
    assert materialize_snapshot(mission).event_count == 4


@needs_git
def test_live_view_line_numbers_stay_right_after_a_mended_newline(tmp_path: Path) -> None:
    """A view that read an unterminated (complete) final line keeps counting lines right.

    The next append writes the missing newline first; the line after it is line
    4 of the file, and an error on line 5 must say line 5.
    """
    mission, full = seeded(tmp_path)
    (mission / "status.events.jsonl").write_bytes(full[:-1])
    view = LiveView(mission)
    assert view.snapshot().event_count == 3
    MissionStatus.open(mission, write_view=False).transition("WP02", "claimed", actor="b")
    assert view.snapshot().event_count == 4
    with (mission / "status.events.jsonl").open("ab") as handle:
        handle.write(b"this is not json\n")
    with pytest.raises(EventLogError) as bad:
        view.snapshot()
    assert bad.value.line == 5
    with pytest.raises(EventLogError) as bad_fresh:
        LiveView(mission).snapshot()
    assert bad_fresh.value.line == 5
