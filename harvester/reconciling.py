"""A reconcile run: its inputs loaded from the database, list by list, judged by `reconcile` (pure), stored as findings.

Memory is that of one list, whatever the number of lists (see `run_reconcile`).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from .data import topic_glossary
from .enrich.store import found_enrichments
from .findings import store_findings
from .links.verdicts import missing_for_good
from .readinglist import NotedDate
from .reconcile import (
    CodeEvidence,
    DoiEvidence,
    EntryInput,
    NotedLink,
    PaperInfo,
    ReconcileInput,
    TopicGlossary,
    TopicProfile,
    VenueEvidence,
    VersionInfo,
    reconcile,
)
from .timeutil import iso, parse_iso, utc_now


@dataclass(frozen=True)
class ReconcileSummary:
    open: int
    new: int
    reopened: int
    resolved: int
    by_kind: dict[str, int] = field(default_factory=dict)  # open findings
    by_severity: dict[str, int] = field(default_factory=dict)  # open findings

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_reconcile(db: Database, *, now: datetime | None = None) -> ReconcileSummary:
    """Reconcile every current paper entry, list by list, and store the findings, in one transaction.

    Memory is that of one list, whatever the number of lists: each list's entries and
    papers are loaded, judged and stored before the next. What the pooled topics need
    of every list is a profile built beforehand in two passes over the lists
    (reconcile.TopicProfile), which keeps per-word and per-topic sums, not entries.
    """
    moment = now or utc_now()
    shared = _shared_inputs(db)
    list_ids = _list_ids(db)
    profile = TopicProfile(shared.topics or TopicGlossary())
    for build in (profile.count, profile.add):
        for list_id in list_ids:
            build(_documents(db, list_id, shared, profile))
    by_kind: Counter[str] = Counter()
    by_severity: Counter[str] = Counter()
    new = reopened = resolved = 0
    with db.atomic():
        for list_id in list_ids:
            found = reconcile(load_inputs(db, list_id=list_id, shared=shared), profile)
            counts = store_findings(db, found, moment, list_id=list_id)
            new, reopened, resolved = new + counts[0], reopened + counts[1], resolved + counts[2]
            by_kind.update(f.kind for f in found)
            by_severity.update(f.severity for f in found)
        summary = ReconcileSummary(
            open=sum(by_kind.values()),
            new=new,
            reopened=reopened,
            resolved=resolved,
            by_kind=dict(sorted(by_kind.items())),
            by_severity=dict(sorted(by_severity.items())),
        )
        db.table("reconcile_runs").insert(
            {"ran_at": iso(moment), "open": summary.open, "new": new, "reopened": reopened, "resolved": resolved}
        )
    return summary


def _documents(db: Database, list_id: int, shared: _Shared, profile: TopicProfile) -> list[Any]:
    data = load_inputs(db, list_id=list_id, shared=shared)
    return profile.documents_of(data.entries, data.papers)


def _list_ids(db: Database) -> list[int]:
    """Every list, by path, and any other list an open finding still names."""
    ids = [int(row[0]) for row in db.execute("SELECT id FROM lists ORDER BY path").fetchall()]
    orphans = db.execute("SELECT DISTINCT list_id FROM findings WHERE resolved_at IS NULL").fetchall()
    return ids + sorted({int(row[0]) for row in orphans} - set(ids))


# --- loading -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shared:
    """What every list is reconciled against, read once per run."""

    missing_ids: frozenset[str]
    last_run: datetime | None
    topics: TopicGlossary | None


def _shared_inputs(db: Database) -> _Shared:
    return _Shared(_missing_ids(db), _last_run(db), topic_glossary())


def load_inputs(db: Database, *, list_id: int | None = None, shared: _Shared | None = None) -> ReconcileInput:
    """Current paper entries of every list (or of one), the papers they name, and what arXiv lacks."""
    shared = shared or _shared_inputs(db)
    entries = _load_entries(db, list_id)
    ids = sorted({i for e in entries for i in (e.arxiv_id, *e.arxiv_ids) if i})
    return ReconcileInput(
        entries=tuple(entries),
        papers=_load_papers(db, ids),
        missing_ids=shared.missing_ids,
        last_run=shared.last_run,
        topics=shared.topics,
    )


def _missing_ids(db: Database) -> frozenset[str]:
    """IDs to report as not on arXiv.

    An ID never returned is reported at once (likely a typo); a paper arXiv has
    returned before only once it has stayed away as long as a failing link must.
    """
    rows = db.query(
        "SELECT m.arxiv_id, m.missing_runs, m.first_missing, m.last_checked, "
        "p.arxiv_id IS NOT NULL AS held, p.missing_since IS NOT NULL AS still_missing "
        "FROM missing_papers m LEFT JOIN papers p USING (arxiv_id)"
    )
    return frozenset(r["arxiv_id"] for r in rows if _reportably_missing(r))


def _reportably_missing(row: dict[str, Any]) -> bool:
    if not row["held"]:
        return True
    if not row["still_missing"]:
        return False  # arXiv returned it again since
    return missing_for_good(row["missing_runs"], parse_iso(row["first_missing"]), parse_iso(row["last_checked"]))


def _load_entries(db: Database, list_id: int | None = None) -> list[EntryInput]:
    where, params = ("AND e.list_id = ?", [list_id]) if list_id is not None else ("", [])
    rows = list(
        db.query(
            f"""
            SELECT e.*, l.path AS list_path FROM entries e JOIN lists l ON l.id = e.list_id
            WHERE e.removed_at IS NULL AND e.is_paper = 1 {where}
            ORDER BY l.path, e.position
            """,
            params,
        )
    )
    links = _load_links(db, list_id)
    return [_entry_input(row, links.get(row["id"], ())) for row in rows]


def _load_links(db: Database, list_id: int | None = None) -> dict[int, tuple[NotedLink, ...]]:
    grouped: dict[int, list[NotedLink]] = defaultdict(list)
    if list_id is None:
        rows = db.query("SELECT * FROM entry_links ORDER BY entry_id, position")
    else:
        rows = db.query(
            "SELECT el.* FROM entry_links el JOIN entries e ON e.id = el.entry_id WHERE e.list_id = ? "
            "ORDER BY el.entry_id, el.position",
            [list_id],
        )
    for row in rows:
        grouped[row["entry_id"]].append(
            NotedLink(
                url=row["url"],
                role=row["role"],
                line=row["line"],
                position=row["position"],
                label=row["label"],
                arxiv_id=row["arxiv_id"],
                arxiv_version=row["arxiv_version"],
                marker=row.get("marker"),
            )
        )
    return {entry_id: tuple(links) for entry_id, links in grouped.items()}


def _entry_input(row: dict[str, Any], links: tuple[NotedLink, ...]) -> EntryInput:
    return EntryInput(
        list_id=row["list_id"],
        list_path=row["list_path"],
        entry_key=row["entry_key"],
        section=row["section"],
        line=row["line"],
        end_line=row["end_line"],
        noted_title=row["noted_title"],
        arxiv_id=row["arxiv_id"],
        arxiv_ids=tuple(json.loads(row["arxiv_ids"] or "[]")),
        noted_date=_noted_date(row),
        noted_venue=row["noted_venue"],
        links=links,
        raw=row["raw"],
        entry_id=row["id"],
    )


def _noted_date(row: dict[str, Any]) -> NotedDate | None:
    """The date as the parser read it at import (stored in parts, never parsed again)."""
    if row["noted_date"] is None or row["noted_year"] is None:
        return None
    return NotedDate(
        row["noted_date"], row["noted_date_precision"], row["noted_year"], row["noted_month"], row["noted_day"]
    )


def _load_papers(db: Database, ids: list[str]) -> dict[str, PaperInfo]:
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    versions: dict[str, list[VersionInfo]] = defaultdict(list)
    for row in db.query(f"SELECT * FROM paper_versions WHERE arxiv_id IN ({marks})", ids):
        versions[row["arxiv_id"]].append(
            VersionInfo(row["version"], row["title"], parse_iso(row["submitted"]), parse_iso(row["seen_at"]))
        )
    enrichments = found_enrichments(db, ids)
    categories = _categories(db, marks, ids)
    papers = {}
    for row in db.query(f"SELECT * FROM papers WHERE arxiv_id IN ({marks})", ids):
        papers[row["arxiv_id"]] = PaperInfo(
            arxiv_id=row["arxiv_id"],
            title=row["title"],
            published=parse_iso(row["published"]),
            abstract=row["abstract"] or "",
            comment=row["comment"],
            journal_ref=row["journal_ref"],
            withdrawn=bool(row["withdrawn"]),
            versions=_latest_per_version(versions[row["arxiv_id"]]),
            categories=categories.get(row["arxiv_id"], ()),
            **_enrichment_evidence(enrichments.get(row["arxiv_id"], [])),
        )
    return papers


def _categories(db: Database, marks: str, ids: list[str]) -> dict[str, tuple[str, ...]]:
    """arXiv categories per paper, primary first: evidence for category_suspect."""
    grouped: dict[str, list[str]] = defaultdict(list)
    sql = f"SELECT arxiv_id, category FROM paper_categories WHERE arxiv_id IN ({marks})"
    for row in db.query(sql + " ORDER BY is_primary DESC, category", ids):
        grouped[row["arxiv_id"]].append(row["category"])
    return {arxiv_id: tuple(found) for arxiv_id, found in grouped.items()}


def _enrichment_evidence(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What enrichment sources add to a paper: venues, official code and published DOIs, by source."""
    texts = [(r, text) for r in rows for text in dict.fromkeys((r["venue"], r["journal"])) if text]
    venues = [VenueEvidence(r["source"], text, year=r["year"]) for r, text in texts]
    venues += [identity for r in rows if (identity := _venue_identity_evidence(r))]
    return {
        "extra_venues": tuple(venues),
        "official_code": tuple(CodeEvidence(r["source"], r["code_url"]) for r in rows if r["code_url"]),
        "published_dois": tuple(DoiEvidence(r["source"], r["doi"]) for r in rows if r["doi"]),
    }


def _venue_identity_evidence(row: dict[str, Any]) -> VenueEvidence | None:
    """The venue's names and DBLP key as one source gives them; None when it gives neither."""
    names = tuple(_json_strings(row.get("venue_names")))
    dblp_key = row.get("dblp_key")
    if not names and not dblp_key:
        return None
    shown = names[0] if names else str(dblp_key)
    return VenueEvidence(row["source"], shown, names=names, dblp_key=dblp_key, year=row["year"])


def _json_strings(text: str | None) -> list[str]:
    try:
        values = json.loads(text) if text else []
    except ValueError:
        return []  # an unreadable cell is no evidence, never a crash
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def _latest_per_version(versions: list[VersionInfo]) -> tuple[VersionInfo, ...]:
    """paper_versions keeps every title a version was seen with; the latest sighting counts."""
    latest: dict[int, VersionInfo] = {}
    for version in sorted(versions, key=lambda v: v.seen_at or datetime.min):
        latest[version.version] = version
    return tuple(latest[v] for v in sorted(latest))


def _last_run(db: Database) -> datetime | None:
    row = next(db.query("SELECT max(ran_at) AS ran_at FROM reconcile_runs"), None)
    return parse_iso(row["ran_at"]) if row and row["ran_at"] else None
