"""Enrichment beyond arXiv: published venue, DOI and citations (Semantic Scholar), official code (Hugging Face).

    summary = run_enrich(db, settings.enrich_config())  # settings: harvester.config.Settings
    summary.status  # "ok" or "partial" (a service down, throttling or unknown)

Answers are stored per source in `enrichments` (see store.py), never merged
into arXiv's columns; reconciliation reads them through `reconciling.load_inputs`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazyexports import lazy_exports
from .base import Enrichment, EnrichmentUnavailable, Source, SourceSettings
from .config import DEFAULT_MAX_AGE, DEFAULT_SOURCES, SOURCES, EnrichConfig, SourceSpec

if TYPE_CHECKING:
    from .run import EnrichSummary, SourceSummary, enrich, papers_to_enrich, run_enrich

# The asking side (httpx, the database), imported when first named.
__getattr__ = lazy_exports(
    __name__, {name: "run" for name in ("EnrichSummary", "SourceSummary", "enrich", "papers_to_enrich", "run_enrich")}
)

__all__ = [
    "DEFAULT_MAX_AGE",
    "DEFAULT_SOURCES",
    "SOURCES",
    "EnrichConfig",
    "EnrichSummary",
    "Enrichment",
    "EnrichmentUnavailable",
    "Source",
    "SourceSettings",
    "SourceSpec",
    "SourceSummary",
    "enrich",
    "papers_to_enrich",
    "run_enrich",
]
