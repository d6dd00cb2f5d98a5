"""Reading lists on disk -> the lists, sections, entries and entry_links tables.

Every file is read (and checked to be UTF-8 text) before the database is
touched, so a bad input leaves the database exactly as it was; each is parsed
only when its turn comes and its hash is new, one at a time. Entries keep a stable identity across
edits (`entry_key`): an edited entry is updated in place, a deleted one gets
`removed_at`, and an unchanged file writes nothing at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from .errors import InputError
from .readinglist import Entry, ReadingList, parse_reading_list
from .store import insert_row
from .timeutil import iso

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
SECTION_SEPARATOR = " / "

# Columns that describe what the curator wrote; a change in them is an edit.
CONTENT_COLUMNS = (
    "section",
    "raw",
    "is_paper",
    "noted_title",
    "arxiv_id",
    "arxiv_ids",
    "noted_date",
    "noted_date_precision",
    "noted_year",
    "noted_month",
    "noted_day",
    "noted_venue",
    "rating",
    "rating_text",
    "notes",
)
LOCATION_COLUMNS = ("position", "line", "end_line")
LINK_COLUMNS = ("position", "url", "label", "role", "line", "arxiv_id", "arxiv_version", "marker")


@dataclass(frozen=True)
class SourceList:
    path: Path  # absolute
    text: str
    sha256: str
    size: int

    def parse(self) -> ReadingList:
        """Parsed on demand, never kept: a list whose hash is already stored is never parsed,
        and importing many lists holds one parsed list at a time."""
        return parse_reading_list(self.text.removeprefix("\ufeff"))


@dataclass(frozen=True)
class ImportResult:
    path: str
    name: str
    status: str  # new | updated | unchanged
    entries: int
    paper_entries: int
    sections: int
    added: int = 0
    updated: int = 0
    removed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def discover(paths: Sequence[Path]) -> list[Path]:
    """Files named directly, and the markdown files under folders, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file or directory")
        if path.is_dir():
            in_folder = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in MARKDOWN_SUFFIXES)
            if not in_folder:
                raise InputError(f"{path}: no markdown files (*.md) in this directory")
            found.extend(in_folder)
        elif not path.is_file():
            raise InputError(f"{path}: not a regular file ({_file_kind(path)}); only files are read as lists")
        else:
            found.append(path)
    unique = dict.fromkeys(p.resolve() for p in found)
    return list(unique)


