"""The title inside a citation: `Authors (Year). Title. Venue.` or `Authors. Title. Venue, Year.`

Curators paste citations as link text or as the line under a paper; the title
the reconciler compares is the one inside. Recognition is conservative: the
author part must read as names with initials (or "et al." / "..."), else the
text is not taken for a citation and stays as written.
"""

from __future__ import annotations

import re

# Each name is an atomic group: once a name has matched, the list never tries
# to split the same words into names another way, which keeps a long run of
# capitalised words linear instead of exponential.
_SURNAME = r"[^\W\d_][\w'’-]*+(?:\s[^\W\d_][\w'’-]*+){0,3}"
_INITIALS = r"[^\W\d_]\.(?:\s?-?[^\W\d_]\.)*+"
_SURNAME_INITIALS = rf"(?>{_SURNAME},\s{_INITIALS})"  # Csaba, B.
_INITIALS_SURNAME = rf"(?>{_INITIALS}\s?{_SURNAME})"  # B. Csaba
_SURNAME_BARE_INITIALS = rf"(?>{_SURNAME}\s[A-Z](?:\s?[A-Z]){{0,2}})"  # Csaba B (GB/T 7714)
_MORE = r"(?>\.\.\.|…|et\s+al\.?)"
_JOIN = r"(?>,\s*(?:&\s*|and\s+)?|\s+(?:&|and)\s+)"
# A citation is a line or two; anything longer is not taken for one.
MAX_CITATION = 600

# `Authors (2019). Title.` The year is in parentheses, right after the authors.
_APA = re.compile(
    rf"^\s*(?:{_SURNAME_INITIALS}|{_MORE})(?:{_JOIN}(?:{_SURNAME_INITIALS}|{_MORE}))*,?\s*"
    r"\(\s*(?:19|20)\d\d[a-z]?\s*\)\.\s+(?P<rest>.+)$"
)
# `B. Csaba, A. Boukhayma, and C. Dell. Title. Venue, 2019.`
_AUTHORS_FIRST = re.compile(
    rf"^\s*(?P<authors>(?:{_INITIALS_SURNAME}|{_SURNAME_BARE_INITIALS})"
    rf"(?:{_JOIN}(?:{_INITIALS_SURNAME}|{_SURNAME_BARE_INITIALS}|{_MORE}))*(?:,?\s*{_MORE})?)\.\s+(?P<rest>.+)$"
)
# The title ends at the first full stop followed by a space or the end; a ? or !
# ending a sentence inside the title is kept when a capital follows.
_TITLE_END = re.compile(r"(?:\[[A-Z]\])?\.(?=\s|$)|[?!](?=\s*$)")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_MIN_TITLE = 3


def citation_title(text: str) -> str | None:
    """The title inside `text` when it is a citation in a recognised shape, else None."""
    if len(text) > MAX_CITATION:
        return None
    apa = _APA.match(text)
    if apa:
        return _title_of(apa.group("rest"), venue_needs_year=False)
    first = _AUTHORS_FIRST.match(text)
    if first and _has_initials(first.group("authors")):
        return _title_of(first.group("rest"), venue_needs_year=True)
    return None


def _has_initials(authors: str) -> bool:
    return bool(re.search(r"(?:^|[\s,])[^\W\d_]\.|\s[A-Z](?:\s?[A-Z])?(?=,|$)", authors))


def _title_of(rest: str, venue_needs_year: bool) -> str | None:
    end = _TITLE_END.search(rest)
    if end is None:
        return None
    title = rest[: end.start()] + (rest[end.start()] if rest[end.start()] in "?!" else "")
    title = title.strip()
    venue = rest[end.end() :]
    if len(title) < _MIN_TITLE or (venue_needs_year and not _YEAR.search(venue)):
        return None
    return title
