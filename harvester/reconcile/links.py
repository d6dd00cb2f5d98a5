"""Findings about an entry's links: retired mirrors, conflicting IDs, the same paper twice."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping

from ..errors import InvalidArxivId
from ..ids import abs_url, is_retired_mirror, parse_arxiv_url, pdf_url
from .model import (
    EntryInput,
    Finding,
    PaperInfo,
    entry_ids,
    finding,
)

# --- links -------------------------------------------------------------------------


def mirror_findings(entry: EntryInput) -> Iterator[Finding]:
    seen: Counter[str] = Counter()
    for link in sorted(entry.links, key=lambda link: link.position):
        if not is_retired_mirror(link.url):
            continue
        occurrence = seen[link.url]
        seen[link.url] += 1
        yield finding(
            entry,
            "mirror_link",
            link.arxiv_id or entry.arxiv_id,
            noted=link.url,
            suggestion=canonical_link(link.url),
            source="list",
            line=link.line,
            extra=link.url + (f"#{occurrence}" if occurrence else ""),
            detail="arXiv's mirrors (cn.arxiv.org and the others) were shut down on 2024-09-15; the link is dead",
        )


def canonical_link(url: str) -> str:
    """The arxiv.org link for a mirror URL: same ID and version, abs or pdf as before."""
    try:
        found = parse_arxiv_url(url)
    except InvalidArxivId:
        found = None
    if found is None:
        return re.sub(r"^[a-z]+://[^/]+", "https://arxiv.org", url.strip(), flags=re.IGNORECASE)
    is_pdf = re.search(r"^[a-z]+://[^/]+/+pdf/", url.strip(), re.IGNORECASE) is not None
    return pdf_url(found) if is_pdf else abs_url(found)


def id_conflict_findings(entry: EntryInput, papers: Mapping[str, PaperInfo]) -> Iterator[Finding]:
    # A link labelled as another paper ("Extension1") names that paper, not a second ID of this one.
    related = {link.arxiv_id for link in entry.links if link.role == "related"} - {entry.arxiv_id}
    ids = [arxiv_id for arxiv_id in entry_ids(entry) if arxiv_id not in related]
    if len(ids) < 2:
        return
    titles = [f"{i}: {papers[i].title}" for i in ids if i in papers]
    yield finding(
        entry,
        "id_conflict",
        entry.arxiv_id or ids[0],
        noted=", ".join(ids),
        arxiv_value="; ".join(titles) or None,
        source="list",
        detail=f"the entry's links name {len(ids)} different arXiv IDs ({', '.join(ids)}); "
        "keep the one that matches the title",
    )


def duplicate_findings(entries: Iterable[EntryInput]) -> Iterator[Finding]:
    first: dict[tuple[int, str], EntryInput] = {}
    for entry in sorted(entries, key=lambda e: (e.list_id, e.line)):
        if not entry.arxiv_id:
            continue
        earlier = first.setdefault((entry.list_id, entry.arxiv_id), entry)
        if earlier is entry:
            continue
        yield finding(
            entry,
            "duplicate_entry",
            entry.arxiv_id,
            noted=entry.noted_title,
            source="list",
            suggestion=f"keep one entry (also at line {earlier.line})",
            detail=f"{entry.arxiv_id} is also listed at line {earlier.line} (section {earlier.section!r})",
        )
