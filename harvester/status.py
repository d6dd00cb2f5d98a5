"""What `harvester status` shows: last runs, counts, what is stale, what failed."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

from .harvest import DEFAULT_STALE_AFTER
from .runlog import read_refused
from .store import open_readonly
from .timeutil import iso, utc_now

_COUNTS = {
    "lists": "SELECT count(*) FROM lists",
    "paper entries": "SELECT count(*) FROM entries WHERE is_paper = 1 AND removed_at IS NULL",
    "removed entries": "SELECT count(*) FROM entries WHERE removed_at IS NOT NULL",
    "papers": "SELECT count(*) FROM papers",
    "paper versions seen": "SELECT count(*) FROM paper_versions",
    "links": "SELECT count(*) FROM links",
    "open findings": "SELECT count(*) FROM findings WHERE resolved_at IS NULL",
}


def collect_status(db_path: Path, stale_after: timedelta = DEFAULT_STALE_AFTER) -> dict[str, Any]:
    connection = open_readonly(db_path)
    cutoff = iso(utc_now() - stale_after)
    attention = {
        "papers never fetched": _scalar(
            connection,
            "SELECT count(DISTINCT e.arxiv_id) FROM entries e LEFT JOIN papers p ON p.arxiv_id = e.arxiv_id "
            "WHERE e.removed_at IS NULL AND e.arxiv_id IS NOT NULL AND p.arxiv_id IS NULL "
            "AND e.arxiv_id NOT IN (SELECT arxiv_id FROM missing_papers)",
        ),
        "papers stale": _scalar(connection, "SELECT count(*) FROM papers WHERE last_fetched < ?", [cutoff]),
        "papers missing on arXiv": _scalar(connection, "SELECT count(*) FROM missing_papers"),
        "findings (errors)": _scalar(connection, "SELECT count(*) FROM findings WHERE resolved_at IS NULL AND severity = 'error'"),
        "findings (warnings)": _scalar(connection, "SELECT count(*) FROM findings WHERE resolved_at IS NULL AND severity = 'warning'"),
        "links dead": _scalar(connection, "SELECT count(*) FROM links WHERE verdict = 'dead'"),
        "links moved": _scalar(connection, "SELECT count(*) FROM links WHERE verdict = 'moved'"),
        "links unreachable": _scalar(connection, "SELECT count(*) FROM links WHERE verdict = 'unreachable'"),
    }
    return {
        "database": str(db_path),
        "runs": _runs(connection),
        "refused": read_refused(db_path),  # refreshes that could not start, newest first
        "counts": {name: _scalar(connection, sql) for name, sql in _COUNTS.items()},
        "attention": attention,
    }


def _scalar(connection: sqlite3.Connection, sql: str, params: list[Any] | None = None) -> int | None:
    try:
        return connection.execute(sql, params or []).fetchone()[0]
    except sqlite3.OperationalError:  # a table a later step creates
        return None


def _runs(connection: sqlite3.Connection, limit: int = 5) -> list[dict[str, Any]]:
    try:
        cursor = connection.execute("SELECT id, started_at, ended_at, status, steps, errors FROM runs ORDER BY id DESC LIMIT ?", [limit])
    except sqlite3.OperationalError:
        return []
    columns = [d[0] for d in cursor.description]
    runs = [dict(zip(columns, row)) for row in cursor.fetchall()]
    for run in runs:
        run["steps"] = json.loads(run["steps"])
        run["errors"] = json.loads(run["errors"])
    return runs
