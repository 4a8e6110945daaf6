"""The board of ``spec-kitty status --mission`` against real missions: table, JSON, errors.

The missions are written straight through ``MissionStatus`` into a git repository (no
``specify``), so each test controls every event of the log.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mission_status import DISPLAY_LANES, MissionStatus, ReviewResult
from spec_kitty_cli.app import app

runner = CliRunner()
WIDE = {"COLUMNS": "200"}  # wide enough that rich never squeezes a lane header

#: Every event of the fixture mission carries this instant (ids still sort after each other).
FIXED_AT = datetime(2026, 3, 31, 14, 2, 5, 181939, tzinfo=UTC)
FIXED_AT_TEXT = "2026-03-31T14:02:05.181939+00:00"

#: The lanes each WP of the fixture mission walks through, after genesis.
WALKS: dict[str, list[str]] = {
    "WP01": ["planned"],
    "WP02": ["planned", "claimed"],
    "WP03": ["planned", "claimed", "in_progress", "for_review"],
    "WP04": ["planned", "claimed", "in_progress", "for_review", "in_review", "done"],
    "WP05": ["planned", "blocked"],
}


_IDS = iter(f"01KTPK{n:02d}Q3N6Y2W8R4V7B9C0DE" for n in range(10, 99))


def new_mission(root: Path, name: str) -> Path:
    """``root/kitty-specs/<name>`` with a meta.json, in a git repository on ``main``."""
    if not (root / ".git").exists():
        subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    path = root / "kitty-specs" / name
    path.mkdir(parents=True)
    meta = {"mission_id": next(_IDS), "mission_slug": name, "target_branch": "main"}
    (path / "meta.json").write_text(json.dumps(meta))
    return path


def board(mission: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    """``spec-kitty status --mission <dir> ARGS``, run in the mission's repository."""
    return runner.invoke(app, ["status", "--mission", mission.name, *args], env=env)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the command resolves the mission from where it runs


@pytest.fixture
def mission_dir(tmp_path: Path) -> Path:
    """``kitty-specs/007-board-demo`` with WP01..WP05 spread over five lanes."""
    path = new_mission(tmp_path, "007-board-demo")
    status = MissionStatus.open(path, clock=lambda: FIXED_AT)
    for wp_id, lanes in WALKS.items():
        for lane in lanes:
            review = (
                ReviewResult(reviewer="rita", verdict="approved", reference="PR#4")
                if lane == "done"
                else None
            )
            status.transition(wp_id, lane, actor=f"agent-{wp_id.lower()}", review_result=review)
    return path


def _columns(table_text: str) -> dict[str, list[str]]:
    """Map each header of a rich table to the non-empty cell lines under it."""
    lines = table_text.splitlines()
    header = next(line for line in lines if "┃" in line)
    names = [cell.strip() for cell in header.strip().strip("┃").split("┃")]
    columns: dict[str, list[str]] = {name: [] for name in names}
    for line in lines:
        if line.startswith("│"):
            cells = [cell.strip() for cell in line.strip().strip("│").split("│")]
            assert len(cells) == len(names), line
            for name, cell in zip(names, cells, strict=True):
                if cell:
                    columns[name].append(cell)
    return columns


def test_table_has_one_column_per_display_lane_with_each_wp_under_its_lane(
    mission_dir: Path,
) -> None:
    result = board(mission_dir, env=WIDE)

    assert result.exit_code == 0, result.output
    assert "007-board-demo" in result.stdout
    columns = _columns(result.stdout)
    assert list(columns) == [lane.value for lane in DISPLAY_LANES]
    assert columns == {
        "planned": ["WP01"],
        "claimed": ["WP02"],
        "in_progress": [],
        "for_review": ["WP03"],
        "in_review": [],
        "approved": [],
        "done": ["WP04"],
        "blocked": ["WP05"],
        "canceled": [],
    }


def test_table_is_followed_by_progress(mission_dir: Path) -> None:
    result = board(mission_dir, env=WIDE)

    # weights: planned 0 + claimed .05 + for_review .6 + done 1 + blocked 0 = 1.65 over 5 WPs
    last = result.stdout.rstrip("\n").splitlines()[-1]
    assert last == "Progress: 33.0% weighted, 20.0% done (1/5 work packages done)"


def test_several_wps_in_one_lane_share_its_column(tmp_path: Path) -> None:
    mission = new_mission(tmp_path, "001-many")
    status = MissionStatus.open(mission)
    for wp_id in ("WP03", "WP01", "WP02"):
        status.transition(wp_id, "planned", actor="a")

    result = board(mission, env=WIDE)

    assert result.exit_code == 0, result.output
    assert _columns(result.stdout)["planned"] == ["WP01", "WP02", "WP03"]


