"""What the curator wrote vs what arXiv says: entries x papers x versions -> findings.

Pure: `reconcile(ReconcileInput)` takes data and returns `Finding`s; loading the
inputs and storing the findings is `findings.py`'s job. Every finding carries a
stable `key` (list, entry, kind and, for per-link or per-ID findings, which one),
so a later run can tell a finding that persists from one that is new or gone.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .coderepos import same_repo
from .errors import InvalidArxivId
from .ids import abs_url, is_retired_mirror, parse_arxiv_url, pdf_url
from .readinglist import NotedDate
from .venues import find_venues, parse_noted_venue, venues_agree
from .vocabulary import RECONCILE_KINDS, severity_of

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
    """Text that may name the venue: arXiv's comment or journal ref, or an enrichment's venue."""

    source: str  # "arxiv", "semantic_scholar", ...
    text: str


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

    def venue_evidence(self) -> tuple[VenueEvidence, ...]:
        own = tuple(VenueEvidence("arxiv", t) for t in (self.comment, self.journal_ref) if t)
        return own + self.extra_venues


@dataclass(frozen=True)
class ReconcileInput:
    entries: tuple[EntryInput, ...]
    papers: Mapping[str, PaperInfo] = field(default_factory=dict)
    # IDs arXiv says do not exist: never returned, or no longer returned for long
    # enough (the loader applies the grace; a paper's stored metadata stays).
    missing_ids: frozenset[str] = frozenset()
    last_run: datetime | None = None  # the previous reconcile, for new_version


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


def reconcile(data: ReconcileInput) -> list[Finding]:
    """Every finding for the given entries, ordered by list and line."""
    findings: list[Finding] = []
    for entry in data.entries:
        findings.extend(_entry_findings(entry, data))
    findings.extend(_duplicate_findings(data.entries))
    findings.extend(_category_findings(data.entries, data.papers))
    return sorted(findings, key=lambda f: (f.list_path, f.line, RECONCILE_KINDS.index(f.kind), f.key))


def _entry_findings(entry: EntryInput, data: ReconcileInput) -> Iterator[Finding]:
    yield from _mirror_findings(entry)
    yield from _id_conflict_findings(entry, data.papers)
    for arxiv_id in _entry_ids(entry):
        if arxiv_id in data.missing_ids:
            yield _finding(entry, "not_found", arxiv_id, extra=arxiv_id, noted=arxiv_id,
                           detail=f"arXiv has no paper {arxiv_id}; check the ID in the links")
    paper = data.papers.get(entry.arxiv_id or "")
    if paper is None:
        return
    yield from _title_findings(entry, paper)
    date_finding = _date_finding(entry, paper)
    if date_finding:
        yield date_finding
    yield from _new_version_findings(entry, paper, data.last_run, date_finding is not None)
    yield from _withdrawn_findings(entry, paper)
    yield from _venue_findings(entry, paper)
    yield from _code_findings(entry, paper)
    yield from _doi_findings(entry, paper)


def _entry_ids(entry: EntryInput) -> list[str]:
    ids = list(dict.fromkeys(entry.arxiv_ids))
    if entry.arxiv_id and entry.arxiv_id not in ids:
        ids.insert(0, entry.arxiv_id)
    return ids


def _finding(
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
        key=key, kind=kind, severity=severity_of(kind), list_id=entry.list_id,
        list_path=entry.list_path, entry_key=entry.entry_key, entry_id=entry.entry_id,
        section=entry.section, line=line or entry.line, arxiv_id=arxiv_id, noted=noted,
        arxiv_value=arxiv_value, suggestion=suggestion, source=source, detail=detail,
    )  # fmt: skip


def _line_of(entry: EntryInput, text: str | None) -> int:
    """Source line of `text` inside the entry; the entry's first line when it is not there."""
    if not text or text not in entry.raw:
        return entry.line
    return entry.line + entry.raw[: entry.raw.index(text)].count("\n")


# --- links -------------------------------------------------------------------------


