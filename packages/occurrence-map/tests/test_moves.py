"""``check_moves``: sources gone, destinations present, no stale references."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from occurrence_map import check_moves
from occurrence_map._model import build_map


def _write(root: Path, rel: str, text: str = "x\n") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def moved_map(base_map: dict[str, Any]) -> Any:
    base_map["moves"] = [
        {"from": ["docs/old.md", "docs/legacy/"], "to": "docs/guides"},
        {"from": ["research/"], "to": "RETIRE"},
    ]
    return build_map(base_map)


def test_completed_moves_have_no_findings(moved_map: Any, tmp_path: Path) -> None:
    _write(tmp_path, "docs/guides/old.md", "see docs/guides/old.md\n")
    _write(tmp_path, "README.md", "read docs/older.md and mydocs/old.md\n")
    assert check_moves(moved_map, tmp_path) == []


def test_sources_still_present_and_destination_missing(moved_map: Any, tmp_path: Path) -> None:
    _write(tmp_path, "docs/old.md")
    _write(tmp_path, "research/notes.md")
    findings = check_moves(moved_map, tmp_path)
    assert [(f.severity, f.code) for f in findings] == [
        ("warning", "source_still_present"),
        ("warning", "destination_missing"),
        ("warning", "source_still_present"),
    ]
    assert "docs/old.md" in findings[0].message
    assert "moves[0]" in findings[1].message
    assert "research" in findings[2].message


def test_stale_references_are_reported(moved_map: Any, tmp_path: Path) -> None:
    _write(tmp_path, "docs/guides/index.md", "see [old](docs/old.md) and docs/legacy/a.md\n")
    _write(tmp_path, "src/app.py", "PATH = 'research/'\n")
    _write(tmp_path, ".git/config", "docs/old.md\n")
    (tmp_path / "bin.dat").write_bytes(b"\x00docs/old.md")
    (tmp_path / "big.txt").write_text("docs/old.md\n" + "x" * (1024 * 1024 + 1))
    findings = check_moves(moved_map, tmp_path)
    assert {f.code for f in findings} == {"stale_reference"}
    messages = sorted(f.message for f in findings)
    assert len(messages) == 3
    assert messages[0].startswith("docs/guides/index.md: still references 'docs/legacy/'")
    assert messages[1].startswith("docs/guides/index.md: still references 'docs/old.md'")
    assert messages[2].startswith("src/app.py: still references 'research/'")


def test_the_map_itself_is_not_a_stale_reference(base_map: dict[str, Any], tmp_path: Path) -> None:
    base_map["moves"] = [{"from": ["a.md"], "to": "b.md"}]
    _write(tmp_path, "b.md")
    map_path = tmp_path / "kitty-specs" / "m" / "occurrence_map.yaml"
    _write(tmp_path, "kitty-specs/m/occurrence_map.yaml", "moves: [{from: [a.md], to: b.md}]\n")
    assert check_moves(build_map(base_map, map_path), tmp_path) == []


def test_strict_makes_findings_errors(moved_map: Any, tmp_path: Path) -> None:
    _write(tmp_path, "docs/old.md")
    findings = check_moves(moved_map, tmp_path, strict=True)
    assert findings
    assert {f.severity for f in findings} == {"error"}


def test_glob_destination_and_no_moves(base_map: dict[str, Any], tmp_path: Path) -> None:
    assert check_moves(build_map(base_map), tmp_path) == []
    base_map["moves"] = [{"from": ["src/*.py"], "to": "lib/*.py"}]
    _write(tmp_path, "lib/a.py")
    assert check_moves(build_map(base_map), tmp_path) == []
