"""`harvester query` only reads; `harvester search` finds entries by words in any language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import invoke, run_cli


def test_query_returns_rows_as_json(shared_seed_db: Path) -> None:
    result = run_cli(
        "query",
        "SELECT arxiv_id, version FROM papers WHERE arxiv_id = '1907.05642'",
        "--format",
        "json",
        db=shared_seed_db,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"arxiv_id": "1907.05642", "version": 3}]


def test_query_csv(shared_seed_db: Path) -> None:
    result = invoke(
        "query", "SELECT count(*) AS n FROM entries WHERE is_paper = 1", "--format", "csv", db=shared_seed_db
    )
    assert result.stdout.splitlines() == ["n", "19"]


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO authors (name) VALUES ('Mallory')",
        "UPDATE papers SET title = 'x'",
        "DELETE FROM entries",
        "DROP TABLE papers",
        "ATTACH DATABASE '/tmp/harvester-attached.db' AS other",
        "PRAGMA journal_mode = DELETE",
        "PRAGMA user_version = 7",
        "CREATE TABLE t (x)",
        "WITH x AS (SELECT 1) DELETE FROM papers",
        "VACUUM",
    ],
)
def test_query_refuses_writes_and_leaves_the_file_byte_identical(shared_seed_db: Path, sql: str) -> None:
    before = shared_seed_db.read_bytes()
    result = invoke("query", sql, db=shared_seed_db)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "refused" in result.stderr or "query failed" in result.stderr
    assert shared_seed_db.read_bytes() == before
    assert not Path("/tmp/harvester-attached.db").exists()


def test_query_allows_reading_pragmas(shared_seed_db: Path) -> None:
    result = invoke("query", "PRAGMA table_info(papers)", "--format", "json", db=shared_seed_db)
    assert result.returncode == 0, result.stderr
    assert "arxiv_id" in {row["name"] for row in json.loads(result.stdout)}


def search(shared_seed_db: Path, *terms: str) -> list[dict]:
    result = invoke("search", *terms, "--json", db=shared_seed_db)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_search_ranks_title_and_abstract_hits(shared_seed_db: Path) -> None:
    hits = search(shared_seed_db, "distillation")
    ids = [h["arxiv_id"] for h in hits]
    assert set(ids) >= {"1905.07072", "1907.05640", "1910.04641"}
    assert all(h["list"] == "model-compression.md" and h["section"] for h in hits)


def test_search_uses_porter_stemming(shared_seed_db: Path) -> None:
    result = run_cli("search", "thresholds", "--json", db=shared_seed_db)
    assert result.returncode == 0, result.stderr
    assert "1905.08793" in [h["arxiv_id"] for h in json.loads(result.stdout)]


@pytest.mark.parametrize(
    "terms",
    [['"hard thresholding"'], ['he said "hello'], ["AND", "OR", "NOT"], ["*"], ["Low-Rank"], ["(", ")"], ["NEAR(a b)"]],
)
def test_search_never_raises_on_fts_syntax(shared_seed_db: Path, terms: list[str]) -> None:
    result = invoke("search", *terms, "--json", db=shared_seed_db)
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)


def test_search_hyphenated_term(shared_seed_db: Path) -> None:
    assert "1905.10145" in [h["arxiv_id"] for h in search(shared_seed_db, "Low-Rank")]


def test_search_cjk_notes_and_headings(shared_seed_db: Path) -> None:
    assert [h["arxiv_id"] for h in search(shared_seed_db, "交叉熵")] == ["1910.04641"]  # in its notes only
    assert [h["arxiv_id"] for h in search(shared_seed_db, "剪枝")] == [
        "1803.04239",
        "1905.08793",
        "1907.00262",
        None,
    ]  # and an appendix reference
    assert [h["arxiv_id"] for h in search(shared_seed_db, "知识蒸馏", "cross-modal")] == ["1910.04641"]
