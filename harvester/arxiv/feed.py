"""arXiv Atom bytes -> Paper records, both API dialects. Pure: bytes in, data out.

INTERFACE (fixed; other modules rely on these names). The parsing itself is
implemented below the dataclasses.

Two readers, chosen per response:

- The plain reader: one xml.etree pass over the well-formed UTF-8 Atom the API
  returns today. It reads every field itself (dates in the strict RFC 3339
  form arXiv writes, links, categories, the arXiv extensions) and is several
  times faster than feedparser, whose callbacks were most of a fetch's CPU.
- The tolerant reader: feedparser for dates, links and tags, plus the same
  namespace-aware xml.etree pass for what feedparser flattens (one
  affiliation per entry, one DOI) or rewrites (it sanitizes text that looks
  like HTML). Entries of the two are matched by <id>.

The rule: a response goes to the plain reader when it declares no encoding
but UTF-8, binds the arXiv namespace to no prefix but `arxiv`, uses no
`xml:base`, and every entry has exactly one <id>, <published> and <updated>
in the form `YYYY-MM-DDTHH:MM:SS` with `Z` or `+HH:MM`, only the children
arXiv writes (Atom id, title, summary, author, link, category, published,
updated; arXiv comment, journal_ref, doi, primary_category, at most one),
links with an absolute http(s) `href`, categories without text content, and
no <id> twice. Anything else (a hand-made or older feed, another date
format, relative links, other vocabularies) is read by the tolerant reader,
so feedparser's lenient date parsing and link handling still decide there.
Both readers give the same Feed for what the plain one accepts
(tests/test_feed_readers.py compares them on every recorded response).
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
    if _plain_response(data):
        plain = _read_plain(root)
        if plain is not None:
            return plain
    return _read_tolerant(root, data)


def parse_feed_tolerant(data: bytes) -> Feed:
    """parse_feed through the tolerant (feedparser) reader, whatever the response looks like."""
    return _read_tolerant(_atom_root(data), data)


def _read_tolerant(root: ET.Element, data: bytes) -> Feed:
    parsed = _feedparser_entries(data)
    papers: list[Paper] = []
    errors: list[FeedErrorEntry] = []
    for element in root.findall(f"{_A}entry"):
        entry_id = _text(element, f"{_A}id").strip()
        if ERROR_ID_MARKER in entry_id:
            errors.append(_error_entry(element))
        else:
            papers.append(_paper(element, parsed.get(entry_id)))
    return _feed(root, papers, errors)


def _feed(root: ET.Element, papers: list[Paper], errors: list[FeedErrorEntry]) -> Feed:
    return Feed(
        papers=tuple(papers),
        errors=tuple(errors),
        total_results=_int_or_none(root.find(f"{_OS}totalResults")),
        start_index=_int_or_none(root.find(f"{_OS}startIndex")),
        items_per_page=_int_or_none(root.find(f"{_OS}itemsPerPage")),
    )


# --- the plain reader ----------------------------------------------------------------------

_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*\bencoding\s*=\s*[\"']([^\"']+)[\"']")
_ARXIV_PREFIX = re.compile(rb"xmlns(?::([\w.-]+))?\s*=\s*[\"']http://arxiv\.org/schemas/atom[\"']")
_STRICT_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})")
_ABSOLUTE_HREF = re.compile(r"https?://[^/\s][^\s]*")
_ONCE = frozenset({f"{_A}id", f"{_A}published", f"{_A}updated", f"{_X}primary_category"})
_PLAIN_CHILDREN = frozenset(
    {
        f"{_A}id",
        f"{_A}title",
        f"{_A}summary",
        f"{_A}author",
        f"{_A}link",
        f"{_A}category",
        f"{_A}published",
        f"{_A}updated",
        f"{_X}comment",
        f"{_X}journal_ref",
        f"{_X}doi",
        f"{_X}primary_category",
    }
)


def _plain_response(data: bytes) -> bool:
    """What can be decided from the bytes alone: UTF-8, `arxiv` prefix only, no xml:base."""
    declared = _DECLARED_ENCODING.match(data)
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        return False
    if any(prefix != b"arxiv" for prefix in _ARXIV_PREFIX.findall(data)):
        return False  # feedparser names unknown namespaces by the document's prefix
    return b"xml:base" not in data


class _NotPlain(Exception):
    """This entry is for the tolerant reader."""


def _read_plain(root: ET.Element) -> Feed | None:
    papers: list[Paper] = []
    errors: list[FeedErrorEntry] = []
    seen: set[str] = set()
    try:
        for element in root.iterfind(f"{_A}entry"):
            entry_id = _text(element, f"{_A}id").strip()
            if entry_id in seen:
                return None  # feedparser would keep one of the two: let it decide
            seen.add(entry_id)
            if ERROR_ID_MARKER in entry_id:
                errors.append(_error_entry(element))
            else:
                papers.append(_plain_paper(element, entry_id))
    except _NotPlain:
        return None
    return _feed(root, papers, errors)


def _plain_paper(element: ET.Element, entry_id: str) -> Paper:
    times: dict[str, str] = {}
    links: list[dict[str, str]] = []
    terms: list[str] = []
    primary: str | None = None
    counted: set[str] = set()
    for child in element:
        tag = child.tag
        if tag not in _PLAIN_CHILDREN:
            raise _NotPlain
        if tag in _ONCE:
            if tag in counted:
                raise _NotPlain
            counted.add(tag)
        if tag == f"{_A}link":
            href = child.get("href")
            if href is None or not _ABSOLUTE_HREF.fullmatch(href):
                raise _NotPlain
            links.append({"href": href, "rel": child.get("rel", "alternate"), "title": child.get("title", "")})
            links[-1]["type"] = child.get("type", "application/atom+xml" if links[-1]["rel"] == "self" else "text/html")
        elif tag == f"{_A}category":
            if (child.text or "").strip() or len(child):
                raise _NotPlain  # feedparser turns element text into a tag of its own
            terms.append(child.get("term") or "")
        elif tag == f"{_A}published" or tag == f"{_A}updated":
            times[tag] = child.text or ""
        elif tag == f"{_X}primary_category":
            primary = _collapse(child.get("term") or "") or None
    published = _strict_time(times.get(f"{_A}published"))
    updated = _strict_time(times.get(f"{_A}updated"))
    arxiv_id = _entry_arxiv_id(entry_id)
    categories, others = _split_terms(terms)
    return Paper(
        arxiv_id=arxiv_id.id,
        version=arxiv_id.version or 1,
        title=_required_text(element, "title", entry_id),
        abstract=_required_text(element, "summary", entry_id),
        authors=_required_authors(element, entry_id),
        published=published,
        updated=updated,
        primary_category=primary,
        categories=_primary_first(categories, primary),
        other_classifications=others,
        comment=_optional(element, f"{_X}comment"),
        journal_ref=_optional(element, f"{_X}journal_ref"),
        dois=_dois(element, {"links": links}),
        abs_url=_link({"links": links}, rel="alternate") or ids.abs_url(arxiv_id),
        pdf_url=_pdf_link({"links": links}),
        raw_xml=_serialize(element),
    )


def _strict_time(text: str | None) -> datetime:
    if text is None or not _STRICT_TIME.fullmatch(text):
        raise _NotPlain  # missing, or a form only feedparser's date parsers know
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        raise _NotPlain from None  # "2020-13-45...": feedparser says whether that is a time


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
    # Imported here: most responses never need it, and loading it costs every command 30 ms.
    import feedparser

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
    return _split_terms([tag.get("term") or "" for tag in parsed.get("tags", [])])


def _split_terms(terms: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    categories: list[str] = []
    others: list[str] = []
    for raw in terms:
        term = _collapse(raw)
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
