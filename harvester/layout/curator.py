"""A list regenerated in its curator's own layout, with what arXiv and enrichment know now.

The list's own text is the template: front matter, headings, paragraphs,
non-paper sections, notes, rating marks and every entry's layout stay as
written, and inside each paper entry only what has a better value changes:
the title link's text becomes arXiv's current title, links to retired mirrors
become canonical abs links, the noted date becomes v1's (written like the
note), and a venue or an official code link the entry lacks is added where
the section writes them. Everything written comes from strangers (arXiv,
Semantic Scholar, Hugging Face) and goes through `mdescape` for its place;
what cannot be written safely is left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .. import mdescape
from ..ids import RETIRED_MIRROR_HOSTS, host_of
from ..readinglist import Entry, Link, ReadingList
from .dates import written_like
from .facts import PaperFacts
from .spans import LinkSpan, entry_region, find_once, inline_links, line_starts, placed_links
from .style import CodeForm, SectionStyle, learn_styles, split_row

_PLACEHOLDERS = ("", "-", "—", "–", "N/A", "n/a")


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    new: str


def regenerate(text: str, parsed: ReadingList, facts: Mapping[str, PaperFacts]) -> str:
    """`text` with every paper entry brought up to date; every other byte as written."""
    styles = learn_styles(text, parsed)
    starts = line_starts(text)
    edits: list[_Edit] = []
    for entry in parsed.paper_entries:
        paper = facts.get(entry.arxiv_id or "")
        if paper is not None:
            start, end = entry_region(text, starts, entry)
            style = styles.get(entry.section_path)
            edits += [
                _Edit(start + e.start, start + e.end, e.new) for e in entry_edits(text[start:end], entry, paper, style)
            ]
    return _applied(text, edits)


def entry_edits(region: str, entry: Entry, paper: PaperFacts, style: SectionStyle | None) -> list[_Edit]:
    """Edits of one entry's text (offsets within it); none that overlap."""
    placed = placed_links(region, entry.links)
    areas = [(span.start, span.end) for span in inline_links(region)]
    edits = _title_edits(region, entry, paper, placed, areas)
    edits += _link_edits(entry.links, placed)
    edits += _bare_link_edits(region, entry.links, placed, areas)
    edits += _date_edits(region, entry, paper, areas)
    is_row = style is not None and style.kind == "row" and region.lstrip().startswith("|")
    if is_row and style is not None:
        edits += _row_edits(region, entry, paper, style)
    else:
        edits += _venue_edits(region, entry, paper, areas)
        edits += _code_edits(region, entry, paper, placed, style.code_link if style else None)
    return _without_overlaps(edits)


def _title_edits(
    region: str, entry: Entry, paper: PaperFacts, placed: dict[int, LinkSpan], areas: list[tuple[int, int]]
) -> list[_Edit]:
    if not entry.noted_title or entry.title_as_written is not None or region.lstrip().startswith("#"):
        # A title read from a citation, or a heading's (the heading names a section): rewriting
        # it would change more than the title.
        return []
    for index, link in enumerate(entry.links):
        span = placed.get(index)
        if link.role == "title" and link.arxiv_id in (None, entry.arxiv_id) and span is not None:
            if (
                span.label == " ".join(entry.noted_title.split())
                and "[" not in region[span.label_start : span.label_end]
            ):
                return [_Edit(span.label_start, span.label_end, mdescape.link_text(paper.title))]
            return []
    if any(link.role == "title" for link in entry.links):
        return []
    first_line = region.split("\n", 1)[0]
    found = find_once(first_line, entry.noted_title, areas)
    return [_Edit(found[0], found[1], mdescape.text(paper.title))] if found else []


def _link_edits(links: tuple[Link, ...], placed: dict[int, LinkSpan]) -> list[_Edit]:
    edits = []
    for index, link in enumerate(links):
        span = placed.get(index)
        if span is None or link.arxiv_id is None or host_of(link.url) not in RETIRED_MIRROR_HOSTS:
            continue
        edits.append(_Edit(span.url_start, span.url_end, canonical_url(link)))
    return edits


def _bare_link_edits(
    region: str, links: tuple[Link, ...], placed: dict[int, LinkSpan], areas: list[tuple[int, int]]
) -> list[_Edit]:
    """Mirror URLs written bare or as `<autolinks>` in the text: each occurrence becomes the abs link."""
    edits = []
    bare = {link.url: link for i, link in enumerate(links) if i not in placed and link.arxiv_id and link.url}
    for url, link in bare.items():
        if host_of(url) not in RETIRED_MIRROR_HOSTS:
            continue
        pattern = re.compile(r"(?<![^\s<(（])" + re.escape(url) + r"(?![\w/.\-])")
        for match in pattern.finditer(region):
            if not any(a <= match.start() < b for a, b in areas):
                edits.append(_Edit(match.start(), match.end(), canonical_url(link)))
    return edits


