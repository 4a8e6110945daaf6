"""Union merge of event logs: ``merge_logs``, the ``merge_driver`` CLI, real ``git merge``."""

from __future__ import annotations

import json
import random
import shlex
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kitty_testing import run_git

from mission_status import (
    GitOperationInProgressError,
    MissionStatus,
    git_operation_in_progress,
    materialize,
    materialize_snapshot,
    merge_logs,
)

MISSION = "demo-01KTPKST"
MISSION_ID = "01KTPKSTABCDEFGHJKMNPQRSTV"
LOG = f"kitty-specs/{MISSION}/status.events.jsonl"
DRIVER = [sys.executable, "-m", "mission_status.merge_driver"]


def row(n: int, wp: str = "WP01", to_lane: str = "planned", **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "actor": "claude",
        "at": f"2026-01-01T10:00:{n:02d}+00:00",
        "event_id": f"01KTPKST{n:018d}",
        "evidence": None,
        "execution_mode": "worktree",
        "force": False,
        "from_lane": "genesis",
        "mission_slug": MISSION,
        "policy_metadata": None,
        "reason": None,
        "review_ref": None,
        "to_lane": to_lane,
        "wp_id": wp,
    }
    record.update(extra)
    return record


def line(record: dict[str, Any]) -> bytes:
    """One log line in spec-kitty's style."""
    return (json.dumps(record, sort_keys=True) + "\n").encode()


def log(*lines: bytes) -> bytes:
    return b"".join(lines)


A, B, C, D, E, X = (line(row(n, wp=f"WP0{n}")) for n in range(1, 7))
C_OTHER = line(row(3, wp="WP03", to_lane="canceled", reason="other branch"))
C_THIRD = line(row(3, wp="WP03", to_lane="blocked", reason="third variant"))
C_ID = json.loads(C)["event_id"]


# -- merge_logs ----------------------------------------------------------------------


def test_union_keeps_every_line_once_ours_first() -> None:
    outcome = merge_logs(log(A, B), log(A, B, C), log(A, B, D, E))
    assert outcome.data == log(A, B, C, D, E)
    assert outcome.conflicts == []


def test_order_is_ours_then_theirs_only_then_base_only() -> None:
    outcome = merge_logs(base=log(X, A), ours=log(A, C), theirs=log(D, A))
    assert outcome.data == log(A, C, D, X)
    assert outcome.conflicts == []


def test_identical_lines_appear_once() -> None:
    outcome = merge_logs(log(A), log(A, C, D), log(A, C, D))
    assert outcome.data == log(A, C, D)
    assert outcome.conflicts == []


def test_same_event_spelled_differently_is_not_a_conflict() -> None:
    compact = (json.dumps(json.loads(C), separators=(",", ":")) + "\n").encode()
    outcome = merge_logs(log(A), log(A, C), log(A, compact))
    assert outcome.data == log(A, C)
    assert outcome.conflicts == []


def test_same_event_id_with_different_payload_is_a_conflict_and_keeps_both() -> None:
    outcome = merge_logs(log(A), log(A, C), log(A, C_OTHER))
    assert outcome.conflicts == [C_ID]
    assert outcome.data == log(A, C, C_OTHER)


def test_three_variants_are_all_kept_and_reported_once() -> None:
    outcome = merge_logs(log(A, C_THIRD), log(A, C), log(A, C_OTHER))
    assert outcome.conflicts == [C_ID]
    assert outcome.data == log(A, C, C_OTHER, C_THIRD)


def test_unparseable_and_id_less_lines_are_kept() -> None:
    torn = b'{"event_id": "01KTPKST000000000000000009", "wp_'
    foreign = b'{"event_type": "MissionCreated", "payload": {"x": 1}}'
    array = b"[1, 2, 3]"
    numeric_id = b'{"event_id": 7, "wp_id": "WP01"}'
    outcome = merge_logs(
        log(A),
        log(A, torn + b"\n", foreign + b"\n"),
        log(A, b"not json at all\n", foreign + b"\n", array + b"\n", numeric_id + b"\n"),
    )
    assert outcome.data.splitlines() == [
        A.strip(),
        torn,
        foreign,
        b"not json at all",
        array,
        numeric_id,
    ]
    assert outcome.conflicts == []


