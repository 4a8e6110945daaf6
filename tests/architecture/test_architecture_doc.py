"""docs/architecture.md matches the tree: every module it names exists where it says."""

from __future__ import annotations

import re

from workspace import PACKAGES, ROOT

DOC = ROOT / "docs" / "architecture.md"
#: Which package's tree each section of the doc speaks of.
SECTIONS = {
    "## The context (mission-context)": "mission-context",
    "## The status authority (mission-status)": "mission-status",
    "## The CLI (spec-kitty-cli)": "spec-kitty-cli",
    "## Background services (sync-daemon)": "sync-daemon",
}


def named_modules() -> list[tuple[str, str]]:
    """(package, module path) for every `x.py` or `dir/<x>.py` the doc names, per section.

    A name under `tools/` is the repository's own tool, looked up from the root.
    """
    found = []
    package = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            package = SECTIONS.get(line.strip())
        if package is None:
            continue
        names = re.findall(r"`([\w/<>]+\.py)`", line)
        found += [(package, name) for name in names if not name.startswith("tests/")]
    return found


def test_every_module_the_architecture_doc_names_exists() -> None:
    named = named_modules()
    assert len(named) >= 20  # the check really reads the doc
    missing = []
    for package, name in named:
        source = next((PACKAGES / package / "src").iterdir())
        if "<command>" in name:
            assert (source / "commands").is_dir()
            continue
        # The repository's own tools (e.g. a generator) are named from the root.
        where = ROOT if name.startswith("tools/") else source
        if not list(where.glob(name)):
            missing.append(f"{package}: {name}")
    assert missing == []
