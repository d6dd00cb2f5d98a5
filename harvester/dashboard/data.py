"""What the dashboard shows, read from a harvester database (one read-only connection in, plain data out)."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..acceptances import Acceptance, AcceptanceSet
from ..schema import APPLICATION_ID
from ..vocabulary import KINDS, OPEN_AFTER, Severity, SuggestionStatus, Verdict, sql_list, sql_severity_rank
from .charts import StackedBars

RUNS_SHOWN = 20  # the charts over runs show the last this many
NO_SECTION = "(no section)"

# Fixed colours for words that carry a judgement, so green always means fine.
VERDICT_COLOURS = {
    Verdict.OK: "#59a14f",
    Verdict.MOVED: "#f28e2b",
    Verdict.REDIRECTED: "#76b7b2",
    Verdict.DEAD: "#e15759",
    Verdict.UNREACHABLE: "#b07aa1",
    Verdict.BLOCKED: "#9c755f",
    Verdict.SKIPPED: "#bab0ac",
}


@dataclass(frozen=True)
class Run:
    id: int
    started_at: str
    ended_at: str | None
    status: str


@dataclass(frozen=True)
class ListHealth:
    id: int
    name: str
    title: str | None
    path: str
    papers: int
    open_findings: dict[str, int]  # severity -> count, every severity present; accepted ones left out
    accepted: int  # open findings an acceptance hides, as `report` hides them
    dead_links: int
    imported_at: str


@dataclass(frozen=True)
class SectionFindings:
    section: str
    findings: list[dict[str, Any]]
    suggestions: list[dict[str, Any]] = field(default_factory=list)


def is_harvester_db(conn: sqlite3.Connection) -> bool:
    """A database harvester made (its application_id), with the tables the dashboard reads."""
    try:
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            return False
    except sqlite3.DatabaseError:
        return False
    return {"lists", "entries", "papers", "runs"} <= tables(conn)


def _dicts(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    # Rows as dicts without touching the connection's row_factory: Datasette's connections
    # are shared and keep their own.
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, tuple(row), strict=True)) for row in cursor.fetchall()]


def tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}


def last_run(conn: sqlite3.Connection) -> Run | None:
    row = conn.execute("SELECT id, started_at, ended_at, status FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    return Run(*row) if row else None


def list_health(conn: sqlite3.Connection, list_id: int | None = None) -> list[ListHealth]:
    """Each list (or the one asked for) with its papers, open findings by severity and dead links."""
    names = tables(conn)
    rows = conn.execute(
        """
        SELECT l.id, l.name, l.title, l.path, l.imported_at,
               (SELECT count(*) FROM entries e
                 WHERE e.list_id = l.id AND e.removed_at IS NULL AND e.is_paper = 1) AS papers
        FROM lists l WHERE (:list IS NULL OR l.id = :list) ORDER BY l.name, l.id
        """,
        {"list": list_id},
    ).fetchall()
    severities: Counter[tuple[int, str]] = Counter()
    accepted: Counter[int] = Counter()
    if "findings" in names:
        hidden = accepted_findings(conn)
        for finding_id, list_key, severity in conn.execute(
            "SELECT id, list_id, severity FROM findings WHERE resolved_at IS NULL"
        ):
            if finding_id in hidden:
                accepted[list_key] += 1
            else:
                severities[(list_key, severity)] += 1
    dead: dict[int, int] = {}
    if {"links", "entry_links"} <= names:
        for list_key, count in conn.execute(
            """
            SELECT e.list_id, count(DISTINCT k.url) FROM links k
            JOIN entry_links el ON el.url = k.url JOIN entries e ON e.id = el.entry_id
            WHERE k.verdict = ? AND e.removed_at IS NULL GROUP BY e.list_id
            """,
            [Verdict.DEAD.value],
        ):
            dead[list_key] = count
    return [
        ListHealth(
            id=row[0],
            name=row[1],
            title=row[2],
            path=row[3],
            imported_at=row[4],
            papers=row[5],
            open_findings={s.value: severities[(row[0], s.value)] for s in Severity},
            accepted=accepted[row[0]],
            dead_links=dead.get(row[0], 0),
        )
        for row in rows
    ]


def accepted_findings(conn: sqlite3.Connection) -> set[int]:
    """Ids of the open findings an acceptance silences, by the rule `report` applies.

    The acceptances are read from their mirror table (rewritten by import, reconcile
    and refresh), so the dashboard never needs the acceptance file itself.
    """
    if "acceptances" not in tables(conn):
        return set()
    by_file: dict[str, list[Acceptance]] = {}
    for row in _dicts(conn.execute("SELECT * FROM acceptances")):
        fields: dict[str, Any] = {name: row.get(name) for name in Acceptance.__dataclass_fields__}
        by_file.setdefault(str(row["file"]), []).append(Acceptance(**fields))
    if not by_file:
        return set()
    sets = [AcceptanceSet(Path(file), tuple(acceptances)) for file, acceptances in by_file.items()]
    findings = _dicts(
        conn.execute(
            """
            SELECT f.id, f.key, l.path AS list_path, f.kind, f.noted, f.arxiv_value, f.suggestion
            FROM findings f JOIN lists l ON l.id = f.list_id WHERE f.resolved_at IS NULL
            """
        )
    )
    return {f["id"] for f in findings if any(s.silences(f) for s in sets)}


def findings_by_section(conn: sqlite3.Connection, list_id: int) -> list[SectionFindings]:
    """A list's open findings, worst first within each section, sections in the list's order."""
    order = {
        path: position
        for path, position in conn.execute("SELECT path, position FROM sections WHERE list_id = ?", [list_id])
    }
    rows = _dicts(
        conn.execute(
            f"""
            SELECT id, line, section, arxiv_id, kind, severity, noted, arxiv_value, suggestion, source,
                   detail, first_seen
            FROM findings WHERE list_id = ? AND resolved_at IS NULL
            ORDER BY line, {sql_severity_rank("severity")}, kind
            """,
            [list_id],
        )
    )
    hidden = accepted_findings(conn)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        row["accepted"] = row["id"] in hidden
        grouped.setdefault(row["section"] or NO_SECTION, []).append(row)
    suggested = suggestions_by_section(conn, list_id)
    sections = sorted(set(grouped) | set(suggested), key=lambda s: (order.get(s, len(order)), s))
    return [SectionFindings(s, grouped.get(s, []), suggested.get(s, [])) for s in sections]


SUGGESTIONS_SHOWN = 5  # per section on a list's page; `harvester suggest` and the table hold them all


def suggestions_by_section(conn: sqlite3.Connection, list_id: int) -> dict[str, list[dict[str, Any]]]:
    """The open suggestions of a list's sections (`harvester suggest`), best first, with the words they share."""
    if "suggestions" not in tables(conn):
        return {}
    rows = conn.execute(
        """
        SELECT section, arxiv_id, title, score, words FROM suggestions
        WHERE list_id = ? AND status = ? ORDER BY section, score DESC, arxiv_id
        """,
        [list_id, SuggestionStatus.OPEN.value],
    )
    grouped: dict[str, list[dict[str, Any]]] = {}
    for section, arxiv_id, title, score, words in rows:
        shown = grouped.setdefault(str(section or NO_SECTION), [])
        if len(shown) < SUGGESTIONS_SHOWN:
            shared = ", ".join(json.loads(words or "[]")[:5])
            reason = f"score {score:.2f}" + (f"; shares {shared}" if shared else "")
            shown.append({"arxiv_id": arxiv_id, "title": title, "reason": reason})
    return grouped


