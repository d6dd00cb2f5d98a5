"""The lists with their metadata, as BibTeX, CSV, JSON or a clean markdown list.

BibTeX lives in `bibtex.py`; JSON and CSV carry the enrichments (`published.py`).
At 100,000 entries every format is written in under a second: CSV lines and JSON objects
by SQL, plain markdown from lean rows with one check per entry for anything to escape; the
Python renderers here stay the reference each fast path is tested against.

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
import re
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
_LISTED = """
FROM lists l CROSS JOIN entries e ON e.list_id = l.id LEFT JOIN papers p ON p.arxiv_id = e.arxiv_id
WHERE e.removed_at IS NULL AND e.is_paper = 1 {also}
ORDER BY l.name, e.position
"""
_FROM_LISTED = _LISTED.format(also="")
# Each entry's fields as the JSON export names them, in its order (code_links follows them).
_ENTRY_FIELDS = (
    ("list", "l.name"),
    ("list_title", "l.title"),
    ("section", "e.section"),
    ("position", "e.position"),
    ("line", "e.line"),
    ("arxiv_id", "e.arxiv_id"),
    ("noted_title", "e.noted_title"),
    ("noted_date", "e.noted_date"),
    ("noted_venue", "e.noted_venue"),
    ("notes", "e.notes"),
    ("arxiv_title", "p.title"),
    ("published", "p.published"),
    ("updated", "p.updated"),
    ("version", "p.version"),
    ("primary_category", "p.primary_category"),
    ("comment", "p.comment"),
    ("journal_ref", "p.journal_ref"),
    ("doi", "p.doi"),
)
_CODE_LINK_JSON = "json_object('url', url, 'label', label, 'marker', marker)"
# Every entry's code links in the list's order: the reference rows (`listed_entries`) read them
# per entry, the fast exports in one pass grouped by entry (`_code_links`).
_ENTRY_SQL = f"""
SELECT {", ".join(f"{column} AS {name}" for name, column in _ENTRY_FIELDS)},
       (SELECT json_group_array({_CODE_LINK_JSON}) FROM (
          SELECT url, label, marker FROM entry_links el WHERE el.entry_id = e.id AND el.role = 'code' ORDER BY el.position
       )) AS code_links, e.id AS entry_id
"""
_ENTRIES_SQL = _ENTRY_SQL + _FROM_LISTED
_ENTRIES_BY_ID_SQL = _ENTRY_SQL + _LISTED.format(also="AND e.id IN (SELECT value FROM json_each(?))")
_CODE_LINKS_SQL = f"""
SELECT entry_id, json_group_array({_CODE_LINK_JSON}) FROM (
  SELECT entry_id, url, label, marker FROM entry_links WHERE role = 'code' ORDER BY entry_id, position
) GROUP BY entry_id
"""


def rows(connection: sqlite3.Connection, sql: str, parameters: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cursor = connection.execute(sql, parameters)
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
    for entry in entries:
        _decode(entry)
    return entries


def _entries_by_id(connection: sqlite3.Connection, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Entry id -> its entry as `listed_entries` reads it, for these entries."""
    if not ids:
        return {}
    return {entry["entry_id"]: _decode(entry) for entry in rows(connection, _ENTRIES_BY_ID_SQL, [json.dumps(ids)])}


def _decode(entry: dict[str, Any]) -> dict[str, Any]:
    code_links = entry["code_links"]
    # Most entries have no code link: their "[]" needs no JSON parser.
    entry["code_links"] = [] if code_links is None or code_links == "[]" else json.loads(code_links)
    del entry["entry_id"]  # read to find the entry, no field of it
    return entry


# The JSON export writes each entry's object in SQL (json_object: compact, non-ASCII as it is,
# control characters escaped); Python adds the code links, read in one pass, and the enrichment
# fields. At 100,000 entries building dicts for json's encoder cost three times as much.
# tests/test_export_fast_paths.py holds it to `reference_json`. (position, line and version are
# integers as the importer and fetch write them; a REAL there would be written as SQLite spells it.)
_JSON_SQL = f"""
SELECT json_object({", ".join(f"'{name}', {column}" for name, column in _ENTRY_FIELDS)}), e.arxiv_id, e.id
{_FROM_LISTED}"""
_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def render_json(connection: sqlite3.Connection) -> str:
    """An array of entry objects, one object a line: the entry's fields, its code links, then the enrichments."""
    enrichment = {
        arxiv_id: _compact(fields)[1:-1]
        for arxiv_id, fields in entry_enrichment(connection, _enrichable_papers(connection)).items()
    }
    none = _compact(enrichment_fields(None))[1:-1]
    codes = _code_links(connection)
    objects = [
        f'{fields[:-1]},"code_links":{codes.get(entry_id, "[]")},{enrichment.get(arxiv_id, none)}}}'
        for fields, arxiv_id, entry_id in connection.execute(_JSON_SQL)
    ]
    if not objects:
        return "[]\n"
    objects[0], objects[-1] = "[\n" + objects[0], objects[-1] + "\n]\n"  # one copy of the whole, not three
    return ",\n".join(objects)


