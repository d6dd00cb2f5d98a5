"""Raw arXiv entries are stored packed, read back exactly, and databases from before are converted."""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from harvester import rawentries
from harvester.arxiv.client import BatchResult
from harvester.arxiv.feed import parse_feed
from harvester.harvest import HarvestSummary, save_batch
from harvester.rawentries import pack, unpack
from harvester.store import open_db
from tests.cli import ROOT, invoke
from tests.seeddb import NOW, build_seed_db, fixture_papers

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


def format_1(xml: str) -> bytes:
    """An entry as format 1 stored it: the format byte, then a zlib stream primed with dictionary 1."""
    compressor = zlib.compressobj(9, zdict=rawentries._DICTIONARY_1)
    return b"\x01" + compressor.compress(xml.encode("utf-8")) + compressor.flush()


# An entry of the synthetic corpus as the code before format 2 packed it, kept byte for byte:
# rows like it fill databases written until then, and must read back unchanged.
FORMAT_1_STORED = bytes.fromhex(
    "0178f967d870381b0cb9d9d0d4c050cf00088ccb0cf1e4ece0ca3c607a29c94c5670c92c2ec9ccc901670a85e092d2944a058419840a"
    "00230343535d03435d43138c8825a72840763cd50b052c86535c3c382a14c30312e88192a2c4e4122023bfb4442105395c414505c27e"
    "3dfae6393c9144bbdce7945894945894a8e093599c9d5f466246020097600f2e"
)
FORMAT_1_XML = (
    '<atom:entry xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:atom="http://www.w3.org/2005/Atom">\n'
    "    <atom:id>http://arxiv.org/abs/1501.00003v1</atom:id>\n"
    "    <atom:title>Synthetic Distillation Study 1501.00003</atom:title>\n"
    "    <atom:updated>2015-01-14T12:00:00Z</atom:updated>\n"
    '    <atom:link href="https://arxiv.org/abs/1501.00003v1" rel="alternate" type="text/html" />\n'
    '    <atom:link href="https://arxiv.org/pdf/1501.00003v1" rel="related" type="application/pdf" title="pdf" />\n'
    "    <atom:summary>A synthetic abstract about distillation for 1501.00003.</atom:summary>\n"
    '    <atom:category term="cs.LG" scheme="http://arxiv.org/schemas/atom" />\n'
    "    <atom:published>2015-01-14T12:00:00Z</atom:published>\n"
    '    <arxiv:primary_category term="cs.LG" />\n'
    "    <atom:author>\n"
    "      <atom:name>Barbara Liskov</atom:name>\n"
    "    </atom:author>\n"
    "  </atom:entry>"
)


def test_rows_packed_in_format_1_still_read_back_exactly() -> None:
    assert unpack(FORMAT_1_STORED) == FORMAT_1_XML
    for xml in recorded_entries():
        assert unpack(format_1(xml)) == xml


def test_format_2_drops_the_zlib_wrapper_and_nothing_else() -> None:
    entries = recorded_entries()
    for xml in entries:
        packed = pack(xml)
        assert packed[0] == rawentries.FORMAT_DEFLATE_DICTIONARY_1
        assert len(packed) == len(format_1(xml)) - 10  # zlib's 2-byte header, 4-byte dictionary id, 4-byte checksum
    assert len(pack(FORMAT_1_XML)) == len(FORMAT_1_STORED) - 10


@pytest.mark.parametrize("damage", [lambda b: b[:-1], lambda b: b[:2], lambda b: b + b"\x00", lambda b: b[:1]])
@pytest.mark.parametrize("packer", [pack, format_1])
def test_a_cut_off_or_padded_blob_is_an_error_not_a_shorter_entry(
    damage: Callable[[bytes], bytes], packer: Callable[[str], bytes]
) -> None:
    with pytest.raises(ValueError, match="damaged or incomplete"):
        unpack(damage(packer(FORMAT_1_XML)))


def test_format_1_rows_are_rewritten_in_format_2_when_their_paper_is_fetched_again(tmp_path: Path) -> None:
    path = build_seed_db(tmp_path / "h.db")
    db = open_db(path)
    rows = db.execute("SELECT arxiv_id, version, xml_zlib FROM raw_entries").fetchall()
    with db.atomic():
        db.conn.executemany(
            "UPDATE raw_entries SET xml_zlib = ? WHERE arxiv_id = ? AND version = ?",
            [(format_1(unpack(blob)), arxiv_id, version) for arxiv_id, version, blob in rows],
        )
    xml = {arxiv_id: text for arxiv_id, text in db.execute("SELECT arxiv_id, raw_xml(xml_zlib) FROM raw_entries")}
    assert len(xml) == 19 and all(xml.values())  # format 1 reads, in SQL too

    latest = fixture_papers()  # the next refresh: the same papers answered again
    requested = tuple(p.arxiv_id for p in latest)
    save_batch(
        db, BatchResult(requested=requested, papers=tuple(latest), missing=(), invalid=()), NOW, HarvestSummary()
    )

    after = db.execute("SELECT arxiv_id, xml_zlib FROM raw_entries").fetchall()
    db.close()
    assert {arxiv_id: blob[0] for arxiv_id, blob in after} == dict.fromkeys(xml, rawentries.FORMAT_DEFLATE_DICTIONARY_1)
    assert {arxiv_id: unpack(blob) for arxiv_id, blob in after} == xml


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
