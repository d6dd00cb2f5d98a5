"""`invoke` (the command in this process) answers as `run_cli` (a real process) does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import ROOT, invoke, run_cli


@pytest.mark.parametrize(
    "args",
    [
        ("search", "pruning"),  # a wide rich table, laid out for a pipe
        ("status", "--json"),
        ("query", "DROP TABLE papers"),  # refused: one line on stderr, exit 1
        ("frobnicate",),  # a usage error, exit 2
        ("export", "--help"),
    ],
    ids=lambda args: args[0] + ("-" + args[1].lstrip("-") if len(args) > 1 and args[1].startswith("-") else ""),
)
def test_invoke_gives_what_the_real_process_gives(shared_seed_db: Path, args: tuple[str, ...]) -> None:
    real = run_cli(*args, db=shared_seed_db)  # each of these only reads the database
    here = invoke(*args, db=shared_seed_db)
    assert (here.returncode, here.stdout, here.stderr) == (real.returncode, real.stdout, real.stderr)


def test_invoke_sizes_its_output_by_the_runs_columns_as_the_real_process_does(shared_seed_db: Path) -> None:
    columns = "400"  # as the tests of markup-like data ask, so that no cell is wrapped
    args = ("search", "pruning")
    real = run_cli(*args, db=shared_seed_db, env={"COLUMNS": columns})
    here = invoke(*args, db=shared_seed_db, env={"COLUMNS": columns})
    assert (here.returncode, here.stdout, here.stderr) == (real.returncode, real.stdout, real.stderr)


def test_invoke_shows_the_commands_log_lines_on_stderr(tmp_path: Path) -> None:
    listing = tmp_path / "l.md"
    listing.write_text("# L\n\n1. [Gone](http://127.0.0.1:9/a)\n", encoding="utf-8")
    db = tmp_path / "h.db"
    assert invoke("import", str(listing), db=db).returncode == 0
    result = invoke(
        "links", "--allow-private", db=db, env={"HARVESTER_LINKS_BACKOFF": "0.01", "HARVESTER_LINKS_DELAY": "0"}
    )
    assert result.returncode == 1
    assert "WARNING harvester" in result.stderr and "network down" in result.stderr


def test_invoke_ignores_the_callers_harvester_settings(
    tmp_path: Path, seed_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARVESTER_DB", str(tmp_path / "elsewhere.db"))
    result = invoke("status", "--json")
    assert result.returncode == 1 and f"no database at {ROOT / 'harvester.db'}" in result.stderr
    assert not (tmp_path / "elsewhere.db").exists()
