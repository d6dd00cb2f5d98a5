"""Data migrations: rows written by earlier versions are brought to what the code now writes."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

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


def test_keyed_tables_keep_every_row_when_they_become_without_rowid(tmp_path: Path) -> None:
    path = build_seed_db(tmp_path / "h.db")
    with sqlite3.connect(path) as conn:
        # The three tables as migration 0002 made them (rowid tables, paper_versions with its id),
        # holding the seed's rows and versions of every shape: several titles of one version, unicode.
        versions = conn.execute(
            "SELECT arxiv_id, version, title, submitted, comment, seen_at FROM paper_versions"
        ).fetchall()
        authors = conn.execute("SELECT arxiv_id, position, author_id, affiliations FROM paper_authors").fetchall()
        categories = conn.execute("SELECT arxiv_id, category, is_primary FROM paper_categories").fetchall()
        versions += [
            ("1510.00149", 1, "Deep Compression: Pruning", "2015-10-01T00:00:00Z", "v1 again", "2026-01-02T00:00:00Z"),
            ("2001.00001", 2, "压缩 $\\ell_1$", "2020-01-01T00:00:00Z", None, "2026-01-03T00:00:00Z"),
        ]
        assert len(versions) > 10 and authors and categories
        for table in ("paper_versions", "paper_authors", "paper_categories"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute(
            "CREATE TABLE paper_versions (id INTEGER PRIMARY KEY, arxiv_id TEXT NOT NULL, version INTEGER NOT NULL, "
            "title TEXT NOT NULL, submitted TEXT NOT NULL, comment TEXT, seen_at TEXT NOT NULL, "
            "UNIQUE (arxiv_id, version, title, submitted))"
        )
        conn.execute(
            "CREATE TABLE paper_authors (arxiv_id TEXT NOT NULL REFERENCES papers(arxiv_id), position INTEGER NOT NULL, "
            "author_id INTEGER NOT NULL REFERENCES authors(id), affiliations TEXT NOT NULL, "
            "PRIMARY KEY (arxiv_id, position))"
        )
        conn.execute(
            "CREATE TABLE paper_categories (arxiv_id TEXT NOT NULL REFERENCES papers(arxiv_id), "
            "category TEXT NOT NULL, is_primary INTEGER NOT NULL, PRIMARY KEY (arxiv_id, category))"
        )
        conn.executemany(
            "INSERT INTO paper_versions (arxiv_id, version, title, submitted, comment, seen_at) VALUES (?, ?, ?, ?, ?, ?)",
            versions,
        )
        conn.executemany("INSERT INTO paper_authors VALUES (?, ?, ?, ?)", authors)
        conn.executemany("INSERT INTO paper_categories VALUES (?, ?, ?)", categories)
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0010_keyed_tables'")

    open_db(path).close()

    with sqlite3.connect(path) as conn:
        shapes = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())
        kept_versions = conn.execute(
            "SELECT arxiv_id, version, title, submitted, comment, seen_at FROM paper_versions"
        ).fetchall()
        kept_authors = conn.execute("SELECT * FROM paper_authors").fetchall()
        kept_categories = conn.execute("SELECT * FROM paper_categories").fetchall()
        indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        duplicate = conn.execute(
            "INSERT OR IGNORE INTO paper_versions (arxiv_id, version, title, submitted, comment, seen_at) "
            "SELECT arxiv_id, version, title, submitted, NULL, '2027-01-01T00:00:00Z' FROM paper_versions LIMIT 1"
        ).rowcount
    assert sorted(kept_versions) == sorted(versions)
    assert sorted(kept_authors) == sorted(authors)
    assert sorted(kept_categories) == sorted(categories)
    for table in ("paper_versions", "paper_authors", "paper_categories"):
        assert shapes[table].rstrip().endswith("WITHOUT ROWID"), shapes[table]
    assert "paper_versions_seen" in indexes  # recent_changes still walks it
    assert not any(
        name.startswith(("sqlite_autoindex_paper_versions", "sqlite_autoindex_paper_authors")) for name in indexes
    )
    assert duplicate == 0  # the key still refuses a sighting stored already
    assert "temp" not in " ".join(shapes)  # no table of the copy left behind


def test_pinned_citation_keys_are_all_kept_when_their_table_becomes_without_rowid(tmp_path: Path) -> None:
    from harvester.bibtex import pin_citation_keys, pinned_keys

    path = build_seed_db(tmp_path / "h.db")
    db = open_db(path)
    assert pin_citation_keys(db) == 19
    before = pinned_keys(db.conn)
    db.close()
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT arxiv_id, citation_key, base, pinned_at FROM citation_keys").fetchall()
        conn.execute("DROP TABLE citation_keys")  # as its migration 0001 made it: a rowid table
        conn.execute(
            "CREATE TABLE citation_keys (arxiv_id TEXT PRIMARY KEY, citation_key TEXT NOT NULL UNIQUE, "
            "base TEXT NOT NULL, pinned_at TEXT NOT NULL)"
        )
        conn.executemany("INSERT INTO citation_keys VALUES (?, ?, ?, ?)", rows)
        conn.execute("DELETE FROM _sqlite_migrations WHERE migration_set = 'citation_keys' AND name = '0002_keyed'")

    db = open_db(path)
    shape = db.execute("SELECT sql FROM sqlite_master WHERE name = 'citation_keys'").fetchone()[0]
    kept = db.execute("SELECT arxiv_id, citation_key, base, pinned_at FROM citation_keys").fetchall()
    assert shape.rstrip().endswith("WITHOUT ROWID")
    assert sorted(kept) == sorted(rows)
    assert pinned_keys(db.conn) == before
    assert pin_citation_keys(db) == 0  # every listed paper still has its key


def test_paper_versions_become_a_rowid_table_with_every_sighting_kept_and_still_one_each(tmp_path: Path) -> None:
    path = build_seed_db(tmp_path / "h.db")
    columns = "arxiv_id, version, title, submitted, comment, seen_at"
    with sqlite3.connect(path) as conn:
        # The table as migration 0010 left it (WITHOUT ROWID, keyed by the sighting), with the
        # seed's versions and rows of every shape: two titles of one version, unicode, a comment.
        versions = conn.execute(f"SELECT {columns} FROM paper_versions").fetchall()
        versions += [
            ("1510.00149", 1, "Deep Compression: Pruning", "2015-10-01T00:00:00Z", "v1 again", "2026-01-02T00:00:00Z"),
            ("2001.00001", 2, "压缩 $\\ell_1$", "2020-01-01T00:00:00Z", None, "2025-12-31T00:00:00Z"),
        ]
        assert len(versions) > 20
        conn.execute("DROP TABLE paper_versions")
        conn.execute(
            "CREATE TABLE paper_versions (arxiv_id TEXT NOT NULL, version INTEGER NOT NULL, title TEXT NOT NULL, "
            "submitted TEXT NOT NULL, comment TEXT, seen_at TEXT NOT NULL, "
            "PRIMARY KEY (arxiv_id, version, title, submitted)) WITHOUT ROWID"
        )
        conn.execute("CREATE INDEX paper_versions_seen ON paper_versions(seen_at)")
        conn.executemany(f"INSERT INTO paper_versions ({columns}) VALUES (?, ?, ?, ?, ?, ?)", versions)
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0011_paper_versions_by_row'")

    open_db(path).close()

    with sqlite3.connect(path) as conn:
        shape = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'paper_versions'").fetchone()[0]
        kept = conn.execute(f"SELECT rowid, {columns} FROM paper_versions ORDER BY rowid").fetchall()
        indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        plan = " ".join(
            str(row[-1])
            for row in conn.execute("EXPLAIN QUERY PLAN SELECT * FROM paper_versions WHERE arxiv_id = '1510.00149'")
        )
        seen_again = conn.execute(
            f"INSERT OR IGNORE INTO paper_versions ({columns}) "
            "SELECT arxiv_id, version, title, submitted, NULL, '2027-01-01T00:00:00Z' FROM paper_versions"
        ).rowcount
        retitled = conn.execute(
            f"INSERT INTO paper_versions ({columns}) "
            "VALUES ('1510.00149', 1, 'Deep Compression, retitled', '2015-10-01T00:00:00Z', NULL, '2027-01-01T00:00:00Z')"
        ).rowcount
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE constraint failed: paper_versions"):
            conn.execute(
                "UPDATE paper_versions SET title = 'Deep Compression: Pruning' "
                "WHERE title = 'Deep Compression, retitled'"
            )
        count = conn.execute("SELECT count(*) FROM paper_versions").fetchone()[0]
    assert "WITHOUT ROWID" not in shape
    assert sorted(row[1:] for row in kept) == sorted(versions)  # every row, every column
    assert [row[-1] for row in kept] == sorted(row[-1] for row in versions)  # numbered in sighting order
    assert {"paper_versions_seen", "paper_versions_paper"} <= indexes
    assert "paper_versions_paper" in plan, plan
    assert (seen_again, retitled, count) == (0, 1, len(versions) + 1)  # a sighting stored once, a new title added
