"""How a list writes its entries, learned per section from the entries themselves.

What is learned is both described (numbering, title form, date format and
place, venue place, paper link, line breaks, code links, rating marks, table
columns, blank lines between entries, line endings) and kept as exemplars: the
section's own paper entries, simplest first, which `insert` copies the layout
from. A section without paper entries borrows the list's most common style.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..readinglist import Entry, ReadingList
from ..readinglist.parser import _column_kind
from .spans import LINE_END, hard_break, line_ending, placed_links

ITEM_MARKER = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>(?P<number>\d{1,9})[.)]|[-*+])(?P<space>[ \t]+)")
_DELIMITER_ROW = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_DIGIT = re.compile(r"\d")
_MONTH_NAME = re.compile(r"[A-Za-z]{3,9}")
_CHAIN_SEPARATOR = re.compile(r"[ \t]{0,2}[|,，;；/]?[ \t]{0,2}")


@dataclass(frozen=True)
class CodeForm:
    separator: str  # what stands between the link before and the code link, e.g. " | "
    label: str  # the code link's text, e.g. "code", "pytorch"
    marker: str | None  # a qualifier after it, e.g. "official"


@dataclass(frozen=True)
class Column:
    header: str
    kind: str  # "title" | "venue" | "code" | "date" | "notes" | "other"
    placeholders: tuple[str, ...]  # what the column's rows write for "nothing": "-", "" ...


@dataclass(frozen=True)
class SectionStyle:
    section: tuple[str, ...]
    kind: str  # "item" (a list item), "row" (a table row) or another block kind
    marker: str | None  # the first item's marker as written: "1.", "-", "*"
    numbering: str | None  # "repeated" (every item `1.`), "counting" (1., 2., 3.), "bullet"
    title_form: str  # "link" `[title](url)`, "bold-link" `**[title](url)**`, "text" (title, then a paper link), "none"
    date_format: str | None  # digits shown as letters: "*YYYY-MM-DD*", "YYYY-MM", "(Mon YYYY)"
    date_place: str | None  # "title line", "next line", "column"
    venue_place: str | None  # "before date", "after date", "own line", "column"
    paper_link: str | None  # the label of a separate link to the paper, e.g. "paper"
    line_break: str  # how an entry's lines end on purpose: "   ", "<br>", "" ...
    code_link: CodeForm | None
    rating: bool  # some entries carry rating marks
    columns: tuple[Column, ...]  # a table's columns, in order
    loose: bool  # a blank line between entries
    line_ending: str  # "\n" or "\r\n", as the list writes it
    exemplars: tuple[Entry, ...]  # the section's paper entries to copy the layout from, simplest first


def learn_styles(
    text: str, parsed: ReadingList, only: tuple[str, ...] | None = None
) -> dict[tuple[str, ...], SectionStyle]:
    """One style per section that holds paper entries (only `only`'s when given); the others borrow the commonest."""
    eol = line_ending(text)
    lines = LINE_END.split(text)
    by_section: dict[tuple[str, ...], list[Entry]] = {}
    for entry in parsed.entries:
        if only is None or entry.section_path == only:
            by_section.setdefault(entry.section_path, []).append(entry)
    styles: dict[tuple[str, ...], SectionStyle] = {}
    for section, entries in by_section.items():
        papers = [e for e in entries if e.is_paper]
        if papers:
            styles[section] = _learn(section, entries, papers, lines, eol, parsed)
    if styles and only is None:
        common = Counter((s.kind, s.title_form, s.date_format) for s in styles.values()).most_common(1)[0][0]
        borrowed = next(s for s in styles.values() if (s.kind, s.title_form, s.date_format) == common)
        for heading in parsed.sections:
            if heading.is_paper_section and heading.path not in styles:
                styles[heading.path] = _borrowed(borrowed, heading.path)
    return styles


def _borrowed(style: SectionStyle, section: tuple[str, ...]) -> SectionStyle:
    return SectionStyle(**{**style.__dict__, "section": section, "columns": (), "kind": "item"})


def _learn(
    section: tuple[str, ...],
    entries: list[Entry],
    papers: list[Entry],
    lines: list[str],
    eol: str,
    parsed: ReadingList,
) -> SectionStyle:
    kind = _kind(papers, lines)
    markers = [m for m in (ITEM_MARKER.match(lines[e.line - 1]) for e in entries) if m]
    columns = _columns(papers, lines) if kind == "row" else ()
    # A section dates its entries when most of them carry a date; a few dated ones are exceptions.
    dated = [e for e in papers if e.noted_date is not None]
    dated = dated if 2 * len(dated) >= len(papers) else []
    return SectionStyle(
        section=section,
        kind=kind,
        marker=markers[0].group("marker") if markers else None,
        numbering=_numbering(markers),
        title_form=_common(_title_form(e) for e in papers) or "none",
        date_format=_common(_date_format(e) for e in dated),
        date_place="column" if kind == "row" and dated else _common(_date_place(e) for e in dated),
        venue_place=_common(_venue_place(e, kind) for e in papers if e.noted_venue),
        paper_link=_common(_paper_label(e) for e in papers),
        line_break=_common(hard_break(lines[e.line - 1]) for e in papers if e.end_line > e.line) or "",
        code_link=_code_form(papers) or _code_form(parsed.paper_entries),
        rating=any(e.rating_text for e in papers),
        columns=columns,
        loose=_loose(entries) if len(entries) > 1 else _loose(list(parsed.entries)),
        line_ending=eol,
        exemplars=tuple(sorted(papers, key=lambda e: _simplicity(e, bool(dated)))),
    )


def _kind(papers: list[Entry], lines: list[str]) -> str:
    def kind_of(entry: Entry) -> str:
        first = lines[entry.line - 1]
        if ITEM_MARKER.match(first):
            return "item"
        return "row" if first.lstrip().startswith("|") else "other"

    return _common(kind_of(e) for e in papers) or "other"


def _numbering(markers: list[re.Match[str]]) -> str | None:
    numbers = [int(m.group("number")) for m in markers if m.group("number")]
    if not markers:
        return None
    if not numbers:
        return "bullet"
    if len(set(numbers)) == 1:
        return "repeated"
    return "counting" if all(b == a + 1 for a, b in zip(numbers, numbers[1:], strict=False)) else "repeated"


def _title_form(entry: Entry) -> str | None:
    title = next((link for link in entry.links if link.role == "title"), None)
    if title is not None:
        return "bold-link" if f"**[{title.label}" in entry.raw or f"__[{title.label}" in entry.raw else "link"
    return "text" if entry.noted_title else "none"


def _date_format(entry: Entry) -> str | None:
    assert entry.noted_date is not None
    written = entry.noted_date.text
    shape = _MONTH_NAME.sub(lambda m: "Mon" if len(m.group(0)) == 3 else "Month", written)
    shape = _DIGIT.sub(lambda m: "#", shape)
    shape = shape.replace("####", "YYYY", 1).replace("##", "MM", 1).replace("##", "DD", 1)
    for before, after in (("*", "*"), ("_", "_"), ("[", "]"), ("(", ")")):
        if f"{before}{written}{after}" in entry.raw:
            return f"{before}{shape}{after}"
    return shape


def _date_place(entry: Entry) -> str | None:
    assert entry.noted_date is not None
    first, _, rest = entry.raw.partition("\n")
    if entry.noted_date.text in first:
        return "title line"
    return "next line" if entry.noted_date.text in rest else None


def _venue_place(entry: Entry, kind: str) -> str | None:
    if kind == "row":
        return "column"
    venue = entry.noted_venue or ""
    at = entry.raw.find(venue)
    if entry.noted_date is None or at < 0:
        return "own line" if at >= 0 else None
    date_at = entry.raw.find(entry.noted_date.text)
    return "before date" if at < date_at else "after date"


def _paper_label(entry: Entry) -> str | None:
    return next((link.label for link in entry.links if link.role == "paper" and link.label), None)


def _code_form(entries: Sequence[Entry]) -> CodeForm | None:
    forms: Counter[CodeForm] = Counter()
    for entry in entries:
        placed = placed_links(entry.raw, entry.links)
        spans = sorted(placed.items(), key=lambda item: item[1].start)
        for number, (index, span) in enumerate(spans):
            link = entry.links[index]
            if link.role != "code" or number == 0:
                continue
            before = entry.raw[spans[number - 1][1].end : span.start]
            if not _CHAIN_SEPARATOR.fullmatch(before):
                continue  # text between the links (a table's cells, a sentence) is not a separator
            if link.marker and not entry.raw.startswith(f"-{link.marker}", span.end):
                continue  # only the `[label](url)-marker` form is repeated
            forms[CodeForm(before, link.label, link.marker)] += 1
    return forms.most_common(1)[0][0] if forms else None


def _columns(papers: list[Entry], lines: list[str]) -> tuple[Column, ...]:
    header_at = _header_line(papers[-1].line - 1, lines)
    if header_at is None:
        return ()
    headers = split_row(lines[header_at])
    rows = [split_row(lines[e.line - 1]) for e in papers]
    columns = []
    for index, header in enumerate(headers):
        values = [row[index].strip() for row in rows if index < len(row)]
        empty = tuple(dict.fromkeys(v for v in values if v in ("", "-", "—", "–", "N/A", "n/a")))
        columns.append(Column(header.strip(), _column_kind(header), empty))
    if columns and not any(c.kind == "title" for c in columns):
        columns[0] = Column(columns[0].header, "title", columns[0].placeholders)
    return tuple(columns)


def _header_line(row_index: int, lines: list[str]) -> int | None:
    for index in range(row_index, 0, -1):
        if _DELIMITER_ROW.match(lines[index]) and "-" in lines[index]:
            return index - 1
        if not lines[index].lstrip().startswith("|"):
            return None
    return None


def split_row(line: str) -> list[str]:
    """A table row's cells as written (padding kept), split at pipes that are not escaped."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    cells: list[str] = []
    current: list[str] = []
    escaped = False
    for char in body:
        if char == "|" and not escaped:
            cells.append("".join(current))
            current = []
        else:
            current.append(char)
        escaped = char == "\\" and not escaped
    cells.append("".join(current))
    return cells


def _loose(entries: list[Entry]) -> bool:
    """Most entries stand apart (a blank line between them); a one-entry section asks the whole list."""
    gaps = [
        b.line - a.end_line - 1 for a, b in zip(entries, entries[1:], strict=False) if a.section_path == b.section_path
    ]
    if not gaps:
        return False
    return Counter(gap > 0 for gap in gaps).most_common(1)[0][0]


def _simplicity(entry: Entry, dated: bool) -> tuple[int, int, int, int]:
    """Entries easiest to copy first: a title link and an arXiv ID, dated like the section, few links, no notes."""
    has_title = any(link.role == "title" and link.arxiv_id for link in entry.links)
    others = sum(1 for link in entry.links if link.role not in ("title", "paper"))
    return (
        0 if has_title and entry.arxiv_id else 1,
        0 if (entry.noted_date is not None) == dated else 1,
        others + (2 if entry.notes else 0) + (1 if entry.rating_text else 0),
        -entry.position,
    )


def _common(values: Iterable[str | None]) -> str | None:
    """The value most entries share (the first seen among equals); None when none has one."""
    counted = Counter(v for v in values if v)
    return counted.most_common(1)[0][0] if counted else None
