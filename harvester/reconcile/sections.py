"""Whether an entry fits its section.

Two rules raise `category_suspect`. With a topic glossary, sections whose headings
name a topic (in any language) are pooled across every list into one profile per
topic, and an entry that names none of its own topic's words is judged against
them (glossary words, TF-IDF, arXiv categories). Within each list, an entry is also
compared with the other sections' papers by TF-IDF alone.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from .model import (
    EntryInput,
    Finding,
    PaperInfo,
    TopicGlossary,
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
    sums: dict[str, dict[str, float]] = field(default_factory=dict)  # section -> sum of its vectors
    norms: dict[str, float] = field(default_factory=dict)  # section -> squared length of that sum

    def __post_init__(self) -> None:
        for section, indexes in self.sections.items():
            total: dict[str, float] = defaultdict(float)
            for i in indexes:
                for word, value in self.vectors[i].items():
                    total[word] += value
            self.sums[section] = dict(total)
            self.norms[section] = _cosine(total, total)

    def others_in(self, section: str, left_out: int) -> list[dict[str, float]]:
        return [self.vectors[i] for i in self.sections[section] if i != left_out]

    def similarity(self, index: int, section: str) -> float:
        """Cosine to the centroid of the section's papers but the judged one, from the section's sum:
        judging an entry costs its own length, not its list's (the same value `_centroid` gives)."""
        vector, total = self.vectors[index], self.sums[section]
        dot, norm = _cosine(vector, total), self.norms[section]
        if self.entries[index].section == section:
            own = _cosine(vector, vector)
            dot, norm = dot - own, norm - 2 * dot + own
        return dot / math.sqrt(norm) if norm > 1e-12 else 0.0


def category_findings(
    entries: Iterable[EntryInput],
    papers: Mapping[str, PaperInfo],
    glossary: TopicGlossary | None = None,
    profile: TopicProfile | None = None,
) -> Iterator[Finding]:
    """Both rules; with a `profile` (of every list, built beforehand), `entries` may be one list's."""
    entries = tuple(entries)
    judged: set[str] = set()
    if profile is not None:
        by_topic: Iterable[Finding] = profile.judge(profile.documents_of(entries, papers))
    elif glossary is not None:
        by_topic = topic_findings(entries, papers, glossary)
    else:
        by_topic = ()
    for found in by_topic:
        judged.add(found.key)
        yield found
    for found in _within_list_findings(entries, papers):
        if found.key not in judged:
            yield found


def _within_list_findings(entries: Iterable[EntryInput], papers: Mapping[str, PaperInfo]) -> Iterator[Finding]:
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