def test_json_is_exactly_one_document(mission_dir: Path) -> None:
    result = board(mission_dir, "--json")

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    document = json.loads(result.stdout)  # raises if stdout holds anything else
    final_lane = {wp_id: lanes[-1] for wp_id, lanes in WALKS.items()}
    assert document == {
        "mission_slug": "007-board-demo",
        "mission_id": document["mission_id"],
        "summary": {
            "planned": 1,
            "claimed": 1,
            "in_progress": 0,
            "for_review": 1,
            "in_review": 0,
            "approved": 0,
            "done": 1,
            "blocked": 1,
            "canceled": 0,
        },
        "work_packages": {
            wp_id: {
                "lane": final_lane[wp_id],
                "actor": f"agent-{wp_id.lower()}",
                "last_transition_at": FIXED_AT_TEXT,
                "title": None,  # a bare mission directory has no WP files
                "dependencies": [],
                "ready": final_lane[wp_id] == "planned",
                "waiting_on": [],
                "feedback": None,
                "blocked_reason": None,  # blocked without a note
            }
            for wp_id in sorted(WALKS)
        },
        "progress": {"weighted_percentage": 33.0, "done_percentage": 20.0},
    }


def test_json_summary_follows_board_lane_order(mission_dir: Path) -> None:
    result = board(mission_dir, "--json")

    assert list(json.loads(result.stdout)["summary"]) == [lane.value for lane in DISPLAY_LANES]


def test_empty_mission_is_named_by_its_directory(tmp_path: Path) -> None:
    mission = new_mission(tmp_path, "002-fresh")

    result = board(mission, "--json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["mission_slug"] == "002-fresh"
    assert document["work_packages"] == {}
    assert set(document["summary"].values()) == {0}
    assert document["progress"] == {"weighted_percentage": 0.0, "done_percentage": 0.0}


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _missing(tmp_path: Path) -> Path:
    new_mission(tmp_path, "001-present")  # a repository with missions, but not this one
    return tmp_path / "kitty-specs" / "nope"


@pytest.mark.parametrize("extra", [[], ["--json"]], ids=["table", "json"])
def test_board_writes_nothing(mission_dir: Path, extra: list[str]) -> None:
    before = _tree(mission_dir.parent)

    result = board(mission_dir, *extra, env=WIDE)

    assert result.exit_code == 0, result.output
    assert _tree(mission_dir.parent) == before


def test_missing_directory_is_one_error_line_and_exit_3(tmp_path: Path) -> None:
    missing = _missing(tmp_path)

    result = board(missing)

    assert result.exit_code == 3
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error[MISSION_NOT_FOUND]: no mission matches 'nope'")
    assert "001-present" in result.stderr  # the missions there are
    assert "(next: " in result.stderr


def test_missing_directory_with_json_is_an_error_document_and_exit_3(tmp_path: Path) -> None:
    result = board(_missing(tmp_path), "--json")

    assert result.exit_code == 3
    assert result.stderr == ""
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "MISSION_NOT_FOUND"
    assert set(error) == {"code", "message", "next_step"}
    assert error["next_step"]


def _corrupt(mission_dir: Path) -> None:
    with (mission_dir / "status.events.jsonl").open("a", encoding="utf-8") as log:
        log.write("this is not json\n")


def test_corrupt_log_is_an_error_line_and_exit_1(mission_dir: Path) -> None:
    _corrupt(mission_dir)

    result = board(mission_dir)

    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error[EVENT_LOG_INVALID")
    assert "status.events.jsonl" in lines[0]
    assert "(next: " in lines[0]


def test_corrupt_log_with_json_is_an_error_document_and_exit_1(mission_dir: Path) -> None:
    _corrupt(mission_dir)

    result = board(mission_dir, "--json")

    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["code"].startswith("EVENT_LOG_INVALID")


def test_missing_argument_is_a_usage_error() -> None:
    result = runner.invoke(app, ["status", "--mission"])

    assert result.exit_code == 2


def test_wp_outside_the_display_lanes_is_named_not_dropped(tmp_path: Path) -> None:
    mission = new_mission(tmp_path, "003-notes")
    status = MissionStatus.open(mission)
    status.transition("WP01", "planned", actor="a")
    status.annotate("WP09", actor="a", note="only a note so far")  # never seeded: uninitialized

    result = board(mission, env=WIDE)

    assert result.exit_code == 0, result.output
    columns = _columns(result.stdout)
    assert columns["planned"] == ["WP01"]
    assert all("WP09" not in cells for cells in columns.values())
    assert "Not on the board: WP09 (uninitialized)" in result.stdout.splitlines()


@pytest.mark.parametrize("columns", ["80", "50"])
def test_narrow_terminal_gets_one_row_per_lane_with_full_names(
    mission_dir: Path, columns: str
) -> None:
    result = board(mission_dir, env={"COLUMNS": columns})
    assert result.exit_code == 0, result.output
    assert "…" not in result.output
    rows = {
        cells[0]: cells[1]
        for line in result.output.splitlines()
        if line.startswith("│") and len(cells := [c.strip() for c in line.split("│")[1:-1]]) == 2
    }
    assert set(rows) >= {lane.value for lane in DISPLAY_LANES}
    assert all(len(line) <= int(columns) for line in result.output.splitlines())
