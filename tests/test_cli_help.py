"""Every command answers --help, and the README shows each one with an example."""

from __future__ import annotations

import re

import pytest
import typer

from harvester.cli import app
from harvester.enrich import SOURCES
from harvester.formats import ReportFormat
from harvester.vocabulary import FIXABLE_KINDS
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
                "check",
                "suggest",
                "serve",
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


def _help_text(*args: str) -> str:
    # Wide enough that no choice list is folded mid-word (on 80 columns rich folds `sarif` as `sari` `f`).
    result = invoke(*args, "--help", env={"COLUMNS": "250"})
    assert result.returncode == 0, result.stderr
    return re.sub(r"\s+", " ", result.stdout.replace("│", " "))


@pytest.mark.parametrize("command", [*COMMANDS, None])
def test_help_shows_flags_without_a_value_placeholder(command: str | None) -> None:
    text = _help_text(*([command] if command else []))
    assert "<bool>" not in text and "<boolean>" not in text


def _closed_options(command: str) -> list[tuple[str, list[str]]]:
    """(option, choices) of every option of `command` that takes one of a closed set (an Enum)."""
    params = typer.main.get_command(app).commands[command].params  # type: ignore[attr-defined]
    closed = [(param, getattr(param.type, "choices", None)) for param in params]
    return [(param.name, [str(getattr(c, "value", c)) for c in choices]) for param, choices in closed if choices]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_lists_the_choices_of_every_closed_option(command: str) -> None:
    text = _help_text(command)
    for option, choices in _closed_options(command):
        for choice in choices:
            assert choice in text, (option, choice)


def test_the_closed_options_are_found() -> None:
    # The check above is only as good as its finding of the closed options.
    assert ("fmt", [str(f) for f in ReportFormat]) in _closed_options("report")
    assert ("fail_on", ["dead", "moved"]) in _closed_options("links")


def test_help_lists_the_kinds_fix_can_fix_and_the_enrichment_sources() -> None:
    assert all(kind in _help_text("fix") for kind in FIXABLE_KINDS)
    assert all(source in _help_text("enrich") for source in SOURCES)


def test_shell_completion_is_offered() -> None:
    text = _help_text()
    assert "--install-completion" in text and "--show-completion" in text


def test_top_level_help_lists_every_command() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout


def test_unknown_command_is_a_usage_error() -> None:
    result = run_cli("frobnicate")
    assert result.returncode == 2
