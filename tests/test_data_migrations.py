"""Data migrations: rows written by earlier versions are brought to what the code now writes."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from harvester.links.history import ensure_link_tables
from harvester.store import open_db
from tests.seeddb import build_seed_db

Z_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_link_timestamps_written_with_offsets_are_migrated_to_z(tmp_path: Path) -> None:
    path = build_seed_db(tmp_path / "h.db")
    db = open_db(path)
    ensure_link_tables(db)
    # As the first links migration's code wrote them.
    db.execute("DELETE FROM _sqlite_migrations WHERE migration_set = 'links' AND name = '0002_z_timestamps'")
    db.table("links").insert(
        {
            "url": "https://example.org/",
            "verdict": "dead",
            "first_checked_at": "2026-03-01T09:00:00+00:00",
            "last_checked_at": "2026-03-03T09:00:00+00:00",
            "verdict_since": "2026-03-03T09:00:00+00:00",
            "first_failed_at": "2026-03-01T09:00:00+00:00",
        }
    )
    db.table("link_checks").insert(
        {
            "url": "https://example.org/",
            "checked_at": "2026-03-03T09:00:00+00:00",
            "verdict": "dead",
            "elapsed_ms": 1,
            "requests": 1,
            "counted": 1,
        }
    )
    db.conn.commit()
    db.close()

    open_db(path).close()

    with sqlite3.connect(path) as conn:
        stamps = conn.execute(
            "SELECT first_checked_at, last_checked_at, verdict_since, first_failed_at FROM links "
            "UNION ALL SELECT checked_at, checked_at, checked_at, checked_at FROM link_checks"
        ).fetchall()
    assert stamps and all(Z_STAMP.match(value) for row in stamps for value in row), stamps


def test_papers_stored_before_withdrawn_was_decided_once_are_judged_again(tmp_path: Path) -> None:
    path = build_seed_db(tmp_path / "h.db")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE papers SET comment = 'Withdrawal requested by the authors', withdrawn = 0 "
            "WHERE arxiv_id = '1907.05642'"
        )
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0005_withdrawn_once'")
    open_db(path).close()
    with sqlite3.connect(path) as conn:
        flagged = conn.execute("SELECT arxiv_id FROM papers WHERE withdrawn = 1").fetchall()
    assert flagged == [("1907.05642",)]


def test_noted_dates_imported_before_their_parts_were_stored_get_them(tmp_path: Path) -> None:
    path = build_seed_db(tmp_path / "h.db")
    query = "SELECT id, noted_year, noted_month, noted_day FROM entries WHERE noted_date IS NOT NULL ORDER BY id"
    with sqlite3.connect(path) as conn:
        as_imported = conn.execute(query).fetchall()
        conn.execute("UPDATE entries SET noted_year = NULL, noted_month = NULL, noted_day = NULL")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0006_noted_date_parts'")
        # As the table was before the migration: without the three columns.
        for column in ("noted_year", "noted_month", "noted_day"):
            conn.execute(f"ALTER TABLE entries DROP COLUMN {column}")
    open_db(path).close()
    with sqlite3.connect(path) as conn:
        assert conn.execute(query).fetchall() == as_imported
    assert len(as_imported) > 10 and all(row[1] for row in as_imported)
