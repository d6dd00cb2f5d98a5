"""What `harvester status` shows: last runs, counts, what is stale, what failed."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

from .acceptances import AcceptanceSet
from .arxiv.config import DEFAULT_STALE_AFTER
from .runlog import read_refused
from .store import open_readonly
from .timeutil import iso, utc_now
from .vocabulary import Severity, Verdict

_COUNTS = {
    "lists": "SELECT count(*) FROM lists",
    "paper entries": "SELECT count(*) FROM entries WHERE is_paper = 1 AND removed_at IS NULL",
    "removed entries": "SELECT count(*) FROM entries WHERE removed_at IS NOT NULL",
    "papers": "SELECT count(*) FROM papers",
    "paper versions seen": "SELECT count(*) FROM paper_versions",
    "links": "SELECT count(*) FROM links",
    "open findings": "SELECT count(*) FROM findings WHERE resolved_at IS NULL",
}


def collect_status(
    db_path: Path, stale_after: timedelta = DEFAULT_STALE_AFTER, accepted: AcceptanceSet | None = None
) -> dict[str, Any]:
    connection = open_readonly(db_path)
    cutoff = iso(utc_now() - stale_after)
    acceptance = _acceptance_counts(connection, accepted or AcceptanceSet(Path("-")))
    attention = {
        "papers never fetched": _scalar(
            connection,
            "SELECT count(DISTINCT e.arxiv_id) FROM entries e LEFT JOIN papers p ON p.arxiv_id = e.arxiv_id "
            "WHERE e.removed_at IS NULL AND e.arxiv_id IS NOT NULL AND p.arxiv_id IS NULL "
            "AND e.arxiv_id NOT IN (SELECT arxiv_id FROM missing_papers)",
        ),
        "papers stale": _scalar(connection, "SELECT count(*) FROM papers WHERE last_fetched < ?", [cutoff]),
        "papers missing on arXiv": _scalar(connection, "SELECT count(*) FROM missing_papers"),
        "findings (errors)": _minus(_scalar(connection, _OPEN_OF_SEVERITY, [Severity.ERROR]), acceptance["error"]),
        "findings (warnings)": _minus(
            _scalar(connection, _OPEN_OF_SEVERITY, [Severity.WARNING]), acceptance["warning"]
        ),
        "acceptances no longer applying": acceptance["stale"],
        "links dead": _scalar(connection, _LINKS_OF_VERDICT, [Verdict.DEAD]),
        "links moved": _scalar(connection, _LINKS_OF_VERDICT, [Verdict.MOVED]),
        "links unreachable": _scalar(connection, _LINKS_OF_VERDICT, [Verdict.UNREACHABLE]),
    }
    return {
        "database": str(db_path),
        "runs": _runs(connection),
        "refused": read_refused(db_path),  # refreshes that could not start, newest first
        "counts": {name: _scalar(connection, sql) for name, sql in _COUNTS.items()}
        | {"accepted findings": acceptance["accepted"]},
        "attention": attention,
    }


_OPEN_OF_SEVERITY = "SELECT count(*) FROM findings WHERE resolved_at IS NULL AND severity = ?"
_LINKS_OF_VERDICT = "SELECT count(*) FROM links WHERE verdict = ?"


def _acceptance_counts(connection: sqlite3.Connection, accepted: AcceptanceSet) -> dict[str, int]:
    """Open findings hidden by an acceptance (all, and by severity), and acceptances that no longer apply."""
    if not accepted.acceptances:  # nothing to match: the open findings need not be read at all
        return {"accepted": 0, "error": 0, "warning": 0, "stale": 0}
    findings = _open_findings(connection)
    hidden = accepted.accepted_rows(findings)
    states = [accepted.state_of(a, findings) for a in accepted.acceptances]
    return {
        "accepted": len(hidden),
        "error": sum(1 for row in hidden if row["severity"] == Severity.ERROR),
        "warning": sum(1 for row in hidden if row["severity"] == Severity.WARNING),
        "stale": sum(1 for state in states if state != "applies"),
    }


def _open_findings(connection: sqlite3.Connection) -> list[dict[str, Any]]:
    try:
        cursor = connection.execute(
            "SELECT f.key, l.path AS list_path, f.kind, f.severity, f.noted, f.arxiv_value, f.suggestion "
            "FROM findings f JOIN lists l ON l.id = f.list_id WHERE f.resolved_at IS NULL"
        )
    except sqlite3.OperationalError:  # not reconciled yet
        return []
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _minus(count: int | None, hidden: int) -> int | None:
    return None if count is None else count - hidden


def _scalar(connection: sqlite3.Connection, sql: str, params: list[Any] | None = None) -> int | None:
    try:
        row = connection.execute(sql, params or []).fetchone()
    except sqlite3.OperationalError:  # a table a later step creates
        return None
    return None if row is None or row[0] is None else int(row[0])


def _runs(connection: sqlite3.Connection, limit: int = 5) -> list[dict[str, Any]]:
    try:
        cursor = connection.execute(
            "SELECT id, started_at, ended_at, status, steps, errors FROM runs ORDER BY id DESC LIMIT ?", [limit]
        )
    except sqlite3.OperationalError:
        return []
    columns = [d[0] for d in cursor.description]
    runs = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    for run in runs:
        run["steps"] = json.loads(run["steps"])
        run["errors"] = json.loads(run["errors"])
    return runs
