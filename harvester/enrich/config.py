"""Which enrichment sources exist, and how a run is configured.

Adding a source (DBLP, OpenReview) is one module with a class shaped like
`base.Source`, one `SourceSpec` in `SOURCES`, and its `url`, `delay` and `key`
settings in harvester/config.py (`Settings.enrich_<name>_*`; a test checks each
source has them). Users set them in harvester.toml, the environment or flags.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from . import huggingface, semantic_scholar
from .base import Source, SourceSettings

DEFAULT_MAX_AGE = timedelta(days=7)
# "Not indexed" changes slowly (a paper gets its page once, if ever): asked again after 30 days.
DEFAULT_NOT_FOUND_MAX_AGE = timedelta(days=30)


@dataclass(frozen=True)
class SourceSpec:
    name: str
    build: Callable[[SourceSettings], Source]
    default_url: str
    default_delay: float = 1.0
    keyed_delay: float | None = None  # the spacing with a key or token, when the service allows more
    budget: bool = False  # its limit is a budget per time window (an average rate), not a gap (politeness.RateLimiter)


SOURCES: dict[str, SourceSpec] = {
    semantic_scholar.NAME: SourceSpec(
        name=semantic_scholar.NAME,
        build=lambda s: semantic_scholar.SemanticScholar(s.base_url, s.api_key),
        default_url=semantic_scholar.DEFAULT_URL,
    ),
    huggingface.NAME: SourceSpec(
        name=huggingface.NAME,
        build=lambda s: huggingface.HuggingFace(s.base_url, s.api_key),
        default_url=huggingface.DEFAULT_URL,
        default_delay=huggingface.ANONYMOUS_DELAY,
        keyed_delay=huggingface.TOKEN_DELAY,
        budget=True,
    ),
}
DEFAULT_SOURCES: tuple[str, ...] = tuple(SOURCES)


def default_settings() -> dict[str, SourceSettings]:
    return {name: SourceSettings(spec.default_url, spec.default_delay) for name, spec in SOURCES.items()}


@dataclass(frozen=True)
class EnrichConfig:
    sources: tuple[str, ...] = DEFAULT_SOURCES  # the sources a run asks, in order; () turns enrichment off
    settings: Mapping[str, SourceSettings] = field(default_factory=default_settings)
    max_age: timedelta = DEFAULT_MAX_AGE  # answers younger than this are not asked again
    not_found_max_age: timedelta = DEFAULT_NOT_FOUND_MAX_AGE  # the same for "not indexed" answers
    contact: str | None = None  # e-mail or URL for the User-Agent

    def settings_for(self, name: str) -> SourceSettings:
        spec = SOURCES[name]
        return self.settings.get(name) or SourceSettings(spec.default_url, spec.default_delay)

    def with_source(self, name: str, **changes: Any) -> EnrichConfig:
        """A copy with one source's settings changed (base_url, delay, api_key, max_attempts, ...)."""
        updated = dict(self.settings)
        updated[name] = replace(self.settings_for(name), **changes)
        return replace(self, settings=updated)