def papers_per_year(conn: sqlite3.Connection, list_id: int) -> StackedBars:
    """Distinct papers of a list by arXiv v1 year and section; every year between the first and last is shown."""
    rows = conn.execute(
        """
        SELECT e.section, CAST(substr(p.published, 1, 4) AS INTEGER) AS year, count(DISTINCT e.arxiv_id)
        FROM entries e JOIN papers p ON p.arxiv_id = e.arxiv_id
        WHERE e.list_id = ? AND e.removed_at IS NULL AND e.is_paper = 1
        GROUP BY e.section, year
        """,
        [list_id],
    ).fetchall()
    order = {
        path: position
        for path, position in conn.execute("SELECT path, position FROM sections WHERE list_id = ?", [list_id])
    }
    years = [row[1] for row in rows]
    categories = [str(y) for y in range(min(years), max(years) + 1)] if years else []
    return StackedBars(
        name="papers-per-year",
        title="Papers per year (arXiv v1) by section",
        categories=categories,
        series=sorted({row[0] for row in rows}, key=lambda s: (order.get(s, len(order)), s)),
        values={(str(row[1]), row[0]): row[2] for row in rows},
        empty="No paper of this list has arXiv metadata yet.",
    )


def _runs_shown(conn: sqlite3.Connection) -> list[Run]:
    rows = conn.execute(
        "SELECT id, started_at, ended_at, status FROM runs ORDER BY id DESC LIMIT ?", [RUNS_SHOWN]
    ).fetchall()
    return [Run(*row) for row in reversed(rows)]


