"""One enrichment run: ask each source about the listed papers that are due, store every page.

Sources run side by side (they are different services, each with its own
spacing). Nothing here raises because a service is down, throttling or
unknown: that source's summary carries the error and the run is `partial`;
what was stored before stays, and the next run asks again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlite_utils import Database

from .. import progress
from ..arxiv.client import user_agent
from ..errors import HarvesterError, InvalidArxivId
from ..harvest import listed_ids
from ..ids import parse_arxiv_id
from ..politeness import RateLimiter, describe_failure
from ..timeutil import utc_now
from ..tls import tls_context
from .base import Enrichment
from .config import SOURCES, EnrichConfig
from .http import PoliteHttp
from .store import due_ids, save_enrichments

# A service's limit is per user, not per run: every run in the process shares its source's limiter.
_LIMITERS: dict[str, RateLimiter] = {}


@dataclass(frozen=True)
class SourceSummary:
    source: str
    due: int = 0  # IDs whose stored answer was missing, failed or older than the age
    found: int = 0
    not_found: int = 0
    failed: int = 0
    not_asked: int = 0  # due, but the source stopped before reaching them
    unsupported: int = 0  # due, but the source has no use for such IDs (old-style IDs on Hugging Face)
    requests_made: int = 0
    error: str | None = None

    @property
    def partial(self) -> bool:
        return bool(self.error or self.failed or self.not_asked)


@dataclass(frozen=True)
class EnrichSummary:
    sources: tuple[SourceSummary, ...]

    @property
    def partial(self) -> bool:
        return any(s.partial for s in self.sources)

    @property
    def status(self) -> str:
        return "partial" if self.partial else "ok"

    @property
    def error(self) -> str | None:
        problems = [f"{s.source}: {s.error or f'{s.failed} failed'}" for s in self.sources if s.partial]
        return "; ".join(problems) or None

    @property
    def requests_made(self) -> int:
        return sum(s.requests_made for s in self.sources)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "partial": self.partial,
            "error": self.error,
            "requests_made": self.requests_made,
            "sources": {s.source: {k: v for k, v in asdict(s).items() if k != "source"} for s in self.sources},
        }


def run_enrich(
    db: Database,
    config: EnrichConfig,
    *,
    sources: Sequence[str] | None = None,
    all: bool = False,  # noqa: A002 - mirrors the CLI's --all
    now: datetime | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> EnrichSummary:
    """Enrich the listed papers from `sources` (default: config.sources); never raises for a service."""
    return asyncio.run(enrich(db, config, sources=sources, all=all, now=now, transport=transport))


async def enrich(
    db: Database,
    config: EnrichConfig,
    *,
    sources: Sequence[str] | None = None,
    all: bool = False,  # noqa: A002
    now: datetime | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    ids: Sequence[str] | None = None,
) -> EnrichSummary:
    """`run_enrich` for callers already inside an event loop; `ids` default to `papers_to_enrich`."""
    moment = now or utc_now()
    names = list(dict.fromkeys(config.sources if sources is None else sources))
    ids = papers_to_enrich(db) if ids is None else list(ids)
    async with make_http_client(config, transport) as client:
        results = await asyncio.gather(*(_run_source(db, client, config, name, ids, moment, all) for name in names))
    return EnrichSummary(tuple(results))


def papers_to_enrich(db: Database) -> list[str]:
    """Listed IDs arXiv has a paper for, canonical and unversioned, in list order."""
    if not db.table("papers").exists():
        return []
    known = {row["arxiv_id"] for row in db.query("SELECT arxiv_id FROM papers")}
    return [arxiv_id for arxiv_id in _listed_canonical(db) if arxiv_id in known]


def listed_to_enrich(db: Database) -> list[str]:
    """Listed IDs, canonical and unversioned, in list order, except those arXiv said it never had.

    What `refresh` asks the enrichment services about while arXiv is still being
    fetched: they need only the ID, and waiting for arXiv would add its whole
    fetch to the run. A listed ID arXiv does not know costs one "not found".
    """
    never_had: set[str] = set()
    if db.table("missing_papers").exists():
        never_had = {
            row["arxiv_id"]
            for row in db.query(
                "SELECT m.arxiv_id FROM missing_papers m WHERE NOT EXISTS "
                "(SELECT 1 FROM papers p WHERE p.arxiv_id = m.arxiv_id)"
            )
        }
    return [arxiv_id for arxiv_id in _listed_canonical(db) if arxiv_id not in never_had]


def _listed_canonical(db: Database) -> list[str]:
    """Every listed ID once, canonical and unversioned, in list order; a malformed one is left out."""
    wanted: dict[str, None] = {}
    for text in listed_ids(db):
        try:
            wanted.setdefault(parse_arxiv_id(text).id, None)
        except InvalidArxivId:
            continue
    return list(wanted)


def make_http_client(config: EnrichConfig, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The one AsyncClient a run shares between sources; per-source timeouts go on each request."""
    return httpx.AsyncClient(
        headers={"User-Agent": user_agent(config.contact), "Accept": "application/json"},
        follow_redirects=False,
        transport=transport,
        verify=tls_context(),
    )


def limiter_for(name: str) -> RateLimiter:
    if name not in _LIMITERS:
        _LIMITERS[name] = RateLimiter(budget=name in SOURCES and SOURCES[name].budget)
    return _LIMITERS[name]


async def _run_source(
    db: Database,
    client: httpx.AsyncClient,
    config: EnrichConfig,
    name: str,
    ids: list[str],
    now: datetime,
    refetch_all: bool,
) -> SourceSummary:
    if name not in SOURCES:
        return SourceSummary(name, error=f"unknown source {name!r}; known: {', '.join(SOURCES)}")
    settings = config.settings_for(name)
    source = SOURCES[name].build(settings)
    due = list(ids) if refetch_all else due_ids(db, name, ids, now, config.max_age, config.not_found_max_age)
    asked = [i for i in due if source.accepts(i)]
    http = PoliteHttp(client, name, settings, limiter_for(name))
    answers: list[Enrichment] = []
    error = None
    try:
        with progress.tracked(f"enrich {name}", len(asked), "papers") as task:
            async for page in source.fetch(http, asked):
                save_enrichments(db, page, now)
                answers.extend(page)
                task.advance(len(page))
    except (HarvesterError, httpx.HTTPError, ValueError) as exc:
        error = str(exc) if isinstance(exc, HarvesterError) else describe_failure(exc)
    return _summary(name, due, asked, answers, http.requests_made, error)


def _summary(
    name: str, due: list[str], asked: list[str], answers: list[Enrichment], requests: int, error: str | None
) -> SourceSummary:
    count = {status: sum(1 for a in answers if a.status == status) for status in ("found", "not_found", "failed")}
    return SourceSummary(
        source=name,
        due=len(due),
        found=count["found"],
        not_found=count["not_found"],
        failed=count["failed"],
        not_asked=len(asked) - len(answers),
        unsupported=len(due) - len(asked),
        requests_made=requests,
        error=error,
    )
