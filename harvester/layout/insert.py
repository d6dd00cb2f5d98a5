"""One paper added at the end of a section, written the way that section writes its entries.

The section's own entries are the template: the simplest one is copied, its
title, paper links, date and venue replaced by the new paper's (the date
written like the note, links made canonical), and what belongs to that paper
alone (notes, rating marks, code and blog links) left out. A table section gets
a row whose every column is filled, or a refusal naming the column that
cannot be. Every byte of the list outside the inserted lines stays as it was,
and the result is parsed back before it is offered: an entry that would not
read back as the new paper (or would change any other entry) is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .. import mdescape
from ..errors import HarvesterError
from ..readinglist import Entry, ReadingList, parse_reading_list
from .curator import cell_spans, code_link, fitted_cell
from .dates import written_like
from .facts import PaperFacts
from .spans import LINE_END, entry_region, find_once, hard_break, inline_links, line_starts, placed_links
from .style import ITEM_MARKER, SectionStyle, learn_styles, split_row

# What stands between two links of a chain: ` | `, `, `, a space.
_SEPARATOR_BEFORE = re.compile(r"[ \t]*[|,，;；/][ \t]*$|[ \t]+$")
_SEPARATOR_AFTER = re.compile(r"^[ \t]*[|,，;；/][ \t]*|^[ \t]+")
_MARKER_AFTER = re.compile(r"^(?:-[^\s|\[\]()]+|\([^()\r\n]*\)|（[^（）\r\n]*）)")
# The parser may keep a bracket or a separator at a venue's edge (`] NIPS 2019`): not the venue's.
_NOT_VENUE = " \t[](){}（）【】|,;:，；：-–—"
_LEFTOVER = re.compile(r"^[\s|,，;；:：.\-–—]*(?:<br\s*/?>)?[\s]*$", re.IGNORECASE)


class AddRefused(HarvesterError, ValueError):
    """The paper cannot be added to that section in its style; the reason says why."""


@dataclass(frozen=True)
class Added:
    text: str  # the whole list with the entry in it
    offset: int  # where the inserted text starts (a character offset into the original)
    inserted: str  # exactly what was inserted
    line: int  # 1-based line of the new entry's first line


def add_entry(
    text: str,
    parsed: ReadingList,
    section: tuple[str, ...],
    paper: PaperFacts,
    extra: Mapping[str, str] | None = None,
) -> Added:
    """Insert `paper` at the end of `section` in the section's style; raises AddRefused with the reason."""
    listed = next((e for e in parsed.entries if paper.arxiv_id in e.arxiv_ids), None)
    if listed is not None:
        raise AddRefused(f"{paper.arxiv_id} is already in the list (line {listed.line})")
    style = learn_styles(text, parsed, only=section).get(section)
    entries = [e for e in parsed.entries if e.section_path == section]
    name = " / ".join(section) or "(before any heading)"
    if style is None or not entries:
        raise AddRefused(f"section {name!r} has no paper entries to learn its style from")
    last = entries[-1]
    starts = line_starts(text)
    _, at = entry_region(text, starts, last)
    gap = style.line_ending * (2 if style.loose and style.kind != "row" else 1)
    reason = "it has no paper entry with an arXiv link to copy"
    for candidate in _candidates(text, style, entries, paper, extra or {}):
        if isinstance(candidate, AddRefusal):
            reason = candidate.reason
            if style.kind == "row":
                break
            continue
        inserted = gap + candidate
        new_text = text[:at] + inserted + text[at:]
        line = last.end_line + gap.count(style.line_ending)
        problem = _reads_back(text, new_text, parsed, section, paper, line)
        if problem is None:
            return Added(new_text, at, inserted, line)
        reason = problem
    raise AddRefused(f"cannot add {paper.arxiv_id} to {name!r} in its style: {reason}")


@dataclass(frozen=True)
class AddRefusal:
    reason: str