def _file_kind(path: Path) -> str:
    mode = path.stat().st_mode
    for test, kind in (
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return kind
    return "not a plain file"


def _read_regular_file(path: Path) -> bytes:
    """The bytes of `path`, refusing anything but a regular file without ever blocking on it.

    O_NONBLOCK makes opening a named pipe return at once instead of waiting for a
    writer; the kind is then checked on the open descriptor, so a file swapped in
    between the check and the read cannot slip through.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise InputError(f"{path}: not a regular file ({_file_kind(path)}); only files are read as lists")
        return handle.read()


def read_source(path: Path) -> SourceList:
    try:
        data = _read_regular_file(path)
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror})") from error
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text (invalid byte at offset {error.start})") from error
    if "\x00" in text:
        raise InputError(f"{path}: binary file, not markdown")
    return SourceList(
        path=path.resolve(),
        text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )


def import_lists(db: Database, sources: Iterable[SourceList], now: datetime) -> list[ImportResult]:
    """Each list in turn: its parsed form is dropped before the next is parsed, so memory
    stays that of the largest list, whatever the number of lists."""
    return [import_list(db, source, now) for source in sources]


def import_list(db: Database, source: SourceList, now: datetime) -> ImportResult:
    existing = _list_row(db, source.path)
    if existing and existing["sha256"] == source.sha256:
        return _unchanged(db, source, int(existing["id"]))
    parsed = source.parse()
    with db.atomic():
        list_id = _save_list_row(db, source, parsed, existing, now)
        _sync_sections(db, list_id, parsed, now)
        added, updated, removed = _sync_entries(db, list_id, parsed, now)
    return ImportResult(
        path=str(source.path),
        name=source.path.name,
        status="updated" if existing else "new",
        entries=len(parsed.entries),
        paper_entries=len(parsed.paper_entries),
        sections=len(parsed.sections),
        added=added,
        updated=updated,
        removed=removed,
    )


def entry_keys(entries: Sequence[Entry]) -> list[str]:
    """Stable identities: the paper's ID, else the title, else the text; repeats numbered."""
    seen: Counter[str] = Counter()
    keys = []
    for entry in entries:
        base = _identity(entry)
        seen[base] += 1
        keys.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return keys


def section_path_text(path: Sequence[str]) -> str:
    return SECTION_SEPARATOR.join(path)


def _identity(entry: Entry) -> str:
    if entry.arxiv_id:
        return f"arxiv:{entry.arxiv_id}"
    if entry.noted_title:
        return f"title:{_normalized(entry.noted_title)}"
    digest = hashlib.sha1(_normalized(entry.raw).encode()).hexdigest()[:16]
    return f"text:{digest}"


def _normalized(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s\u200b-\u200d\ufeff]+", " ", folded).strip()


def _list_row(db: Database, path: Path) -> dict[str, Any] | None:
    if not db.table("lists").exists():
        return None
    rows = list(db.query("SELECT * FROM lists WHERE path = ?", [str(path)]))
    return rows[0] if rows else None


def _unchanged(db: Database, source: SourceList, list_id: int) -> ImportResult:
    """The counts of what the same bytes stored last time, read back instead of parsing again."""
    entries, papers = db.execute(
        "SELECT count(*), coalesce(sum(is_paper), 0) FROM entries WHERE list_id = ? AND removed_at IS NULL", [list_id]
    ).fetchone()
    (sections,) = db.execute(
        "SELECT count(*) FROM sections WHERE list_id = ? AND removed_at IS NULL", [list_id]
    ).fetchone()
    return ImportResult(
        path=str(source.path),
        name=source.path.name,
        status="unchanged",
        entries=int(entries),
        paper_entries=int(papers),
        sections=int(sections),
    )


def _save_list_row(
    db: Database, source: SourceList, parsed: ReadingList, existing: dict[str, Any] | None, now: datetime
) -> int:
    row = {
        "path": str(source.path),
        "name": source.path.name,
        "title": parsed.title,
        "front_matter": json.dumps(parsed.front_matter, ensure_ascii=False),
        "sha256": source.sha256,
        "size": source.size,
        "imported_at": iso(now),
    }
    if existing:
        db.table("lists").update(existing["id"], row)
        return int(existing["id"])
    return insert_row(db, "lists", row)


def _sync_sections(db: Database, list_id: int, parsed: ReadingList, now: datetime) -> None:
    old = {r["path"]: r for r in db.query("SELECT * FROM sections WHERE list_id = ?", [list_id])}
    current: set[str] = set()
    for position, section in enumerate(parsed.sections):
        path = section_path_text(section.path)
        if path in current:
            continue  # a repeated heading: its entries file under the first one
        current.add(path)
        row = {
            "list_id": list_id,
            "path": path,
            "heading": section.heading,
            "level": section.level,
            "position": position,
            "line": section.line,
            "is_paper_section": int(section.is_paper_section),
            "removed_at": None,
        }
        if path in old:
            if any(old[path][k] != v for k, v in row.items()):
                db.table("sections").update(old[path]["id"], row)
        else:
            db.table("sections").insert(row)
    for path, row in old.items():
        if path not in current and row["removed_at"] is None:
            db.table("sections").update(int(str(row["id"])), {"removed_at": iso(now)})


def _sync_entries(db: Database, list_id: int, parsed: ReadingList, now: datetime) -> tuple[int, int, int]:
    old = {r["entry_key"]: r for r in db.query("SELECT * FROM entries WHERE list_id = ?", [list_id])}
    added = updated = 0
    keys = entry_keys(parsed.entries)
    for key, entry in zip(keys, parsed.entries, strict=True):
        row = _entry_row(entry)
        previous = old.get(key)
        if previous is None:
            new_row = {"list_id": list_id, "entry_key": key, **row, "first_seen": iso(now), "updated_at": iso(now)}
            entry_id = insert_row(db, "entries", new_row | {"removed_at": None})
            _replace_links(db, entry_id, entry)
            added += 1
            continue
        edited = any(previous[c] != row[c] for c in CONTENT_COLUMNS) or previous["removed_at"] is not None
        moved = any(previous[c] != row[c] for c in LOCATION_COLUMNS)
        if edited or moved:
            changes = dict(row, removed_at=None, **({"updated_at": iso(now)} if edited else {}))
            db.table("entries").update(previous["id"], changes)
        if edited:
            updated += 1
        if _links_differ(db, previous["id"], entry):
            _replace_links(db, int(previous["id"]), entry)
    removed = 0
    for key, previous in old.items():
        if key not in keys and previous["removed_at"] is None:
            db.table("entries").update(previous["id"], {"removed_at": iso(now)})
            removed += 1
    return added, updated, removed


def _entry_row(entry: Entry) -> dict[str, Any]:
    date = entry.noted_date
    return {
        "section": section_path_text(entry.section_path),
        "position": entry.position,
        "line": entry.line,
        "end_line": entry.end_line,
        "raw": entry.raw,
        "is_paper": int(entry.is_paper),
        "noted_title": entry.noted_title,
        "arxiv_id": entry.arxiv_id,
        "arxiv_ids": json.dumps(list(entry.arxiv_ids)),
        "noted_date": date.text if date else None,
        "noted_date_precision": date.precision if date else None,
        "noted_year": date.year if date else None,
        "noted_month": date.month if date else None,
        "noted_day": date.day if date else None,
        "noted_venue": entry.noted_venue,
        "rating": entry.rating,
        "rating_text": entry.rating_text,
        "notes": entry.notes,
    }


def _link_rows(entry: Entry) -> list[dict[str, Any]]:
    return [
        {
            "position": position,
            "url": link.url,
            "label": link.label,
            "role": link.role,
            "line": link.line,
            "arxiv_id": link.arxiv_id,
            "arxiv_version": link.arxiv_version,
            "marker": link.marker,
        }
        for position, link in enumerate(entry.links)
    ]


def _links_differ(db: Database, entry_id: int, entry: Entry) -> bool:
    columns = ", ".join(LINK_COLUMNS)
    stored = list(db.query(f"SELECT {columns} FROM entry_links WHERE entry_id = ? ORDER BY position", [entry_id]))
    return stored != _link_rows(entry)


def _replace_links(db: Database, entry_id: int, entry: Entry) -> None:
    db.execute("DELETE FROM entry_links WHERE entry_id = ?", [entry_id])
    rows = [{"entry_id": entry_id, **row} for row in _link_rows(entry)]
    if rows:
        db.table("entry_links").insert_all(rows)
