"""Every command answers --help, and the README shows each one with an example."""

from __future__ import annotations

import re

import pytest

from harvester.cli import app
from tests.cli import ROOT, invoke, run_cli

COMMANDS = sorted(command.name or command.callback.__name__ for command in app.registered_commands)


def test_the_command_list_is_what_the_readme_documents() -> None:
    assert (
        sorted(
            [
                "import",
                "fetch",
                "enrich",
                "reconcile",
                "report",
                "fix",
                "links",
                "refresh",
                "status",
                "search",
                "query",
                "export",
                "accept",
                "unaccept",
                "init",
                "config",
            ]
        )
        == COMMANDS
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = invoke(command, "--help")
    assert result.returncode == 0, result.stderr
    assert f"Usage: harvester {command}" in re.sub(r"\s+", " ", result.stdout)


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_has_a_section_and_an_example_for_every_command(command: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"### {command}\n" in readme
    assert re.search(rf"^\s+\$ harvester {command}\b", readme, re.MULTILINE)


def test_top_level_help_lists_every_command() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout


def test_unknown_command_is_a_usage_error() -> None:
    result = run_cli("frobnicate")
    assert result.returncode == 2
