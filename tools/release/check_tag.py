#!/usr/bin/env python3
"""Check a release tag ``<dist>-vX.Y.Z`` against the package it names.

    python tools/release/check_tag.py mission-status-v0.1.0 [--root REPO]

The tag must name a distribution under ``packages/`` and carry exactly the version in that
package's ``__about__.py`` (the file ``[tool.hatch.version] path`` points at), and the
package's CHANGELOG.md must have an entry for it. On success prints ``dist=``, ``version=``
and ``path=`` lines (ready to append to ``$GITHUB_OUTPUT``) and exits 0; otherwise prints one
``error: ...`` line on stderr and exits 1. Exit 2 is bad usage.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

TAG_PATTERN = re.compile(r"(?P<dist>[a-z0-9]+(?:-[a-z0-9]+)*)-v(?P<version>\d+\.\d+\.\d+)")
DEFAULT_ROOT = Path(__file__).resolve().parents[2]


class TagError(Exception):
    """The tag cannot be released: malformed, unknown package, or version mismatch."""


@dataclass(frozen=True)
class Release:
    """What a valid tag releases: the distribution, its version and its directory."""

    dist: str
    version: str
    path: Path


def parse_tag(tag: str) -> tuple[str, str]:
    """Split ``<dist>-vX.Y.Z`` (optionally prefixed ``refs/tags/``) into dist and version."""
    match = TAG_PATTERN.fullmatch(tag.removeprefix("refs/tags/"))
    if match is None:
        raise TagError(
            f"tag {tag!r} is not <dist>-vX.Y.Z (e.g. mission-status-v0.1.0); "
            "the version must be three numbers"
        )
    return match["dist"], match["version"]


def package_version(package: Path) -> str:
    """``__version__`` of the package at ``package``, read from its ``__about__`` without import."""
    config = tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))
    try:
        about = package / config["tool"]["hatch"]["version"]["path"]
    except KeyError:
        raise TagError(f"{package}/pyproject.toml has no [tool.hatch.version] path") from None
    for node in ast.parse(about.read_text(encoding="utf-8")).body:
        if (
            isinstance(node, ast.Assign)
            and any(getattr(target, "id", None) == "__version__" for target in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    raise TagError(f'{about} has no `__version__ = "..."` line')


def check_tag(tag: str, root: Path) -> Release:
    """The release ``tag`` stands for in the repository at ``root``. Raises :class:`TagError`."""
    dist, version = parse_tag(tag)
    package = root / "packages" / dist
    if not (package / "pyproject.toml").is_file():
        known = sorted(
            p.name for p in (root / "packages").glob("*") if (p / "pyproject.toml").is_file()
        )
        raise TagError(
            f"tag {tag!r} names no package: packages/{dist} does not exist "
            f"(known: {', '.join(known) or 'none'})"
        )
    actual = package_version(package)
    if actual != version:
        raise TagError(
            f"tag {tag!r} says {version} but packages/{dist} is at {actual}: "
            f"bump __about__.__version__ or tag {dist}-v{actual}"
        )
    changelog = package / "CHANGELOG.md"
    text = changelog.read_text(encoding="utf-8") if changelog.is_file() else ""
    if not re.search(rf"^## \[{re.escape(version)}\]", text, re.MULTILINE):
        raise TagError(f"packages/{dist}/CHANGELOG.md has no `## [{version}]` entry")
    return Release(dist=dist, version=version, path=package.relative_to(root))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a <dist>-vX.Y.Z release tag.")
    parser.add_argument("tag", help="the tag, e.g. mission-status-v0.1.0")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="repository root")
    args = parser.parse_args(argv)
    try:
        release = check_tag(args.tag, args.root)
    except TagError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"dist={release.dist}")
    print(f"version={release.version}")
    print(f"path={release.path.as_posix()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
