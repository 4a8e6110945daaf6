"""Every real mission in the compat corpus reduces to spec-kitty 3.2.7's exact status.json."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest
from status_support import compat_root

from mission_status import (
    LiveView,
    materialize,
    materialize_snapshot,
    render_status_json,
)

ROOT = compat_root()
MISSIONS = sorted((ROOT / "spec-kitty-missions").iterdir()) if ROOT else []

if ROOT is None and os.environ.get("SPEC_KITTY_REQUIRE_COMPAT"):
    raise RuntimeError("SPEC_KITTY_REQUIRE_COMPAT is set but the compat corpus is missing")
pytestmark = pytest.mark.skipif(ROOT is None, reason="compat corpus (../shared/compat) absent")


def test_corpus_is_present_and_large() -> None:
    assert len(MISSIONS) >= 100


@pytest.mark.parametrize("mission", MISSIONS, ids=[m.name for m in MISSIONS])
def test_status_json_is_byte_identical(mission: Path) -> None:
    expected = (mission / "expected-status.json").read_text(encoding="utf-8")
    assert render_status_json(materialize_snapshot(mission)) == expected


def test_every_mission_through_a_live_view_and_a_shuffled_log(tmp_path: Path) -> None:
    """The tail-following view and the out-of-order (sorting) path agree with the file."""
    rng = random.Random(2026)
    for mission in MISSIONS:
        expected = (mission / "expected-status.json").read_text(encoding="utf-8")
        copy = tmp_path / mission.name
        shutil.copytree(mission, copy)
        log = copy / "status.events.jsonl"
        lines = log.read_bytes().splitlines(keepends=True)
        half = len(lines) // 2
        log.write_bytes(b"".join(lines[:half]))
        view = LiveView(copy)
        view.snapshot()
        with log.open("ab") as handle:
            handle.write(b"".join(lines[half:]))
        assert render_status_json(view.snapshot()) == expected, mission.name
        rng.shuffle(lines)
        log.write_bytes(b"".join(lines))
        assert render_status_json(materialize_snapshot(copy)) == expected, mission.name
        shutil.rmtree(copy)


def test_materialize_writes_the_expected_file(tmp_path: Path) -> None:
    mission = MISSIONS[0]
    copy = tmp_path / mission.name
    shutil.copytree(mission, copy)
    first = materialize(copy)
    assert first.written
    assert (copy / "status.json").read_bytes() == (mission / "expected-status.json").read_bytes()
    assert not materialize(copy).written
