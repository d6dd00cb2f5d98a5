"""The exports' fast paths write what their reference renderers write, on any value.

JSON objects come from SQLite's json_object, plain markdown and BibTeX's @misc records from a
template for values with nothing to escape: each is held here to the Python that decides it
(`reference_json`, `render_markdown`, `render_bibtex`) on hostile values, so the speed cannot
drift from the rules.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.bibtex import bibtex_keys, export_bibtex, listed_papers, pin_citation_keys, pinned_keys, render_bibtex
from harvester.export import export, listed_entries, reference_json, render_json, render_markdown
from harvester.mdescape import as_they_are, block_lines, text
from harvester.published import read_enrichment
from harvester.store import open_db
from tests.seeddb import build_seed_db

# Markup, TeX, whitespace of every kind, control characters, non-ASCII, block starts, and the
# values either side of each fast path's edge.
HOSTILE = [
    None,
    "",
    " ",
    "Plain Words Study",
    " leading",
    "trailing ",
    "two  spaces",
    "tab\there",
    "new\nline",
    "cr\rreturn",
    "crlf\r\nline",
    "nbsp\u00a0x",
    "ideographic\u3000space",
    "line\u2028separator",
    "next\x85line",
    "file\x1cseparator",
    "nul\x00<b>x</b>",
    "del\x7fx",
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "a & b",
    "100% #1 $x^2$ $$y$$",
    "\\emph{x} \\ell_1",
    "{Braced} Word",
    "}unbalanced{",
    "`code` *em* _u_ ~s~ |pipe|",
    "- list",
    "+ plus",
    "= equals",
    "1. numbered",
    "1) numbered",
    "\u0661. arabic digit",
    "2019 starts with a digit",
    "Schrödinger Über Straße",
    "压缩 蒸馏",
    "ImageNet BERT 3D GANs",
    "Low-Rank Sparse Study",
    "quote \" and ' and \\ backslash",
    'x","y',
    "emoji 🎉",
    "zero\u200bwidth",
    "Smith, John",
    "Ada and Grace",
    "AND",
    "Alexander Sandman",
    "Ö",
    "x" * 300,
]
TEXTS = [value for value in HOSTILE if value is not None]
PIECES = [*"aZ 09$&%#{}\\[]()<>*_`~|-+=.,\"'\t\n\r\x00\u00a0\u3000é张", " and ", "1. ", "$x$", "\\ell"]
HOSTILE_TEXT = st.one_of(
    st.sampled_from(TEXTS), st.lists(st.sampled_from(PIECES), max_size=12).map("".join), st.text(max_size=12)
)
URLS = [
    "https://github.com/a/b",
    "https://GitHub.com/a/b",
    "http://example.org",
    "https://example.org/a b",
    "https://example.org/a_(b)&amp;",
    "https://example.org/?q=1",
    "javascript:alert(1)",
    "",
    "https:///nohost",
    "https://ex\x00ample.org/<b>",
]


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_seed_db(tmp_path_factory.mktemp("fast-paths") / "seed.db")


@pytest.fixture
def db(seed: Path, tmp_path: Path) -> Iterator[sqlite3.Connection]:
    path = tmp_path / "h.db"
    shutil.copy(seed, path)
    connection = sqlite3.connect(path, isolation_level=None)
    yield connection
    connection.close()


def entry_ids(connection: sqlite3.Connection) -> list[int]:
    return [row[0] for row in connection.execute("SELECT id FROM entries WHERE is_paper = 1 ORDER BY id")]


def paper_ids(connection: sqlite3.Connection) -> list[str]:
    return [row[0] for row in connection.execute("SELECT arxiv_id FROM papers ORDER BY arxiv_id")]


def spread(connection: sqlite3.Connection, shift: int) -> None:
    """Every hostile value into every field of some entry and paper, each field shifted differently."""
    ids, papers = entry_ids(connection), paper_ids(connection)
    pick = lambda i, k: HOSTILE[(i * 7 + k * 11 + shift) % len(HOSTILE)]  # noqa: E731
    for i, entry_id in enumerate(ids):
        connection.execute(
            "UPDATE entries SET noted_title = ?, noted_venue = ?, noted_date = ?, notes = ?, section = ? WHERE id = ?",
            [pick(i, 1), pick(i, 2), pick(i, 3), pick(i, 4), pick(i, 5) or "", entry_id],
        )
        url = URLS[(i + shift) % len(URLS)]
        connection.execute(
            "INSERT INTO entry_links (entry_id, position, url, label, role, line, marker) "
            "VALUES (?, 1000 + ?, ?, ?, 'code', 1, ?)",
            [entry_id, shift, url, pick(i, 6) or "", pick(i, 7)],
        )
    for i, arxiv_id in enumerate(papers):
        connection.execute(
            "UPDATE papers SET title = ?, primary_category = ?, doi = ?, journal_ref = ? WHERE arxiv_id = ?",
            [
                pick(i, 8) or "",
                pick(i, 9) if i % 3 else "cs.LG",
                pick(i, 10) if i % 4 == 0 else None,
                pick(i, 11) if i % 5 == 0 else None,
                arxiv_id,
            ],
        )
    for i, (author_id,) in enumerate(connection.execute("SELECT id FROM authors ORDER BY id").fetchall()):
        value = pick(i, 12)
        connection.execute(
            "UPDATE authors SET name = ? WHERE id = ?", [f"{value}{'' if i % 2 else author_id}", author_id]
        )
    connection.execute("UPDATE lists SET title = ?", [pick(shift, 13)])


PLAIN_ENTRY = {
    "noted_title": "Noted Title",
    "noted_venue": "ICLR 2016",
    "noted_date": "2016-01",
    "notes": "A note.",
    "section": "Section",
}
PLAIN_PAPER = {"title": "Plain Title Study", "primary_category": "cs.LG", "doi": None, "journal_ref": None}


def one_at_a_time(connection: sqlite3.Connection, fields: list[str]) -> Iterator[None]:
    """Batches of entries (and their papers) holding plain values but one hostile value each: every
    hostile value in every field once, so each fast path's every test is the one that decides."""
    ids = entry_ids(connection)
    arxiv_ids = dict(connection.execute("SELECT id, arxiv_id FROM entries").fetchall())
    combos = [(field, value) for field in fields for value in HOSTILE]
    for start in range(0, len(combos), len(ids)):
        for entry_id in ids:
            connection.execute(
                f"UPDATE entries SET {', '.join(f'{k} = ?' for k in PLAIN_ENTRY)} WHERE id = ?",
                [*PLAIN_ENTRY.values(), entry_id],
            )
        connection.execute(
            f"UPDATE papers SET {', '.join(f'{k} = ?' for k in PLAIN_PAPER)}", list(PLAIN_PAPER.values())
        )
        connection.execute("DELETE FROM entry_links WHERE position >= 1000")
        connection.execute("DELETE FROM paper_authors")
        connection.execute("DELETE FROM authors")
        for entry_id, (field, value) in zip(ids, combos[start : start + len(ids)], strict=False):
            arxiv_id = arxiv_ids[entry_id]
            connection.execute("UPDATE entries SET arxiv_id = ? WHERE id = ?", [arxiv_id, entry_id])
            table, column = field.split(".")
            name = value or ""  # NOT NULL
            names = ["Ada Lovelace"] if table != "author" else [name] if column == "only" else ["Ada Lovelace", name]
            if table == "entries":
                stored = "" if value is None and column == "section" else value  # NOT NULL
                connection.execute(f"UPDATE entries SET {column} = ? WHERE id = ?", [stored, entry_id])
            elif table == "papers":
                connection.execute(f"UPDATE papers SET {column} = ? WHERE arxiv_id = ?", [value or "", arxiv_id])
            elif table == "code":
                url, label, marker = {
                    "url": (value, "c", None),
                    "label": ("https://x.org/a", value, None),
                    "marker": ("https://x.org/a", "c", value),
                }[column]
                connection.execute(
                    "INSERT INTO entry_links (entry_id, position, url, label, role, line, marker) VALUES (?, 1000, ?, ?, 'code', 1, ?)",
                    [entry_id, url or "", label or "", marker],
                )
            for position, name in enumerate(names):
                connection.execute("INSERT OR IGNORE INTO authors (name) VALUES (?)", [name])
                connection.execute(
                    "INSERT INTO paper_authors (arxiv_id, position, author_id, affiliations) "
                    "VALUES (?, ?, (SELECT id FROM authors WHERE name = ?), '[]')",
                    [arxiv_id, position, name],
                )
        yield


