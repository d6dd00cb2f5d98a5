"""Which enrichment sources exist, and how a run is configured (from the environment or in code).

Adding a source (DBLP, OpenReview) is one module with a class shaped like
`base.Source` and one `SourceSpec` in `SOURCES`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from ..errors import HarvesterError
from ..timeutil import parse_duration
from . import huggingface, semantic_scholar
from .base import Source, SourceSettings

DEFAULT_MAX_AGE = timedelta(days=7)
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


SOURCES: dict[str, SourceSpec] = {
    semantic_scholar.NAME: SourceSpec(
        name=semantic_scholar.NAME,
        build=lambda s: semantic_scholar.SemanticScholar(s.base_url, s.api_key),
        default_url=semantic_scholar.DEFAULT_URL, url_env="HARVESTER_S2_URL",
        delay_env="HARVESTER_S2_DELAY", key_env=semantic_scholar.KEY_ENV,
    ),
    huggingface.NAME: SourceSpec(
        name=huggingface.NAME,
        build=lambda s: huggingface.HuggingFace(s.base_url, s.api_key),
        default_url=huggingface.DEFAULT_URL, url_env="HARVESTER_HF_URL",
        delay_env="HARVESTER_HF_DELAY", key_env=huggingface.KEY_ENV,
    ),
}  # fmt: skip
DEFAULT_SOURCES: tuple[str, ...] = tuple(SOURCES)


def default_settings() -> dict[str, SourceSettings]:
    return {name: SourceSettings(spec.default_url, spec.default_delay) for name, spec in SOURCES.items()}


@dataclass(frozen=True)
class EnrichConfig:
    sources: tuple[str, ...] = DEFAULT_SOURCES  # the sources a run asks, in order; () turns enrichment off
    settings: Mapping[str, SourceSettings] = field(default_factory=default_settings)
    max_age: timedelta = DEFAULT_MAX_AGE  # answers younger than this are not asked again
    contact: str | None = None  # e-mail or URL for the User-Agent

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> EnrichConfig:
        """Settings from HARVESTER_* variables and the sources' key variables; defaults otherwise."""
        settings = {name: _settings_from_env(spec, environ) for name, spec in SOURCES.items()}
        return cls(
            sources=_sources_from_env(environ),
            settings=settings,
            max_age=_duration(environ, MAX_AGE_ENV, DEFAULT_MAX_AGE),
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
    return SourceSettings(
        base_url=environ.get(spec.url_env) or spec.default_url,
        delay=_seconds(environ, spec.delay_env, spec.default_delay),
        api_key=environ.get(spec.key_env) or None,
        max_attempts=max(1, int(_seconds(environ, ATTEMPTS_ENV, defaults.max_attempts))),
        backoff_base=_seconds(environ, BACKOFF_ENV, defaults.backoff_base),
    )


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    text = environ.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise HarvesterError(f"{name}: not a number of seconds: {text!r}") from None
    if value < 0:
        raise HarvesterError(f"{name}: negative delay: {text!r}")
    return value


def _duration(environ: Mapping[str, str], name: str, default: timedelta) -> timedelta:
    text = environ.get(name)
    if not text:
        return default
    try:
        return parse_duration(text)
    except ValueError as error:
        raise HarvesterError(f"{name}: {error}") from None
