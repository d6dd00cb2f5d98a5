"""Noted title vs arXiv's: typos, earlier versions' titles, translations, unrelated titles."""

from __future__ import annotations

import difflib
import itertools
import re
import unicodedata
from collections import Counter
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
# From this many words on, one word more or fewer leaves most of a title: a slip, not another paper.
LONG_TITLE_WORDS = 5
# A Han, kana or Hangul character stands for a syllable or a word: about three Latin letters.
SYLLABIC_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL")
SYLLABLE_WEIGHT = 3
# What may sit between a title's two languages: stripped from the edges of the part compared.
SEPARATORS = " \t:：;；,，、|/-–—"


def title_findings(entry: EntryInput, paper: PaperInfo) -> Iterator[Finding]:
    noted = entry.noted_title
    if not noted or titles_equal(noted, paper.title) or _is_short_name(noted, paper):
        return
    without_year = _TRAILING_YEAR.sub("", noted)
    if without_year != noted and titles_equal(without_year, paper.title):
        return  # "Title (2019)": the year is a date note beside the title
    compared = _comparable_part(noted, paper)
    if compared is None:
        return  # a translation: the curator chose another language; the ID is checked by other means
    if compared != noted and _names_paper(compared, paper):
        return
    line = _title_line(entry)

    def written(title: str) -> str:
        """`title` in place of the part compared: a translation beside it stays."""
        return noted.replace(compared, title, 1)

    # A note that is exactly an earlier version's title is outdated, however close it
    # also is to the current one (a renamed version often adds or drops one word).
    fixed = None if _earlier_version_named(compared, paper, exact=True) else _typo_target(compared, paper)
    if fixed is not None:
        yield finding(
            entry,
            "title_typo",
            paper.arxiv_id,
            noted=noted,
            arxiv_value=paper.title,
            suggestion=written(fixed),
            line=line,
            detail=_typo_detail(compared, fixed),
        )
        return
    earlier = _earlier_version_named(compared, paper)
    if earlier is not None:
        yield finding(
            entry,
            "title_outdated",
            paper.arxiv_id,
            noted=noted,
            arxiv_value=paper.title,
            suggestion=written(paper.title),
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
        detail=f"no version of {paper.arxiv_id} has this title (closest: {_closest(compared, paper)}); "
        "the arXiv ID is probably wrong",
    )


def _title_line(entry: EntryInput) -> int:
    for link in entry.links:
        if link.role == "title":
            return link.line
    return line_of(entry, entry.noted_title)


def _typo_target(noted: str, paper: PaperInfo) -> str | None:
    """What `noted` is a slipped spelling of: arXiv's title, or the name before its colon."""
    if is_title_typo(noted, paper.title):
        return paper.title
    short = _short_name(paper.title)
    return short if short and is_title_typo(noted, short) else None


def _earlier_version_named(noted: str, paper: PaperInfo, exact: bool = False) -> VersionInfo | None:
    """The earlier version whose title the note is (or, unless `exact`, is with slips)."""
    for version in sorted(paper.versions, key=lambda v: v.version):
        if titles_equal(version.title, paper.title):
            continue
        if titles_equal(noted, version.title) or (not exact and is_title_typo(noted, version.title)):
            return version
    return None


def _closest(noted: str, paper: PaperInfo) -> str:
    """The version whose title is most like `noted`, for the mismatch's detail."""
    if not paper.versions:
        return f"{title_similarity(noted, paper.title):.0%} alike"
    best = max(paper.versions, key=lambda v: (title_similarity(noted, v.title), v.version))
    return f"v{best.version}, {title_similarity(noted, best.title):.0%} alike"


def _short_name(title: str) -> str | None:
    return title.split(":", 1)[0].strip() if ":" in title else None


def _titles_of(paper: PaperInfo) -> list[str]:
    return [paper.title] + [v.title for v in paper.versions]


def _is_short_name(noted: str, paper: PaperInfo) -> bool:
    """Curators often write only the name before the colon: `Deep Compression`."""
    return any(titles_equal(noted, short) for short in map(_short_name, _titles_of(paper)) if short)


def _names_paper(part: str, paper: PaperInfo) -> bool:
    """The words of `part` are those of arXiv's title or a short name (its punctuation may be cut)."""
    words = _tokens(part)
    names = [paper.title] + [s for s in map(_short_name, _titles_of(paper)) if s]
    return bool(words) and any(words == _tokens(name) for name in names)


# --- scripts: a title written in another language -------------------------------------


def _comparable_part(noted: str, paper: PaperInfo) -> str | None:
    """What of `noted` to compare with arXiv's titles; None when it is a translation.

    Letters in a script arXiv's title does not use mark a translation beside or instead
    of the title. When the part in arXiv's script is close to one of the paper's titles,
    that part is compared; otherwise a title mostly in the other script is a translation,
    and one mostly in arXiv's script is compared as written.
    """
    own = {script for script, _ in _letter_runs(paper.title)}
    foreign = {script for script, _ in _letter_runs(noted)} - own
    if not foreign:
        return noted
    part = _longest_part_without(noted, foreign)
    if part and _is_close(part, paper):
        return part
    return None if _main_script(noted) in foreign else noted


