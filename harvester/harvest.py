"""Which arXiv IDs to fetch, and writing what arXiv said into the papers tables.

Each batch the client hands back is written in one transaction before the next
request goes out, so a run killed halfway keeps every finished batch and the
next run (which skips papers fetched within the stale age) does not ask again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from . import progress
from .arxiv.client import ArxivClient, BatchResult, make_http_client
from .arxiv.config import ClientConfig
from .arxiv.feed import Paper, says_withdrawn
from .errors import ArxivUnavailable
from .rawentries import pack as pack_raw_entry
from .timeutil import iso

# An answer lacking every one of these many papers arXiv was returning is an
# outage, not removals. With a single such paper the two cannot be told apart;
# it is then counted missing, and the grace before reporting it covers a glitch.
OUTAGE_MIN_RETURNING = 2


class ArxivOutage(ArxivUnavailable):
    """arXiv answered, but without papers it was returning: its index failed, not the papers."""


@dataclass
class HarvestSummary:
    requested: int = 0
    fetched: int = 0
    new_papers: int = 0
    new_versions: int = 0
    missing: list[str] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)
    batches: int = 0
    requests_made: int = 0
    failed: str | None = None  # why the run stopped early, if it did
    versions_added: int = 0  # earlier versions stored for reconciliation
    versions_warning: str | None = None  # why they could not be fetched, if so

    def as_dict(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "fetched": self.fetched,
            "new_papers": self.new_papers,
            "new_versions": self.new_versions,
            "missing": self.missing,
            "invalid": [{"id": i, "reason": r} for i, r in self.invalid],
            "batches": self.batches,
            "requests_made": self.requests_made,
            "failed": self.failed,
            "versions_added": self.versions_added,
            "versions_warning": self.versions_warning,
        }


def listed_ids(db: Database) -> list[str]:
    """Every arXiv ID named by an entry still in a list, in first-listed order."""
    if not db.table("entries").exists():
        return []
    seen: dict[str, None] = {}
    for row in db.query("SELECT arxiv_ids FROM entries WHERE removed_at IS NULL ORDER BY list_id, position"):
        for arxiv_id in json.loads(row["arxiv_ids"]):
            seen.setdefault(arxiv_id, None)
    return list(seen)


def stale_ids(db: Database, ids: Sequence[str], now: datetime, stale_after: timedelta) -> list[str]:
    """The IDs never fetched, or last asked about longer ago than `stale_after`."""
    cutoff = iso(now - stale_after)
    fresh = {
        row["arxiv_id"]
        for row in db.query(
            "SELECT arxiv_id FROM papers WHERE last_fetched > :cutoff "
            "UNION SELECT arxiv_id FROM missing_papers WHERE last_checked > :cutoff",
            {"cutoff": cutoff},
        )
    }
    return [i for i in ids if i not in fresh]


async def harvest(
    db: Database,
    client: ArxivClient,
    ids: Sequence[str],
    now: datetime,
) -> HarvestSummary:
    """Fetch `ids` batch by batch, committing each batch before asking for the next.

    When arXiv cannot be reached the summary says why in `failed`; every batch
    finished before that is already stored.
    """
    summary = HarvestSummary(requested=len(ids))
    answered: set[str] = set()  # a missing ID asked again is counted once

    with progress.tracked("fetch", len(set(ids)), "papers") as task:

        def save(result: BatchResult) -> None:
            save_batch(db, result, now, summary)
            new = set(result.requested) - answered
            answered.update(new)
            task.advance(len(new))

        try:
            # In key order: each batch then lands after the last one in every table keyed by
            # arXiv ID (papers' key, raw_entries, paper_authors, ...), filling pages as it goes;
            # in listed order the rows landed between others and split pages half-empty.
            await client.fetch_many(sorted(ids), on_batch=save)
        except ArxivUnavailable as error:
            summary.failed = str(error)
        finally:
            summary.requests_made = client.requests_made
    return summary


async def harvest_with(db: Database, config: ClientConfig, ids: Sequence[str], now: datetime) -> HarvestSummary:
    """Fetch `ids`, then the earlier versions reconciliation needs, on one client of its own.

    Reconciliation itself never touches the network: what it compares against
    is all fetched here.
    """
    if not ids and not versions_to_fetch(db):
        return HarvestSummary()
    async with make_http_client(config) as http:
        client = ArxivClient(http, config)
        summary = await harvest(db, client, ids, now) if ids else HarvestSummary()
        if not summary.failed:
            summary.versions_added, summary.versions_warning = await fetch_needed_versions(db, client, now)
        summary.requests_made = client.requests_made
    return summary


async def fetch_needed_versions(db: Database, client: ArxivClient, now: datetime) -> tuple[int, str | None]:
    """Fetch the earlier versions reconciliation needs (see `versions_to_fetch`).

    Returns the rows added and, when arXiv could not be asked, a warning:
    reconciliation then goes on with what is stored.
    """
    wanted = versions_to_fetch(db)
    if not wanted:
        return 0, None
    try:
        papers = await client.fetch_versions(wanted)
    except ArxivUnavailable as error:
        return 0, f"earlier versions not fetched ({error}); titles of earlier versions are unknown"
    return save_versions(db, papers, now), None


def save_batch(db: Database, result: BatchResult, now: datetime, summary: HarvestSummary) -> None:
    """Store one batch in one transaction; raise ArxivOutage, writing nothing, for an outage."""
    refuse_outage(db, result)
    with db.atomic():
        for paper in sorted(result.papers, key=lambda p: p.arxiv_id):  # key order (see harvest)
            _save_paper(db, paper, now, summary)
        for arxiv_id in result.missing:
            _mark_missing(db, arxiv_id, now)
    summary.batches += 1
    summary.fetched += len(result.papers)
    summary.missing.extend(result.missing)
    for item in result.invalid:
        if item not in summary.invalid:
            summary.invalid.append(item)


def refuse_outage(db: Database, result: BatchResult) -> None:
    """Raise ArxivOutage when the batch lacks every paper arXiv was returning.

    The client has already asked again for each missing ID, so this is an
    answer arXiv keeps giving. IDs never held may be missing (a typo, a paper
    not yet announced), and papers already missing prove nothing; but when
    every paper arXiv was returning is gone at once, arXiv is broken, and
    marking them would call every link to them dead.
    """
    missing = set(result.missing)
    returning = _returning(db, result.requested)
    if len(returning) >= OUTAGE_MIN_RETURNING and returning <= missing:
        raise ArxivOutage(
            f"arXiv answered without the {len(returning)} papers it has returned before, even when asked "
            "again: treating as an outage; nothing was marked missing"
        )


def _returning(db: Database, ids: Sequence[str]) -> set[str]:
    """The IDs among `ids` that arXiv returned the last time it was asked about them."""
    returning: set[str] = set()
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), 500):  # below SQLite's limit on bound parameters
        chunk = unique[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT arxiv_id FROM papers WHERE missing_since IS NULL AND arxiv_id IN ({marks})"
        returning.update(row[0] for row in db.execute(sql, chunk).fetchall())
    return returning


def save_versions(db: Database, papers: Sequence[Paper], now: datetime) -> int:
    """Record earlier versions (fetched as IDvN) in paper_versions only; returns rows added."""
    added = 0
    with db.atomic():
        for paper in papers:
            added += _record_version(db, paper, now)
    return added


def versions_to_fetch(db: Database) -> list[str]:
    """Earlier versions that reconciliation needs and the database lacks.

    Only papers with more than one version, for which some entry's noted title
    or date differs from the latest version's: their earlier titles and dates
    decide between a stale note and a slip.
    """
    rows = db.query(
        """
        SELECT DISTINCT p.arxiv_id, p.version
        FROM papers p JOIN entries e ON e.arxiv_id = p.arxiv_id AND e.removed_at IS NULL
        WHERE p.version > 1 AND p.missing_since IS NULL
          AND (lower(trim(coalesce(e.noted_title, ''))) != lower(trim(p.title))
               OR e.noted_date IS NOT NULL)
        """
    )
    wanted: list[str] = []
    for row in rows:
        have = {
            r["version"] for r in db.query("SELECT version FROM paper_versions WHERE arxiv_id = ?", [row["arxiv_id"]])
        }
        wanted.extend(f"{row['arxiv_id']}v{v}" for v in range(1, row["version"]) if v not in have)
    return wanted


# Plain SQL here: a batch writes hundreds of papers, and per-call table
# introspection would cost more than the writes themselves (benchmarks/arxiv).
_UPSERT_PAPER = """
INSERT INTO papers (arxiv_id, version, title, abstract, published, updated, primary_category,
                    other_classifications, comment, journal_ref, doi, dois, abs_url, pdf_url,
                    withdrawn, first_seen, last_fetched, missing_since)
