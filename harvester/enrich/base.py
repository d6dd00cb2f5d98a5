"""What every enrichment source shares: its settings, its answers, and the shape of a source.

A source (Semantic Scholar, Hugging Face; DBLP or OpenReview later) is an object
with a `name` and an async `fetch` that yields pages of `Enrichment`s. The
source parses answers; `http.PoliteHttp` does the waiting and retrying; `run.py`
decides what to ask and `store.py` keeps the answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from ..errors import HarvesterError

if TYPE_CHECKING:  # the settings are read by every command; httpx is loaded by those that ask
    import httpx

Status = Literal["found", "not_found", "failed"]


class EnrichmentUnavailable(HarvesterError):
    """A source could not be asked (down, throttling, refusing) after every retry."""


@dataclass(frozen=True)
class SourceSettings:
    base_url: str
    delay: float = 1.0  # seconds between the starts of two requests to this source
    api_key: str | None = field(default=None, repr=False)  # never in logs or reprs
    # Pooled connections have been seen to hang forever: always time out.
    timeout: float = 30.0  # seconds, for each read
    connect_timeout: float = 10.0  # seconds, for connecting (never more than `timeout`)
    max_attempts: int = 4  # per request, the first one included
    max_retry_after: float = 120.0  # cap on a server's Retry-After
    backoff_base: float = 2.0  # first backoff; doubles each retry, plus up to this much jitter
    backoff_max: float = 60.0


@dataclass(frozen=True)
class Enrichment:
    """What one source said about one paper; `raw` is the JSON it came in, as text."""

    arxiv_id: str
    source: str
    status: Status
    raw: str | None = None
    venue: str | None = None
    venue_names: tuple[str, ...] = ()  # every name the source gives the published venue, main one first
    journal: str | None = None
    year: int | None = None
    doi: str | None = None  # the published version's; never arXiv's own 10.48550 DOI
    dblp_key: str | None = None
    citation_count: int | None = None
    code_url: str | None = None
    error: str | None = None  # why a `failed` fetch failed


class Source(Protocol):
    """One enrichment service. `fetch` yields pages so each can be stored before the next request.

    It yields a `failed` Enrichment for IDs a request could not settle and raises
    EnrichmentUnavailable when the service cannot be reached at all; pages yielded
    before that are kept.
    """

    name: str

    def accepts(self, arxiv_id: str) -> bool: ...

    def fetch(self, http: PoliteHttpLike, ids: Sequence[str]) -> AsyncIterator[list[Enrichment]]: ...


class PoliteHttpLike(Protocol):
    requests_made: int

    async def send(
        self, method: str, url: str, *, headers: dict[str, str] | None = None, json: object = None
    ) -> httpx.Response: ...


def is_arxiv_doi(doi: str) -> bool:
    """arXiv's own DataCite DOI (10.48550/arXiv.<id>) names the preprint, not a publication."""
    return doi.strip().lower().startswith("10.48550/")
