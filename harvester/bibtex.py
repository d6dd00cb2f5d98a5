"""The listed papers as BibTeX, written the way a reference manager writes it.

- Citation keys (`han2015deep`: first author's family name, v1 year, first
  significant title word) are pinned in `citation_keys` the first time a paper is
  exported and never change after that: not when the list changes, not when
  arXiv's title does. A key's base that is already taken gets a, b, ..., z, aa,
  ... (`clash_suffix`); papers first exported together that share a base all get
  a suffix, in arXiv ID order.
- Names are folded to ASCII (NFKD, then anything left outside ASCII dropped). A
  first author whose name keeps no ASCII letter (a CJK name; pinyin is not
  guessed) gives way to the title: its first significant word, the year, the next.
- Titles stay as arXiv has them, TeX included: only `&`, `%` and `#` outside math
  are escaped, `$...$` and commands (`\\ell_1`) pass verbatim, and a word whose
  capitals matter (`ImageNet`, `BERT`, `GANs`) is wrapped in braces so that a
  bibliography style cannot lowercase it. arXiv's comment ("10 pages") is no note.
- `published` style writes the published version when a source names it
  (`published.py`): `@inproceedings` with `booktitle`, `@article` with `journal`;
  otherwise, and always in `arxiv` style, `@misc` with `eprint`, `archivePrefix`
  and `primaryClass`.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from functools import lru_cache
from itertools import count
from typing import Any

from sqlite_utils import Database, Migrations

from .ids import abs_url
from .published import Enriched, read_enrichment
from .schema import rebuild_table, register_migrations
from .timeutil import iso, utc_now

migrations = register_migrations(Migrations("citation_keys"))


@migrations(name="0001_citation_keys")
def _citation_keys_table(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE citation_keys (
            arxiv_id TEXT PRIMARY KEY,
            citation_key TEXT NOT NULL UNIQUE,  -- as the BibTeX export writes it, forever
            base TEXT NOT NULL,                 -- the key before its clash suffix
            pinned_at TEXT NOT NULL             -- the export that first wrote it
        );
        """
    )


@migrations(name="0002_keyed")
def _citation_keys_keyed(db: Database) -> None:
    # Stored as its key (WITHOUT ROWID): as a rowid table it kept every arXiv ID a second
    # time in an index of its own (2 MB at 100,000 papers, benchmarks/scale).
    shape = """(
            arxiv_id TEXT PRIMARY KEY,
            citation_key TEXT NOT NULL UNIQUE,  -- as the BibTeX export writes it, forever
            base TEXT NOT NULL,                 -- the key before its clash suffix
            pinned_at TEXT NOT NULL             -- the export that first wrote it
        ) WITHOUT ROWID"""
    rebuild_table(db, "citation_keys", shape, ("arxiv_id", "citation_key", "base", "pinned_at"))


_LISTED_IDS_SQL = "SELECT arxiv_id FROM entries WHERE removed_at IS NULL AND arxiv_id IS NOT NULL"
# The stored papers, oldest first; PAPERS_SQL keeps those of the lists' entries: papers are
# scanned and tested against the listed IDs (the `+` keeps SQLite from looking each listed ID up
# in papers' key index and then in the table: twice the time at 100,000 papers).
_PAPERS_SQL = """
SELECT p.arxiv_id, p.title, p.published, p.primary_category, p.comment, p.journal_ref, p.doi, (
  SELECT json_group_array(a.name) FROM (
    SELECT au.name FROM paper_authors pa JOIN authors au ON au.id = pa.author_id
    WHERE pa.arxiv_id = p.arxiv_id ORDER BY pa.position) a
) AS author_names
FROM papers p {where}
ORDER BY p.published, p.arxiv_id
"""
PAPERS_SQL = _PAPERS_SQL.format(where=f"WHERE +p.arxiv_id IN ({_LISTED_IDS_SQL}) {{unpinned}}")


# Whether a listed paper has no key yet: the IDs without a key first (one pass over the keys),
# then whether the paper is stored (a lookup for those few alone).
_ANY_UNPINNED_SQL = """
SELECT 1 FROM entries e
WHERE e.removed_at IS NULL AND e.arxiv_id IS NOT NULL AND e.arxiv_id NOT IN (SELECT arxiv_id FROM citation_keys)
  AND EXISTS (SELECT 1 FROM papers p WHERE p.arxiv_id = e.arxiv_id)
LIMIT 1
"""


# --- reading and pinning ----------------------------------------------------------------


