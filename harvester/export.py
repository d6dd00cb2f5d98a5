"""The lists with their metadata, as BibTeX, CSV, JSON or a clean markdown list.

Reads through a read-only connection; rendering is pure. Everything the export
did not write itself (titles from arXiv, the list's headings, venues, notes, code
links) is escaped for its format: markdown through `mdescape`, so it adds no link
and no HTML; CSV cells that a spreadsheet would run as a formula get a leading `'`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import unicodedata
from collections import defaultdict
from enum import StrEnum
from typing import Any

from . import mdescape
from .ids import abs_url


class ExportFormat(StrEnum):
    BIBTEX = "bibtex"
    CSV = "csv"
    JSON = "json"
    MARKDOWN = "markdown"


FORMATS = tuple(ExportFormat)

_PAPERS_SQL = """
SELECT p.*, (
  SELECT json_group_array(a.name) FROM (
    SELECT au.name FROM paper_authors pa JOIN authors au ON au.id = pa.author_id
    WHERE pa.arxiv_id = p.arxiv_id ORDER BY pa.position) a
) AS author_names
FROM papers p
WHERE p.arxiv_id IN (SELECT arxiv_id FROM entries WHERE removed_at IS NULL AND arxiv_id IS NOT NULL)
ORDER BY p.published, p.arxiv_id
"""

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


def export(connection: sqlite3.Connection, fmt: str) -> str:
    if fmt == "bibtex":
        return render_bibtex(rows(connection, _PAPERS_SQL))
    entries = rows(connection, _ENTRIES_SQL)
    for entry in entries:
        entry["code_links"] = json.loads(entry["code_links"] or "[]")
    if fmt == "json":
        # One entry per line, each through json's C encoder (an indented dump takes its
        # pure-Python path, seconds at 100,000 entries).
        objects = ",\n".join(json.dumps(entry, ensure_ascii=False) for entry in entries)
        return f"[\n{objects}\n]\n" if entries else "[]\n"
    if fmt == "csv":
        return render_csv(entries)
    if fmt == "markdown":
        return render_markdown(entries)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


# --- BibTeX -------------------------------------------------------------------------

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_STOPWORDS = {"a", "an", "the", "on", "of", "for", "in", "and", "to", "with", "via", "towards", "is"}


def render_bibtex(papers: list[dict[str, Any]]) -> str:
    keys = bibtex_keys(papers)
    return "\n".join(_bibtex_record(paper, keys[paper["arxiv_id"]]) for paper in papers)


def bibtex_keys(papers: list[dict[str, Any]]) -> dict[str, str]:
    """`han2015deep`: first author's family name, v1 year, first title word; clashes get a, b, ..."""
    by_base: dict[str, list[str]] = defaultdict(list)
    for paper in sorted(papers, key=lambda p: p["arxiv_id"]):
        by_base[_key_base(paper)].append(paper["arxiv_id"])
    keys = {}
    for base, ids in by_base.items():
        for index, arxiv_id in enumerate(ids):
            keys[arxiv_id] = base if len(ids) == 1 else base + clash_suffix(index)
    return keys


def clash_suffix(index: int) -> str:
    """a, b, ..., z, then aa, ab, ... (as reference managers do): always letters, never past `z`."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def _key_base(paper: dict[str, Any]) -> str:
    authors = json.loads(paper.get("author_names") or "[]")
    family = _ascii_word(authors[0].split()[-1]) if authors else "anon"
    words = (_ascii_word(w) for w in re.split(r"[\s:\-–,]+", paper["title"]))  # lazily: the first word is enough
    first = next((w for w in words if w and w not in _STOPWORDS), "paper")
    return f"{family}{paper['published'][:4]}{first}"


def _ascii_word(word: str) -> str:
    folded = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


_LATEX_TABLE = str.maketrans(_LATEX_SPECIALS)


def _latex(text: str) -> str:
    return text.translate(_LATEX_TABLE)  # one pass in C: an export writes this for every paper


def _bibtex_record(paper: dict[str, Any], key: str) -> str:
    authors = json.loads(paper.get("author_names") or "[]")
    fields = [
        ("title", "{" + _latex(paper["title"]) + "}"),
        ("author", _latex(" and ".join(authors))),
        ("year", paper["published"][:4]),
        ("month", str(int(paper["published"][5:7]))),
        ("eprint", paper["arxiv_id"]),
        ("archivePrefix", "arXiv"),
        ("primaryClass", paper.get("primary_category")),
        ("url", abs_url(paper["arxiv_id"])),
        ("doi", paper.get("doi")),
        ("journal", _latex(paper["journal_ref"]) if paper.get("journal_ref") else None),
        ("note", _latex(paper["comment"]) if paper.get("comment") else None),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    kind = "article" if paper.get("journal_ref") else "misc"
    return f"@{kind}{{{key},\n{body}\n}}\n"


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
    head = "1. " + _markdown_link(title, link)
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


def _markdown_link(label: str, url: str | None) -> str:
    """`[label](url)`, or the label alone when the URL cannot be a safe http(s) link."""
    try:
        destination = mdescape.url_in(mdescape.INLINE, url) if url else None
    except mdescape.UnsafeForMarkdown:
        destination = None
    text = mdescape.link_text(label)
    return f"[{text}]({destination})" if destination else text


def _code_link(code: dict[str, Any]) -> str:
    marker = f"-{mdescape.text(code['marker'])}" if code["marker"] else ""
    return _markdown_link(code["label"] or "code", code["url"]) + marker
