"""What the curator wrote vs what arXiv says: entries x papers x versions -> findings.

Pure: `reconcile(ReconcileInput)` takes data and returns `Finding`s; loading the
inputs is `reconciling.py`'s job, storing the findings `findings.py`'s. Every finding carries a
stable `key` (list, entry, kind and, for per-link or per-ID findings, which one),
so a later run can tell a finding that persists from one that is new or gone.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..vocabulary import RECONCILE_KINDS
from .dates import date_agrees, date_finding, format_like, new_version_findings
from .evidence import code_findings, doi_findings, is_withdrawn, venue_findings, withdrawn_findings
from .links import canonical_link, duplicate_findings, id_conflict_findings, mirror_findings
from .model import (
    DATE_TOLERANCE,
    CodeEvidence,
    DoiEvidence,
    EntryInput,
    Finding,
    NotedLink,
    PaperInfo,
    ReconcileInput,
    Topic,
    TopicGlossary,
    VenueEvidence,
    VersionInfo,
    entry_ids,
    finding,
)
from .sections import TopicProfile, category_findings
from .titles import edit_distance, is_title_typo, title_findings, title_similarity, titles_equal


def reconcile(data: ReconcileInput, profile: TopicProfile | None = None) -> list[Finding]:
    """Every finding for the given entries, ordered by list and line.

    Every rule but the pooled topics looks at one list at a time; given the
    `profile` of every list, `data` may hold a single list's entries.
    """
    findings: list[Finding] = []
    for entry in data.entries:
        findings.extend(_entry_findings(entry, data))
    findings.extend(duplicate_findings(data.entries))
    findings.extend(category_findings(data.entries, data.papers, data.topics, profile))
    return sorted(findings, key=lambda f: (f.list_path, f.line, RECONCILE_KINDS.index(f.kind), f.key))


def _entry_findings(entry: EntryInput, data: ReconcileInput) -> Iterator[Finding]:
    yield from mirror_findings(entry)
    yield from id_conflict_findings(entry, data.papers)
    for arxiv_id in entry_ids(entry):
        if arxiv_id in data.missing_ids:
            yield finding(
                entry,
                "not_found",
                arxiv_id,
                extra=arxiv_id,
                noted=arxiv_id,
                detail=f"arXiv has no paper {arxiv_id}; check the ID in the links",
            )
    paper = data.papers.get(entry.arxiv_id or "")
    if paper is None:
        return
    yield from title_findings(entry, paper)
    wrong_date = date_finding(entry, paper)
    if wrong_date:
        yield wrong_date
    yield from new_version_findings(entry, paper, data.last_run, wrong_date is not None)
    yield from withdrawn_findings(entry, paper)
    yield from venue_findings(entry, paper)
    yield from code_findings(entry, paper)
    yield from doi_findings(entry, paper)


__all__ = [
    "DATE_TOLERANCE",
    "CodeEvidence",
    "DoiEvidence",
    "EntryInput",
    "Finding",
    "NotedLink",
    "PaperInfo",
    "ReconcileInput",
    "Topic",
    "TopicGlossary",
    "TopicProfile",
    "VenueEvidence",
    "VersionInfo",
    "canonical_link",
    "date_agrees",
    "edit_distance",
    "format_like",
    "is_title_typo",
    "is_withdrawn",
    "reconcile",
    "title_similarity",
    "titles_equal",
]