def _mirror_findings(entry: EntryInput) -> Iterator[Finding]:
    seen: Counter[str] = Counter()
    for link in sorted(entry.links, key=lambda link: link.position):
        if not is_retired_mirror(link.url):
            continue
        occurrence = seen[link.url]
        seen[link.url] += 1
        yield _finding(
            entry, "mirror_link", link.arxiv_id or entry.arxiv_id,
            noted=link.url, suggestion=canonical_link(link.url), source="list", line=link.line,
            extra=link.url + (f"#{occurrence}" if occurrence else ""),
            detail="arXiv's mirrors (cn.arxiv.org and the others) were shut down on 2024-09-15; "
            "the link is dead",
        )  # fmt: skip


def canonical_link(url: str) -> str:
    """The arxiv.org link for a mirror URL: same ID and version, abs or pdf as before."""
    try:
        found = parse_arxiv_url(url)
    except InvalidArxivId:
        found = None
    if found is None:
        return re.sub(r"^[a-z]+://[^/]+", "https://arxiv.org", url.strip(), flags=re.IGNORECASE)
    is_pdf = re.search(r"^[a-z]+://[^/]+/+pdf/", url.strip(), re.IGNORECASE) is not None
    return pdf_url(found) if is_pdf else abs_url(found)


def _id_conflict_findings(entry: EntryInput, papers: Mapping[str, PaperInfo]) -> Iterator[Finding]:
    ids = _entry_ids(entry)
    if len(ids) < 2:
        return
    titles = [f"{i}: {papers[i].title}" for i in ids if i in papers]
    yield _finding(
        entry, "id_conflict", entry.arxiv_id or ids[0], noted=", ".join(ids),
        arxiv_value="; ".join(titles) or None, source="list",
        detail=f"the entry's links name {len(ids)} different arXiv IDs ({', '.join(ids)}); "
        "keep the one that matches the title",
    )  # fmt: skip


def _duplicate_findings(entries: Iterable[EntryInput]) -> Iterator[Finding]:
    first: dict[tuple[int, str], EntryInput] = {}
    for entry in sorted(entries, key=lambda e: (e.list_id, e.line)):
        if not entry.arxiv_id:
            continue
        earlier = first.setdefault((entry.list_id, entry.arxiv_id), entry)
        if earlier is entry:
            continue
        yield _finding(
            entry, "duplicate_entry", entry.arxiv_id, noted=entry.noted_title,
            source="list", suggestion=f"keep one entry (also at line {earlier.line})",
            detail=f"{entry.arxiv_id} is also listed at line {earlier.line} "
            f"(section {earlier.section!r})",
        )  # fmt: skip


# --- titles --------------------------------------------------------------------------

_STOPWORDS = frozenset(
    "a an the of for and or in on to with via by from at is are as its we our this that "
    "be using into than not".split()
)


def _title_findings(entry: EntryInput, paper: PaperInfo) -> Iterator[Finding]:
    noted = entry.noted_title
    if not noted or titles_equal(noted, paper.title) or _is_short_name(noted, paper):
        return
    line = _title_line(entry)
    if is_title_typo(noted, paper.title):
        yield _finding(
            entry, "title_typo", paper.arxiv_id, noted=noted, arxiv_value=paper.title,
            suggestion=paper.title, line=line, detail=_typo_detail(noted, paper.title),
        )  # fmt: skip
        return
    earlier = _earlier_version_named(noted, paper)
    if earlier is not None:
        yield _finding(
            entry, "title_outdated", paper.arxiv_id, noted=noted, arxiv_value=paper.title,
            suggestion=paper.title, line=line,
            detail=f"the noted title is v{earlier.version}'s ({earlier.submitted:%Y-%m-%d}); "
            f"the paper is now called {paper.title!r}",
        )  # fmt: skip
        return
    yield _finding(
        entry, "title_mismatch", paper.arxiv_id, noted=noted, arxiv_value=paper.title, line=line,
        detail=f"no version of {paper.arxiv_id} has this title (closest: "
        f"{title_similarity(noted, paper.title):.0%} alike); the arXiv ID is probably wrong",
    )  # fmt: skip


def _title_line(entry: EntryInput) -> int:
    for link in entry.links:
        if link.role == "title":
            return link.line
    return _line_of(entry, entry.noted_title)


