"""What each section is about, and how well a paper nobody listed yet fits it (pure).

The profile is the very text model `category_suspect` judges entries with
(`reconcile.sections.pooled`: TF-IDF over every list's papers, titles, abstracts
and the curator's notes, sections pooled across lists by the topic glossary). A
section's profile is the centroid of its papers; when its heading names a
glossary topic, the same topic's papers in other lists join it at half weight.

Candidates are scored on their title and abstract only: Semantic Scholar gives
no arXiv categories, and scoring arXiv's candidates with theirs would rank the
two sources on different scales. Matching categories are shown as evidence.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from ..reconcile.model import EntryInput, PaperInfo, TopicGlossary
from ..reconcile.sections import (
    Pool,
    centroid,
    cosine,
    is_category_term,
    paper_terms,
    pooled,
    shared_terms,
    topic_words_in,
)

MIN_SECTION_PAPERS = 3  # a section needs this many papers before it says what belongs in it
OTHER_LISTS_WEIGHT = 0.5  # the same topic's papers in other lists, against the section's own
SEARCH_TERMS = 3  # distinctive words put into an arXiv search
SEARCH_CATEGORIES = 2  # at most this many of the section's primary categories
RESEMBLES = 2  # listed papers named as the closest to a candidate
MIN_SCORE = 0.05  # below this a candidate shares next to nothing with the section


@dataclass(frozen=True)
class Section:
    list_id: int
    list_path: str
    name: str
    papers: tuple[str, ...]  # arXiv IDs in list order
    newest: datetime | None  # the latest v1 submission among its papers
    categories: tuple[str, ...]  # its papers' most common primary categories
    terms: tuple[str, ...]  # its most distinctive words, as written
    topic: str | None  # the glossary topic its heading names
    since: datetime | None = None  # `--since`: candidates from then on, instead of from `newest`

    @property
    def fingerprint(self) -> str:
        """Changes with what would be asked (its papers, `--since`): its stored candidates are then asked again."""
        asked = [*sorted(self.papers), self.since.isoformat() if self.since else ""]
        return hashlib.sha256("\n".join(asked).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Candidate:
    arxiv_id: str
    title: str
    abstract: str
    published: datetime | None
    categories: tuple[str, ...]
    source: str  # semantic_scholar | arxiv


@dataclass(frozen=True)
class Resemblance:
    arxiv_id: str
    title: str
    score: float


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    score: float
    words: tuple[str, ...]  # the section's heaviest words the candidate shares
    topic_words: tuple[str, ...]  # the section's glossary words the candidate names
    categories: tuple[str, ...]  # the candidate's categories the section's papers share
    resembles: tuple[Resemblance, ...]


class Profiles:
    """Every section's profile, built once from what `reconciling.load_inputs` reads."""

    def __init__(self, entries: Iterable[EntryInput], papers: Mapping[str, PaperInfo], glossary: TopicGlossary) -> None:
        self.papers = papers
        self.pool: Pool = pooled(entries, papers, glossary)
        self._members: dict[tuple[int, str], list[int]] = defaultdict(list)
        seen: set[tuple[int, str, str]] = set()
        for index, doc in enumerate(self.pool.docs):
            arxiv_id = doc.entry.arxiv_id
            key = (doc.entry.list_id, doc.entry.section)
            if arxiv_id and arxiv_id in papers and (*key, arxiv_id) not in seen:
                seen.add((*key, arxiv_id))
                self._members[key].append(index)
        self._profiles: dict[tuple[int, str], dict[str, float]] = {}

    def sections(self, min_papers: int = MIN_SECTION_PAPERS) -> list[Section]:
        return [self._section(key) for key, members in self._members.items() if len(members) >= min_papers]

    def _section(self, key: tuple[int, str]) -> Section:
        members = self._members[key]
        docs = [self.pool.docs[i] for i in members]
        ids = tuple(d.entry.arxiv_id or "" for d in docs)
        infos = [self.papers[i] for i in ids]
        primaries = Counter(p.categories[0] for p in infos if p.categories)
        return Section(
            list_id=key[0],
            list_path=docs[0].entry.list_path,
            name=key[1],
            papers=ids,
            newest=max((p.published for p in infos), default=None),
            categories=tuple(c for c, _ in primaries.most_common(SEARCH_CATEGORIES)),
            terms=self._distinctive_terms(key),
            topic=self.pool.topic_of[members[0]] or None,
        )

    def profile(self, key: tuple[int, str]) -> dict[str, float]:
        if key not in self._profiles:
            own = centroid([self.pool.vectors[i] for i in self._members[key]])
            topic = self.pool.topic_of[self._members[key][0]]
            elsewhere = [
                self.pool.vectors[i] for i in self.pool.members.get(topic or "", []) if self._list_of(i) != key[0]
            ]
            if topic and elsewhere:
                others = centroid(elsewhere)
                blended = dict(own)
                for term, value in others.items():
                    blended[term] = blended.get(term, 0.0) + OTHER_LISTS_WEIGHT * value
                own = centroid([blended])
            self._profiles[key] = own
        return self._profiles[key]

    def negatives(self, section: Section, sample: int) -> list[str]:
        """Papers of the list's other sections, a deterministic spread of at most `sample`."""
        others = {
            self.pool.docs[i].entry.arxiv_id or ""
            for key, members in self._members.items()
            if key[0] == section.list_id and key[1] != section.name
            for i in members
        } - set(section.papers)
        return sorted(others, key=lambda i: hashlib.sha256(i.encode()).hexdigest())[:sample]

    def score(self, section: Section, candidate: Candidate) -> Scored:
        key = (section.list_id, section.name)
        profile = self.profile(key)
        text = candidate.title + " " + candidate.abstract
        vector = self.pool.model.vector(paper_terms(text))
        words = [w for w in shared_terms(vector, profile, limit=8) if not is_category_term(w)][:5]
        resembles = sorted(
            (
                Resemblance(
                    self.pool.docs[i].entry.arxiv_id or "", self.papers[self.pool.docs[i].entry.arxiv_id or ""].title, s
                )
                for i in self._members[key]
                if (s := cosine(vector, self.pool.vectors[i])) > 0
            ),
            key=lambda r: -r.score,
        )[:RESEMBLES]
        section_categories = {c for i in section.papers for c in self.papers[i].categories}
        return Scored(
            candidate=candidate,
            score=round(cosine(vector, profile), 4),
            words=tuple(self.pool.surface.get(w, w) for w in words),
            topic_words=tuple(topic_words_in(self.pool, section.topic, text)) if section.topic else (),
            categories=tuple(c for c in candidate.categories if c in section_categories),
            resembles=tuple(Resemblance(r.arxiv_id, r.title, round(r.score, 4)) for r in resembles),
        )

    def _distinctive_terms(self, key: tuple[int, str]) -> tuple[str, ...]:
        """Words that weigh most in the section and least in the list's other sections."""
        own = centroid([self.pool.vectors[i] for i in self._members[key]])
        rest = [self.pool.vectors[i] for k, m in self._members.items() if k[0] == key[0] and k != key for i in m]
        others = centroid(rest) if rest else {}
        weights = {
            term: value - others.get(term, 0.0)
            for term, value in own.items()
            if not is_category_term(term) and term.isalpha()
        }
        ranked = sorted(weights, key=lambda t: (-weights[t], t))
        return tuple(self.pool.surface.get(t, t) for t in ranked[:SEARCH_TERMS])

    def _list_of(self, index: int) -> int:
        return self.pool.docs[index].entry.list_id


def search_query(section: Section, since: datetime | None, until: datetime) -> str:
    """arXiv's `search_query` for a section: its categories, its words, submitted since `since`."""
    parts = []
    if section.categories:
        parts.append("(" + " OR ".join(f"cat:{c}" for c in section.categories) + ")")
    if section.terms:
        parts.append("(" + " OR ".join(f"all:{t}" for t in section.terms) + ")")
    if since is not None:
        parts.append(f"submittedDate:[{since:%Y%m%d%H%M} TO {until:%Y%m%d%H%M}]")
    return " AND ".join(parts)


def rank(scored: Iterable[Scored], min_score: float = MIN_SCORE) -> list[Scored]:
    """Best first; candidates sharing next to nothing with the section left out."""
    kept = [s for s in scored if s.score >= min_score]
    return sorted(kept, key=lambda s: (-s.score, s.candidate.arxiv_id))
