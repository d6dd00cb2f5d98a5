"""Link health: check the links of the reading lists, politely, and keep their history.

`check_links` selects the URLs that are due, decides what it can without a
request (non-web links, exclusions, retired arXiv mirrors, arXiv papers from
the harvested metadata: arxiv.org itself is never fetched), fetches the rest
with `fetcher.py`, and records every check as it completes: this module is the
run's bookkeeping. Verdicts are decided in `verdicts.py` and stored by `history.py`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urldefrag

import httpx
from sqlite_utils import Database

from .. import progress
from ..errors import InvalidArxivId
from ..ids import ARXIV_HOSTS, host_of, parse_arxiv_url
from ..vocabulary import Verdict
from .config import LinkCheckConfig
from .fetcher import (
    Fetcher,
    Resolver,
    system_resolver,
)
from .history import (
    CheckRecord,
    EntryRef,
    LinkTarget,
    ensure_link_tables,
    fresh_urls,
    live_targets,
    paper_facts,
    previous_state,
    record_checks,
    resting_urls,
)
from .verdicts import (
    Hop,
    Judgement,
    LinkState,
    PaperFacts,
    Reach,
    Settled,
    hold,
    invalid_arxiv,
    judge_arxiv,
    judge_observation,
    judge_without_request,
    settle,
)

log = logging.getLogger(__name__)

_SAVE_EVERY, _SAVE_SECONDS = 20, 1.0


@dataclass(frozen=True)
class LinkResult:
    """One URL after this run: its stored verdict and the entries that use it."""

    url: str
    verdict: Verdict
    status: int | None
    final_url: str | None
    suggestion: str | None
    error: str | None
    note: str | None
    hops: tuple[Hop, ...]
    entries: tuple[EntryRef, ...]
    counted: bool  # False when the network was down and the check was not held against the link


@dataclass(frozen=True)
class LinkRunReport:
    network_down: bool  # every network attempt failed at the DNS/connection level
    checked: int  # distinct URLs given a verdict in this run
    requests_made: int  # HTTP requests sent, hops and retries included
    not_due: int  # URLs not checked: still `ok` within max_age, or failing and resting
    results: tuple[LinkResult, ...]

    def counts(self) -> dict[str, int]:
        counts = {verdict.value: 0 for verdict in Verdict}
        for result in self.results:
            counts[result.verdict.value] += 1
        return counts


async def check_links(
    db: Database,
    config: LinkCheckConfig = LinkCheckConfig(),
    *,
    all: bool = False,
    now: Callable[[], datetime] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    resolver: Resolver | None = None,
    run_id: int | None = None,
    papers_ready: Callable[[], Awaitable[object]] | None = None,
) -> LinkRunReport:
    """Check the due links of every live entry and record the results.

    Not due: links still `ok` within `config.max_age`, and links failing for a
    reason that may pass (unreachable, blocked) while they rest, a rest that
    doubles with each failure in a row. With `all`, every link is checked.
    `now`, `transport` and `resolver` are for tests and embedding. `papers_ready`
    lets the web links start while arXiv is still being harvested: links to
    arXiv (judged from the harvested papers, never fetched) wait for it.
    """
    ensure_link_tables(db)
    clock = _utc_clock(now)
    targets = live_targets(db)
    started = clock()
    not_due = set() if all else fresh_urls(db, started - config.max_age, config.fresh_verdicts)
    if not all:
        not_due |= resting_urls(db, started, config.first_rest, config.longest_rest)
    due = [target for target in targets if target.url not in not_due]
    run = _Run(db, config, clock, run_id)
    later = [t for t in due if _judged_from_papers(t.url)] if papers_ready is not None else []
    remote = run.judge_locally([t for t in due if t not in later] if later else due)
    async with Fetcher(config, transport, resolver or system_resolver) as fetcher:
        if papers_ready is None:
            await run.fetch_all(fetcher, remote)
        else:
            fetching = asyncio.ensure_future(run.fetch_all(fetcher, remote))
            try:
                await papers_ready()
                remote_later = run.judge_locally(later)
                await fetching
            finally:
                fetching.cancel()
            await run.fetch_all(fetcher, remote_later)
    return run.finish(not_due=len(targets) - len(due), requests=fetcher.requests)


def _judged_from_papers(url: str) -> bool:
    """Whether the local judgement of `url` reads the harvested papers (an arXiv link)."""
    try:
        return parse_arxiv_url(url) is not None or host_of(url) in ARXIV_HOSTS
    except InvalidArxivId:
        return False  # judged invalid from the URL alone


def _utc_clock(now: Callable[[], datetime] | None) -> Callable[[], datetime]:
    source = now or (lambda: datetime.now(UTC))

    def clock() -> datetime:
        moment = source()
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)

    return clock


# ---------------------------------------------------------------- one run's bookkeeping


@dataclass
class _Held:
    target: LinkTarget
    judgement: Judgement
    elapsed_ms: int
    requests: int
    checked_at: datetime


class _Run:
    """Records each result as it comes; holds DNS/connection failures until the network is proven up."""

    def __init__(self, db: Database, config: LinkCheckConfig, clock: Callable[[], datetime], run_id: int | None):
        self._db = db
        self._config = config
        self._clock = clock
        self._run_id = run_id
        self._network_up = False
        self._held: list[_Held] = []
        self._results: list[LinkResult] = []
        self._unsaved: list[tuple[CheckRecord, LinkState | None]] = []
        self._saved_at = time.monotonic()

    def judge_locally(self, targets: list[LinkTarget]) -> list[LinkTarget]:
        """Record every verdict that needs no request; return the targets that do."""
        patterns = tuple(re.compile(p) for p in self._config.exclude)
        facts = paper_facts(self._db, [t.arxiv_id for t in targets if t.arxiv_id])
        remote: list[LinkTarget] = []
        for target in targets:
            judgement = _judge_locally(target, patterns, facts)
            if judgement is None:
                remote.append(target)
                continue
            held = _Held(target, judgement, 0, 0, self._clock())
            previous = previous_state(self._db, target.url)
            if _same_verdict(judgement, previous):
                # A rule gave the same answer again: no request was made, nothing to log.
                self._results.append(_result(held, hold(judgement, previous), counted=True))
            else:
                self._write(held, counted=True)
        self._save(force=True)
        return remote

    async def fetch_all(self, fetcher: Fetcher, targets: list[LinkTarget]) -> None:
        groups: dict[str, list[LinkTarget]] = {}
        for target in targets:
            groups.setdefault(_fetch_key(target.url), []).append(target)
        tasks = [asyncio.create_task(self._fetch(fetcher, key, group)) for key, group in groups.items()]
        try:
            with progress.tracked("links", len(targets), "links") as shown:
                for next_done in asyncio.as_completed(tasks):
                    finished = await next_done
                    for held in finished:
                        self._take(held)
                    self._save(force=False)
                    shown.advance(len(finished))
        finally:
            for task in tasks:
                task.cancel()
            self._save(force=True)  # an interrupted run keeps every check it finished

    async def _fetch(self, fetcher: Fetcher, key: str, group: list[LinkTarget]) -> list[_Held]:
        started = time.monotonic()
        observation, requests = await fetcher.observe(key)
        judgement = judge_observation(observation)
        elapsed_ms = round((time.monotonic() - started) * 1000)
        checked_at = self._clock()
        # Only the first user of a shared fetch is charged its requests.
        return [
            _Held(target, judgement, elapsed_ms, requests if i == 0 else 0, checked_at)
            for i, target in enumerate(group)
        ]

    def _take(self, held: _Held) -> None:
        reach = held.judgement.reach
        if reach == Reach.UNREACHED and not self._network_up:
            self._held.append(held)
            return
        if reach == Reach.ANSWERED and not self._network_up:
            self._network_up = True
            self._flush(counted=True)
        self._write(held, counted=True)

    def _flush(self, counted: bool) -> None:
        held, self._held = self._held, []
        for item in held:
            self._write(item, counted=counted)

    def _write(self, held: _Held, counted: bool) -> None:
        previous = previous_state(self._db, held.target.url)
        if counted:
            settled = settle(held.judgement, previous, held.checked_at, self._config.dead_rule)
        else:
            settled = hold(held.judgement, previous)
        record = CheckRecord(
            url=held.target.url,
            checked_at=held.checked_at,
            judgement=held.judgement,
            settled=settled,
            elapsed_ms=held.elapsed_ms,
            requests=held.requests,
            counted=counted,
            run_id=self._run_id,
        )
        self._unsaved.append((record, previous))
        self._results.append(_result(held, settled, counted))

    def _save(self, force: bool) -> None:
        # Small batches: one transaction per check would cost more than the checks on a fast web.
        due = len(self._unsaved) >= _SAVE_EVERY or time.monotonic() - self._saved_at >= _SAVE_SECONDS
        if self._unsaved and (force or due):
            record_checks(self._db, self._unsaved)
            self._unsaved = []
            self._saved_at = time.monotonic()

    def finish(self, not_due: int, requests: int) -> LinkRunReport:
        network_down = not self._network_up and bool(self._held)
        self._flush(counted=not network_down)
        self._save(force=True)
        if network_down:
            log.warning("network down: no host could be reached; no link failure was counted")
        results = tuple(sorted(self._results, key=lambda r: r.url))
        return LinkRunReport(network_down, len(results), requests, not_due, results)


def _same_verdict(judgement: Judgement, previous: LinkState | None) -> bool:
    return previous is not None and (previous.verdict, previous.error, previous.suggestion, previous.note) == (
        judgement.verdict,
        judgement.error,
        judgement.suggestion,
        judgement.note,
    )


def _result(held: _Held, settled: Settled, counted: bool) -> LinkResult:
    error = settled.error if counted else f"network down, not counted: {held.judgement.error}"
    return LinkResult(
        url=held.target.url,
        verdict=settled.verdict,
        status=settled.status,
        final_url=settled.final_url,
        suggestion=settled.suggestion,
        error=error,
        note=settled.note,
        hops=held.judgement.hops,
        entries=held.target.entries,
        counted=counted,
    )


def _judge_locally(
    target: LinkTarget, patterns: tuple[re.Pattern[str], ...], facts: dict[str, PaperFacts]
) -> Judgement | None:
    url = target.url
    judgement = judge_without_request(url, patterns)
    if judgement is not None:
        return judgement
    try:
        arxiv = parse_arxiv_url(url)
    except InvalidArxivId as exc:
        return invalid_arxiv(url, str(exc))
    if arxiv is None and host_of(url) not in ARXIV_HOSTS:
        return None
    arxiv_id = arxiv.id if arxiv else None
    version = arxiv.version if arxiv else None
    return judge_arxiv(url, arxiv_id, version, facts.get(arxiv_id) if arxiv_id else None)


def _fetch_key(url: str) -> str:
    # The fragment never reaches the server: page#a and page#b are one fetch.
    return urldefrag(url.strip())[0]
