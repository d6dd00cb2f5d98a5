"""Safe findings -> span edits of the markdown file, shown as a diff or written atomically.

The file is never re-rendered: each edit replaces one span of the original bytes
(a title link's text, a date, a URL), found by its exact text inside the entry's
lines, and every other byte is copied as it was (line endings, trailing spaces,
zero-width spaces, front matter). Writing goes through a temporary file in the
same folder and `os.replace`, after checking the file is the one that was
imported; on any refusal nothing is changed.

What is written comes from strangers (arXiv titles, a server's redirect target),
so every replacement goes through `mdescape` for the place it lands: a title
stays link text, a URL stays one http(s) destination of the kind it replaces.
A URL that cannot be written there is skipped with the reason, never guessed.
Temporary files of a write that was killed are removed by the next write; a
temporary file is locked while it is written, so a running write's is never taken.
"""

from __future__ import annotations

import difflib
import errno
import hashlib
import logging
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from . import mdescape
from .errors import HarvesterError
from .importer import import_list, read_source
from .paths import relative_to_root
from .reconciling import run_reconcile
from .store import ensure_db_shape

try:
    import fcntl
except ImportError:  # not POSIX: leftovers are kept rather than risk taking a live write's file
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


class FixError(HarvesterError):
    """A fix that cannot be planned or written; nothing was changed."""


class ReadOnlyError(FixError):
    """The list (or its folder) cannot be written."""


class FileChangedError(FixError):
    """The list on disk is not the one the findings were made from."""


@dataclass(frozen=True)
class Edit:
    start: int  # byte offsets into the original file
    end: int
    old: bytes
    new: bytes
    kind: str
    finding_key: str
    line: int


@dataclass(frozen=True)
class Skipped:
    finding_key: str
    kind: str
    line: int
    reason: str


@dataclass(frozen=True)
class FixPlan:
    path: Path
    list_id: int
    imported_sha256: str  # lists.sha256: what the findings were made from
    original: bytes  # the file as read when planning
    edits: tuple[Edit, ...]
    skipped: tuple[Skipped, ...] = field(default_factory=tuple)

    @property
    def is_stale(self) -> bool:
        """The file changed after it was imported: re-import before fixing."""
        return _sha256(self.original) != self.imported_sha256

    def fixed(self) -> bytes:
        out, last = [], 0
        for edit in self.edits:
            out += [self.original[last : edit.start], edit.new]
            last = edit.end
        return b"".join(out) + self.original[last:]

    def diff(self, root: Path | None = None) -> str:
        """A unified diff of the file before and after the edits ("" when there are none).

        With the lists' `root`, the file is named relative to it (`a/lists/x.md`), so
        `git apply` run from the root applies it; without, by its bare name.
        """
        if not self.edits:
            return ""
        before = self.original.decode("utf-8").splitlines(keepends=True)
        after = self.fixed().decode("utf-8").splitlines(keepends=True)
        name = relative_to_root(self.path, root) if root is not None else self.path.name
        lines = difflib.unified_diff(before, after, f"a/{name}", f"b/{name}")
        return "".join(_diff_line(line) for line in lines)


def _diff_line(line: str) -> str:
    # The last line of a file without a final newline must not swallow the next diff line.
    if line.endswith(("\n", "\r")):
        return line
    return line + "\n\\ No newline at end of file\n"


# Finding kinds -> how to find the span to replace. A finding the editor cannot place
# exactly is skipped with a reason, never guessed.
Editor = Callable[["_Source", dict[str, Any]], "tuple[int, int, str] | str"]
SAFE_KINDS = ("title_typo", "title_outdated", "date_mismatch", "mirror_link", "moved_link")


def plan_fixes(db: Database, path: Path | None = None, kinds: set[str] | None = None) -> list[FixPlan]:
    """One plan per list that has open, fixable findings (only `path`'s list when given)."""
    wanted = _checked_kinds(kinds)
    plans = []
    for list_row in _lists(db, path):
        findings = _fixable_findings(db, list_row["id"], wanted)
        if findings:
            plans.append(_plan(list_row, findings))
    return plans


def write_fixes(
    db: Database,
    plans: list[FixPlan],
    now: datetime,
    on_written: Callable[[FixPlan, Path | None], None] = lambda *_: None,
) -> None:
    """Apply every plan with edits (atomically, keeping a backup), re-import those lists, reconcile once.

    `on_written(plan, backup)` is told of each file as soon as it is in place.
    """
    for plan in plans:
        if not plan.edits:
            continue
        on_written(plan, apply_fix(plan))
        import_list(db, read_source(plan.path), now)
    run_reconcile(db, now=now)
    ensure_db_shape(db)


