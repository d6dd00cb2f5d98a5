"""Local stand-ins for the enrichment services, served over real HTTP on loopback.

- `SemanticScholarStandIn`: `POST /graph/v1/paper/batch?fields=...` with a JSON
  body `{"ids": ["ARXIV:<id>", ...]}` (at most 500), answering a JSON list in
  request order with `null` for papers it does not know; 400 with an `error`
  object for a malformed request. It answers exactly the fields asked for, so a
  paper built with `s2_paper` (a venue's name and alternate names, a DBLP key)
  reaches the client only when `publicationVenue` and `externalIds` are asked.
  It also answers `POST /recommendations/v1/papers?fields=...&limit=N` with a body
  `{"positivePaperIds": [...], "negativePaperIds": [...]}` as the real API does:
  `{"recommendedPapers": [...]}`, papers from its pool (tests/fixtures/suggest/
  candidates.json unless given other) recommended for any of the positive papers
  (their `related` list), never a positive or negative paper itself, at most
  `limit`, each with `paperId` and the fields asked for; 400 with an `error` for
  a body without positive IDs.
- `HuggingFaceStandIn`: `GET /api/papers/<id>`, the paper page as JSON, or 404
  with an `error` object when the paper is not indexed.

Both serve tests/fixtures/enrich/seed_enrichments.json unless given other data,
log every request, and misbehave on demand:

    with SemanticScholarStandIn() as s2:
        s2.queue_faults(Fault(429, retry_after="1"))  # the next request only
        s2.always = Fault(503)  # every request until cleared
        s2.requests  # what was asked, when, and the answer's status
        hf.headers = (("RateLimit", '"api";r=99;t=30'),)  # sent with every answer
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .serving import BackgroundServer, serve_in_background, shut_down

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "enrich" / "seed_enrichments.json"
S2_BATCH_PATH = "/graph/v1/paper/batch"
S2_RECOMMENDATIONS_PATH = "/recommendations/v1/papers"
CANDIDATES = Path(__file__).resolve().parent.parent / "fixtures" / "suggest" / "candidates.json"
HF_PAPERS_PATH = "/api/papers/"
S2_MAX_IDS = 500


def load_fixture(section: str) -> dict[str, Any]:
    return dict(json.loads(FIXTURE.read_text(encoding="utf-8"))[section])


@dataclass(frozen=True)
class Fault:
    """An error answer: used up by one request when queued, or given to all while `always`."""

    status: int
    retry_after: str | None = None
    body: bytes = b'{"message": "Too Many Requests. Please wait and try again."}'


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    ids: tuple[str, ...]  # the arXiv IDs asked for, without the ARXIV: prefix
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    started: float  # time.monotonic() when the request arrived
    status: int | None = None


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


class _JsonService(BackgroundServer):
    """A threaded loopback server with a request log and faults; subclasses answer."""

    thread_name = "json-standin"

    def __init__(self, papers: dict[str, Any] | None = None) -> None:
        self.papers = dict(papers) if papers is not None else self.default_papers()
        self.always: Fault | None = None
        self.headers: tuple[tuple[str, str], ...] = ()  # extra headers on every answer (rate-limit ones)
        self._faults: list[Fault] = []
        self._log: list[Seen] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def default_papers(self) -> dict[str, Any]:
        raise NotImplementedError

    def answer(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[tuple[str, ...], _Answer]:
        raise NotImplementedError

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> _JsonService:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        serve_in_background(self._server, self.thread_name)
        return self

    def stop(self) -> None:
        shut_down(self._server)
        self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the stand-in first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- faults and log ----------------------------------------------------------

    def queue_faults(self, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend(faults)

    @property
    def requests(self) -> list[Seen]:
        with self._lock:
            return list(self._log)

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()

    def _serve(self, method: str, target: str, headers: dict[str, str], body: bytes) -> _Answer:
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        seen = Seen(method, parts.path, (), query, headers, time.monotonic())
        with self._lock:
            fault = self._faults.pop(0) if self._faults else self.always
            self._log.append(seen)
            index = len(self._log) - 1
        if fault is not None:
            ids, answer = _ids_only(parts.path, body), _fault_answer(fault)
        else:
            ids, answer = self.answer(method, parts.path, query, body)
        with self._lock:
            self._log[index] = replace(seen, ids=ids, status=answer.status)
        return replace(answer, headers=answer.headers + self.headers)


def recommendation_pool(path: Path = CANDIDATES) -> list[dict[str, Any]]:
    """Semantic Scholar's view of the candidate fixture: each paper with `related`, the IDs it is recommended for."""
    data = json.loads(path.read_text(encoding="utf-8"))
    pool = [
        {
            "paperId": f"{index:040x}",
            "externalIds": {"ArXiv": record["id"], "CorpusId": index},
            "title": record["versions"][-1]["title"],
            "abstract": record["abstract"],
            "publicationDate": record["versions"][0]["submitted"][:10],
            "year": int(record["versions"][0]["submitted"][:4]),
            "related": record.get("related", []),
        }
        for index, record in enumerate(data["papers"], start=1)
    ]
    return pool + list(data.get("semantic_scholar_only", []))


