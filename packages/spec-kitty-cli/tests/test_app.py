"""The ``spec-kitty`` application: version, help, lazy loading, the console entry points."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from typer.testing import CliRunner

from spec_kitty_cli import __version__
from spec_kitty_cli.app import app

runner = CliRunner()

MISSION_PACKAGES = ("mission_status", "mission_context", "occurrence_map", "sync_daemon")


def test_version_prints_name_and_version() -> None:
    result = runner.invoke(app, ["--version"])

    assert result.exit_code == 0
    assert result.stdout == f"spec-kitty {__version__}\n"


COMMANDS = (
    "init", "specify", "plan", "tasks", "finalize-tasks", "record-analysis", "analyze",
    "implement", "move-task", "review", "status", "context", "merge", "accept", "retrospect",
    "doctor", "materialize",
)  # fmt: skip


def test_help_lists_the_commands_and_hides_the_old_board() -> None:
    result = runner.invoke(app, ["--help"])

    assert result.exit_code == 0
    assert "Usage: spec-kitty" in result.stdout
    commands = result.stdout.split("Commands:", 1)[1].splitlines()
    listed = {line.split()[0] for line in commands if line.startswith("  ")}
    assert set(COMMANDS) <= listed
    assert "board" not in listed
    assert "--version" in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_has_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])

    assert result.exit_code == 0
    assert f"Example: spec-kitty {command}" in " ".join(result.stdout.split())


def test_no_arguments_shows_help_as_a_usage_error() -> None:
    result = runner.invoke(app, [])

    assert result.exit_code == 2
    assert "status" in result.output


def test_unknown_command_is_a_usage_error() -> None:
    result = runner.invoke(app, ["no-such-command"])

    assert result.exit_code == 2


def _modules_loaded_by(argv: list[str]) -> set[str]:
    """Run ``main(argv)`` in a fresh interpreter; return the top-level packages it imported."""
    script = textwrap.dedent(
        f"""
        import sys
        from spec_kitty_cli.app import main
        try:
            main({argv!r})
        except SystemExit:
            pass
        print("LOADED=" + ",".join(sorted({{name.split(".")[0] for name in sys.modules}})))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    marker = next(line for line in done.stdout.splitlines() if line.startswith("LOADED="))
    return set(marker.removeprefix("LOADED=").split(","))


def test_version_and_help_import_no_mission_package() -> None:
    for argv in (["--version"], ["--help"], ["board", "--help"]):
        loaded = _modules_loaded_by(argv)
        assert "spec_kitty_cli" in loaded  # the probe itself works
        assert not loaded & set(MISSION_PACKAGES), (argv, loaded & set(MISSION_PACKAGES))


def test_running_a_mission_command_does_import_mission_status() -> None:
    # The other half of the laziness test: the probe sees a lazily imported package.
    assert "mission_status" in _modules_loaded_by(["context", "--mission", "nope", "--json"])


def test_python_dash_m_runs_the_same_app() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "spec_kitty_cli", "--version"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout == f"spec-kitty {__version__}\n"
