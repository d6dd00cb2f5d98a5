"""Link health: check every link of the lists, judge it, and keep its history.

`checker` runs a check (which links are due, judged locally or fetched, recorded
as they complete); `fetcher` fetches one link (async httpx, politeness per host,
retries, redirects by hand, private addresses refused); `verdicts` holds the pure rules that turn what
a check saw, and the link's past, into a verdict; `history` owns the `links`
and `link_checks` tables.
"""

from typing import TYPE_CHECKING

from ..lazyexports import lazy_exports
from ..vocabulary import Verdict
from .config import LinkCheckConfig
from .verdicts import Hop

if TYPE_CHECKING:
    from .checker import LinkResult, LinkRunReport, check_links
    from .fetcher import DEFAULT_USER_AGENT, NameNotFound, NameResolutionFailed, Resolver, system_resolver
    from .history import EntryRef, link_rows, problem_findings, verdict_counts

# The checking side (httpx, asyncio, name resolution) and the tables, imported when first named.
__getattr__ = lazy_exports(
    __name__,
    {
        **{name: "history" for name in ("EntryRef", "link_rows", "problem_findings", "verdict_counts")},
        "LinkResult": "checker",
        "LinkRunReport": "checker",
        "check_links": "checker",
        "DEFAULT_USER_AGENT": "fetcher",
        "NameNotFound": "fetcher",
        "NameResolutionFailed": "fetcher",
        "Resolver": "fetcher",
        "system_resolver": "fetcher",
    },
)

__all__ = [
    "DEFAULT_USER_AGENT",
    "EntryRef",
    "Hop",
    "LinkCheckConfig",
    "LinkResult",
    "LinkRunReport",
    "NameNotFound",
    "NameResolutionFailed",
    "Resolver",
    "Verdict",
    "check_links",
    "link_rows",
    "problem_findings",
    "system_resolver",
    "verdict_counts",
]
