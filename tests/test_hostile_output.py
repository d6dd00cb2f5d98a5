"""Data that looks like rich markup (`[/r/MachineLearning]`, `[code]`) is printed as it is written.

Notes, titles, file names and column names come from people and from the web; a
table or an error line must show them literally, never parse them as styles.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from standins.web import LocalWeb, page, refused_port

from tests.cli import invoke
from tests.seeddb import SEED, build_seed_db

# Wide enough that no cell is wrapped in the middle of a literal the tests look for.
WIDE = {"COLUMNS": "400"}
HOSTILE_NOTE = "Discussed on [/r/MachineLearning] and [/u/someone], [bold]loud[/bold]"
HOSTILE_NAME = "[code] list.md"


def _hostile_listing(folder: Path) -> Path:
    text = SEED.read_text(encoding="utf-8")
    text = text.replace("[Deep Compression: Compressing", "[Deep Compression [code]: Compressing", 1)
    entry_line = "ICLR 2016 oral *2015-10-01* [paper](https://arxiv.org/abs/1510.00149)"
    assert entry_line in text
    text = text.replace(entry_line, f"{entry_line} {HOSTILE_NOTE}", 1)
    listing = folder / HOSTILE_NAME
    listing.write_text(text, encoding="utf-8")
    return listing


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    db = build_seed_db(folder / "h.db", listing=_hostile_listing(folder))
    reconciled = invoke("reconcile", db=db)
    assert reconciled.returncode == 0, reconciled.stderr
    return db


def _assert_clean(result: object, *literals: str) -> None:
    assert "Traceback" not in result.stderr, result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
    for literal in literals:
        assert literal in result.stdout, result.stdout  # type: ignore[attr-defined]


def test_search_table_shows_markup_like_notes_literally(hostile_db: Path) -> None:
    result = invoke("search", "someone", db=hostile_db, env=WIDE)
    _assert_clean(result, "[/r/MachineLearning]", "[bold]loud[/bold]", HOSTILE_NAME)


def test_query_table_shows_markup_like_values_and_column_names_literally(hostile_db: Path) -> None:
    sql = "SELECT noted_title, notes AS \"[/y]\" FROM entries WHERE notes LIKE '%MachineLearning%'"
    result = invoke("query", sql, db=hostile_db, env=WIDE)
    _assert_clean(result, "[/r/MachineLearning]", "[code]", "[bold]loud[/bold]", "[/y]")


def test_report_table_shows_markup_like_list_names_literally(hostile_db: Path) -> None:
    result = invoke("report", db=hostile_db, env=WIDE)
    assert result.returncode == 0, result.stderr
    _assert_clean(result, HOSTILE_NAME)


def test_import_of_a_missing_markup_like_path_is_one_line_naming_it(tmp_path: Path) -> None:
    missing = str(tmp_path / "[/x].md")
    result = invoke("import", missing, db=tmp_path / "h.db")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and missing in lines[0], result.stderr


def test_failed_refresh_and_status_show_markup_like_errors_literally(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    shutil.copyfile(SEED, tmp_path / "seed.md")
    assert invoke("import", str(tmp_path / "seed.md"), db=db).returncode == 0
    # arXiv is a closed local port, asked once: the run fails fast, as it does in a cron job without network.
    arxiv = ("--arxiv-url", f"http://127.0.0.1:{refused_port()}/api", "--arxiv-attempts", "1", "--arxiv-delay", "0")
    missing = str(tmp_path / "[/r/x].md")
    refresh = invoke(*arxiv, "refresh", "--no-links", "--no-enrich", missing, db=db)
    assert refresh.returncode == 1
    assert "Traceback" not in refresh.stderr
    assert "[/r/x].md" in refresh.stderr
    status = invoke("status", db=db, env=WIDE)
    _assert_clean(status, "[/r/x].md")


@pytest.fixture
def web() -> Iterator[LocalWeb]:
    with LocalWeb() as server:
        server.route("/fine", page("Fine"))
        yield server


def test_links_table_shows_markup_like_list_names_literally(tmp_path: Path, web: LocalWeb) -> None:
    listing = tmp_path / "[code] [u]web.md"
    listing.write_text(f"# Links\n\n1. [Fine]({web.url('/fine')}) [/r/MachineLearning]\n", encoding="utf-8")
    db = tmp_path / "web.db"
    imported = invoke("import", str(listing), db=db, env=WIDE)
    _assert_clean(imported, "[code] [u]web.md")
    env = {**WIDE, "HARVESTER_LINKS_DELAY": "0", "HARVESTER_LINKS_TIMEOUT": "2"}
    result = invoke("links", "--allow-private", db=db, env=env)
    _assert_clean(result, "[code] [u]web.md:3")


def test_json_output_is_unchanged_by_markup_like_data(hostile_db: Path) -> None:
    result = invoke("search", "someone", "--json", db=hostile_db)
    assert result.returncode == 0, result.stderr
    [hit] = json.loads(result.stdout)
    assert hit["list"] == HOSTILE_NAME


# --- query: what reads is allowed, what could write or reach memory is not ----------------


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT fts3_tokenizer('simple')",
        "SELECT hex(fts3_tokenizer('porter'))",
        "SELECT load_extension('/tmp/nothing')",
        "PRAGMA optimize",
        "PRAGMA wal_checkpoint",
        "PRAGMA incremental_vacuum",
        "PRAGMA schema_version = 1",
        "PRAGMA query_only = 0",
    ],
)
def test_query_refuses_dangerous_functions_and_writing_pragmas(hostile_db: Path, sql: str) -> None:
    before = hostile_db.read_bytes()
    result = invoke("query", sql, db=hostile_db)
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    assert "refused" in result.stderr
    assert hostile_db.read_bytes() == before


@pytest.mark.parametrize(
    ("sql", "column"),
    [
        ("PRAGMA integrity_check", "integrity_check"),
        ("PRAGMA quick_check", "quick_check"),
        ("PRAGMA integrity_check(papers)", "integrity_check"),
        ("PRAGMA foreign_key_check", None),
        ("PRAGMA table_info(papers)", "name"),
        ("PRAGMA index_list(entries)", None),
        ("PRAGMA freelist_count", "freelist_count"),
        ("SELECT * FROM pragma_table_info('papers')", "name"),
    ],
)
def test_query_runs_pragmas_that_only_read(hostile_db: Path, sql: str, column: str | None) -> None:
    before = hostile_db.read_bytes()
    result = invoke("query", sql, "--format", "json", db=hostile_db)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    if column:
        assert rows and column in rows[0]
    if column in ("integrity_check", "quick_check"):
        assert rows == [{column: "ok"}]
    assert hostile_db.read_bytes() == before
