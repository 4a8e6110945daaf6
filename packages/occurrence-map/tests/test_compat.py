"""Our verdicts on real maps equal spec-kitty 3.2.7's (``expected-validation.json``).

The corpus is ``$SPEC_KITTY_COMPAT_DIR/occurrence-maps`` or ``shared/compat`` beside the
monorepo. Without it these tests skip, unless ``SPEC_KITTY_REQUIRE_COMPAT=1``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from occurrence_map import load, validate_file


def _corpus() -> Path:
    configured = os.environ.get("SPEC_KITTY_COMPAT_DIR")
    if configured:
        return Path(configured) / "occurrence-maps"
    return Path(__file__).resolve().parents[3].parent / "shared" / "compat" / "occurrence-maps"


CORPUS = _corpus()
MAPS = sorted(p for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []
REQUIRED = os.environ.get("SPEC_KITTY_REQUIRE_COMPAT", "") not in ("", "0")


def test_corpus_present_when_required() -> None:
    if not MAPS:
        if REQUIRED:
            pytest.fail(f"SPEC_KITTY_REQUIRE_COMPAT is set but {CORPUS} has no maps")
        pytest.skip(f"compat corpus not found at {CORPUS}")
    assert len(MAPS) >= 5


@pytest.mark.skipif(not MAPS, reason="compat corpus (shared/compat/occurrence-maps) missing")
@pytest.mark.parametrize("mission", MAPS, ids=[p.name for p in MAPS])
def test_verdict_matches_3_2_7(mission: Path) -> None:
    expected = json.loads((mission / "expected-validation.json").read_text(encoding="utf-8"))
    report = validate_file(mission / "occurrence_map.yaml")
    if "exception" in expected:  # 3.2.7 crashed: we must report a located error instead
        assert report.valid is False
        assert any("line" in error and "column" in error for error in report.errors)
        return
    assert report.valid == expected["valid"], report.errors
    assert report.admissible == expected.get("admissible"), report.admissibility_errors
    assert bool(report.errors) == bool(expected["errors"])
    assert len(report.errors) == len(expected["errors"])
    assert len(report.warnings) == len(expected["warnings"])
    if report.valid:
        assert load(mission / "occurrence_map.yaml").target.term


# -- deletions: `to: /dev/null`, as real maps write them --------------------------------------

DELETING_MAP = """\
target:
  term: legacy_sync
  replacement: sync_daemon
  operation: remove
categories:
  code_symbols: {action: rename}
  import_paths: {action: rename}
  filesystem_paths: {action: manual_review}
  serialized_keys: {action: do_not_change}
  cli_commands: {action: rename_if_user_visible}
  user_facing_strings: {action: manual_review}
  tests_fixtures: {action: rename}
  logs_telemetry: {action: do_not_change}
moves:
  - from: [src/legacy_sync/, docs/legacy-sync.md]
    to: /dev/null
    reason: the old sync loop is removed with its page
  - from: [scripts/sync.sh]
    to: /dev/null
  - from: [docs/old-name.md]
    to: docs/new-name.md
"""
REPO = Path(__file__).resolve().parents[3]
SK327_PYTHON = REPO / ".bench" / "sk327" / "bin" / "python"
TOOL = REPO / "tools" / "compat" / "check_occurrence_map.py"


def _ours(path: Path) -> dict[str, Any]:
    report = validate_file(path)
    return {
        "valid": report.valid,
        "admissible": report.admissible,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
    }


def test_a_map_that_deletes_is_valid_and_admissible(tmp_path: Path) -> None:
    path = tmp_path / "occurrence_map.yaml"
    path.write_text(DELETING_MAP, encoding="utf-8")
    assert _ours(path) == {"valid": True, "admissible": True, "errors": 0, "warnings": 0}
    assert [move.deletes for move in load(path).moves] == [True, True, False]


@pytest.mark.skipif(not SK327_PYTHON.exists(), reason="no 3.2.7 venv: tools/bench/reference_env.py")
def test_3_2_7_gives_our_verdicts_on_the_corpus_and_on_a_deleting_map(tmp_path: Path) -> None:
    """Where the reference venv is built, 3.2.7 run now agrees with us map by map (and with
    the corpus's recorded ``expected-validation.json``)."""
    written = tmp_path / "occurrence_map.yaml"
    written.write_text(DELETING_MAP, encoding="utf-8")
    paths = [written, *(mission / "occurrence_map.yaml" for mission in MAPS)]
    done = subprocess.run(
        [str(SK327_PYTHON), str(TOOL), *map(str, paths)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout)
    assert len(theirs) == len(paths)
    for path in paths:
        verdict = theirs[str(path)]
        if path != written:
            expected = json.loads((path.parent / "expected-validation.json").read_text("utf-8"))
            assert {key: verdict.get(key) for key in expected} == expected
        if "exception" in verdict:
            assert validate_file(path).valid is False
            continue
        assert _ours(path) == {
            "valid": verdict["valid"],
            "admissible": verdict["admissible"],
            "errors": len(verdict["errors"]),
            "warnings": len(verdict["warnings"]),
        }, path