def _run_axis(runs: list[Run]) -> tuple[list[str], dict[str, str]]:
    return [f"#{r.id}" for r in runs], {f"#{r.id}": f"{(r.ended_at or r.started_at)[:16]}, {r.status}" for r in runs}


# Runs never overlap (one refresh at a time). A finished run records the last finding event
# and link check it left (`*_upto`): the state after it is every row up to those. Runs
# without them (killed, or from before schema 0009) fall back to time: a run's findings
# history ends where the next run starts, a link check belongs to the first run that ended after it.
_RUN_END = "coalesce((SELECT min(n.started_at) FROM runs n WHERE n.id > r.id), '9999')"
_EVENT_IN_RUN = f"coalesce(ev.id <= r.finding_events_upto, ev.at < {_RUN_END})"
_CHECK_IN_RUN = "coalesce(c.id <= r.link_checks_upto, c.checked_at <= coalesce(r.ended_at, '9999'))"


def findings_over_runs(conn: sqlite3.Connection, list_id: int | None = None) -> StackedBars:
    """Open findings by kind as each of the last runs left them (from the findings' event history)."""
    runs = _runs_shown(conn)
    rows = conn.execute(
        f"""
        SELECT r.id, f.kind, count(*) FROM runs r JOIN findings f
        WHERE r.id >= :first AND (:list IS NULL OR f.list_id = :list)
          AND (SELECT ev.event FROM finding_events ev
               WHERE ev.finding_id = f.id AND {_EVENT_IN_RUN}
               ORDER BY ev.id DESC LIMIT 1) IN {sql_list(OPEN_AFTER)}
        GROUP BY r.id, f.kind
        """,
        {"first": runs[0].id if runs else 0, "list": list_id},
    ).fetchall()
    categories, notes = _run_axis(runs)
    present = {row[1] for row in rows}
    series = [k for k in KINDS if k in present] + sorted(present - set(KINDS))
    return StackedBars(
        name="findings-over-runs",
        title="Open findings by kind after each refresh",
        categories=categories,
        series=series,
        values={(f"#{row[0]}", row[1]): row[2] for row in rows},
        category_notes=notes,
        empty="No refresh has run yet.",
    )


def link_verdicts_over_runs(conn: sqlite3.Connection) -> StackedBars:
    """Each link's latest counted check as each of the last runs left it, counted by verdict."""
    runs = _runs_shown(conn)
    rows = conn.execute(
        f"""
        WITH latest AS (
          SELECT r.id AS run_id, c.verdict,
                 row_number() OVER (PARTITION BY r.id, c.url ORDER BY c.id DESC) AS n
          FROM runs r JOIN link_checks c ON c.counted = 1 AND {_CHECK_IN_RUN}
          WHERE r.id >= :first
        )
        SELECT run_id, verdict, count(*) FROM latest WHERE n = 1 GROUP BY run_id, verdict
        """,
        {"first": runs[0].id if runs else 0},
    ).fetchall()
    categories, notes = _run_axis(runs)
    present = {row[1] for row in rows}
    return StackedBars(
        name="link-verdicts-over-runs",
        title="Links by verdict after each refresh",
        categories=categories,
        series=[v.value for v in Verdict if v.value in present] + sorted(present - {v.value for v in Verdict}),
        values={(f"#{row[0]}", row[1]): row[2] for row in rows},
        colours={v.value: c for v, c in VERDICT_COLOURS.items()},
        category_notes=notes,
        empty="No link has been checked yet.",
    )


def entry_at(conn: sqlite3.Connection, list_ref: str, line: int) -> tuple[int | None, int | None]:
    """The list (by name, path or id) and its live entry covering `line`, each None when there is none."""
    row = conn.execute(
        "SELECT id FROM lists WHERE name = ? OR path = ? OR CAST(id AS TEXT) = ? ORDER BY name = ? DESC, id LIMIT 1",
        [list_ref, list_ref, list_ref, list_ref],
    ).fetchone()
    if row is None:
        return None, None
    entry = conn.execute(
        """
        SELECT id FROM entries WHERE list_id = ? AND removed_at IS NULL AND line <= ? AND end_line >= ?
        ORDER BY line DESC LIMIT 1
        """,
        [row[0], line, line],
    ).fetchone()
    return row[0], entry[0] if entry else None