class SemanticScholarStandIn(_JsonService):
    thread_name = "semantic-scholar-standin"

    def __init__(self, papers: dict[str, Any] | None = None, pool: list[dict[str, Any]] | None = None) -> None:
        super().__init__(papers)
        self.pool = list(pool) if pool is not None else recommendation_pool()

    def default_papers(self) -> dict[str, Any]:
        return load_fixture("semantic_scholar")

    def answer(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[tuple[str, ...], _Answer]:
        if method == "POST" and path.rstrip("/") == S2_RECOMMENDATIONS_PATH:
            return self._recommend(query, body)
        if method != "POST" or path != S2_BATCH_PATH:
            return (), _json(404, {"error": f"Not found: {path}"})
        try:
            requested = json.loads(body)["ids"]
        except (ValueError, KeyError, TypeError):
            return (), _json(400, {"error": 'Unacceptable body: expected {"ids": [...]}'})
        if not isinstance(requested, list) or len(requested) > S2_MAX_IDS:
            return (), _json(400, {"error": f"ids must be a list of at most {S2_MAX_IDS}"})
        ids = tuple(_strip_prefix(str(i)) for i in requested)
        fields = [f for f in query.get("fields", "").split(",") if f]
        return ids, _json(200, [self._paper(i, fields) for i in ids])

    def _recommend(self, query: dict[str, str], body: bytes) -> tuple[tuple[str, ...], _Answer]:
        try:
            payload = json.loads(body)
            positive = [_strip_prefix(str(i)) for i in payload["positivePaperIds"]]
            negative = [_strip_prefix(str(i)) for i in payload.get("negativePaperIds") or []]
        except (ValueError, KeyError, TypeError):
            return (), _json(400, {"error": 'Unacceptable body: expected {"positivePaperIds": [...]}'})
        if not positive:
            return (), _json(400, {"error": "positivePaperIds must name at least one paper"})
        try:
            limit = int(query.get("limit", "100"))
        except ValueError:
            return tuple(positive), _json(400, {"error": "limit must be an integer"})
        fields = [f for f in query.get("fields", "").split(",") if f]
        asked = set(positive) | set(negative)
        chosen = [
            paper
            for paper in self.pool
            if set(paper.get("related", ())) & set(positive) and (paper["externalIds"].get("ArXiv") not in asked)
        ][:limit]
        papers = [{"paperId": p["paperId"], **{f: p.get(f) for f in fields}} for p in chosen]
        return tuple(positive), _json(200, {"recommendedPapers": papers})

    def _paper(self, arxiv_id: str, fields: list[str]) -> dict[str, Any] | None:
        paper = self.papers.get(arxiv_id)
        if paper is None:
            return None
        # Like the real API: paperId always, then only the fields asked for.
        return {"paperId": paper.get("paperId"), **{f: paper.get(f) for f in fields}}


def s2_paper(
    names: tuple[str, ...] = (), dblp: str | None = None, year: int | None = None, kind: str = "conference"
) -> dict[str, Any]:
    """A Semantic Scholar paper whose venue goes by `names` (main name first) and/or has DBLP key `dblp`.

    Shaped like the API: `publicationVenue` is {id, name, type, alternate_names, url};
    `externalIds.DBLP` is DBLP's record key.
    """
    place = (
        {
            "id": "00000000-0000-0000-0000-000000000000",
            "name": names[0],
            "type": kind,
            "alternate_names": list(names[1:]),
            "url": None,
        }
        if names
        else None
    )
    external: dict[str, Any] = {"CorpusId": 1} | ({"DBLP": dblp} if dblp else {})
    return {
        "paperId": "0" * 40,
        "externalIds": external,
        "venue": names[0] if names else "",
        "publicationVenue": place,
        "year": year,
        "journal": None,
        "citationCount": 0,
    }


class HuggingFaceStandIn(_JsonService):
    thread_name = "huggingface-standin"

    def default_papers(self) -> dict[str, Any]:
        return load_fixture("huggingface")

    def answer(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[tuple[str, ...], _Answer]:
        if method != "GET" or not path.startswith(HF_PAPERS_PATH):
            return (), _json(404, {"error": "Not Found"})
        arxiv_id = path[len(HF_PAPERS_PATH) :]
        paper = self.papers.get(arxiv_id)
        if paper is None:
            return (arxiv_id,), _json(404, {"error": "Paper not found"})
        return (arxiv_id,), _json(200, paper)


def _ids_only(path: str, body: bytes) -> tuple[str, ...]:
    """The IDs a faulted request asked for, so the log shows them too."""
    if path.startswith(HF_PAPERS_PATH):
        return (path[len(HF_PAPERS_PATH) :],)
    try:
        payload = json.loads(body)
        return tuple(_strip_prefix(str(i)) for i in payload.get("ids", payload.get("positivePaperIds", [])))
    except (ValueError, KeyError, TypeError, AttributeError):
        return ()


def _strip_prefix(text: str) -> str:
    return re.sub(r"^arxiv:", "", text, flags=re.IGNORECASE)


def _json(status: int, payload: Any) -> _Answer:
    return _Answer(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def _fault_answer(fault: Fault) -> _Answer:
    headers = (("Retry-After", fault.retry_after),) if fault.retry_after is not None else ()
    return _Answer(fault.status, fault.body, headers)


def _handler_for(service: _JsonService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle on, loopback adds ~40 ms a request.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            self._reply(b"")

        def do_POST(self) -> None:  # noqa: N802
            self._reply(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def _reply(self, body: bytes) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer = service._serve(self.command, self.path, headers, body)
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                for name, value in answer.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up: nothing to answer

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # the request log replaces stderr noise

    return Handler
