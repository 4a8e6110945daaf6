"""The diff gate: one test per rule, in precedence order, plus the category heuristics."""

from __future__ import annotations

from typing import Any

import pytest

from occurrence_map import OccurrenceMap, check_diff
from occurrence_map._diff import classify_path
from occurrence_map._model import build_map

MISSION = "kitty-specs/m-01"


def _map(base_map: dict[str, Any], **extra: Any) -> OccurrenceMap:
    base_map.update(extra)
    return build_map(base_map)


def _one(omap: OccurrenceMap, path: str, mission_dir: str | None = MISSION) -> Any:
    (entry,) = check_diff(omap, [path], mission_dir=mission_dir).entries
    return entry


def test_rule1_whole_file_exception_beats_everything(base_map: dict[str, Any]) -> None:
    omap = _map(
        base_map,
        exceptions=[{"path": "src/*.py", "action": "do_not_change", "reason": "frozen"}],
        moves=[{"from": ["src/a.py"], "to": "src/b.py"}],
        structural_targets=[{"path": "src/a.py", "reason": "r"}],
    )
    entry = _one(omap, "src/a.py")
    assert (entry.source, entry.action, entry.verdict) == ("exception", "do_not_change", "blocked")
    assert "frozen" in entry.reason


def test_rule1_allowing_exception_and_recursive_glob(base_map: dict[str, Any]) -> None:
    omap = _map(base_map, exceptions=[{"path": "kitty-specs/**", "action": "manual_review"}])
    entry = _one(omap, "kitty-specs/m-01/tasks/WP01.md")
    assert (entry.source, entry.verdict) == ("exception", "allowed")


def test_field_path_exception_does_not_govern_the_whole_file(base_map: dict[str, Any]) -> None:
    base_map["categories"]["user_facing_strings"] = {"action": "do_not_change"}
    omap = _map(
        base_map,
        exceptions=[{"path": "docs/*.md", "action": "manual_review", "field_path": "related"}],
    )
    entry = _one(omap, "docs/plan.md")
    assert (entry.source, entry.verdict) == ("category", "blocked")


def test_rule2_move_source_and_destination(base_map: dict[str, Any]) -> None:
    base_map["categories"]["user_facing_strings"] = {"action": "do_not_change"}
    omap = _map(
        base_map,
        moves=[{"from": ["docs/old/"], "to": "docs/new", "reason": "regroup"}],
        structural_targets=[{"path": "docs/new/a.md", "reason": "r"}],
    )
    src, dst, other = check_diff(omap, ["docs/old/a.md", "docs/new/a.md", "docs/newer.md"]).entries
    assert (src.source, src.action, src.verdict) == ("move", "move", "allowed")
    assert "source" in src.reason
    assert "regroup" in src.reason
    assert (dst.source, dst.verdict) == ("move", "allowed")
    assert "destination" in dst.reason
    assert (other.source, other.verdict) == ("category", "blocked")


def test_rule3_structural_target(base_map: dict[str, Any]) -> None:
    base_map["categories"]["code_symbols"] = {"action": "do_not_change"}
    omap = _map(
        base_map,
        structural_targets=[{"path": "src/pkg/*.py", "reason": "new helper"}],
    )
    entry = _one(omap, "src/pkg/util.py", mission_dir="src")
    assert (entry.source, entry.verdict) == ("structural_target", "allowed")
    assert _one(omap, "src/pkg/sub/util.py", mission_dir=None).verdict == "blocked"


def test_broad_structural_target_never_exempts(base_map: dict[str, Any]) -> None:
    base_map["categories"]["code_symbols"] = {"action": "do_not_change"}
    omap = _map(base_map, structural_targets=[{"path": "src/**/*.py", "reason": "r"}])
    assert _one(omap, "src/pkg/util.py").source == "category"


def test_rule4_mission_bookkeeping(base_map: dict[str, Any]) -> None:
    base_map["categories"]["user_facing_strings"] = {"action": "do_not_change"}
    omap = _map(base_map)
    entry = _one(omap, f"{MISSION}/tasks.md")
    assert (entry.source, entry.action, entry.verdict) == ("bookkeeping", None, "allowed")
    assert _one(omap, "kitty-specs/other-02/tasks.md").verdict == "blocked"
    assert _one(omap, f"{MISSION}/tasks.md", mission_dir=None).source == "category"


@pytest.mark.parametrize(
    ("action", "verdict"),
    [
        ("rename", "allowed"),
        ("manual_review", "allowed"),
        ("rename_if_user_visible", "allowed"),
        ("do_not_change", "blocked"),
    ],
)
def test_rule5_category_action(base_map: dict[str, Any], action: str, verdict: str) -> None:
    base_map["categories"]["code_symbols"] = {"action": action}
    entry = _one(_map(base_map), "src/pkg/mod.py")
    assert (entry.source, entry.category, entry.action) == ("category", "code_symbols", action)
    assert entry.verdict == verdict


def test_category_missing_from_map_blocks(base_map: dict[str, Any]) -> None:
    del base_map["categories"]["serialized_keys"]
    entry = _one(_map(base_map), "config/settings.toml")
    assert (entry.category, entry.action, entry.verdict) == ("serialized_keys", None, "blocked")
    assert "missing" in entry.reason


def test_path_in_no_category_blocks(base_map: dict[str, Any]) -> None:
    entry = _one(_map(base_map), "Makefile")
    assert (entry.source, entry.category, entry.verdict) == ("none", None, "blocked")


@pytest.mark.parametrize(
    ("path", "category"),
    [
        ("tests/cli/commands/test_x.py", "tests_fixtures"),
        ("pkg/test_util.py", "tests_fixtures"),
        ("src/fixtures/data.json", "tests_fixtures"),
        ("src/app/cli/main.py", "cli_commands"),
        ("src/app/commands/init.py", "cli_commands"),
        ("src/specify_cli/core.py", "code_symbols"),
        ("docs/guide.yaml", "user_facing_strings"),
        ("notes.rst", "user_facing_strings"),
        ("README", "user_facing_strings"),
        ("requirements.txt", "user_facing_strings"),
        (".github/workflows/ci.yml", "serialized_keys"),
        ("pyproject.toml", "serialized_keys"),
        ("web/app.tsx", "code_symbols"),
        ("./src/x.go", "code_symbols"),
        ("media/logo.webp", None),
    ],
)
def test_category_heuristics(path: str, category: str | None) -> None:
    assert classify_path(path) == category


def test_report_ok_and_blocked(base_map: dict[str, Any]) -> None:
    base_map["categories"]["cli_commands"] = {"action": "do_not_change"}
    omap = _map(base_map)
    report = check_diff(omap, ["src/a.py", "src/cli/b.py", "Makefile"])
    assert [e.path for e in report.blocked] == ["src/cli/b.py", "Makefile"]
    assert report.ok is False
    assert check_diff(omap, ["src/a.py"]).ok is True
    assert check_diff(omap, []).ok is True


def test_rule2_a_deletion(base_map: dict[str, Any]) -> None:
    base_map["categories"]["user_facing_strings"] = {"action": "do_not_change"}
    omap = _map(base_map, moves=[{"from": ["docs/old/"], "to": "/dev/null", "reason": "gone"}])
    gone, other = check_diff(omap, ["docs/old/a.md", "docs/new.md"]).entries
    assert (gone.source, gone.action, gone.verdict) == ("move", "delete", "allowed")
    assert gone.reason == "declared deletion moves[0]: gone"
    assert (other.source, other.verdict) == ("category", "blocked")
    # The destination of a deletion covers nothing, not even a path spelt like it.
    assert _one(omap, "dev/null").source != "move"
