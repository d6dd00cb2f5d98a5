"""The lists with their metadata, as BibTeX, CSV, JSON or a clean markdown list.

BibTeX lives in `bibtex.py`; JSON and CSV carry the enrichments (`published.py`).

Reads through a read-only connection; rendering is pure. Everything the export
did not write itself (titles from arXiv, the list's headings, venues, notes, code
links) is escaped for its format: markdown through `mdescape`, so it adds no link
and no HTML; CSV cells that a spreadsheet would run as a formula get a leading `'`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import mdescape
from .bibtex import export_bibtex
from .formats import ExportFormat, ExportStyle, check_style
from .ids import abs_url
from .published import Enriched, read_enrichment

if TYPE_CHECKING:
    from .publish import ExportedList


FORMATS = tuple(ExportFormat)


# Lists by name, each list's paper entries by position from entries_listed (schema 0008), as
# reading_list walks them: only each list's own entries are sorted, not every row at once.
_ENTRIES_SQL = """
SELECT l.name AS list, l.title AS list_title, e.section, e.position, e.line, e.arxiv_id,
       e.noted_title, e.noted_date, e.noted_venue, e.notes,
       p.title AS arxiv_title, p.published, p.updated, p.version, p.primary_category,
       p.comment, p.journal_ref, p.doi,
       (SELECT json_group_array(json_object('url', el.url, 'label', el.label, 'marker', el.marker))
          FROM entry_links el WHERE el.entry_id = e.id AND el.role = 'code') AS code_links
FROM lists l CROSS JOIN entries e ON e.list_id = l.id LEFT JOIN papers p ON p.arxiv_id = e.arxiv_id
WHERE e.removed_at IS NULL AND e.is_paper = 1
ORDER BY l.name, e.position
"""


def rows(connection: sqlite3.Connection, sql: str) -> list[dict[str, Any]]:
    cursor = connection.execute(sql)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def export(connection: sqlite3.Connection, fmt: str, style: str | None = None) -> str:
    chosen = check_style(fmt, style)
    if fmt == "bibtex":
        return export_bibtex(connection, published=chosen != ExportStyle.ARXIV)
    if fmt == "json":
        return render_json(connection)
    if fmt == "csv":
        return render_csv(connection)
    if fmt == "markdown":
        return "\n".join(exported.text for exported in markdown_exports(connection, chosen or ExportStyle.CURATOR))
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def listed_entries(connection: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every listed paper entry in list order, its code links read from their JSON."""
    entries = rows(connection, _ENTRIES_SQL)
    loads = json.loads
    for entry in entries:
        code_links = entry["code_links"]
        # Most entries have no code link: their "[]" needs no JSON parser.
        entry["code_links"] = [] if code_links is None or code_links == "[]" else loads(code_links)
    return entries


def render_json(connection: sqlite3.Connection) -> str:
    entries = listed_entries(connection)
    if not entries:
        return "[]\n"
    # One entry per line, each through json's C encoder (an indented dump takes its
    # pure-Python path, seconds at 100,000 entries); one encoder for all of them, where
    # json.dumps(ensure_ascii=False) would build one per call.
    encode = json.JSONEncoder(ensure_ascii=False).encode
    enrichment = entry_enrichment(connection, entries)
    none = enrichment_fields(None)
    objects = ",\n".join(encode({**entry, **enrichment.get(entry["arxiv_id"], none)}) for entry in entries)
    return f"[\n{objects}\n]\n"


