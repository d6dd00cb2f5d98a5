"""Polite, retrying requests to one enrichment source.

Each source gets its own spacing (`SourceSettings.delay`) through the arXiv
shared `RateLimiter`, or, once the service has sent a `RateLimit` header
(Hugging Face does), the spacing that spends the budget it says remains
evenly until its window resets, and the same retry rules as arXiv: timeouts, dropped
connections, 429 and 5xx are "not now" and are retried with exponential
backoff and jitter, honouring `Retry-After` up to a cap. Every other answer is
handed back for the source to interpret (a 404 can be a normal answer).
"""

from __future__ import annotations

import logging

import httpx

from ..politeness import (
    NOT_NOW,
    RateLimiter,
    RetryableAnswer,
    describe_failure,
    http_timeout,
    parse_retry_after,
    polite_retrying,
    spacing_from_ratelimit,
)
from .base import EnrichmentUnavailable, SourceSettings

log = logging.getLogger(__name__)

_RETRYABLE_STATUS = frozenset({408, 429})  # plus every 5xx


class PoliteHttp:
    """One source's view of the run's AsyncClient: spaced, retried, counted."""

    def __init__(self, client: httpx.AsyncClient, name: str, settings: SourceSettings, limiter: RateLimiter) -> None:
        self._client = client
        self._name = name
        self._settings = settings
        self._limiter = limiter
        self._timeout = http_timeout(settings.timeout, settings.connect_timeout)
        self.requests_made = 0  # every HTTP request sent, retries included
        self.spacing = settings.delay  # seconds between starts; the service's RateLimit header overrides it

    async def send(
        self, method: str, url: str, *, headers: dict[str, str] | None = None, json: object = None
    ) -> httpx.Response:
        """The first answer that is not "not now"; EnrichmentUnavailable when none came."""
        settings = self._settings
        retrying = polite_retrying(
            self._name,
            settings.max_attempts,
            settings.max_retry_after,
            settings.backoff_base,
            settings.backoff_max,
            log,
        )
        try:
            return await retrying(self._send_once, method, url, headers, json)
        except NOT_NOW as exc:
            raise EnrichmentUnavailable(
                f"{self._name} at {self._settings.base_url} did not answer after "
                f"{self._settings.max_attempts} attempts; last error: {describe_failure(exc)}"
            ) from exc

    async def _send_once(self, method: str, url: str, headers: dict[str, str] | None, json: object) -> httpx.Response:
        async with self._limiter.slot(self.spacing):
            self.requests_made += 1
            response = await self._client.request(method, url, headers=headers, json=json, timeout=self._timeout)
        announced = spacing_from_ratelimit(response.headers.get("RateLimit"))
        if announced is not None:
            self.spacing = announced
        if response.status_code in _RETRYABLE_STATUS or response.status_code >= 500:
            raise RetryableAnswer(
                f"HTTP {response.status_code}", parse_retry_after(response.headers.get("Retry-After"))
            )
        return response
