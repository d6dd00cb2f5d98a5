"""How the arXiv client is configured: light (no httpx), so reading the settings stays cheap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

ARXIV_API_URL = "https://export.arxiv.org/api/query"
# Papers fetched longer ago than this are due again: a nightly run sees each once a day.
DEFAULT_STALE_AFTER = timedelta(hours=20)


@dataclass(frozen=True)
class ClientConfig:
    base_url: str = ARXIV_API_URL
    delay: float = 3.0  # seconds between the starts of two requests
    batch_size: int = 500  # IDs per request
    # Pooled connections have been seen to hang forever: always time out.
    timeout: float = 60.0  # seconds, for each read
    connect_timeout: float = 10.0  # seconds, for connecting (never more than `timeout`)
    max_attempts: int = 6  # per request, the first one included
    max_retry_after: float = 120.0  # cap on a server's Retry-After
    backoff_base: float = 3.0  # first backoff; doubles each retry, plus up to this much jitter
    backoff_max: float = 120.0
    contact: str | None = None  # e-mail or URL for the User-Agent
