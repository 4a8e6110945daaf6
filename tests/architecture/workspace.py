"""The workspace as the architecture tests see it: where it is and which packages it has."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ROOT / "packages"
#: Distribution name -> import name, for every package of the workspace.
IMPORT_NAMES = {
    "mission-status": "mission_status",
    "mission-context": "mission_context",
    "occurrence-map": "occurrence_map",
    "sync-daemon": "sync_daemon",
    "spec-kitty-cli": "spec_kitty_cli",
}
DISTS = sorted(IMPORT_NAMES)
