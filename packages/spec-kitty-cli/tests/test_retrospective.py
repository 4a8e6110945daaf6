"""``retrospective.yaml`` is 3.x's record, key for key, from ``retrospect`` and from ``merge``.

``conforms_to_3x`` re-states the rules 3.2.7's reader enforces (a closed key set, an integer
``schema_version``, ``findings_status`` agreeing with the four lists, string timestamps,
evidence ids that resolve); ``tools/compat/check_retrospective.py`` runs 3.2.7's own reader.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from kitty_testing import TASKS_MD, commit_work, git, ok_json

from spec_kitty_cli._retrospective import FINDINGS, KEYS

CATEGORIES = {"process", "tooling", "spec_quality", "review_loop", "design",
              "implementation", "doc", "other"}  # fmt: skip
PROVENANCE = {"runtime_post_completion", "runtime_strict_gate", "runtime_abandoned",
              "explicit_create", "backfill", "synthesize_fabricate"}  # fmt: skip


def conforms_to_3x(record: dict[str, Any]) -> list[str]:
    """What 3.2.7's reader would refuse in ``record`` (empty: it reads it)."""
    problems = []
    extra = set(record) - set(KEYS)
    missing = set(KEYS) - {"provenance_history"} - set(record)
    if extra or missing:
        problems.append(f"keys: extra {sorted(extra)}, missing {sorted(missing)}")
    if record.get("schema_version") != 1 or isinstance(record.get("schema_version"), bool):
        problems.append("schema_version must be the integer 1")
    by = record.get("created_by", {})
    if set(by) - {"kind", "id", "display"} or by.get("kind") not in {"human", "agent", "runtime"}:
        problems.append(f"created_by: {by}")
    prov = record.get("provenance", {})
    if prov.get("kind") not in PROVENANCE or not isinstance(prov.get("invoked_at"), str):
        problems.append(f"provenance: {prov}")
    if not isinstance(record.get("policy_source"), dict):
        problems.append("policy_source must be a mapping")
    lists = [record.get(name) for name in (*FINDINGS, "evidence_refs")]
    if not all(isinstance(value, list) for value in lists):
        problems.append("the findings and evidence_refs must be lists")
        return problems
    any_finding = any(record[name] for name in FINDINGS)
    expected = "has_findings" if any_finding else "ran_no_findings"
    if record.get("findings_status") != expected:
        problems.append(f"findings_status {record.get('findings_status')!r}, lists say {expected}")
    evidence = {ref.get("id") for ref in record["evidence_refs"]}
    for ref in record["evidence_refs"]:
        if ref.get("kind") not in {"file", "event_range", "external"}:
            problems.append(f"evidence kind: {ref}")
    for name in ("helped", "not_helpful", "gaps"):
        for finding in record[name]:
            if not finding.get("id") or not finding.get("summary"):
                problems.append(f"{name}: a finding needs an id and a summary: {finding}")
            if finding.get("category") not in CATEGORIES:
                problems.append(f"{name}: category {finding.get('category')!r}")
            if set(finding.get("evidence_refs", [])) - evidence:
                problems.append(f"{name}: cites evidence that is not listed: {finding}")
    return problems


def _record(root: Path, folder: Path, branch: str = "main") -> dict[str, Any]:
    text = git(root, "show", f"{branch}:{folder.relative_to(root)}/retrospective.yaml")
    document: dict[str, Any] = yaml.safe_load(text)
    return document


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"went_well": []}, "keys: extra ['went_well']"),
        ({"schema_version": "1"}, "schema_version"),
        ({"findings_status": "has_findings"}, "findings_status"),
        ({"helped": [{"id": "h-001", "category": "process"}]}, "needs an id and a summary"),
        ({"provenance": {"kind": "explicit_create", "invoked_at": 1}}, "provenance"),
    ],
)
def test_the_check_refuses_what_3x_refuses(
    repo: Path, change: dict[str, Any], problem: str
) -> None:
    ok_json(repo, "init")
    made = ok_json(repo, "specify", "Retro check")
    ok_json(repo, "retrospect", "--mission", made["mid8"])
    record = _record(repo, Path(made["feature_dir"]))
    assert conforms_to_3x(record) == []
    assert any(problem in line for line in conforms_to_3x({**record, **change}))


def test_retrospect_writes_an_explicit_record_without_findings(repo: Path) -> None:
    ok_json(repo, "init")
    made = ok_json(repo, "specify", "Retro early", "--mission-type", "research")
    done = ok_json(repo, "retrospect", "--mission", made["mid8"])
    assert done["created"] is True
    record = _record(repo, Path(made["feature_dir"]))
    assert conforms_to_3x(record) == []
    assert list(record) == list(KEYS)
    assert record["provenance"]["kind"] == "explicit_create"
    assert record["findings_status"] == "ran_no_findings"
    assert (record["mission_type"], record["mission_number"]) == ("research", None)
    assert record["friendly_name"] == "Retro early"
    assert record["evidence_refs"][1]["path"].endswith("/status.events.jsonl")
    again = ok_json(repo, "retrospect", "--mission", made["mid8"])
    assert again["created"] is False  # kept as it is: people may have added findings


def test_merge_writes_the_record_with_its_number_and_forced_moves(repo: Path) -> None:
    ok_json(repo, "init")
    made = ok_json(repo, "specify", "Retro merged", "--topology", "single_branch")
    mid8, folder = made["mid8"], Path(made["feature_dir"])
    (folder / "tasks.md").write_text(TASKS_MD.split("## Work Package WP02")[0])
    ok_json(repo, "finalize-tasks", "--mission", mid8)
    ok_json(repo, "implement", "WP01", "--mission", mid8, "--agent", "a")
    commit_work(repo, "src/core.py", "core\n")
    ok_json(repo, "move-task", "WP01", "--to", "for_review", "--mission", mid8, "--actor", "a")
    ok_json(repo, "move-task", "WP01", "--to", "approved", "--mission", mid8, "--actor", "lead",
            "--force", "--reason", "reviewed offline")  # fmt: skip
    merged = ok_json(repo, "merge", "--mission", mid8)
    record = _record(repo, folder)
    assert conforms_to_3x(record) == []
    assert record["provenance"]["kind"] == "runtime_post_completion"
    assert record["mission_number"] == merged["mission_number"] == 1
    assert record["findings_status"] == "has_findings"
    assert record["not_helpful"] == [
        {
            "id": "n-001",
            "category": "process",
            "summary": "WP01 required 1 --force override(s) during workflow",
            "evidence_refs": ["e-002"],
        }
    ]


REPO_ROOT = Path(__file__).resolve().parents[3]
SK327_PYTHON = REPO_ROOT / ".bench" / "sk327" / "bin" / "python"


@pytest.mark.skipif(not SK327_PYTHON.exists(), reason="no 3.2.7 venv: tools/bench/reference_env.py")
def test_3_2_7_reads_the_record(repo: Path) -> None:
    """Where the reference venv is built, 3.2.7's own reader accepts what we write."""
    import subprocess

    ok_json(repo, "init")
    made = ok_json(repo, "specify", "Retro read by 3x")
    ok_json(repo, "retrospect", "--mission", made["mid8"])
    path = Path(made["feature_dir"]) / "retrospective.yaml"
    tool = REPO_ROOT / "tools" / "compat" / "check_retrospective.py"
    done = subprocess.run(
        [str(SK327_PYTHON), str(tool), str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("OK ")
