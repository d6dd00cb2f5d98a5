"""What every client of someone else's server shares: spacing, "not now" answers, backoff.

arXiv, the enrichment services and the link checker each decide which answers
mean "not now"; how long to wait then, and how far apart to start requests,
is the same for all of them and lives here.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity.retry import retry_base
from tenacity.wait import wait_base


def http_timeout(read: float, connect: float) -> httpx.Timeout:
    """Every client always times out (pooled connections have been seen to hang forever);
    connecting never waits longer than reading."""
    return httpx.Timeout(read, connect=min(connect, read))


class RetryableAnswer(Exception):
    """An answer that means "not now": worth asking again later."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class RateLimiter:
    """At most `concurrency` requests in flight, their starts at least `interval` seconds apart.

    One per service (arXiv: concurrency 1, as arXiv asks; each enrichment source:
    one) and one per host for the link checker. Hold `slot()` for the whole
    request, body included. The spacing is kept across event loops; the lock and
    semaphore are per loop because asyncio primitives cannot cross loops.
    """

    def __init__(
        self,
        concurrency: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        *,
        budget: bool = False,
    ) -> None:
        if concurrency < 1:
            raise ValueError("a rate limiter needs a concurrency of at least 1")
        self._concurrency = concurrency
        # A service whose limit is a budget per window (Hugging Face: 500 requests per 5
        # minutes) counts the average rate, not the gap between two requests: a start that
        # came late (a busy event loop) is counted from when it was due, up to half an
        # interval, so the late wake-ups do not add up over a thousand requests. A service
        # that asks for a gap (arXiv: one request every 3 s) keeps the strict spacing.
        self._budget = budget
        self._clock = clock
        self._sleep = sleep
        self._last_start: float | None = None
        self._per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[asyncio.Lock, asyncio.Semaphore]] = (
            weakref.WeakKeyDictionary()
        )

    @asynccontextmanager
    async def slot(self, interval: float, shared: asyncio.Semaphore | None = None) -> AsyncIterator[None]:
        """Wait for a turn; `shared` is a wider limit (all hosts together) taken last."""
        lock, in_flight = self._primitives()
        async with in_flight:
            # Spacing under the lock, measured from the real start (after the shared
            # limit let us through), so waiting cannot squeeze two starts together.
            async with lock:
                if self._last_start is not None:
                    wait = self._last_start + interval - self._clock()
                    if wait > 0:
                        await self._sleep(wait)
                if shared is not None:
                    await shared.acquire()
                started = self._clock()
                if self._budget and self._last_start is not None:
                    started = max(self._last_start + interval, started - interval / 2)
                self._last_start = started
            try:
                yield
            finally:
                if shared is not None:
                    shared.release()

    def _primitives(self) -> tuple[asyncio.Lock, asyncio.Semaphore]:
        loop = asyncio.get_running_loop()
        if loop not in self._per_loop:
            self._per_loop[loop] = (asyncio.Lock(), asyncio.Semaphore(self._concurrency))
        return self._per_loop[loop]


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:  # HTTP dates are GMT
        moment = moment.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (moment - current).total_seconds())


_RATELIMIT_FIELD = re.compile(r"(?:^|[;,\s])(r|t|remaining|reset)\s*=\s*(\d+(?:\.\d+)?)", re.IGNORECASE)
_RATELIMIT_NAMES = {"r": "remaining", "remaining": "remaining", "t": "reset", "reset": "reset"}


def spacing_from_ratelimit(value: str | None) -> float | None:
    """Seconds between requests that spend a `RateLimit` header's remaining budget evenly until its reset.

    Reads the IETF draft's header in both of its spellings: the structured one
    (`"api";r=489;t=189`: r requests remain, the window resets in t seconds), which
    Hugging Face sends, and the older `limit=500, remaining=489, reset=189`. None
    when the header is absent or says neither number.
    """
    if not value:
        return None
    fields = {_RATELIMIT_NAMES[name.lower()]: float(number) for name, number in _RATELIMIT_FIELD.findall(value)}
    remaining, reset = fields.get("remaining"), fields.get("reset")
    if remaining is None or reset is None:
        return None
    return reset / remaining if remaining >= 1 else reset


class PoliteWait(wait_base):
    """tenacity's exponential backoff with jitter, unless the server said when to come back.

    `retry_after_of` reads the Retry-After of the failed attempt (an exception's
    or a returned answer's); it is honoured up to `max_retry_after`.
    """

    def __init__(
        self,
        retry_after_of: Callable[[RetryCallState], float | None],
        max_retry_after: float,
        base: float,
        ceiling: float,
    ) -> None:
        self._retry_after_of = retry_after_of
        self._max_retry_after = max_retry_after
        self._backoff = wait_exponential_jitter(multiplier=base, max=ceiling, jitter=base)

    def __call__(self, retry_state: RetryCallState) -> float:
        retry_after = self._retry_after_of(retry_state)
        if retry_after is not None:
            return min(float(retry_after), self._max_retry_after)
        return float(self._backoff(retry_state))


def raised_retry_after(state: RetryCallState) -> float | None:
    """The Retry-After a `RetryableAnswer` carried, for clients that raise on "not now"."""
    failure = state.outcome.exception() if state.outcome else None
    retry_after = getattr(failure, "retry_after", None)
    return None if retry_after is None else float(retry_after)


def describe_failure(failure: BaseException | None) -> str:
    if failure is None:
        return "unknown error"
    if isinstance(failure, RetryableAnswer):
        return str(failure)
    return f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__


# What "not now" looks like to every client here: the connection failed, or the
# client's own reading of the answer said so.
NOT_NOW = (httpx.TransportError, RetryableAnswer)
RETRY_NOT_NOW = retry_if_exception_type(NOT_NOW)


def polite_retrying(
    service: str,
    attempts: int,
    max_retry_after: float,
    base: float,
    ceiling: float,
    log: logging.Logger,
    *,
    retry: retry_base = RETRY_NOT_NOW,
    retry_after_of: Callable[[RetryCallState], float | None] = raised_retry_after,
    describe: Callable[[RetryCallState], str] | None = None,
    give_up: Callable[[RetryCallState], Any] | None = None,
    level: int = logging.WARNING,
) -> AsyncRetrying:
    """The one retry policy of every client: bounded attempts, `PoliteWait`, each retry logged.

    By default "not now" is raised (`NOT_NOW`); a client that returns its answers
    instead passes `retry` and `retry_after_of` reading them, and `give_up` to
    return the last answer once the attempts are spent.
    """

    def reason(state: RetryCallState) -> str:
        if describe is not None:
            return describe(state)
        return describe_failure(state.outcome.exception() if state.outcome else None)

    def log_retry(state: RetryCallState) -> None:
        sleep = state.next_action.sleep if state.next_action else 0.0
        log.log(
            level,
            "%s request failed (%s); attempt %d of %d, retrying in %.1f s",
            service,
            reason(state),
            state.attempt_number,
            attempts,
            sleep,
        )

    return AsyncRetrying(
        stop=stop_after_attempt(attempts),
        wait=PoliteWait(retry_after_of, max_retry_after, base, ceiling),
        retry=retry,
        before_sleep=log_retry,
        retry_error_callback=give_up,
        reraise=give_up is None,
    )
