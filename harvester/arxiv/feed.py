"""arXiv Atom bytes -> Paper records, both API dialects. Pure: bytes in, data out.

INTERFACE (fixed; other modules rely on these names). The parsing itself is
implemented below the dataclasses.

Two passes over the same bytes: feedparser reads dates, links and tags; a
namespace-aware xml.etree pass decides what is a feed at all and reads what
feedparser flattens (one affiliation per entry, one DOI) or rewrites (it
sanitizes text that looks like HTML). Entries of the two are matched by <id>.
"""

from __future__ import annotations

import calendar
import copy
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import feedparser

from .. import ids
from ..errors import FeedError, InvalidArxivId


@dataclass(frozen=True)
class Author:
    name: str
    affiliations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Paper:
    arxiv_id: str  # canonical unversioned ID, e.g. "1907.05642", "math/0309136"
    version: int  # the version this entry describes (from <id>)
    title: str  # whitespace collapsed
    abstract: str  # whitespace collapsed
    authors: tuple[Author, ...]  # in order, each with its own affiliations
    published: datetime  # v1 submission time, timezone-aware UTC
    updated: datetime  # this version's submission time, timezone-aware UTC
    primary_category: str | None
    categories: tuple[str, ...]  # arXiv categories only (primary first when listed)
    other_classifications: tuple[str, ...]  # ACM / MSC codes found among <category> terms
    comment: str | None
    journal_ref: str | None
    dois: tuple[str, ...]  # every publisher DOI given, bare ("10.1103/...")
    abs_url: str
    pdf_url: str | None
    raw_xml: str  # this <entry> element serialized, for the raw_entries table


@dataclass(frozen=True)
class FeedErrorEntry:
    """An arXiv error entry (e.g. HTTP 400 'incorrect id format for X')."""

    message: str  # the <summary>, e.g. "incorrect id format for abc"
    bad_id: str | None  # the offending ID when the message names one


@dataclass(frozen=True)
class Feed:
    papers: tuple[Paper, ...]
    errors: tuple[FeedErrorEntry, ...]
    total_results: int | None  # opensearch:totalResults
    start_index: int | None
    items_per_page: int | None


ATOM_NS = "http://www.w3.org/2005/Atom"
ARXIV_NS = "http://arxiv.org/schemas/atom"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
_A = f"{{{ATOM_NS}}}"
_X = f"{{{ARXIV_NS}}}"
_OS = f"{{{OPENSEARCH_NS}}}"

# Serialize raw entries with readable prefixes instead of ns0/ns1.
ET.register_namespace("atom", ATOM_NS)
ET.register_namespace("arxiv", ARXIV_NS)
ET.register_namespace("opensearch", OPENSEARCH_NS)

ERROR_ID_MARKER = "/api/errors#"
_BAD_ID = re.compile(r"incorrect id format for (?P<id>.+?)\s*$")
# arXiv category names: "cs.LG", "astro-ph", "physics.ed-ph", "cond-mat.stat-mech".
# ACM ("F.4.1; K.2") and MSC ("03B70, 68Q99") codes contain digits, so never match.
_ARXIV_CATEGORY = re.compile(r"^[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]+(?:-[a-z]+)?)?$")
_DOI_LINK = re.compile(r"^https?://(?:dx\.)?doi\.org/(?P<doi>10\..+)$", re.IGNORECASE)


def parse_feed(data: bytes) -> Feed:
    """Parse an arXiv API response body.

    Raises harvester.errors.FeedError when the body is not a well-formed Atom feed
    (garbage, truncated XML, HTML, a plain-text 'Rate exceeded', ...).
    """
    root = _atom_root(data)
    parsed = _feedparser_entries(data)
    papers: list[Paper] = []
    errors: list[FeedErrorEntry] = []
    for element in root.findall(f"{_A}entry"):
        entry_id = _text(element, f"{_A}id").strip()
        if ERROR_ID_MARKER in entry_id:
            errors.append(_error_entry(element))
        else:
            papers.append(_paper(element, parsed.get(entry_id)))
    return Feed(
        papers=tuple(papers),
        errors=tuple(errors),
        total_results=_int_or_none(root.find(f"{_OS}totalResults")),
        start_index=_int_or_none(root.find(f"{_OS}startIndex")),
        items_per_page=_int_or_none(root.find(f"{_OS}itemsPerPage")),
    )