def listed_papers(connection: sqlite3.Connection, unpinned_only: bool = False) -> list[dict[str, Any]]:
    """The papers of the lists' entries, oldest first; with `unpinned_only`, those without a pinned key."""
    unpinned = "AND p.arxiv_id NOT IN (SELECT arxiv_id FROM citation_keys)" if unpinned_only else ""
    cursor = connection.execute(PAPERS_SQL.format(unpinned=unpinned))
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def pinned_keys(connection: sqlite3.Connection) -> tuple[dict[str, str], set[str]]:
    """arXiv ID -> its pinned key, and the bases in use; nothing in a database no BibTeX export wrote to."""
    exists = connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'citation_keys'")
    if not exists.fetchone():
        return {}, set()
    rows = connection.execute("SELECT arxiv_id, citation_key, base FROM citation_keys").fetchall()
    return {arxiv_id: key for arxiv_id, key, _ in rows}, {base for _, _, base in rows}


def pin_citation_keys(db: Database) -> int:
    """Give every listed paper without a key its key, for good; how many were new."""
    with db.atomic():  # under the write lock, so two exports cannot hand out one key twice
        if db.conn.execute(_ANY_UNPINNED_SQL).fetchone() is None:
            return 0  # every listed paper has its key: the usual case, found without reading the keys
        pinned, bases = pinned_keys(db.conn)
        # Only the papers without a key are read: once every listed paper has one, none is.
        papers = listed_papers(db.conn, unpinned_only=True)
        keys = bibtex_keys(papers, pinned, bases)
        stamp = iso(utc_now())
        new = [(p["arxiv_id"], keys[p["arxiv_id"]], key_base(p), stamp) for p in papers]
        db.conn.executemany(
            "INSERT INTO citation_keys (arxiv_id, citation_key, base, pinned_at) VALUES (?, ?, ?, ?)", new
        )
    return len(new)


def export_bibtex(connection: sqlite3.Connection, published: bool = True) -> str:
    """The listed papers as a .bib file; keys are the pinned ones (fresh ones where none is pinned yet).

    Writes what `render_bibtex` writes: most records through one template (`misc_records`).
    """
    # PAPERS_SQL's rows, the listed IDs tested in Python: a set built once is 0.04 s
    # cheaper than SQLite's at 100,000 papers (each unlisted paper's authors are read for nothing).
    listed = {arxiv_id for (arxiv_id,) in connection.execute(_LISTED_IDS_SQL)}
    cursor = connection.execute(_PAPERS_SQL.format(where=""))
    columns = [d[0] for d in cursor.description]
    papers = [row for row in cursor.fetchall() if row[0] in listed]
    keys = _pinned(connection)
    records = misc_records(papers, keys, published, _enriched_ids(connection) if published else set())
    others = {
        index: dict(zip(columns, papers[index], strict=True)) for index, record in enumerate(records) if not record
    }
    # The template leaves out every paper without a pinned key: its fresh key is decided here.
    fresh = [paper for paper in others.values() if paper["arxiv_id"] not in keys]
    if fresh:
        keys |= bibtex_keys(fresh, *pinned_keys(connection))
    enrichment = read_enrichment(connection, list(others.values()))
    for index, paper in others.items():
        arxiv_id = paper["arxiv_id"]
        records[index] = bibtex_record(paper, keys[arxiv_id], enrichment.get(arxiv_id, Enriched()), published)
    return "\n".join(records)


def _pinned(connection: sqlite3.Connection) -> dict[str, str]:
    try:
        return dict(connection.execute("SELECT arxiv_id, citation_key FROM citation_keys"))
    except sqlite3.OperationalError:  # a database no BibTeX export wrote to
        return {}


def _enriched_ids(connection: sqlite3.Connection) -> set[str]:
    """The papers with a stored `found` answer; none in a database no enrich step has shaped yet."""
    try:
        return {
            row[0] for row in connection.execute("SELECT DISTINCT arxiv_id FROM enrichments WHERE status = 'found'")
        }
    except sqlite3.OperationalError:
        return set()


# --- keys -----------------------------------------------------------------------------------