def test_blank_lines_crlf_and_a_missing_final_newline_are_normalised() -> None:
    outcome = merge_logs(b"", A.strip() + b"\r\n\r\n\n" + C.strip(), b"\n" + D.strip())
    assert outcome.data == log(A, C, D)


def test_empty_inputs() -> None:
    assert merge_logs(b"", b"", b"").data == b""
    assert merge_logs(b"", b"", log(A)).data == log(A)
    assert merge_logs(log(A), b"", b"").data == log(A)


def test_divergent_pair_already_in_base_is_not_a_new_conflict() -> None:
    """A same-id pair every side already holds was not made by this merge.

    The driver itself writes both variants into the file on a conflict; a user
    who commits that file (the reducer takes the first one) must still be able
    to merge the branches' later, unrelated appends.
    """
    history = log(A, C, C_OTHER)
    outcome = merge_logs(history, history + D, history + E)
    assert outcome.data == log(A, C, C_OTHER, D, E)
    assert outcome.conflicts == []


def test_a_one_sided_new_variant_is_taken_like_any_one_sided_change() -> None:
    """ours == base: a three-way merge takes theirs as it is, variants included."""
    history = log(A, C, C_OTHER)
    outcome = merge_logs(history, history, history + C_THIRD)
    assert outcome.conflicts == []
    assert outcome.data == log(A, C, C_OTHER, C_THIRD)


def test_variants_from_both_sides_that_neither_had_are_a_conflict() -> None:
    base = log(A, C)
    outcome = merge_logs(base, log(A, C, C_OTHER), log(A, C, C_THIRD))
    assert outcome.conflicts == [C_ID]
    assert outcome.data == log(A, C, C_OTHER, C_THIRD)


@pytest.mark.parametrize("seed", range(40))
def test_no_line_is_ever_lost(seed: int) -> None:
    """Random three-way splits of a pool of lines: the result holds each distinct line once."""
    rng = random.Random(seed)
    pool = [line(row(n, wp=f"WP{n:02d}")) for n in range(1, 30)]
    pool += [line(row(n, wp=f"WP{n:02d}", to_lane="blocked")) for n in (3, 7)]  # variants
    pool += [b"garbage " + str(n).encode() + b"\n" for n in range(3)]

    def side() -> list[bytes]:
        chosen = rng.sample(pool, rng.randint(0, len(pool)))
        return chosen

    base, ours, theirs = side(), side(), side()
    outcome = merge_logs(log(*base), log(*ours), log(*theirs))
    merged = outcome.data.splitlines(keepends=True)
    assert len(merged) == len(set(merged))
    assert set(merged) == set(base) | set(ours) | set(theirs)
    assert merged[: len(ours)] == ours
    for conflict in outcome.conflicts:
        assert sum(json.loads(m).get("event_id") == conflict for m in merged if b"{" in m) > 1


# -- python -m mission_status.merge_driver ----------------------------------------------------


def run_driver(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DRIVER, *map(str, args)], capture_output=True, text=True, check=False, timeout=60
    )


def three_files(tmp_path: Path, base: bytes, ours: bytes, theirs: bytes) -> tuple[Path, ...]:
    paths = tuple(tmp_path / name for name in ("base", "ours", "theirs"))
    for path, data in zip(paths, (base, ours, theirs), strict=True):
        path.write_bytes(data)
    return paths


def test_driver_exit_0_writes_the_union_into_ours(tmp_path: Path) -> None:
    base, ours, theirs = three_files(tmp_path, log(A), log(A, C), log(A, D))
    result = run_driver(base, ours, theirs)
    assert result.returncode == 0, result.stderr
    assert ours.read_bytes() == log(A, C, D)
    assert theirs.read_bytes() == log(A, D)
    assert result.stderr == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base", "ours", "theirs"]