# --- JSON -----------------------------------------------------------------------------------


@pytest.mark.parametrize("shift", range(3))
def test_json_is_the_reference_on_hostile_values(db: sqlite3.Connection, shift: int) -> None:
    spread(db, shift)
    found(db, paper_ids(db)[shift::4])
    written = render_json(db)
    assert json.loads(written) == reference_json(db)
    lines = written.split("\n")[:-1]  # JSON escapes every newline inside a value
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == len(entry_ids(db)) + 2  # one object a line


def test_json_keeps_the_reference_fields_in_their_order(db: sqlite3.Connection) -> None:
    written = json.loads(render_json(db))
    reference = reference_json(db)
    assert [list(entry) for entry in written] == [list(entry) for entry in reference]
    assert "code_links" in written[0] and list(written[0])[-1] == "citation_count"


def test_json_of_nothing_is_an_empty_array(db: sqlite3.Connection) -> None:
    db.execute("UPDATE entries SET removed_at = '2026-01-01'")
    assert render_json(db) == "[]\n" and reference_json(db) == []


# --- markdown -------------------------------------------------------------------------------


def test_plain_markdown_is_the_reference_one_hostile_value_at_a_time(db: sqlite3.Connection) -> None:
    fields = [
        "entries.noted_venue",
        "entries.notes",
        "entries.section",
        "papers.title",
        "papers.published",
        "entries.arxiv_id",
    ]
    for _ in one_at_a_time(db, [*fields, "code.url", "code.label", "code.marker"]):
        assert export(db, "markdown", "plain") == render_markdown(listed_entries(db))


