"""Shared fixtures: a minimal valid, admissible map to mutate in tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from occurrence_map import STANDARD_CATEGORIES

BASE: dict[str, Any] = {
    "target": {"term": "old_name", "replacement": "new_name", "operation": "rename"},
    "categories": {name: {"action": "manual_review"} for name in STANDARD_CATEGORIES},
}


@pytest.fixture
def base_map() -> dict[str, Any]:
    """A fresh deep copy of a valid, admissible map."""
    return copy.deepcopy(BASE)


def dump(data: Any) -> str:
    """Serialize *data* as YAML text."""
    return yaml.safe_dump(data, sort_keys=False)


@pytest.fixture
def as_text() -> Any:
    """The :func:`dump` helper, as a fixture (test modules can't import conftest)."""
    return dump
