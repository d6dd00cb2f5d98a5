"""Link health: check the links of the reading lists, politely, and keep their history.

`check_links` selects the URLs that are due, decides what it can without a
request (non-web links, exclusions, retired arXiv mirrors, arXiv papers from
the harvested metadata: arxiv.org itself is never fetched), fetches the rest
with GET and hand-followed redirects, and records every check as it completes.
Verdicts are decided in `verdicts.py` and stored by `history.py`.

Every host name is resolved here before it is fetched and the connection is
made to the address that was checked, so a name that resolves to a private
address cannot slip through on a second lookup. Nothing carries cookies or
credentials: each request is built from scratch and handed straight to the
transport, with no client around it to keep cookies or to act on a `Location`.

A `Location` is a stranger's text: it is resolved against the request URL and
made a well-formed http(s) URL (`weburl.web_url`) before it is followed or
stored, so what a later `fix` may write is never the header as sent.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx
from sqlite_utils import Database
from tenacity import AsyncRetrying, RetryCallState, retry_if_result, stop_after_attempt

from .. import __version__
from ..errors import HarvesterError, InvalidArxivId
from ..ids import ARXIV_HOSTS, host_of, parse_arxiv_url
from ..politeness import RateLimiter, parse_retry_after, polite_wait
from ..vocabulary import Verdict
from ..weburl import UnsafeUrl, is_malformed, web_url
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
)
from .verdicts import (
    REDIRECTS,
    DeadRule,
    Failure,
    Hop,
    Judgement,
    LinkState,
    Observation,
    PaperFacts,
    Reach,
    Settled,
    hold,
    invalid_arxiv,
    judge_arxiv,
    judge_observation,
    judge_without_request,
    private_address,
    settle,
)

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = f"harvester/{__version__} (reading-list link checker; python-httpx/{httpx.__version__})"
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
# Bodies worth reading: only these can be soft 404s or challenge pages.
_READ_BODY_STATUSES = frozenset({403, 429, 503})
_SAVE_EVERY, _SAVE_SECONDS = 20, 1.0


@dataclass(frozen=True)
class LinkCheckConfig:
    """How hard and how politely to check. Defaults suit a nightly run over the internet."""

    concurrency: int = 8  # requests in flight, all hosts together
    per_host: int = 2  # requests in flight to one host
    per_host_delay: float = 1.0  # seconds between the starts of two requests to one host
    timeout: float = 15.0  # seconds, for connecting and for each read
    max_redirects: int = 10
    max_body: int = 64 * 1024  # bytes of a body read to spot soft 404s and challenges
    retries: int = 2  # extra attempts after a transient failure
    backoff: float = 1.0  # seconds before the first retry; doubles, with jitter
    max_backoff: float = 30.0
    max_retry_after: float = 60.0  # a longer Retry-After is cut to this
    max_age: timedelta = timedelta(hours=20)  # an `ok` younger than this is not checked again
    # Verdicts kept for max_age. `refresh` keeps every real verdict, so a second
    # run right after the first changes nothing; a nightly run is past the age anyway.
    fresh_verdicts: tuple[str, ...] = ("ok",)
    dead_after_runs: int = 3
    dead_after_days: int = 2
    allow_private: bool = False  # loopback, private and link-local addresses
    exclude: tuple[str, ...] = ()  # regular expressions; a URL matching one is skipped
    user_agent: str = DEFAULT_USER_AGENT

    @property
    def dead_rule(self) -> DeadRule:
        return DeadRule(runs=self.dead_after_runs, days=self.dead_after_days)


class NameNotFound(HarvesterError):
    """The DNS says the host name does not exist."""


class NameResolutionFailed(HarvesterError):
    """The host name could not be resolved for now (no resolver, SERVFAIL, time-out)."""


# host name -> addresses, in the order to try; raises NameNotFound / NameResolutionFailed.
Resolver = Callable[[str], Awaitable[list[str]]]


async def system_resolver(host: str) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_ADDRCONFIG)
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
            raise NameNotFound(f"host name does not resolve: {host}") from exc
        raise NameResolutionFailed(f"could not resolve {host}: {exc.strerror}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


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
    not_due: int  # URLs still `ok` within max_age, not checked
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
) -> LinkRunReport:
    """Check the due links of every live entry and record the results.

    With `all`, links still `ok` within `config.max_age` are checked too.
    `now`, `transport` and `resolver` are for tests and embedding.
    """
    ensure_link_tables(db)
    clock = _utc_clock(now)
    targets = live_targets(db)
    fresh = set() if all else fresh_urls(db, clock() - config.max_age, config.fresh_verdicts)
    due = [target for target in targets if target.url not in fresh]
    run = _Run(db, config, clock, run_id)
    remote = run.judge_locally(due)
    async with _Fetcher(config, transport, resolver or system_resolver) as fetcher:
        await run.fetch_all(fetcher, remote)
    return run.finish(not_due=len(targets) - len(due), requests=fetcher.requests)


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

    async def fetch_all(self, fetcher: _Fetcher, targets: list[LinkTarget]) -> None:
        groups: dict[str, list[LinkTarget]] = {}
        for target in targets:
            groups.setdefault(_fetch_key(target.url), []).append(target)
        tasks = [asyncio.create_task(self._fetch(fetcher, key, group)) for key, group in groups.items()]
        try:
            for next_done in asyncio.as_completed(tasks):
                for held in await next_done:
                    self._take(held)
                self._save(force=False)
        finally:
            for task in tasks:
                task.cancel()
            self._save(force=True)  # an interrupted run keeps every check it finished

    async def _fetch(self, fetcher: _Fetcher, key: str, group: list[LinkTarget]) -> list[_Held]:
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


# ---------------------------------------------------------------- politeness


class _Politeness:
    """A global limit on requests in flight, and per host the shared `RateLimiter` (concurrency and spacing)."""

    def __init__(self, config: LinkCheckConfig):
        self._global = asyncio.Semaphore(config.concurrency)
        self._per_host = config.per_host
        self._delay = config.per_host_delay
        self._hosts: dict[str, RateLimiter] = {}

    @asynccontextmanager
    async def turn(self, host: str) -> AsyncIterator[None]:
        limiter = self._hosts.setdefault(host, RateLimiter(self._per_host))
        async with limiter.slot(self._delay, shared=self._global):
            yield


# ---------------------------------------------------------------- fetching


@dataclass(frozen=True)
class _Step:
    """One HTTP request's outcome."""

    status: int | None = None
    location: str | None = None
    body: bytes = b""
    challenge_header: bool = False
    retry_after: float | None = None
    failure: Failure | None = None
    error: str | None = None


