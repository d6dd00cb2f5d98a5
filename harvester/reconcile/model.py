"""The reconciler's data: what goes in (entries, papers, versions, evidence) and the findings that come out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..readinglist import NotedDate
from ..vocabulary import severity_of

# Submission times are UTC; a curator in UTC+8 or UTC-7 may see the neighbouring day.
DATE_TOLERANCE = timedelta(days=1)


@dataclass(frozen=True)
class NotedLink:
    url: str
    role: str  # title | paper | code | notes | other
    line: int
    position: int = 0
    label: str = ""
    arxiv_id: str | None = None
    arxiv_version: int | None = None
    marker: str | None = None  # what the curator wrote after the link: "official", "unofficial", ...


@dataclass(frozen=True)
class EntryInput:
    list_id: int
    list_path: str
    entry_key: str
    section: str
    line: int
    end_line: int
    noted_title: str | None = None
    arxiv_id: str | None = None
    arxiv_ids: tuple[str, ...] = ()
    noted_date: NotedDate | None = None
    noted_venue: str | None = None
    links: tuple[NotedLink, ...] = ()
    raw: str = ""
    entry_id: int | None = None


@dataclass(frozen=True)
class VersionInfo:
    version: int
    title: str
    submitted: datetime
    seen_at: datetime | None = None  # when harvester first stored this version


@dataclass(frozen=True)
class VenueEvidence:
    """What may name the venue: free text (arXiv's comment or journal ref, an enrichment's venue),
    or a source's identity for it (`names` and `dblp_key`: every one of them is the venue's)."""

    source: str  # "arxiv", "semantic_scholar", ...
    text: str  # free text, or for an identity what to show: its main name or the DBLP key
    names: tuple[str, ...] = ()  # the venue's names as the source gives them, main name first
    dblp_key: str | None = None  # "conf/icip/SmithD19"
    year: int | None = None  # the source's year: labels a suggestion, never contradicts a noted year

    @property
    def is_identity(self) -> bool:
        return bool(self.names or self.dblp_key)


@dataclass(frozen=True)
class CodeEvidence:
    """An enrichment source naming the paper's official code repository."""

    source: str  # "huggingface", ...
    url: str


@dataclass(frozen=True)
class DoiEvidence:
    """An enrichment source naming the published version's DOI (never arXiv's 10.48550 one)."""

    source: str  # "semantic_scholar", ...
    doi: str


@dataclass(frozen=True)
class PaperInfo:
    arxiv_id: str
    title: str  # the latest version's
    published: datetime  # v1's submission
    abstract: str = ""
    comment: str | None = None  # the latest version's
    journal_ref: str | None = None
    withdrawn: bool = False
    versions: tuple[VersionInfo, ...] = ()  # every version harvester has seen, any order
    extra_venues: tuple[VenueEvidence, ...] = ()  # enrichment sources, checked after arXiv's
    official_code: tuple[CodeEvidence, ...] = ()  # enrichment sources, first one first
    published_dois: tuple[DoiEvidence, ...] = ()  # enrichment sources, first one first
    categories: tuple[str, ...] = ()  # arXiv categories, primary first

    def venue_evidence(self) -> tuple[VenueEvidence, ...]:
        own = tuple(VenueEvidence("arxiv", t) for t in (self.comment, self.journal_ref) if t)
        return own + self.extra_venues


@dataclass(frozen=True)
class Topic:
    """A topic reading lists file papers under, named in any language."""

    name: str
    headings: tuple[str, ...]  # words that make a section heading name this topic
    words: tuple[str, ...]  # words in an entry's text that speak for it


@dataclass(frozen=True)
class TopicGlossary:
    """What `category_suspect` knows about topics beyond the lists themselves."""

    topics: tuple[Topic, ...] = ()
    catch_all: tuple[str, ...] = ()  # heading words of a section for whatever fits nowhere else


@dataclass(frozen=True)
class ReconcileInput:
    entries: tuple[EntryInput, ...]
    papers: Mapping[str, PaperInfo] = field(default_factory=dict)
    # IDs arXiv says do not exist: never returned, or no longer returned for long
    # enough (the loader applies the grace; a paper's stored metadata stays).
    missing_ids: frozenset[str] = frozenset()
    last_run: datetime | None = None  # the previous reconcile, for new_version
    # Without a glossary, sections are compared only within each list (see sections.py).
    topics: TopicGlossary | None = None


@dataclass(frozen=True)
class Finding:
    key: str
    kind: str
    severity: str
    list_id: int
    list_path: str
    entry_key: str
    entry_id: int | None
    section: str
    line: int
    arxiv_id: str | None
    noted: str | None
    arxiv_value: str | None
    suggestion: str | None
    source: str
    detail: str


def finding(
    entry: EntryInput,
    kind: str,
    arxiv_id: str | None,
    *,
    detail: str,
    noted: str | None = None,
    arxiv_value: str | None = None,
    suggestion: str | None = None,
    source: str = "arxiv",
    line: int | None = None,
    extra: str | None = None,
) -> Finding:
    key = f"{entry.list_id}:{entry.entry_key}:{kind}" + (f":{extra}" if extra else "")
    return Finding(
        key=key,
        kind=kind,
        severity=severity_of(kind),
        list_id=entry.list_id,
        list_path=entry.list_path,
        entry_key=entry.entry_key,
        entry_id=entry.entry_id,
        section=entry.section,
        line=line or entry.line,
        arxiv_id=arxiv_id,
        noted=noted,
        arxiv_value=arxiv_value,
        suggestion=suggestion,
        source=source,
        detail=detail,
    )


def line_of(entry: EntryInput, text: str | None) -> int:
    """Source line of `text` inside the entry; the entry's first line when it is not there."""
    if not text or text not in entry.raw:
        return entry.line
    return entry.line + entry.raw[: entry.raw.index(text)].count("\n")


def entry_ids(entry: EntryInput) -> list[str]:
    ids = list(dict.fromkeys(entry.arxiv_ids))
    if entry.arxiv_id and entry.arxiv_id not in ids:
        ids.insert(0, entry.arxiv_id)
    return ids
