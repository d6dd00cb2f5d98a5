"""Venue names in free text: find them, normalize them, and say whether two agree.

Pure. A curator writes `NIPS 2019 workshop`; arXiv comments say `Accepted as a
conference paper at Neural Information Processing Systems (NeurIPS) 2019` or
`NeurIPS-EMC2 2019 Workshop on ...`. Both become `Venue(name, year, workshop)`.

Decisions, so reports stay explainable:
- Only venues in `_ALIASES` are recognized. An unknown name is silence, never a
  contradiction: a venue we cannot read must not raise a warning.
- "oral", "spotlight", "poster", "camera-ready" are ignored.
- Workshop and main conference are different publications, so they disagree.
- A mention introduced by "submitted to" or "under review" is a plan, not a
  venue, and is skipped.

A source's own identity for the published venue (Semantic Scholar's venue with
its alternate names, a DBLP key such as `conf/ijcnn/SmithD19`) is a
`VenueIdentity`: there every name is the venue's, so a noted venue from the table
that is none of them is a contradiction even when the table does not know the
published one. Its year only labels a suggestion: sources often give the
preprint's year, so it never contradicts a noted year.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Canonical name -> pattern of its spellings (matched case-insensitively on word boundaries).
_ALIASES: dict[str, str] = {
    "NeurIPS": r"neurips|nips|neural\s+information\s+processing\s+systems",
    "ICLR": r"iclr|international\s+conference\s+on\s+learning\s+representations",
    "ICML": r"icml|international\s+conference\s+on\s+machine\s+learning",
    # Semantic Scholar names CVPR without "Conference on"; arXiv's cs.CV category is no venue.
    "CVPR": r"cvpr|(?<!arxiv:\s)(?:conference\s+on\s+)?computer\s+vision\s+and\s+pattern\s+recognition",
    "ICCV": r"iccv|international\s+conference\s+on\s+computer\s+vision",
    "ECCV": r"eccv|european\s+conference\s+on\s+computer\s+vision",
    "ICIP": r"icip|international\s+conference\s+on\s+image\s+processing",
    "ICASSP": r"icassp|acoustics,?\s+speech,?\s+and\s+signal\s+processing",
    "AAAI": r"aaai",
    "IJCAI": r"ijcai|international\s+joint\s+conference\s+on\s+artificial\s+intelligence",
    "ACL": r"acl|annual\s+meeting\s+of\s+the\s+association\s+for\s+computational\s+linguistics",
    "EMNLP": r"emnlp|empirical\s+methods\s+in\s+natural\s+language\s+processing",
    "NAACL": r"naacl|north\s+american\s+chapter\s+of\s+the\s+association\s+for\s+computational\s+linguistics",
    "COLING": r"coling|international\s+conference\s+on\s+computational\s+linguistics",
    "BMVC": r"bmvc|british\s+machine\s+vision\s+conference",
    # Its full name kept "Workshop" from the years it was one; that word is part of the name.
    "WACV": r"wacv|(?:workshop\s*/\s*)?winter\s+conference\s+on\s+applications\s+of\s+computer\s+vision"
    r"|workshop\s+on\s+applications\s+of\s+computer\s+vision",
    "ACCV": r"accv|asian\s+conference\s+on\s+computer\s+vision",
    "ICPR": r"icpr|international\s+conference\s+on\s+pattern\s+recognition",
    "ICME": r"icme|international\s+conference\s+on\s+multimedia\s+and\s+expo",
    "KDD": r"kdd|knowledge\s+discovery\s+and\s+data\s+mining",
    "AISTATS": r"aistats|international\s+conference\s+on\s+artificial\s+intelligence\s+and\s+statistics",
    "UAI": r"uai|conference\s+on\s+uncertainty\s+in\s+artificial\s+intelligence",
    "COLT": r"colt|conference\s+(?:on\s+)?(?:computational\s+)?learning\s+theory",
    "MLSys": r"mlsys|sysml|conference\s+on\s+machine\s+learning\s+and\s+systems",
    "Interspeech": r"interspeech",
    "ACM MM": r"acm\s*mm|acm\s+multimedia",
    "DAC": r"dac|design\s+automation\s+conference",
    "ISCA": r"isca|international\s+symposium\s+on\s+computer\s+architecture",
    "TPAMI": r"t-?pami|pami|pattern\s+analysis\s+and\s+machine\s+intelligence",
    "IJCV": r"ijcv|international\s+journal\s+of\s+computer\s+vision",
    "JMLR": r"jmlr|journal\s+of\s+machine\s+learning\s+research",
    "TNNLS": r"tnnls|transactions\s+on\s+neural\s+networks\s+and\s+learning\s+systems",
    "TIP": r"transactions\s+on\s+image\s+processing",
}
# A trailing "W" is the usual short form of a workshop track: CVPRW, ICCVW.
_VENUE = re.compile(
    "|".join(rf"(?P<v{i}>\b(?:{pattern})(?P<w{i}>w)?(?=\b|\d|'|-|_))" for i, pattern in enumerate(_ALIASES.values())),
    re.IGNORECASE,
)
_CANONICAL = list(_ALIASES)
_YEAR_AFTER = re.compile(
    r"^[\s\-–'’(),:a-z0-9]{0,24}?(?<!\d)(?P<year>(?:19|20)\d{2}|'\d{2}|(?<=[a-z])\d{2})(?!\d)", re.IGNORECASE
)
_YEAR_BEFORE = re.compile(r"(?<!\d)(?P<year>(?:19|20)\d{2})(?!\d)[\s\w]{0,20}$")
_WORKSHOP = re.compile(r"\bworkshops?\b|\bwksp\b", re.IGNORECASE)
_PLANNED = re.compile(r"submitted\s+to|submission\s+to|in\s+submission|under\s+review", re.IGNORECASE)
# Clauses: sentences and semicolon-separated parts; a venue's year and "workshop" live in its clause.
_CLAUSE = re.compile(r"[^;]+?(?:\.(?=\s|$)|;|$)")
# DBLP streams whose key is not the venue's usual name; `corr` is arXiv itself.
_DBLP_STREAMS = {"icmcs": "ICME", "mm": "ACM MM", "tnn": "TNNLS", "tip": "TIP"}
_DBLP_PREPRINTS = frozenset({"corr"})
_DBLP_KEY = re.compile(r"(?P<kind>conf|journals)/(?P<stream>[a-z0-9_-]+)/(?P<record>[^/\s]+)", re.IGNORECASE)
_DBLP_YEAR = re.compile(r"(?<!\d)(?P<year>\d{2})[a-z]?$")
# A name that is an acronym ("IJCNN", "NeurIPS", "EMC2-NIPS"): the short form a suggestion should use.
_ACRONYM = re.compile(r"(?=(?:[^A-Z]*[A-Z]){2})[A-Za-z][A-Za-z0-9&+\-]{1,15}")


@dataclass(frozen=True)
class Venue:
    name: str  # canonical, e.g. "NeurIPS"
    year: int | None
    workshop: bool
    text: str  # the clause the venue was found in, as written

    def label(self) -> str:
        parts = [self.name] + ([str(self.year)] if self.year else [])
        return " ".join(parts) + (" workshop" if self.workshop else "")


def find_venues(text: str | None) -> list[Venue]:
    """Every recognized venue mention in free text (an arXiv comment, a journal ref), in order."""
    if not text:
        return []
    found: list[Venue] = []
    for clause in _clauses(text):
        found.extend(_venues_in_clause(clause))
    return found


def parse_noted_venue(text: str | None) -> Venue | None:
    """The venue a curator noted (`NIPS 2019 workshop`, `ICLR 2016 oral`); None when unknown."""
    venues = find_venues(text)
    return venues[0] if venues else None


def venues_agree(noted: Venue, found: Venue) -> bool:
    """Same venue, same year when both give one, and both workshop or both main track."""
    if noted.name != found.name or noted.workshop != found.workshop:
        return False
    return noted.year is None or found.year is None or noted.year == found.year


@dataclass(frozen=True)
class VenueIdentity:
    """A published venue as a source identifies it: every name it goes by.

    `known` are the table's venues found among the names; `workshop` is None when
    the source cannot tell (DBLP files CVPR's workshops under conf/cvpr).
    """

    names: tuple[str, ...]
    known: tuple[Venue, ...]
    workshop: bool | None
    short_name: str
    year: int | None  # labels a suggestion only

    def label(self) -> str:
        parts = [self.short_name] + ([str(self.year)] if self.year else [])
        return " ".join(parts) + (" workshop" if self.workshop else "")


def dblp_venue(key: str | None) -> Venue | None:
    """The venue a DBLP key names (`conf/icip/SmithD19` -> ICIP 2019); None for arXiv's own (CoRR) or no key."""
    match = _DBLP_KEY.fullmatch(key.strip()) if key else None
    if match is None or match.group("stream").lower() in _DBLP_PREPRINTS:
        return None
    stream = match.group("stream").lower()
    year = _dblp_year(match.group("record"))
    if stream in _DBLP_STREAMS:
        return Venue(_DBLP_STREAMS[stream], year, False, key or "")
    known = _VENUE.fullmatch(stream)
    if known is None:
        return Venue(stream.upper(), year, False, key or "")
    index = _alias_index(known)
    return Venue(_CANONICAL[index], year, bool(known.group(f"w{index}")), key or "")


def venue_identity(names: Sequence[str], dblp_key: str | None, year: int | None) -> VenueIdentity | None:
    """What a source's venue names and DBLP key say the venue is; None when they say nothing."""
    names = tuple(dict.fromkeys(" ".join(n.split()) for n in names if n and n.strip()))
    from_names = [v for name in names for v in find_venues(name)]
    dblp = dblp_venue(dblp_key)
    if not names and dblp is None:
        return None
    known = tuple(from_names) + ((dblp,) if dblp and dblp.name in _ALIASES else ())
    return VenueIdentity(
        names=names,
        known=known,
        workshop=_identity_workshop(names, dblp),
        short_name=_short_name(names, dblp),
        year=_identity_year(from_names, dblp, year),
    )


def identity_agrees(noted: Venue, identity: VenueIdentity) -> bool | None:
    """True when the noted venue is one of the identity's names, False when it is none, None when unknowable."""
    if any(v.name == noted.name for v in identity.known):
        return identity.workshop is None or identity.workshop == noted.workshop
    if noted.workshop and not identity.known:
        return None  # a workshop goes by its own name, which may be this unknown one
    return False


def _identity_workshop(names: tuple[str, ...], dblp: Venue | None) -> bool | None:
    if any(_is_workshop_name(name) for name in names) or (dblp is not None and dblp.workshop):
        return True
    return False if names else None


def _is_workshop_name(name: str) -> bool:
    return any(v.workshop for v in find_venues(name)) or bool(_WORKSHOP.search(_VENUE.sub(" ", name)))


def _short_name(names: tuple[str, ...], dblp: Venue | None) -> str:
    acronyms = [n for n in names if _ACRONYM.fullmatch(n)]
    known_acronyms = [v.name for n in acronyms for v in find_venues(n)]
    known_names = [v.name for n in names for v in find_venues(n)]
    dblp_known = [dblp.name] if dblp and dblp.name in _ALIASES else []
    dblp_other = [dblp.name] if dblp and dblp.name not in _ALIASES else []
    # An acronym the source gives beats a table name found inside a longer title
    # ("International Conference on Computer Vision Theory and Applications" is VISAPP, not ICCV).
    return next(iter(known_acronyms + dblp_known + acronyms + known_names + dblp_other + list(names)))


def _identity_year(from_names: list[Venue], dblp: Venue | None, source_year: int | None) -> int | None:
    written = [v.year for v in from_names if v.year]
    if written:
        return written[0]
    return dblp.year if dblp and dblp.year else source_year


def _dblp_year(record: str) -> int | None:
    match = _DBLP_YEAR.search(record)
    if match is None:
        return None
    two_digits = int(match.group("year"))
    return 1900 + two_digits if two_digits > 60 else 2000 + two_digits


def _clauses(text: str) -> list[str]:
    return [m.group(0).strip() for m in _CLAUSE.finditer(text) if m.group(0).strip()]


def _venues_in_clause(clause: str) -> list[Venue]:
    venues: list[Venue] = []
    # "Workshop" inside a venue's own name (WACV's) does not make the clause a workshop.
    workshop_clause = bool(_WORKSHOP.search(_VENUE.sub(" ", clause)))
    for match in _VENUE.finditer(clause):
        if _PLANNED.search(clause[: match.start()]):
            continue
        index = _alias_index(match)
        venues.append(
            Venue(
                name=_CANONICAL[index],
                year=_year_near(clause, match.start(), match.end()),
                workshop=workshop_clause or bool(match.group(f"w{index}")),
                text=clause,
            )
        )
    return venues


def _alias_index(match: re.Match[str]) -> int:
    return next(i for i in range(len(_CANONICAL)) if match.group(f"v{i}") is not None)


def _year_near(clause: str, start: int, end: int) -> int | None:
    after = _YEAR_AFTER.match(clause[end:])
    if after:
        return _full_year(after.group("year"))
    before = _YEAR_BEFORE.search(clause[:start])
    return _full_year(before.group("year")) if before else None


def _full_year(text: str) -> int:
    digits = text.lstrip("'’")
    return int(digits) if len(digits) == 4 else 2000 + int(digits)
