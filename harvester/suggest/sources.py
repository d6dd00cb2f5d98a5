"""The two places candidates come from, read into `Candidate`s.

- Semantic Scholar's recommendations: `POST /recommendations/v1/papers?fields=...&limit=N`
  with `{"positivePaperIds": ["ARXIV:<id>", ...], "negativePaperIds": [...]}`; the
  answer is `{"recommendedPapers": [{paperId, externalIds, title, abstract,
  publicationDate}, ...]}`. Papers without an arXiv ID are left out. Sent through
  the enrichment client (`enrich.http.PoliteHttp`): its spacing, retries and limiter.
- arXiv's search (`search_query`, newest first), through `arxiv.client.ArxivClient`
  and its process-wide limiter.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ..arxiv.client import ArxivClient
from ..enrich.base import PoliteHttpLike
from ..errors import HarvesterError, InvalidArxivId
from ..ids import parse_arxiv_id
from ..vocabulary import Source
from .profile import Candidate

RECOMMENDATIONS_PATH = "/recommendations/v1/papers"
RECOMMENDATION_FIELDS = "externalIds,title,abstract,publicationDate,year"
MAX_RECOMMENDATIONS = 500  # the API's own cap on `limit`


class SourceFailed(HarvesterError):
    """A source answered, but not with candidates (a refusal, an unreadable answer)."""


async def recommendations(
    http: PoliteHttpLike,
    base_url: str,
    positives: Sequence[str],
    negatives: Sequence[str],
    limit: int,
    api_key: str | None = None,
) -> list[Candidate]:
    url = f"{base_url.rstrip('/')}{RECOMMENDATIONS_PATH}?fields={RECOMMENDATION_FIELDS}&limit={min(limit, MAX_RECOMMENDATIONS)}"
    body = {
        "positivePaperIds": [f"ARXIV:{i}" for i in positives],
        "negativePaperIds": [f"ARXIV:{i}" for i in negatives],
    }
    response = await http.send("POST", url, headers={"x-api-key": api_key} if api_key else {}, json=body)
    if response.status_code != 200:
        text = " ".join(response.text[:120].split())
        raise SourceFailed(f"Semantic Scholar recommendations answered HTTP {response.status_code}: {text}")
    try:
        return parse_recommendations(response.json())
    except ValueError as error:
        raise SourceFailed(f"Semantic Scholar recommendations: unreadable answer: {error}") from error


def parse_recommendations(payload: Any) -> list[Candidate]:
    """The arXiv papers of a recommendations answer; ValueError when it is not one."""
    if not isinstance(payload, dict) or not isinstance(payload.get("recommendedPapers"), list):
        raise ValueError("expected an object with a recommendedPapers list")
    found: dict[str, Candidate] = {}
    for item in payload["recommendedPapers"]:
        if not isinstance(item, dict):
            continue
        arxiv_id = _arxiv_id((item.get("externalIds") or {}).get("ArXiv"))
        title = _text(item.get("title"))
        if arxiv_id is None or title is None:
            continue
        found.setdefault(
            arxiv_id,
            Candidate(
                arxiv_id=arxiv_id,
                title=title,
                abstract=_text(item.get("abstract")) or "",
                published=_date(item.get("publicationDate")),
                categories=(),
                source=Source.SEMANTIC_SCHOLAR.value,
            ),
        )
    return list(found.values())


async def arxiv_search(client: ArxivClient, query: str, limit: int) -> list[Candidate]:
    feed = await client.search(query, max_results=limit)
    return [
        Candidate(
            arxiv_id=paper.arxiv_id,
            title=paper.title,
            abstract=paper.abstract,
            published=paper.published,
            categories=paper.categories,
            source=Source.ARXIV.value,
        )
        for paper in feed.papers
    ]


def _arxiv_id(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_arxiv_id(value).id
    except InvalidArxivId:
        return None


def _text(value: Any) -> str | None:
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        return None
