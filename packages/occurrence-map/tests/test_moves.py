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


# -- deletions: `to: /dev/null` -------------------------------------------------------------


@pytest.fixture
def deleting_map(base_map: dict[str, Any]) -> Any:
    base_map["moves"] = [
        {"from": ["docs/obsolete.md", "scripts/old/"], "to": "/dev/null", "reason": "retired"},
        {"from": ["tools/*.sh"], "to": "/dev/null"},
    ]
    return build_map(base_map)


def test_a_completed_deletion_has_no_findings(deleting_map: Any, tmp_path: Path) -> None:
    _write(tmp_path, "docs/kept.md", "see docs/kept.md; docs/obsolete.mdx is another file\n")
    (tmp_path / "scripts" / "old").mkdir(parents=True)  # an empty directory git cannot see
    _write(tmp_path, "tools/run.py")
    assert check_moves(deleting_map, tmp_path) == []
    # /dev/null itself is never looked for under the checkout, nor on the machine.
    assert not (tmp_path / "dev").exists()


def test_a_deleted_path_still_there_or_recreated_is_a_finding(
    deleting_map: Any, tmp_path: Path
) -> None:
    _write(tmp_path, "docs/obsolete.md", "stub\n")  # deleted, then put back in its place
    _write(tmp_path, "scripts/old/deep/run.py")
    _write(tmp_path, "tools/build.sh")
    findings = check_moves(deleting_map, tmp_path, strict=True)
    assert [(f.severity, f.code) for f in findings] == [("error", "source_still_present")] * 3
    assert findings[0].message == (
        "moves[0]: 'docs/obsolete.md' is deleted by this move (to: /dev/null) but is still there"
    )
    assert "'scripts/old'" in findings[1].message
    assert "moves[1]: 'tools/*.sh'" in findings[2].message
    assert not any("destination" in f.message for f in findings)


def test_a_remaining_reference_to_a_deleted_path_is_a_finding(
    deleting_map: Any, tmp_path: Path
) -> None:
    _write(tmp_path, "README.md", "run scripts/old/ or read docs/obsolete.md\n")
    findings = check_moves(deleting_map, tmp_path)
    assert sorted(f.message for f in findings) == [
        "README.md: still references 'docs/obsolete.md', deleted by moves[0]",
        "README.md: still references 'scripts/old/', deleted by moves[0]",
    ]
    assert {f.code for f in findings} == {"stale_reference"}


def test_the_mission_s_own_files_are_not_stale_references(
    deleting_map: Any, tmp_path: Path
) -> None:
    _write(tmp_path, "kitty-specs/m-01/spec.md", "delete docs/obsolete.md\n")
    _write(tmp_path, "kitty-specs/m-01/occurrence_map.yaml", "from: [docs/obsolete.md]\n")
    _write(tmp_path, "kitty-specs/m-010/notes.md", "docs/obsolete.md\n")  # another directory
    findings = check_moves(deleting_map, tmp_path, mission_dir="kitty-specs/m-01")
    assert [f.message for f in findings] == [
        "kitty-specs/m-010/notes.md: still references 'docs/obsolete.md', deleted by moves[0]"
    ]
