"""Findings in the database: the seed's findings stored, resolved when fixed, reopened when back."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database
from test_reconcile_seed import EXPECTED_PROBLEMS, SEED, SEED_PAPERS

from harvester.findings import open_findings
from harvester.importer import import_list, read_source
from harvester.reconciling import load_inputs, run_reconcile
from harvester.schema import MIGRATION_SETS, _date_parts_from_text

NOW = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_db(path: Path) -> Database:
    db = Database(path)
    for migrations in MIGRATION_SETS:
        migrations.apply(db)
    return db


def import_file(db: Database, path: Path, now: datetime = NOW) -> None:
    import_list(db, read_source(path), now)


def load_papers(db: Database, papers_json: Path = SEED_PAPERS, now: datetime = NOW) -> None:
    """papers and paper_versions rows for every paper of the fixture, all versions present."""
    for record in json.loads(papers_json.read_text())["papers"]:
        versions = record["versions"]
        db["papers"].upsert(_paper_row(record, now), pk="arxiv_id")
        for v in versions:
            db["paper_versions"].insert(
                {
                    "arxiv_id": record["id"],
                    "version": v["version"],
                    "title": v["title"],
                    "submitted": v["submitted"],
                    "comment": None,
                    "seen_at": iso(now),
                },
                ignore=True,
            )


def _paper_row(record: dict, now: datetime) -> dict:
    versions = record["versions"]
    return {
        "arxiv_id": record["id"],
        "version": versions[-1]["version"],
        "title": versions[-1]["title"],
        "abstract": record["abstract"],
        "published": versions[0]["submitted"],
        "updated": versions[-1]["submitted"],
        "primary_category": record["primary_category"],
        "other_classifications": "[]",
        "comment": record["comment"],
        "journal_ref": record["journal_ref"],
        "doi": record["doi"],
        "dois": "[]",
        "abs_url": f"https://arxiv.org/abs/{record['id']}",
        "pdf_url": None,
        "withdrawn": 0,
        "first_seen": iso(now),
        "last_fetched": iso(now),
        "missing_since": None,
    }


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    target = tmp_path / "lists" / "model-compression.md"
    target.parent.mkdir()
    shutil.copyfile(SEED, target)
    return target


@pytest.fixture
def seed_database(tmp_path: Path, seed_copy: Path) -> Database:
    db = new_db(tmp_path / "h.db")
    import_file(db, seed_copy)
    load_papers(db)
    return db


def problem_set(rows: list[dict]) -> set[tuple[str, str]]:
    return {(r["kind"], r["arxiv_id"]) for r in rows if r["severity"] != "info"}


def test_seed_through_the_database_gives_the_expected_findings(seed_database: Database) -> None:
    summary = run_reconcile(seed_database, now=NOW)
    rows = open_findings(seed_database)
    assert problem_set(rows) == EXPECTED_PROBLEMS
    # 5 new_version and the misfiled 1905.07376 (category_suspect) are the info findings.
    assert (summary.open, summary.new, summary.reopened, summary.resolved) == (28, 28, 0, 0)
    assert summary.by_severity == {"info": 6, "warning": 22}
    assert summary.by_kind["mirror_link"] == 17
    assert {r["first_seen"] for r in rows} == {"2026-01-10T03:00:00Z"}


def test_second_run_changes_nothing_but_last_seen(seed_database: Database) -> None:
    run_reconcile(seed_database, now=NOW)
    later = NOW + timedelta(days=1)
    summary = run_reconcile(seed_database, now=later)
    assert (summary.new, summary.reopened, summary.resolved, summary.open) == (0, 0, 0, 28)
    rows = open_findings(seed_database)
    assert {(r["first_seen"], r["last_seen"]) for r in rows} == {(iso(NOW), iso(later))}
    assert seed_database["finding_events"].count == 28


def _set_noted_date(db: Database, arxiv_id: str, text: str) -> None:
    """As an import of the edited list would store it: the text and the parser's reading of it."""
    year, month, day = (int(part) for part in text.split("-"))
    db.execute(
        "UPDATE entries SET noted_date = ?, noted_date_precision = 'day', noted_year = ?, noted_month = ?, noted_day = ? "
        "WHERE arxiv_id = ?",
        [text, year, month, day, arxiv_id],
    )


