"""Structural validation, admissibility and loading: every rule names its key path."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from occurrence_map import OccurrenceMapError, load, validate_file, validate_text
from occurrence_map._model import build_map
from occurrence_map._parse import MAX_MAP_BYTES


def _errors(data: dict[str, Any], as_text: Any) -> list[str]:
    report = validate_text(as_text(data), source="m.yaml")
    assert report.valid is False
    assert report.admissible is None
    return report.errors


def test_base_map_is_valid_and_admissible(base_map: dict[str, Any], as_text: Any) -> None:
    report = validate_text(as_text(base_map))
    assert report.valid is True
    assert report.admissible is True
    assert report.errors == report.warnings == report.admissibility_errors == []


@pytest.mark.parametrize(
    ("mutate", "key_path"),
    [
        (lambda m: m.pop("target"), "target:"),
        (lambda m: m.update(target="x"), "target:"),
        (lambda m: m["target"].pop("term"), "target.term:"),
        (lambda m: m["target"].update(term="  "), "target.term:"),
        (lambda m: m["target"].update(term=3), "target.term:"),
        (lambda m: m["target"].update(operation="move"), "target.operation:"),
        (lambda m: m.pop("categories"), "categories:"),
        (lambda m: m.update(categories={}), "categories:"),
        (lambda m: m["categories"].update(code_symbols="rename"), "categories.code_symbols:"),
        (lambda m: m["categories"].update(code_symbols={}), "categories.code_symbols.action:"),
        (
            lambda m: m["categories"].update(code_symbols={"action": "review"}),
            "categories.code_symbols.action:",
        ),
        (lambda m: m.update(exceptions="x"), "exceptions:"),
        (lambda m: m.update(exceptions=["x"]), "exceptions[0]:"),
        (lambda m: m.update(exceptions=[{"action": "rename"}]), "exceptions[0].path:"),
        (lambda m: m.update(exceptions=[{"path": "a"}]), "exceptions[0].action:"),
        (
            lambda m: m.update(exceptions=[{"path": "a", "action": "x"}]),
            "exceptions[0].action:",
        ),
        (
            lambda m: m.update(exceptions=[{"path": "a", "action": "rename", "field_path": ""}]),
            "exceptions[0].field_path:",
        ),
        (lambda m: m.update(structural_targets="x"), "structural_targets:"),
        (lambda m: m.update(structural_targets=[1]), "structural_targets[0]:"),
        (lambda m: m.update(structural_targets=[{"reason": "r"}]), "structural_targets[0].path:"),
        (
            lambda m: m.update(structural_targets=[{"path": "a.py"}]),
            "structural_targets[0].reason:",
        ),
    ],
)
def test_each_error_names_its_key_path(
    base_map: dict[str, Any], as_text: Any, mutate: Any, key_path: str
) -> None:
    mutate(base_map)
    errors = _errors(base_map, as_text)
    assert len(errors) == 1, errors
    assert errors[0].startswith(key_path), errors


def test_all_errors_are_reported_at_once(base_map: dict[str, Any], as_text: Any) -> None:
    base_map["target"]["operation"] = "nope"
    base_map["categories"]["cli_commands"] = {"action": "none"}
    base_map["exceptions"] = ["bad"]
    base_map["moves"] = [{"to": "x"}]
    errors = _errors(base_map, as_text)
    assert [e.split(":")[0] for e in errors] == [
        "target.operation",
        "categories.cli_commands.action",
        "exceptions[0]",
        "moves[0].from",
    ]


@pytest.mark.parametrize("path", ["src/cli/main.py", "src/cli/*.py", "a/b/test_?.json"])
def test_narrow_structural_targets_are_valid(
    base_map: dict[str, Any], as_text: Any, path: str
) -> None:
    base_map["structural_targets"] = [{"path": path, "reason": "new function"}]
    assert validate_text(as_text(base_map)).valid is True


@pytest.mark.parametrize(
    "path", ["src", "src/", "*", "**", "src/**/*.py", "**/x.py", "src/main.*", "Makefile"]
)
def test_broad_structural_targets_are_rejected(
    base_map: dict[str, Any], as_text: Any, path: str
) -> None:
    base_map["structural_targets"] = [{"path": path, "reason": "r"}]
    (error,) = _errors(base_map, as_text)
    assert error.startswith("structural_targets[0].path:")
    assert "too broad" in error


def test_unknown_top_level_key_is_a_warning(base_map: dict[str, Any], as_text: Any) -> None:
    base_map["mission"] = "x"
    report = validate_text(as_text(base_map))
    assert report.valid is True
    assert report.admissible is True
    (warning,) = report.warnings
    assert warning.startswith("mission: unknown top-level key")


def test_custom_categories_and_extra_keys_are_accepted(
    base_map: dict[str, Any], as_text: Any
) -> None:
    base_map["categories"]["docs_links"] = {"action": "rename", "notes": "n", "occurrences": []}
    base_map["status"] = {"anything": ["goes"]}
    assert validate_text(as_text(base_map)).admissible is True


# --- admissibility ---------------------------------------------------------------------


@pytest.mark.parametrize("term", ["TODO", "tbd", " FIXME ", "XXX", "Placeholder"])
def test_placeholder_term_is_inadmissible(
    base_map: dict[str, Any], as_text: Any, term: str
) -> None:
    base_map["target"]["term"] = term
    report = validate_text(as_text(base_map))
    assert report.valid is True
    assert report.admissible is False
    assert report.admissibility_errors[0].startswith("target.term:")


def test_missing_standard_categories_are_inadmissible(
    base_map: dict[str, Any], as_text: Any
) -> None:
    del base_map["categories"]["logs_telemetry"]
    del base_map["categories"]["import_paths"]
    report = validate_text(as_text(base_map))
    assert report.valid is True
    assert report.admissible is False
    (error,) = report.admissibility_errors
    assert error.startswith("categories:")
    assert "import_paths, logs_telemetry" in error


# --- moves -------------------------------------------------------------------------------

VALID_MOVES = [
    {"from": ["docs/a.md", "docs/b.md"], "to": "docs/new/", "reason": "regroup"},
    {"from": ["research/"], "to": "RETIRE"},
]


def test_valid_moves(base_map: dict[str, Any], as_text: Any) -> None:
    base_map["moves"] = VALID_MOVES
    assert validate_text(as_text(base_map)).admissible is True


@pytest.mark.parametrize(
    ("moves", "key_paths"),
    [
        ("x", ["moves"]),
        (["x"], ["moves[0]"]),
        ([{}], ["moves[0].from", "moves[0].to"]),
        ([{"from": [], "to": "b"}], ["moves[0].from"]),
        ([{"from": "a", "to": "b"}], ["moves[0].from"]),
        ([{"from": ["a", 3], "to": "b"}], ["moves[0].from[1]"]),
        ([{"from": ["a"], "to": ["b"]}], ["moves[0].to"]),
        ([{"from": ["/etc/a"], "to": "b"}], ["moves[0].from[0]"]),
        ([{"from": ["a"], "to": "../b"}], ["moves[0].to"]),
        ([{"from": ["a"], "to": "b", "reason": 1}], ["moves[0].reason"]),
        # /dev/null is taken as a destination only, and no other absolute path is.
        ([{"from": ["/dev/null"], "to": "new.md"}], ["moves[0].from[0]"]),
        ([{"from": ["a"], "to": "/dev/nullx"}], ["moves[0].to"]),
        ([{"from": ["a"], "to": "/dev/null/a"}], ["moves[0].to"]),
        ([{"from": ["a"], "to": "/dev/zero"}], ["moves[0].to"]),
        ([{"from": ["a"], "to": "dev/../../null"}], ["moves[0].to"]),
        ([{"from": ["../dev/null"], "to": "/dev/null"}], ["moves[0].from[0]"]),
        ([*VALID_MOVES, {"from": ["x.md"], "to": "docs/a.md"}], ["moves[0].from[0]"]),
        (
            [{"from": ["a/"], "to": "b"}, {"from": ["b"], "to": "./a"}],
            ["moves[0].from[0]", "moves[1].from[0]"],
        ),
    ],
)
def test_invalid_moves_add_only_moves_errors(
    base_map: dict[str, Any], as_text: Any, moves: Any, key_paths: list[str]
) -> None:
    base_map["moves"] = moves
    errors = _errors(base_map, as_text)
    assert [e.split(":")[0] for e in errors] == key_paths


def test_source_and_destination_overlap_names_both(base_map: dict[str, Any], as_text: Any) -> None:
    base_map["moves"] = [{"from": ["a.md"], "to": "b.md"}, {"from": ["b.md"], "to": "c.md"}]
    (error,) = _errors(base_map, as_text)
    assert error.startswith("moves[1].from[0]:")
    assert "moves[0].to" in error


@pytest.mark.parametrize(
    "mutate",
    [
        lambda m: None,
        lambda m: m["target"].update(term="TODO"),
        lambda m: m["categories"].pop("cli_commands"),
        lambda m: m.update(extra=1),
        lambda m: m["categories"].update(code_symbols={"action": "bad"}),
        lambda m: m.pop("target"),
    ],
)
def test_moves_or_not_equivalence(base_map: dict[str, Any], as_text: Any, mutate: Any) -> None:
    mutate(base_map)
    without = validate_text(as_text(base_map))
    with_valid = copy.deepcopy(base_map)
    with_valid["moves"] = VALID_MOVES
    assert validate_text(as_text(with_valid)) == without
    with_null = copy.deepcopy(base_map)
    with_null["moves"] = None
    assert validate_text(as_text(with_null)) == without
    with_bad = copy.deepcopy(base_map)
    with_bad["moves"] = [{"from": [], "to": "/abs"}]
    bad = validate_text(as_text(with_bad))
    assert bad.valid is False
    assert [e for e in bad.errors if not e.startswith("moves")] == without.errors
    assert bad.warnings == without.warnings


# --- malformed input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("target:\n  term: x\ncategories: [a,\n", 4, 1),
        ("target: {term: x\ncategories: {}\n", 2, 11),
        ("a: 1\n\tb: 2\n", 2, 1),
        ("key: 'unterminated\n", 2, 1),
    ],
)
def test_malformed_yaml_names_line_and_column(text: str, line: int, column: int) -> None:
    report = validate_text(text, source="occurrence_map.yaml")
    assert report.valid is False
    assert report.admissible is None
    (error,) = report.errors
    assert error.startswith("occurrence_map.yaml: malformed YAML at line ")
    assert f"line {line}, column {column}" in error


def test_duplicate_anchor_or_python_tag_never_raises() -> None:
    report = validate_text("a: !!python/object/apply:os.system ['true']\n")
    assert report.valid is False
    assert "line 1" in report.errors[0]


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "42\n", "", "# only\n"])
def test_non_mapping_document_is_invalid(text: str) -> None:
    report = validate_text(text, source="m.yaml")
    assert report.valid is False
    assert report.errors[0].startswith("m.yaml: the document is")


def test_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "occurrence_map.yaml"
    path.write_bytes(b"a: [" + b"1," * (MAX_MAP_BYTES // 2 + 10) + b"]\n")
    report = validate_file(path)
    assert report.valid is False
    assert "byte limit" in report.errors[0]
    with pytest.raises(OccurrenceMapError) as info:
        load(path)
    assert info.value.code == "TOO_LARGE"


def test_missing_file_is_invalid_not_an_exception(tmp_path: Path) -> None:
    report = validate_file(tmp_path / "nope.yaml")
    assert report.valid is False
    assert "cannot read" in report.errors[0]


def test_non_utf8_file_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_bytes(b"target: \xff\xfe\n")
    assert validate_file(path).valid is False


# --- load ----------------------------------------------------------------------------------


def test_load_builds_the_typed_map(base_map: dict[str, Any], as_text: Any, tmp_path: Path) -> None:
    base_map["exceptions"] = [
        {"path": "docs/**", "action": "do_not_change", "reason": "history"},
        {"path": "a.yaml", "action": "manual_review", "field_path": "related"},
    ]
    base_map["moves"] = VALID_MOVES
    base_map["structural_targets"] = [{"path": "src/x.py", "reason": "refactor"}]
    base_map["status"] = "draft"
    path = tmp_path / "occurrence_map.yaml"
    path.write_text(as_text(base_map), encoding="utf-8")
    omap = load(path)
    assert omap.target.term == "old_name"
    assert omap.target.replacement == "new_name"
    assert omap.target.operation == "rename"
    assert omap.categories["code_symbols"] == "manual_review"
    assert omap.exceptions[0].field_path is None
    assert omap.exceptions[1].field_path == "related"
    assert omap.moves[0].sources == ("docs/a.md", "docs/b.md")
    assert omap.moves[0].destination == "docs/new/"
    assert omap.moves[1].reason is None
    assert omap.structural_targets[0].path == "src/x.py"
    assert omap.status == "draft"
    assert omap.raw["status"] == "draft"
    assert omap.path == path


@pytest.mark.parametrize(
    ("text", "code"),
    [("a: [\n", "MALFORMED_YAML"), ("- 1\n", "NOT_A_MAPPING"), ("target: {}\n", "INVALID_MAP")],
)
def test_load_raises_occurrence_map_error(tmp_path: Path, text: str, code: str) -> None:
    path = tmp_path / "occurrence_map.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(OccurrenceMapError) as info:
        load(path)
    error = info.value
    assert error.code == code
    assert str(path) in error.message
    assert error.to_dict() == {
        "code": code,
        "message": error.message,
        "next_step": error.next_step,
    }
    assert error.next_step


# --- deletions: `to: /dev/null` -------------------------------------------------------------


def test_a_move_to_dev_null_is_a_valid_and_admissible_deletion(
    base_map: dict[str, Any], as_text: Any
) -> None:
    base_map["moves"] = [
        {"from": ["docs/obsolete.md", "scripts/old/"], "to": "/dev/null", "reason": "retired"},
        {"from": ["tools/legacy.py"], "to": " /dev/null "},
        {"from": ["a.md"], "to": "/dev/null"},  # several deletions never overlap each other
    ]
    report = validate_text(as_text(base_map))
    assert (report.valid, report.admissible, report.errors) == (True, True, [])
    moves = build_map(base_map).moves
    assert [move.deletes for move in moves] == [True, True, True]


def test_dev_null_as_a_source_says_why(base_map: dict[str, Any], as_text: Any) -> None:
    base_map["moves"] = [{"from": ["/dev/null"], "to": "docs/new.md"}]
    (error,) = _errors(base_map, as_text)
    assert "would declare a creation" in error
    assert "to: /dev/null" in error
