"""What the list layout needs from the outside: papers with their enrichment, list files as imported.

The layout itself (harvester/layout/) is pure; this module reads the database
and the list files for it. A list is regenerated in its own layout only from
the very file that was imported (same sha256) and only while the database's
entries still say what that file says; otherwise the export falls back to the
plain layout built from the database alone, and says why.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .errors import InputError
from .export import rows as query_rows
from .layout import PaperFacts
from .layout.awesome import render_awesome
from .layout.curator import regenerate
from .readinglist import ReadingList, parse_reading_list
from .venues import venue_identity

CURATOR = "curator"
AWESOME = "awesome"
PLAIN = "plain"

# Hugging Face names the repository its authors linked; Semantic Scholar's is a fallback.
_CODE_SOURCES = ("huggingface", "semantic_scholar")


@dataclass(frozen=True)
class ExportedList:
    name: str  # the list's file name, e.g. model-compression.md
    path: Path  # the list's own file
    text: str
    note: str | None = None  # why the list was not written in its own layout


def paper_facts(connection: sqlite3.Connection, ids: Sequence[str] | None = None) -> dict[str, PaperFacts]:
    """arXiv's title and v1 date of each stored paper (every one when `ids` is None), with venue and code."""
    sql = "SELECT arxiv_id, title, published FROM papers"
    params: list[Any] = []
    if ids is not None:
        sql += " WHERE arxiv_id IN (SELECT value FROM json_each(?))"  # any number of IDs, one parameter
        params = [json.dumps(list(ids))]
    enrichment = _enrichments(connection, ids)
    facts = {}
    for row in connection.execute(sql, params).fetchall():
        arxiv_id, title, published = row
        venue, code = enrichment.get(arxiv_id, (None, None))
        facts[arxiv_id] = PaperFacts(arxiv_id, title, date.fromisoformat(published[:10]), venue, code)
    return facts


def _enrichments(connection: sqlite3.Connection, ids: Sequence[str] | None) -> dict[str, tuple[str | None, str | None]]:
    try:
        found = query_rows(connection, "SELECT * FROM enrichments WHERE status = 'found'")
    except sqlite3.OperationalError:
        return {}  # a database that was never enriched
    wanted = set(ids) if ids is not None else None
    by_paper: dict[str, list[dict[str, Any]]] = {}
    for row in found:
        if wanted is None or row["arxiv_id"] in wanted:
            by_paper.setdefault(row["arxiv_id"], []).append(row)
    return {arxiv_id: (_venue(rows), _code(rows)) for arxiv_id, rows in by_paper.items()}


def _venue(rows: list[dict[str, Any]]) -> str | None:
    """The published venue with its year, when a source names one harvester knows (never "arXiv")."""
    for row in rows:
        names = json.loads(row.get("venue_names") or "[]") or [n for n in (row["venue"], row["journal"]) if n]
        identity = venue_identity(names, row.get("dblp_key"), row["year"])
        if identity is not None and identity.known:
            return identity.label()
    return None


def _code(rows: list[dict[str, Any]]) -> str | None:
    by_source = {row["source"]: row["code_url"] for row in rows if row["code_url"]}
    return next((by_source[s] for s in _CODE_SOURCES if s in by_source), None)


# --- markdown export ------------------------------------------------------------------------


def markdown_lists(
    connection: sqlite3.Connection,
    style: str,
    paths: Sequence[Path] = (),
    fallback: Callable[[str], str] | None = None,
) -> list[ExportedList]:
    """Each selected list (every imported one when `paths` is empty) written in `style`.

    `fallback(list_name)` renders a list in the plain layout when its own file cannot be used.
    """
    lists = _selected_lists(connection, paths)
    if style == PLAIN:  # from the database alone: no list file, no layout, no facts to place in one
        return [
            ExportedList(row["name"], Path(row["path"]), fallback(row["name"]) if fallback else "") for row in lists
        ]
    # Only the chosen lists' papers: one list of a hundred needs a hundredth of them.
    facts = paper_facts(connection, _papers_of(connection, [row["id"] for row in lists]) if paths else None)
    exported = []
    for row in lists:
        entries = _entry_rows(connection, row["id"])
        if style == AWESOME:
            text = render_awesome(row["title"] or row["name"], entries, facts)
            exported.append(ExportedList(row["name"], Path(row["path"]), text))
            continue
        source, problem = _own_file(row, entries) if style == CURATOR else (None, None)
        if source is None:
            text = fallback(row["name"]) if fallback else ""
            exported.append(ExportedList(row["name"], Path(row["path"]), text, problem))
            continue
        exported.append(ExportedList(row["name"], Path(row["path"]), regenerate(source[0], source[1], facts)))
    return exported


