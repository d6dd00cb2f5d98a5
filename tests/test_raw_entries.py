"""Raw arXiv entries are stored packed, read back exactly, and databases from before are converted."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from harvester.arxiv.feed import parse_feed
from harvester.rawentries import pack, unpack
from harvester.store import open_db
from tests.cli import ROOT, invoke
from tests.seeddb import build_seed_db

RESPONSES = ROOT / "tests" / "fixtures" / "arxiv" / "responses"


def recorded_entries() -> list[str]:
    """Every entry of every recorded arXiv answer, as the feed parser serializes it."""
    entries = []
    for path in sorted(RESPONSES.glob("*.xml")):
        try:
            entries += [paper.raw_xml for paper in parse_feed(path.read_bytes()).papers]
        except Exception:  # error feeds and deliberately broken answers hold no entry
            continue
    return entries


def test_packing_round_trips_every_recorded_entry_exactly_and_smaller() -> None:
    entries = recorded_entries()
    assert len(entries) > 100
    for xml in entries:
        packed = pack(xml)
        assert unpack(packed) == xml
        assert len(packed) < len(xml.encode("utf-8")) / 2


@pytest.mark.parametrize(
    "xml",
    ["", "<entry/>", "<atom:title>Étude: 深度学习 \U0001f600 &amp; &lt;</atom:title>", "x" * 100_000 + "\n\r\t"],
)
def test_packing_round_trips_any_text(xml: str) -> None:
    assert unpack(pack(xml)) == xml


def test_unpacking_something_else_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="format byte"):
        unpack(b"<atom:entry/>")


def test_fetched_entries_are_stored_packed_and_readable_through_query(tmp_path: Path) -> None:
    db = build_seed_db(tmp_path / "h.db")
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT arxiv_id, xml_zlib FROM raw_entries ORDER BY arxiv_id").fetchall()
    assert len(stored) == 19
    assert all(isinstance(blob, bytes) and f"abs/{arxiv_id}v" in unpack(blob) for arxiv_id, blob in stored)

    sql = "SELECT arxiv_id, raw_xml(xml_zlib) AS xml FROM raw_entries WHERE arxiv_id = '1907.05642'"
    result = invoke("query", "--format", "json", sql, db=db)
    assert result.returncode == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert row["xml"] == unpack(dict(stored)["1907.05642"])


def test_the_migration_packs_entries_stored_as_text_by_earlier_versions(tmp_path: Path) -> None:
    path = build_seed_db(tmp_path / "h.db")
    xml_by_id = {
        f"{n:04d}.{n:05d}": entry for n, entry in enumerate(recorded_entries()[:40], start=1000)
    }  # real entries, under made-up keys
    with sqlite3.connect(path) as conn:
        # The table as migration 0002 created it, holding the XML as text.
        conn.execute("DROP TABLE raw_entries")
        conn.execute(
            "CREATE TABLE raw_entries (arxiv_id TEXT NOT NULL, version INTEGER NOT NULL, "
            "fetched_at TEXT NOT NULL, xml TEXT NOT NULL, PRIMARY KEY (arxiv_id, version))"
        )
        conn.executemany("INSERT INTO raw_entries VALUES (?, 2, '2026-01-02T03:04:05Z', ?)", list(xml_by_id.items()))
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0007_raw_entries_packed'")

    open_db(path).close()

    with sqlite3.connect(path) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(raw_entries)")]
        rows = conn.execute("SELECT arxiv_id, version, fetched_at, xml_zlib FROM raw_entries").fetchall()
    assert columns == ["arxiv_id", "version", "fetched_at", "xml_zlib"]
    assert {arxiv_id: unpack(blob) for arxiv_id, _, _, blob in rows} == xml_by_id
    assert {(version, fetched) for _, version, fetched, _ in rows} == {(2, "2026-01-02T03:04:05Z")}
