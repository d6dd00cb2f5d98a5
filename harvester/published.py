"""The published version of a paper, as the stored sources name it, for the exports.

Reads the `enrichments` table (Semantic Scholar's venue, journal, DOI and
citations; Hugging Face's official code) through a read-only connection and
decides, purely, what kind of publication it is and in which year.

Decisions:
- Semantic Scholar's venue wins over arXiv's `journal_ref`: it names the venue
  the same way for every paper; the `journal_ref` is free text the authors typed.
- The kind is Semantic Scholar's `publicationVenue.type` when it gives one
  (`conference` or `journal`); else a name with "Conference", "Proceedings",
  "Workshop" or "Symposium" in it is a proceedings volume, any other journal
  name a journal, and a bare venue name a conference.
- The year is one written in the venue's names or its DBLP key, else one written
  beside the same venue in arXiv's comment or journal reference ("Published as
  a conference paper at ICLR 2016"), else the source's (often the preprint's).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .enrich.huggingface import NAME as HF_NAME
from .enrich.semantic_scholar import NAME as S2_NAME
from .venues import find_venues, venue_identity

Kind = Literal["inproceedings", "article"]

_PROCEEDINGS = re.compile(r"\b(?:conference|proceedings|workshops?|symposium|meeting)\b", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


@dataclass(frozen=True)
class Published:
    """Where a paper was published: `venue` is the booktitle or the journal."""

    kind: Kind
    venue: str
    year: int | None
    doi: str | None
    volume: str | None = None
    pages: str | None = None


@dataclass(frozen=True)
class Enriched:
    """What the enrichments add to one paper, for any export."""

    published: Published | None = None
    doi: str | None = None  # the published version's, from any source
    code_url: str | None = None
    citation_count: int | None = None


_NOTHING = Enriched()


def read_enrichment(connection: sqlite3.Connection, papers: Sequence[dict[str, Any]]) -> dict[str, Enriched]:
    """arXiv ID -> what the stored `found` answers say; papers need arxiv_id, comment, journal_ref, doi."""
    by_paper: dict[str, dict[str, dict[str, Any]]] = {}
    for (arxiv_id, source), row in _found_rows(connection).items():
        by_paper.setdefault(arxiv_id, {})[source] = row
    result = {}
    for paper in papers:
        arxiv_id = paper["arxiv_id"]
        sources = by_paper.get(arxiv_id)
        if sources is None and not paper.get("journal_ref"):
            # Nothing stored and no journal reference: all there is to add is arXiv's own DOI
            # (what `enriched` decides for it, without deciding; most papers at scale).
            doi = paper.get("doi")
            result[arxiv_id] = Enriched(doi=doi) if doi is not None else _NOTHING
            continue
        sources = sources or {}
        result[arxiv_id] = enriched(paper, sources.get(S2_NAME), _code_url(sources))
    return result


def enriched(paper: dict[str, Any], s2: dict[str, Any] | None, code_url: str | None) -> Enriched:
    published = from_semantic_scholar(s2, paper) if s2 else None
    if published is None and paper.get("journal_ref"):
        published = from_journal_ref(paper["journal_ref"], paper.get("doi"))
    doi = (published.doi if published else None) or (s2 or {}).get("doi") or paper.get("doi")
    count = (s2 or {}).get("citation_count")
    return Enriched(published, doi, code_url, count if isinstance(count, int) else None)


def from_semantic_scholar(row: dict[str, Any], paper: dict[str, Any]) -> Published | None:
    """The published version a stored Semantic Scholar answer names; None for a preprint only."""
    venue, journal = row.get("venue"), row.get("journal")
    if not venue and not journal:
        return None
    raw = _raw(row.get("raw"))
    place, details = _object(raw.get("publicationVenue")), _object(raw.get("journal"))
    kind = _kind(place.get("type"), venue, journal)
    # A proceedings volume's own title ("2019 IEEE International Conference on Image
    # Processing (ICIP)") is what a booktitle holds; a bare journal name is a venue's alias.
    proceedings = journal if journal and _PROCEEDINGS.search(journal) else None
    name = (journal or venue) if kind == "article" else (proceedings or venue or journal)
    names = [*_names(row.get("venue_names")), *(n for n in (venue, journal) if n)]
    return Published(
        kind=kind,
        venue=str(name),
        year=_year(names, row.get("dblp_key"), row.get("year"), paper),
        doi=row.get("doi") or paper.get("doi"),
        volume=_detail(details.get("volume")),
        pages=_detail(details.get("pages")),
    )


def from_journal_ref(journal_ref: str, doi: str | None) -> Published:
    """arXiv's free-text journal reference, taken whole as the venue's name."""
    text = " ".join(journal_ref.split())
    year = _YEAR.search(text)
    kind: Kind = "inproceedings" if _PROCEEDINGS.search(text) else "article"
    return Published(kind, text, int(year.group()) if year else None, doi)


def _kind(declared: Any, venue: str | None, journal: str | None) -> Kind:
    if declared == "conference":
        return "inproceedings"
    if declared == "journal":
        return "article"
    if journal and not _PROCEEDINGS.search(journal) and not (venue and _PROCEEDINGS.search(venue)):
        return "article"
    return "inproceedings"


def _year(names: Sequence[str], dblp_key: str | None, source_year: Any, paper: dict[str, Any]) -> int | None:
    identity = venue_identity(names, dblp_key, None)
    if identity and identity.year:
        return identity.year
    known = {v.name for v in identity.known} if identity else set()
    for text in (paper.get("comment"), paper.get("journal_ref")):
        for mention in find_venues(text):
            if mention.name in known and mention.year:
                return mention.year
    return source_year if isinstance(source_year, int) else None


def _found_rows(connection: sqlite3.Connection) -> dict[tuple[str, str], dict[str, Any]]:
    exists = connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'enrichments'").fetchone()
    if not exists:  # a database no enrich step has shaped yet
        return {}
    cursor = connection.execute("SELECT * FROM enrichments WHERE status = 'found'")
    columns = [d[0] for d in cursor.description]
    found = (dict(zip(columns, row, strict=True)) for row in cursor.fetchall())
    return {(row["arxiv_id"], row["source"]): row for row in found}


def _code_url(sources: dict[str, dict[str, Any]]) -> str | None:
    """One paper's official code from its stored answers (source -> row)."""
    # Hugging Face names the official repository; any other source that stores one comes after it.
    ordered = [sources.get(HF_NAME)] + [row for source, row in sources.items() if source != HF_NAME]
    return next((r["code_url"] for r in ordered if r and r.get("code_url")), None)


def _names(stored: Any) -> Iterable[str]:
    try:
        names = json.loads(stored) if stored else []
    except ValueError:
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def _raw(text: Any) -> dict[str, Any]:
    try:
        return _object(json.loads(text) if text else {})
    except ValueError:
        return {}


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _detail(value: Any) -> str | None:
    text = " ".join(str(value).split()) if isinstance(value, str | int) else ""
    return text or None