def entry_enrichment(connection: sqlite3.Connection, entries: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """arXiv ID -> what the enrichments add to its entries (`enrichment_fields`), for papers they add anything to.

    Entries need arxiv_id, comment, journal_ref and doi.
    """
    papers = {e["arxiv_id"]: e for e in entries if e["arxiv_id"]}
    nothing = Enriched()  # left out: `enrichment_fields(None)` says the same
    enrichment = read_enrichment(connection, list(papers.values()))
    return {arxiv_id: enrichment_fields(found) for arxiv_id, found in enrichment.items() if found != nothing}


def enrichment_fields(enriched: Enriched | None) -> dict[str, Any]:
    published = enriched.published if enriched else None
    return {
        "published_venue": published.venue if published else None,
        "published_year": published.year if published else None,
        "published_doi": enriched.doi if enriched else None,
        "code_url": enriched.code_url if enriched else None,
        "citation_count": enriched.citation_count if enriched else None,
    }


# --- CSV and markdown ---------------------------------------------------------------

_CSV_COLUMNS = [
    "list",
    "section",
    "line",
    "arxiv_id",
    "noted_title",
    "arxiv_title",
    "noted_date",
    "published",
    "updated",
    "version",
    "noted_venue",
    "comment",
    "journal_ref",
    "doi",
    "code",
    "notes",
    "published_venue",
    "published_year",
    "published_doi",
    "code_url",
    "citation_count",
]


# The CSV is written by SQL, line by line: at 100,000 entries a Python pass over every
# cell (and the csv module's own) cost more than the query. Each field is what
# `csv.writer(lineterminator="\n")` writes for the value after `_csv_cell`: a text a
# spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a carriage
# return: code points 61, 43, 45, 64, 9, 13) gets a leading quote; a field holding a
# comma, a double quote or a newline is quoted, its quotes doubled; NULL is empty.
# tests/test_export.py holds it to the csv module's output. The enrichment columns
# (Python's decisions, published.py) are added per paper.
def _csv_safe(expression: str) -> str:
    return (
        f"CASE WHEN unicode({expression}) IN (61, 43, 45, 64, 9, 13) AND typeof({expression}) = 'text' "
        f"THEN '''' || {expression} ELSE {expression} END"
    )


def _csv_field(expression: str) -> str:
    safe = _csv_safe(expression)  # its quote adds no comma, double quote or newline
    return (
        f"CASE WHEN instr({expression}, ',') OR instr({expression}, '\"') OR instr({expression}, char(10)) "
        f"THEN '\"' || replace({safe}, '\"', '\"\"') || '\"' ELSE coalesce({safe}, '') END"
    )


_CODE_URLS = "(SELECT group_concat(el.url, ' ') FROM entry_links el WHERE el.entry_id = e.id AND el.role = 'code')"
_CSV_FIELDS = [
    *(
        _csv_field(column)
        for column in (
            "l.name",
            "e.section",
            "e.line",
            "e.arxiv_id",
            "e.noted_title",
            "p.title",
            "e.noted_date",
            "p.published",
            "p.updated",
            "p.version",
            "e.noted_venue",
            "p.comment",
            "p.journal_ref",
            "p.doi",
        )
    ),
    # In a subquery of their own: a CASE repeats what it tests, and the links would be read again.
    f"(SELECT {_csv_field('urls')} FROM (SELECT {_CODE_URLS} AS urls))",
    _csv_field("e.notes"),
]
_CSV_SQL = f"""
SELECT {" || ',' || ".join(_CSV_FIELDS)} AS line, e.arxiv_id
FROM lists l CROSS JOIN entries e ON e.list_id = l.id LEFT JOIN papers p ON p.arxiv_id = e.arxiv_id
WHERE e.removed_at IS NULL AND e.is_paper = 1
ORDER BY l.name, e.position
"""
# The papers enrichment could add anything to: one with a journal reference or a DOI of
# its own, or a stored answer (published.read_enrichment; the rest get nothing).
_ENRICHABLE_SQL = (
    "SELECT arxiv_id, comment, journal_ref, doi FROM papers WHERE journal_ref IS NOT NULL OR doi IS NOT NULL"
)
_ENRICHED_SQL = """
SELECT f.arxiv_id, p.comment, p.journal_ref, p.doi
FROM (SELECT DISTINCT arxiv_id FROM enrichments WHERE status = 'found') f LEFT JOIN papers p ON p.arxiv_id = f.arxiv_id
"""


def _enrichable_papers(connection: sqlite3.Connection) -> list[dict[str, Any]]:
    papers = rows(connection, _ENRICHABLE_SQL)
    with contextlib.suppress(sqlite3.OperationalError):  # a database no enrich step has shaped yet
        papers += rows(connection, _ENRICHED_SQL)
    return papers


def render_csv(connection: sqlite3.Connection) -> str:
    papers = _enrichable_papers(connection)
    enrichment = {
        arxiv_id: "," + _csv_line([_csv_cell(value) for value in fields.values()])
        for arxiv_id, fields in entry_enrichment(connection, papers).items()
    }
    none = "," * len(enrichment_fields(None))
    lines = [line + enrichment.get(arxiv_id, none) for line, arxiv_id in connection.execute(_CSV_SQL)]
    return "".join((_csv_line(_CSV_COLUMNS), "\n", "\n".join(lines), "\n" if lines else ""))


def _csv_line(values: Sequence[Any]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(values)
    return out.getvalue()


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> Any:
    # A spreadsheet runs a cell that starts like a formula; the quote makes it text.
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def markdown_exports(connection: sqlite3.Connection, style: str, paths: Sequence[Path] = ()) -> list[ExportedList]:
    """Each list (those at `paths`, else every imported one) as markdown in `style`: one document per list.

    `curator` regenerates a list in its own layout from its file (see harvester/publish.py); a list
    whose file cannot be used, and every list under `plain`, is rendered from the database alone.
    """
    from .publish import markdown_lists

    by_list: dict[str, list[dict[str, Any]]] | None = None  # read once, when a list first needs it

    def plain(name: str) -> str:
        nonlocal by_list
        if by_list is None:
            by_list = {}
            for entry in listed_entries(connection):
                by_list.setdefault(entry["list"], []).append(entry)
        return render_markdown(by_list.get(name, []))

    return markdown_lists(connection, style, paths, plain)


def render_markdown(entries: list[dict[str, Any]]) -> str:
    """A clean list: arXiv's titles, canonical links and v1 dates, the curator's venues, code and notes."""
    lines: list[str] = []
    current_list = current_section = None
    for entry in entries:
        if entry["list"] != current_list:
            current_list, current_section = entry["list"], None
            lines += [f"# {mdescape.text(entry['list_title'] or entry['list'])}", ""]
        if entry["section"] != current_section:
            current_section = entry["section"]
            if current_section:
                lines += [f"## {mdescape.text(current_section)}", ""]
        lines += _markdown_entry(entry) + [""]
    return "\n".join(lines).rstrip() + "\n"


def _markdown_entry(entry: dict[str, Any]) -> list[str]:
    title = entry["arxiv_title"] or entry["noted_title"] or entry["arxiv_id"] or "(untitled)"
    link = abs_url(entry["arxiv_id"]) if entry["arxiv_id"] else None
    head = "1. " + mdescape.inline_link(title, link)
    date = (entry["published"] or "")[:10] or entry["noted_date"]
    details = [mdescape.text(part) for part in (entry["noted_venue"],) if part]
    details += [f"*{mdescape.text(date)}*"] if date else []
    details += [_code_link(code) for code in entry["code_links"]]
    body = [head]
    if details:
        body.append("   " + " ".join(details))
    if entry["notes"]:
        body.extend(("   " + line).rstrip() for line in mdescape.block_lines(entry["notes"]))
    return body


def _code_link(code: dict[str, Any]) -> str:
    marker = f"-{mdescape.text(code['marker'])}" if code["marker"] else ""
    return mdescape.inline_link(code["label"] or "code", code["url"]) + marker
