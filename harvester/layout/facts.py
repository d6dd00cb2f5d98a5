"""What the layout knows of one paper: arXiv's title and v1 date, and what enrichment adds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..ids import abs_url


@dataclass(frozen=True)
class PaperFacts:
    arxiv_id: str  # canonical, unversioned
    title: str  # arXiv's current title
    v1_date: date  # first version's submission date (UTC)
    venue: str | None = None  # the published venue with its year, e.g. "ICLR 2016", when a source names it
    code_url: str | None = None  # the official code repository, when a source names it

    @property
    def url(self) -> str:
        return abs_url(self.arxiv_id)
