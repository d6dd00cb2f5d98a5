"""Exports: BibTeX that a real parser reads, CSV, JSON and a clean markdown list."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import bibtexparser

from harvester.readinglist import parse_reading_list
from tests.cli import invoke, run_cli
from tests.seeddb import fixture_papers


def export(shared_seed_db: Path, fmt: str) -> str:
    result = invoke("export", "--format", fmt, db=shared_seed_db)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_bibtex_parses_with_one_record_per_paper(shared_seed_db: Path) -> None:
    library = bibtexparser.parse_string(export(shared_seed_db, "bibtex"))
    assert not library.failed_blocks
    eprints = sorted(entry["eprint"] for entry in library.entries)
    assert eprints == sorted(p.arxiv_id for p in fixture_papers())
    keys = [entry.key for entry in library.entries]
    assert len(set(keys)) == len(keys) == 19
    by_eprint = {entry["eprint"]: entry for entry in library.entries}
    deep = by_eprint["1510.00149"]
    assert deep.key == "han2015deep"
    assert deep["archivePrefix"] == "arXiv"
    assert deep["author"] == "Song Han and Huizi Mao and William J. Dally"
    # `&` escaped, the words whose capitals matter braced (issue 15), the rest as arXiv has it
    assert by_eprint["2006.09679"]["title"] == (
        "{StatAssist} \\& {GradBoost}: A Study on Optimal {INT8} Quantization-aware Training from Scratch"
    )


def test_bibtex_keys_are_stable_across_exports(shared_seed_db: Path) -> None:
    first = export(shared_seed_db, "bibtex")
    real = run_cli("export", "--format", "bibtex", db=shared_seed_db)  # and the same from the real command
    assert (real.returncode, real.stdout) == (0, first) == (0, export(shared_seed_db, "bibtex"))


def test_csv_has_a_row_per_paper_entry(shared_seed_db: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(export(shared_seed_db, "csv"))))
    assert len(rows) == 19
    first = rows[0]
    assert first["arxiv_id"] == "1510.00149"
    assert first["noted_venue"] == "ICLR 2016 oral"


def test_json_export_has_noted_and_arxiv_values(shared_seed_db: Path) -> None:
    entries = json.loads(export(shared_seed_db, "json"))
    entry = next(e for e in entries if e["arxiv_id"] == "1907.05642")
    assert entry["noted_title"] == "Deep Model Compression via Filter Auto-sampling"
    assert entry["arxiv_title"] == "Neural Epitome Search for Architecture-Agnostic Network Compression"


def test_markdown_export_is_a_clean_list_that_parses_back(shared_seed_db: Path) -> None:
    text = export(shared_seed_db, "markdown")
    assert "cn.arxiv.org" not in text
    parsed = parse_reading_list(text)
    assert sorted(e.arxiv_id for e in parsed.paper_entries) == sorted(p.arxiv_id for p in fixture_papers())
    entry = next(e for e in parsed.paper_entries if e.arxiv_id == "1907.00262")
    assert entry.noted_title == "Dissecting Pruned Neural Networks"
    assert entry.noted_date is not None and entry.noted_date.text == "2019-06-29"


def test_csv_cells_written_by_sql_are_what_the_csv_module_writes(tmp_path: Path) -> None:
    """The CSV export builds its lines in SQL: each must be the csv module's line for the same values."""
    import sqlite3

    from harvester.export import _CSV_COLUMNS, _csv_cell, entry_enrichment, listed_entries, render_csv
    from harvester.store import open_readonly
    from tests.seeddb import build_seed_db

    path = build_seed_db(tmp_path / "h.db")
    hostile = [
        '=HYPERLINK("http://x")',
        "+1, -2",
        "-minus",
        "@at",
        "\tTab",
        "\rReturn",
        'a "quoted" word',
        "two\nlines",
        "carriage\rreturn inside",
        "comma, then more",
        "",
        "ünïcödé, 压缩",
        " leading space",
    ]
    with sqlite3.connect(path) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM entries WHERE is_paper = 1 ORDER BY id")]
        for entry_id, text in zip(ids, hostile, strict=False):
            conn.execute(
                "UPDATE entries SET noted_title = ?, notes = ?, noted_venue = ?, section = ? WHERE id = ?",
                [text, text, text or None, text + " section", entry_id],
            )
        conn.execute(
            "UPDATE entry_links SET role = 'code', url = '-' || url WHERE id = (SELECT min(id) FROM entry_links)"
        )
        conn.execute("UPDATE papers SET comment = '=1+1', journal_ref = 'J, \"x\"' WHERE rowid = 1")

    connection = open_readonly(path)
    entries = listed_entries(connection)
    enrichment = entry_enrichment(connection, entries)
    reference = io.StringIO()
    writer = csv.writer(reference, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    for entry in entries:
        row = {**entry, "code": " ".join(link["url"] for link in entry["code_links"])}
        row |= enrichment.get(entry["arxiv_id"], {})
        writer.writerow([_csv_cell(row.get(column)) for column in _CSV_COLUMNS])
    assert len(entries) >= len(hostile)
    assert render_csv(connection) == reference.getvalue()
