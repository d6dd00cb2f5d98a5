"""How suggestions are asked for: light (no httpx, no parser), so reading the settings stays cheap."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..arxiv.config import ClientConfig
from ..enrich.config import EnrichConfig
from ..vocabulary import SUGGESTION_SOURCES

DEFAULT_MAX_AGE = timedelta(days=7)  # new papers appear daily; a week keeps a nightly refresh to one ask a week


@dataclass(frozen=True)
class SuggestConfig:
    arxiv: ClientConfig = field(default_factory=ClientConfig)
    enrich: EnrichConfig = field(default_factory=EnrichConfig)  # Semantic Scholar's address, key, pace, retries
    sources: tuple[str, ...] = tuple(s.value for s in SUGGESTION_SOURCES)
    max_age: timedelta = DEFAULT_MAX_AGE  # stored candidates younger than this are not asked for again
    per_source: int = 20  # candidates asked of each source per section
    negatives: int = 10  # papers of the list's other sections sent as negative examples
    since: datetime | None = None  # candidates from this date on; arXiv searched from it, not the newest entry
