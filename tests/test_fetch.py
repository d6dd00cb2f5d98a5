"""`harvester fetch` as a real process against the local arXiv stand-in."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harvester.arxiv.client import BatchResult
from harvester.harvest import HarvestSummary, save_batch
from harvester.importer import import_lists, read_source
from harvester.rawentries import unpack
from harvester.store import open_db
from tests.cli import ROOT, invoke, run_cli
from tests.seeddb import NOW, fixture_papers
from tests.standins.arxiv import ArxivStandIn, Fault
from tests.waiting import wait_until

SEED = ROOT / "seeds" / "model-compression.md"
FIXTURE = json.loads((ROOT / "tests" / "fixtures" / "arxiv" / "seed_papers.json").read_text(encoding="utf-8"))["papers"]
FAST = {"HARVESTER_ARXIV_DELAY": "0", "HARVESTER_ARXIV_BACKOFF": "0.05", "HARVESTER_ARXIV_TIMEOUT": "5"}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """The seed imported in-process (the import command has tests of its own)."""
    path = tmp_path / "h.db"
    database = open_db(path)
    import_lists(database, [read_source(SEED)], NOW)
    database.close()
    return path


def fetch(db: Path, arxiv: ArxivStandIn, *args: str) -> subprocess.CompletedProcess[str]:
    return invoke("fetch", "--json", *args, db=db, env={**FAST, "HARVESTER_ARXIV_URL": arxiv.url})


def rows(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def test_seed_papers_fetched_in_one_request_with_every_field(db: Path, arxiv: ArxivStandIn) -> None:
    result = fetch(db, arxiv)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    # One request for the 19 papers, one for the earlier versions reconciliation needs.
    assert (summary["fetched"], summary["requests_made"], summary["missing"]) == (19, 2, [])
    assert summary["versions_added"] > 0
    assert len(arxiv.requests) == 2 and {r.method for r in arxiv.requests} == {"POST"}
    for record in FIXTURE:
        latest = record["versions"][-1]
        [paper] = rows(
            db,
            "SELECT version, title, abstract, published, updated, primary_category, comment, journal_ref, doi, "
            "last_fetched IS NOT NULL, missing_since FROM papers WHERE arxiv_id = ?",
            (record["id"],),
        )
        assert paper == (
            latest["version"],
            latest["title"],
            record["abstract"],
            record["versions"][0]["submitted"],
            latest["submitted"],
            record["primary_category"],
            record["comment"],
            record["journal_ref"],
            record["doi"],
            1,
            None,
        ), record["id"]
        authors = rows(
            db,
            "SELECT a.name, pa.affiliations FROM paper_authors pa JOIN authors a ON a.id = pa.author_id "
            "WHERE pa.arxiv_id = ? ORDER BY pa.position",
            (record["id"],),
        )
        assert [a for a, _ in authors] == [a["name"] for a in record["authors"]]
        categories = rows(
            db,
            "SELECT category, is_primary FROM paper_categories WHERE arxiv_id = ? ORDER BY is_primary DESC, category",
            (record["id"],),
        )
        assert {c for c, _ in categories} == set(record["categories"] or []) | {record["primary_category"]} - {None}
        assert [c for c, primary in categories if primary] == (
            [record["primary_category"]] if record["primary_category"] else []
        )
        versions = rows(
            db, "SELECT version, title FROM paper_versions WHERE arxiv_id = ? ORDER BY version", (record["id"],)
        )
        # The latest, plus the earlier versions reconciliation needs, each with its own title.
        assert versions[-1] == (latest["version"], latest["title"])
        assert set(versions) <= {(v["version"], v["title"]) for v in record["versions"]}
        [(packed,)] = rows(db, "SELECT xml_zlib FROM raw_entries WHERE arxiv_id = ?", (record["id"],))
        assert record["id"] in unpack(packed)


def test_second_fetch_makes_no_request(db: Path, arxiv: ArxivStandIn) -> None:
    assert fetch(db, arxiv).returncode == 0
    arxiv.reset_log()
    result = fetch(db, arxiv)
    assert result.returncode == 0
    assert json.loads(result.stdout)["requests_made"] == 0
    assert arxiv.requests == []


def test_nonexistent_id_is_rechecked_then_recorded_missing_without_deleting(db: Path, arxiv: ArxivStandIn) -> None:
    assert fetch(db, arxiv).returncode == 0
    arxiv.remove_paper("1905.08922")
    arxiv.reset_log()
    result = fetch(db, arxiv, "--ids", "1905.08922,1907.05686")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["missing"] == ["1905.08922"]
    assert list(arxiv.requests[-1].ids) == ["1905.08922"]  # the individual re-check
    [(title, missing_since)] = rows(db, "SELECT title, missing_since FROM papers WHERE arxiv_id = '1905.08922'")
    assert title == "Geometry of Deep Convolutional Networks" and missing_since is not None
    assert rows(db, "SELECT arxiv_id FROM missing_papers") == [("1905.08922",)]


def test_malformed_id_is_refused_with_a_clear_message(db: Path, arxiv: ArxivStandIn) -> None:
    result = fetch(db, arxiv, "--ids", "1913.01234")
    assert result.returncode == 2
    assert "month 13" in result.stderr
    assert arxiv.requests == []


def test_malformed_id_in_a_list_does_not_stop_the_others(tmp_path: Path, arxiv: ArxivStandIn) -> None:
    listing = tmp_path / "list.md"
    listing.write_text(
        "# Papers\n\n1. [Good](https://arxiv.org/abs/1907.05686)\n1. [Bad](https://arxiv.org/abs/1913.01234)\n"
        "1. [Unknown](https://arxiv.org/abs/2001.99999)\n",
        encoding="utf-8",
    )
    db = tmp_path / "h.db"
    assert invoke("import", str(listing), db=db).returncode == 0
    result = fetch(db, arxiv)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["fetched"], summary["missing"]) == (1, ["2001.99999"])
    assert rows(db, "SELECT arxiv_id FROM papers") == [("1907.05686",)]


def test_arxiv_unreachable_exits_1_naming_the_url_and_keeps_data(db: Path, arxiv: ArxivStandIn) -> None:
    assert fetch(db, arxiv).returncode == 0
    before = rows(db, "SELECT * FROM papers ORDER BY arxiv_id")
    url = "http://127.0.0.1:9/api/query"  # the discard port: nothing listens there
    result = run_cli("fetch", "--all", db=db, env={**FAST, "HARVESTER_ARXIV_URL": url, "HARVESTER_ARXIV_ATTEMPTS": "2"})
    assert result.returncode == 1
    assert url in result.stderr
    assert "Traceback" not in result.stderr
    assert rows(db, "SELECT * FROM papers ORDER BY arxiv_id") == before


def test_faults_mid_run_end_with_every_paper_once(db: Path, arxiv: ArxivStandIn) -> None:
    arxiv.queue_faults(Fault.unavailable(retry_after="0"), Fault.rate_exceeded(), Fault.truncated(), Fault.drop())
    result = fetch(db, arxiv)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["fetched"] == 19
    assert rows(db, "SELECT count(*), count(DISTINCT arxiv_id) FROM papers") == [(19, 19)]
    assert len(arxiv.requests) == 5 + 1  # four faults, the batch, then the earlier versions


def test_next_day_records_a_new_version(db: Path, arxiv: ArxivStandIn) -> None:
    assert fetch(db, arxiv).returncode == 0
    arxiv.add_version(
        "1907.00262",
        title="Dissecting Pruned Neural Networks, Revisited",
        submitted=datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
    )
    # "The next day": everything fetched more than 0 seconds ago is stale.
    result = fetch(db, arxiv, "--stale-after", "0s")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["new_versions"] == 1
    assert rows(db, "SELECT version, title, updated FROM papers WHERE arxiv_id = '1907.00262'") == [
        (2, "Dissecting Pruned Neural Networks, Revisited", "2026-11-21T09:00:00Z")
    ]
    assert rows(db, "SELECT version, title FROM paper_versions WHERE arxiv_id = '1907.00262' ORDER BY version") == [
        (1, "Dissecting Pruned Neural Networks"),
        (2, "Dissecting Pruned Neural Networks, Revisited"),
    ]


def test_killed_run_keeps_finished_batches_and_resume_skips_them(db: Path, arxiv: ArxivStandIn) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_")}
    env.update(FAST, HARVESTER_ARXIV_URL=arxiv.url, HARVESTER_ARXIV_TIMEOUT="100")
    # Fault.omit_ids() with no IDs answers normally: it only lets two requests through before the hang.
    arxiv.queue_faults(Fault.omit_ids(), Fault.omit_ids(), Fault.hang(100))
    process = subprocess.Popen(
        [sys.executable, "-m", "harvester", "--db", str(db), "fetch", "--batch-size", "4"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        arxiv.wait_for_requests(3)  # the third batch hangs: two are answered, and the run is not over
        wait_until(lambda: _count(db) >= 8, "the first two batches stored")
    finally:
        process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the run ended before the kill"
    stored = {r[0] for r in rows(db, "SELECT arxiv_id FROM papers")}
    assert 8 <= len(stored) < 19
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    arxiv.reset_log()
    result = fetch(db, arxiv, "--batch-size", "4")
    assert result.returncode == 0, result.stderr
    asked = {i for r in arxiv.requests for i in r.ids}
    assert asked.isdisjoint(stored)
    assert rows(db, "SELECT count(*), count(DISTINCT arxiv_id) FROM papers") == [(19, 19)]


def _count(db: Path) -> int:
    try:
        return rows(db, "SELECT count(*) FROM papers")[0][0]
    except sqlite3.OperationalError:
        return 0


def test_papers_are_asked_for_and_written_in_id_order(db: Path, arxiv: ArxivStandIn) -> None:
    # In key order each batch lands after the rows already stored, so the pages of every
    # table keyed by ID fill instead of splitting half-empty (benchmarks/scale: the file).
    listed = [row[0] for row in rows(db, "SELECT arxiv_id FROM entries WHERE arxiv_id IS NOT NULL ORDER BY id")]
    assert listed != sorted(listed)  # the seed lists them out of order
    assert fetch(db, arxiv).returncode == 0
    assert list(arxiv.requests[0].ids) == sorted(set(listed))
    written = [row[0] for row in rows(db, "SELECT arxiv_id FROM papers ORDER BY rowid")]
    assert written == sorted(written) and len(written) == 19  # the stand-in answers in another order


def test_a_batch_answered_out_of_order_is_written_in_id_order(tmp_path: Path) -> None:
    papers = sorted(fixture_papers(), key=lambda p: p.arxiv_id, reverse=True)
    database = open_db(tmp_path / "h.db")
    answer = BatchResult(requested=tuple(p.arxiv_id for p in papers), papers=tuple(papers), missing=(), invalid=())
    save_batch(database, answer, NOW, HarvestSummary())
    written = [row[0] for row in database.execute("SELECT arxiv_id FROM papers ORDER BY rowid")]
    database.close()
    assert written == sorted(p.arxiv_id for p in papers)