@lru_cache(maxsize=65536)
def _word_stem(word: str) -> str:
    """Crude English stemming, enough to meet "quantization", "quantized" and "quantize"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _section_scores(corpus: _Corpus, index: int) -> dict[str, float]:
    own_section = corpus.entries[index].section
    scores = {}
    for section, members in corpus.sections.items():
        # The judged paper is left out of its own section, so that one needs one fewer.
        needed = MIN_SECTION_PAPERS - 1 if section == own_section else MIN_SECTION_PAPERS
        if len(members) - (section == own_section) >= needed:
            scores[section] = corpus.similarity(index, section)
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
        entry,
        "category_suspect",
        entry.arxiv_id,
        noted=entry.section,
        suggestion=best,
        arxiv_value=", ".join(words),
        detail=f"title and abstract are closer to the papers of {best!r} ({score:.2f}) than to "
        f"the rest of {entry.section!r} ({own:.2f}); shared words: {', '.join(words)}",
    )


def _unscaled(_: str) -> float:
    return 1.0


@dataclass(frozen=True)
class TextModel:
    """TF-IDF weights learnt from a set of documents; `vector` also places a document from outside it.

    `category_suspect` learns it from the listed papers and compares them with each other;
    `suggest` learns it from the same papers and scores a paper nobody listed yet with it.
    """

    df: Mapping[str, int]
    n: int
    scale: Callable[[str], float] = _unscaled

    @classmethod
    def fit(cls, docs: Iterable[Counter[str]], scale: Callable[[str], float] = _unscaled) -> TextModel:
        docs = list(docs)
        return cls(Counter(word for doc in docs for word in doc), len(docs), scale)

    def vector(self, doc: Mapping[str, int]) -> dict[str, float]:
        n, df, scale = self.n, self.df, self.scale
        weights = {w: scale(w) * (1 + math.log(c)) * math.log((1 + n) / (1 + df.get(w, 0))) for w, c in doc.items()}
        return _unit(weights)


def _tfidf(docs: list[Counter[str]], scale: Callable[[str], float] = _unscaled) -> list[dict[str, float]]:
    model = TextModel.fit(docs, scale)
    return [model.vector(doc) for doc in docs]


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {w: v / norm for w, v in vector.items()} if norm else {}


def _centroid(vectors: list[dict[str, float]]) -> dict[str, float]:
    total: dict[str, float] = defaultdict(float)
    for vector in vectors:
        for word, value in vector.items():
            total[word] += value
    return _unit(total)


def _cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    return sum(value * b.get(word, 0.0) for word, value in a.items())


def _shared_words(a: dict[str, float], b: dict[str, float], limit: int = 5) -> list[str]:
    weights = {w: a[w] * b[w] for w in a.keys() & b.keys()}
    return sorted(weights, key=lambda w: (-weights[w], w))[:limit]


# --- topics pooled across lists --------------------------------------------------------

# A list's own sections are often too small to say what belongs in them, so sections
# whose headings name a glossary topic are pooled across every list into one profile
# per topic. Conservative on purpose: an entry is judged only when its text shows
# none of its own topic's words (none in the title, fewer than BODY_WORDS_TO_FIT in
# the abstract and notes) and it is not close to that topic's pooled papers. It is
# then suspect when another topic of its list has its words and the profiles agree,
# or, with an abstract to go by, when no topic of the list has its words and none is
# close. arXiv categories join the profiles as weighted terms: evidence, never a rule.
TOPIC_FIT_SCORE = 0.15
TOPIC_MIN_PAPERS = 2
BODY_WORDS_TO_FIT = 2
CATEGORY_WEIGHT = 0.5
_CATEGORY = "cat:"
_NUMBERING = re.compile(
    r"^\s*(?:\d+(?:[.．]\d+)*[.．、)）]?\s*|[一二三四五六七八九十]+[、.．)）]\s*"
    r"|[(（][0-9一二三四五六七八九十]+[)）]\s*|[a-z][.、)]?\s+)",
    re.IGNORECASE,
)
_URL = re.compile(r"<?https?://[^\s)>]*>?")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class _TopicWords:
    """One topic's glossary words: Chinese matched inside the text, others stem by stem."""

    cjk: tuple[str, ...]
    phrases: tuple[tuple[tuple[str, ...], str], ...]  # (stems, the word as written)

    @classmethod
    def of(cls, words: tuple[str, ...]) -> _TopicWords:
        cjk = tuple(dict.fromkeys(w for w in words if re.search(r"[\u3400-\u9fff]", w)))
        # "quantized" and "quantization" share a stem: one phrase, counted once per occurrence.
        phrases = {tuple(_stems(w)): w for w in reversed(words) if w not in cjk and _stems(w)}
        return cls(cjk, tuple(reversed(phrases.items())))

    def found(self, text: str, words: tuple[str, ...], stems: tuple[str, ...]) -> list[str]:
        """Every occurrence, as the text writes it."""
        hits = [word for word in self.cjk for _ in range(text.count(word))]
        for phrase, _ in self.phrases:
            width = len(phrase)
            starts = [i for i in range(len(stems) - width + 1) if stems[i : i + width] == phrase]
            hits += [" ".join(words[i : i + width]) for i in starts]
        return hits


