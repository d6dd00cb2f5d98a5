"""Shapes that keep reads and exports working at any size (the timings live in benchmarks/)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlite_utils import Database

from harvester.bibtex import bibtex_keys, clash_suffix
from harvester.store import ensure_db_shape, open_db
from tests.seeddb import build_seed_db


def test_clash_suffixes_stay_letters_past_z() -> None:
    assert [clash_suffix(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "a",
        "b",
        "z",
        "aa",
        "ab",
        "az",
        "ba",
        "zz",
        "aaa",
    ]


def test_bibtex_keys_stay_valid_and_unique_past_26_clashes() -> None:
    papers = [
        {
            "arxiv_id": f"1901.{n:05d}",
            "authors": '["Song Han"]',
            "author_names": '["Song Han"]',
            "published": "2015-10-01T00:00:00Z",
            "title": "Deep Compression",
        }
        for n in range(60)
    ]
    keys = bibtex_keys(papers)
    assert len(set(keys.values())) == 60
    assert all(re.fullmatch(r"[a-z]+2015deep[a-z]{1,2}", key) for key in keys.values()), sorted(keys.values())


def test_the_reading_list_view_counts_findings_through_the_entry_index(tmp_path: Path) -> None:
    db = open_db(build_seed_db(tmp_path / "h.db"))
    ensure_db_shape(db)
    indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()}
    assert "findings_entry_open" in indexes
    plan = " ".join(str(row[-1]) for row in db.execute("EXPLAIN QUERY PLAN SELECT * FROM reading_list").fetchall())
    assert "findings_entry_open" in plan, plan


def test_an_unchanged_list_is_not_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harvester import importer
    from harvester.importer import import_list, read_source
    from tests.seeddb import NOW, SEED

    parses: list[int] = []
    real_parse = importer.parse_reading_list

    def counting_parse(text: str) -> importer.ReadingList:
        parses.append(len(text))
        return real_parse(text)

    monkeypatch.setattr(importer, "parse_reading_list", counting_parse)
    db = open_db(tmp_path / "h.db")
    first = import_list(db, read_source(SEED), NOW)
    second = import_list(db, read_source(SEED), NOW)
    assert len(parses) == 1  # the hash matched: the second read never parsed
    assert (second.status, second.entries, second.paper_entries, second.sections) == (
        "unchanged",
        first.entries,
        first.paper_entries,
        first.sections,
    )


def test_importing_many_lists_holds_one_parsed_list_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Import memory is flat in the number of lists: each parsed list is dropped before the next is parsed."""
    import gc
    import weakref

    from harvester import importer
    from harvester.importer import import_lists, read_source
    from tests.seeddb import NOW

    folder = tmp_path / "lists"
    folder.mkdir()
    fixtures = sorted((Path(__file__).parent / "fixtures" / "reading-lists").glob("*.md"))
    for fixture in fixtures:
        (folder / fixture.name).write_bytes(fixture.read_bytes())
    sources = [read_source(path) for path in sorted(folder.glob("*.md"))]  # as `harvester import` holds them

    alive_at_each_parse: list[int] = []
    parsed: list[weakref.ref[importer.ReadingList]] = []
    real_parse = importer.parse_reading_list

    def tracking_parse(text: str) -> importer.ReadingList:
        gc.collect()
        alive_at_each_parse.append(sum(ref() is not None for ref in parsed))
        result = real_parse(text)
        parsed.append(weakref.ref(result))
        return result

    monkeypatch.setattr(importer, "parse_reading_list", tracking_parse)
    results = import_lists(open_db(tmp_path / "h.db"), iter(sources), NOW)
    assert [r.status for r in results] == ["new"] * len(fixtures)
    assert alive_at_each_parse == [0] * len(fixtures)  # no earlier list still held when the next is parsed


def test_the_views_people_page_through_stream_from_indexes_without_sorting_every_row(tmp_path: Path) -> None:
    db = open_db(build_seed_db(tmp_path / "h.db"))
    ensure_db_shape(db)

    def plan(sql: str) -> list[str]:
        return [str(row[-1]) for row in db.execute("EXPLAIN QUERY PLAN " + sql).fetchall()]

    reading = plan("SELECT * FROM reading_list LIMIT 101")
    assert any("lists_name" in step for step in reading), reading
    assert any("entries_listed" in step for step in reading), reading
    assert "USE TEMP B-TREE FOR ORDER BY" not in reading, reading  # only each list's own entries are sorted
    recent = plan("SELECT * FROM recent_changes LIMIT 101")
    for index in ("paper_versions_seen", "papers_first_seen", "entries_updated"):
        assert any(index in step for step in recent), recent
    assert not any("TEMP B-TREE" in step for step in recent), recent


@pytest.fixture
def many_lists_db(tmp_path: Path) -> Path:
    """The seed list with its papers, and the four real fixture lists beside it."""
    from harvester.importer import import_lists, read_source
    from tests.seeddb import NOW

    path = build_seed_db(tmp_path / "h.db")
    fixtures = sorted((Path(__file__).parent / "fixtures" / "reading-lists").glob("*.md"))
    db = open_db(path)
    import_lists(db, [read_source(p) for p in fixtures], NOW)
    db.close()
    return path