def test_plain_markdown_without_paper_is_the_reference(db: sqlite3.Connection) -> None:
    db.execute("DELETE FROM papers WHERE rowid % 2 = 0")  # their entries' noted title and date stand in
    for _ in one_at_a_time(db, ["entries.noted_title", "entries.noted_date"]):
        assert export(db, "markdown", "plain") == render_markdown(listed_entries(db))


@pytest.mark.parametrize("shift", range(4))
def test_plain_markdown_is_the_reference_on_hostile_values(db: sqlite3.Connection, shift: int) -> None:
    spread(db, shift)
    if shift == 3:  # entries without an arXiv ID, paper or date: the title and date fall back
        db.execute("UPDATE entries SET arxiv_id = NULL WHERE id % 3 = 0")
        db.execute("UPDATE entries SET arxiv_id = 'weird id(1)' WHERE id % 3 = 1")
    assert export(db, "markdown", "plain") == render_markdown(listed_entries(db))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(HOSTILE_TEXT | st.none(), min_size=6, max_size=6), code=st.sampled_from(URLS))
def test_any_entry_values_give_the_reference_markdown(
    db: sqlite3.Connection, values: list[str | None], code: str
) -> None:
    title, venue, date, notes, label, marker = values
    entry_id = entry_ids(db)[0]
    db.execute(
        "UPDATE entries SET noted_title = ?, noted_venue = ?, noted_date = ?, notes = ? WHERE id = ?",
        [title, venue, date, notes, entry_id],
    )
    db.execute(
        "UPDATE papers SET title = ? WHERE arxiv_id = (SELECT arxiv_id FROM entries WHERE id = ?)",
        [title or "", entry_id],
    )
    db.execute("DELETE FROM entry_links WHERE entry_id = ? AND position >= 1000", [entry_id])
    db.execute(
        "INSERT INTO entry_links (entry_id, position, url, label, role, line, marker) VALUES (?, 1000, ?, ?, 'code', 1, ?)",
        [entry_id, code, label or "", marker],
    )
    assert export(db, "markdown", "plain") == render_markdown(listed_entries(db))


def test_values_mdescape_calls_as_they_are_come_back_unchanged() -> None:
    spaces = [c for c in map(chr, range(0x110000)) if c.isspace() or c.isdecimal()]
    for character in [*map(chr, range(0x3100)), *spaces]:
        for value in (
            character,
            f"a{character}b",
            f"{character}a",
            f"a{character}",
            f"{character}. x",
            f"{character}) x",
        ):
            if as_they_are(value):
                assert text(value) == value and block_lines(value) == [value], repr(value)
            if as_they_are(f"x\0{value}"):
                assert text(value) == value, repr(value)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(HOSTILE_TEXT, min_size=1, max_size=4))
def test_as_they_are_never_passes_a_value_mdescape_would_change(values: list[str]) -> None:
    if as_they_are("\0".join(values)):
        assert block_lines(values[0]) == ([values[0]] if values[0] else [])
        assert all(text(value) == value for value in values)


# --- BibTeX ---------------------------------------------------------------------------------