def _is_transient(step: _Step) -> bool:
    if step.failure is not None:
        return step.failure in (Failure.DNS, Failure.CONNECT, Failure.TLS, Failure.TIMEOUT, Failure.PROTOCOL)
    assert step.status is not None
    return step.status in (408, 429) or step.status >= 500


class _Fetcher:
    """GETs with hand-followed redirects, retries, politeness and address checks."""

    def __init__(self, config: LinkCheckConfig, transport: httpx.AsyncBaseTransport | None, resolver: Resolver):
        self._config = config
        self._resolver = resolver
        self._politeness = _Politeness(config)
        self._addresses: dict[str, list[str]] = {}
        self._lookup_locks: dict[str, asyncio.Lock] = {}
        # The transport, not a client: httpx's client parses a redirect's Location
        # even when it does not follow it, and a hostile one made it raise.
        self._transport = transport or _default_transport(config)
        self.requests = 0

    async def __aenter__(self) -> _Fetcher:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._transport.aclose()

    async def observe(self, url: str) -> tuple[Observation, int]:
        """Follow the URL hop by hop; return every hop and the final body or failure."""
        before = self.requests
        observation = await self._follow(url)
        return observation, self.requests - before

    async def _follow(self, url: str) -> Observation:
        hops: list[Hop] = []
        current = url
        malformed: str | None = None
        for _ in range(self._config.max_redirects + 1):
            step = await self._request_with_retries(current)
            if step.failure is not None:
                return Observation(url, tuple(hops), step.failure, step.error, malformed_location=malformed)
            assert step.status is not None
            hops.append(Hop(current, step.status))
            if step.status not in REDIRECTS:
                return Observation(
                    url,
                    tuple(hops),
                    body=step.body,
                    challenge_header=step.challenge_header,
                    malformed_location=malformed,
                )
            target, failure, error = _next_hop(current, step.location, hops)
            if failure is not None:
                return Observation(url, tuple(hops), failure, error, malformed_location=malformed)
            if malformed is None and _is_malformed_location(current, step.location):
                malformed = target
            current = target
        limit = self._config.max_redirects
        return Observation(url, tuple(hops), Failure.TOO_MANY_REDIRECTS, f"more than {limit} redirects")

    async def _request_with_retries(self, url: str) -> _Step:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._config.retries + 1),
            wait=self._wait,
            retry=retry_if_result(_is_transient),
            retry_error_callback=_last_result,
            before_sleep=_log_retry,
            reraise=True,
        )
        result: _Step = await retrying(self._request_once, url)
        return result

    def _wait(self, state: RetryCallState) -> float:
        assert state.outcome is not None
        step: _Step = state.outcome.result()
        config = self._config
        return polite_wait(
            step.retry_after, state.attempt_number, config.max_retry_after, config.backoff, config.max_backoff
        )

    async def _request_once(self, url: str) -> _Step:
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            return _Step(failure=Failure.INVALID_URL, error=f"invalid URL: {exc}")
        host = parsed.host
        addresses = await self._addresses_of(host)
        if isinstance(addresses, _Step):
            return addresses
        async with self._politeness.turn(host):
            self.requests += 1
            return await self._send(parsed, addresses[0])

    async def _addresses_of(self, host: str) -> list[str] | _Step:
        try:
            addresses = await self._resolve(host)
        except NameNotFound as exc:
            return _Step(failure=Failure.NAME_NOT_FOUND, error=str(exc))
        except NameResolutionFailed as exc:
            return _Step(failure=Failure.DNS, error=str(exc))
        if not addresses:
            return _Step(failure=Failure.NAME_NOT_FOUND, error=f"host name does not resolve: {host}")
        private = private_address(addresses)
        if private is not None and not self._config.allow_private:
            return _Step(failure=Failure.PRIVATE, error=f"private address ({private}) refused")
        return addresses

    async def _resolve(self, host: str) -> list[str]:
        if _is_ip(host):
            return [host]
        # One successful lookup per host name and run, shared by every request to it.
        async with self._lookup_locks.setdefault(host, asyncio.Lock()):
            if host not in self._addresses:
                self._addresses[host] = await self._resolver(host)
            return self._addresses[host]

    async def _send(self, url: httpx.URL, address: str) -> _Step:
        request = self._request(url, address)
        try:
            async with asyncio.timeout(self._config.timeout * 2):
                response = await self._transport.handle_async_request(request)
                try:
                    return await self._step(response)
                finally:
                    await response.aclose()
        except httpx.ConnectTimeout:
            error = f"connect to {url.host} timed out after {self._config.timeout:g} s"
            return _Step(failure=Failure.CONNECT, error=error)
        except httpx.ConnectError as exc:
            return _connect_failure(exc, url)
        except (httpx.TimeoutException, TimeoutError):
            return _Step(failure=Failure.TIMEOUT, error=f"timed out after {self._config.timeout:g} s")
        except httpx.HTTPError as exc:
            return _Step(failure=Failure.PROTOCOL, error=f"{type(exc).__name__}: {exc}")

    def _request(self, url: httpx.URL, address: str) -> httpx.Request:
        # Connect to the address that passed the private-address check; the
        # name still goes in the Host header and in TLS (SNI, certificate).
        pinned = url.copy_with(host=address, username=None, password=None, fragment=None)
        headers = {
            "Host": url.netloc.decode("ascii"),
            "User-Agent": self._config.user_agent,
            "Accept": _ACCEPT,
        }
        timeout = httpx.Timeout(self._config.timeout).as_dict()
        extensions = {"timeout": timeout, "sni_hostname": url.host}
        return httpx.Request("GET", pinned, headers=headers, extensions=extensions)

    async def _step(self, response: httpx.Response) -> _Step:
        status = response.status_code
        body = b""
        if (200 <= status < 300 or status in _READ_BODY_STATUSES) and _is_text(response):
            body = await _read_prefix(response, self._config.max_body)
        return _Step(
            status=status,
            location=response.headers.get("location"),
            body=body,
            challenge_header=response.headers.get("cf-mitigated", "").lower() == "challenge",
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )


