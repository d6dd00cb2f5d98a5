"""Which enrichment sources exist, and how a run is configured (from the environment or in code).

Adding a source (DBLP, OpenReview) is one module with a class shaped like
`base.Source` and one `SourceSpec` in `SOURCES`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from .. import settings_check
from . import huggingface, semantic_scholar
from .base import Source, SourceSettings

DEFAULT_MAX_AGE = timedelta(days=7)
# "Not indexed" changes slowly (a paper gets its page once, if ever): asked again after 30 days.
DEFAULT_NOT_FOUND_MAX_AGE = timedelta(days=30)
NOT_FOUND_MAX_AGE_ENV = "HARVESTER_ENRICH_NOT_FOUND_MAX_AGE"
SOURCES_ENV = "HARVESTER_ENRICH_SOURCES"
MAX_AGE_ENV = "HARVESTER_ENRICH_MAX_AGE"
CONTACT_ENV = "HARVESTER_CONTACT"


@dataclass(frozen=True)
class SourceSpec:
    name: str
    build: Callable[[SourceSettings], Source]
    default_url: str
    url_env: str  # overrides the base URL
    delay_env: str  # overrides the seconds between requests
    key_env: str  # the API key or token, when the user has one
    default_delay: float = 1.0
    keyed_delay: float | None = None  # the spacing with a key or token, when the service allows more
    budget: bool = False  # its limit is a budget per time window (an average rate), not a gap (politeness.RateLimiter)


SOURCES: dict[str, SourceSpec] = {
    semantic_scholar.NAME: SourceSpec(
        name=semantic_scholar.NAME,
        build=lambda s: semantic_scholar.SemanticScholar(s.base_url, s.api_key),
        default_url=semantic_scholar.DEFAULT_URL,
        url_env="HARVESTER_S2_URL",
        delay_env="HARVESTER_S2_DELAY",
        key_env=semantic_scholar.KEY_ENV,
    ),
    huggingface.NAME: SourceSpec(
        name=huggingface.NAME,
        build=lambda s: huggingface.HuggingFace(s.base_url, s.api_key),
        default_url=huggingface.DEFAULT_URL,
        url_env="HARVESTER_HF_URL",
        delay_env="HARVESTER_HF_DELAY",
        key_env=huggingface.KEY_ENV,
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

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> EnrichConfig:
        """Settings from HARVESTER_* variables and the sources' key variables; defaults otherwise."""
        settings = {name: _settings_from_env(spec, environ) for name, spec in SOURCES.items()}
        return cls(
            sources=_sources_from_env(environ),
            settings=settings,
            max_age=settings_check.from_env(environ, MAX_AGE_ENV, settings_check.duration, DEFAULT_MAX_AGE),
            not_found_max_age=settings_check.from_env(
                environ, NOT_FOUND_MAX_AGE_ENV, settings_check.duration, DEFAULT_NOT_FOUND_MAX_AGE
            ),
            contact=environ.get(CONTACT_ENV) or None,
        )

    def settings_for(self, name: str) -> SourceSettings:
        spec = SOURCES[name]
        return self.settings.get(name) or SourceSettings(spec.default_url, spec.default_delay)

    def with_source(self, name: str, **changes: Any) -> EnrichConfig:
        """A copy with one source's settings changed (base_url, delay, api_key, max_attempts, ...)."""
        updated = dict(self.settings)
        updated[name] = replace(self.settings_for(name), **changes)
        return replace(self, settings=updated)


def _sources_from_env(environ: Mapping[str, str]) -> tuple[str, ...]:
    if SOURCES_ENV not in environ:
        return DEFAULT_SOURCES
    # An unknown name is kept: the run reports it as a failed source (a partial
    # step) instead of a typo stopping the whole nightly job.
    return tuple(dict.fromkeys(n.strip() for n in environ[SOURCES_ENV].split(",") if n.strip()))


ATTEMPTS_ENV = "HARVESTER_ENRICH_ATTEMPTS"
BACKOFF_ENV = "HARVESTER_ENRICH_BACKOFF"


def _settings_from_env(spec: SourceSpec, environ: Mapping[str, str]) -> SourceSettings:
    defaults = SourceSettings(base_url=spec.default_url)
    api_key = environ.get(spec.key_env) or None
    delay = spec.keyed_delay if api_key and spec.keyed_delay is not None else spec.default_delay
    return SourceSettings(
        base_url=environ.get(spec.url_env) or spec.default_url,
        delay=settings_check.from_env(environ, spec.delay_env, settings_check.delay, delay),
        api_key=api_key,
        max_attempts=settings_check.from_env(environ, ATTEMPTS_ENV, settings_check.count, defaults.max_attempts),
        backoff_base=settings_check.from_env(environ, BACKOFF_ENV, settings_check.delay, defaults.backoff_base),
    )