@dataclass(frozen=True)
class _Doc:
    entry: EntryInput
    paper: str  # arXiv ID or title: the same paper in other lists stays out of its own profile
    title: str  # casefolded, as the tokens below
    body: str  # abstract and the curator's notes, links left out
    title_words: tuple[str, ...]
    body_words: tuple[str, ...]
    title_stems: tuple[str, ...]
    body_stems: tuple[str, ...]
    categories: tuple[str, ...]
    has_abstract: bool


@dataclass(frozen=True)
class _Evidence:
    title: list[str]
    body: list[str]

    def fits(self) -> bool:
        return bool(self.title) or len(self.body) >= BODY_WORDS_TO_FIT


class TopicProfile:
    """Every list's topic sections pooled into one profile per topic, built list by list.

    Pass one (`count`) counts documents per word (TF-IDF's document frequencies) and
    entries per paper; pass two (`add`) adds each document's vector to its topic's
    running sum. What is kept is per word and per topic, plus a sum for each paper
    listed more than once, never per entry: a list is judged against every list
    (`judge`) while only its own entries are in memory.
    """

    def __init__(self, glossary: TopicGlossary) -> None:
        self.words = {topic.name: _TopicWords.of(topic.words) for topic in glossary.topics}
        self.headings = {topic.name: _TopicWords.of(topic.headings) for topic in glossary.topics}
        self.catch_all = _TopicWords.of(glossary.catch_all)
        self.df: Counter[str] = Counter()
        self.documents = 0
        self.surface: dict[str, str] = {}  # stem -> the word as first written, in list order
        self.paper_docs: Counter[str] = Counter()
        self.members: Counter[str] = Counter()  # topic -> its documents in every list
        self.sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.norms: dict[str, float] = {}  # topic -> squared length of its sum
        self.copies: dict[tuple[str, str], tuple[int, dict[str, float]]] = {}  # (topic, paper listed twice+)
        self.categories: dict[str, Counter[str]] = defaultdict(Counter)  # topic -> arXiv categories of its papers

    def documents_of(self, entries: Iterable[EntryInput], papers: Mapping[str, PaperInfo]) -> list[_Doc]:
        return [doc for entry in entries if (doc := _doc(entry, papers.get(entry.arxiv_id or ""))) is not None]

    def count(self, docs: Iterable[_Doc]) -> None:
        for doc in docs:
            self.df.update(_term_counts(doc, self.surface).keys())
            self.documents += 1
            self.paper_docs[doc.paper] += 1

    def add(self, docs: Iterable[_Doc]) -> None:
        for doc in docs:
            topic = self.topic_of(doc)
            if not topic:
                continue
            vector = self.vector(doc)
            self.members[topic] += 1
            _add_to(self.sums[topic], vector)
            self.categories[topic].update(doc.categories)
            if self.paper_docs[doc.paper] > 1:
                count, total = self.copies.get((topic, doc.paper), (0, defaultdict(float)))
                _add_to(total, vector)
                self.copies[(topic, doc.paper)] = (count + 1, total)
        self.norms = {topic: _cosine(total, total) for topic, total in self.sums.items()}

    def topic_of(self, doc: _Doc) -> str | None:
        return _heading_topic(doc.entry.section, self.headings, self.catch_all)

    @property
    def model(self) -> TextModel:
        """The TF-IDF learnt by `count` (valid once every list is counted)."""
        return TextModel(self.df, self.documents, _category_scale)

    def vector(self, doc: _Doc) -> dict[str, float]:
        return self.model.vector(_term_counts(doc, self.surface))

    def judge(self, docs: list[_Doc]) -> Iterator[Finding]:
        """category_suspect findings for the documents of one list."""
        pool = _ListPool(self, docs)
        for index, topic in enumerate(pool.topic_of):
            if topic:
                found = _topic_verdict(pool, index, topic)
                if found:
                    yield found


def _add_to(total: dict[str, float], vector: Mapping[str, float]) -> None:
    for word, value in vector.items():
        total[word] += value