def apply_fix(plan: FixPlan, backup: bool = True) -> Path | None:
    """Write the plan's edits; keeps `<file>.bak` when `backup`. Returns the backup path.

    Refuses (FileChangedError, ReadOnlyError) without changing anything when the file
    differs from the imported one or from the planned one, or cannot be written.
    """
    if not plan.edits:
        return None
    current = _read(plan.path)
    if _sha256(current) != plan.imported_sha256:
        raise FileChangedError(
            f"{plan.path} changed since it was imported; run `harvester import` and "
            "`harvester reconcile` again before fixing (nothing was written)"
        )
    if current != plan.original:
        raise FileChangedError(f"{plan.path} changed since the fix was planned (nothing was written)")
    _check_writable(plan.path)
    remove_stale_temp_files(plan.path)
    backup_path = plan.path.with_name(plan.path.name + ".bak") if backup else None
    if backup_path is not None:
        _atomic_write(backup_path, current, plan.path)
    _atomic_write(plan.path, plan.fixed(), plan.path)
    return backup_path


# --- planning ------------------------------------------------------------------------


def _checked_kinds(kinds: set[str] | None) -> tuple[str, ...]:
    if kinds is None:
        return SAFE_KINDS
    unknown = sorted(set(kinds) - set(EDITORS))
    if unknown:
        raise FixError(f"cannot fix {', '.join(unknown)}: fixable kinds are {', '.join(sorted(EDITORS))}")
    return tuple(sorted(kinds))


def _lists(db: Database, path: Path | None) -> list[dict[str, Any]]:
    if path is None:
        return list(db.query("SELECT * FROM lists ORDER BY path"))
    rows = list(db.query("SELECT * FROM lists WHERE path = ?", [str(Path(path).resolve())]))
    if not rows:
        raise FixError(f"{path} has not been imported; run `harvester import {path}` first")
    return rows


