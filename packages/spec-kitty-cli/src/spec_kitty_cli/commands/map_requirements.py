"""3.x's ``agent tasks map-requirements``: which of the spec's requirements each WP covers.

The mapping lives where ours does, in each WP section's ``Requirement Refs`` line of
``tasks.md`` (and the WP files' ``requirement_refs``, once finalized), so ``finalize-tasks``
and the briefs read it. Refs are checked against the ids ``spec.md`` defines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from spec_kitty_cli._errors import CliError
from spec_kitty_cli._output import Report
from spec_kitty_cli._runtime import resolve

_REQUIREMENT_ID = re.compile(r"\b(?:FR|NFR|C|SC|RQ|DR)-\d{3,}\b")


def map_requirements(
    cwd: Path, mission: str | None, mapping: Mapping[str, Sequence[str]], *, replace: bool
) -> Report:
    """Add (or with ``replace``, set) each WP's refs in ``mapping``; report every WP's refs
    and the spec's requirements no WP covers. An empty ``mapping`` only reports."""
    from spec_kitty_cli._frontmatter import read_front_matter, replace_front_matter
    from spec_kitty_cli._planning import commit_planning
    from spec_kitty_cli._tasks_md import parse_tasks_md, with_requirement_refs
    from spec_kitty_cli.commands.finalize_tasks import _tasks_text

    ctx = resolve(cwd, "tasks", mission)
    folder = ctx.primary_mission_dir
    wanted = {wp_id.upper(): list(given) for wp_id, given in mapping.items()}
    if wanted and (folder / "wps.yaml").is_file():
        raise CliError(
            f"{ctx.mission_dir_name} has a wps.yaml: it decides each WP's requirement_refs",
            code="WPS_MANIFEST_DECIDES",
            next_step="set requirement_refs on the entries of wps.yaml, then "
            f"`spec-kitty finalize-tasks --mission {ctx.identity.mid8}`",
        )
    defined = _spec_requirements(folder / "spec.md")
    unknown = sorted({ref for given in wanted.values() for ref in given} - set(defined))
    if unknown:
        raise CliError(
            f"spec.md defines no {', '.join(unknown)}",
            code="UNKNOWN_REQUIREMENT",
            next_step=f"name ids spec.md defines ({', '.join(defined[:6]) or 'none yet'}), "
            "or add the requirements to spec.md first",
        )
    tasks_md, text = _tasks_text(ctx)
    refs = {wp.wp_id: list(wp.requirement_refs) for wp in parse_tasks_md(text)}
    for wp_id, given in wanted.items():
        merged = [] if replace else [*refs.get(wp_id, [])]
        merged += [ref for ref in dict.fromkeys(given) if ref not in merged]
        text = with_requirement_refs(text, wp_id, merged)
        refs[wp_id] = merged
    updated = []
    if text != tasks_md.read_text(encoding="utf-8"):
        tasks_md.write_text(text, encoding="utf-8")
        updated.append(tasks_md)
    for wp_id in wanted:
        for path in sorted(ctx.prompt_source.prompt_source_dir.glob(f"{wp_id}-*.md")):
            old = path.read_text(encoding="utf-8")
            front = read_front_matter(old, source=str(path))
            if front.get("requirement_refs") != refs[wp_id]:
                front["requirement_refs"] = refs[wp_id]
                path.write_text(replace_front_matter(old, front), encoding="utf-8")
                updated.append(path)
    # With a mapping, commit even when nothing changed now: a run killed after writing and
    # before committing leaves its edits for this one to commit.
    commit = commit_planning(ctx, f"map-requirements: {ctx.mission_dir_name}") if wanted else None
    covered = {ref for wp_refs in refs.values() for ref in wp_refs}
    document = {
        "mission": ctx.mission_dir_name,
        "mappings": refs,
        "unmapped_requirements": [ref for ref in defined if ref not in covered],
        "updated": [str(path) for path in updated],
        "commit": commit,
    }
    lines = [f"  {wp_id}: {', '.join(wp_refs) or 'none'}" for wp_id, wp_refs in refs.items()]
    if document["unmapped_requirements"]:
        lines.append(f"Not covered by any WP: {', '.join(document['unmapped_requirements'])}")
    return Report(document, [f"{ctx.mission_dir_name}: requirement refs", *lines])


def _spec_requirements(spec: Path) -> list[str]:
    """The requirement ids ``spec.md`` mentions, in order of first mention."""
    try:
        text = spec.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return list(dict.fromkeys(_REQUIREMENT_ID.findall(text)))
