"""One suggest run: for each section of 3+ papers that is due, ask both sources, score, store.

The two sources are different services, so they run side by side; within one,
sections are asked one after another through that service's limiter (arXiv's
process-wide one, Semantic Scholar's shared with enrichment), so a refresh that
also fetches and enriches in the same event loop keeps every service's pace.
Nothing here raises because a service is down or refusing: that section and
source are recorded as failed, the summary is partial, what was stored stays,
and the next run asks again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import httpx
from sqlite_utils import Database

from ..arxiv.client import ArxivClient
from ..arxiv.client import make_http_client as arxiv_http_client
from ..enrich.http import PoliteHttp
from ..enrich.run import limiter_for
from ..enrich.run import make_http_client as json_http_client
from ..enrich.semantic_scholar import NAME as S2_NAME
from ..errors import HarvesterError, InputError, InvalidArxivId
from ..ids import parse_arxiv_id
from ..importer import discover
from ..politeness import describe_failure
from ..reconcile.model import TopicGlossary
from ..reconciling import load_inputs
from ..timeutil import utc_now
from ..vocabulary import SUGGESTION_SOURCES, Source
from .config import SuggestConfig
from .profile import Candidate, Profiles, Section, rank, search_query
from .sources import arxiv_search, recommendations
from .store import is_due, mark_listed, rejected_ids, save_answer, save_failure


@dataclass
class SourceTally:
    asked: int = 0  # sections asked
    fresh: int = 0  # sections not due
    failed: int = 0
    candidates: int = 0  # arXiv papers in the answers
    kept: int = 0  # scored, not listed, not rejected, fitting enough
    new: int = 0  # suggestions never seen before
    requests_made: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SuggestSummary:
    sections: int
    sources: dict[str, SourceTally]
    accepted: int  # open suggestions found listed since

    @property
    def partial(self) -> bool:
        return any(t.failed for t in self.sources.values())

    @property
    def status(self) -> str:
        return "partial" if self.partial else "ok"

    @property
    def error(self) -> str | None:
        return "; ".join(e for t in self.sources.values() for e in t.errors) or None

    @property
    def requests_made(self) -> int:
        return sum(t.requests_made for t in self.sources.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "partial": self.partial,
            "error": self.error,
            "sections": self.sections,
            "accepted": self.accepted,
            "requests_made": self.requests_made,
            "sources": {name: asdict(tally) for name, tally in self.sources.items()},
        }


def run_suggest(
    db: Database,
    config: SuggestConfig,
    *,
    list_ids: Sequence[int] | None = None,
    section: str | None = None,
    now: datetime | None = None,
) -> SuggestSummary:
    return asyncio.run(suggest(db, config, list_ids=list_ids, section=section, now=now))


async def suggest(
    db: Database,
    config: SuggestConfig,
    *,
    list_ids: Sequence[int] | None = None,
    section: str | None = None,
    now: datetime | None = None,
) -> SuggestSummary:
    """`run_suggest` for callers already in an event loop (refresh)."""
    moment = now or utc_now()
    inputs = load_inputs(db)
    profiles = Profiles(inputs.entries, inputs.papers, inputs.topics or TopicGlossary())
    sections = [
        replace(s, since=config.since)
        for s in profiles.sections()
        if (list_ids is None or s.list_id in list_ids) and (section is None or section.casefold() in s.name.casefold())
    ]
    listed = _every_listed_id(db)
    accepted = mark_listed(db, listed, moment)
    excluded = listed | rejected_ids(db)
    tallies = {name: SourceTally() for name in config.sources}
    jobs = []
    for name in config.sources:
        due = [s for s in sections if is_due(db, s, name, moment, config.max_age)]
        tallies[name].fresh = len(sections) - len(due)
        if due:
            jobs.append(_run_source(db, config, name, due, profiles, excluded, moment, tallies[name]))
    await asyncio.gather(*jobs)
    return SuggestSummary(len(sections), tallies, accepted)


async def _run_source(
    db: Database,
    config: SuggestConfig,
    name: str,
    sections: list[Section],
    profiles: Profiles,
    excluded: set[str],
    now: datetime,
    tally: SourceTally,
) -> None:
    if name == Source.SEMANTIC_SCHOLAR:
        await _ask_semantic_scholar(db, config, sections, profiles, excluded, now, tally)
    elif name == Source.ARXIV:
        await _ask_arxiv(db, config, sections, profiles, excluded, now, tally)
    else:
        tally.failed += len(sections)
        tally.errors.append(f"unknown suggestion source {name!r}; known: {', '.join(SUGGESTION_SOURCES)}")


async def _ask_semantic_scholar(
    db: Database,
    config: SuggestConfig,
    sections: list[Section],
    profiles: Profiles,
    excluded: set[str],
    now: datetime,
    tally: SourceTally,
) -> None:
    settings = config.enrich.settings_for(S2_NAME)
    async with json_http_client(config.enrich) as client:
        http = PoliteHttp(client, S2_NAME, settings, limiter_for(S2_NAME))
        for section in sections:
            negatives = profiles.negatives(section, config.negatives)
            query = json.dumps({"positive": list(section.papers), "negative": negatives})
            try:
                found = await recommendations(
                    http, settings.base_url, section.papers, negatives, config.per_source, settings.api_key
                )
            except (HarvesterError, httpx.HTTPError, ValueError) as error:
                _failed(db, section, Source.SEMANTIC_SCHOLAR, query, error, now, tally)
            else:
                _keep(db, section, Source.SEMANTIC_SCHOLAR, query, found, profiles, excluded, now, tally)
        tally.requests_made += http.requests_made


async def _ask_arxiv(
    db: Database,
    config: SuggestConfig,
    sections: list[Section],
    profiles: Profiles,
    excluded: set[str],
    now: datetime,
    tally: SourceTally,
) -> None:
    async with arxiv_http_client(config.arxiv) as http:
        client = ArxivClient(http, config.arxiv)
        for section in sections:
            query = search_query(section, section.since or section.newest, now)
            try:
                found = await arxiv_search(client, query, config.per_source)
            except (HarvesterError, httpx.HTTPError, ValueError) as error:
                _failed(db, section, Source.ARXIV, query, error, now, tally)
            else:
                _keep(db, section, Source.ARXIV, query, found, profiles, excluded, now, tally)
        tally.requests_made += client.requests_made


def _keep(
    db: Database,
    section: Section,
    source: str,
    query: str,
    found: list[Candidate],
    profiles: Profiles,
    excluded: set[str],
    now: datetime,
    tally: SourceTally,
) -> None:
    wanted = [c for c in found if c.arxiv_id not in excluded and _recent_enough(c, section.since)]
    ranked = rank(profiles.score(section, c) for c in wanted)
    tally.asked += 1
    tally.candidates += len(found)
    tally.kept += len(ranked)
    tally.new += save_answer(db, section, source, query, ranked, len(found), now)


def _recent_enough(candidate: Candidate, since: datetime | None) -> bool:
    """`--since` holds for both sources; a candidate without a date is kept."""
    return since is None or candidate.published is None or candidate.published >= since


def _failed(
    db: Database, section: Section, source: str, query: str, error: BaseException, now: datetime, tally: SourceTally
) -> None:
    message = str(error) if isinstance(error, HarvesterError) else describe_failure(error)
    tally.asked += 1
    tally.failed += 1
    tally.errors.append(f"{source} for {section.name!r}: {message}")
    save_failure(db, section, source, query, message, now)


def _every_listed_id(db: Database) -> set[str]:
    """Every arXiv ID any entry names, removed entries included: a removed paper was a no too."""
    if not db.table("entries").exists():
        return set()
    ids: set[str] = set()
    for row in db.query("SELECT arxiv_ids FROM entries"):
        for text in json.loads(row["arxiv_ids"] or "[]"):
            try:
                ids.add(parse_arxiv_id(text).id)
            except InvalidArxivId:
                continue
    return ids


def parse_since(text: str) -> datetime:
    """`--since 2024-01-31`: that day, 00:00 UTC; ValueError otherwise."""
    try:
        return datetime.combine(date.fromisoformat(text.strip()), time(), tzinfo=UTC)
    except ValueError:
        raise ValueError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def list_ids_of(db: Database, paths: Sequence[Path]) -> list[int]:
    """The imported lists among `paths` (files or folders); InputError naming one never imported."""
    wanted = discover(list(paths))
    known = (
        {row["path"]: row["id"] for row in db.query("SELECT id, path FROM lists")} if db.table("lists").exists() else {}
    )
    missing = [str(p) for p in wanted if str(p) not in known]
    if missing:
        raise InputError(f"{missing[0]}: not imported; run `harvester import` on it first")
    return [known[str(p)] for p in wanted]
