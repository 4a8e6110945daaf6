"""Error rendering shared by every command: one stderr line or one JSON document."""

from __future__ import annotations

import json

import pytest

from mission_context import ContextError
from mission_status import MissionStatusError
from spec_kitty_cli._errors import exit_code_for
from spec_kitty_cli._output import report_error


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("MISSION_DIR_NOT_FOUND", 3),
        ("WORK_PACKAGE_NOT_FOUND", 3),
        ("MISSION_NOT_FOUND", 3),
        ("MISSION_AMBIGUOUS_SELECTOR", 3),
        ("WORK_PACKAGE_UNRESOLVED", 3),
        ("NOT_A_REPOSITORY", 3),
        ("INVALID_MISSION_HANDLE", 2),
        ("INVALID_ACTION", 2),
        ("ILLEGAL_TRANSITION", 1),
        ("NOT_FOUND_ELSEWHERE", 1),
        ("COMMIT_TARGET_DIRTY", 1),
    ],
)
def test_exit_codes_follow_the_cli_contract(code: str, expected: int) -> None:
    assert exit_code_for(MissionStatusError("m", next_step="n", code=code)) == expected


def test_multi_line_message_is_still_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    err = MissionStatusError("first\nsecond", next_step="do\nthis", code="X_FAILED")

    assert report_error(err, as_json=False) == 1

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "error[X_FAILED]: first second (next: do this)\n"


def test_context_errors_render_the_same_way(capsys: pytest.CaptureFixture[str]) -> None:
    err = ContextError("no mission '042'", code="MISSION_NOT_FOUND", next_step="list missions")

    assert report_error(err, as_json=True) == 3

    assert json.loads(capsys.readouterr().out) == {
        "error": {
            "code": "MISSION_NOT_FOUND",
            "message": "no mission '042'",
            "next_step": "list missions",
        }
    }