def _candidates(
    text: str, style: SectionStyle, entries: list[Entry], paper: PaperFacts, extra: Mapping[str, str]
) -> list[str | AddRefusal]:
    if style.kind == "row":
        return [_row(text, style, paper, extra)]
    number = _next_number(style, text, entries)
    candidates: list[str | AddRefusal] = []
    for exemplar in style.exemplars:
        if exemplar.arxiv_id:
            copied = _item(exemplar, paper, number, style.venue_place)
            candidates += [copied, _title_line_only(copied)] if isinstance(copied, str) else [copied]
    return candidates


def _next_number(style: SectionStyle, text: str, entries: list[Entry]) -> str | None:
    if style.numbering != "counting":
        return None
    lines = LINE_END.split(text)
    numbers = [m.group("number") for m in (ITEM_MARKER.match(lines[e.line - 1]) for e in entries) if m]
    return str(int(numbers[-1]) + 1) if numbers and numbers[-1] else None


# --- a list item ------------------------------------------------------------------------


def _item(exemplar: Entry, paper: PaperFacts, number: str | None, venue_place: str | None) -> str | AddRefusal:
    raw = exemplar.raw
    placed = placed_links(raw, exemplar.links)
    areas = [(span.start, span.end) for span in inline_links(raw)]
    edits: list[tuple[int, int, str]] = []
    marker = ITEM_MARKER.match(raw)
    if marker is None:
        return AddRefusal("its entries are not list items")
    if number is not None and marker.group("number"):
        edits.append((marker.start("number"), marker.end("number"), number))
    url = mdescape.url_in(mdescape.INLINE, paper.url)
    titled = False
    for index, link in enumerate(exemplar.links):
        span = placed.get(index)
        if span is None:
            if link.role in ("title", "paper") or link.url in raw:
                return AddRefusal("a link of its entries cannot be placed in the text")
            continue
        if link.role == "title" and link.arxiv_id == exemplar.arxiv_id:
            edits.append((span.label_start, span.label_end, mdescape.link_text(paper.title)))
            edits.append((span.url_start, span.url_end, url))
            titled = True
        elif link.arxiv_id == exemplar.arxiv_id and link.role == "paper":
            edits.append((span.url_start, span.url_end, url))
        else:
            edits.append(_removal(raw, span.start, span.end))
    if not titled:
        if not exemplar.noted_title:
            return AddRefusal("its entries have no title to replace")
        found = find_once(raw.split("\n", 1)[0], exemplar.noted_title, areas)
        if found is None:
            return AddRefusal("the title of its entries cannot be placed in the text")
        edits.append((found[0], found[1], mdescape.text(paper.title)))
    for piece in _dated_pieces(raw, exemplar, paper, areas, venue_place):
        if isinstance(piece, AddRefusal):
            return piece
        edits.append(piece)
    return _cleaned(_apply(raw, edits), paper)


def _title_line_only(copied: str) -> str | AddRefusal:
    """The copy's first line cut after its title link (a note written on the title's line goes too)."""
    first, _, rest = copied.partition("\n")
    title = next(iter(inline_links(first)), None)
    if title is None:
        return AddRefusal("its title line holds no link")
    kept = first[: title.end] + hard_break(first.rstrip("\r")) + ("\r" if first.endswith("\r") else "")
    return kept + ("\n" + rest if rest else "")


