"""Error rendering shared by every command: one stderr line or one JSON document."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mission_context import ContextError
from mission_status import MissionStatusError
from spec_kitty_cli._errors import exit_code_for
from spec_kitty_cli._output import report_error, say


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


# -- say: plain lines written directly are what rich prints ---------------------------------

_PRINTABLE = st.text(
    st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"))
    | st.just(" "),
    max_size=300,
)


def _rich(lines: tuple[str, ...], *, terminal: bool, width: int) -> str:
    from rich.console import Console
    from rich.text import Text

    out = io.StringIO()
    console = Console(
        file=out, highlight=False, soft_wrap=True, force_terminal=terminal, width=width
    )
    for line in lines:
        console.print(Text(line))
    return out.getvalue()


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(_PRINTABLE, max_size=4).map(tuple),
    terminal=st.booleans(),
    width=st.sampled_from([10, 80, 200]),
)
def test_printable_lines_are_what_rich_prints(
    lines: tuple[str, ...], terminal: bool, width: int
) -> None:
    assert all(line.isprintable() for line in lines)
    assert _rich(lines, terminal=terminal, width=width) == "".join(f"{x}\n" for x in lines)


@pytest.mark.parametrize(
    ("lines", "printed"),
    [
        (
            ("WP01: planned -> claimed", "", "日本語 ok  "),
            "WP01: planned -> claimed\n\n日本語 ok  \n",
        ),
        (("a\tb", "plain"), "a       b\nplain\n"),  # a tab: rich expands it
        (("bell\x07 here",), "bell here\n"),  # a control character: rich strips it
    ],
)
def test_say_prints_each_line(
    lines: tuple[str, ...], printed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    say(*lines)
    assert capsys.readouterr() == (printed, "")