_STOPWORDS = {"a", "an", "the", "on", "of", "for", "in", "and", "to", "with", "via", "towards", "is"}
_NAME_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
# Letters NFKD leaves whole, spelled as reference managers spell them.
_FOLDS = str.maketrans({"ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "æ": "ae", "Æ": "AE", "œ": "oe"})
_FOLDS.update(str.maketrans({"Œ": "OE", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ı": "i"}))
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$]*\$")
_TEX_COMMAND = re.compile(r"\\(?:[A-Za-z]+|[^A-Za-z])")


def bibtex_keys(
    papers: Sequence[dict[str, Any]], pinned: Mapping[str, str] | None = None, pinned_bases: Collection[str] = ()
) -> dict[str, str]:
    """arXiv ID -> key: the pinned one, else the base, else the base with the first free clash suffix.

    A base some pinned key was made from is in use even when its bare form is free
    (`wei2021deepa` pinned, its twin gone): a newcomer continues its suffixes.
    """
    pinned = pinned or {}
    keys = {p["arxiv_id"]: pinned[p["arxiv_id"]] for p in papers if p["arxiv_id"] in pinned}
    taken = set(pinned.values())
    by_base: dict[str, list[str]] = defaultdict(list)
    for paper in sorted(papers, key=lambda p: str(p["arxiv_id"])):
        if paper["arxiv_id"] not in keys:
            by_base[key_base(paper)].append(paper["arxiv_id"])
    for base, ids in by_base.items():
        if len(ids) == 1 and base not in taken and base not in pinned_bases:
            keys[ids[0]] = base
            taken.add(base)
            continue
        free = (base + clash_suffix(i) for i in count() if base + clash_suffix(i) not in taken)
        for arxiv_id, key in zip(ids, free, strict=False):
            keys[arxiv_id] = key
            taken.add(key)
    return keys


def clash_suffix(index: int) -> str:
    """a, b, ..., z, then aa, ab, ... (as reference managers do): always letters, never past `z`."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def key_base(paper: dict[str, Any]) -> str:
    authors = json.loads(paper.get("author_names") or "[]")
    family = family_name(authors[0]) if authors else ""
    year = str(paper["published"])[:4]
    words = title_words(paper["title"])
    if family:
        return f"{family}{year}{words[0] if words else 'paper'}"
    if words:  # no ASCII letter in the name: the title stands in for it
        return f"{words[0]}{year}{words[1] if len(words) > 1 else ''}"
    return f"anon{year}paper"


def family_name(name: str) -> str:
    """The last part of a name that folds to ASCII letters: `Bodo Rückauer` -> `ruckauer`; `` for `张伟`."""
    name = re.sub(r"\([^)]*\)", " ", name)  # "Wei Zhang (张伟)": the bracketed form is a second spelling
    parts = [p for p in name.replace(",", " ").split() if p.strip(".").lower() not in _NAME_SUFFIXES]
    return next((w for w in map(ascii_word, reversed(parts)) if re.search("[a-z]", w)), "")


def title_words(title: str) -> list[str]:
    """The title's significant words, folded; math and TeX commands are no words."""
    text = _TEX_COMMAND.sub("", _MATH.sub(" ", title))
    words = (ascii_word(w) for w in re.split(r"[\s:\-–—,/]+", text))
    return [w for w in words if w and w not in _STOPWORDS]


def ascii_word(word: str) -> str:
    folded = unicodedata.normalize("NFKD", word.translate(_FOLDS)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


# --- TeX text -------------------------------------------------------------------------------

_COMMAND = re.compile(r"\\(?:[A-Za-z]+\*?|[^A-Za-z\s])")  # \ell, \&, \"
_WORD = re.compile(r"[^\W_]+")
# BibTeX readers disagree on whether `\{` counts as a brace and whether `\\}` ends a
# field, so no backslash is ever written before a brace: these are spelled otherwise.
_TEXT_ESCAPES = {"\\{": r"\textbraceleft{}", "\\}": r"\textbraceright{}", "\\\\": " "}
_MATH_ESCAPES = {"\\{": r"\lbrace ", "\\}": r"\rbrace ", "\\\\": " "}
_MATH_ESCAPE = re.compile(r"\\[{}\\]")


def tex_title(text: str) -> str:
    """arXiv's title for a `title` field: as written, with capitals that matter protected."""
    return " ".join(_tex(text, protect=True).split())  # spaces are one space to TeX, and none at the ends


def tex_text(text: str) -> str:
    """Any other text (names, venues) for a field: `&`, `%`, `#` escaped, braces kept balanced."""
    return " ".join(_tex(text, protect=False).split())


_TEX_MARKUP = re.compile(r"[$\\{}]")


def _tex(text: str, protect: bool) -> str:
    if _TEX_MARKUP.search(text) is None:
        return _plain(text, protect)  # no math, command or group: _tex_parts would yield it as one plain run
    return "".join(_tex_parts(text, protect))


def _tex_parts(text: str, protect: bool) -> Iterator[str]:
    plain: list[str] = []
    i = 0
    while i < len(text):
        ch, verbatim, end = text[i], None, i + 1
        if ch == "$":
            math_end = _closing(text, i)
            math = _MATH_ESCAPE.sub(lambda m: _MATH_ESCAPES[m.group()], text[i:math_end]) if math_end else ""
            verbatim, end = (math, math_end) if math_end and _balanced(math) else (r"\$", i + 1)
        elif ch == "\\":
            command = _COMMAND.match(text, i)
            word = command.group() if command else "\\"
            # A backslash before a space is TeX's control space: a space it stays.
            lone = "" if text[i + 1 : i + 2].isspace() else r"\textbackslash{}"
            verbatim = _TEXT_ESCAPES.get(word, word) if command else lone
            end = i + len(word)
        elif ch == "{":
            group_end = _group_end(text, i)
            # An unmatched brace would swallow the rest of the file: it is dropped.
            verbatim = "{" + _tex(text[i + 1 : group_end - 1], protect=False) + "}" if group_end else ""
            end = group_end or i + 1
        elif ch == "}":
            verbatim = ""
        if verbatim is None:
            plain.append(ch)
        else:
            if plain:
                yield _plain("".join(plain), protect)
                plain.clear()
            yield verbatim
        i = end
    if plain:
        yield _plain("".join(plain), protect)


def _closing(text: str, start: int) -> int | None:
    """The end of the math that opens at `start` (`$...$` or `$$...$$`); None for a lone dollar."""
    fence = "$$" if text.startswith("$$", start) else "$"
    close = text.find(fence, start + len(fence) + 1)
    while close != -1 and text[close - 1] == "\\":
        close = text.find(fence, close + 1)
    return None if close == -1 else close + len(fence)


def _group_end(text: str, start: int) -> int | None:
    depth = 0
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return index + 1
    return None


def _balanced(text: str) -> bool:
    # BibTeX counts every brace, escaped or not, to find where a field ends.
    depth = 0
    for ch in text:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


_TEX_SPECIAL = re.compile(r"[&%#]")


# In ASCII text a word is a run of [A-Za-z0-9] and a capital is [A-Z]: a word with a capital
# after its first character, found by one pattern instead of a call per word.
_ASCII_SPELLED = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9][A-Za-z0-9]*?[A-Z][A-Za-z0-9]*")


def _plain(text: str, protect: bool) -> str:
    escaped = _TEX_SPECIAL.sub(r"\\\g<0>", text) if "&" in text or "%" in text or "#" in text else text
    if not protect:
        return escaped
    if escaped.isascii():
        return _ASCII_SPELLED.sub(r"{\g<0>}", escaped)
    return _WORD.sub(_protected, escaped)


def _protected(word: re.Match[str]) -> str:
    text = word.group()
    return "{" + text + "}" if _capitals_matter(text) else text


def _capitals_matter(word: str) -> bool:
    """`BERT`, `ImageNet`, `GANs`, `3D`: a capital after the first letter means the word is spelled so."""
    return any(map(str.isupper, word[1:]))


# --- records --------------------------------------------------------------------------------


def render_bibtex(
    papers: Sequence[dict[str, Any]], keys: Mapping[str, str], enrichment: Mapping[str, Enriched], published: bool
) -> str:
    return "\n".join(
        bibtex_record(paper, keys[paper["arxiv_id"]], enrichment.get(paper["arxiv_id"], Enriched()), published)
        for paper in papers
    )


def bibtex_record(paper: dict[str, Any], key: str, enriched: Enriched, published: bool) -> str:
    authors = json.loads(paper.get("author_names") or "[]")
    arxiv_id = paper["arxiv_id"]
    version = enriched.published if published else None
    names = [field for field in map(_author_field, authors) if field]
    head = [("title", tex_title(paper["title"])), ("author", " and ".join(names))]
    preprint = [
        ("eprint", arxiv_id),
        ("archivePrefix", "arXiv"),
        ("primaryClass", paper.get("primary_category")),
    ]
    if version is None:
        kind = "misc"
        fields = [
            *head,
            ("year", str(paper["published"])[:4]),
            ("month", str(int(str(paper["published"])[5:7]))),
            *preprint,
            ("url", abs_url(arxiv_id)),
            # The published version's DOI, when a source knows it but not where it appeared.
            ("doi", _plain_value(enriched.doi) if published else None),
        ]
    else:
        kind = version.kind
        fields = [
            *head,
            ("booktitle" if kind == "inproceedings" else "journal", tex_text(version.venue)),
            ("year", str(version.year or str(paper["published"])[:4])),
            ("volume", tex_text(version.volume) if version.volume and kind == "article" else None),
            ("pages", _pages(version.pages)),
            ("doi", _plain_value(version.doi)),
            ("url", abs_url(arxiv_id)),
            *preprint,
        ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@{kind}{{{key},\n{body}\n}}\n"


# The record of a paper with nothing published, written through one template when its title
# needs at most braces around capitals and its authors' names come as plain JSON: what
# `bibtex_record` writes for it (tests/test_export_fast_paths.py holds the two to the same text on hostile
# values), at a fraction of the cost: at 100,000 papers, building each record's fields cost more
# than reading them.
# A title tex_title leaves as it is but for braces: printable ASCII without TeX's specials, one
# space between words (the loop tests the spaces), none at the ends.
_TITLE_CHANGED = re.compile(r"[^ -\"'-\[\]-z|~]")
# A capital after a letter or digit: found from the capitals (the lookbehind runs only at them,
# twice as fast as testing every letter for a capital after it).
_INNER_CAPITAL = re.compile("[A-Z](?<=[A-Za-z0-9][A-Z])")
_MONTHS = {f"{month:02}": str(month) for month in range(1, 13)}


def misc_records(
    papers: Sequence[Sequence[Any]], keys: Mapping[str, str], published: bool, enriched: Collection[str]
) -> list[str]:
    """Each paper's (PAPERS_SQL's rows) @misc record, or "" for one the template cannot write.

    That is one without a key in `keys`, one with a journal reference or a stored answer
    (`published` style: the published version may be known), or one whose title, authors or
    date take more than the template does.
    """
    records: list[str] = []
    append = records.append
    changed, inner_capital, spelled, author_field = (
        _TITLE_CHANGED.search,
        _INNER_CAPITAL.search,
        _ASCII_SPELLED.sub,
        _author_field,
    )
    prefix, months = abs_url(""), _MONTHS
    for arxiv_id, title, published_at, category, _, journal_ref, doi, author_names in papers:
        month, key = months.get(published_at[5:7]), keys.get(arxiv_id)
        if (
            not (title and category and month and key)
            or (published and (journal_ref or arxiv_id in enriched))
            or changed(title)
            or "  " in title
            or title[0] == " "
            or title[-1] == " "
            or "\\" in author_names  # else the JSON array holds no quote or escape: `","` only separates names
        ):
            append("")
            continue
        if inner_capital(title):
            title = spelled(r"{\g<0>}", title)
        authors = " and ".join(filter(None, map(author_field, author_names[2:-2].split('","'))))
        doi_field = f",\n  doi = {{{value}}}" if published and doi and (value := _plain_value(doi)) else ""
        append(
            f"@misc{{{key},\n  title = {{{title}}},\n  author = {{{authors}}},\n"
            f"  year = {{{published_at[:4]}}},\n  month = {{{month}}},\n  eprint = {{{arxiv_id}}},\n"
            f"  archivePrefix = {{arXiv}},\n  primaryClass = {{{category}}},\n  url = {{{prefix}{arxiv_id}}}{doi_field}\n}}\n"
            if authors
            else ""
        )
    return records


def bibtex_name(name: str) -> str:
    """One author for the `author` field; a comma or a lone "and" would make BibTeX read the name otherwise."""
    return _name_field(tex_text(name))


@lru_cache(maxsize=4096)
def _author_field(name: str) -> str:
    """bibtex_name's, or "" for a name that leaves nothing; cached: authors recur across a list's papers."""
    text = tex_text(name)
    return _name_field(text) if text else ""


_READ_AS_SEVERAL = re.compile(r",|\band\b", re.IGNORECASE)


def _name_field(text: str) -> str:
    # `text` is tex_text's: no space at either end
    return "{" + text + "}" if _READ_AS_SEVERAL.search(text) else text


def _pages(pages: str | None) -> str | None:
    return re.sub(r"(?<=\d)\s*[-–—]+\s*(?=\d)", "--", tex_text(pages)) if pages else None


def _plain_value(value: str | None) -> str | None:
    """A DOI as a field's content: no whitespace, no brace that could end the field."""
    return re.sub(r"[\s{}]", "", value) or None if value else None