def _atom_root(data: bytes) -> ET.Element:
    if not isinstance(data, bytes):
        # A str could be taken for a file name or URL by feedparser.
        raise TypeError("parse_feed takes the response body as bytes")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise FeedError(f"not well-formed XML ({exc}): {_preview(data)}") from exc
    if root.tag != f"{_A}feed":
        raise FeedError(f"not an Atom feed (root element {root.tag!r}): {_preview(data)}")
    return root


def _feedparser_entries(data: bytes) -> dict[str, Any]:
    result = feedparser.parse(data)
    if result.get("bozo") and not isinstance(result.get("bozo_exception"), feedparser.CharacterEncodingOverride):
        raise FeedError(f"malformed feed ({result.get('bozo_exception')}): {_preview(data)}")
    return {str(entry.get("id", "")).strip(): entry for entry in result.entries}


def _paper(element: ET.Element, parsed: Any) -> Paper:
    entry_id = _text(element, f"{_A}id").strip()
    if parsed is None:
        raise FeedError(f"entry {entry_id!r} could not be read")
    arxiv_id = _entry_arxiv_id(entry_id)
    categories, others = _classifications(parsed)
    primary = _primary_category(parsed)
    return Paper(
        arxiv_id=arxiv_id.id,
        version=arxiv_id.version or 1,
        # Text comes from the XML itself: feedparser's HTML sanitizer drops
        # anything in a title or abstract that looks like a tag ("x<y <b>").
        title=_required_text(element, "title", entry_id),
        abstract=_required_text(element, "summary", entry_id),
        authors=_required_authors(element, entry_id),
        published=_utc(parsed, "published", entry_id),
        updated=_utc(parsed, "updated", entry_id),
        primary_category=primary,
        categories=_primary_first(categories, primary),
        other_classifications=others,
        comment=_optional(element, f"{_X}comment"),
        journal_ref=_optional(element, f"{_X}journal_ref"),
        dois=_dois(element, parsed),
        abs_url=_link(parsed, rel="alternate") or ids.abs_url(arxiv_id),
        pdf_url=_pdf_link(parsed),
        raw_xml=_serialize(element),
    )


# What makes an entry broken rather than merely sparse. Every arXiv paper has an
# id, a title, an abstract, at least one named author and its submission times;
# an entry without one of them is a damaged answer (the store would write the
# blank over good data), so the whole feed is refused like a truncated one and
# asked again. What a paper may really lack is tolerated: a comment, a journal
# reference, DOIs (their absence in a new version is news, and is stored) and
# the links (the abs page is derived from the id). Categories are tolerated too,
# though every paper has one: they only label a paper (search, export), and
# refusing every feed for a label, should arXiv change how it writes them, would
# stop all updates where a blank label costs little and the next fetch fixes it.
def _required_text(element: ET.Element, name: str, entry_id: str) -> str:
    text = _collapse(_text(element, f"{_A}{name}"))
    if not text:
        raise FeedError(f"entry {entry_id!r} has no <{name}>: a damaged answer")
    return text


def _required_authors(element: ET.Element, entry_id: str) -> tuple[Author, ...]:
    authors = _authors(element)
    if not authors or not all(author.name for author in authors):
        raise FeedError(f"entry {entry_id!r} has an <author> without a <name>, or none: a damaged answer")
    return authors


def _entry_arxiv_id(entry_id: str) -> ids.ArxivId:
    try:
        found = ids.parse_arxiv_id(entry_id)
    except InvalidArxivId as exc:
        raise FeedError(f"entry id {entry_id!r} is not an arXiv paper: {exc}") from exc
    return found