def _earlier_version_named(noted: str, paper: PaperInfo) -> VersionInfo | None:
    for version in sorted(paper.versions, key=lambda v: v.version):
        if titles_equal(version.title, paper.title):
            continue
        if titles_equal(noted, version.title) or is_title_typo(noted, version.title):
            return version
    return None


def _is_short_name(noted: str, paper: PaperInfo) -> bool:
    """Curators often write only the name before the colon: `Deep Compression`."""
    titles = [paper.title] + [v.title for v in paper.versions]
    return any(":" in t and titles_equal(noted, t.split(":", 1)[0]) for t in titles)


def _clean(title: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", title).split())


def titles_equal(a: str, b: str) -> bool:
    return _clean(a) == _clean(b)


def _tokens(title: str) -> list[str]:
    return [_stem(t) for t in re.findall(r"[^\W_]+", _clean(title).casefold())]


def _stem(token: str) -> str:
    # Plural slips only: "Network" vs "Networks", "Approximation" vs "Approximations".
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def is_title_typo(noted: str, arxiv_title: str) -> bool:
    """True when `noted` is `arxiv_title` with small slips: letters, plurals, punctuation, case.

    A changed word that is short, an acronym or has digits (CNN vs RNN, v2 vs v3) is
    content, not a slip: such titles name a different paper.
    """
    if titles_equal(noted, arxiv_title):
        return False
    a, b = _tokens(noted), _tokens(arxiv_title)
    if not a or not b:
        return False
    slips = 0
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        cost = _slip_cost(op, a[i1:i2], b[j1:j2])
        if cost is None:
            return False
        slips += cost
    return slips <= 3 and matcher.ratio() >= 0.6


def _slip_cost(op: str, old: list[str], new: list[str]) -> int | None:
    """How many slips turn `old` into `new`; None when the change is not a slip."""
    if "".join(old) == "".join(new):  # "auto sampling" vs "autosampling"
        return 1
    if op in ("insert", "delete"):
        words = old or new
        return len(words) if len(words) == 1 and words[0] in _STOPWORDS else None
    if len(old) != len(new):
        return None
    costs = [_word_slip(x, y) for x, y in zip(old, new)]
    return None if None in costs else sum(c for c in costs if c is not None)


def _word_slip(old: str, new: str) -> int | None:
    if min(len(old), len(new)) < 5 or any(ch.isdigit() for ch in old + new):
        return None
    distance = edit_distance(old, new)
    return distance if distance <= max(1, min(len(old), len(new)) // 4) else None


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def title_similarity(a: str, b: str) -> float:
    """Normalized edit similarity of the cleaned, case-folded titles (1.0 = same)."""
    x, y = _clean(a).casefold(), _clean(b).casefold()
    return 1.0 - edit_distance(x, y) / max(len(x), len(y), 1)


def _typo_detail(noted: str, arxiv_title: str) -> str:
    a, b = _clean(noted).split(), _clean(arxiv_title).split()
    changes = [
        f"{' '.join(a[i1:i2]) or '(nothing)'!r} -> {' '.join(b[j1:j2]) or '(nothing)'!r}"
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b).get_opcodes()
        if op != "equal"
    ]
    return "small slips in the title: " + "; ".join(changes)


# --- dates ---------------------------------------------------------------------------


def _versions(paper: PaperInfo) -> list[VersionInfo]:
    versions = sorted(paper.versions, key=lambda v: v.version)
    return versions or [VersionInfo(1, paper.title, paper.published)]


def date_agrees(noted: NotedDate, submitted: datetime) -> bool:
    """The noted date names this submission at its own precision, give or take a day."""
    day = submitted.date()
    return any(_same_at_precision(noted, day + timedelta(days=d)) for d in (-1, 0, 1))


def _same_at_precision(noted: NotedDate, day: date) -> bool:
    if noted.year != day.year:
        return False
    if noted.precision == "year":
        return True
    if noted.month != day.month:
        return False
    return noted.precision == "month" or noted.day == day.day


def _date_finding(entry: EntryInput, paper: PaperInfo) -> Finding | None:
    noted = entry.noted_date
    versions = _versions(paper)
    if noted is None or any(date_agrees(noted, v.submitted) for v in versions):
        return None
    v1 = versions[0].submitted
    return _finding(
        entry, "date_mismatch", paper.arxiv_id, noted=noted.text,
        arxiv_value=v1.strftime("%Y-%m-%dT%H:%M:%SZ"), suggestion=format_like(noted, v1.date()),
        line=_line_of(entry, noted.text),
        detail=f"no version was submitted on {noted.text}; v1 was submitted on {v1:%Y-%m-%d} (UTC)"
        + (f", the latest (v{versions[-1].version}) on {versions[-1].submitted:%Y-%m-%d}"
           if len(versions) > 1 else ""),
    )  # fmt: skip


def format_like(noted: NotedDate, day: date) -> str:
    """`day` written as the curator wrote `noted`: same separators, padding and precision."""
    values = [day.year] + ([day.month] if noted.precision != "year" else [])
    values += [day.day] if noted.precision == "day" else []
    runs = list(re.finditer(r"\d+", noted.text))
    if len(runs) != len(values) or len(runs[0].group(0)) != 4:
        return _iso_at_precision(day, noted.precision)
    # A curator who wrote "2019.1.29" does not pad; "2019-01-29" or "2019-11-29" does.
    width = 1 if any(len(run.group(0)) == 1 for run in runs[1:]) else 2
    out, last = [], 0
    for index, (run, value) in enumerate(zip(runs, values)):
        out.append(noted.text[last : run.start()] + (str(value) if index == 0 else f"{value:0{width}d}"))
        last = run.end()
    return "".join(out) + noted.text[last:]


def _iso_at_precision(day: date, precision: str) -> str:
    return {"year": f"{day:%Y}", "month": f"{day:%Y-%m}"}.get(precision, day.isoformat())


def _latest_noted_day(noted: NotedDate) -> date:
    if noted.precision == "year":
        return date(noted.year, 12, 31)
    if noted.precision == "month" and noted.month:
        next_month = date(noted.year + noted.month // 12, noted.month % 12 + 1, 1)
        return next_month - timedelta(days=1)
    return date(noted.year, noted.month or 1, noted.day or 1)


def _new_version_findings(
    entry: EntryInput, paper: PaperInfo, last_run: datetime | None, date_is_wrong: bool
) -> Iterator[Finding]:
    latest = _versions(paper)[-1]
    if latest.version < 2:
        return
    noted = entry.noted_date
    after_note = (
        noted is not None
        and not date_is_wrong
        and latest.submitted.date() > _latest_noted_day(noted) + DATE_TOLERANCE
    )
    since_last_run = last_run is not None and latest.seen_at is not None and latest.seen_at > last_run
    if not (after_note or since_last_run):
        return
    reason = f"after the noted date {noted.text}" if after_note and noted else "since the last run"
    yield _finding(
        entry, "new_version", paper.arxiv_id, noted=noted.text if noted else None,
        arxiv_value=f"v{latest.version} ({latest.submitted:%Y-%m-%d})",
        extra=f"v{latest.version}",
        detail=f"v{latest.version} was submitted on {latest.submitted:%Y-%m-%d}, {reason}",
    )  # fmt: skip


# --- withdrawn, venues ---------------------------------------------------------------

_WITHDRAWN = re.compile(r"\bwithdrawn?\b|\bwithdrawal\b", re.IGNORECASE)


def is_withdrawn(paper: PaperInfo) -> bool:
    return paper.withdrawn or bool(paper.comment and _WITHDRAWN.search(paper.comment))


def _withdrawn_findings(entry: EntryInput, paper: PaperInfo) -> Iterator[Finding]:
    if is_withdrawn(paper):
        yield _finding(
            entry, "withdrawn", paper.arxiv_id, arxiv_value=paper.comment,
            detail="the latest version says the paper was withdrawn: " + (paper.comment or ""),
        )  # fmt: skip


def _venue_findings(entry: EntryInput, paper: PaperInfo) -> Iterator[Finding]:
    noted = parse_noted_venue(entry.noted_venue)
    if noted is None:
        return
    found = [(e, v) for e in paper.venue_evidence() for v in find_venues(e.text)]
    if not found or any(venues_agree(noted, venue) for _, venue in found):
        return
    evidence, venue = found[0]
    yield _finding(
        entry, "venue_mismatch", paper.arxiv_id, noted=entry.noted_venue,
        arxiv_value=evidence.text, suggestion=venue.label(), source=evidence.source,
        line=_line_of(entry, entry.noted_venue),
        detail=f"noted {noted.label()!r}, but {evidence.source} says {venue.label()!r}: "
        f"{evidence.text!r}",
    )  # fmt: skip


# --- code and DOIs from enrichment sources --------------------------------------------

_UNOFFICIAL = re.compile(r"unofficial|non-?official|third[- ]party|reimpl|非官方|复现", re.IGNORECASE)


def _code_findings(entry: EntryInput, paper: PaperInfo) -> Iterator[Finding]:
    if not paper.official_code:
        return
    official = paper.official_code[0]
    code_links = [link for link in entry.links if link.role == "code"]
    if any(same_repo(link.url, e.url) for link in code_links for e in paper.official_code):
        return
    # A link the curator marked as unofficial is no claim about the official code.
    claimed = [link for link in code_links if not (link.marker and _UNOFFICIAL.search(link.marker))]
    if not claimed:
        yield _finding(
            entry, "code_missing", paper.arxiv_id, arxiv_value=official.url, suggestion=official.url,
            source=official.source, detail=f"{official.source} names the official code {official.url}; "
            + ("the entry links only unofficial code" if code_links else "the entry links no code"),
        )  # fmt: skip
        return
    noted = claimed[0]
    yield _finding(
        entry, "code_mismatch", paper.arxiv_id, noted=noted.url, arxiv_value=official.url,
        suggestion=official.url, source=official.source, line=noted.line,
        detail=f"the code link {noted.url} is not the official repository; {official.source} names "
        f"{official.url}" + (" (mark the link unofficial if it is a reimplementation)" if not noted.marker else ""),
    )  # fmt: skip


def _doi_findings(entry: EntryInput, paper: PaperInfo) -> Iterator[Finding]:
    """The published version's DOI, suggested once per entry unless the entry already gives it."""
    written = (entry.raw + " " + " ".join(link.url for link in entry.links)).casefold()
    for evidence in paper.published_dois:
        if evidence.doi.casefold().startswith("10.48550/") or evidence.doi.casefold() in written:
            continue
        yield _finding(
            entry, "published_doi", paper.arxiv_id, arxiv_value=evidence.doi,
            suggestion=f"https://doi.org/{evidence.doi}", source=evidence.source,
            detail=f"{evidence.source} gives the published version's DOI {evidence.doi}",
        )  # fmt: skip
        return


# --- sections ------------------------------------------------------------------------

# Conservative on purpose. Headings may be in any language and papers in English, so
# sections are judged only by the papers in them: each paper's title and abstract
# (TF-IDF) against the other papers of every section, itself left out. A section
# needs MIN_SECTION_PAPERS papers before its contents say what belongs in it, and
# another section must fit clearly better (score, ratio and margin all met).
MIN_SECTION_PAPERS = 4
CATEGORY_MIN_SCORE = 0.12
CATEGORY_MIN_RATIO = 2.0
CATEGORY_MIN_MARGIN = 0.08
_ENGLISH_STOP = _STOPWORDS | frozenset(
    "which what when where how such these those their them they also can has have was were "
    "been but all any each more most other some only both while without within between "
    "over under about after before then there here paper propose proposed present show "
    "method methods approach new use used based".split()
)
_SUFFIXES = ("ations", "ation", "ings", "ing", "ed", "es", "e", "s")


@dataclass(frozen=True)
class _Corpus:
    entries: list[EntryInput]
    vectors: list[dict[str, float]]
    sections: dict[str, list[int]]  # section -> indexes into entries
    surface: dict[str, str]  # stem -> a word as written, for the evidence

    def others_in(self, section: str, left_out: int) -> list[dict[str, float]]:
        return [self.vectors[i] for i in self.sections[section] if i != left_out]


def _category_findings(
    entries: Iterable[EntryInput], papers: Mapping[str, PaperInfo]
) -> Iterator[Finding]:
    by_list: dict[int, list[tuple[EntryInput, str]]] = defaultdict(list)
    for entry in entries:
        paper = papers.get(entry.arxiv_id or "")
        if paper is not None:
            by_list[entry.list_id].append((entry, paper.title + " " + paper.abstract))
    for docs in by_list.values():
        corpus = _corpus(docs)
        for index in range(len(corpus.entries)):
            finding = _category_verdict(corpus, index)
            if finding:
                yield finding


def _corpus(docs: list[tuple[EntryInput, str]]) -> _Corpus:
    surface: dict[str, str] = {}
    counts = []
    for _, text in docs:
        words = [w for w in re.findall(r"[a-z][a-z0-9\-]{2,}", text.casefold()) if w not in _ENGLISH_STOP]
        for word in words:
            surface.setdefault(_word_stem(word), word)
        counts.append(Counter(_word_stem(w) for w in words))
    sections: dict[str, list[int]] = defaultdict(list)
    for index, (entry, _) in enumerate(docs):
        sections[entry.section].append(index)
    return _Corpus([e for e, _ in docs], _tfidf(counts), dict(sections), surface)


def _word_stem(word: str) -> str:
    """Crude English stemming, enough to meet "quantization", "quantized" and "quantize"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _section_scores(corpus: _Corpus, index: int) -> dict[str, float]:
    own_section = corpus.entries[index].section
    scores = {}
    for section in corpus.sections:
        others = corpus.others_in(section, index)
        # The judged paper is left out of its own section, so that one needs one fewer.
        needed = MIN_SECTION_PAPERS - 1 if section == own_section else MIN_SECTION_PAPERS
        if len(others) >= needed:
            scores[section] = _cosine(corpus.vectors[index], _centroid(others))
    return scores


def _category_verdict(corpus: _Corpus, index: int) -> Finding | None:
    entry = corpus.entries[index]
    scores = _section_scores(corpus, index)
    own = scores.pop(entry.section, None)
    if own is None or not scores:
        return None
    best = max(scores, key=lambda name: scores[name])
    score = scores[best]
    if score < CATEGORY_MIN_SCORE or score < own * CATEGORY_MIN_RATIO or score - own < CATEGORY_MIN_MARGIN:
        return None
    stems = _shared_words(corpus.vectors[index], _centroid(corpus.others_in(best, index)))
    words = [corpus.surface.get(stem, stem) for stem in stems]
    return _finding(
        entry, "category_suspect", entry.arxiv_id, noted=entry.section, suggestion=best,
        arxiv_value=", ".join(words),
        detail=f"title and abstract are closer to the papers of {best!r} ({score:.2f}) than to "
        f"the rest of {entry.section!r} ({own:.2f}); shared words: {', '.join(words)}",
    )  # fmt: skip


def _tfidf(docs: list[Counter[str]]) -> list[dict[str, float]]:
    df = Counter(word for doc in docs for word in doc)
    n = len(docs)
    vectors = []
    for doc in docs:
        vector = {w: (1 + math.log(c)) * math.log((1 + n) / (1 + df[w])) for w, c in doc.items()}
        vectors.append(_unit(vector))
    return vectors


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {w: v / norm for w, v in vector.items()} if norm else {}


def _centroid(vectors: list[dict[str, float]]) -> dict[str, float]:
    total: dict[str, float] = defaultdict(float)
    for vector in vectors:
        for word, value in vector.items():
            total[word] += value
    return _unit(total)


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    return sum(value * b.get(word, 0.0) for word, value in a.items())


def _shared_words(a: dict[str, float], b: dict[str, float], limit: int = 5) -> list[str]:
    weights = {w: a[w] * b[w] for w in a.keys() & b.keys()}
    return sorted(weights, key=lambda w: (-weights[w], w))[:limit]


__all__ = [
    "DATE_TOLERANCE", "CodeEvidence", "DoiEvidence", "EntryInput", "Finding",
    "NotedLink", "PaperInfo", "ReconcileInput", "VenueEvidence", "VersionInfo", "canonical_link",
    "date_agrees", "edit_distance", "format_like", "is_title_typo", "is_withdrawn", "reconcile", "title_similarity",
    "titles_equal",
]  # fmt: skip