def test_reconcile_list_by_list_finds_what_reconciling_every_list_at_once_finds(many_lists_db: Path) -> None:
    from harvester.findings import open_findings
    from harvester.reconcile import reconcile
    from harvester.reconciling import load_inputs, run_reconcile

    db = open_db(many_lists_db)
    at_once = {(f.key, f.kind, f.suggestion, f.detail) for f in reconcile(load_inputs(db))}
    summary = run_reconcile(db)
    stored = {(r["key"], r["kind"], r["suggestion"], r["detail"]) for r in open_findings(db)}
    assert stored == at_once
    assert summary.open == len(at_once)
    assert {kind for _, kind, _, _ in at_once} >= {"category_suspect", "mirror_link", "title_typo"}


def test_reconcile_holds_one_list_at_a_time(many_lists_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconcile memory is flat in the number of lists: a list's entries are gone before the next is loaded."""
    import gc
    import weakref

    from harvester import reconciling
    from harvester.reconcile import EntryInput

    loaded: list[tuple[int | None, list[weakref.ref[EntryInput]]]] = []
    alive_at_each_load: list[int] = []
    real_load = reconciling._load_entries

    def tracking_load(db: object, list_id: int | None = None) -> list[EntryInput]:
        gc.collect()
        alive_at_each_load.append(sum(ref() is not None for _, refs in loaded for ref in refs))
        entries = real_load(db, list_id)  # type: ignore[arg-type]
        loaded.append((list_id, [weakref.ref(e) for e in entries]))
        return entries

    monkeypatch.setattr(reconciling, "_load_entries", tracking_load)
    reconciling.run_reconcile(open_db(many_lists_db))
    lists = 5
    assert [list_id for list_id, _ in loaded].count(None) == 0  # never every list at once
    assert len(loaded) == 3 * lists  # two passes for the pooled topics, one to judge and store
    assert alive_at_each_load == [0] * len(loaded)


def _fts_rows(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM papers_fts_data").fetchone()[0])


def _search_titles(db: Database, words: str) -> list[str]:
    sql = "SELECT p.title FROM papers_fts JOIN papers p ON p.rowid = papers_fts.rowid WHERE papers_fts MATCH ?"
    return [row[0] for row in db.execute(sql, [words])]


def test_a_refresh_that_changes_no_indexed_text_leaves_the_full_text_index_alone(tmp_path: Path) -> None:
    db = open_db(build_seed_db(tmp_path / "h.db"))
    assert _search_titles(db, "title: huffman") == [
        db.execute("SELECT title FROM papers WHERE arxiv_id = '1510.00149'").fetchone()[0]
    ]
    before = _fts_rows(db)
    for night in range(1, 40):  # a nightly refresh touches every paper, its text unchanged
        with db.atomic():
            db.execute("UPDATE papers SET last_fetched = ?, title = title", [f"2026-12-{night % 28 + 1:02d}T03:00:00Z"])
    assert _fts_rows(db) == before

    with db.atomic():  # a changed title is indexed again: found by its new words, not its old
        db.execute("UPDATE papers SET title = 'Quokka Sparsification' WHERE arxiv_id = '1510.00149'")
    assert _search_titles(db, "quokka") == ["Quokka Sparsification"]
    assert _search_titles(db, "title: huffman") == []
    db.execute("INSERT INTO papers_fts (papers_fts) VALUES ('integrity-check')")  # raises if the index disagrees


def test_a_database_with_the_old_full_text_trigger_gets_the_new_one_and_its_churn_merged(tmp_path: Path) -> None:
    db = open_db(build_seed_db(tmp_path / "h.db"))
    with db.atomic():  # the trigger sqlite-utils makes, as databases before this had it
        db.execute('DROP TRIGGER "papers_au"')
        db.execute(
            'CREATE TRIGGER "papers_au" AFTER UPDATE ON "papers" BEGIN\n'
            '  INSERT INTO "papers_fts" ("papers_fts", rowid, "title", "abstract") '
            'VALUES(\'delete\', old.rowid, old."title", old."abstract");\n'
            '  INSERT INTO "papers_fts" (rowid, "title", "abstract") VALUES (new.rowid, new."title", new."abstract");\n'
            "END"
        )
    fresh = _fts_rows(db)
    for _ in range(3):
        with db.atomic():
            db.execute("UPDATE papers SET last_fetched = last_fetched")
    assert _fts_rows(db) > fresh  # each night re-indexed every paper

    ensure_db_shape(db)
    trigger = db.execute("SELECT sql FROM sqlite_master WHERE name = 'papers_au'").fetchone()[0]
    assert 'old."title" IS NOT new."title"' in trigger
    assert _fts_rows(db) <= fresh  # what the churn left is merged away
    assert "Deep Compression" in " ".join(_search_titles(db, "compression"))
    db.execute("INSERT INTO papers_fts (papers_fts) VALUES ('integrity-check')")
