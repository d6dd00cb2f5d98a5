"""Every `harvester` start pays for what `harvester.cli` imports: only the command line, the
settings and the database layer. Each command imports its own work when it runs.

Checked by module, not by time: a fresh interpreter imports the app and lists what it loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import ROOT

# What only some commands need, each far heavier than the command line itself.
HEAVY = (
    "asyncio",
    "httpx",
    "feedparser",
    "markdown_it",
    "datasette",
    "harvester.readinglist",
    "harvester.reconcile",
    "harvester.findings",
    "harvester.refresh",
    "harvester.harvest",
    "harvester.arxiv.client",
    "harvester.links.checker",
    "harvester.links.fetcher",
    "harvester.enrich.run",
    "harvester.suggest.run",
    "harvester.layout",
    "harvester.report",
    "harvester.export",
    "harvester.dashboard",
)


def loaded_by(code: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(name for name in HEAVY if name in modules)


def test_importing_the_command_line_and_reading_the_settings_load_none_of_the_commands_work() -> None:
    loaded = loaded_by(
        "import os\nfrom pathlib import Path\nimport harvester.cli\n"
        "from harvester.config import build\nbuild(Path.cwd(), os.environ, {})"
    )
    assert heavy_in(loaded) == []


def test_the_package_exports_still_reach_the_running_side() -> None:
    # Named through the packages, the lazily exported functions are the modules' own.
    from harvester import enrich, links, suggest
    from harvester.enrich.run import run_enrich
    from harvester.links.checker import check_links
    from harvester.suggest.run import run_suggest

    assert (links.check_links, enrich.run_enrich, suggest.run_suggest) == (check_links, run_enrich, run_suggest)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = links.nothing_here  # type: ignore[attr-defined]


READING_COMMANDS = (
    ["status"],
    ["report"],
    ["report", "--format", "sarif"],
    ["search", "pruning"],
    ["query", "SELECT 1"],
)


def test_the_reading_commands_load_no_network_or_parser(shared_seed_db: Path) -> None:
    # Each command run in turn in one process, as its own start would run it: what any of them
    # loaded stays in sys.modules, so none of them may load a heavy module.
    runs = "".join(
        f"sys.argv = ['harvester', '--db', {str(shared_seed_db)!r}, *{args!r}]\n"
        "try:\n    app(prog_name='harvester')\nexcept SystemExit as done:\n    assert not done.code, done.code\n"
        for args in READING_COMMANDS
    )
    loaded = loaded_by("import sys\nfrom harvester.cli import app\n" + runs)
    assert [name for name in ("httpx", "feedparser", "markdown_it", "harvester.refresh") if name in loaded] == []
