"""The `suggestions` table and what it remembers: when each source was asked, and every no.

- `suggestions`: one row per paper and section, with its evidence and history
  (first seen, last seen, status `open` / `accepted` / `rejected`, when and why).
  Rows are never deleted: a paper that lands in a list becomes `accepted`.
- `suggestion_rejections`: a paper the curator said no to is never suggested again,
  in any section (`suggest --reject ID --reason ...`).
- `suggestion_queries`: per section and source, when it was last asked and how it
  went. A section is asked again when that answer is older than the staleness
  (default 7 days, compared like the enrichments: strictly newer is fresh), when
  it failed, or when the section's papers changed since.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database, Migrations

from ..schema import register_migrations
from ..timeutil import iso
from ..vocabulary import SuggestionStatus
from .profile import Scored, Section

migrations = register_migrations(Migrations("suggestions"))


@migrations(name="0001_suggestions")
def _suggestions_tables(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE suggestions (
            arxiv_id TEXT NOT NULL,
            list_id INTEGER NOT NULL,
            section TEXT NOT NULL,
            title TEXT NOT NULL,
            abstract TEXT,
            published TEXT,                   -- v1's submission (arXiv) or the publication date (Semantic Scholar)
            categories TEXT,                  -- JSON array of arXiv categories, when the source gave them
            sources TEXT NOT NULL,            -- JSON array: semantic_scholar, arxiv
            score REAL NOT NULL,              -- cosine to the section's profile
            words TEXT,                       -- JSON array: the section's words it shares
            topic_words TEXT,                 -- JSON array: the section's glossary words it names
            shared_categories TEXT,           -- JSON array: its categories the section's papers share
            resembles TEXT,                   -- JSON array of {arxiv_id, title, score}: the closest listed papers
            status TEXT NOT NULL,             -- open | accepted | rejected
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            decided_at TEXT,                  -- when it was accepted or rejected
            reason TEXT,                      -- why it was rejected
            PRIMARY KEY (arxiv_id, list_id, section)
        );
        CREATE INDEX suggestions_by_section ON suggestions(list_id, section, status);
        CREATE TABLE suggestion_rejections (
            arxiv_id TEXT PRIMARY KEY,
            reason TEXT,
            rejected_at TEXT NOT NULL
        );
        CREATE TABLE suggestion_queries (
            list_id INTEGER NOT NULL,
            section TEXT NOT NULL,
            source TEXT NOT NULL,             -- semantic_scholar | arxiv
            asked_at TEXT NOT NULL,
            fingerprint TEXT NOT NULL,        -- of the section's papers when asked
            query TEXT,                       -- what was asked, as sent
            found INTEGER,                    -- candidates in the answer
            error TEXT,                       -- why the last attempt gave nothing
            PRIMARY KEY (list_id, section, source)
        );
        """
    )


def is_due(db: Database, section: Section, source: str, now: datetime, max_age: timedelta) -> bool:
    row = next(
        db.query(
            "SELECT asked_at, fingerprint, error FROM suggestion_queries WHERE list_id = ? AND section = ? AND source = ?",
            [section.list_id, section.name, source],
        ),
        None,
    )
    if row is None or row["error"] is not None or row["fingerprint"] != section.fingerprint:
        return True
    # Strictly newer than the cutoff is fresh: an age of 0 asks again within the same second.
    return not row["asked_at"] > iso(now - max_age)


def rejected_ids(db: Database) -> set[str]:
    return {row["arxiv_id"] for row in db.query("SELECT arxiv_id FROM suggestion_rejections")}


def save_answer(
    db: Database, section: Section, source: str, query: str, scored: Sequence[Scored], found: int, now: datetime
) -> int:
    """Store one source's candidates for one section in one transaction; how many were new."""
    stamp = iso(now)
    new = 0
    with db.atomic():
        for item in scored:
            new += _upsert(db, section, source, item, stamp)
        _asked(db, section, source, query, stamp, found=found, error=None)
    return new


def save_failure(db: Database, section: Section, source: str, query: str, error: str, now: datetime) -> None:
    """A failed ask keeps every stored suggestion; the section is due again next run."""
    with db.atomic():
        _asked(db, section, source, query, iso(now), found=None, error=error)


def reject(db: Database, arxiv_id: str, reason: str | None, now: datetime) -> int:
    """Remember a no; the suggestions of that paper are closed as rejected. How many were open."""
    stamp = iso(now)
    with db.atomic():
        db.table("suggestion_rejections").upsert(
            {"arxiv_id": arxiv_id, "reason": reason, "rejected_at": stamp}, pk="arxiv_id"
        )
        cursor = db.execute(
            "UPDATE suggestions SET status = ?, decided_at = ?, reason = ? WHERE arxiv_id = ? AND status = ?",
            [SuggestionStatus.REJECTED, stamp, reason, arxiv_id, SuggestionStatus.OPEN],
        )
    return int(cursor.rowcount)


