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
