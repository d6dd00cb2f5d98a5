"""`suggest --add`: one paper added to a list in the section's own style, as a diff or written like `fix`.

The paper's title and v1 date come from the `papers` table; a paper not fetched
yet is fetched first through the usual harvest path (one request), so what is
written is always arXiv's. The list must be the file that was imported (same
sha256): the entry is planned against the imported text and written with
`fix`'s atomic write (temporary file + rename, `.bak` kept), then the list is
re-imported and reconciled.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from .errors import InputError
from .fix import Edit, FixError, FixPlan, write_fixes
from .importer import section_path_text
from .layout import PaperFacts, add_entry
from .publish import paper_facts
from .readinglist import ReadingList, Section, parse_reading_list


class AddError(InputError):
    """A paper that cannot be added as asked; nothing was written."""


@dataclass(frozen=True)
class AddPlan:
    fix: FixPlan  # one edit: the inserted lines
    section: tuple[str, ...]
    paper: PaperFacts
    line: int  # the new entry's first line

    def diff(self, cwd: Path | None = None) -> str:
        """A unified diff, the path relative to `cwd` (the current folder) behind a/ and b/."""
        name = os.path.relpath(self.fix.path, cwd or Path.cwd())
        before = self.fix.original.decode("utf-8").splitlines(keepends=True)
        after = self.fix.fixed().decode("utf-8").splitlines(keepends=True)
        lines = difflib.unified_diff(before, after, f"a/{name}", f"b/{name}")
        return "".join(
            line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n" for line in lines
        )


def plan_add(
    db: Database,
    path: Path | None,
    arxiv_id: str,
    section: str | None,
    fetch: Callable[[str], None] | None = None,
    cells: Mapping[str, str] | None = None,
) -> AddPlan:
    """Where and how `arxiv_id` goes into the list; raises AddError (or AddRefused) with the reason."""
    row = _list_row(db, path)
    paper = _paper(db, arxiv_id, fetch)
    data = Path(row["path"]).read_bytes() if Path(row["path"]).is_file() else None
    if data is None:
        raise AddError(f"{row['path']} cannot be read; nothing was written")
    if FixPlan(Path(row["path"]), row["id"], row["sha256"], data, ()).is_stale:
        raise AddError(f"{row['path']} changed since it was imported; run `harvester import` first")
    text = data.decode("utf-8")
    parsed = parse_reading_list(text)
    target = _section(parsed, section)
    added = add_entry(text, parsed, target, paper, cells)
    start = len(text[: added.offset].encode("utf-8"))
    edit = Edit(start, start, b"", added.inserted.encode("utf-8"), "add", f"add:{arxiv_id}", added.line)
    fix = FixPlan(Path(row["path"]), row["id"], row["sha256"], data, (edit,))
    return AddPlan(fix, target, paper, added.line)


def write_add(db: Database, plan: AddPlan, now: datetime) -> Path | None:
    """Write the entry atomically (backup kept), re-import the list and reconcile; the backup's path."""
    backups: list[Path | None] = []
    try:
        write_fixes(db, [plan.fix], now, lambda _plan, backup: backups.append(backup))
    except FixError as error:
        raise AddError(str(error)) from None
    return backups[0] if backups else None


def _list_row(db: Database, path: Path | None) -> dict[str, Any]:
    if path is not None:
        rows = list(db.query("SELECT * FROM lists WHERE path = ?", [str(path.resolve())]))
        if not rows:
            raise AddError(f"{path} has not been imported; run `harvester import {path}` first")
        return rows[0]
    rows = list(db.query("SELECT * FROM lists ORDER BY path"))
    if len(rows) != 1:
        raise AddError(f"{len(rows)} lists are imported: name the list to add to (PATH)")
    return rows[0]


def _paper(db: Database, arxiv_id: str, fetch: Callable[[str], None] | None) -> PaperFacts:
    facts = paper_facts(db.conn, [arxiv_id]).get(arxiv_id)
    if facts is None and fetch is not None:
        fetch(arxiv_id)
        facts = paper_facts(db.conn, [arxiv_id]).get(arxiv_id)
    if facts is None:
        raise AddError(f"arXiv has no paper {arxiv_id} (or it could not be fetched); nothing was written")
    return facts


def _section(parsed: ReadingList, wanted: str | None) -> tuple[str, ...]:
    """The section named by `--section`: its heading or its path, exactly, else the only one containing the text."""
    papers = [s for s in parsed.sections if s.is_paper_section]
    if wanted is None:
        with_entries = [s for s in papers if any(e.section_path == s.path for e in parsed.paper_entries)]
        if len(with_entries) == 1:
            return with_entries[0].path
        raise AddError(f"name the section with --section (one of: {_names(with_entries or papers)})")
    key = " ".join(wanted.split()).casefold()
    exact = [s for s in papers if key in (_folded(s.heading), _folded(section_path_text(s.path)))]
    found = exact or [s for s in papers if key in _folded(section_path_text(s.path))]
    if len(found) == 1:
        return found[0].path
    if not found:
        raise AddError(f"no paper section matches {wanted!r} (sections: {_names(papers)})")
    raise AddError(f"{len(found)} sections match {wanted!r}: {_names(found)}; give more of the heading")


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def _names(sections: list[Section]) -> str:
    shown = [repr(s.heading) for s in sections[:12]]
    return ", ".join(shown) + (", ..." if len(sections) > 12 else "")
