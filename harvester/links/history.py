"""Link history in SQLite: the `links` and `link_checks` tables and their queries.

`links` holds one row per distinct URL with its current verdict and failure
streak; `link_checks` appends one row per check, so "what changed last night"
is a query. The tables come from this module's own migration set, registered
with the app's (`harvester.schema.register_migrations`) on import.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database, Migrations

from ..ids import RETIRED_MIRROR_HOSTS, host_of
from ..schema import register_migrations
from ..timeutil import iso, parse_iso
from ..vocabulary import VERDICT_KINDS, Source, Verdict, severity_of, sql_list
from .verdicts import RESTING, Judgement, LinkState, PaperFacts, Settled, missing_for_good, rest_after

migrations = register_migrations(Migrations("links"))


@migrations(name="0001_links")
def _links(db: Database) -> None:
    # One statement per execute: executescript would commit mid-migration.
    db.execute(
        """
        CREATE TABLE links (
            url TEXT PRIMARY KEY,             -- as written in the lists
            verdict TEXT NOT NULL,            -- ok | moved | redirected | dead | unreachable | blocked | skipped
            status INTEGER,                   -- HTTP status of the last hop, if any answered
            final_url TEXT,
            suggestion TEXT,                  -- the URL to write instead (moved, retired mirrors)
            note TEXT,                        -- e.g. 'normalized: http -> https'
            error TEXT,
            hops TEXT NOT NULL DEFAULT '[]',  -- JSON [{url, status}] of the last check
            first_checked_at TEXT NOT NULL,
            last_checked_at TEXT NOT NULL,
            verdict_since TEXT NOT NULL,      -- when the current verdict was first given
            last_ok_at TEXT,
            first_failed_at TEXT,             -- start of the current failure streak
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            failure_days INTEGER NOT NULL DEFAULT 0  -- calendar days (UTC) the streak spans
        )
        """
    )
    db.execute(
        """
        CREATE TABLE link_checks (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            checked_at TEXT NOT NULL,
            verdict TEXT NOT NULL,            -- this check's own verdict, before the history rule
            status INTEGER,
            final_url TEXT,
            hops TEXT NOT NULL DEFAULT '[]',
            error TEXT,
            elapsed_ms INTEGER NOT NULL,
            requests INTEGER NOT NULL,        -- HTTP requests this check sent (hops and retries)
            counted INTEGER NOT NULL,         -- 0 when the network was down: not held against the link
            run_id INTEGER                    -- runs.id when run under `refresh`
        )
        """
    )
    db.execute("CREATE INDEX link_checks_url ON link_checks(url, checked_at)")


# Timestamps written before the links tables used the one format (`Z`) of every other table.
_TIMESTAMP_COLUMNS = {
    "links": ("first_checked_at", "last_checked_at", "verdict_since", "last_ok_at", "first_failed_at"),
    "link_checks": ("checked_at",),
}


@migrations(name="0002_z_timestamps")
def _z_timestamps(db: Database) -> None:
    for table, columns in _TIMESTAMP_COLUMNS.items():
        sets = ", ".join(f"{column} = replace({column}, '+00:00', 'Z')" for column in columns)
        db.execute(f"UPDATE {table} SET {sets}")


def ensure_link_tables(db: Database) -> None:
    migrations.apply(db)


@dataclass(frozen=True)
class EntryRef:
    """Where a URL is used: list file name, the line of the link, the entry's section, the list's path."""

    list_name: str
    line: int
    section: str
    list_path: str = ""  # absolute, as stored; outputs show it relative to the lists' root


@dataclass(frozen=True)
class LinkTarget:
    url: str
    arxiv_id: str | None
    arxiv_version: int | None
    entries: tuple[EntryRef, ...]


_USES = """
    SELECT el.url, el.arxiv_id, el.arxiv_version, l.name AS list_name, l.path AS list_path, el.line, e.section
    FROM entry_links el
    JOIN entries e ON e.id = el.entry_id
    JOIN lists l ON l.id = e.list_id
    WHERE e.removed_at IS NULL
    ORDER BY el.url, l.name, el.line
