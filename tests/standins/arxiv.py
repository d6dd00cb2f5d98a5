"""A local stand-in for arXiv's `/api/query`, served over real HTTP on loopback.

It answers like the real API as field-notes.md describes it: GET or form POST,
`id_list` comma-separated, `max_results` 10 unless raised, entries in an order
other than the request's, unknown IDs silently left out, a malformed ID making
the whole request fail with 400 and an Atom error feed. It serves the seed
list's papers (tests/fixtures/arxiv/seed_papers.json) in the current dialect,
or the legacy one on demand, and can invent papers for any other valid ID.

A `search_query` (without `id_list`) is answered too: `cat:`, `all:`, `ti:`, `abs:`,
`au:` terms (a word matches a word of the field starting with it; a quoted
phrase matches as a phrase), `submittedDate:[YYYYMMDDHHMM TO YYYYMMDDHHMM]` (v1's
submission), AND / OR / ANDNOT and parentheses, over every paper it holds;
`sortBy` relevance (the default: here, newest first too), `submittedDate` or
`lastUpdatedDate`, `sortOrder` ascending or descending, `start` and `max_results`.
A query it cannot read is a 400 with an Atom error feed, as arXiv answers.

Faults are queued and each one is used up by the next request:

    with ArxivStandIn() as arxiv:
        arxiv.queue_faults(Fault.unavailable(retry_after="1"), Fault.drop())
        ...  # point a client at arxiv.url
        arxiv.requests  # what was asked, when, and how it was answered

Run it alone with `python -m tests.standins.arxiv --port 8008`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import random
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

from .serving import BackgroundServer, serve_in_background, shut_down

SEED_PAPERS_PATH = Path(__file__).resolve().parent.parent / "fixtures" / "arxiv" / "seed_papers.json"
API_PATH = "/api/query"
DEFAULT_MAX_RESULTS = 10  # arXiv's default: longer id_lists are cut silently

ATOM_NS = "http://www.w3.org/2005/Atom"
ARXIV_NS = "http://arxiv.org/schemas/atom"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"

# What arXiv itself accepts as an ID; deliberately not harvester.ids, so the
# client's own validation is tested against an independent grammar.
_WELL_FORMED = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)?(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$")
_VERSION = re.compile(r"v(\d+)$")

Dialect = Literal["current", "legacy"]


@dataclass(frozen=True)
class StoredVersion:
    version: int
    submitted: datetime
    title: str


@dataclass(frozen=True)
class StoredPaper:
    id: str
    authors: tuple[tuple[str, tuple[str, ...]], ...]  # (name, affiliations)
    abstract: str
    primary_category: str
    categories: tuple[str, ...]
    versions: tuple[StoredVersion, ...]
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None  # one or more DOIs separated by spaces, as arXiv gives them
    classifications: tuple[str, ...] = ()  # ACM/MSC terms, listed by the legacy dialect only

    def version(self, number: int | None) -> StoredVersion | None:
        if number is None:
            return self.versions[-1]
        return next((v for v in self.versions if v.version == number), None)


@dataclass(frozen=True)
class Fault:
    """One misbehaviour, used up by one request."""

    kind: Literal["status", "empty", "truncated", "hang", "drop", "omit", "blank"]
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    retry_after: str | None = None
    location: str | None = None
    seconds: float = 0.0
    omit: tuple[str, ...] = ()
    blank: tuple[str, ...] = ()  # element names taken out of every entry
    keep_empty: bool = False  # leave them there, empty, instead

    @property
    def label(self) -> str:
        return f"http {self.status}" if self.kind == "status" else self.kind

    @classmethod
    def unavailable(cls, retry_after: str | None = None) -> Fault:
        return cls("status", 503, b"Service Unavailable", retry_after=retry_after)

    @classmethod
    def rate_exceeded(cls, status: int = 429, retry_after: str | None = None) -> Fault:
        return cls("status", status, b"Rate exceeded", retry_after=retry_after)

    @classmethod
    def forbidden(cls) -> Fault:
        return cls("status", 403, b"<html><body>Forbidden</body></html>", "text/html")

    @classmethod
    def not_acceptable(cls) -> Fault:
        return cls("status", 406, b"Not Acceptable")

    @classmethod
    def http_status(cls, status: int, body: bytes = b"", retry_after: str | None = None) -> Fault:
        return cls("status", status, body, retry_after=retry_after)

    @classmethod
    def redirect(cls, location: str, status: int = 301) -> Fault:
        return cls("status", status, b"Moved", location=location)

    @classmethod
    def empty_feed(cls) -> Fault:
        return cls("empty")

    @classmethod
    def truncated(cls) -> Fault:
        return cls("truncated")

    @classmethod
    def hang(cls, seconds: float) -> Fault:
        """Answer normally, but only after `seconds` (longer than the client's timeout)."""
        return cls("hang", seconds=seconds)

    @classmethod
    def omit_ids(cls, *ids: str) -> Fault:
        """Answer normally but leave these IDs out, as a glitching index would."""
        return cls("omit", omit=ids)

    @classmethod
    def blank_entries(cls, *tags: str, keep_empty: bool = False) -> Fault:
        """Answer normally but with these elements (title, summary, author, ...) gone from every entry."""
        return cls("blank", blank=tags, keep_empty=keep_empty)

    @classmethod
    def drop(cls) -> Fault:
        """Close the connection without sending any response."""
        return cls("drop")


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    ids: tuple[str, ...]
    start: int
    max_results: int
    status: int | None  # None while in progress, or when the connection was dropped
    fault: str | None  # Fault.label: "http 503", "drop", "hang", ...
    started: float  # time.monotonic() when the request arrived
    ended: float | None  # time.monotonic() when the answer was sent (or dropped); None while in progress
    connection: int  # serial number of the TCP connection it came on
    user_agent: str | None
    accept: str | None


@dataclass
class _Answer:
    status: int
    body: bytes
    content_type: str = "application/atom+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class ArxivStandIn(BackgroundServer):
    """arXiv's query API on 127.0.0.1, in a background thread."""

    def __init__(
        self,
        papers: list[StoredPaper] | None = None,
        *,
        synthetic: bool = False,
        dialect: Dialect = "current",
        seed: int = 0,
        port: int = 0,
        error_names_id: bool = True,
    ) -> None:
        self.synthetic = synthetic
        self.absent: set[str] = set()  # IDs synthetic mode never invents: papers arXiv does not have
        self.dialect: Dialect = dialect
        # arXiv names the bad ID in its error; False gives a bare message instead.
        self.error_names_id = error_names_id
        self._papers = {p.id: p for p in (load_seed_papers() if papers is None else papers)}
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._faults: deque[Fault] = deque()
        self._log: list[RequestRecord] = []
        self._connections = 0
        self._connection_serial = 0
        self._in_flight = 0
        self.max_concurrent_connections = 0
        self.max_concurrent_requests = 0
        self._arrived = threading.Condition(self._lock)
        self._hangs_released = threading.Event()
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> ArxivStandIn:
        self._server = _Server(("127.0.0.1", self._port), _Handler, self)
        self._thread = serve_in_background(self._server, "arxiv-standin")
        return self

    def stop(self) -> None:
        self.release_hangs()
        shut_down(self._server, self._thread)

    @property
    def port(self) -> int:
        assert self._server is not None, "the stand-in is not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PATH}"

    # -- data ------------------------------------------------------------------

    def add_paper(self, paper: StoredPaper | dict[str, Any]) -> StoredPaper:
        stored = paper if isinstance(paper, StoredPaper) else stored_paper(paper)
        with self._lock:
            self._papers[stored.id] = stored
        return stored

    def remove_paper(self, arxiv_id: str) -> None:
        with self._lock:
            self._papers.pop(arxiv_id, None)

    def paper(self, arxiv_id: str) -> StoredPaper | None:
        with self._lock:
            return self._papers.get(arxiv_id)

    @property
    def paper_ids(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._papers)

    def add_version(
        self,
        arxiv_id: str,
        *,
        title: str | None = None,
        submitted: datetime | str | None = None,
        **changes: Any,
    ) -> StoredVersion:
        """Publish a new version of a paper; other fields (abstract, comment, ...) may change too."""
        with self._lock:
            paper = self._papers[arxiv_id]
            latest = paper.versions[-1]
            new = StoredVersion(
                version=latest.version + 1,
                submitted=_as_datetime(submitted) if submitted else datetime.now(UTC).replace(microsecond=0),
                title=title if title is not None else latest.title,
            )
            self._papers[arxiv_id] = replace(paper, versions=(*paper.versions, new), **changes)
            return new

    # -- faults and log --------------------------------------------------------

    def queue_faults(self, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend(faults)

    @property
    def pending_faults(self) -> int:
        with self._lock:
            return len(self._faults)

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request in the order they arrived, finished or not."""
        with self._lock:
            return list(self._log)

    def wait_for_requests(self, count: int, timeout: float = 30.0) -> list[RequestRecord]:
        """Block until `count` requests have arrived since the last reset (AssertionError after `timeout`)."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self._log) >= count, timeout):
                raise AssertionError(f"the arXiv stand-in got {len(self._log)} requests, not {count}, in {timeout:g} s")
            return list(self._log)

    def release_hangs(self) -> None:
        """Let every hanging request (Fault.hang), now or later, answer at once."""
        self._hangs_released.set()

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()
            self.max_concurrent_connections = self._connections
            self.max_concurrent_requests = self._in_flight

    # -- used by the handler ---------------------------------------------------

    def _connection_opened(self) -> int:
        with self._lock:
            self._connections += 1
            self._connection_serial += 1
            self.max_concurrent_connections = max(self.max_concurrent_connections, self._connections)
            return self._connection_serial

    def _connection_closed(self) -> None:
        with self._lock:
            self._connections -= 1

    def _request_started(self, record: RequestRecord) -> tuple[int, Fault | None]:
        with self._lock:
            self._in_flight += 1
            self.max_concurrent_requests = max(self.max_concurrent_requests, self._in_flight)
            fault = self._faults.popleft() if self._faults else None
            self._log.append(replace(record, fault=fault.label if fault else None))
            self._arrived.notify_all()
            return len(self._log) - 1, fault

    def _request_ended(self, index: int, status: int | None) -> None:
        with self._lock:
            self._in_flight -= 1
            if index < len(self._log):  # unless the log was reset meanwhile
                self._log[index] = replace(self._log[index], status=status, ended=time.monotonic())

    def _wait(self, seconds: float) -> None:
        self._hangs_released.wait(seconds)

    def _answer(self, params: dict[str, str]) -> _Answer:
        if params.get("search_query", "").strip() and not _id_list(params):
            return self._search(params)
        ids = _id_list(params)
        malformed = next((i for i in ids if not _WELL_FORMED.match(i)), None)
        if malformed is not None:
            return _Answer(400, render_error_feed(malformed if self.error_names_id else None))
        start = _int_param(params, "start", 0)
        max_results = _int_param(params, "max_results", DEFAULT_MAX_RESULTS)
        found = self._lookup(ids)
        page = found[start : start + max_results]
        with self._lock:
            self._rng.shuffle(page)  # arXiv does not keep the request order
        title = f"arXiv Query: search_query=&id_list={','.join(ids)}&start={start}&max_results={max_results}"
        return _Answer(200, render_feed(page, title, len(found), start, max_results, self.dialect))

    def _search(self, params: dict[str, str]) -> _Answer:
        query = params["search_query"]
        try:
            matcher = parse_search_query(query)
        except ValueError as error:
            return _Answer(400, render_error_feed(None, message=f"malformed query: {error}"))
        with self._lock:
            papers = list(self._papers.values())
        found = [(p, p.versions[-1]) for p in papers if matcher(p)]
        by_updated = params.get("sortBy") == "lastUpdatedDate"
        found.sort(
            key=lambda pv: (pv[1].submitted if by_updated else pv[0].versions[0].submitted, pv[0].id),
            reverse=params.get("sortOrder", "descending") != "ascending",
        )
        start = _int_param(params, "start", 0)
        max_results = _int_param(params, "max_results", DEFAULT_MAX_RESULTS)
        title = f"arXiv Query: search_query={query}&id_list=&start={start}&max_results={max_results}"
        return _Answer(
            200, render_feed(found[start : start + max_results], title, len(found), start, max_results, self.dialect)
        )

    def _lookup(self, ids: list[str]) -> list[tuple[StoredPaper, StoredVersion]]:
        found: dict[tuple[str, int], tuple[StoredPaper, StoredVersion]] = {}
        for requested in ids:
            base, number = _split_version(requested)
            with self._lock:
                paper = self._papers.get(base)
            if paper is None and self.synthetic and base not in self.absent:
                paper = synthetic_paper(base)
            version = paper.version(number) if paper else None
            if paper is not None and version is not None:
                found.setdefault((paper.id, version.version), (paper, version))
        return list(found.values())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], standin: ArxivStandIn):
        super().__init__(address, handler)
        self.standin = standin


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections open, so "one connection at a time" is observable.
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection_number = self.server.standin._connection_opened()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.standin._connection_closed()

    def do_GET(self) -> None:
        self._serve(parse_qs(urlsplit(self.path).query))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        params = parse_qs(urlsplit(self.path).query)
        params.update(parse_qs(body))
        self._serve(params)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # the request log replaces stderr noise

    def _serve(self, raw: dict[str, list[str]]) -> None:
        standin = self.server.standin
        params = {key: values[-1] for key, values in raw.items()}
        index, fault = standin._request_started(self._record(params))
        status: int | None = None
        try:
            if urlsplit(self.path).path != API_PATH:
                status = self._send(_Answer(404, b"Not Found", "text/plain"))
            else:
                status = self._respond(standin, params, fault)
        finally:
            standin._request_ended(index, status)

    def _record(self, params: dict[str, str]) -> RequestRecord:
        return RequestRecord(
            method=self.command,
            path=urlsplit(self.path).path,
            ids=tuple(_id_list(params)),
            start=_int_param(params, "start", 0),
            max_results=_int_param(params, "max_results", DEFAULT_MAX_RESULTS),
            status=None,
            fault=None,
            started=time.monotonic(),
            ended=None,
            connection=self.connection_number,
            user_agent=self.headers.get("User-Agent"),
            accept=self.headers.get("Accept"),
        )

    def _respond(self, standin: ArxivStandIn, params: dict[str, str], fault: Fault | None) -> int | None:
        if fault is None:
            return self._send(standin._answer(params))
        if fault.kind == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return None
        if fault.kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            if fault.location:
                headers["Location"] = fault.location
            return self._send(_Answer(fault.status, fault.body, fault.content_type, headers))
        if fault.kind == "empty":
            return self._send(_Answer(200, render_feed([], "arXiv Query: (empty)", 0, 0, 0, standin.dialect)))
        if fault.kind == "omit":
            kept = [i for i in _id_list(params) if i not in fault.omit]
            return self._send(standin._answer({**params, "id_list": ",".join(kept)}))
        answer = standin._answer(params)
        if fault.kind == "blank":
            return self._send(replace(answer, body=blank_entry_elements(answer.body, fault.blank, fault.keep_empty)))
        if fault.kind == "truncated":
            return self._send(replace(answer, body=answer.body[: len(answer.body) // 2]))
        standin._wait(fault.seconds)  # "hang"
        return self._send(answer)

    def _send(self, answer: _Answer) -> int:
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer.body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client gave up (e.g. after its timeout)
        return answer.status


# -- rendering ------------------------------------------------------------------


def render_feed(
    entries: list[tuple[StoredPaper, StoredVersion]],
    title: str,
    total: int,
    start: int,
    per_page: int,
    dialect: Dialect = "current",
) -> bytes:
    render = _legacy_entry if dialect == "legacy" else _current_entry
    body = "".join(render(paper, version) for paper, version in entries)
    now = datetime.now(UTC).replace(microsecond=0)
    if dialect == "legacy":
        head = (
            f'<feed xmlns="{ATOM_NS}">\n'
            f'  <title type="html">{escape(title)}</title>\n'
            f"  <id>http://arxiv.org/api/standin</id>\n"
            f"  <updated>{_legacy_time(now)}</updated>\n"
            f'  <opensearch:totalResults xmlns:opensearch="{OPENSEARCH_NS}">{total}</opensearch:totalResults>\n'
            f'  <opensearch:startIndex xmlns:opensearch="{OPENSEARCH_NS}">{start}</opensearch:startIndex>\n'
            f'  <opensearch:itemsPerPage xmlns:opensearch="{OPENSEARCH_NS}">{per_page}</opensearch:itemsPerPage>\n'
        )
    else:
        head = (
            f'<feed xmlns:opensearch="{OPENSEARCH_NS}" xmlns:arxiv="{ARXIV_NS}" xmlns="{ATOM_NS}">\n'
            f"  <id>https://arxiv.org/api/standin</id>\n"
            f"  <title>{escape(title)}</title>\n"
            f"  <updated>{_current_time(now)}</updated>\n"
            f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
            f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
            f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
        )
    return f"<?xml version='1.0' encoding='UTF-8'?>\n{head}{body}</feed>\n".encode()


def render_error_feed(bad_id: str | None, message: str | None = None) -> bytes:
    """The 400 body arXiv sends for a malformed ID (shape of id_abc_*.xml), or with another `message`."""
    if message is None:
        message = f"incorrect id format for {bad_id}" if bad_id is not None else "incorrect id format"
    anchor = "https://arxiv.org/api/errors#" + message.replace(" ", "_")
    now = _current_time(datetime.now(UTC).replace(microsecond=0))
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        f'<feed xmlns:opensearch="{OPENSEARCH_NS}" xmlns:arxiv="{ARXIV_NS}" xmlns="{ATOM_NS}">\n'
        "  <id>https://arxiv.org/</id>\n"
        "  <title>arXiv Search Results</title>\n"
        f"  <updated>{now}</updated>\n"
        "  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>\n"
        "  <opensearch:totalResults>1</opensearch:totalResults>\n"
        "  <opensearch:startIndex>0</opensearch:startIndex>\n"
        "  <entry>\n"
        f"    <id>{escape(anchor)}</id>\n"
        "    <title>Error</title>\n"
        f"    <updated>{now}</updated>\n"
        f'    <link href={quoteattr(anchor)} rel="alternate" type="text/html"/>\n'
        f"    <summary>{escape(message)}</summary>\n"
        "    <author>\n      <name>arXiv api core</name>\n    </author>\n"
        "  </entry>\n"
        "</feed>\n"
    ).encode()


def blank_entry_elements(body: bytes, tags: tuple[str, ...], keep_empty: bool) -> bytes:
    """`body` with each named element of every <entry> removed, or emptied (the feed's own are kept)."""

    def blank(entry: re.Match[str]) -> str:
        text = entry.group(0)
        for tag in tags:
            element = re.compile(rf"(?:\n\s*)?<{tag}\b[^>]*?(?:/>|>.*?</{tag}>)", re.DOTALL)
            text = element.sub(f"<{tag}></{tag}>" if keep_empty else "", text)
        return text

    return re.sub(r"<entry>.*?</entry>", blank, body.decode("utf-8"), flags=re.DOTALL).encode("utf-8")


def _current_entry(paper: StoredPaper, version: StoredVersion) -> str:
    vid = f"{paper.id}v{version.version}"
    lines = [
        "  <entry>",
        f"    <id>http://arxiv.org/abs/{vid}</id>",
        f"    <title>{escape(version.title)}</title>",
        f"    <updated>{_current_time(version.submitted)}</updated>",
        f'    <link href="https://arxiv.org/abs/{vid}" rel="alternate" type="text/html"/>',
        f'    <link href="https://arxiv.org/pdf/{vid}" rel="related" type="application/pdf" title="pdf"/>',
        f"    <summary>{escape(paper.abstract)}</summary>",
        *(f'    <category term={quoteattr(c)} scheme="{ARXIV_NS}"/>' for c in paper.categories),
        f"    <published>{_current_time(paper.versions[0].submitted)}</published>",
        *_optional_line("arxiv:comment", paper.comment),
        f"    <arxiv:primary_category term={quoteattr(paper.primary_category)}/>",
        *_optional_line("arxiv:journal_ref", paper.journal_ref),
        *_optional_line("arxiv:doi", paper.doi),
        *(f'    <link rel="related" href="https://doi.org/{escape(d)}" title="doi"/>' for d in _dois(paper)),
        *_author_lines(paper, ""),
        "  </entry>",
    ]
    return "\n".join(lines) + "\n"


def _legacy_entry(paper: StoredPaper, version: StoredVersion) -> str:
    vid = f"{paper.id}v{version.version}"
    ns = f' xmlns:arxiv="{ARXIV_NS}"'
    lines = [
        "  <entry>",
        f"    <id>http://arxiv.org/abs/{vid}</id>",
        f"    <updated>{_legacy_time(version.submitted)}</updated>",
        f"    <published>{_legacy_time(paper.versions[0].submitted)}</published>",
        f"    <title>{escape(_hard_wrap(version.title, indent='  '))}</title>",
        f"    <summary>  {escape(_hard_wrap(paper.abstract))}\n</summary>",
        *_author_lines(paper, ns),
        *_optional_line("arxiv:doi", paper.doi, ns),
        *(f'    <link title="doi" href="http://dx.doi.org/{escape(d)}" rel="related"/>' for d in _dois(paper)),
        *_optional_line("arxiv:comment", paper.comment, ns),
        *_optional_line("arxiv:journal_ref", paper.journal_ref, ns),
        f'    <link href="http://arxiv.org/abs/{vid}" rel="alternate" type="text/html"/>',
        f'    <link title="pdf" href="http://arxiv.org/pdf/{vid}" rel="related" type="application/pdf"/>',
        f'    <arxiv:primary_category{ns} term={quoteattr(paper.primary_category)} scheme="{ARXIV_NS}"/>',
        *(
            f'    <category term={quoteattr(c)} scheme="{ARXIV_NS}"/>'
            for c in (*paper.categories, *paper.classifications)
        ),
        "  </entry>",
    ]
    return "\n".join(lines) + "\n"


def _author_lines(paper: StoredPaper, ns: str) -> list[str]:
    lines: list[str] = []
    for name, affiliations in paper.authors:
        lines.append("    <author>")
        lines.append(f"      <name>{escape(name)}</name>")
        lines.extend(f"      <arxiv:affiliation{ns}>{escape(a)}</arxiv:affiliation>" for a in affiliations)
        lines.append("    </author>")
    return lines


def _optional_line(tag: str, value: str | None, ns: str = "") -> list[str]:
    return [] if not value else [f"    <{tag}{ns}>{escape(value)}</{tag}>"]


def _dois(paper: StoredPaper) -> list[str]:
    return (paper.doi or "").split()


def _hard_wrap(text: str, width: int = 78, indent: str = "") -> str:
    # The legacy backend wrapped long text at about 80 columns.
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return ("\n" + indent).join(lines)


def _current_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _legacy_time(moment: datetime) -> str:
    # The legacy backend wrote US Eastern daylight time.
    return moment.astimezone(timezone(timedelta(hours=-4))).isoformat()


# -- search -------------------------------------------------------------------------

Matcher = Any  # Callable[[StoredPaper], bool]; Any keeps the grammar below readable
_TOKEN = re.compile(r'\s*(\(|\)|ANDNOT\b|AND\b|OR\b|[A-Za-z]+:(?:"[^"]*"|\[[^\]]*\]|[^\s()]+))')


def parse_search_query(text: str) -> Matcher:
    """A predicate over stored papers for arXiv's `search_query` grammar (the part harvester uses)."""
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"cannot read {text[position:]!r}")
        tokens.append(match.group(1))
        position = match.end()
    if not tokens:
        raise ValueError("empty query")
    matcher, rest = _or(tokens)
    if rest:
        raise ValueError(f"unexpected {rest[0]!r}")
    return matcher


def _or(tokens: list[str]) -> tuple[Matcher, list[str]]:
    left, rest = _and(tokens)
    while rest and rest[0] == "OR":
        right, rest = _and(rest[1:])
        left = (lambda a, b: lambda p: a(p) or b(p))(left, right)
    return left, rest


def _and(tokens: list[str]) -> tuple[Matcher, list[str]]:
    left, rest = _atom(tokens)
    while rest and rest[0] in ("AND", "ANDNOT"):
        negate = rest[0] == "ANDNOT"
        right, rest = _atom(rest[1:])
        if negate:
            left = (lambda a, b: lambda p: a(p) and not b(p))(left, right)
        else:
            left = (lambda a, b: lambda p: a(p) and b(p))(left, right)
    return left, rest


def _atom(tokens: list[str]) -> tuple[Matcher, list[str]]:
    if not tokens:
        raise ValueError("the query ends too early")
    head, rest = tokens[0], tokens[1:]
    if head == "(":
        inner, rest = _or(rest)
        if not rest or rest[0] != ")":
            raise ValueError("unbalanced parentheses")
        return inner, rest[1:]
    if head in (")", "AND", "OR", "ANDNOT"):
        raise ValueError(f"unexpected {head!r}")
    field, _, value = head.partition(":")
    return _term(field, value), rest


def _term(field: str, value: str) -> Matcher:
    if field == "submittedDate":
        bounds = re.fullmatch(r"\[(\d{8,14})\s+TO\s+(\d{8,14})\]", value)
        if bounds is None:
            raise ValueError(f"submittedDate needs [YYYYMMDDHHMM TO YYYYMMDDHHMM], not {value!r}")
        low, high = (_as_stamp(b) for b in bounds.groups())
        return lambda p: low <= p.versions[0].submitted.strftime("%Y%m%d%H%M%S") <= high
    if field == "cat":
        return lambda p: value in p.categories
    texts = {
        "all": lambda p: f"{p.versions[-1].title} {p.abstract} {' '.join(a for a, _ in p.authors)}",
        "ti": lambda p: p.versions[-1].title,
        "abs": lambda p: p.abstract,
        "au": lambda p: " ".join(a for a, _ in p.authors),
    }
    if field not in texts:
        raise ValueError(f"unknown field {field!r}")
    words = value.strip('"').casefold().split()
    pattern = re.compile(r"\b" + r"\W+".join(re.escape(w) for w in words))
    of = texts[field]
    return lambda p: bool(pattern.search(of(p).casefold()))


def _as_stamp(digits: str) -> str:
    return (digits + "00000000000000")[:14] if len(digits) < 14 else digits


def load_candidate_papers(path: Path | None = None) -> list[StoredPaper]:
    """The invented candidates of tests/fixtures/suggest/candidates.json, for searches to find."""
    source = path or SEED_PAPERS_PATH.parent.parent / "suggest" / "candidates.json"
    return [stored_paper(record) for record in json.loads(source.read_text(encoding="utf-8"))["papers"]]


# -- data loading ---------------------------------------------------------------


def load_seed_papers(path: Path = SEED_PAPERS_PATH) -> list[StoredPaper]:
    records = json.loads(path.read_text(encoding="utf-8"))["papers"]
    return [stored_paper(record) for record in records]


def stored_paper(record: dict[str, Any]) -> StoredPaper:
    """A paper from a record shaped like the entries of seed_papers.json."""
    return StoredPaper(
        id=record["id"],
        authors=tuple((a["name"], tuple(a.get("affiliations") or ())) for a in record["authors"]),
        abstract=record.get("abstract") or "",
        primary_category=record["primary_category"],
        categories=tuple(record["categories"]),
        versions=tuple(
            StoredVersion(int(v["version"]), _as_datetime(v["submitted"]), v["title"]) for v in record["versions"]
        ),
        comment=record.get("comment"),
        journal_ref=record.get("journal_ref"),
        doi=record.get("doi"),
        classifications=tuple(record.get("classifications") or ()),
    )


_SYNTHETIC_NAMES = (
    "Ada Lovelace",
    "Alan Turing",
    "Grace Hopper",
    "Edsger Dijkstra",
    "Barbara Liskov",
    "Donald Knuth",
    "Frances Allen",
    "John Backus",
    "Leslie Lamport",
    "Radia Perlman",
)
_SYNTHETIC_TOPICS = ("Pruning", "Quantization", "Distillation", "Low-Rank Factorization", "Sparsity")


def synthetic_paper(arxiv_id: str) -> StoredPaper:
    """A made-up but deterministic paper for any well-formed ID (for benchmarks)."""
    digest = hashlib.sha256(arxiv_id.encode()).digest()
    authors = tuple((_SYNTHETIC_NAMES[b % len(_SYNTHETIC_NAMES)], ()) for b in digest[: 1 + digest[0] % 4])
    topic = _SYNTHETIC_TOPICS[digest[1] % len(_SYNTHETIC_TOPICS)]
    return StoredPaper(
        id=arxiv_id,
        authors=tuple(dict.fromkeys(authors)),
        abstract=f"A synthetic abstract about {topic.lower()} for {arxiv_id}.",
        primary_category="cs.LG",
        categories=("cs.LG",),
        versions=(StoredVersion(1, _synthetic_date(arxiv_id, digest), f"Synthetic {topic} Study {arxiv_id}"),),
    )


def _synthetic_date(arxiv_id: str, digest: bytes) -> datetime:
    yymm = re.search(r"(\d{4})(?:\.|\d{3}$)", arxiv_id)
    year, month = (int(yymm.group(1)[:2]), int(yymm.group(1)[2:])) if yymm else (20, 1)
    full_year = 1900 + year if year >= 91 else 2000 + year
    return datetime(full_year, max(1, min(month, 12)), 1 + digest[2] % 28, 12, 0, 0, tzinfo=UTC)


def _as_datetime(value: datetime | str) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _id_list(params: dict[str, str]) -> list[str]:
    return [i.strip() for i in params.get("id_list", "").split(",") if i.strip()]


def _int_param(params: dict[str, str], name: str, default: int) -> int:
    try:
        return int(params.get(name, default))
    except ValueError:
        return default


def _split_version(requested: str) -> tuple[str, int | None]:
    match = _VERSION.search(requested)
    if match is None:
        return requested, None
    return requested[: match.start()], int(match.group(1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a local stand-in for arXiv's query API.")
    parser.add_argument("--port", type=int, default=8008)
    parser.add_argument("--synthetic", action="store_true", help="invent papers for unknown valid IDs")
    parser.add_argument("--dialect", choices=("current", "legacy"), default="current")
    args = parser.parse_args(argv)
    with ArxivStandIn(synthetic=args.synthetic, dialect=args.dialect, port=args.port) as standin:
        print(f"arXiv stand-in at {standin.url} (Ctrl-C stops it)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
