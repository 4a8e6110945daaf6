"""ContextError: the structured error every resolver failure will raise."""

from __future__ import annotations

import json

import pytest

import mission_context
from mission_context import ContextError


def test_carries_code_message_and_next_step() -> None:
    err = ContextError(
        "no mission matches '042'", code="MISSION_NOT_FOUND", next_step="run `spec-kitty status`"
    )

    assert err.code == "MISSION_NOT_FOUND"
    assert err.message == "no mission matches '042'"
    assert err.next_step == "run `spec-kitty status`"
    assert str(err) == "MISSION_NOT_FOUND: no mission matches '042'"
    assert err.args == ("no mission matches '042'",)


def test_to_dict_is_the_json_error_object() -> None:
    err = ContextError("two missions match '04'", code="MISSION_AMBIGUOUS_SELECTOR", next_step="x")

    assert json.loads(json.dumps(err.to_dict())) == {
        "code": "MISSION_AMBIGUOUS_SELECTOR",
        "message": "two missions match '04'",
        "next_step": "x",
    }


def test_is_raisable_and_catchable_as_exception() -> None:
    with pytest.raises(ContextError) as caught:
        raise ContextError("gone", code="COORDINATION_BRANCH_DELETED", next_step="recreate it")

    assert isinstance(caught.value, Exception)
    assert caught.value.code == "COORDINATION_BRANCH_DELETED"


@pytest.mark.parametrize(
    ("message", "code", "next_step", "field"),
    [
        ("m", "", "n", "code"),
        ("  ", "C", "n", "message"),
        ("m", "C", "\n", "next_step"),
    ],
)
def test_blank_fields_are_refused(message: str, code: str, next_step: str, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        ContextError(message, code=code, next_step=next_step)


def test_public_api_names_the_resolver_and_its_fragments() -> None:
    assert {"ContextError", "resolve_action_context", "MissionExecutionContext", "Topology"} <= set(
        mission_context.__all__
    )
    for name in mission_context.__all__:
        assert hasattr(mission_context, name), name


def test_is_a_mission_status_error_so_one_handler_renders_both() -> None:
    from mission_status import MissionStatusError

    err = ContextError("gone", code="COORDINATION_BRANCH_DELETED", next_step="recreate it")
    assert isinstance(err, MissionStatusError)
