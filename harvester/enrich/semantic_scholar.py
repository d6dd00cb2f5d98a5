"""Semantic Scholar's Graph API: published venue, DOI, DBLP key and citation count.

One `POST /graph/v1/paper/batch?fields=...` with `{"ids": ["ARXIV:<id>", ...]}`
carries up to 500 papers; the answer is a list in request order with `null`
for papers Semantic Scholar does not know. Keys (`x-api-key`) come from
`SEMANTIC_SCHOLAR_API_KEY`; without one the shared anonymous pool often
answers 429, which the retries absorb.

Decisions: `venue` is the published venue, so preprint-only answers ("arXiv.org",
journal "ArXiv" or "CoRR") leave it empty; `venue_names` are all the names the
venue goes by (`venue`, `publicationVenue.name` and its `alternate_names`), so a
venue harvester's table does not know (IJCNN) still has an identity; `year` is stored but is often the
preprint's year, so it is never used to judge a venue's year; a 10.48550 DOI is
arXiv's own and is dropped.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from .base import Enrichment, PoliteHttpLike, is_arxiv_doi

if TYPE_CHECKING:
    import httpx

NAME = "semantic_scholar"
DEFAULT_URL = "https://api.semanticscholar.org"
BATCH_PATH = "/graph/v1/paper/batch"
FIELDS = "venue,publicationVenue,journal,year,externalIds,citationCount"
MAX_BATCH = 500
_PREPRINT_VENUES = frozenset({"arxiv", "arxiv.org", "corr", "biorxiv", "medrxiv"})


class SemanticScholar:
    name = NAME

    def __init__(self, base_url: str = DEFAULT_URL, api_key: str | None = None, batch_size: int = MAX_BATCH) -> None:
        self.url = base_url.rstrip("/") + BATCH_PATH
        self.api_key = api_key
        self.batch_size = max(1, min(batch_size, MAX_BATCH))

    def accepts(self, arxiv_id: str) -> bool:
        return True  # old-style IDs (math/0309136) work with the ARXIV: prefix too

    async def fetch(self, http: PoliteHttpLike, ids: Sequence[str]) -> AsyncIterator[list[Enrichment]]:
        for start in range(0, len(ids), self.batch_size):
            yield await self._batch(http, list(ids[start : start + self.batch_size]))

    async def _batch(self, http: PoliteHttpLike, ids: list[str]) -> list[Enrichment]:
        headers = {"x-api-key": self.api_key} if self.api_key else {}
        response = await http.send(
            "POST", f"{self.url}?fields={FIELDS}", headers=headers, json={"ids": [f"ARXIV:{i}" for i in ids]}
        )
        if response.status_code != 200:
            return failed(ids, f"HTTP {response.status_code}{_hint(response)}")
        try:
            return parse_batch(ids, response.json())
        except ValueError as error:  # json.JSONDecodeError is a ValueError
            return failed(ids, f"unreadable answer: {error}")


def parse_batch(ids: Sequence[str], payload: Any) -> list[Enrichment]:
    """The batch answer, matched to `ids` by position; ValueError when it cannot be."""
    if not isinstance(payload, list) or len(payload) != len(ids):
        raise ValueError(
            f"expected a list of {len(ids)} papers, got {type(payload).__name__}"
            + (f" of {len(payload)}" if isinstance(payload, list) else "")
        )
    return [parse_paper(arxiv_id, item) for arxiv_id, item in zip(ids, payload, strict=True)]


def parse_paper(arxiv_id: str, item: Any) -> Enrichment:
    if item is None:
        return Enrichment(arxiv_id, NAME, "not_found")
    if not isinstance(item, dict):
        raise ValueError(f"paper {arxiv_id}: expected an object, got {type(item).__name__}")
    external = item.get("externalIds") or {}
    doi = _text(external.get("DOI"))
    return Enrichment(
        arxiv_id=arxiv_id,
        source=NAME,
        status="found",
        raw=json.dumps(item, ensure_ascii=False, sort_keys=True),
        venue=_published(_text(item.get("venue")) or _text(_publication_venue(item).get("name"))),
        venue_names=venue_names(item),
        journal=_published(_text((item.get("journal") or {}).get("name"))),
        year=item.get("year") if isinstance(item.get("year"), int) else None,
        doi=None if doi is None or is_arxiv_doi(doi) else doi,
        dblp_key=_text(external.get("DBLP")),
        citation_count=item.get("citationCount") if isinstance(item.get("citationCount"), int) else None,
    )


def venue_names(item: dict[str, Any]) -> tuple[str, ...]:
    """The published venue's names: `venue`, then `publicationVenue`'s name and alternate names; () for a preprint."""
    place = _publication_venue(item)
    if place.get("type") == "repository" or not _published(_text(place.get("name"))):
        place = {}  # arXiv's own entry, whose alternate names are no venue
    alternates = place.get("alternate_names")
    candidates = [item.get("venue"), place.get("name"), *(alternates if isinstance(alternates, list) else [])]
    return tuple(dict.fromkeys(name for name in (_published(_text(c)) for c in candidates) if name))


def venue_names_from_raw(raw: str | None) -> tuple[str, ...]:
    """`venue_names` of a stored answer; () when it cannot be read."""
    try:
        item = json.loads(raw) if raw else None
    except ValueError:
        return ()
    return venue_names(item) if isinstance(item, dict) else ()


def _publication_venue(item: dict[str, Any]) -> dict[str, Any]:
    place = item.get("publicationVenue")
    return place if isinstance(place, dict) else {}


def failed(ids: Sequence[str], reason: str) -> list[Enrichment]:
    return [Enrichment(i, NAME, "failed", error=reason) for i in ids]


def _published(venue: str | None) -> str | None:
    if venue is None:
        return None
    folded = venue.casefold()
    if folded in _PREPRINT_VENUES or folded.startswith(("arxiv:", "arxiv ")):
        return None
    return venue


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    return None


def _hint(response: httpx.Response) -> str:
    text = " ".join(response.text[:80].split())
    return f" ({text!r})" if text else ""