def _fixable_findings(db: Database, list_id: int, kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    marks = ", ".join("?" for _ in kinds)
    sql = f"""
        SELECT f.*, e.line AS entry_line, e.end_line AS entry_end_line
        FROM findings f JOIN entries e ON e.id = f.entry_id
        WHERE f.list_id = ? AND f.resolved_at IS NULL AND e.removed_at IS NULL
          AND f.kind IN ({marks}) AND f.suggestion IS NOT NULL
        ORDER BY f.line, f.key
    """
    found = list(db.query(sql, [list_id, *kinds]))
    if "moved_link" in kinds:
        found += _moved_links(db, list_id)
    return found


def _moved_links(db: Database, list_id: int) -> list[dict[str, Any]]:
    """Links that moved for good (every hop permanent): the link checker's verdicts, not findings."""
    from .links.history import problem_findings

    entry_lines = {
        row["id"]: (row["line"], row["end_line"])
        for row in db.query("SELECT id, line, end_line FROM entries WHERE list_id = ?", [list_id])
    }
    moved = []
    for problem in problem_findings(db):
        if problem["kind"] != "moved_link" or problem["list_id"] != list_id or not problem["suggestion"]:
            continue
        first, last = entry_lines[problem["entry_id"]]
        moved.append({**problem, "entry_line": first, "entry_end_line": last})
    return moved


def _plan(list_row: dict[str, Any], findings: list[dict[str, Any]]) -> FixPlan:
    path = Path(list_row["path"])
    source = _Source(_read(path))
    edits: list[Edit] = []
    skipped: list[Skipped] = []
    for finding in findings:
        placed = EDITORS[finding["kind"]](source, finding)
        if isinstance(placed, str):
            skipped.append(Skipped(finding["key"], finding["kind"], finding["line"], placed))
        else:
            edits.append(source.edit(finding, *placed))
    accepted, overlapping = _without_overlaps(edits)
    skipped += [Skipped(e.finding_key, e.kind, e.line, "overlaps another edit") for e in overlapping]
    return FixPlan(path, list_row["id"], list_row["sha256"], source.data, tuple(accepted), tuple(skipped))


def _without_overlaps(edits: list[Edit]) -> tuple[list[Edit], list[Edit]]:
    accepted: list[Edit] = []
    rejected: list[Edit] = []
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if accepted and (accepted[-1].start, accepted[-1].end) == (edit.start, edit.end):
            if accepted[-1].new != edit.new:
                rejected.append(edit)
            continue  # two findings asking for the same change
        if accepted and edit.start < accepted[-1].end:
            rejected.append(edit)
            continue
        accepted.append(edit)
    return accepted, rejected


class _Source:
    """The file's text with character offsets of its lines, as the markdown parser numbers them."""

    def __init__(self, data: bytes) -> None:
        try:
            self.text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise FixError(f"not UTF-8 text (invalid byte at offset {error.start})") from error
        self.data = data
        self.starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", self.text)]

    def span_of_lines(self, first: int, last: int) -> tuple[int, int]:
        """Character span of lines first..last (1-based, inclusive), without the final break."""
        start = self.starts[min(first, len(self.starts)) - 1]
        end = self.starts[last] if last < len(self.starts) else len(self.text)
        return start, len(self.text[start:end].rstrip("\r\n")) + start

    def edit(self, finding: dict[str, Any], start: int, end: int, new: str) -> Edit:
        byte_start = len(self.text[:start].encode("utf-8"))
        byte_end = byte_start + len(self.text[start:end].encode("utf-8"))
        return Edit(
            byte_start,
            byte_end,
            self.data[byte_start:byte_end],
            new.encode("utf-8"),
            finding["kind"],
            finding["key"],
            finding["line"],
        )


def _entry_region(source: _Source, finding: dict[str, Any]) -> tuple[int, int]:
    return source.span_of_lines(finding["entry_line"], finding["entry_end_line"])


def _only(matches: list[tuple[int, int]], what: str) -> tuple[int, int] | str:
    if not matches:
        return f"{what} not found in the entry's lines"
    if len(matches) > 1:
        return f"{what} appears {len(matches)} times in the entry; not sure which to change"
    return matches[0]


def _title_edit(source: _Source, finding: dict[str, Any]) -> tuple[int, int, str] | str:
    start, end = _entry_region(source, finding)
    noted = finding["noted"] or ""
    region = source.text[start:end]
    labels = [
        (start + m.start(1), start + m.end(1))
        for m in re.finditer(r"\[((?:[^\[\]\\]|\\.)*)\]\(", region)
        if _unescape(m.group(1)) == noted
    ]
    placed = _only(labels, f"title link [{noted}]")
    if isinstance(placed, str):
        return placed
    return placed[0], placed[1], mdescape.link_text(finding["suggestion"])


def _date_edit(source: _Source, finding: dict[str, Any]) -> tuple[int, int, str] | str:
    start, end = _entry_region(source, finding)
    noted = finding["noted"] or ""
    region = source.text[start:end]
    in_urls = [m.span() for m in re.finditer(r"\]\([^)]*\)|<[^>\s]+>", region)]
    pattern = re.compile(r"(?<![\w/.\-])" + re.escape(noted) + r"(?![\w/\-])")
    dates = [
        (start + m.start(), start + m.end())
        for m in pattern.finditer(region)
        if not any(a <= m.start() < b for a, b in in_urls)
    ]
    placed = _only(dates, f"date {noted}")
    return placed if isinstance(placed, str) else (*placed, mdescape.text(finding["suggestion"]))


def _url_edit(source: _Source, finding: dict[str, Any]) -> tuple[int, int, str] | str:
    """Replace a link target; works for any finding whose `noted` is the URL as written."""
    start, end = _entry_region(source, finding)
    url = finding["noted"] or ""
    region = source.text[start:end]
    pattern = re.compile(r"(?<=[(<\s])" + re.escape(url) + r"(?=[)>\s\"'])")
    found = [(start + m.start(), start + m.end()) for m in pattern.finditer(region)]
    occurrence = _occurrence(finding["key"], url)
    if occurrence >= len(found):
        return f"link {url} not found in the entry's lines"
    first, last = found[occurrence]
    position = _url_position(source.text, first)
    try:
        return first, last, mdescape.url_in(position, finding["suggestion"])
    except mdescape.UnsafeForMarkdown as error:
        return f"suggested URL cannot be written as the {position}: {error}"


_INLINE_OPEN = re.compile(r"\]\(\s*$")
_ANGLE_OPEN = re.compile(r"(?:\]\(\s*|^ {0,3}\[(?:[^\]\\]|\\.)+\]:\s*)<$")
_REFERENCE_OPEN = re.compile(r"^ {0,3}\[(?:[^\]\\]|\\.)+\]:\s*$")


def _url_position(text: str, start: int) -> str:
    """Where in the markdown the URL at `start` stands, judged from its line up to it."""
    line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    before = text[line_start:start]
    if _ANGLE_OPEN.search(before):
        return mdescape.ANGLE
    if before.endswith("<"):
        return mdescape.AUTOLINK
    if _INLINE_OPEN.search(before):
        return mdescape.INLINE
    if _REFERENCE_OPEN.match(before):
        return mdescape.REFERENCE
    return mdescape.BARE


def _occurrence(key: str, url: str) -> int:
    """Which of several identical links in one entry: the reconciler suffixes `#n` after the URL."""
    match = re.search(re.escape(url) + r"#(\d+)$", key)
    return int(match.group(1)) if match else 0


EDITORS: dict[str, Editor] = {
    "title_typo": _title_edit,
    "title_outdated": _title_edit,
    "date_mismatch": _date_edit,
    "mirror_link": _url_edit,
    "moved_link": _url_edit,  # from the link checker: every hop was permanent
}


def _unescape(label: str) -> str:
    return " ".join(re.sub(r"\\(.)", r"\1", label).split())


# --- writing -------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise FixError(f"cannot read {path}: {error.strerror}") from error


def _check_writable(path: Path) -> None:
    # Mode bits as well as access(): a superuser may write anything, but a file marked
    # read-only says its owner does not want it changed.
    mode = path.stat().st_mode
    if not os.access(path, os.W_OK) or not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise ReadOnlyError(f"{path} is read-only; nothing was written")
    folder = path.parent
    if not os.access(folder, os.W_OK | os.X_OK) or not folder.stat().st_mode & stat.S_IWUSR:
        raise ReadOnlyError(f"cannot create files in {folder}; nothing was written")


def _atomic_write(target: Path, data: bytes, mode_from: Path) -> None:
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=_TEMP_SUFFIX)
    try:
        with os.fdopen(handle, "wb") as temp:
            # Held until the file is in place: a later cleanup knows this one is alive.
            if fcntl is not None:
                fcntl.flock(temp.fileno(), fcntl.LOCK_EX)
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
            os.chmod(temp_name, stat.S_IMODE(mode_from.stat().st_mode))
            os.replace(temp_name, target)
    except OSError as error:
        Path(temp_name).unlink(missing_ok=True)
        raise FixError(f"cannot write {target}: {error.strerror}") from error