def _selected_lists(connection: sqlite3.Connection, paths: Sequence[Path]) -> list[dict[str, Any]]:
    every = query_rows(connection, "SELECT id, path, name, title, sha256 FROM lists ORDER BY name, path")
    if not paths:
        return every
    by_path = {row["path"]: row for row in every}
    chosen = []
    for path in paths:
        row = by_path.get(str(path.resolve()))
        if row is None:
            raise ListNotImported(f"{path} has not been imported; run `harvester import {path}` first")
        chosen.append(row)
    return chosen


def _papers_of(connection: sqlite3.Connection, list_ids: Sequence[int]) -> list[str]:
    """The arXiv IDs any entry of these lists names (removed ones too: a superset does no harm)."""
    found = connection.execute(
        "SELECT DISTINCT arxiv_id FROM entries WHERE arxiv_id IS NOT NULL "
        "AND list_id IN (SELECT value FROM json_each(?))",
        [json.dumps(list(list_ids))],
    )
    return [arxiv_id for (arxiv_id,) in found.fetchall()]


class ListNotImported(InputError):
    """A PATH given to `export` that is not an imported list."""


_ENTRY_SQL = """
SELECT e.section, e.position, e.arxiv_id, e.noted_title, e.noted_venue, e.notes, e.is_paper,
       (SELECT json_group_array(json_object('url', l.url, 'label', l.label, 'role', l.role, 'marker', l.marker))
          FROM (SELECT * FROM entry_links el WHERE el.entry_id = e.id ORDER BY el.position) l) AS links
FROM entries e WHERE e.list_id = ? AND e.removed_at IS NULL ORDER BY e.position
"""


def _entry_rows(connection: sqlite3.Connection, list_id: int) -> list[dict[str, Any]]:
    entries = []
    for row in query_rows(connection, _ENTRY_SQL.replace("?", str(int(list_id)))):
        row["links"] = json.loads(row["links"] or "[]")
        entries.append(row)
    return entries


def _own_file(row: dict[str, Any], entries: list[dict[str, Any]]) -> tuple[tuple[str, ReadingList] | None, str | None]:
    path = Path(row["path"])
    try:
        data = path.read_bytes()
    except OSError as error:
        return None, f"{path} cannot be read ({error.strerror}): exported in the plain layout"
    if hashlib.sha256(data).hexdigest() != row["sha256"]:
        return None, f"{path} changed since it was imported: exported in the plain layout (run `harvester import`)"
    text = data.decode("utf-8")
    parsed = parse_reading_list(text)
    if [_said(e) for e in _as_rows(parsed)] != [_said(e) for e in entries]:
        return None, f"the database's entries of {path} differ from the file: exported in the plain layout"
    return (text, parsed), None


def _as_rows(parsed: ReadingList) -> list[dict[str, Any]]:
    from .importer import section_path_text

    return [
        {
            "section": section_path_text(e.section_path),
            "arxiv_id": e.arxiv_id,
            "noted_title": e.noted_title,
            "noted_venue": e.noted_venue,
            "notes": e.notes,
            "links": [{"url": link.url, "role": link.role} for link in e.links],
        }
        for e in parsed.entries
    ]


def _said(entry: dict[str, Any]) -> tuple[Any, ...]:
    links = tuple((link["url"], link["role"]) for link in entry["links"])
    return (entry["section"], entry["arxiv_id"], entry["noted_title"], entry["noted_venue"], entry["notes"], links)


def write_markdown_files(exported: Sequence[ExportedList], folder: Path) -> list[Path]:
    """One file per list in `folder`, named as the list; never over a list's own file or twice to one name."""
    targets = [folder / item.name for item in exported]
    if len(set(targets)) != len(targets):
        raise InputError(f"two exported lists share a file name in {folder}; export them one PATH at a time")
    for item, target in zip(exported, targets, strict=True):
        if target.resolve() == item.path.resolve():
            raise InputError(f"{target} is the list itself; choose another --output-dir (nothing was written)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for item, target in zip(exported, targets, strict=True):
            target.write_text(item.text, encoding="utf-8", newline="")
    except OSError as error:
        raise InputError(f"cannot write into {folder}: {error.strerror}") from None
    return targets
