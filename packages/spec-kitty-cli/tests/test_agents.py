"""``spec-kitty init --ai`` and ``spec-kitty agents``: each harness's files, in the project.

Real repositories, the CLI as a process: what a user sees on disk, in ``git status`` and in
the JSON documents.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from kitty_testing import cli, git, ok_json, tree_digest

from spec_kitty_cli._agents import HARNESSES, MANIFEST, SECTION, files_for
from spec_kitty_cli._prompts import (
    AGENTS_MD_BEGIN,
    AGENTS_MD_END,
    AGENTS_MD_SECTION,
    COMMANDS,
    SKILL_DESCRIPTION,
    SKILL_NAME,
)

FIVE = "claude,codex,gemini,copilot,cursor"
#: Where each command of a command harness goes (``{}`` is the command's name).
COMMAND_FILES = {
    "claude": ".claude/commands/spec-kitty.{}.md",
    "gemini": ".gemini/commands/spec-kitty.{}.toml",
    "copilot": ".github/prompts/spec-kitty.{}.prompt.md",
    "cursor": ".cursor/commands/spec-kitty.{}.md",
    "codex": ".agents/skills/spec-kitty-{}/SKILL.md",
}


def front_matter(text: str) -> dict[str, Any]:
    """The YAML front matter of a Markdown file (it must have one)."""
    assert text.startswith("---\n"), text[:80]
    block = text[4:].split("\n---\n", 1)[0]
    loaded = yaml.safe_load(block)
    assert isinstance(loaded, dict)
    return loaded


def files_under(root: Path) -> dict[str, int]:
    """Every file outside .git with its mtime (ns)."""
    return {
        str(path.relative_to(root)): path.stat().st_mtime_ns
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def manifest(root: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((root / MANIFEST).read_text())
    return loaded


def statuses(document: dict[str, Any]) -> dict[str, str]:
    return {f["path"]: f["status"] for f in document["files"]}


def refused(cwd: Path, *args: str) -> tuple[int, dict[str, str]]:
    done = cli(cwd, *args, "--json")
    error: dict[str, str] = json.loads(done.stdout)["error"]
    return done.returncode, error


def test_init_ai_writes_each_harness_in_its_own_format(tmp_path: Path) -> None:
    document = ok_json(tmp_path, "init", "proj", "--ai", FIVE)
    root = tmp_path / "proj"

    added = document["agents"]
    assert added["agents"] == FIVE.split(",")
    assert {f["status"] for f in added["files"]} == {"created"}
    assert added["kept"] == []
    for key, pattern in COMMAND_FILES.items():
        for command in COMMANDS:
            text = (root / pattern.format(command.name)).read_text()
            assert "$AGENT" not in text
            assert "$ARGUMENTS" not in text or key in {"claude", "copilot", "cursor"}
            if pattern.endswith(".toml"):
                parsed = tomllib.loads(text)
                assert parsed["description"] == command.description
                assert "{{args}}" in parsed["prompt"]
                assert command.body.splitlines()[0] in parsed["prompt"]
            elif key == "cursor":
                assert not text.startswith("---")
                assert "$ARGUMENTS" in text
            else:
                meta = front_matter(text)
                assert meta["description"] == command.description
                if key == "codex":
                    assert meta["name"] == f"spec-kitty-{command.name}"
                    assert "the user's request (their message)" in text
                else:
                    assert "$ARGUMENTS" in text
                if key == "copilot":
                    assert meta["agent"] == "agent"
    implement = (root / ".claude/commands/spec-kitty.implement.md").read_text()
    assert "--agent claude" in implement
    assert "--agent gemini" in (root / ".gemini/commands/spec-kitty.implement.toml").read_text()

    for skill in (".claude/skills/spec-kitty/SKILL.md", ".agents/skills/spec-kitty/SKILL.md"):
        meta = front_matter((root / skill).read_text())
        assert meta == {"name": SKILL_NAME, "description": SKILL_DESCRIPTION}
    rule = front_matter((root / ".cursor/rules/spec-kitty.mdc").read_text())
    assert rule == {"description": SKILL_DESCRIPTION, "alwaysApply": False}

    agents_md = (root / "AGENTS.md").read_text()
    assert agents_md == SECTION
    assert agents_md.splitlines()[0] == AGENTS_MD_BEGIN
    assert agents_md.splitlines()[-1] == AGENTS_MD_END
    assert AGENTS_MD_SECTION in agents_md

    recorded = manifest(root)
    assert sorted(recorded["agents"]) == sorted(FIVE.split(","))
    assert len(recorded["agents"]["claude"]["files"]) == len(COMMANDS) + 1
    raw = (root / MANIFEST).read_text()
    assert raw == json.dumps(json.loads(raw), indent=2, sort_keys=True) + "\n"
    # the files are the user's to commit or ignore: init commits only its own
    untracked = git(root, "status", "--porcelain").splitlines()
    assert "?? AGENTS.md" in untracked
    assert "?? .kittify/agents.json" in untracked


def test_init_without_ai_has_no_agents_and_writes_none(tmp_path: Path) -> None:
    document = ok_json(tmp_path, "init", "proj")

    assert document["agents"] is None
    assert not (tmp_path / "proj" / "AGENTS.md").exists()
    assert not (tmp_path / "proj" / MANIFEST).exists()


def test_a_second_run_changes_nothing(tmp_path: Path) -> None:
    ok_json(tmp_path, "init", "proj", "--ai", FIVE)
    root = tmp_path / "proj"
    digest, mtimes = tree_digest(root), files_under(root)

    again = ok_json(root, "agents", "add", FIVE)
    init_again = ok_json(tmp_path, "init", "proj", "--ai", FIVE)

    assert again["changed"] == []
    assert set(statuses(again).values()) == {"unchanged"}
    assert init_again["agents"]["changed"] == []
    assert tree_digest(root) == digest
    assert files_under(root) == mtimes
    done = cli(root, "agents", "add", "claude")
    assert done.returncode == 0
    assert done.stdout.splitlines()[-1] == "Next: spec-kitty next --agent claude"


def test_remove_leaves_no_trace(repo: Path) -> None:
    ok_json(repo, "agents", "add", "gemini,claude")
    assert (repo / ".gemini/commands").is_dir()

    removed = ok_json(repo, "agents", "remove", "gemini")

    assert removed["agents"] == ["gemini"]
    assert set(statuses(removed).values()) == {"removed"}
    assert not (repo / ".gemini").exists()
    assert "gemini" not in manifest(repo)["agents"]
    porcelain = git(repo, "status", "--porcelain", "--untracked-files=all")
    assert ".gemini" not in porcelain
    assert (repo / "AGENTS.md").exists()  # claude still shares it

    last = ok_json(repo, "agents", "remove", "claude")

    assert "AGENTS.md" in last["changed"]
    assert MANIFEST in last["changed"]
    assert not (repo / ".kittify").exists()
    assert not (repo / "AGENTS.md").exists()
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""


def test_init_ai_then_remove_leaves_only_what_init_wrote(tmp_path: Path) -> None:
    ok_json(tmp_path, "init", "proj")
    root = tmp_path / "proj"
    before = tree_digest(root)
    ok_json(tmp_path, "init", "proj", "--ai", "gemini")

    ok_json(root, "agents", "remove", "gemini")

    assert not (root / ".gemini").exists()
    assert tree_digest(root) == before
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""


def test_a_user_edit_is_kept_unless_forced(repo: Path) -> None:
    ok_json(repo, "agents", "add", "claude")
    plan = repo / ".claude/commands/spec-kitty.plan.md"
    plan.write_text("my own plan command\n")

    again = ok_json(repo, "agents", "add", "claude")
    assert statuses(again)[".claude/commands/spec-kitty.plan.md"] == "kept"
    assert again["kept"] == [".claude/commands/spec-kitty.plan.md"]
    assert plan.read_text() == "my own plan command\n"
    people = cli(repo, "agents", "add", "claude").stdout
    assert "kept .claude/commands/spec-kitty.plan.md (modified by you; --force overwrites)" in (
        people
    )

    removed = ok_json(repo, "agents", "remove", "claude")
    assert removed["kept"] == [".claude/commands/spec-kitty.plan.md"]
    assert plan.read_text() == "my own plan command\n"
    assert sorted(p.name for p in (repo / ".claude").rglob("*") if p.is_file()) == [plan.name]
    assert list(manifest(repo)["agents"]["claude"]["files"]) == [
        ".claude/commands/spec-kitty.plan.md"
    ]
    listed = ok_json(repo, "agents", "list", "claude")["agents"][0]
    assert listed["installed"] is True
    assert listed["files"] == [
        {
            "path": ".claude/commands/spec-kitty.plan.md",
            "present": True,
            "modified": True,
            "current": False,
        }
    ]

    forced = ok_json(repo, "agents", "remove", "claude", "--force")
    assert statuses(forced) == {
        ".claude/commands/spec-kitty.plan.md": "removed",
        "AGENTS.md": "removed",
    }
    assert not (repo / ".claude").exists()
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""


def test_force_overwrites_an_edit_on_add(repo: Path) -> None:
    ok_json(repo, "agents", "add", "claude")
    plan = repo / ".claude/commands/spec-kitty.plan.md"
    ours = plan.read_bytes()
    plan.write_text("edited\n")

    forced = ok_json(repo, "agents", "add", "claude", "--force")

    assert statuses(forced)[".claude/commands/spec-kitty.plan.md"] == "updated"
    assert plan.read_bytes() == ours
    assert ok_json(repo, "agents", "list", "claude")["agents"][0]["files"][0]["modified"] is False


def test_a_file_that_was_there_before_is_not_ours(repo: Path) -> None:
    theirs = repo / ".cursor/commands/spec-kitty.plan.md"
    theirs.parent.mkdir(parents=True)
    theirs.write_text("the team's own plan command\n")

    added = ok_json(repo, "agents", "add", "cursor")
    assert statuses(added)[".cursor/commands/spec-kitty.plan.md"] == "kept"
    assert ".cursor/commands/spec-kitty.plan.md" not in manifest(repo)["agents"]["cursor"]["files"]

    ok_json(repo, "agents", "remove", "cursor")

    assert theirs.read_text() == "the team's own plan command\n"
    assert sorted(p.name for p in (repo / ".cursor").rglob("*") if p.is_file()) == [theirs.name]


def test_a_file_we_wrote_from_an_older_template_is_rewritten(repo: Path) -> None:
    ok_json(repo, "agents", "add", "claude")
    plan = repo / ".claude/commands/spec-kitty.plan.md"
    ours = plan.read_bytes()
    old = b"---\ndescription: an older template\n---\nold body\n"
    plan.write_bytes(old)
    recorded = manifest(repo)
    recorded["agents"]["claude"]["files"][".claude/commands/spec-kitty.plan.md"] = hashlib.sha256(
        old
    ).hexdigest()
    (repo / MANIFEST).write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")

    again = ok_json(repo, "agents", "add", "claude")

    assert statuses(again)[".claude/commands/spec-kitty.plan.md"] == "updated"
    assert plan.read_bytes() == ours


USER_AGENTS_MD = "# Team rules\n\nBe kind to the build.\n"


def test_an_existing_agents_md_keeps_its_own_text(repo: Path) -> None:
    agents_md = repo / "AGENTS.md"
    agents_md.write_text(USER_AGENTS_MD)
    git(repo, "add", "AGENTS.md")
    git(repo, "commit", "-q", "-m", "team rules")

    ok_json(repo, "agents", "add", "codex")
    text = agents_md.read_text()
    assert text.startswith(USER_AGENTS_MD)
    assert text.endswith(SECTION)
    agents_md.write_text(text + "\n## Added after\n\nby the team.\n")

    again = ok_json(repo, "agents", "add", "codex,claude")
    assert statuses(again)["AGENTS.md"] == "unchanged"
    ok_json(repo, "agents", "remove", "codex,claude")

    assert agents_md.read_text() == USER_AGENTS_MD + "\n## Added after\n\nby the team.\n"


def test_remove_restores_an_agents_md_byte_for_byte(repo: Path) -> None:
    agents_md = repo / "AGENTS.md"
    agents_md.write_text(USER_AGENTS_MD)

    ok_json(repo, "agents", "add", "kiro")
    ok_json(repo, "agents", "remove", "kiro")

    assert agents_md.read_text() == USER_AGENTS_MD


def test_an_edited_agents_md_section_is_kept(repo: Path) -> None:
    ok_json(repo, "agents", "add", "q")
    agents_md = repo / "AGENTS.md"
    edited = agents_md.read_text().replace("## spec-kitty", "## spec-kitty (our notes)")
    agents_md.write_text(edited)

    assert statuses(ok_json(repo, "agents", "add", "q"))["AGENTS.md"] == "kept"
    removed = ok_json(repo, "agents", "remove", "q")
    assert statuses(removed)["AGENTS.md"] == "kept"
    assert agents_md.read_text() == edited
    assert ok_json(repo, "agents", "list")["agents_md"]["modified"] is True

    ok_json(repo, "agents", "remove", "q", "--force")
    assert not agents_md.exists()
    assert not (repo / MANIFEST).exists()


def test_an_unknown_key_is_refused_and_nothing_is_written(repo: Path, tmp_path: Path) -> None:
    before = tree_digest(repo)

    code, error = refused(repo, "agents", "add", "claude,nope")

    assert code == 2
    assert error["code"] == "UNKNOWN_AGENT"
    assert "'nope'" in error["message"]
    assert "claude" in error["next_step"]
    assert "antigravity" in error["next_step"]
    assert tree_digest(repo) == before
    code, error = refused(tmp_path, "init", "fresh", "--ai", "claude,nope")
    assert (code, error["code"]) == (2, "UNKNOWN_AGENT")
    assert not (tmp_path / "fresh").exists()
    people = cli(repo, "agents", "remove", "nope")
    assert people.returncode == 2
    assert people.stderr.startswith("error[UNKNOWN_AGENT]: unknown agent 'nope'")


@pytest.mark.parametrize("action", ["add", "remove"])
def test_add_and_remove_need_a_key(repo: Path, action: str) -> None:
    code, error = refused(repo, "agents", action)

    assert (code, error["code"]) == (2, "INVALID_ARGUMENTS")
    assert f"spec-kitty agents {action} claude" in error["next_step"]


def test_an_unknown_action_and_outside_a_repository(repo: Path, tmp_path: Path) -> None:
    assert refused(repo, "agents", "install", "claude") == (
        2,
        {
            "code": "INVALID_ARGUMENTS",
            "message": "unknown agents action 'install'",
            "next_step": "use one of: add, remove, list",
        },
    )
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    code, error = refused(outside, "agents", "list")
    assert (code, error["code"]) == (3, "NOT_A_REPOSITORY")


def test_nothing_is_written_through_a_symlink(repo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo / ".claude").symlink_to(elsewhere, target_is_directory=True)

    code, error = refused(repo, "agents", "add", "codex,claude")

    assert (code, error["code"]) == (1, "AGENT_PATH_UNSAFE")
    assert ".claude" in error["message"]
    assert list(elsewhere.iterdir()) == []
    assert not (repo / ".agents").exists()
    assert not (repo / MANIFEST).exists()


@pytest.mark.parametrize("harness", HARNESSES, ids=lambda h: h.key)
def test_every_harness_installs_and_removes_cleanly(repo: Path, harness: Any) -> None:
    before = tree_digest(repo)

    added = ok_json(repo, "agents", "add", harness.key)

    expected = files_for(harness)
    assert len(expected) >= len(COMMANDS)
    for rel, data in expected.items():
        assert (repo / rel).read_bytes() == data
        text = data.decode()
        assert "$AGENT" not in text
        if rel.endswith(".toml"):
            assert set(tomllib.loads(text)) == {"description", "prompt"}
        elif text.startswith("---\n"):
            assert "description" in front_matter(text)
    assert sorted(added["changed"]) == sorted([*expected, "AGENTS.md", MANIFEST])
    assert list(manifest(repo)["agents"]) == [harness.key]
    listed = ok_json(repo, "agents", "list", harness.key)["agents"]
    assert [(a["key"], a["installed"]) for a in listed] == [(harness.key, True)]
    assert all(f["present"] and f["current"] and not f["modified"] for f in listed[0]["files"])

    removed = ok_json(repo, "agents", "remove", harness.key)

    assert sorted(removed["changed"]) == sorted([*expected, "AGENTS.md", MANIFEST])
    assert tree_digest(repo) == before
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert {p.name for p in repo.iterdir()} == {".git", "src"}


def test_aliases_name_the_3x_keys(repo: Path) -> None:
    added = ok_json(repo, "agents", "add", "augment", "AmazonQ,auggie")

    assert added["agents"] == ["auggie", "q"]
    assert sorted(manifest(repo)["agents"]) == ["auggie", "q"]
    assert (repo / ".augment/commands/spec-kitty.plan.md").is_file()
    assert (repo / ".amazonq/prompts/spec-kitty.plan.md").is_file()


def test_list_json_shape(repo: Path) -> None:
    ok_json(repo, "agents", "add", "claude")
    (repo / ".claude/commands/spec-kitty.next.md").unlink()

    listed = ok_json(repo, "agents", "list")

    assert set(listed) == {"root", "manifest", "agents", "agents_md"}
    assert listed["root"] == str(repo)
    assert listed["manifest"] == MANIFEST
    assert [a["key"] for a in listed["agents"]] == [h.key for h in HARNESSES]
    for agent in listed["agents"]:
        assert set(agent) == {"key", "title", "aliases", "installed", "files"}
        assert agent["installed"] is (agent["key"] == "claude")
        for file in agent["files"]:
            assert set(file) == {"path", "present", "modified", "current"}
    claude = listed["agents"][0]
    missing = [f["path"] for f in claude["files"] if not f["present"]]
    assert missing == [".claude/commands/spec-kitty.next.md"]
    gemini = next(a for a in listed["agents"] if a["key"] == "gemini")
    assert len(gemini["files"]) == len(COMMANDS)
    assert not any(f["present"] for f in gemini["files"])
    assert listed["agents_md"] == {
        "path": "AGENTS.md",
        "installed": True,
        "present": True,
        "modified": False,
    }
    people = cli(repo, "agents", "list")
    assert people.returncode == 0
    assert "claude       installed, 12 file(s), 1 missing" in people.stdout
    assert people.stdout.splitlines()[-1] == "Next: spec-kitty next --agent claude"


def test_the_agents_command_has_help_with_an_example(repo: Path) -> None:
    done = cli(repo, "agents", "--help")

    assert done.returncode == 0
    assert "Example: spec-kitty agents add" in " ".join(done.stdout.split())
    assert "--ai" in cli(repo, "init", "--help").stdout


@pytest.mark.parametrize(
    "text",
    [
        "plain\n",
        "quotes ''' and \"\"\" and a backslash \\n \\\\ {{args}}\n",
        "control \x01 and tab\t and ''' \r and \x7f\n",
        "ends with quotes ''",
    ],
)
def test_toml_prompts_round_trip_whatever_the_text(text: str) -> None:
    from spec_kitty_cli._agents import _toml_text, _toml_value

    document = f"description = {_toml_value(text)}\nprompt = {_toml_text(text)}\n"

    assert tomllib.loads(document) == {"description": text, "prompt": text}


@pytest.mark.parametrize(
    "value", ["Plain words.", "a: colon", "yes", "#hash", " padded ", 'q"uote', "Ünïcode: ok"]
)
def test_front_matter_values_round_trip(value: str) -> None:
    from spec_kitty_cli._agents import _yaml_value

    assert yaml.safe_load(f"key: {_yaml_value(value)}\n") == {"key": value}


def test_the_registry_gives_every_harness_its_own_files() -> None:
    seen: dict[str, str] = {}
    for harness in HARNESSES:
        for rel in files_for(harness):
            assert rel not in seen, f"{rel}: {harness.key} and {seen.get(rel)}"
            assert not os.path.isabs(rel) and ".." not in rel.split("/")
            seen[rel] = harness.key
    assert len(HARNESSES) == 13
