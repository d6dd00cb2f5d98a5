"""Papers each section is missing: Semantic Scholar's recommendations and arXiv's newest, scored by the lists' own model.

    summary = run_suggest(db, SuggestConfig(...))
    suggestion_rows(db)  # open suggestions per section, best first, with their evidence
    reject(db, "2401.01234", "off topic", now)  # never suggested again

`profile` (pure) says what a section is about and scores a candidate, `sources`
reads the two services, `store` keeps suggestions with their history, `run`
decides what is due and ties them together, `render` prints them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazyexports import lazy_exports
from .config import DEFAULT_MAX_AGE, SuggestConfig

if TYPE_CHECKING:
    from .profile import MIN_SECTION_PAPERS
    from .run import SuggestSummary, list_ids_of, parse_since, run_suggest, suggest
    from .store import mark_listed, reject, rejected_ids, suggestion_rows

# The asking and scoring side (httpx, the parser, the text model), imported when first named.
__getattr__ = lazy_exports(
    __name__,
    {
        "MIN_SECTION_PAPERS": "profile",
        **{name: "run" for name in ("SuggestSummary", "list_ids_of", "parse_since", "run_suggest", "suggest")},
        **{name: "store" for name in ("mark_listed", "reject", "rejected_ids", "suggestion_rows")},
    },
)

__all__ = [
    "DEFAULT_MAX_AGE",
    "MIN_SECTION_PAPERS",
    "SuggestConfig",
    "SuggestSummary",
    "list_ids_of",
    "mark_listed",
    "parse_since",
    "reject",
    "rejected_ids",
    "run_suggest",
    "suggest",
    "suggestion_rows",
]
