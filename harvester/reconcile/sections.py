"""Whether an entry fits its section: TF-IDF of the entry's text against every section's."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from .model import (
    EntryInput,
    Finding,
    PaperInfo,
    finding,
)
from .titles import STOPWORDS

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
_ENGLISH_STOP = STOPWORDS | frozenset(
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


def category_findings(entries: Iterable[EntryInput], papers: Mapping[str, PaperInfo]) -> Iterator[Finding]:
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
    return finding(
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
