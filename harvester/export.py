"""The lists with their metadata, as BibTeX, CSV, JSON or a clean markdown list.

BibTeX lives in `bibtex.py`; JSON and CSV carry the enrichments (`published.py`).

Reads through a read-only connection; rendering is pure. Everything the export
did not write itself (titles from arXiv, the list's headings, venues, notes, code
links) is escaped for its format: markdown through `mdescape`, so it adds no link
and no HTML; CSV cells that a spreadsheet would run as a formula get a leading `'`.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import mdescape
from .bibtex import bibtex_keys as bibtex_keys  # the key rules live in bibtex.py
from .bibtex import clash_suffix as clash_suffix
from .bibtex import export_bibtex
from .errors import HarvesterError
from .ids import abs_url
from .published import Enriched, read_enrichment

if TYPE_CHECKING:
    from .publish import ExportedList


class ExportFormat(StrEnum):
    BIBTEX = "bibtex"
    CSV = "csv"
    JSON = "json"
    MARKDOWN = "markdown"


FORMATS = tuple(ExportFormat)


class ExportStyle(StrEnum):
    PUBLISHED = "published"  # bibtex: the published version when a source names it
    ARXIV = "arxiv"  # bibtex: always the arXiv preprint, as @misc
    CURATOR = "curator"  # markdown: each list in its own layout, regenerated from its file
    AWESOME = "awesome"  # markdown: a plain awesome-list layout
    PLAIN = "plain"  # markdown: from the database alone, one paper a line


# Each format's styles, its default first; a format missing here takes no --style.
STYLES: dict[ExportFormat, tuple[ExportStyle, ...]] = {
    ExportFormat.BIBTEX: (ExportStyle.PUBLISHED, ExportStyle.ARXIV),
    ExportFormat.MARKDOWN: (ExportStyle.CURATOR, ExportStyle.AWESOME, ExportStyle.PLAIN),
}
STYLE_HELP = (
    "markdown: curator (default: each list in its own layout), awesome (a plain awesome list) "
    "or plain (from the database alone); bibtex: published (default) or arxiv."
)


class InvalidStyle(HarvesterError, ValueError):
    """A --style the chosen --format does not have."""


_ENTRIES_SQL = """
SELECT l.name AS list, l.title AS list_title, e.section, e.position, e.line, e.arxiv_id,
       e.noted_title, e.noted_date, e.noted_venue, e.notes,
       p.title AS arxiv_title, p.published, p.updated, p.version, p.primary_category,
       p.comment, p.journal_ref, p.doi,
       (SELECT json_group_array(json_object('url', el.url, 'label', el.label, 'marker', el.marker))
          FROM entry_links el WHERE el.entry_id = e.id AND el.role = 'code') AS code_links
FROM entries e JOIN lists l ON l.id = e.list_id LEFT JOIN papers p ON p.arxiv_id = e.arxiv_id
WHERE e.removed_at IS NULL AND e.is_paper = 1
ORDER BY l.name, e.position
"""


def rows(connection: sqlite3.Connection, sql: str) -> list[dict[str, Any]]:
    cursor = connection.execute(sql)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def check_style(fmt: str, style: str | None) -> ExportStyle | None:
    """The style `fmt` is written in: `style` when the format has it, its default when None.

    The one place that knows which styles each format takes: InvalidStyle otherwise.
    """
    choices = STYLES.get(ExportFormat(fmt), ())
    if style is None:
        return choices[0] if choices else None
    if style not in choices:
        allowed = f"one of {', '.join(choices)}" if choices else "no --style"
        raise InvalidStyle(f"--format {fmt} takes {allowed}, not {str(style)!r}")
    return ExportStyle(style)


def export(connection: sqlite3.Connection, fmt: str, style: str | None = None) -> str:
    chosen = check_style(fmt, style)
    if fmt == "bibtex":
        return export_bibtex(connection, published=chosen != ExportStyle.ARXIV)
    entries = rows(connection, _ENTRIES_SQL)
    for entry in entries:
        entry["code_links"] = json.loads(entry["code_links"] or "[]")
    if fmt == "json":
        # One entry per line, each through json's C encoder (an indented dump takes its
        # pure-Python path, seconds at 100,000 entries).
        enriched = with_enrichment(connection, entries)
        objects = ",\n".join(json.dumps(entry, ensure_ascii=False) for entry in enriched)
        return f"[\n{objects}\n]\n" if enriched else "[]\n"
    if fmt == "csv":
        return render_csv(with_enrichment(connection, entries))
    if fmt == "markdown":
        return "\n".join(exported.text for exported in markdown_exports(connection, chosen or ExportStyle.CURATOR))
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def with_enrichment(connection: sqlite3.Connection, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each entry with what the enrichments add: published venue and year, its DOI, official code (`code_url`), citations."""
    papers = {e["arxiv_id"]: e for e in entries if e["arxiv_id"]}
    enrichment = read_enrichment(connection, list(papers.values()))
    return [{**entry, **enrichment_fields(enrichment.get(entry["arxiv_id"] or ""))} for entry in entries]


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


def render_csv(entries: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=_CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for entry in entries:
        row = {**entry, "code": " ".join(link["url"] for link in entry["code_links"])}
        writer.writerow({column: _csv_cell(row.get(column)) for column in _CSV_COLUMNS})
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

    entries = rows(connection, _ENTRIES_SQL)
    for entry in entries:
        entry["code_links"] = json.loads(entry["code_links"] or "[]")

    def plain(name: str) -> str:
        return render_markdown([entry for entry in entries if entry["list"] == name])

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