"""


def live_targets(db: Database) -> list[LinkTarget]:
    """Every distinct URL of entries still in the lists, with the entries that use it."""
    grouped: dict[str, list[dict[str, object]]] = {}
    for row in db.query(_USES):
        grouped.setdefault(str(row["url"]), []).append(row)
    return [_target(url, rows) for url, rows in grouped.items()]


def _target(url: str, rows: list[dict[str, object]]) -> LinkTarget:
    arxiv_id = next((str(r["arxiv_id"]) for r in rows if r["arxiv_id"]), None)
    version = next((int(str(r["arxiv_version"])) for r in rows if r["arxiv_version"]), None)
    entries = tuple(
        EntryRef(str(r["list_name"]), int(str(r["line"])), str(r["section"]), str(r["list_path"])) for r in rows
    )
    return LinkTarget(url, arxiv_id, version, entries)


def fresh_urls(db: Database, since: datetime, verdicts: Iterable[str] = (Verdict.OK.value,)) -> set[str]:
    """URLs given one of `verdicts` after `since` (strictly: times are kept to the second): not checked again.

    Checks made while the network was down are never fresh: nothing was judged.
    """
    wanted = sorted(set(verdicts))
    marks = ", ".join("?" for _ in wanted)
    rows = db.query(
        f"""
        SELECT k.url FROM links k
        WHERE k.last_checked_at > ? AND k.verdict IN ({marks})
          AND EXISTS (SELECT 1 FROM link_checks c
                      WHERE c.url = k.url AND c.checked_at = k.last_checked_at AND c.counted = 1)
        """,
        [_iso(since), *wanted],
    )
    return {str(row["url"]) for row in rows}


def resting_urls(db: Database, now: datetime, first: timedelta, longest: timedelta) -> set[str]:
    """URLs failing for a reason that may pass whose rest (see `verdicts.rest_after`) is not over."""
    marks = ", ".join("?" for _ in RESTING)
    rows = db.query(
        f"""
        SELECT k.url, k.last_checked_at, k.consecutive_failures FROM links k
        WHERE k.verdict IN ({marks}) AND k.consecutive_failures > 0
          AND EXISTS (SELECT 1 FROM link_checks c
                      WHERE c.url = k.url AND c.checked_at = k.last_checked_at AND c.counted = 1)
        """,
        sorted(verdict.value for verdict in RESTING),
    )
    return {
        str(row["url"])
        for row in rows
        if now - parse_iso(str(row["last_checked_at"])) < rest_after(int(row["consecutive_failures"]), first, longest)
    }


def paper_facts(db: Database, arxiv_ids: Iterable[str]) -> dict[str, PaperFacts]:
    """What the harvest knows of each ID; IDs it never asked about are absent."""
    wanted = sorted(set(arxiv_ids))
    facts: dict[str, PaperFacts] = {}
    for chunk in _chunks(wanted, 500):
        marks = ",".join("?" * len(chunk))
        for row in db.query(f"SELECT arxiv_id, first_missing FROM missing_papers WHERE arxiv_id IN ({marks})", chunk):
            facts[str(row["arxiv_id"])] = PaperFacts(exists=False, missing_since=str(row["first_missing"]))
        sql = (
            "SELECT p.arxiv_id, p.version, p.withdrawn, p.missing_since, m.missing_runs, m.first_missing, "
            f"m.last_checked FROM papers p LEFT JOIN missing_papers m USING (arxiv_id) WHERE p.arxiv_id IN ({marks})"
        )
        for row in db.query(sql, chunk):
            facts[str(row["arxiv_id"])] = _paper(row)
    return facts


def _paper(row: dict[str, object]) -> PaperFacts:
    missing = row["missing_since"]
    runs = int(str(row["missing_runs"])) if missing is not None and row["missing_runs"] is not None else 0
    return PaperFacts(
        # A paper arXiv has returned before is gone only after the grace of a failing link.
        exists=missing is None or not _missing_for_good(runs, row),
        latest_version=int(str(row["version"])) if row["version"] is not None else None,
        withdrawn=bool(row["withdrawn"]),
        missing_since=str(missing) if missing is not None else None,
        missing_runs=runs,
    )


def _missing_for_good(runs: int, row: dict[str, object]) -> bool:
    if row["first_missing"] is None or row["last_checked"] is None:
        return False
    return missing_for_good(runs, parse_iso(str(row["first_missing"])), parse_iso(str(row["last_checked"])))


def previous_state(db: Database, url: str) -> LinkState | None:
    rows = list(db.query("SELECT * FROM links WHERE url = ?", [url]))
    if not rows:
        return None
    row = rows[0]
    return LinkState(
        verdict=Verdict(row["verdict"]),
        status=row["status"],
        final_url=row["final_url"],
        suggestion=row["suggestion"],
        error=row["error"],
        note=row["note"],
        consecutive_failures=row["consecutive_failures"],
        first_failed_at=_parse(row["first_failed_at"]),
        failure_days=row["failure_days"],
        last_ok_at=_parse(row["last_ok_at"]),
    )


@dataclass(frozen=True)
class CheckRecord:
    """One check of one URL, as it goes into the database."""

    url: str
    checked_at: datetime
    judgement: Judgement
    settled: Settled
    elapsed_ms: int
    requests: int
    counted: bool
    run_id: int | None


def record_checks(db: Database, records: list[tuple[CheckRecord, LinkState | None]]) -> None:
    """Append the checks and update the links' current state, in one transaction.

    Each record comes with the link's state as it was read before the check.
    A check that was not counted (network down) leaves an existing link as it was.
    """
    with db.atomic():
        for record, previous in records:
            db.table("link_checks").insert(_check_row(record))
            if record.counted or previous is None:
                _save_link(db, record, previous)


def _check_row(record: CheckRecord) -> dict[str, object]:
    judgement = record.judgement
    return {
        "url": record.url,
        "checked_at": _iso(record.checked_at),
        "verdict": judgement.verdict.value,
        "status": judgement.status,
        "final_url": judgement.final_url,
        "hops": _hops_json(judgement),
        "error": judgement.error,
        "elapsed_ms": record.elapsed_ms,
        "requests": record.requests,
        "counted": int(record.counted),
        "run_id": record.run_id,
    }


def _save_link(db: Database, record: CheckRecord, previous: LinkState | None) -> None:
    settled, at = record.settled, _iso(record.checked_at)
    row: dict[str, object] = {
        "url": record.url,
        "verdict": settled.verdict.value,
        "status": settled.status,
        "final_url": settled.final_url,
        "suggestion": settled.suggestion,
        "note": settled.note,
        "error": settled.error,
        "hops": _hops_json(record.judgement),
        "last_checked_at": at,
        "last_ok_at": _iso(settled.last_ok_at),
        "first_failed_at": _iso(settled.first_failed_at),
        "consecutive_failures": settled.consecutive_failures,
        "failure_days": settled.failure_days,
    }
    if previous is None:
        db.table("links").insert({**row, "first_checked_at": at, "verdict_since": at}, pk="url")
        return
    if previous.verdict != settled.verdict:
        row["verdict_since"] = at
    db.table("links").update(record.url, row)


def link_rows(db: Database) -> list[dict[str, object]]:
    """Current verdicts of the URLs still in the lists, each with the entries using it."""
    if not db.table("links").exists():  # readers never migrate: the file may be read-only
        return []
    uses = {target.url: target.entries for target in live_targets(db)}
    rows = db.query("SELECT * FROM links ORDER BY verdict, url")
    return [_display(row, uses[str(row["url"])]) for row in rows if row["url"] in uses]


def _display(row: dict[str, object], entries: tuple[EntryRef, ...]) -> dict[str, object]:
    shown = dict(row)
    shown["hops"] = json.loads(str(row["hops"]))
    shown["entries"] = [{"list": e.list_name, "line": e.line, "section": e.section} for e in entries]
    return shown


def verdict_counts(db: Database) -> dict[str, int]:
    """How many of the URLs still in the lists have each verdict; every verdict present."""
    counts = {verdict.value: 0 for verdict in Verdict}
    for row in link_rows(db):
        counts[str(row["verdict"])] += 1
    return counts


_PROBLEMS = f"""
    SELECT lk.url, lk.verdict, lk.suggestion, lk.error, lk.note, lk.verdict_since, lk.last_checked_at,
           l.id AS list_id, l.path AS list_path, l.name AS list_name,
           e.id AS entry_id, e.entry_key, e.section, el.line, el.arxiv_id
    FROM links lk
    JOIN entry_links el ON el.url = lk.url
    JOIN entries e ON e.id = el.entry_id
    JOIN lists l ON l.id = e.list_id
    WHERE e.removed_at IS NULL AND lk.verdict IN {sql_list(tuple(VERDICT_KINDS))}
    ORDER BY l.path, el.line, lk.url
