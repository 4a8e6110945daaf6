"""The starter map validates, and is admissible for a real term."""

from __future__ import annotations

import pytest
import yaml

from occurrence_map import STANDARD_CATEGORIES, starter_map, validate_text


@pytest.mark.parametrize(
    ("term", "replacement"),
    [("feature", "mission"), ('it\'s: a "term"', "new # value"), ("/spec-kitty.x", "")],
)
def test_starter_map_is_valid_and_admissible(term: str, replacement: str) -> None:
    text = starter_map(term, replacement)
    report = validate_text(text)
    assert report.valid is True, report.errors
    assert report.admissible is True, report.admissibility_errors
    assert report.warnings == []
    data = yaml.safe_load(text)
    assert data["target"] == {"term": term, "replacement": replacement, "operation": "rename"}
    assert list(data["categories"]) == list(STANDARD_CATEGORIES)


@pytest.mark.parametrize("term", ["TODO", ""])
def test_starter_map_with_placeholder_is_valid_but_not_admissible(term: str) -> None:
    report = validate_text(starter_map(term, "x"))
    if term:
        assert report.valid is True
        assert report.admissible is False
    else:
        assert report.valid is False  # an empty term is a structural error, as in 3.2.7


def test_starter_map_has_commented_defaults() -> None:
    text = starter_map("a", "b")
    assert "# Actions: rename, manual_review, do_not_change, rename_if_user_visible." in text
    assert "#  - from:" in text