class _ListPool:
    """One list's documents, judged against the profile of every list."""

    def __init__(self, profile: TopicProfile, docs: list[_Doc]) -> None:
        self.profile = profile
        self.docs = docs
        self.vectors = [profile.vector(doc) for doc in docs]
        self.topic_of = [profile.topic_of(doc) for doc in docs]
        self.words = profile.words
        self.surface = profile.surface
        self.sections: dict[int, dict[str, list[str]]] = {}  # list -> topic -> its sections, largest first
        counts = Counter((d.entry.list_id, t, d.entry.section) for d, t in zip(docs, self.topic_of, strict=True) if t)
        for (list_id, topic, section), _ in counts.most_common():
            self.sections.setdefault(list_id, {}).setdefault(topic, []).append(section)

    def _left_out(self, index: int, topic: str) -> tuple[int, Mapping[str, float]]:
        """How many documents of the judged paper the topic holds, and their vectors' sum."""
        doc, profile = self.docs[index], self.profile
        if profile.paper_docs[doc.paper] > 1:
            return profile.copies.get((topic, doc.paper), (0, {}))
        return (1, self.vectors[index]) if self.topic_of[index] == topic else (0, {})

    def similarity(self, index: int, topic: str) -> float | None:
        """Cosine to the topic's centroid without any copy of the judged paper; None when too few remain.

        Computed from the topic's running sum, so judging an entry costs its own length, not the pool's.
        """
        profile = self.profile
        count, left = self._left_out(index, topic)
        if profile.members.get(topic, 0) - count < TOPIC_MIN_PAPERS:
            return None
        vector, total = self.vectors[index], profile.sums[topic]
        dot = _cosine(vector, total) - _cosine(vector, left)
        norm = profile.norms[topic] - 2 * _cosine(left, total) + _cosine(left, left)
        return dot / math.sqrt(norm) if norm > 1e-12 else 0.0

    def evidence(self, index: int, topic: str) -> _Evidence:
        doc, words = self.docs[index], self.words[topic]
        title = words.found(doc.title, doc.title_words, doc.title_stems)
        return _Evidence(title, words.found(doc.body, doc.body_words, doc.body_stems))

    def other_papers_categories(self, index: int, topic: str) -> Counter[str]:
        """arXiv categories of the topic's papers in every list, the judged paper's copies left out."""
        count, _ = self._left_out(index, topic)
        counts = Counter(self.profile.categories.get(topic, Counter()))
        counts.subtract({category: count for category in self.docs[index].categories})
        return +counts


def topic_findings(
    entries: Iterable[EntryInput], papers: Mapping[str, PaperInfo], glossary: TopicGlossary
) -> Iterator[Finding]:
    """category_suspect by pooled topics for entries held in memory (every list at once)."""
    if not glossary.topics:
        return
    profile = TopicProfile(glossary)
    by_list: dict[int, list[_Doc]] = defaultdict(list)
    for doc in profile.documents_of(entries, papers):
        by_list[doc.entry.list_id].append(doc)
    for docs in by_list.values():
        profile.count(docs)
    for docs in by_list.values():
        profile.add(docs)
    for docs in by_list.values():
        yield from profile.judge(docs)


@dataclass(frozen=True)
class Pool:
    """Every listed paper placed in the pooled model at once, for readers that compare papers
    nobody listed yet with whole sections (`suggest`); category_suspect goes list by list."""

    docs: list[_Doc]
    vectors: list[dict[str, float]]
    topic_of: list[str | None]  # per doc: its section's topic, "" for a catch-all section
    members: dict[str, list[int]]  # topic -> its docs in every list
    words: dict[str, _TopicWords]
    surface: dict[str, str]
    model: TextModel  # the TF-IDF the vectors were made with, to place other papers among them


def pooled(entries: Iterable[EntryInput], papers: Mapping[str, PaperInfo], glossary: TopicGlossary) -> Pool:
    profile = TopicProfile(glossary)
    docs = profile.documents_of(entries, papers)
    profile.count(docs)
    model = profile.model
    vectors = [model.vector(_term_counts(doc, profile.surface)) for doc in docs]
    topic_of = [profile.topic_of(doc) for doc in docs]
    members: dict[str, list[int]] = defaultdict(list)
    for index, topic in enumerate(topic_of):
        if topic:
            members[topic].append(index)
    return Pool(docs, vectors, topic_of, dict(members), profile.words, profile.surface, model)