def _default_transport(config: LinkCheckConfig) -> httpx.AsyncHTTPTransport:
    # No keep-alive: connections are made to pinned addresses, and a pooled
    # connection to a CDN address must not be reused for another host's TLS name.
    limits = httpx.Limits(max_connections=config.concurrency, max_keepalive_connections=0)
    return httpx.AsyncHTTPTransport(limits=limits, retries=0)


def _next_hop(current: str, location: str | None, hops: list[Hop]) -> tuple[str, Failure | None, str | None]:
    if not location:
        return current, Failure.PROTOCOL, f"HTTP {hops[-1].status} without a Location header"
    joined = _joined(current, location)
    if joined is None:
        return current, Failure.INVALID_URL, f"redirect to an invalid URL: {_shown(location)}"
    try:
        target = web_url(joined)
    except UnsafeUrl as exc:
        if _scheme(joined) not in ("http", "https"):
            return current, Failure.BAD_SCHEME, f"redirect to a non-http(s) URL refused: {_shown(joined)}"
        return current, Failure.INVALID_URL, f"redirect to an invalid URL ({exc}): {_shown(joined)}"
    if any(hop.url == target for hop in hops):
        chain = " -> ".join([hop.url for hop in hops] + [target])
        return target, Failure.REDIRECT_LOOP, f"redirect loop: {chain}"
    return target, None, None