# mkstemp's names: the prefix given, eight of its random characters, the suffix.
_TEMP_SUFFIX = ".tmp"
_TEMP_RANDOM = r"[a-z0-9_]{8}"


def stale_temp_files(path: Path) -> list[Path]:
    """Temporary files of an earlier write to `path` (or its backup) that no process is writing."""
    stale = []
    for candidate in _our_temp_files(path):
        with _abandoned(candidate) as abandoned:
            if abandoned:
                stale.append(candidate)
    return sorted(stale)


def remove_stale_temp_files(path: Path) -> None:
    """Remove what a killed `fix --write` left next to `path`; only names this module makes."""
    for candidate in _our_temp_files(path):
        with _abandoned(candidate) as abandoned:
            if abandoned:
                _remove_leftover(candidate)


def _remove_leftover(candidate: Path) -> None:
    try:
        candidate.unlink(missing_ok=True)
    except OSError as error:  # a leftover we cannot remove does not stop the fix
        log.warning("cannot remove %s, left by an interrupted write: %s", candidate, error.strerror)
        return
    log.info("removed %s, left by an interrupted write", candidate)


def _our_temp_files(path: Path) -> list[Path]:
    names = "|".join(re.escape(f".{name}.") for name in (path.name, path.name + ".bak"))
    pattern = re.compile(rf"(?:{names}){_TEMP_RANDOM}{re.escape(_TEMP_SUFFIX)}")
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return []
    return [
        Path(entry.path) for entry in entries if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)
    ]


@contextmanager
def _abandoned(candidate: Path) -> Iterator[bool]:
    """Whether no process holds `candidate`'s lock; the lock is held for the caller meanwhile."""
    if fcntl is None:
        yield False
        return
    try:
        handle = os.open(candidate, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            yield False
            return
        yield True
    finally:
        os.close(handle)