def reference_json(connection: sqlite3.Connection) -> list[dict[str, Any]]:
    """What `render_json` writes, built in Python: its tests compare the two."""
    entries = listed_entries(connection)
    enrichment = entry_enrichment(connection, entries)
    none = enrichment_fields(None)
    return [{**entry, **enrichment.get(entry["arxiv_id"], none)} for entry in entries]


def _code_links(connection: sqlite3.Connection) -> dict[int, str]:
    """Entry id -> its code links as a JSON array, for the entries that have any."""
    return dict(connection.execute(_CODE_LINKS_SQL).fetchall())


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

    by_list: dict[str, list[_MarkdownRow]] | None = None  # read once, when a list first needs it

    def plain(name: str) -> str:
        nonlocal by_list
        if by_list is None:
            by_list = {}
            for row in markdown_rows(connection):
                by_list.setdefault(row[0], []).append(row)
        return _markdown_document(by_list.get(name, []))

    return markdown_lists(connection, style, paths, plain)


def render_markdown(entries: list[dict[str, Any]]) -> str:
    """A clean list: arXiv's titles, canonical links and v1 dates, the curator's venues, code and notes."""
    return _markdown_document(
        [(e["list"], e["list_title"], e["section"], "\n".join(_markdown_entry(e))) for e in entries]
    )


# list, list title, section, the entry's markdown
_MarkdownRow = tuple[str, str | None, str, str]


def _markdown_document(rows: Sequence[_MarkdownRow]) -> str:
    lines: list[str] = []
    current_list = current_section = None
    for name, title, section, entry in rows:
        if name != current_list:
            current_list, current_section = name, None
            lines += [f"# {mdescape.text(title or name)}", ""]
        if section != current_section:
            current_section = section
            if current_section:
                lines += [f"## {mdescape.text(current_section)}", ""]
        lines += [entry, ""]
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


# The plain markdown's entries are written from a lean row: an entry whose values mdescape
# leaves as they are (most: at 100,000 entries, escaping each value on its own cost more than
# reading it) is written as it is, after one search over all of them; any other entry by
# `_markdown_entry`. Each value is `_markdown_entry`'s, NULL where it leaves a falsy one out
# (the date is cut in the loop: SQLite's substr stops at a NUL).
# tests/test_export_fast_paths.py holds the two to the same output.
_MARKDOWN_SQL = (
    """
SELECT l.name, l.title, e.section,
       coalesce(nullif(p.title, ''), nullif(e.noted_title, ''), nullif(e.arxiv_id, ''), '(untitled)') AS title,
       nullif(e.arxiv_id, '') AS arxiv_id, nullif(e.noted_venue, '') AS venue,
       p.published, e.noted_date,
       nullif(e.notes, '') AS notes, e.id
"""
    + _FROM_LISTED
)
_CODE_LINK_ROWS_SQL = (
    "SELECT entry_id, url, label, marker FROM entry_links WHERE role = 'code' ORDER BY entry_id, position"
)
# An arXiv ID whose abs URL mdescape writes as it is (weburl's plain URL: no escape, no parse).
_PLAIN_ID = re.compile(r"[A-Za-z0-9._~/-]+")


def markdown_rows(connection: sqlite3.Connection) -> list[_MarkdownRow]:
    """Every listed paper entry in list order, as `render_markdown` writes it."""
    codes: dict[int, list[str]] = {}
    for entry_id, url, label, marker in connection.execute(_CODE_LINK_ROWS_SQL):
        codes.setdefault(entry_id, []).append(_code_link({"url": url, "label": label, "marker": marker}))
    link, changed, plain_id, block_marks = abs_url(""), mdescape.CHANGED.search, _PLAIN_ID.fullmatch, " -+="
    written: list[_MarkdownRow] = []
    escaped: list[tuple[int, int]] = []  # (index in `written`, entry id)
    rows = connection.execute(_MARKDOWN_SQL)
    for name, list_title, section, title, arxiv_id, venue, published, noted_date, notes, entry_id in rows:
        date = (published or "")[:10] or noted_date
        # The values as mdescape.as_they_are tests them, inline: a call per entry costs as much as the test.
        values = f"{notes}\0{title}\0{venue}\0{date}"
        if (
            changed(values)
            or "  " in values
            or "\0 " in values
            or " \0" in values
            or values[0] in block_marks
            or values[-1] == " "
            or values[0].isdigit()
            or (arxiv_id and not plain_id(arxiv_id))
        ):
            escaped.append((len(written), entry_id))
            written.append((name, list_title, section, ""))
            continue
        entry = f"1. [{title}]({link}{arxiv_id})" if arxiv_id else f"1. {title}"
        if entry_id in codes:
            details = " ".join([*([venue] if venue else []), *([f"*{date}*"] if date else []), *codes[entry_id]])
        elif venue:
            details = f"{venue} *{date}*" if date else venue
        else:
            details = f"*{date}*" if date else ""
        if details:
            entry = f"{entry}\n   {details}"
        written.append((name, list_title, section, f"{entry}\n   {notes}" if notes else entry))
    entries = _entries_by_id(connection, [entry_id for _, entry_id in escaped])
    for index, entry_id in escaped:
        name, list_title, section, _ = written[index]
        written[index] = (name, list_title, section, "\n".join(_markdown_entry(entries[entry_id])))
    return written