def test_driver_exit_1_on_conflict_keeps_both_variants(tmp_path: Path) -> None:
    base, ours, theirs = three_files(tmp_path, log(A), log(A, C), log(A, C_OTHER))
    result = run_driver(base, ours, theirs)
    assert result.returncode == 1
    assert "EVENT_LOG_MERGE_CONFLICT" in result.stderr
    assert C_ID in result.stderr
    assert ours.read_bytes() == log(A, C, C_OTHER)


def test_driver_missing_base_counts_as_empty(tmp_path: Path) -> None:
    _, ours, theirs = three_files(tmp_path, b"", log(A), log(C))
    result = run_driver(tmp_path / "no-such-base", ours, theirs)
    assert result.returncode == 0, result.stderr
    assert ours.read_bytes() == log(A, C)


@pytest.mark.parametrize("count", [0, 1, 2])
def test_driver_exit_2_on_usage(tmp_path: Path, count: int) -> None:
    args = [tmp_path / "base", tmp_path / "ours"][:count]
    result = run_driver(*args)
    assert result.returncode == 2
    assert "usage" in result.stderr


def test_driver_exit_2_when_ours_is_unreadable(tmp_path: Path) -> None:
    base, _, theirs = three_files(tmp_path, log(A), b"", log(A))
    result = run_driver(base, tmp_path / "missing-ours", theirs)
    assert result.returncode == 2
    assert "EVENT_LOG_MERGE_FAILED" in result.stderr
    assert not (tmp_path / "missing-ours").exists()


