"""The arXiv identifier grammar: parse, validate and normalize IDs and arXiv URLs.

Pure functions only. Every accepted form ends as an `ArxivId`: the canonical
unversioned ID (`1907.05642`, `math/0309136`) plus an optional version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from .errors import InvalidArxivId

# Archives that used old-style identifiers (9107-0703), as arXiv lists them.
OLD_STYLE_ARCHIVES = frozenset(
    """
    acc-phys adap-org alg-geom ao-sci astro-ph atom-ph bayes-an chao-dyn chem-ph
    cmp-lg comp-gas cond-mat cs dg-ga funct-an gr-qc hep-ex hep-lat hep-ph hep-th
    math math-ph mtrl-th nlin nucl-ex nucl-th patt-sol physics plasm-ph q-alg
    q-bio q-fin quant-ph solv-int stat supr-con
    """.split()
)

# Hosts that serve (or served) arXiv abs/pdf pages for an ID in the path.
CANONICAL_HOST = "arxiv.org"
LIVE_ARXIV_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "export.arxiv.org", "browse.arxiv.org"})
# The mirror network was shut down on 2024-09-15: links to these are dead by rule.
RETIRED_MIRROR_HOSTS = frozenset(
    {
        "cn.arxiv.org",
        "de.arxiv.org",
        "in.arxiv.org",
        "es.arxiv.org",
        "fr.arxiv.org",
        "it.arxiv.org",
        "jp.arxiv.org",
        "ru.arxiv.org",
        "tw.arxiv.org",
        "uk.arxiv.org",
        "aps.arxiv.org",
        "lanl.arxiv.org",
        "xxx.lanl.gov",
    }
)
ARXIV_HOSTS = LIVE_ARXIV_HOSTS | RETIRED_MIRROR_HOSTS

# Path prefixes under which an arXiv host names a paper.
_PAPER_PATH = re.compile(r"^/+(?:abs|pdf|html|format|ps)/+(?P<rest>.+?)/*$", re.IGNORECASE)

# re.ASCII throughout: `\d` alone would accept other scripts' digits ("١٩٠٧.٠٥٦٤٢").
_NEW_STYLE = re.compile(r"^(?P<yymm>\d{4})\.(?P<number>\d{4,5})(?:v(?P<version>\d+))?$", re.ASCII)
_OLD_STYLE = re.compile(
    r"^(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.(?P<subject>[A-Za-z]{2}))?/"
    r"(?P<yymm>\d{4})(?P<number>\d{3})(?:v(?P<version>\d+))?$",
    re.ASCII,
)
_PREFIX = re.compile(r"^\s*(?:arxiv\s*:\s*|10\.48550/arxiv\.)", re.IGNORECASE | re.ASCII)
_DOI_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/(10\.48550/arxiv\..+)$", re.IGNORECASE)

# IDs mentioned in running text: "arXiv:1907.05642", "arXiv: hep-th/9901001v2".
# The lookarounds keep "arXiv:1907.056421" from yielding the made-up 1907.05642.
_TEXT_MENTION = re.compile(
    r"(?<![0-9A-Za-z])arxiv\s*:\s*"
    r"(?P<id>\d{4}\.\d{4,5}(?:v\d+)?|[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]{2})?/\d{7}(?:v\d+)?)"
    r"(?![0-9A-Za-z]|\.\d)",
    re.IGNORECASE | re.ASCII,
)


@dataclass(frozen=True, order=True)
class ArxivId:
    """A validated arXiv identifier: canonical unversioned `id`, optional `version`."""

    id: str
    version: int | None = None

    @property
    def versioned(self) -> str:
        return self.id if self.version is None else f"{self.id}v{self.version}"

    @property
    def is_old_style(self) -> bool:
        return "/" in self.id

    def __str__(self) -> str:
        return self.versioned


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse an ID in any written form (bare, `arXiv:`, DOI, arXiv URL).

    Raises InvalidArxivId with the reason when `text` is not a valid identifier.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidArxivId("empty arXiv identifier")
    stripped = text.strip()
    if re.match(r"^[a-z]+://", stripped, re.IGNORECASE) or stripped.lower().startswith(
        tuple(host + "/" for host in ARXIV_HOSTS)
    ):
        found = parse_arxiv_url(stripped if "://" in stripped else "https://" + stripped)
        if found is None:
            raise InvalidArxivId(f"not an arXiv paper URL: {stripped!r}")
        return found
    return _parse_bare(_PREFIX.sub("", stripped))


def is_valid_arxiv_id(text: str) -> bool:
    try:
        parse_arxiv_id(text)
    except InvalidArxivId:
        return False
    return True


def parse_arxiv_url(url: str) -> ArxivId | None:
    """The paper an arXiv URL points at; None for URLs that are not about an arXiv paper.

    Raises InvalidArxivId for an arXiv paper URL whose ID is malformed
    (e.g. `https://arxiv.org/abs/1234.567`, or `https://arxiv.org/abs/`).
    """
    doi = _DOI_URL.match(url.strip())
    if doi:
        return _parse_bare(_PREFIX.sub("", unquote(doi.group(1))))
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if host not in ARXIV_HOSTS:
        return None
    path = unquote(parts.path)
    if re.match(r"^/+(?:abs|pdf|html|format|ps)/*$", path, re.IGNORECASE):
        raise InvalidArxivId(f"arXiv URL without an identifier: {url!r}")
    match = _PAPER_PATH.match(path)
    if not match:
        return None
    rest = match.group("rest")
    if rest.lower().endswith(".pdf"):
        rest = rest[: -len(".pdf")]
    return _parse_bare(rest)


def host_of(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def is_retired_mirror(url: str) -> bool:
    return host_of(url) in RETIRED_MIRROR_HOSTS


def find_arxiv_ids_in_text(text: str) -> list[ArxivId]:
    """IDs mentioned as `arXiv:ID` in running text, valid ones only, in order."""
    found: list[ArxivId] = []
    for match in _TEXT_MENTION.finditer(text):
        try:
            found.append(_parse_bare(match.group("id")))
        except InvalidArxivId:
            continue
    return found


def abs_url(arxiv_id: ArxivId | str) -> str:
    return f"https://{CANONICAL_HOST}/abs/{_as_text(arxiv_id)}"


def pdf_url(arxiv_id: ArxivId | str) -> str:
    return f"https://{CANONICAL_HOST}/pdf/{_as_text(arxiv_id)}"


def _as_text(arxiv_id: ArxivId | str) -> str:
    return arxiv_id.versioned if isinstance(arxiv_id, ArxivId) else arxiv_id


def _parse_bare(text: str) -> ArxivId:
    text = text.strip()
    new = _NEW_STYLE.match(text)
    if new:
        return _validated_new_style(text, new)
    old = _OLD_STYLE.match(text)
    if old:
        return _validated_old_style(text, old)
    raise InvalidArxivId(_reason_for_unrecognized(text))


def _validated_new_style(text: str, match: re.Match[str]) -> ArxivId:
    yymm = match.group("yymm")
    number = match.group("number")
    year, month = int(yymm[:2]), int(yymm[2:])
    if not 1 <= month <= 12:
        raise InvalidArxivId(f"{text!r}: month {yymm[2:]} is not 01-12")
    if yymm < "0704":
        raise InvalidArxivId(f"{text!r}: new-style identifiers start in April 2007 (0704)")
    expected_digits = 4 if year <= 14 else 5
    if len(number) != expected_digits:
        raise InvalidArxivId(f"{text!r}: identifiers from 20{year:02d} have {expected_digits} digits after the dot")
    return ArxivId(f"{yymm}.{number}", _version(text, match))


def _validated_old_style(text: str, match: re.Match[str]) -> ArxivId:
    archive = match.group("archive").lower()
    if archive not in OLD_STYLE_ARCHIVES:
        raise InvalidArxivId(f"{text!r}: {archive!r} is not an arXiv archive")
    yymm = match.group("yymm")
    year, month = int(yymm[:2]), int(yymm[2:])
    if not 1 <= month <= 12:
        raise InvalidArxivId(f"{text!r}: month {yymm[2:]} is not 01-12")
    # Old-style IDs run from 9107 to 0703; two-digit years wrap at 2000.
    full = (1900 if year >= 91 else 2000) + year
    if (full, month) < (1991, 7) or (full, month) > (2007, 3):
        raise InvalidArxivId(f"{text!r}: old-style identifiers run from 9107 to 0703")
    if match.group("number") == "000":
        raise InvalidArxivId(f"{text!r}: old-style numbers start at 001")
    return ArxivId(f"{archive}/{yymm}{match.group('number')}", _version(text, match))


def _version(text: str, match: re.Match[str]) -> int | None:
    version = match.group("version")
    if version is None:
        return None
    if int(version) < 1 or version.startswith("0"):
        raise InvalidArxivId(f"{text!r}: versions are written v1, v2, ... without leading zeros")
    return int(version)


def _reason_for_unrecognized(text: str) -> str:
    if not text:
        return "empty arXiv identifier"
    if re.match(r"^\d{4}\.\d+", text):
        return f"{text!r}: expected YYMM.NNNN or YYMM.NNNNN with an optional vN"
    if "/" in text:
        return f"{text!r}: expected archive/YYMMNNN (e.g. hep-th/9901001)"
    return f"{text!r} is not an arXiv identifier"