"""


def problem_findings(db: Database) -> list[dict[str, object]]:
    """Dead and moved links, one row per use, in the shape of reconcile's findings.

    Retired arXiv mirrors are left out: reconcile reports them as `mirror_link`.
    """
    if not db.table("links").exists():  # readers never migrate: the file may be read-only
        return []
    return [_finding(row) for row in db.query(_PROBLEMS) if host_of(str(row["url"])) not in RETIRED_MIRROR_HOSTS]


def _finding(row: dict[str, object]) -> dict[str, object]:
    kind = VERDICT_KINDS[Verdict(str(row["verdict"]))]
    return {
        "key": f"{kind}:{row['entry_key']}:{row['url']}",
        "list_id": row["list_id"],
        "list_path": row["list_path"],
        "list_name": row["list_name"],
        "section": row["section"],
        "line": row["line"],
        "entry_id": row["entry_id"],
        "entry_key": row["entry_key"],
        "arxiv_id": row["arxiv_id"],
        "kind": kind,
        "severity": severity_of(kind),
        "noted": row["url"],
        "arxiv_value": None,
        "suggestion": row["suggestion"],
        "source": Source.LINKS,
        "detail": row["error"] or row["note"],
        "first_seen": row["verdict_since"],
        "last_seen": row["last_checked_at"],
        "resolved_at": None,
    }


def _hops_json(judgement: Judgement) -> str:
    return json.dumps([hop.as_dict() for hop in judgement.hops], ensure_ascii=False)


def _iso(moment: datetime | None) -> str | None:
    return iso(moment) if moment is not None else None


def _parse(text: object) -> datetime | None:
    return parse_iso(str(text)) if text else None


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