def _doc(entry: EntryInput, paper: PaperInfo | None) -> _Doc | None:
    title = (paper.title if paper else entry.noted_title or "").casefold()
    if not title.strip():
        return None
    notes = _URL.sub(" ", entry.raw).casefold()
    for written in (entry.noted_title, paper.title if paper else None):
        notes = notes.replace(written.casefold(), " ") if written else notes
    abstract = (paper.abstract if paper else "").casefold()
    body = abstract + "\n" + notes
    return _Doc(
        entry=entry,
        paper=entry.arxiv_id or re.sub(r"\W+", " ", title).strip(),
        title=title,
        body=body,
        title_words=tuple(_words(title)),
        body_words=tuple(_words(body)),
        title_stems=tuple(_stems(title)),
        body_stems=tuple(_stems(body)),
        categories=paper.categories if paper else (),
        has_abstract=bool(abstract.strip()),
    )


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.casefold())


def _stems(text: str) -> list[str]:
    return [_word_stem(word) for word in _words(text)]


def _term_counts(doc: _Doc, surface: dict[str, str]) -> Counter[str]:
    return paper_terms(doc.title + " " + doc.body, doc.categories, surface)


def paper_terms(text: str, categories: Iterable[str] = (), surface: dict[str, str] | None = None) -> Counter[str]:
    """The terms of the pooled model: stemmed words of the (casefolded) text, and arXiv categories.

    `surface` collects a word as written for each stem, for evidence people can read.
    """
    words = [w for w in re.findall(r"[a-z][a-z0-9]{2,}", text.casefold()) if w not in _ENGLISH_STOP]
    if surface is not None:
        for word in words:
            surface.setdefault(_word_stem(word), word)
    counts = Counter(_word_stem(word) for word in words)
    counts.update(_CATEGORY + category for category in categories)
    return counts


def is_category_term(term: str) -> bool:
    return term.startswith(_CATEGORY)


def _category_scale(term: str) -> float:
    return CATEGORY_WEIGHT if term.startswith(_CATEGORY) else 1.0


def _heading_topic(section: str, headings: Mapping[str, _TopicWords], catch_all: _TopicWords) -> str | None:
    """The one topic the deepest meaningful heading names; "" for a catch-all; None otherwise."""
    for part in reversed(section.split(" / ")):
        name = _NUMBERING.sub("", part).casefold()
        if not _LETTER.search(name):
            continue  # years and bare numbers ("2019") leave it to the heading above
        stems = tuple(_stems(name))
        words = tuple(_words(name))
        named = {topic for topic, glossary in headings.items() if glossary.found(name, words, stems)}
        if len(named) == 1:
            return named.pop()
        return "" if not named and catch_all.found(name, words, stems) else None
    return None


def _topic_verdict(pool: _ListPool, index: int, topic: str) -> Finding | None:
    doc = pool.docs[index]
    sections = pool.sections[doc.entry.list_id]
    evidence = {other: pool.evidence(index, other) for other in sections}
    if evidence[topic].fits():
        return None
    scores = {other: score for other in sections if (score := pool.similarity(index, other)) is not None}
    if topic not in scores:
        return None
    if scores[topic] >= TOPIC_FIT_SCORE:
        return None
    named = [o for o in scores if o != topic and evidence[o].fits() and scores[o] > scores[topic]]
    if named:
        best = max(named, key=lambda o: (len(evidence[o].title), len(evidence[o].body), scores[o]))
        return _better_topic(pool, index, topic, best, evidence[best], scores)
    if doc.has_abstract and not any(e.fits() for e in evidence.values()) and max(scores.values()) < TOPIC_FIT_SCORE:
        return _no_topic(pool, index, topic, scores)
    return None


