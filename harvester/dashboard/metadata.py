"""Datasette metadata for a harvester database: titles, descriptions, facets, canned queries, hidden tables.

It used to be a YAML file keyed by the database name `harvester`; the plugin now
gives it to every harvester database Datasette opens, whatever its file is called.
"""

from __future__ import annotations

from typing import Any

from ..vocabulary import SuggestionStatus

TITLE = "harvester"
DESCRIPTION_HTML = (
    "Reading lists as their curators wrote them, what arXiv says about each paper, "
    "where the two disagree, and the health of every link. Refreshed nightly by "
    "<code>harvester refresh</code>."
)

# Tables kept for harvester's own bookkeeping: open by URL, left out of the index.
# FTS shadow tables (entries_fts_data, ...) are hidden with their table by prefix.
HIDDEN = (
    "_sqlite_migrations",
    "raw_entries",
    "finding_events",
    "reconcile_runs",
    "entries_fts",
    "papers_fts",
)

TABLES: dict[str, dict[str, Any]] = {
    "reading_list": {
        "description": "One row per paper entry - the curator's title, date and venue beside arXiv's, "
        "with open findings and link problems.",
        "facets": ["list", "section", "noted_venue"],
    },
    "open_findings": {
        "description": "Disagreements between the lists and arXiv (or the enrichment sources) that are "
        "still open, worst first.",
        "facets": ["kind", "severity", "list", "source"],
    },
    "link_problems": {
        "description": "Links whose last check was not ok, with where each is used.",
        "facets": ["verdict"],
    },
    "recent_changes": {
        "description": "New papers, new versions and edited entries, newest first.",
        "facets": ["change"],
    },
    "lists": {"description": "Each imported markdown file, with the hash of the bytes last imported."},
    "sections": {
        "description": "Headings of each list as written; non-paper sections (references, appendix, tools) are marked.",
        "facets": ["is_paper_section"],
    },
    "entries": {
        "description": "One row per entry as written (title, date, venue, notes, line); removed entries keep "
        "their row with removed_at.",
        "facets": ["section", "is_paper", "noted_venue"],
    },
    "entry_links": {
        "description": "Every link of every entry, with its role (title, paper, code, notes, other).",
        "facets": ["role", "marker"],
    },
    "papers": {
        "description": "arXiv's metadata, keyed by the unversioned identifier.",
        "facets": ["primary_category", "version", "withdrawn"],
    },
    "paper_versions": {"description": "A row each time a new version, title or date of a paper was seen."},
    "paper_authors": {"description": "Authors of each paper, in order, each with their own affiliations."},
    "paper_categories": {
        "description": "arXiv categories of each paper; is_primary marks the primary one.",
        "facets": ["category", "is_primary"],
    },
    "missing_papers": {"description": "Identifiers arXiv returned nothing for, after an individual re-check."},
    "findings": {
        "description": "Every finding ever made, with first_seen, last_seen and resolved_at.",
        "facets": ["kind", "severity", "source"],
    },
    "enrichments": {
        "description": "What Semantic Scholar and Hugging Face say of each paper (published venue, DOI, "
        "official code), per source.",
        "facets": ["source", "status"],
    },
    "acceptances": {"description": "Findings accepted on purpose, mirrored from harvester-accept.toml."},
    "links": {
        "description": "Current verdict of each distinct URL and its failure history.",
        "facets": ["verdict"],
    },
    "link_checks": {
        "description": "One row per check of a URL - status, hops, error, time.",
        "facets": ["verdict"],
    },
    "runs": {
        "description": "One row per refresh - start, end, status, counts per step and errors.",
        "facets": ["status"],
    },
    "citation_keys": {"description": "The BibTeX key of each exported paper, pinned on its first export."},
    "suggestions": {
        "description": "Papers suggested for each section of 3+ papers (harvester suggest): score, evidence, "
        "sources, and their history (open, accepted, rejected with the reason).",
        "facets": ["section", "status"],
    },
    "suggestion_rejections": {
        "description": "Papers the curator said no to (harvester suggest --reject); never suggested again."
    },
    "suggestion_queries": {
        "description": "When each section was last asked of each source, what was asked, and how it went.",
        "facets": ["source"],
    },
    **{name: {"hidden": True} for name in HIDDEN},
}

QUERIES: dict[str, dict[str, str]] = {
    "titles_to_fix": {
        "title": "Titles that differ from arXiv",
        "sql": "select list, line, arxiv_id, noted, suggestion, kind\nfrom open_findings\n"
        "where kind in ('title_typo', 'title_outdated', 'title_mismatch')\norder by list, line",
    },
    "dead_links": {
        "title": "Dead and moved links with their replacements",
        "sql": "select url, verdict, suggestion, used_at from link_problems\n"
        "where verdict in ('dead', 'moved') order by verdict, url",
    },
    "papers_by_category": {
        "title": "Papers per primary category",
        "sql": "select primary_category, count(*) as papers from papers\n"
        "group by primary_category order by papers desc",
    },
    "suggestions_per_section": {
        "title": "Open suggestions per section, best first",
        "sql": "select l.name as list, s.section, s.arxiv_id, s.title, round(s.score, 2) as score,\n"
        "       s.words, s.sources, s.first_seen\nfrom suggestions s join lists l on l.id = s.list_id\n"
        f"where s.status = '{SuggestionStatus.OPEN}' order by l.name, s.section, s.score desc",
    },
    "last_runs": {
        "title": "The last ten refreshes",
        "sql": "select id, started_at, ended_at, status, errors from runs order by id desc limit 10",
    },
}


def database_metadata() -> dict[str, Any]:
    """What Datasette shows for one harvester database."""
    return {
        "description": "Reading lists, arXiv's metadata, findings and link checks (one SQLite file per set of lists).",
        "tables": {name: dict(table) for name, table in TABLES.items()},
        "queries": {name: dict(query) for name, query in QUERIES.items()},
    }


def metadata_for(databases: list[str]) -> dict[str, Any]:
    """Datasette's metadata for an instance serving these harvester databases (nothing when there are none)."""
    if not databases:
        return {}
    return {
        "title": TITLE,
        "description_html": DESCRIPTION_HTML,
        "databases": {name: database_metadata() for name in databases},
    }
