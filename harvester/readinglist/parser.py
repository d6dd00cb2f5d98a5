"""Markdown reading list -> ReadingList (sections, entries, links). Pure: text in, data out.

The records come first (other modules rely on their names), then the parsing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..ids import ArxivId, find_arxiv_ids_in_text
from . import fields
from .blocks import Candidate, Heading, blocks, markdown_parser
from .citations import citation_title
from .frontmatter import split_front_matter
from .inline import LINK, InlineText, RawLink
from .linkroles import is_code_host, label_role, link_arxiv_id, link_role
from .sections import CONTENTS, PAPERS, heading_kind


@dataclass(frozen=True)
class Link:
    url: str  # as written (after markdown unescaping)
    label: str  # the link text as written ("" for autolinks)
    role: str  # "title" | "paper" | "code" | "notes" | "related" | "other"
    line: int  # 1-based source line of the link
    arxiv_id: str | None = None  # canonical unversioned ID when the URL names an arXiv paper
    arxiv_version: int | None = None  # version named in the URL, if any
    marker: str | None = None  # a qualifier written right after the link, e.g. "official"


@dataclass(frozen=True)
class NotedDate:
    text: str  # exactly as written, e.g. "2019-05-24", "2019-05", "2019"
    precision: str  # "day" | "month" | "year"
    year: int
    month: int | None = None
    day: int | None = None


@dataclass(frozen=True)
class Section:
    heading: str  # heading text as written, e.g. "3 剪枝"
    path: tuple[str, ...]  # headings from the outermost down, e.g. ("附录", "A 参考资料")
    level: int  # 1 for "#", 2 for "##", ...
    line: int  # 1-based line of the heading
    is_paper_section: bool  # False for references, appendix, tools, ...


@dataclass(frozen=True)
class Entry:
    section_path: tuple[str, ...]  # path of the section that holds the entry (() before any heading)
    position: int  # 0-based order of the entry within the list
    line: int  # 1-based first source line of the entry
    end_line: int  # 1-based last source line of the entry
    raw: str  # the entry's source text, exactly as written
    is_paper: bool  # False for entries of non-paper sections and entries with no paper
    noted_title: str | None  # the title as the curator wrote it
    arxiv_id: str | None  # the entry's paper: the title link's ID, else the paper link's, else the first
    arxiv_ids: tuple[str, ...]  # every distinct arXiv ID the entry's links name, in order
    noted_date: NotedDate | None
    noted_venue: str | None  # e.g. "ICLR 2016 oral", "NIPS 2019 workshop"
    rating: int | None  # number of rating marks (e.g. "$\bullet \bullet$" -> 2)
    rating_text: str | None  # the rating marks as written
    notes: str | None  # free text (any language), stripped, lines joined with "\n"
    links: tuple[Link, ...] = field(default_factory=tuple)
    # The title link's text when the noted title was read from elsewhere: a
    # translated heading whose citation quotes the title, or a whole citation.
    title_as_written: str | None = None


@dataclass(frozen=True)
class ReadingList:
    title: str | None  # front matter title, else the first heading, else None
    front_matter: dict[str, str]  # top-level "key: value" pairs of a YAML front matter, as text
    sections: tuple[Section, ...]
    entries: tuple[Entry, ...]

    @property
    def paper_entries(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.is_paper)


def parse_reading_list(text: str) -> ReadingList:
    """Parse a markdown reading list. Never raises on any str input."""
    source_lines = _LINE_BREAK.split(text)
    front_matter, front_lines = split_front_matter(source_lines)
    # Front matter lines are blanked, not cut, so that line numbers stay the file's.
    body = "\n" * front_lines + "\n".join(line[:MAX_LINE_READ] for line in source_lines[front_lines:])
    events = blocks(_MARKDOWN, body.translate(_INVISIBLE))
    sections, entries = _assemble(events, _Source(text))
    title = front_matter.get("title", "").translate(_INVISIBLE).strip() or None
    if title is None and sections:
        title = sections[0].heading or None
    return ReadingList(title, front_matter, tuple(sections), tuple(entries))


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# markdown-it-py costs up to ~20 microseconds a character on hostile text
# (`[ [ [ ...`), so only this much of each line is read as markdown: far more
# than any hand-written entry, and a 10 MB line then costs seconds, not minutes.
# The entry's `raw` text still holds the whole line as written.
MAX_LINE_READ = 100_000
_MARKDOWN = markdown_parser()
# Zero-width characters hide inside titles and dates in hand-kept lists; the
# control characters are dropped because the inline pass uses them as markers.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\x01"))


@dataclass
class _Open:
    section: Section
    contents: bool  # a table of contents: closed by the next heading of any level


class _Source:
    """The text as written, sliced by line numbers with its own line endings kept."""

    def __init__(self, text: str) -> None:
        self.text = text
        breaks = list(_LINE_BREAK.finditer(text))
        self.starts = [0] + [match.end() for match in breaks]
        self.ends = [match.start() for match in breaks] + [len(text)]

    def lines(self, first: int, last: int) -> str:
        first, last = max(first, 1), min(last, len(self.starts))
        if first > last:
            return ""
        return self.text[self.starts[first - 1] : self.ends[last - 1]]


def _assemble(events: list[Heading | Candidate], source: _Source) -> tuple[list[Section], list[Entry]]:
    sections: list[Section] = []
    entries: list[Entry] = []
    stack: list[_Open] = []
    for event in events:
        if isinstance(event, Heading):
            stack = _open_section(stack, event)
            sections.append(stack[-1].section)
        else:
            current = stack[-1].section if stack else None
            entries.append(_entry(event, current, len(entries), source))
    return sections, entries


def _open_section(stack: list[_Open], heading: Heading) -> list[_Open]:
    kept = [s for s in stack if not s.contents]
    while kept and kept[-1].section.level >= heading.level:
        kept.pop()
    parent = kept[-1].section if kept else None
    kind = heading_kind(heading.text)
    is_paper = kind == PAPERS and (parent is None or parent.is_paper_section)
    path = (parent.path if parent else ()) + (heading.text,)
    section = Section(heading.text, path, heading.level, heading.line, is_paper)
    return kept + [_Open(section, kind == CONTENTS)]


def _entry(candidate: Candidate, section: Section | None, position: int, source: _Source) -> Entry:
    lines = [line.text for line in candidate.text.lines]
    raw_links = candidate.text.links
    ids = [link_arxiv_id(link.url) for link in raw_links]
    title_index = _title_index(candidate, ids)
    marker_of, used = fields.markers(lines)
    roles = _roles(candidate, ids, title_index)
    links = tuple(
        _link(link, roles[i], ids[i], marker_of.get(i)) for i, link in enumerate(raw_links) if link.url or link.label
    )
    arxiv_ids = _distinct_ids(ids, candidate.text)
    arxiv_id = _main_id(ids, roles, title_index, arxiv_ids)
    date, venue, rating = _dated_fields(candidate, lines)
    used += [found.span for found in (venue, rating) if found is not None]
    if date is not None:
        used.append((date.line_index, date.start, date.end))
    title = _noted_title(candidate, raw_links, title_index, arxiv_ids)
    used += title.spans
    in_paper_section = section is None or section.is_paper_section
    names_paper = bool(arxiv_ids) or (title_index is not None and candidate.kind in ("item", "row"))
    return Entry(
        section_path=section.path if section else (),
        position=position,
        line=candidate.line,
        end_line=candidate.end_line,
        raw=source.lines(candidate.line, candidate.end_line),
        is_paper=in_paper_section and names_paper,
        noted_title=title.text,
        arxiv_id=arxiv_id,
        arxiv_ids=arxiv_ids,
        noted_date=_as_noted_date(date),
        noted_venue=venue.text if venue else _column_text(candidate, "venue"),
        rating=fields.rating_count(rating.text) if rating else None,
        rating_text=rating.text if rating else None,
        notes=_notes(candidate, lines, used),
        links=links,
        title_as_written=title.as_written,
    )


_COLUMN_KINDS = (
    ("title", re.compile(r"^(?:title|paper|papers|name|论文|名称|标题|题目)$")),
    ("venue", re.compile(r"^(?:venue|conference|conf\.?|publication|published|会议|期刊|出处)$")),
    ("code", re.compile(r"^(?:code|codes|implementation|implementations|github|代码)$")),
    ("date", re.compile(r"^(?:date|year|time|日期|时间|年份|发布日期|发表时间)$")),
    ("notes", re.compile(r"^(?:notes?|description|comments?|remarks?|summary|说明|备注|简介)$")),
)


@dataclass(frozen=True)
class _Cell:
    header: str
    kind: str  # "title" | "venue" | "code" | "date" | "notes" | "other"
    lines: range  # indexes into the candidate's lines
    links: range  # indexes into the candidate's links


def _cells(candidate: Candidate) -> list[_Cell]:
    if candidate.kind != "row":
        text = candidate.text
        return [_Cell("", "title", range(len(text.lines)), range(len(text.links)))]
    cells: list[_Cell] = []
    line_start = link_start = 0
    for header, text in candidate.cells:
        kind = _column_kind(header)
        line_end, link_end = line_start + len(text.lines), link_start + len(text.links)
        cells.append(_Cell(header, kind, range(line_start, line_end), range(link_start, link_end)))
        line_start, link_start = line_end, link_end
    if cells and not any(cell.kind == "title" for cell in cells):
        first = cells[0]
        cells[0] = _Cell(first.header, "title", first.lines, first.links)
    return cells


def _column_kind(header: str) -> str:
    name = " ".join(header.split()).strip(" *_`:").casefold()
    return next((kind for kind, pattern in _COLUMN_KINDS if pattern.match(name)), "other")


def _title_cell(candidate: Candidate) -> _Cell:
    return next(cell for cell in _cells(candidate) if cell.kind == "title")


def _title_index(candidate: Candidate, ids: list[ArxivId | None]) -> int | None:
    """The link whose text is the paper's title: the first link of the title's line, if it can be one."""
    cell = _title_cell(candidate)
    if not cell.lines or not cell.links:
        return None
    first = cell.links[0]
    link = candidate.text.links[first]
    on_title_line = link.line == candidate.text.lines[cell.lines[0]].number
    return first if on_title_line and _could_be_title(link, ids[first]) else None


# Link text that is only an arXiv ID names the paper, not its title.
_ID_ONLY = re.compile(
    r"^\s*(?:arxiv\s*[:：]?\s*)?(?:\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(?:v\d+)?\s*$", re.IGNORECASE | re.ASCII
)


def _could_be_title(link: RawLink, arxiv: ArxivId | None) -> bool:
    if link.bare or not link.label.strip() or link.url.startswith("#") or _ID_ONLY.match(link.label):
        return False
    if label_role(link.label) is not None:
        return False
    return arxiv is not None or not is_code_host(link.url)


def _roles(candidate: Candidate, ids: list[ArxivId | None], title_index: int | None) -> list[str]:
    roles = [link_role(link.label, link.url, ids[i]) for i, link in enumerate(candidate.text.links)]
    for cell in _cells(candidate):
        if cell.kind == "code":
            for index in cell.links:
                roles[index] = "paper" if ids[index] is not None else "code"
    if title_index is not None:
        roles[title_index] = "title"
    return roles


def _link(link: RawLink, role: str, arxiv: ArxivId | None, marker: str | None) -> Link:
    return Link(
        url=link.url,
        label=link.label,
        role=role,
        line=link.line,
        arxiv_id=arxiv.id if arxiv else None,
        arxiv_version=arxiv.version if arxiv else None,
        marker=marker,
    )


def _distinct_ids(ids: list[ArxivId | None], text: InlineText) -> tuple[str, ...]:
    mentioned = [arxiv.id for arxiv in ids if arxiv is not None]
    written = " ".join([line.text for line in text.lines] + [link.label for link in text.links])
    mentioned += [arxiv.id for arxiv in find_arxiv_ids_in_text(written.replace("\x00", " "))]
    return tuple(dict.fromkeys(mentioned))


def _main_id(
    ids: list[ArxivId | None], roles: list[str], title_index: int | None, arxiv_ids: tuple[str, ...]
) -> str | None:
    title_id = ids[title_index] if title_index is not None else None
    if title_id is not None:
        return title_id.id
    paper = next((arxiv for arxiv, role in zip(ids, roles, strict=True) if arxiv is not None and role == "paper"), None)
    if paper is not None:
        return paper.id
    return arxiv_ids[0] if arxiv_ids else None


def _dated_fields(
    candidate: Candidate, lines: list[str]
) -> tuple[fields.FoundDate | None, fields.FoundText | None, fields.FoundText | None]:
    rating = fields.rating(lines)
    if candidate.kind != "row":
        date = fields.noted_date(lines)
        return date, fields.venue(lines, date), rating
    date_cell = next((cell for cell in _cells(candidate) if cell.kind == "date"), None)
    date = fields.noted_date([lines[i] for i in date_cell.lines]) if date_cell else None
    # The date's span is about the date cell alone; row notes never read that cell.
    return (None if date is None else _without_span(date)), None, rating


def _without_span(date: fields.FoundDate) -> fields.FoundDate:
    return fields.FoundDate(date.text, date.precision, date.year, date.month, date.day, -1, 0, 0, False)


def _as_noted_date(date: fields.FoundDate | None) -> NotedDate | None:
    if date is None:
        return None
    return NotedDate(date.text, date.precision, date.year, date.month, date.day)


def _column_text(candidate: Candidate, kind: str) -> str | None:
    for cell in _cells(candidate):
        if cell.kind == kind and candidate.kind == "row":
            text = _cell_text(candidate, cell)
            if text and text not in ("-", "—", "–", "N/A", "n/a"):
                return text
    return None


def _cell_text(candidate: Candidate, cell: _Cell) -> str:
    labels = iter(candidate.text.links[i].label for i in cell.links)
    text = " ".join(candidate.text.lines[i].text for i in cell.lines)
    text = "".join(next(labels, "") if char == "\x00" else "" if char == "\x01" else char for char in text)
    return " ".join(text.split())


@dataclass(frozen=True)
class _Title:
    text: str | None  # the noted title
    spans: list[fields.Span]  # text the title took, kept out of the notes
    as_written: str | None = None  # the link text, when the title came from elsewhere


def _noted_title(
    candidate: Candidate, links: tuple[RawLink, ...], title_index: int | None, arxiv_ids: tuple[str, ...]
) -> _Title:
    """The title as written: the title link's text, the citation inside it, or the text before the paper's link."""
    lines = [line.text for line in candidate.text.lines]
    cell = _title_cell(candidate)
    if title_index is not None:
        return _title_of_link(candidate, links[title_index].label.strip(), lines, cell.lines[0])
    if not arxiv_ids or not cell.lines:
        return _Title(None, [])
    return _title_before_link(lines, cell.lines[0])


def _title_of_link(candidate: Candidate, label: str, lines: list[str], index: int) -> _Title:
    quoted = _quoted_title(lines) if candidate.kind == "post" else None
    if quoted is not None:
        return _Title(quoted.text, quoted.spans, label)
    found = _link_title(label, lines, index)
    return _Title(found.text, found.spans, label if found.text != label else None)


def _title_before_link(lines: list[str], index: int) -> _Title:
    line = lines[index]
    written = fields.leading_text(line)
    title = _plain_title(written)
    end = line.find(LINK)
    span = (index, 0, len(line) if end < 0 else end)
    return _Title(title, [span] if title else [], written if title and title != written else None)


def _quoted_title(lines: list[str]) -> _Title | None:
    """The title a post's citation quotes (the post's heading may be a translation)."""
    for index, line in enumerate(lines[1:], start=1):
        title = citation_title(fields.leading_text(line))
        if title is not None:
            end = line.find(LINK)
            return _Title(title, [(index, 0, len(line) if end < 0 else end)])
    return None


# A list item's number right before the title link: two items ran together.
_ITEM_NUMBER_AT_END = re.compile(r"(?:^|\s)\d{1,3}[.)]$")


def _link_title(label: str, lines: list[str], index: int) -> _Title:
    """The title link's text, or the title it holds: a citation's title, the link text a stray `[` opened."""
    before = lines[index][: max(lines[index].find(LINK), 0)]
    stray = before.rfind("[")
    if stray < 0 or "]" in before[stray:]:
        return _Title(_plain_title(label), [])
    # `[Describing Textures [A Survey](url)`: the curator's link text starts at the stray `[`.
    opened = fields.leading_text(before[stray + 1 :])
    spans: list[fields.Span] = [(index, stray, stray + 1)]
    if _ITEM_NUMBER_AT_END.search(opened):
        return _Title(None, spans)  # whose title the link carries is anyone's guess
    spans = [(index, stray, len(before))]
    return _Title(_plain_title(f"{opened} {label}".strip()), spans)


def _plain_title(text: str) -> str | None:
    """`text` as a title: the title inside a citation; None for markdown debris or an ID."""
    title = citation_title(text) or text.strip()
    if not title or _ID_ONLY.match(title) or _unbalanced(title):
        return None
    return title


def _unbalanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += (char == "[") - (char == "]")
        if depth < 0:
            return True
    return depth != 0 or "](" in text


def _notes(candidate: Candidate, lines: list[str], used: list[fields.Span]) -> str | None:
    if candidate.kind == "heading":
        return None  # what a heading says beside its links is the section's name
    if candidate.kind != "row":
        return fields.notes(lines, used)
    parts: list[str] = []
    for cell in _cells(candidate):
        if cell.kind == "title":
            parts.append(fields.notes(lines, [s for s in used if s[0] in cell.lines] + _other_lines(lines, cell)) or "")
        elif cell.kind in ("notes", "other"):
            text = _column_text_any(candidate, cell)
            if text:
                parts.append(f"{cell.header}: {text}" if cell.kind == "other" and cell.header else text)
    return "\n".join(part for part in parts if part) or None


def _other_lines(lines: list[str], cell: _Cell) -> list[fields.Span]:
    return [(i, 0, len(line)) for i, line in enumerate(lines) if i not in cell.lines]


def _column_text_any(candidate: Candidate, cell: _Cell) -> str | None:
    text = _cell_text(candidate, cell)
    return text if text and text not in ("-", "—", "–") else None