def _dated_pieces(
    raw: str, exemplar: Entry, paper: PaperFacts, areas: list[tuple[int, int]], venue_place: str | None
) -> list[tuple[int, int, str] | AddRefusal]:
    pieces: list[tuple[int, int, str] | AddRefusal] = []
    venue = (exemplar.noted_venue or "").strip(_NOT_VENUE)
    if exemplar.noted_date is not None:
        date = written_like(exemplar.noted_date, paper.v1_date)
        found = find_once(raw, exemplar.noted_date.text, areas)
        if date is None or found is None:
            return [AddRefusal(f"its date {exemplar.noted_date.text!r} cannot be written for another paper")]
        pieces.append((found[0], found[1], date))
        emphasized = found[0] > 0 and raw[found[0] - 1] in "*_" and raw[found[1] : found[1] + 1] == raw[found[0] - 1]
        if venue_place == "before date" and paper.venue and not venue and emphasized:
            # The section writes venues before the date (`ICLR 2016 *2015-10-01*`); this copy had none.
            pieces.append((found[0] - 1, found[0] - 1, mdescape.text(paper.venue) + " "))
    if venue:
        found = find_once(raw, venue, areas)
        if found is None:
            return [AddRefusal("its venue cannot be placed in the text")]
        if paper.venue:
            pieces.append((found[0], found[1], mdescape.text(paper.venue)))
        else:
            end = found[1] + (1 if raw[found[1] : found[1] + 1] == " " else 0)
            pieces.append((found[0], end, ""))
    if exemplar.rating_text:
        found = find_once(raw, exemplar.rating_text, areas) or _first(raw, exemplar.rating_text)
        if found is not None:
            pieces.append((found[0], found[1], ""))
    for note in (exemplar.notes or "").splitlines():
        found = _first(raw, note.strip()) if note.strip() else None
        if found is not None and not any(a < found[1] and found[0] < b for a, b in areas):
            pieces.append((found[0], found[1], ""))
    return pieces


def _first(text: str, needle: str) -> tuple[int, int] | None:
    at = text.find(needle)
    return (at, at + len(needle)) if at >= 0 and text.count(needle) == 1 else None


def _removal(raw: str, start: int, end: int) -> tuple[int, int, str]:
    """A link that belongs to the copied entry alone, with its marker and the separator before it."""
    marker = _MARKER_AFTER.match(raw[end:])
    end += marker.end() if marker else 0
    line_start = max(raw.rfind("\n", 0, start), raw.rfind("\r", 0, start)) + 1
    before = _SEPARATOR_BEFORE.search(raw[line_start:start])
    if before is not None and before.start() > 0:
        return (line_start + before.start(), end, "")
    after = _SEPARATOR_AFTER.match(raw[end:])
    return (start, end + (after.end() if after else 0), "")


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    out, last = [], 0
    for start, end, new in sorted(edits):
        if start < last:
            continue
        out += [text[last:start], new]
        last = end
    return "".join(out) + text[last:]


def _cleaned(text: str, paper: PaperFacts) -> str:
    """The first line and the lines that say something of the new paper (a link, its date or venue).

    The rest (notes, rating marks, anchors, a line the copy emptied) belonged to the copied paper.
    """
    lines = LINE_END.split(text)
    breaks = LINE_END.findall(text)
    kept: list[str] = []
    for index, line in enumerate(lines):
        says = "](" in line or str(paper.v1_date.year) in line or bool(paper.venue and paper.venue in line)
        if index == 0 or (says and not _LEFTOVER.match(line)):
            kept.append(line + (breaks[index] if index < len(breaks) else ""))
    return "".join(kept).rstrip("\r\n")


# --- a table row --------------------------------------------------------------------------


def _row(text: str, style: SectionStyle, paper: PaperFacts, extra: Mapping[str, str]) -> str | AddRefusal:
    rows = [e for e in style.exemplars if e.raw.lstrip().startswith("|")]
    if not rows or not style.columns:
        return AddRefusal("its table has no header to read the columns from")
    example = max(rows, key=lambda e: e.position)
    line = example.raw.split("\n", 1)[0].rstrip("\r")
    cells = split_row(line)
    spans = cell_spans(line)
    dated = next((e.noted_date for e in style.exemplars if e.noted_date), None)
    written: list[str] = []
    for index, column in enumerate(style.columns):
        value = _cell_value(column.kind, column.header, column.placeholders, paper, extra, dated)
        if isinstance(value, AddRefusal):
            return value
        cell = cells[index] if index < len(cells) else "  "
        written.append(fitted_cell(cell, value))
    prefix = line[: spans[0][0]] if spans else "|"
    suffix = "|" if line.rstrip().endswith("|") else ""
    return prefix + "|".join(written) + suffix