# -- real git merges --------------------------------------------------------------------------


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class Checkouts:
    """main, then branch ``a`` in the primary checkout and ``b`` in a linked worktree."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.env = env
        self.root = tmp_path / "repo"
        self.b_root = tmp_path / "wt-b"
        self.clock = FakeClock(datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
        self.git(tmp_path, "init", "-q", "-b", "main", str(self.root))
        self.git(self.root, "config", "merge.spec-kitty-events.name", "spec-kitty event log union")
        self.git(
            self.root,
            "config",
            "merge.spec-kitty-events.driver",
            f"{shlex.quote(sys.executable)} -m mission_status.merge_driver %O %A %B",
        )
        (self.root / ".gitattributes").write_text(
            "kitty-specs/**/status.events.jsonl merge=spec-kitty-events\n", encoding="utf-8"
        )
        mission = self.root / "kitty-specs" / MISSION
        mission.mkdir(parents=True)
        meta = {"mission_id": MISSION_ID, "mission_slug": MISSION, "slug": MISSION}
        (mission / "meta.json").write_text(json.dumps(meta, sort_keys=True, indent=2) + "\n")
        seed = self.status(self.root)
        seed.transition("WP01", "planned", actor="seed")
        seed.transition("WP02", "planned", actor="seed")
        self.commit(self.root, "mission")
        self.git(self.root, "checkout", "-q", "-b", "a")
        self.git(self.root, "worktree", "add", "-q", "-b", "b", str(self.b_root), "main")

    def git(self, cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run_git(cwd, *args, env=self.env, check=check)

    def commit(self, checkout: Path, message: str) -> None:
        self.git(checkout, "add", "-A")
        self.git(checkout, "commit", "-q", "-m", message)

    def status(self, checkout: Path, **options: Any) -> MissionStatus:
        return MissionStatus.open(
            checkout / "kitty-specs" / MISSION, write_view=False, clock=self.clock, **options
        )

    def branch_lines(self, branch: str) -> list[bytes]:
        shown = subprocess.run(
            ["git", "show", f"{branch}:{LOG}"],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            check=True,
        )
        return shown.stdout.splitlines(keepends=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_merge_of_two_branches_unions_the_logs(tmp_path: Path, git_env: dict[str, str]) -> None:
    repo = Checkouts(tmp_path, git_env)
    on_a = repo.status(repo.root)
    on_a.transition("WP01", "claimed", actor="agent-a")
    on_a.transition("WP01", "in_progress", actor="agent-a")
    repo.commit(repo.root, "a moves WP01")
    on_b = repo.status(repo.b_root)
    on_b.transition("WP02", "claimed", actor="agent-b")
    on_b.transition("WP03", "planned", actor="agent-b")
    repo.commit(repo.b_root, "b moves WP02, adds WP03")

    attr = repo.git(repo.root, "check-attr", "merge", "--", LOG).stdout
    assert attr.strip().endswith("merge: spec-kitty-events")
    lines_a, lines_b = repo.branch_lines("a"), repo.branch_lines("b")
    # A plain text merge would stop: both branches appended at the end of the file.
    (tmp_path / "o").write_bytes(b"".join(repo.branch_lines("main")))
    (tmp_path / "x").write_bytes(b"".join(lines_a))
    (tmp_path / "y").write_bytes(b"".join(lines_b))
    text_merge = repo.git(tmp_path, "merge-file", "-p", "x", "o", "y", check=False)
    assert text_merge.returncode > 0

    merged = repo.git(repo.root, "merge", "--no-edit", "b", check=False)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "CONFLICT" not in merged.stdout + merged.stderr
    assert repo.git(repo.root, "status", "--porcelain").stdout == ""
    assert len(repo.git(repo.root, "log", "-1", "--format=%P").stdout.split()) == 2

    mission = repo.root / "kitty-specs" / MISSION
    result = (mission / "status.events.jsonl").read_bytes().splitlines(keepends=True)
    assert result == lines_a + [b_line for b_line in lines_b if b_line not in lines_a]
    assert sorted(result) == sorted(set(lines_a) | set(lines_b))

    snapshot = materialize_snapshot(mission)
    assert snapshot.event_count == 6
    lanes = {wp: state.lane.value for wp, state in snapshot.work_packages.items()}
    assert lanes == {"WP01": "in_progress", "WP02": "claimed", "WP03": "planned"}
    assert materialize(mission).written is True


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_merge_with_the_same_event_id_reports_a_conflict_and_keeps_every_line(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    repo = Checkouts(tmp_path, git_env)
    shared = "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"  # sorts after every real ULID
    repo.status(repo.root, id_factory=lambda: shared).transition("WP01", "claimed", actor="a")
    repo.commit(repo.root, "a claims WP01")
    repo.status(repo.b_root, id_factory=lambda: shared).transition("WP02", "claimed", actor="b")
    repo.commit(repo.b_root, "b claims WP02 with the same event id")
    lines_a, lines_b = repo.branch_lines("a"), repo.branch_lines("b")

    merged = repo.git(repo.root, "merge", "--no-edit", "b", check=False)
    output = merged.stdout + merged.stderr
    assert merged.returncode != 0
    assert "CONFLICT" in output
    assert "EVENT_LOG_MERGE_CONFLICT" in output
    assert shared in output
    unmerged = repo.git(repo.root, "diff", "--name-only", "--diff-filter=U").stdout.split()
    assert unmerged == [LOG]

    mission = repo.root / "kitty-specs" / MISSION
    data = (mission / "status.events.jsonl").read_bytes()
    assert b"<<<<<<<" not in data
    result = data.splitlines(keepends=True)
    assert result == lines_a + [b_line for b_line in lines_b if b_line not in lines_a]
    variants = [json.loads(r) for r in result if json.loads(r)["event_id"] == shared]
    assert {v["wp_id"] for v in variants} == {"WP01", "WP02"}

    # The merge is still in progress: status.json is not written over it.
    assert git_operation_in_progress(mission)
    with pytest.raises(GitOperationInProgressError):
        materialize(mission)
    assert not (mission / "status.json").exists()
