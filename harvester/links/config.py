"""How hard and how politely links are checked: light (no httpx), so reading the settings stays cheap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from .verdicts import DeadRule


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
    # A link failing for a reason that may pass waits this long before its next check,
    # twice as long after each further failure, never longer than `longest_rest`.
    first_rest: timedelta = timedelta(hours=12)
    longest_rest: timedelta = timedelta(days=7)
    dead_after_runs: int = 3
    dead_after_days: int = 2
    allow_private: bool = False  # loopback, private and link-local addresses
    exclude: tuple[str, ...] = ()  # regular expressions; a URL matching one is skipped
    user_agent: str | None = None  # None: fetcher.DEFAULT_USER_AGENT

    @property
    def dead_rule(self) -> DeadRule:
        return DeadRule(runs=self.dead_after_runs, days=self.dead_after_days)