def test_finding_resolved_when_cause_disappears_and_reopened_when_back(seed_database: Database) -> None:
    run_reconcile(seed_database, now=NOW)
    key = next(r["key"] for r in open_findings(seed_database) if r["kind"] == "date_mismatch")

    _set_noted_date(seed_database, "1907.00262", "2019-06-29")
    fixed = run_reconcile(seed_database, now=NOW + timedelta(days=1))
    assert (fixed.resolved, fixed.new) == (1, 0)
    assert key not in {r["key"] for r in open_findings(seed_database)}
    row = seed_database.execute("SELECT resolved_at FROM findings WHERE key = ?", [key]).fetchone()
    assert row == ("2026-01-11T03:00:00Z",)

    _set_noted_date(seed_database, "1907.00262", "2019-01-29")
    back = run_reconcile(seed_database, now=NOW + timedelta(days=2))
    assert (back.reopened, back.new, back.resolved) == (1, 0, 0)
    reopened = next(r for r in open_findings(seed_database) if r["key"] == key)
    assert (reopened["first_seen"], reopened["last_seen"], reopened["resolved_at"]) == (
        "2026-01-10T03:00:00Z",
        "2026-01-12T03:00:00Z",
        None,
    )
    events = [
        r[0]
        for r in seed_database.execute(
            "SELECT e.event FROM finding_events e JOIN findings f ON f.id = e.finding_id WHERE f.key = ? ORDER BY e.id",
            [key],
        )
    ]
    assert events == ["opened", "resolved", "reopened"]


def test_arxiv_side_change_resolves_a_finding(seed_database: Database) -> None:
    run_reconcile(seed_database, now=NOW)
    seed_database.execute("UPDATE papers SET comment = 'Accepted at NeurIPS 2019' WHERE arxiv_id = '1910.04641'")
    summary = run_reconcile(seed_database, now=NOW + timedelta(days=1))
    assert summary.resolved == 1
    assert ("venue_mismatch", "1910.04641") not in problem_set(open_findings(seed_database))


def test_removed_entries_and_their_findings_are_resolved(seed_database: Database) -> None:
    run_reconcile(seed_database, now=NOW)
    seed_database.execute("UPDATE entries SET removed_at = ? WHERE arxiv_id = '1907.00262'", [iso(NOW)])
    summary = run_reconcile(seed_database, now=NOW + timedelta(days=1))
    assert summary.resolved == 2  # its date_mismatch and its mirror_link
    assert all(r["arxiv_id"] != "1907.00262" for r in open_findings(seed_database))


def test_not_found_from_missing_papers(seed_database: Database) -> None:
    seed_database.execute("DELETE FROM papers WHERE arxiv_id = '1905.08922'")
    seed_database["missing_papers"].insert(
        {"arxiv_id": "1905.08922", "first_missing": iso(NOW), "last_checked": iso(NOW)}
    )
    run_reconcile(seed_database, now=NOW)
    found = [r for r in open_findings(seed_database) if r["kind"] == "not_found"]
    assert [(r["arxiv_id"], r["severity"], r["line"]) for r in found] == [("1905.08922", "error", 79)]


def test_new_version_since_last_run(seed_database: Database) -> None:
    run_reconcile(seed_database, now=NOW)
    later = NOW + timedelta(days=1)
    seed_database["paper_versions"].insert(
        {
            "arxiv_id": "1905.10145",
            "version": 2,
            "title": "Learning Low-Rank Approximation for CNNs",
            "submitted": "2019-05-25T10:00:00Z",
            "comment": None,
            "seen_at": iso(later),
        }
    )
    summary = run_reconcile(seed_database, now=later + timedelta(hours=1))
    news = [r for r in open_findings(seed_database) if r["kind"] == "new_version" and r["arxiv_id"] == "1905.10145"]
    assert summary.new == 1
    assert [(r["arxiv_value"], r["detail"]) for r in news] == [
        ("v2 (2019-05-25)", "v2 was submitted on 2019-05-25, since the last run")
    ]


def test_load_inputs_reads_links_dates_and_versions(seed_database: Database) -> None:
    data = load_inputs(seed_database)
    entry = next(e for e in data.entries if e.arxiv_id == "1907.00262")
    assert (entry.noted_date.text, entry.noted_date.month, entry.noted_date.day) == ("2019-01-29", 1, 29)
    assert [(link.role, link.line) for link in entry.links] == [("title", 36), ("paper", 37)]
    assert [v.version for v in data.papers["1510.00149"].versions] == [1, 2, 3, 4, 5]
    assert data.last_run is None


@pytest.mark.parametrize(
    ("text", "precision", "expected"),
    [
        ("2019-05-24", "day", (2019, 5, 24)),
        ("2019.5", "month", (2019, 5, None)),
        ("May 24, 2019", "day", (2019, 5, 24)),
        ("2019", "year", (2019, None, None)),
        ("2019-02-30", "day", None),
        ("soon", "day", None),
    ],
)
def test_dates_imported_before_their_parts_were_stored_are_read_from_their_text(
    text: str, precision: str, expected: tuple | None
) -> None:
    assert _date_parts_from_text(text, precision) == expected