def _error_entry(element: ET.Element) -> FeedErrorEntry:
    message = _collapse(_text(element, f"{_A}summary"))
    match = _BAD_ID.search(message)
    return FeedErrorEntry(message=message, bad_id=match.group("id") if match else None)


def _authors(element: ET.Element) -> tuple[Author, ...]:
    return tuple(
        Author(
            name=_collapse(_text(author, f"{_A}name")),
            affiliations=tuple(_collapse(aff.text or "") for aff in author.findall(f"{_X}affiliation") if aff.text),
        )
        for author in element.findall(f"{_A}author")
    )


def _classifications(parsed: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    categories: list[str] = []
    others: list[str] = []
    for tag in parsed.get("tags", []):
        term = _collapse(tag.get("term") or "")
        if _ARXIV_CATEGORY.match(term):
            categories.append(term)
        else:
            # One term may hold several codes: "03B70, 68Q99", "F.4.1; F.4.m; K.2".
            others.extend(code.strip() for code in re.split(r"[;,]", term) if code.strip())
    return _unique(categories), _unique(others)


def _primary_category(parsed: Any) -> str | None:
    primary = parsed.get("arxiv_primary_category") or {}
    term = _collapse(primary.get("term") or "")
    return term or None


def _primary_first(categories: tuple[str, ...], primary: str | None) -> tuple[str, ...]:
    if primary is None or primary not in categories:
        return categories
    return (primary, *(c for c in categories if c != primary))


def _dois(element: ET.Element, parsed: Any) -> tuple[str, ...]:
    # arxiv:doi may be repeated and may hold several DOIs separated by spaces.
    found = [doi for node in element.findall(f"{_X}doi") for doi in (node.text or "").split()]
    for link in parsed.get("links", []):
        match = _DOI_LINK.match(link.get("href", ""))
        if link.get("title") == "doi" and match:
            found.append(unquote(match.group("doi")))
    return _unique(found)


def _link(parsed: Any, *, rel: str) -> str | None:
    for link in parsed.get("links", []):
        if link.get("rel") == rel and link.get("href"):
            return str(link["href"])
    return None


def _pdf_link(parsed: Any) -> str | None:
    for link in parsed.get("links", []):
        if link.get("title") == "pdf" or link.get("type") == "application/pdf":
            return str(link["href"])
    return None


def _utc(parsed: Any, field: str, entry_id: str) -> datetime:
    # feedparser normalizes any offset ("-04:00", "Z") to a UTC struct_time.
    value = parsed.get(f"{field}_parsed")
    if value is None:
        raise FeedError(f"entry {entry_id!r} has no valid <{field}> time")
    return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)


def _serialize(element: ET.Element) -> str:
    detached = copy.copy(element)
    detached.tail = None  # the whitespace after </entry> belongs to the feed
    return ET.tostring(detached, encoding="unicode")


def _text(element: ET.Element, path: str) -> str:
    node = element.find(path)
    return "" if node is None else "".join(node.itertext())


def _optional(element: ET.Element, path: str) -> str | None:
    text = _collapse(_text(element, path))
    return text or None


def _int_or_none(node: ET.Element | None) -> int | None:
    if node is None or node.text is None:
        return None
    try:
        return int(node.text.strip())
    except ValueError:
        return None


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _preview(data: bytes) -> str:
    return repr(data[:80].decode("utf-8", "replace"))


# "This paper has been withdrawn", "withdrawn by the authors", "withdrawal": arXiv's
# comment is the only place a withdrawal is written. Decided here, once, at harvest.
_WITHDRAWN = re.compile(r"\bwithdrawn?\b|\bwithdrawal\b", re.IGNORECASE)


def says_withdrawn(comment: str | None) -> bool:
    return bool(comment and _WITHDRAWN.search(comment))
