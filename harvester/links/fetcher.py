"""Fetching one link: GET with hand-followed redirects, per-host politeness, retries, address checks.

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
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx
from tenacity import RetryCallState, retry_if_result

from .. import __version__
from ..errors import HarvesterError
from ..ids import host_of
from ..politeness import RateLimiter, parse_retry_after, polite_retrying
from ..tls import tls_context
from ..weburl import UnsafeUrl, is_malformed, web_url
from .verdicts import (
    REDIRECTS,
    Failure,
    Hop,
    Observation,
    private_address,
)

if TYPE_CHECKING:
    from .config import LinkCheckConfig

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = f"harvester/{__version__} (reading-list link checker; python-httpx/{httpx.__version__})"
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
# Bodies worth reading: only these can be soft 404s or challenge pages.
_READ_BODY_STATUSES = frozenset({403, 429, 503})


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
        # A time-out is not retried within a run: a hanging host would cost the whole
        # timeout on every try, every night; the next run asks it again.
        return step.failure in (Failure.DNS, Failure.CONNECT, Failure.TLS, Failure.PROTOCOL)
    assert step.status is not None
    return step.status in (408, 429) or step.status >= 500


class Fetcher:
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

    async def __aenter__(self) -> Fetcher:
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
        config = self._config
        retrying = polite_retrying(
            host_of(url) or url,
            config.retries + 1,
            config.max_retry_after,
            config.backoff,
            config.max_backoff,
            log,
            retry=retry_if_result(_is_transient),
            retry_after_of=lambda state: _last_result(state).retry_after,
            describe=lambda state: _last_result(state).error or f"HTTP {_last_result(state).status}",
            give_up=_last_result,
            level=logging.INFO,  # one link's trouble; the verdict says the rest
        )
        result: _Step = await retrying(self._request_once, url)
        return result

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
            "User-Agent": self._config.user_agent or DEFAULT_USER_AGENT,
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
    return httpx.AsyncHTTPTransport(limits=limits, retries=0, verify=tls_context())


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
