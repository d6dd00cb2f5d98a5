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
"""

from __future__ import annotations

import re
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
    "ICASSP": r"icassp",
    "AAAI": r"aaai",
    "IJCAI": r"ijcai",
    "ACL": r"acl",
    "EMNLP": r"emnlp",
    "NAACL": r"naacl",
    "COLING": r"coling",
    "BMVC": r"bmvc|british\s+machine\s+vision\s+conference",
    "WACV": r"wacv",
    "ACCV": r"accv",
    "ICPR": r"icpr",
    "ICME": r"icme",
    "KDD": r"kdd",
    "AISTATS": r"aistats",
    "UAI": r"uai",
    "COLT": r"colt",
    "MLSys": r"mlsys|sysml",
    "Interspeech": r"interspeech",
    "ACM MM": r"acm\s*mm|acm\s+multimedia",
    "DAC": r"dac|design\s+automation\s+conference",
    "ISCA": r"isca",
    "TPAMI": r"t-?pami|pattern\s+analysis\s+and\s+machine\s+intelligence",
    "IJCV": r"ijcv|international\s+journal\s+of\s+computer\s+vision",
    "JMLR": r"jmlr|journal\s+of\s+machine\s+learning\s+research",
    "TNNLS": r"tnnls|transactions\s+on\s+neural\s+networks\s+and\s+learning\s+systems",
    "TIP": r"transactions\s+on\s+image\s+processing",
}
# A trailing "W" is the usual short form of a workshop track: CVPRW, ICCVW.
_VENUE = re.compile(
    "|".join(
        rf"(?P<v{i}>\b(?:{pattern})(?P<w{i}>w)?(?=\b|\d|'|-|_))"
        for i, pattern in enumerate(_ALIASES.values())
    ),
    re.IGNORECASE,
)
_CANONICAL = list(_ALIASES)
_YEAR_AFTER = re.compile(r"^[\s\-–'’(),:a-z0-9]{0,24}?(?<!\d)(?P<year>(?:19|20)\d{2}|'\d{2}|(?<=[a-z])\d{2})(?!\d)", re.IGNORECASE)
_YEAR_BEFORE = re.compile(r"(?<!\d)(?P<year>(?:19|20)\d{2})(?!\d)[\s\w]{0,20}$")
_WORKSHOP = re.compile(r"\bworkshops?\b|\bwksp\b", re.IGNORECASE)
_PLANNED = re.compile(r"submitted\s+to|submission\s+to|in\s+submission|under\s+review", re.IGNORECASE)
# Clauses: sentences and semicolon-separated parts; a venue's year and "workshop" live in its clause.
_CLAUSE = re.compile(r"[^;]+?(?:\.(?=\s|$)|;|$)")


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


def _clauses(text: str) -> list[str]:
    return [m.group(0).strip() for m in _CLAUSE.finditer(text) if m.group(0).strip()]


def _venues_in_clause(clause: str) -> list[Venue]:
    venues: list[Venue] = []
    workshop_clause = bool(_WORKSHOP.search(clause))
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
