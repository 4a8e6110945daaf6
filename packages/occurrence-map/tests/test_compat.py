"""Our verdicts on real maps equal spec-kitty 3.2.7's (``expected-validation.json``).

The corpus is ``$SPEC_KITTY_COMPAT_DIR/occurrence-maps`` or ``shared/compat`` beside the
monorepo. Without it these tests skip, unless ``SPEC_KITTY_REQUIRE_COMPAT=1``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

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
