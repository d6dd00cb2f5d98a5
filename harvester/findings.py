"""Findings in the database: the reconciler's verdicts stored with their history, and read back.

A finding is identified by its stable key. One that is no longer produced gets
`resolved_at` (never deleted); one that comes back is reopened. Every change is
appended to `finding_events`, so "what changed last night" is a query.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database, Migrations

from .schema import register_migrations
from .store import insert_row
from .timeutil import iso
from .vocabulary import FindingEvent

if TYPE_CHECKING:  # `report` reads findings without loading the reconciler
    from .reconcile.model import Finding

migrations = register_migrations(Migrations("findings"))

# Columns a run may change on a finding that stays open.
FINDING_COLUMNS = (
    "list_id",
    "entry_id",
    "entry_key",
    "line",
    "section",
    "arxiv_id",
    "kind",
    "severity",
    "noted",
    "arxiv_value",
    "suggestion",
    "source",
    "detail",
)


@migrations(name="0001_findings")
def _findings_tables(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE findings (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,         -- list id : entry_key : kind [: link or ID]
            list_id INTEGER NOT NULL REFERENCES lists(id),
            entry_id INTEGER REFERENCES entries(id),
            entry_key TEXT,
            line INTEGER NOT NULL,
            section TEXT,
            arxiv_id TEXT,
            kind TEXT NOT NULL,               -- title_typo, date_mismatch, mirror_link, ...
            severity TEXT NOT NULL,           -- error | warning | info
            noted TEXT,                       -- what the list says
            arxiv_value TEXT,                 -- what the source says
            suggestion TEXT,                  -- the replacement, when there is one
            source TEXT NOT NULL,             -- arxiv | list | an enrichment source
            detail TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            resolved_at TEXT                  -- set when the cause disappeared
        );
        CREATE INDEX findings_open ON findings(resolved_at, list_id, line);
        CREATE TABLE finding_events (
            id INTEGER PRIMARY KEY,
            finding_id INTEGER NOT NULL REFERENCES findings(id),
            at TEXT NOT NULL,
            event TEXT NOT NULL,              -- opened | changed | resolved | reopened
            suggestion TEXT,
            detail TEXT
        );
        CREATE TABLE reconcile_runs (
            id INTEGER PRIMARY KEY,
            ran_at TEXT NOT NULL,
            open INTEGER NOT NULL,
            new INTEGER NOT NULL,
            reopened INTEGER NOT NULL,
            resolved INTEGER NOT NULL
        );
        """
    )


@migrations(name="0002_findings_by_entry")
def _findings_by_entry(db: Database) -> None:
    # The reading_list view counts each entry's open findings: without this index
    # that subquery scans every finding once per entry.
    db.execute("CREATE INDEX IF NOT EXISTS findings_entry_open ON findings(entry_id, resolved_at)")


# --- reading -------------------------------------------------------------------------


def open_findings(db: Database) -> list[dict[str, Any]]:
    """Open findings with their list's path and name, by list, line and kind."""
    return find_rows(db, "f.resolved_at IS NULL")


def find_rows(db: Database, where: str = "1", params: list[Any] | None = None) -> list[dict[str, Any]]:
    sql = f"""
        SELECT f.key, f.list_id, l.path AS list_path, l.name AS list_name, f.entry_id, f.entry_key,
               f.section, f.line, f.arxiv_id, f.kind, f.severity, f.noted, f.arxiv_value,
               f.suggestion, f.source, f.detail, f.first_seen, f.last_seen, f.resolved_at
        FROM findings f JOIN lists l ON l.id = f.list_id
        WHERE {where}
        ORDER BY l.path, f.line, f.kind, f.key
    """
    cursor = db.execute(sql, params or [])
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor]


# --- storing -------------------------------------------------------------------------


def store_findings(
    db: Database, found: list[Finding], now: datetime, *, list_id: int | None = None
) -> tuple[int, int, int]:
    """Insert new findings, refresh or reopen known ones, resolve vanished ones: of every
    list, or, given `list_id`, of that list only (`found` is then that list's).

    Returns (new, reopened, resolved). The caller owns the transaction.
    """
    stamp = iso(now)
    if list_id is None:
        stored = {row["key"]: row for row in db.query("SELECT * FROM findings")}
    else:
        stored = {row["key"]: row for row in db.query("SELECT * FROM findings WHERE list_id = ?", [list_id])}
    new = reopened = 0
    for finding in found:
        row = stored.get(finding.key)
        if row is None:
            _insert(db, finding, stamp)
            new += 1
        elif row["resolved_at"] is not None:
            _update(db, row, finding, stamp, event=FindingEvent.REOPENED)
            reopened += 1
        else:
            _update(db, row, finding, stamp, event=FindingEvent.CHANGED if _changed(row, finding) else None)
    current = {f.key for f in found}
    vanished = [r for key, r in stored.items() if key not in current and r["resolved_at"] is None]
    for row in vanished:
        db.table("findings").update(row["id"], {"resolved_at": stamp})
        _event(db, row["id"], stamp, FindingEvent.RESOLVED, row["suggestion"], row["detail"])
    return new, reopened, len(vanished)


def _values(finding: Finding) -> dict[str, Any]:
    return {column: getattr(finding, column) for column in FINDING_COLUMNS}


def _insert(db: Database, finding: Finding, stamp: str) -> None:
    row = {"key": finding.key, **_values(finding), "first_seen": stamp, "last_seen": stamp, "resolved_at": None}
    finding_id = insert_row(db, "findings", row)
    _event(db, finding_id, stamp, FindingEvent.OPENED, finding.suggestion, finding.detail)


def _update(db: Database, row: dict[str, Any], finding: Finding, stamp: str, event: FindingEvent | None) -> None:
    db.table("findings").update(row["id"], {**_values(finding), "last_seen": stamp, "resolved_at": None})
    if event:
        _event(db, row["id"], stamp, event, finding.suggestion, finding.detail)


def _changed(row: dict[str, Any], finding: Finding) -> bool:
    # Line moves are not news; a new suggestion or explanation is.
    return any(row[c] != getattr(finding, c) for c in ("severity", "noted", "arxiv_value", "suggestion"))


def _event(db: Database, finding_id: int, stamp: str, event: FindingEvent, suggestion: str | None, detail: str) -> None:
    db.table("finding_events").insert(
        {"finding_id": finding_id, "at": stamp, "event": event, "suggestion": suggestion, "detail": detail}
    )