def canonical_url(link: Link) -> str:
    """The arxiv.org abs link for what a mirror link named (its version kept)."""
    version = f"v{link.arxiv_version}" if link.arxiv_version else ""
    return f"https://arxiv.org/abs/{link.arxiv_id}{version}"


def _date_edits(region: str, entry: Entry, paper: PaperFacts, areas: list[tuple[int, int]]) -> list[_Edit]:
    if entry.noted_date is None:
        return []
    new = written_like(entry.noted_date, paper.v1_date)
    if new is None or new == entry.noted_date.text:
        return []
    found = find_once(region, entry.noted_date.text, areas)
    return [_Edit(found[0], found[1], new)] if found else []


def _venue_edits(region: str, entry: Entry, paper: PaperFacts, areas: list[tuple[int, int]]) -> list[_Edit]:
    """A published venue the entry does not name goes right before its emphasized date, as in `ICLR 2016 *2015-10-01*`."""
    if entry.noted_venue or not paper.venue or entry.noted_date is None:
        return []
    for mark in ("*", "_"):
        found = find_once(region, f"{mark}{entry.noted_date.text}{mark}", areas)
        if found is not None:
            return [_Edit(found[0], found[0], mdescape.text(paper.venue) + " ")]
    return []


def _code_edits(
    region: str, entry: Entry, paper: PaperFacts, placed: dict[int, LinkSpan], form: CodeForm | None
) -> list[_Edit]:
    """The official code link after the entry's paper link (else its title link), in the list's code-link form."""
    if not paper.code_url or any(link.role == "code" for link in entry.links):
        return []
    anchor = next((placed[i] for i, link in enumerate(entry.links) if link.role == "paper" and i in placed), None)
    if anchor is None:
        anchor = next((placed[i] for i, link in enumerate(entry.links) if link.role == "title" and i in placed), None)
    link = code_link(paper.code_url, form)
    if anchor is None or link is None:
        return []
    return [_Edit(anchor.end, anchor.end, link)]


def code_link(url: str, form: CodeForm | None) -> str | None:
    """` | [code](url)-official` in the list's form; None when the URL cannot be written safely."""
    try:
        destination = mdescape.url_in(mdescape.INLINE, url)
    except mdescape.UnsafeForMarkdown:
        return None
    separator = form.separator if form else " "
    label = "Code" if form and form.label == "Code" else "code"
    marker = "-official" if form and form.marker == "official" else ""
    return f"{separator}[{label}]({destination}){marker}"


def _row_edits(region: str, entry: Entry, paper: PaperFacts, style: SectionStyle) -> list[_Edit]:
    """A table row: an empty venue or code cell gets what enrichment knows."""
    cells = cell_spans(region)
    edits = []
    for column, (start, end) in zip(style.columns, cells, strict=False):
        value = region[start:end].strip()
        if value not in _PLACEHOLDERS:
            continue
        new = None
        if column.kind == "venue" and paper.venue and not entry.noted_venue:
            new = mdescape.text(paper.venue)
        elif column.kind == "code" and paper.code_url and not any(link.role == "code" for link in entry.links):
            new = (code_link(paper.code_url, None) or "").strip() or None
        if new is not None:
            edits.append(_Edit(start, end, fitted_cell(region[start:end], new)))
    return edits


def cell_spans(row: str) -> list[tuple[int, int]]:
    """Where each cell of a table row sits (its padding included), in column order."""
    spans, position = [], row.index("|") + 1 if row.lstrip().startswith("|") else 0
    for cell in split_row(row):
        spans.append((position, position + len(cell)))
        position += len(cell) + 1
    return spans


def fitted_cell(cell: str, content: str) -> str:
    """`content` in a cell's padding: one space each side, or as wide as the cell was."""
    width = len(cell) - 2
    return f" {content.ljust(width)} " if width > len(content) else f" {content} "


def _without_overlaps(edits: list[_Edit]) -> list[_Edit]:
    kept: list[_Edit] = []
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if kept and edit.start < kept[-1].end:
            continue
        kept.append(edit)
    return kept


def _applied(text: str, edits: list[_Edit]) -> str:
    out, last = [], 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < last:
            continue
        out += [text[last : edit.start], edit.new]
        last = edit.end
    return "".join(out) + text[last:]
