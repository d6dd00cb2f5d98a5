"""Noted title vs arXiv's: typos, earlier versions' titles, unrelated titles."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterator

from .model import (
    EntryInput,
    Finding,
    PaperInfo,
    VersionInfo,
    finding,
    line_of,
)

# --- titles --------------------------------------------------------------------------

STOPWORDS = frozenset(
    "a an the of for and or in on to with via by from at is are as its we our this that be using into than not".split()
)


def title_findings(entry: EntryInput, paper: PaperInfo) -> Iterator[Finding]:
    noted = entry.noted_title
    if not noted or titles_equal(noted, paper.title) or _is_short_name(noted, paper):
        return
    line = _title_line(entry)
    if is_title_typo(noted, paper.title):
        yield finding(
            entry,
            "title_typo",
            paper.arxiv_id,
            noted=noted,
            arxiv_value=paper.title,
            suggestion=paper.title,
            line=line,
            detail=_typo_detail(noted, paper.title),
        )
        return
    earlier = _earlier_version_named(noted, paper)
    if earlier is not None:
        yield finding(
            entry,
            "title_outdated",
            paper.arxiv_id,
            noted=noted,
            arxiv_value=paper.title,
            suggestion=paper.title,
            line=line,
            detail=f"the noted title is v{earlier.version}'s ({earlier.submitted:%Y-%m-%d}); "
            f"the paper is now called {paper.title!r}",
        )
        return
    yield finding(
        entry,
        "title_mismatch",
        paper.arxiv_id,
        noted=noted,
        arxiv_value=paper.title,
        line=line,
        detail=f"no version of {paper.arxiv_id} has this title (closest: "
        f"{title_similarity(noted, paper.title):.0%} alike); the arXiv ID is probably wrong",
    )


def _title_line(entry: EntryInput) -> int:
    for link in entry.links:
        if link.role == "title":
            return link.line
    return line_of(entry, entry.noted_title)


def _earlier_version_named(noted: str, paper: PaperInfo) -> VersionInfo | None:
    for version in sorted(paper.versions, key=lambda v: v.version):
        if titles_equal(version.title, paper.title):
            continue
        if titles_equal(noted, version.title) or is_title_typo(noted, version.title):
            return version
    return None


def _is_short_name(noted: str, paper: PaperInfo) -> bool:
    """Curators often write only the name before the colon: `Deep Compression`."""
    titles = [paper.title] + [v.title for v in paper.versions]
    return any(":" in t and titles_equal(noted, t.split(":", 1)[0]) for t in titles)


def _clean(title: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", title).split())


def titles_equal(a: str, b: str) -> bool:
    return _clean(a) == _clean(b)


def _tokens(title: str) -> list[str]:
    return [_stem(t) for t in re.findall(r"[^\W_]+", _clean(title).casefold())]


def _stem(token: str) -> str:
    # Plural slips only: "Network" vs "Networks", "Approximation" vs "Approximations".
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def is_title_typo(noted: str, arxiv_title: str) -> bool:
    """True when `noted` is `arxiv_title` with small slips: letters, plurals, punctuation, case.

    A changed word that is short, an acronym or has digits (CNN vs RNN, v2 vs v3) is
    content, not a slip: such titles name a different paper.
    """
    if titles_equal(noted, arxiv_title):
        return False
    a, b = _tokens(noted), _tokens(arxiv_title)
    if not a or not b:
        return False
    slips = 0
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        cost = _slip_cost(op, a[i1:i2], b[j1:j2])
        if cost is None:
            return False
        slips += cost
    return slips <= 3 and matcher.ratio() >= 0.6


def _slip_cost(op: str, old: list[str], new: list[str]) -> int | None:
    """How many slips turn `old` into `new`; None when the change is not a slip."""
    if "".join(old) == "".join(new):  # "auto sampling" vs "autosampling"
        return 1
    if op in ("insert", "delete"):
        words = old or new
        return len(words) if len(words) == 1 and words[0] in STOPWORDS else None
    if len(old) != len(new):
        return None
    costs = [_word_slip(x, y) for x, y in zip(old, new, strict=True)]
    return None if None in costs else sum(c for c in costs if c is not None)


def _word_slip(old: str, new: str) -> int | None:
    if min(len(old), len(new)) < 5 or any(ch.isdigit() for ch in old + new):
        return None
    distance = edit_distance(old, new)
    return distance if distance <= max(1, min(len(old), len(new)) // 4) else None


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def title_similarity(a: str, b: str) -> float:
    """Normalized edit similarity of the cleaned, case-folded titles (1.0 = same)."""
    x, y = _clean(a).casefold(), _clean(b).casefold()
    return 1.0 - edit_distance(x, y) / max(len(x), len(y), 1)


def _typo_detail(noted: str, arxiv_title: str) -> str:
    a, b = _clean(noted).split(), _clean(arxiv_title).split()
    changes = [
        f"{' '.join(a[i1:i2]) or '(nothing)'!r} -> {' '.join(b[j1:j2]) or '(nothing)'!r}"
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b).get_opcodes()
        if op != "equal"
    ]
    return "small slips in the title: " + "; ".join(changes)
