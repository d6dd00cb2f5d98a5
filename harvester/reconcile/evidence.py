"""What other sources say: withdrawn papers, published venues, official code, DOIs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ..coderepos import same_repo
from ..venues import Venue, find_venues, identity_agrees, parse_noted_venue, venue_identity, venues_agree
from .model import (
    EntryInput,
    Finding,
    PaperInfo,
    VenueEvidence,
    finding,
    line_of,
)

# --- withdrawn, venues ---------------------------------------------------------------


def is_withdrawn(paper: PaperInfo) -> bool:
    return paper.withdrawn  # decided once, at harvest (arxiv.feed.says_withdrawn)


def withdrawn_findings(entry: EntryInput, paper: PaperInfo) -> Iterator[Finding]:
    if is_withdrawn(paper):
        yield finding(
            entry,
            "withdrawn",
            paper.arxiv_id,
            arxiv_value=paper.comment,
            detail="the latest version says the paper was withdrawn: " + (paper.comment or ""),
        )


@dataclass(frozen=True)
class _VenueClaim:
    evidence: VenueEvidence
    label: str  # the venue as a suggestion: "ICIP 2019"
    agrees: bool | None  # None: this evidence cannot tell


def venue_findings(entry: EntryInput, paper: PaperInfo) -> Iterator[Finding]:
    noted = parse_noted_venue(entry.noted_venue)
    if noted is None:
        return  # a venue we cannot read is never contradicted
    claims = [claim for evidence in paper.venue_evidence() for claim in _venue_claims(noted, evidence)]
    if any(claim.agrees for claim in claims):
        return
    contradiction = next((claim for claim in claims if claim.agrees is False), None)
    if contradiction is None:
        return
    evidence, label = contradiction.evidence, contradiction.label
    yield finding(
        entry,
        "venue_mismatch",
        paper.arxiv_id,
        noted=entry.noted_venue,
        arxiv_value=evidence.text,
        suggestion=label,
        source=evidence.source,
        line=line_of(entry, entry.noted_venue),
        detail=f"noted {noted.label()!r}, but {evidence.source} says {label!r}: {_shown(evidence)!r}",
    )


def _venue_claims(noted: Venue, evidence: VenueEvidence) -> Iterator[_VenueClaim]:
    if evidence.is_identity:
        identity = venue_identity(evidence.names, evidence.dblp_key, evidence.year)
        if identity is not None:
            yield _VenueClaim(evidence, identity.label(), identity_agrees(noted, identity))
        return
    for venue in find_venues(evidence.text):
        # A source's year may be the preprint's: it completes the suggestion, the text's year is judged.
        shown = venue if venue.year or evidence.year is None else replace(venue, year=evidence.year)
        yield _VenueClaim(evidence, shown.label(), venues_agree(noted, venue))


def _shown(evidence: VenueEvidence) -> str:
    others = [n for n in evidence.names if n != evidence.text]
    if evidence.dblp_key and evidence.dblp_key != evidence.text:
        others.append(f"DBLP {evidence.dblp_key}")
    return evidence.text + (f" (also {', '.join(others)})" if others else "")


# --- code and DOIs from enrichment sources --------------------------------------------

_UNOFFICIAL = re.compile(r"unofficial|non-?official|third[- ]party|reimpl|非官方|复现", re.IGNORECASE)


def code_findings(entry: EntryInput, paper: PaperInfo) -> Iterator[Finding]:
    if not paper.official_code:
        return
    official = paper.official_code[0]
    code_links = [link for link in entry.links if link.role == "code"]
    if any(same_repo(link.url, e.url) for link in code_links for e in paper.official_code):
        return
    # A link the curator marked as unofficial is no claim about the official code.
    claimed = [link for link in code_links if not (link.marker and _UNOFFICIAL.search(link.marker))]
    if not claimed:
        yield finding(
            entry,
            "code_missing",
            paper.arxiv_id,
            arxiv_value=official.url,
            suggestion=official.url,
            source=official.source,
            detail=f"{official.source} names the official code {official.url}; "
            + ("the entry links only unofficial code" if code_links else "the entry links no code"),
        )
        return
    noted = claimed[0]
    yield finding(
        entry,
        "code_mismatch",
        paper.arxiv_id,
        noted=noted.url,
        arxiv_value=official.url,
        suggestion=official.url,
        source=official.source,
        line=noted.line,
        detail=f"the code link {noted.url} is not the official repository; {official.source} names "
        f"{official.url}" + (" (mark the link unofficial if it is a reimplementation)" if not noted.marker else ""),
    )


def doi_findings(entry: EntryInput, paper: PaperInfo) -> Iterator[Finding]:
    """The published version's DOI, suggested once per entry unless the entry already gives it."""
    written = (entry.raw + " " + " ".join(link.url for link in entry.links)).casefold()
    for evidence in paper.published_dois:
        if evidence.doi.casefold().startswith("10.48550/") or evidence.doi.casefold() in written:
            continue
        yield finding(
            entry,
            "published_doi",
            paper.arxiv_id,
            arxiv_value=evidence.doi,
            suggestion=f"https://doi.org/{evidence.doi}",
            source=evidence.source,
            detail=f"{evidence.source} gives the published version's DOI {evidence.doi}",
        )
        return