VALUES (:arxiv_id, :version, :title, :abstract, :published, :updated, :primary_category,
        :other_classifications, :comment, :journal_ref, :doi, :dois, :abs_url, :pdf_url,
        :withdrawn, :now, :now, NULL)
ON CONFLICT (arxiv_id) DO UPDATE SET
  version = excluded.version, title = excluded.title, abstract = excluded.abstract,
  published = excluded.published, updated = excluded.updated,
  primary_category = excluded.primary_category, other_classifications = excluded.other_classifications,
  comment = excluded.comment, journal_ref = excluded.journal_ref, doi = excluded.doi, dois = excluded.dois,
  abs_url = excluded.abs_url, pdf_url = excluded.pdf_url, withdrawn = excluded.withdrawn,
  last_fetched = excluded.last_fetched, missing_since = NULL
"""


def _save_paper(db: Database, paper: Paper, now: datetime, summary: HarvestSummary) -> None:
    conn = db.conn
    previous = conn.execute("SELECT version FROM papers WHERE arxiv_id = ?", [paper.arxiv_id]).fetchone()
    if previous is None:
        summary.new_papers += 1
    elif paper.version > previous[0]:
        summary.new_versions += 1
    if previous is not None and paper.version < previous[0]:
        # An older version than we already hold (a lagging mirror): history only.
        _record_version(db, paper, now)
        conn.execute(
            "UPDATE papers SET last_fetched = ?, missing_since = NULL WHERE arxiv_id = ?", [iso(now), paper.arxiv_id]
        )
        conn.execute("DELETE FROM missing_papers WHERE arxiv_id = ?", [paper.arxiv_id])
        return
    conn.execute(_UPSERT_PAPER, _paper_row(paper, now))
    _record_version(db, paper, now)
    _save_authors(db, paper)
    _save_categories(db, paper)
    conn.execute(
        "INSERT OR REPLACE INTO raw_entries (arxiv_id, version, fetched_at, xml_zlib) VALUES (?, ?, ?, ?)",
        [paper.arxiv_id, paper.version, iso(now), pack_raw_entry(paper.raw_xml)],
    )
    conn.execute("DELETE FROM missing_papers WHERE arxiv_id = ?", [paper.arxiv_id])


def _paper_row(paper: Paper, now: datetime) -> dict[str, Any]:
    return {
        "arxiv_id": paper.arxiv_id,
        "version": paper.version,
        "title": paper.title,
        "abstract": paper.abstract,
        "published": iso(paper.published),
        "updated": iso(paper.updated),
        "primary_category": paper.primary_category,
        "other_classifications": json.dumps(list(paper.other_classifications)),
        "comment": paper.comment,
        "journal_ref": paper.journal_ref,
        "doi": paper.dois[0] if paper.dois else None,
        "dois": json.dumps(list(paper.dois)),
        "abs_url": paper.abs_url,
        "pdf_url": paper.pdf_url,
        "withdrawn": int(says_withdrawn(paper.comment)),
        "now": iso(now),
    }


def _record_version(db: Database, paper: Paper, now: datetime) -> int:
    cursor = db.conn.execute(
        "INSERT OR IGNORE INTO paper_versions (arxiv_id, version, title, submitted, comment, seen_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [paper.arxiv_id, paper.version, paper.title, iso(paper.updated), paper.comment, iso(now)],
    )
    return cursor.rowcount


def _save_authors(db: Database, paper: Paper) -> None:
    conn = db.conn
    conn.execute("DELETE FROM paper_authors WHERE arxiv_id = ?", [paper.arxiv_id])
    conn.executemany("INSERT OR IGNORE INTO authors (name) VALUES (?)", [[a.name] for a in paper.authors])
    conn.executemany(
        "INSERT INTO paper_authors (arxiv_id, position, author_id, affiliations) "
        "VALUES (?, ?, (SELECT id FROM authors WHERE name = ?), ?)",
        [
            [paper.arxiv_id, position, author.name, json.dumps(list(author.affiliations), ensure_ascii=False)]
            for position, author in enumerate(paper.authors)
        ],
    )


def _save_categories(db: Database, paper: Paper) -> None:
    db.conn.execute("DELETE FROM paper_categories WHERE arxiv_id = ?", [paper.arxiv_id])
    primary = [paper.primary_category] if paper.primary_category else []
    categories = list(dict.fromkeys(primary + list(paper.categories)))
    db.conn.executemany(
        "INSERT INTO paper_categories (arxiv_id, category, is_primary) VALUES (?, ?, ?)",
        [[paper.arxiv_id, c, int(c == paper.primary_category)] for c in categories],
    )


def _mark_missing(db: Database, arxiv_id: str, now: datetime) -> None:
    # One more run without it: the count the grace before reporting it relies on
    # (links.verdicts.missing_for_good). A run has one `now`, so it counts once.
    db.execute(
        "INSERT INTO missing_papers (arxiv_id, first_missing, last_checked, missing_runs) VALUES (?, ?, ?, 1) "
        "ON CONFLICT(arxiv_id) DO UPDATE SET "
        "missing_runs = missing_runs + (excluded.last_checked > last_checked), "
        "last_checked = max(last_checked, excluded.last_checked)",
        [arxiv_id, iso(now), iso(now)],
    )
    # A paper we already hold keeps every row; it is only marked as gone quiet.
    db.execute(
        "UPDATE papers SET missing_since = coalesce(missing_since, ?) WHERE arxiv_id = ?",
        [iso(now), arxiv_id],
    )