def _cell_value(
    kind: str,
    header: str,
    placeholders: tuple[str, ...],
    paper: PaperFacts,
    extra: Mapping[str, str],
    dated: object,
) -> str | AddRefusal:
    given = extra.get(header)
    if given is not None:
        # The curator's own markdown for the cell (`W` in backticks): kept, but one line and one cell.
        return " ".join(given.split()).replace("|", "\\|")
    if kind == "title":
        return f"[{mdescape.link_text(paper.title)}]({mdescape.url_in(mdescape.INLINE, paper.url)})"
    if kind == "venue" and paper.venue:
        return mdescape.text(paper.venue)
    if kind == "code" and paper.code_url:
        link = code_link(paper.code_url, None)
        if link is not None:
            return link.strip()
    if kind == "date" and dated is not None:
        date = written_like(dated, paper.v1_date)  # type: ignore[arg-type]
        if date is not None:
            return date
    if placeholders:
        return placeholders[0]
    if kind == "code":
        return "-"  # no code is a fact, written the way tables of code links write it
    return AddRefusal(
        f"column {header!r} cannot be filled: every row gives it a value and harvester knows none "
        f"(give it: --cell '{header}=...')"
    )


# --- checking the result --------------------------------------------------------------------


def _reads_back(
    text: str, new_text: str, parsed: ReadingList, section: tuple[str, ...], paper: PaperFacts, line: int
) -> str | None:
    """None when the new text reads as the old plus the new entry; else what went wrong.

    Only the section's own stretch is parsed again (its heading up to the next heading): a heading
    closes every block before it, so nothing outside that stretch can read differently.
    """
    first, last = _stretch(parsed, section, text.count("\n") + 1)
    before = parse_reading_list(_lines(text, first, last))
    inserted = new_text.count("\n") - text.count("\n")
    after = parse_reading_list(_lines(new_text, first, last + inserted))
    added = [e for e in after.entries if e.arxiv_id == paper.arxiv_id]
    if len(added) != 1 or len(after.entries) != len(before.entries) + 1:
        return "the new entry does not read back as one entry"
    entry = added[0]
    if entry.section_path[-1:] != section[-1:] or entry.line + first - 1 != line:
        return "the new entry reads back in another section"
    if entry.noted_title is not None and " ".join(entry.noted_title.split()) != " ".join(paper.title.split()):
        return "the new entry's title reads back differently"
    copied_item = not entry.raw.lstrip().startswith("|")  # a row's notes are its other columns, given
    if copied_item and (entry.notes is not None or entry.rating_text is not None):
        return "the copy keeps notes of the entry it was copied from"
    others = [_fields(e) for e in after.entries if e is not entry]
    if others != [_fields(e) for e in before.entries]:
        return "the new entry would change how another entry reads"
    return None


def _stretch(parsed: ReadingList, section: tuple[str, ...], line_count: int) -> tuple[int, int]:
    """The 1-based lines from the section's heading to the line before the next heading."""
    headings = [s.line for s in parsed.sections]
    own = next((s.line for s in parsed.sections if s.path == section), 1)
    following = [line for line in headings if line > own]
    return own, (following[0] - 1 if following else line_count)


def _lines(text: str, first: int, last: int) -> str:
    starts = line_starts(text)
    end = starts[last] if last < len(starts) else len(text)
    return text[starts[first - 1] : end]


def _fields(entry: Entry) -> tuple[object, ...]:
    return (entry.section_path, entry.noted_title, entry.arxiv_id, entry.noted_date, entry.noted_venue, entry.notes)