def _is_close(part: str, paper: PaperInfo) -> bool:
    return (
        _names_paper(part, paper)
        or _typo_target(part, paper) is not None
        or _earlier_version_named(part, paper) is not None
    )


def _script(char: str) -> str | None:
    """The script of a letter as Unicode names it (LATIN, CYRILLIC, ...); CJK for Han, kana, Hangul."""
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "UNKNOWN")
    return "CJK" if name.startswith(SYLLABIC_SCRIPTS) else name.split(" ", 1)[0]


def _letter_runs(title: str) -> Iterator[tuple[str, str]]:
    """Maximal runs of letters of one script, in order."""
    for script, run in itertools.groupby(_clean(title), key=_script):
        if script is not None:
            yield script, "".join(run)


def _is_embedded_name(run: str) -> bool:
    # GAN, DoPaNet, YOLOv: a capital after the first letter names a model, not the language.
    return any(char.isupper() for char in run[1:])


def _main_script(title: str) -> str | None:
    """The script most of the title's words are written in; names and acronyms count only when alone."""
    runs = list(_letter_runs(title))
    words = [r for r in runs if not _is_embedded_name(r[1])] or runs
    weight: Counter[str] = Counter()
    for script, run in words:
        weight[script] += len(run) * (SYLLABLE_WEIGHT if script == "CJK" else 1)
    return weight.most_common(1)[0][0] if weight else None


def _longest_part_without(noted: str, foreign: set[str]) -> str:
    """The longest stretch of `noted` with no letter of a `foreign` script, separators stripped."""
    parts = [
        "".join(chars).strip(SEPARATORS)
        for is_foreign, chars in itertools.groupby(noted, key=lambda c: _script((_clean(c) or c)[0]) in foreign)
        if not is_foreign
    ]
    parts = [_strip_brackets(p) for p in parts]
    return max(parts, key=lambda p: sum(c.isalpha() for c in p), default="")


_TRAILING_YEAR = re.compile(r"\s*[(\[（【]\s*(?:19|20)\d\d\s*[)\]）】]\s*$")


def _strip_brackets(part: str) -> str:
    """Drop an opening bracket left at the end or a closing one at the start: `Title（` -> `Title`."""
    while part and unicodedata.category(part[-1]) == "Ps":
        part = part[:-1].rstrip(SEPARATORS)
    while part and unicodedata.category(part[0]) == "Pe":
        part = part[1:].lstrip(SEPARATORS)
    return part


# --- slips ------------------------------------------------------------------------------


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
    """True when `noted` is `arxiv_title` with small slips: letters, swapped letters, plurals,
    punctuation, case, a stopword, or in a long title one word more or fewer.

    A changed word that is short, an acronym or has digits (CNN vs RNN, v2 vs v3) is
    content, not a slip: such titles name a different paper.
    """
    if titles_equal(noted, arxiv_title):
        return False
    a, b = _tokens(noted), _tokens(arxiv_title)
    if not a or not b:
        return False
    may_drop_a_word = min(len(a), len(b)) >= LONG_TITLE_WORDS
    slips = dropped = changed = 0
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        old, new = a[i1:i2], b[j1:j2]
        changed += 1
        if may_drop_a_word and _is_one_content_word(op, old or new):
            dropped += 1
            slips += 1
            continue
        cost = _slip_cost(op, old, new)
        if cost is None:
            return False
        slips += cost
    return dropped <= 1 and slips <= 3 and (changed <= 1 or matcher.ratio() >= 0.6)


def _is_one_content_word(op: str, words: list[str]) -> bool:
    return (
        op in ("insert", "delete")
        and len(words) == 1
        and words[0] not in STOPWORDS
        and not any(ch.isdigit() for ch in words[0])
    )


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
    if any(ch.isdigit() for ch in old + new):
        return None
    if min(len(old), len(new)) >= 4 and _swapped_neighbours(old, new):  # "Form" for "From"
        return 1
    if min(len(old), len(new)) < 5:
        return None
    distance = edit_distance(old, new)
    return distance if distance <= max(1, min(len(old), len(new)) // 4) else None


def _swapped_neighbours(a: str, b: str) -> bool:
    """`a` is `b` with two adjacent letters swapped, nothing else."""
    if len(a) != len(b):
        return False
    differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and a[differ[0]] == b[differ[1]]
        and a[differ[1]] == b[differ[0]]
    )


def edit_distance(a: str, b: str) -> int:
    """Edits turning `a` into `b`: a letter inserted, deleted, replaced, or two neighbours swapped.

    A swap is one slip of the fingers, so it costs one (optimal string alignment distance).
    """
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb and ca != cb:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        before, previous = previous, current
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
