"""The controlled vocabulary occurrence maps are validated against."""

from __future__ import annotations

import re

import pytest

import occurrence_map
from occurrence_map import ACTIONS, STANDARD_CATEGORIES


def test_actions_are_the_documented_four_in_order() -> None:
    assert ACTIONS == ("rename", "manual_review", "do_not_change", "rename_if_user_visible")


def test_standard_categories_are_the_documented_eight_in_order() -> None:
    assert STANDARD_CATEGORIES == (
        "code_symbols",
        "import_paths",
        "filesystem_paths",
        "serialized_keys",
        "cli_commands",
        "user_facing_strings",
        "tests_fixtures",
        "logs_telemetry",
    )


@pytest.mark.parametrize(
    "vocabulary", [ACTIONS, STANDARD_CATEGORIES], ids=["actions", "categories"]
)
def test_vocabulary_is_immutable_unique_snake_case(vocabulary: tuple[str, ...]) -> None:
    # A tuple, so no caller can append a category for everyone else.
    assert isinstance(vocabulary, tuple)
    assert len(set(vocabulary)) == len(vocabulary)
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", word) for word in vocabulary)


def test_actions_and_categories_do_not_overlap() -> None:
    # A YAML key must never be readable both as a category and as an action.
    assert not set(ACTIONS) & set(STANDARD_CATEGORIES)


def test_public_api() -> None:
    assert set(occurrence_map.__all__) == {
        "ACTIONS",
        "STANDARD_CATEGORIES",
        "__version__",
        "DiffEntry",
        "DiffReport",
        "MapException",
        "Move",
        "MoveFinding",
        "OccurrenceMap",
        "OccurrenceMapError",
        "StructuralTarget",
        "Target",
        "ValidationReport",
        "check_diff",
        "check_moves",
        "load",
        "starter_map",
        "validate_file",
        "validate_text",
    }
    assert all(hasattr(occurrence_map, name) for name in occurrence_map.__all__)