def found(connection: sqlite3.Connection, arxiv_ids: list[str]) -> None:
    """Stored answers naming a published version (and code) for these papers."""
    for i, arxiv_id in enumerate(arxiv_ids):
        connection.execute(
            "INSERT OR REPLACE INTO enrichments (arxiv_id, source, status, fetched_at, checked_at, venue, journal, "
            "year, doi, citation_count, code_url) VALUES (?, ?, 'found', '2026-01-01', '2026-01-01', ?, ?, 2020, ?, 7, ?)",
            [
                arxiv_id,
                "semantic_scholar" if i % 2 else "huggingface",
                "ICLR" if i % 3 else None,
                "Journal of {Tests} & Co" if i % 3 == 0 else None,
                f"10.1/{i} x",
                "https://github.com/a/b",
            ],
        )


def reference_bibtex(connection: sqlite3.Connection, published: bool) -> str:
    papers = listed_papers(connection)
    keys = bibtex_keys(papers, *pinned_keys(connection))
    return render_bibtex(papers, keys, read_enrichment(connection, papers), published)


def test_bibtex_is_the_reference_one_hostile_value_at_a_time(db: sqlite3.Connection) -> None:
    fields = [
        "papers.title",
        "author.only",
        "author.second",
        "papers.primary_category",
        "papers.doi",
        "papers.journal_ref",
    ]
    for _ in one_at_a_time(db, fields):
        for published in (True, False):
            assert export_bibtex(db, published) == reference_bibtex(db, published)


@pytest.mark.parametrize("published", [True, False])
@pytest.mark.parametrize("shift", range(3))
def test_bibtex_is_the_reference_on_hostile_values(db: sqlite3.Connection, shift: int, published: bool) -> None:
    spread(db, shift)
    found(db, paper_ids(db)[shift::5])
    db.execute("UPDATE papers SET published = '2020-00-05T00:00:00Z' WHERE rowid % 7 = ?", [shift])  # month 0
    assert export_bibtex(db, published) == reference_bibtex(db, published)  # fresh keys
    if shift == 0:
        pin_citation_keys(open_db(Path(db.execute("PRAGMA database_list").fetchone()[2])))
        assert export_bibtex(db, published) == reference_bibtex(db, published)  # pinned keys


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=HOSTILE_TEXT, names=st.lists(HOSTILE_TEXT, max_size=3), doi=HOSTILE_TEXT | st.none())
def test_any_title_and_authors_give_the_reference_bibtex(
    db: sqlite3.Connection, title: str, names: list[str], doi: str | None
) -> None:
    arxiv_id = paper_ids(db)[0]
    db.execute("UPDATE papers SET title = ?, doi = ? WHERE arxiv_id = ?", [title, doi, arxiv_id])
    db.execute("DELETE FROM paper_authors WHERE arxiv_id = ?", [arxiv_id])
    for position, name in enumerate(dict.fromkeys(names)):
        db.execute("INSERT OR IGNORE INTO authors (name) VALUES (?)", [name])
        db.execute(
            "INSERT INTO paper_authors (arxiv_id, position, author_id, affiliations) "
            "VALUES (?, ?, (SELECT id FROM authors WHERE name = ?), '[]')",
            [arxiv_id, position, name],
        )
    for published in (True, False):
        assert export_bibtex(db, published) == reference_bibtex(db, published)


def test_pinning_sees_a_new_paper_past_every_pinned_one(db: sqlite3.Connection) -> None:
    path = Path(db.execute("PRAGMA database_list").fetchone()[2])
    assert pin_citation_keys(open_db(path)) == 19
    assert pin_citation_keys(open_db(path)) == 0  # every listed paper has its key
    entry_id, arxiv_id = db.execute("SELECT id, arxiv_id FROM entries WHERE is_paper = 1 ORDER BY id").fetchone()
    db.execute("UPDATE entries SET arxiv_id = '2999.00001' WHERE id = ?", [entry_id])
    assert pin_citation_keys(open_db(path)) == 0  # listed, but not fetched yet: nothing to key
    db.execute(
        "INSERT INTO papers SELECT '2999.00001', version, title, abstract, published, updated, primary_category, "
        "other_classifications, comment, journal_ref, doi, dois, abs_url, pdf_url, withdrawn, first_seen, "
        "last_fetched, missing_since FROM papers WHERE arxiv_id = ?",
        [arxiv_id],
    )
    assert pin_citation_keys(open_db(path)) == 1
    keys = dict(db.execute("SELECT arxiv_id, citation_key FROM citation_keys").fetchall())
    assert keys["2999.00001"] == "deep2015compression"  # no author stored: the title stands in
