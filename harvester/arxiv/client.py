"""Polite, retrying, batched access to arXiv's query API.

arXiv asks for one request at a time, on one connection, at least three seconds
apart, from all of a user's machines together (field-notes.md). So:

- one `RateLimiter` per process holds a lock for the whole of every request and
  spaces the starts of two requests by `delay`;
- one POST carries a whole batch of IDs, with `max_results` raised to match;
- failures that say "not now" (timeouts, dropped connections, 429, 5xx, 403,
  406, "Rate exceeded", a body that is not a feed) are retried with
  exponential backoff and jitter, honouring `Retry-After` up to a cap;
- a 400 (a malformed ID fails the whole request) is not retried as such: the
  batch is split to isolate the offending IDs and the rest is fetched;
- IDs missing from an answer are asked again, all together in one request,
  before being called missing, since an empty answer can be a glitch; still
  missing, they are handed over as they are (the harvest decides whether a
  batch without the papers it used to hold is an outage).

Redirects are not followed: the API's address moved to https once, and a
redirect is reported as an error naming the new address, so the configured URL
gets fixed instead of every request costing two.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import httpx

from .. import __version__
from ..errors import ArxivUnavailable, FeedError, InvalidArxivId
from ..ids import parse_arxiv_id
from ..politeness import (
    NOT_NOW,
    RateLimiter,
    RetryableAnswer,
    describe_failure,
    http_timeout,
    parse_retry_after,
    polite_retrying,
)
from ..tls import tls_context
from .config import ClientConfig
from .feed import Feed, Paper, parse_feed

log = logging.getLogger(__name__)

_RETRYABLE_STATUS = frozenset({403, 406, 429})  # plus every 5xx
_REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class BatchResult:
    requested: tuple[str, ...]
    papers: tuple[Paper, ...]
    missing: tuple[str, ...]  # well-formed IDs arXiv has no paper for
    invalid: tuple[tuple[str, str], ...]  # (id, reason)


@dataclass(frozen=True)
class FetchSummary:
    papers_fetched: int
    missing: tuple[str, ...]
    invalid: tuple[tuple[str, str], ...]
    requests_made: int
    batches: int


class ArxivRedirected(ArxivUnavailable):
    """The API answered with a redirect; the configured URL needs changing."""


def user_agent(contact: str | None) -> str:
    return f"harvester/{__version__}" + (f" (+{contact})" if contact else "")


def make_http_client(config: ClientConfig) -> httpx.AsyncClient:
    """The one AsyncClient a run uses for arXiv: one connection, timeouts, no redirects."""
    return httpx.AsyncClient(
        headers={
            "User-Agent": user_agent(config.contact),
            # arXiv has answered 406 to requests without it.
            "Accept": "application/atom+xml",
        },
        timeout=http_timeout(config.timeout, config.connect_timeout),
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        follow_redirects=False,
        verify=tls_context(),
    )


# arXiv's limit is per user, not per client object: every client shares this one.
PROCESS_LIMITER = RateLimiter()


@dataclass(frozen=True)
class _Rejection:
    """A 400: something in the request (a malformed ID) made arXiv refuse all of it."""

    reason: str
    bad_id: str | None


@dataclass
class _Tally:
    """What is known so far about the IDs of one batch."""

    found: dict[str, Paper] = field(default_factory=dict)  # requested ID -> paper
    missing: list[str] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)

    def absorb(self, other: _Tally) -> None:
        self.found.update(other.found)
        self.missing.extend(i for i in other.missing if i not in self.missing)
        self.invalid.extend(other.invalid)

    def forget_missing(self, ids: Sequence[str]) -> None:
        self.missing = [i for i in self.missing if i not in ids]


class ArxivClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        config: ClientConfig | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._http = http
        self._config = config or ClientConfig()
        self._limiter = limiter or PROCESS_LIMITER
        self.requests_made = 0  # every HTTP request sent, retries included

    @property
    def config(self) -> ClientConfig:
        return self._config

    async def fetch_batch(self, ids: Sequence[str], *, ask_again: bool = True) -> BatchResult:
        """Fetch one batch in one POST, then settle what that answer left open.

        IDs are sent as given (fetch_many validates them first). Raises
        ArxivUnavailable when a request still fails after every retry. With
        `ask_again` False the IDs left out are returned as missing without being
        asked again (fetch_many asks them together after its last batch).
        """
        requested = list(dict.fromkeys(ids))
        tally = await self._resolve(requested)
        if tally.missing and ask_again:
            # An ID left out of a 200 can be a glitch: ask again before calling it missing,
            # all of them in one request (a request per ID cost 3 s each at arXiv's pace);
            # a 400 in that answer is still narrowed down to the bad ID by `_resolve`.
            again = list(tally.missing)
            tally.forget_missing(again)
            tally.absorb(await self._resolve(again))
        return BatchResult(
            requested=tuple(requested),
            papers=_unique_papers(tally.found[i] for i in requested if i in tally.found),
            missing=tuple(i for i in requested if i in tally.missing),
            invalid=tuple(tally.invalid),
        )

    async def fetch_many(
        self,
        ids: Sequence[str],
        on_batch: Callable[[BatchResult], None] | None = None,
    ) -> FetchSummary:
        """Fetch any number of IDs, batch by batch.

        `on_batch` gets each BatchResult before the next request, so the caller
        can commit it on its own. IDs that are not valid arXiv IDs are reported
        in the summary without being sent. If a batch fails, ArxivUnavailable
        propagates; the batches before it have already been handed over.

        IDs left out of an answer are not called missing yet: after the last
        batch, all of them are asked again together (one request per batch size;
        at arXiv's 3 s pace a re-ask per batch, or per ID, cost more than the
        rest), and that answer is handed over as one more batch, with what is
        still missing then.
        """
        valid, invalid = _validated(ids)
        before = self.requests_made
        missing: list[str] = []
        fetched = batches = 0

        def hand_over(result: BatchResult) -> None:
            nonlocal fetched, batches
            batches += 1
            fetched += len(result.papers)
            missing.extend(result.missing)
            invalid.extend(result.invalid)
            if on_batch is not None:
                on_batch(result)

        left_out_of: list[tuple[tuple[str, ...], list[str]]] = []  # each batch with IDs left out
        for chunk in _chunks(valid, self._config.batch_size):
            result = await self.fetch_batch(chunk, ask_again=False)
            if result.missing:
                left_out_of.append((result.requested, list(result.missing)))
            hand_over(replace(result, missing=()))
        again = _Tally()
        for chunk in _chunks([i for _, ids in left_out_of for i in ids], self._config.batch_size):
            again.absorb(await self._resolve(chunk))
        for requested, ids in left_out_of:
            # Handed over with its whole batch as `requested`, so an answer that lacked every
            # paper of that batch is still told from a few papers gone (harvest.refuse_outage).
            hand_over(
                BatchResult(
                    requested=requested,
                    papers=_unique_papers(again.found[i] for i in ids if i in again.found),
                    missing=tuple(i for i in ids if i in again.missing),
                    invalid=tuple(item for item in again.invalid if item[0] in ids),
                )
            )
        return FetchSummary(
            papers_fetched=fetched,
            missing=tuple(missing),
            invalid=tuple(invalid),
            requests_made=self.requests_made - before,
            batches=batches,
        )

    async def fetch_versions(self, versioned_ids: Sequence[str]) -> list[Paper]:
        """Specific versions (`1907.05642v1`) as arXiv has them, in the order asked.

        Raises InvalidArxivId for an ID without a version; versions arXiv does
        not have are left out.
        """
        for text in versioned_ids:
            if parse_arxiv_id(text).version is None:
                raise InvalidArxivId(f"{text!r} names no version (expected e.g. 1907.05642v1)")
        papers: list[Paper] = []
        await self.fetch_many(versioned_ids, on_batch=lambda batch: papers.extend(batch.papers))
        return papers

    async def search(
        self,
        search_query: str,
        *,
        max_results: int = 50,
        sort_by: str = "submittedDate",
        sort_order: str = "descending",
    ) -> Feed:
        """One page of a `search_query`, newest first by default (one request, spaced and retried like the rest).

        A 400 (arXiv could not read the query) raises ArxivUnavailable naming the query: it is
        not a batch of IDs to narrow down.
        """
        form = {
            "search_query": search_query,
            "start": "0",
            "max_results": str(max_results),
            "sortBy": sort_by,
            "sortOrder": sort_order,
        }
        answer = await self._ask(form)
        if isinstance(answer, _Rejection):
            raise ArxivUnavailable(f"arXiv refused the search {search_query!r}: {answer.reason}")
        return answer

    async def _resolve(self, ids: list[str]) -> _Tally:
        answer = await self._query(ids)
        if isinstance(answer, _Rejection):
            return await self._isolate_invalid(ids, answer)
        found = _match(ids, answer.papers)
        return _Tally(found=found, missing=[i for i in ids if i not in found])

    async def _isolate_invalid(self, ids: list[str], rejection: _Rejection) -> _Tally:
        if len(ids) == 1:
            return _Tally(invalid=[(ids[0], rejection.reason)])
        if rejection.bad_id in ids:
            rest = [i for i in ids if i != rejection.bad_id]
            tally = await self._resolve(rest)
            tally.invalid.insert(0, (rejection.bad_id, rejection.reason))
            return tally
        # arXiv did not say which ID it refused: bisect until it is alone.
        middle = len(ids) // 2
        tally = await self._resolve(ids[:middle])
        tally.absorb(await self._resolve(ids[middle:]))
        return tally

    async def _query(self, ids: list[str]) -> Feed | _Rejection:
        return await self._ask({"id_list": ",".join(ids), "start": "0", "max_results": str(len(ids))})

    async def _ask(self, form: dict[str, str]) -> Feed | _Rejection:
        config = self._config
        retrying = polite_retrying(
            "arXiv", config.max_attempts, config.max_retry_after, config.backoff_base, config.backoff_max, log
        )
        try:
            return await retrying(self._request_once, form)
        except NOT_NOW as exc:
            raise ArxivUnavailable(
                f"arXiv at {self._config.base_url} did not answer after "
                f"{self._config.max_attempts} attempts; last error: {describe_failure(exc)}"
            ) from exc

    async def _request_once(self, form: dict[str, str]) -> Feed | _Rejection:
        async with self._limiter.slot(self._config.delay):
            self.requests_made += 1
            response = await self._http.post(self._config.base_url, data=form)
        return self._interpret(response)

    def _interpret(self, response: httpx.Response) -> Feed | _Rejection:
        status = response.status_code
        if status == 200:
            try:
                return parse_feed(response.content)
            except FeedError as exc:
                raise RetryableAnswer(f"HTTP 200 but {exc}") from exc
        if status == 400:
            return _rejection(response)
        if status in _RETRYABLE_STATUS or status >= 500:
            raise RetryableAnswer(
                f"HTTP {status}{_body_hint(response)}",
                parse_retry_after(response.headers.get("Retry-After")),
            )
        if status in _REDIRECT_STATUS:
            raise ArxivRedirected(
                f"arXiv at {self._config.base_url} answered HTTP {status}, a redirect to "
                f"{response.headers.get('Location')!r}; set the arXiv URL to that address"
            )
        raise ArxivUnavailable(f"arXiv at {self._config.base_url} answered HTTP {status}{_body_hint(response)}")


def _rejection(response: httpx.Response) -> _Rejection:
    try:
        errors = parse_feed(response.content).errors
    except FeedError:
        errors = ()
    if not errors:
        return _Rejection(f"HTTP 400{_body_hint(response)}", None)
    return _Rejection(errors[0].message, errors[0].bad_id)


def _match(requested: list[str], papers: Sequence[Paper]) -> dict[str, Paper]:
    """Requested ID -> the paper answering it; arXiv does not keep the request order."""
    by_id: dict[str, list[Paper]] = {}
    for paper in papers:
        by_id.setdefault(paper.arxiv_id, []).append(paper)
    found: dict[str, Paper] = {}
    for text in requested:
        key, version = _key(text)
        candidates = by_id.get(key, [])
        if version is not None:
            candidates = [p for p in candidates if p.version == version]
        if candidates:
            found[text] = max(candidates, key=lambda p: p.version)
    return found


def _key(text: str) -> tuple[str, int | None]:
    try:
        parsed = parse_arxiv_id(text)
    except InvalidArxivId:
        return text, None
    return parsed.id, parsed.version


def _validated(ids: Sequence[str]) -> tuple[list[str], list[tuple[str, str]]]:
    valid: dict[str, None] = {}
    invalid: list[tuple[str, str]] = []
    for text in ids:
        try:
            valid[parse_arxiv_id(text).versioned] = None
        except InvalidArxivId as exc:
            invalid.append((text, str(exc)))
    return list(valid), invalid


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), max(1, size)):
        yield items[start : start + size]


def _unique_papers(papers: Iterator[Paper] | Sequence[Paper]) -> tuple[Paper, ...]:
    unique: dict[tuple[str, int], Paper] = {}
    for paper in papers:
        unique.setdefault((paper.arxiv_id, paper.version), paper)
    return tuple(unique.values())


def _body_hint(response: httpx.Response) -> str:
    text = " ".join(response.text[:60].split())
    return f" ({text!r})" if text else ""