def _joined(current: str, location: str) -> str | None:
    try:
        return urldefrag(urljoin(current, location.strip()))[0]
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None


def _scheme(url: str) -> str:
    try:
        return urlsplit(url).scheme.lower()
    except ValueError:
        return ""


def _is_malformed_location(current: str, location: str | None) -> bool:
    joined = _joined(current, location or "")
    return joined is None or is_malformed(joined)


def _shown(text: str, limit: int = 200) -> str:
    """A stranger's text fit for an error message: one line, no control characters, bounded."""
    printable = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
    return printable if len(printable) <= limit else printable[:limit] + "..."


def _connect_failure(exc: httpx.ConnectError, url: httpx.URL) -> _Step:
    text = str(exc) or type(exc).__name__
    if "ssl" in text.lower() or "certificate" in text.lower():
        return _Step(failure=Failure.TLS, error=f"TLS error: {text}")
    return _Step(failure=Failure.CONNECT, error=f"cannot connect to {url.host}: {text}")


def _is_text(response: httpx.Response) -> bool:
    kind = response.headers.get("content-type", "").lower()
    return not kind or "html" in kind or kind.startswith("text/")


async def _read_prefix(response: httpx.Response, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _last_result(state: RetryCallState) -> _Step:
    assert state.outcome is not None
    result: _Step = state.outcome.result()
    return result


def _log_retry(state: RetryCallState) -> None:
    assert state.outcome is not None
    step: _Step = state.outcome.result()
    reason = step.error or f"HTTP {step.status}"
    wait = state.next_action.sleep if state.next_action else 0.0
    log.info("retrying %s in %.1f s (attempt %d): %s", state.args[0], wait, state.attempt_number, reason)
