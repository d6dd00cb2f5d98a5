"""The `enrichments` table: one row per paper and source, beside (never inside) arXiv's columns.

Rules that keep earlier knowledge safe:
- an answer ("found", "not_found") replaces the stored one, except that a
  "not_found" never replaces a "found": a source going quiet deletes nothing;
- a failure never replaces an answer: it only stamps `checked_at` and
  `last_error`, so the next run asks again;
- a row is due again when it never got an answer, when its last attempt
  failed, or when it was checked longer ago than the configured age (a
  "not_found" answer has its own, longer age: 30 days by default).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database, Migrations

from ..schema import register_migrations
from ..timeutil import iso
from .base import Enrichment
from .semantic_scholar import NAME as S2_NAME
from .semantic_scholar import venue_names_from_raw

migrations = register_migrations(Migrations("enrichments"))

VALUE_COLUMNS = ("venue", "journal", "year", "doi", "dblp_key", "citation_count", "code_url")
# Columns holding a list, stored as a JSON array (NULL when empty).
LIST_COLUMNS = ("venue_names",)


@migrations(name="0001_enrichments")
def _enrichments_table(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE enrichments (
            arxiv_id TEXT NOT NULL,
            source TEXT NOT NULL,             -- semantic_scholar | huggingface | ...
            status TEXT NOT NULL,             -- found | not_found | failed
            fetched_at TEXT NOT NULL,         -- when the stored answer arrived
            checked_at TEXT NOT NULL,         -- the last attempt, whatever its outcome
            last_error TEXT,                  -- why the last attempt did not replace the row
            venue TEXT,                       -- published venue as the source names it
            journal TEXT,                     -- journal or proceedings name, when not arXiv
            year INTEGER,                     -- the source's year (often the preprint's)
            doi TEXT,                         -- the published version's, never 10.48550
            dblp_key TEXT,
            citation_count INTEGER,
            code_url TEXT,                    -- the official code repository
            raw TEXT,                         -- the source's JSON for this paper
            PRIMARY KEY (arxiv_id, source)
        );
        CREATE INDEX enrichments_due ON enrichments(source, checked_at);
        """
    )


@migrations(name="0002_enrichment_venue_names")
def _venue_names_column(db: Database) -> None:
    """Every name of the published venue; rows stored before it get theirs from the raw answer."""
    db.execute("ALTER TABLE enrichments ADD COLUMN venue_names TEXT")  # JSON array, main name first
    rows = db.query("SELECT arxiv_id, raw FROM enrichments WHERE source = ? AND raw IS NOT NULL", [S2_NAME])
    for row in list(rows):
        names = venue_names_from_raw(row["raw"])
        if names:
            db.execute(
                "UPDATE enrichments SET venue_names = ? WHERE arxiv_id = ? AND source = ?",
                [_json_list(names), row["arxiv_id"], S2_NAME],
            )


def due_ids(
    db: Database,
    source: str,
    ids: Sequence[str],
    now: datetime,
    max_age: timedelta,
    not_found_max_age: timedelta | None = None,
) -> list[str]:
    """The IDs `source` should be asked about: new, last failed, or checked before `now - max_age`.

    A "not_found" answer is fresh for `not_found_max_age` instead (default: `max_age`).
    """
    # Strictly after the cutoff: times are stored to the second, so an age of 0 must
    # still mean "ask again" for an answer stored in this very second.
    cutoff = iso(now - max_age)
    not_found_cutoff = iso(now - (max_age if not_found_max_age is None else not_found_max_age))
    fresh = {
        row["arxiv_id"]
        for row in db.query(
            "SELECT arxiv_id FROM enrichments WHERE source = ? AND last_error IS NULL"
            " AND checked_at > CASE status WHEN 'not_found' THEN ? ELSE ? END",
            [source, not_found_cutoff, cutoff],
        )
    }
    return [i for i in ids if i not in fresh]


def save_enrichments(db: Database, results: Sequence[Enrichment], now: datetime) -> None:
    """Store one page of answers in one transaction, by the rules above."""
    stamp = iso(now)
    with db.atomic():
        for result in results:
            stored = _stored(db, result.arxiv_id, result.source)
            if _keeps_earlier(stored, result):
                db.execute(
                    "UPDATE enrichments SET checked_at = ?, last_error = ? WHERE arxiv_id = ? AND source = ?",
                    [stamp, _kept_reason(result, stamp), result.arxiv_id, result.source],
                )
            else:
                db.table("enrichments").upsert(_row(result, stamp), pk=("arxiv_id", "source"))


def found_enrichments(db: Database, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """arXiv ID -> the `found` rows of every source, in source order; {} without the table."""
    if not ids or not db.table("enrichments").exists():
        return {}
    marks = ", ".join("?" for _ in ids)
    rows: dict[str, list[dict[str, Any]]] = {}
    for row in db.query(
        f"SELECT * FROM enrichments WHERE status = 'found' AND arxiv_id IN ({marks}) ORDER BY arxiv_id, source",
        list(ids),
    ):
        rows.setdefault(row["arxiv_id"], []).append(row)
    return rows


def _stored(db: Database, arxiv_id: str, source: str) -> dict[str, Any] | None:
    return next(db.query("SELECT status FROM enrichments WHERE arxiv_id = ? AND source = ?", [arxiv_id, source]), None)


def _keeps_earlier(stored: dict[str, Any] | None, result: Enrichment) -> bool:
    if stored is None or stored["status"] == "failed":
        return False
    return result.status == "failed" or (result.status == "not_found" and stored["status"] == "found")


def _kept_reason(result: Enrichment, stamp: str) -> str:
    if result.status == "not_found":
        return f"{stamp}: {result.source} no longer knows the paper; the earlier answer is kept"
    return f"{stamp}: {result.error or 'failed'}; the earlier answer is kept"


def _row(result: Enrichment, stamp: str) -> dict[str, Any]:
    values = asdict(result)
    return {
        "arxiv_id": result.arxiv_id,
        "source": result.source,
        "status": result.status,
        "fetched_at": stamp,
        "checked_at": stamp,
        "last_error": result.error if result.status == "failed" else None,
        **{column: values[column] for column in VALUE_COLUMNS},
        **{column: _json_list(values[column]) for column in LIST_COLUMNS},
        "raw": result.raw,
    }


def _json_list(values: Sequence[str]) -> str | None:
    return json.dumps(list(values), ensure_ascii=False) if values else None