def _better_topic(
    pool: _ListPool, index: int, topic: str, best: str, evidence: _Evidence, scores: Mapping[str, float]
) -> Finding:
    doc = pool.docs[index]
    section = _closest_section(pool, index, best)
    words = list(dict.fromkeys(evidence.title + evidence.body))
    return finding(
        doc.entry,
        "category_suspect",
        doc.entry.arxiv_id,
        noted=doc.entry.section,
        suggestion=section,
        arxiv_value=", ".join(words),
        source="arxiv" if doc.has_abstract or doc.categories else "list",
        detail=f"its text names {best} ({', '.join(words)}) and none of {topic}'s words; closer to the "
        f"{best} papers of every list ({scores[best]:.2f}) than to the {topic} ones ({scores[topic]:.2f})"
        + _categories_note(pool, index, topic),
    )


def _no_topic(pool: _ListPool, index: int, topic: str, scores: Mapping[str, float]) -> Finding:
    doc = pool.docs[index]
    closest = max(scores, key=lambda name: scores[name])
    about = _top_words(pool, index)
    catch_all = _catch_all_section(pool, doc.entry.list_id)
    return finding(
        doc.entry,
        "category_suspect",
        doc.entry.arxiv_id,
        noted=doc.entry.section,
        suggestion=catch_all or "a section of its own",
        arxiv_value=", ".join(about),
        source="arxiv",
        detail=f"fits none of the list's topics ({', '.join(sorted(scores))}): its title and abstract name none of "
        f"their words and are far from their papers in every list (closest: {closest} {scores[closest]:.2f}); "
        f"it is about: {', '.join(about)}" + _categories_note(pool, index, topic),
    )


def _closest_section(pool: _ListPool, index: int, topic: str) -> str:
    """Of the list's sections naming `topic`, the one whose papers are nearest the entry."""
    list_id = pool.docs[index].entry.list_id
    candidates = pool.sections[list_id][topic]
    if len(candidates) == 1:
        return candidates[0]

    def nearness(section: str) -> float:
        members = [
            pool.vectors[i]
            for i, doc in enumerate(pool.docs)
            if doc.entry.list_id == list_id and doc.entry.section == section and i != index
        ]
        return _cosine(pool.vectors[index], _centroid(members))

    return max(candidates, key=nearness)  # max keeps the first (largest) section on ties


def _catch_all_section(pool: _ListPool, list_id: int) -> str | None:
    """The list's biggest section for whatever fits nowhere else, if it has one."""
    sections = Counter(
        doc.entry.section
        for doc, topic in zip(pool.docs, pool.topic_of, strict=True)
        if topic == "" and doc.entry.list_id == list_id
    )
    return sections.most_common(1)[0][0] if sections else None


def _top_words(pool: _ListPool, index: int, limit: int = 5) -> list[str]:
    vector = {w: v for w, v in pool.vectors[index].items() if not w.startswith(_CATEGORY)}
    return [pool.surface.get(w, w) for w in sorted(vector, key=lambda w: (-vector[w], w))[:limit]]


def _categories_note(pool: _ListPool, index: int, topic: str) -> str:
    doc = pool.docs[index]
    if not doc.categories:
        return ""
    counts = pool.other_papers_categories(index, topic)
    if not counts:
        return ""
    shown = ", ".join(f"{name} {count}" for name, count in counts.most_common(4))
    return f"; arXiv categories {', '.join(doc.categories)}, the {topic} papers': {shown}"


# --- for other readers of the pooled model (suggest) ---------------------------------------


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    return _cosine(a, b)


def centroid(vectors: list[dict[str, float]]) -> dict[str, float]:
    return _centroid(vectors)


def shared_terms(a: dict[str, float], b: dict[str, float], limit: int = 5) -> list[str]:
    """The terms that weigh most in both vectors, heaviest first."""
    return _shared_words(a, b, limit)


def topic_words_in(pool: Pool, topic: str, text: str) -> list[str]:
    """The glossary words of `topic` that `text` names, as it writes them, each once."""
    words = pool.words.get(topic)
    if words is None:
        return []
    folded = text.casefold()
    return list(dict.fromkeys(words.found(folded, tuple(_words(folded)), tuple(_stems(folded)))))