def mark_listed(db: Database, listed: set[str], now: datetime) -> int:
    """Open suggestions whose paper is in a list now become `accepted`; how many."""
    stamp = iso(now)
    rows = [
        r["arxiv_id"]
        for r in db.query("SELECT DISTINCT arxiv_id FROM suggestions WHERE status = ?", [SuggestionStatus.OPEN])
        if r["arxiv_id"] in listed
    ]
    with db.atomic():
        for arxiv_id in rows:
            db.execute(
                "UPDATE suggestions SET status = ?, decided_at = ? WHERE arxiv_id = ? AND status = ?",
                [SuggestionStatus.ACCEPTED, stamp, arxiv_id, SuggestionStatus.OPEN],
            )
    return len(rows)


def suggestion_rows(
    db: Database,
    *,
    list_ids: Sequence[int] | None = None,
    section: str | None = None,
    status: str = SuggestionStatus.OPEN,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Stored suggestions, per list and section, best first; at most `limit` per section."""
    if not db.table("suggestions").exists():
        return []
    where, params = ["s.status = ?"], [status]
    if list_ids is not None:
        where.append(f"s.list_id IN ({', '.join('?' for _ in list_ids) or 'NULL'})")
        params += [str(i) for i in list_ids]
    if section is not None:
        where.append("instr(lower(s.section), lower(?)) > 0")
        params.append(section)
    rows = db.query(
        "SELECT s.*, l.path AS list_path, l.name AS list_name FROM suggestions s JOIN lists l ON l.id = s.list_id "
        f"WHERE {' AND '.join(where)} ORDER BY l.path, s.section, s.score DESC, s.arxiv_id",
        params,
    )
    shown: list[dict[str, Any]] = []
    per_section: dict[tuple[int, str], int] = {}
    for row in rows:
        key = (row["list_id"], row["section"])
        per_section[key] = per_section.get(key, 0) + 1
        if limit is None or per_section[key] <= limit:
            shown.append(_decoded(row))
    return shown


_JSON_COLUMNS = ("categories", "sources", "words", "topic_words", "shared_categories", "resembles")


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, **{c: json.loads(row[c]) if row[c] else [] for c in _JSON_COLUMNS}}


def _upsert(db: Database, section: Section, source: str, item: Scored, stamp: str) -> int:
    paper = item.candidate
    key = [paper.arxiv_id, section.list_id, section.name]
    stored = next(
        db.query("SELECT sources, categories FROM suggestions WHERE arxiv_id = ? AND list_id = ? AND section = ?", key),
        None,
    )
    evidence = {
        "title": paper.title,
        "abstract": paper.abstract,
        "published": iso(paper.published) if paper.published else None,
        "score": item.score,
        "words": json.dumps(list(item.words), ensure_ascii=False),
        "topic_words": json.dumps(list(item.topic_words), ensure_ascii=False),
        "shared_categories": json.dumps(list(item.categories)),
        "resembles": json.dumps(
            [{"arxiv_id": r.arxiv_id, "title": r.title, "score": r.score} for r in item.resembles], ensure_ascii=False
        ),
        "last_seen": stamp,
    }
    if stored is None:
        db.table("suggestions").insert(
            {
                "arxiv_id": paper.arxiv_id,
                "list_id": section.list_id,
                "section": section.name,
                **evidence,
                "categories": json.dumps(list(paper.categories)),
                "sources": json.dumps([source]),
                "status": SuggestionStatus.OPEN.value,
                "first_seen": stamp,
            }
        )
        return 1
    sources = list(dict.fromkeys([*json.loads(stored["sources"]), source]))
    # arXiv's answer carries categories, Semantic Scholar's none: keep whichever knows them.
    categories = list(paper.categories) or json.loads(stored["categories"] or "[]")
    assignments = {**evidence, "sources": json.dumps(sources), "categories": json.dumps(categories)}
    columns = ", ".join(f"{name} = ?" for name in assignments)
    db.execute(
        f"UPDATE suggestions SET {columns} WHERE arxiv_id = ? AND list_id = ? AND section = ?",
        [*assignments.values(), *key],
    )
    return 0


def _asked(
    db: Database, section: Section, source: str, query: str, stamp: str, *, found: int | None, error: str | None
) -> None:
    db.table("suggestion_queries").upsert(
        {
            "list_id": section.list_id,
            "section": section.name,
            "source": source,
            "asked_at": stamp,
            "fingerprint": section.fingerprint,
            "query": query,
            "found": found,
            "error": error,
        },
        pk=("list_id", "section", "source"),
    )
