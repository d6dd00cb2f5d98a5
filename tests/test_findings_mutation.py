"""Findings on every real list: silent when arXiv agrees with the notes, exact when slips are planted.

The five lists (the seed and tests/fixtures/reading-lists/) go through the real
pipeline: `import`, `fetch` against the arXiv stand-in, `reconcile`. The stand-in
serves, for every listed arXiv ID, metadata built from the entries' own notes:
the noted title, a v1 submitted on the noted date (at its precision), the noted
venues as arXiv's comment. A report on such data may only name what is wrong
whatever arXiv says: retired mirror links, the same paper twice in one list,
an entry whose own links name two papers, and notes that contradict each other
for one paper. Each of those is computed here from the imported entries and the
markdown, independently of the reconciler.

Then 60 slips are planted (seeded, so every run plants the same ones) on entries
whose clean run is quiet: typos in the noted title, a noted year or month off by
one, a paper renamed in a later version. Each must be found with its kind on its
entry, and every other finding must stay exactly as it was.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import sqlite3
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli import ROOT, invoke
from tests.standins.arxiv import ArxivStandIn, StoredPaper, StoredVersion

LISTS = (ROOT / "seeds" / "model-compression.md", *sorted((ROOT / "tests" / "fixtures" / "reading-lists").glob("*.md")))
FAST = {"HARVESTER_ARXIV_DELAY": "0", "HARVESTER_ARXIV_BACKOFF": "0.05", "HARVESTER_ARXIV_TIMEOUT": "10"}
SLIPS = 60
# Swapped neighbours in words this long are typos on today's reconciler; in shorter ones
# (plural "s" aside) see test_swapped_letters_in_short_words_are_typos.
LONG_WORD = 9
# A renamed paper's v2 comes this long after v1: after any noted date, so it is news too.
RENAMED_AFTER = timedelta(days=400)
SLIP_SEED = 12
# The country mirrors arXiv retired, written down here rather than taken from harvester.ids.
MIRROR_URL = re.compile(r"https?://(?:cn|de|es|fr|in|it|jp|kr|ru|tw|uk|au|br|il|za)\.arxiv\.org/\S*", re.I)
MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)")
NEW_STYLE_ID = re.compile(r"(\d{4}\.\d{4,5})")
# Labels with which a curator says "this link is the paper itself" (not an extension or a follow-up).
PAPER_LABELS = frozenset({"paper", "pdf", "arxiv", "abs", "论文"})
LIST_CATEGORY = {"gan-2019-03-26.md": "cs.CV", "detection-2019-05-10.md": "cs.CV"}


@dataclass(frozen=True)
class Entry:
    list_name: str
    line: int
    end_line: int
    arxiv_id: str | None
    arxiv_ids: tuple[str, ...]
    title: str | None
    date_text: str | None
    precision: str | None
    year: int | None
    month: int | None
    day: int | None
    venue: str | None
    raw: str

    @property
    def where(self) -> tuple[str, int]:
        return (self.list_name, self.line)


@dataclass(frozen=True)
class Seen:
    """A finding as this test compares it: by list and entry line, which edits in place never move."""

    list_name: str
    entry_line: int
    kind: str
    severity: str
    line: int
    arxiv_id: str | None
    noted: str | None
    arxiv_value: str | None
    suggestion: str | None

    @property
    def where(self) -> tuple[str, int]:
        return (self.list_name, self.entry_line)

    def __str__(self) -> str:
        return (
            f"{self.kind} ({self.severity}) {self.list_name}:{self.line} [{self.arxiv_id}] "
            f"noted={self.noted!r} arxiv={self.arxiv_value!r}"
        )


@dataclass(frozen=True)
class Slip:
    kind: str  # the finding expected: title_typo, date_mismatch, title_outdated
    entry: Entry
    change: str  # what was planted, for the failure message
    old: str = ""  # text replaced in the list ("" for a renamed paper)
    new: str = ""


@dataclass(frozen=True)
class CleanRun:
    lists: tuple[Path, ...]
    entries: tuple[Entry, ...]
    papers: dict[str, StoredPaper]
    findings: tuple[Seen, ...]


# --- the pipeline --------------------------------------------------------------------------


def copy_lists(folder: Path) -> tuple[Path, ...]:
    folder.mkdir(parents=True, exist_ok=True)
    return tuple(Path(shutil.copyfile(path, folder / path.name)) for path in LISTS)  # bytes kept: CRLF stays


def run_import(db: Path, lists: tuple[Path, ...]) -> tuple[Entry, ...]:
    result = invoke("import", *map(str, lists), db=db)
    assert result.returncode == 0, result.stderr
    return read_entries(db)


def fetch_and_reconcile(db: Path, arxiv: ArxivStandIn) -> tuple[Seen, ...]:
    fetched = invoke("fetch", "--json", db=db, env={**FAST, "HARVESTER_ARXIV_URL": arxiv.url})
    assert fetched.returncode == 0, fetched.stderr
    summary = json.loads(fetched.stdout)
    assert (summary["missing"], summary["failed"]) == ([], None), summary
    reconciled = invoke("reconcile", db=db)
    assert reconciled.returncode in (0, 1), reconciled.stderr  # 1: there are errors to report
    return read_findings(db)


def read_entries(db: Path) -> tuple[Entry, ...]:
    sql = """
        SELECT l.path, e.* FROM entries e JOIN lists l ON l.id = e.list_id
        WHERE e.removed_at IS NULL AND e.is_paper = 1 ORDER BY l.path, e.line
    """
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(sql).fetchall()
    return tuple(
        Entry(
            list_name=Path(r["path"]).name,
            line=r["line"],
            end_line=r["end_line"],
            arxiv_id=r["arxiv_id"],
            arxiv_ids=tuple(json.loads(r["arxiv_ids"] or "[]")),
            title=r["noted_title"],
            date_text=r["noted_date"],
            precision=r["noted_date_precision"],
            year=r["noted_year"],
            month=r["noted_month"],
            day=r["noted_day"],
            venue=r["noted_venue"],
            raw=r["raw"],
        )
        for r in rows
    )


def read_findings(db: Path) -> tuple[Seen, ...]:
    sql = """
        SELECT l.path, e.line AS entry_line, f.* FROM findings f
        JOIN lists l ON l.id = f.list_id LEFT JOIN entries e ON e.id = f.entry_id
        WHERE f.resolved_at IS NULL ORDER BY l.path, f.line, f.kind
    """
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(sql).fetchall()
    return tuple(
        Seen(
            list_name=Path(r["path"]).name,
            entry_line=r["entry_line"] if r["entry_line"] is not None else r["line"],
            kind=r["kind"],
            severity=r["severity"],
            line=r["line"],
            arxiv_id=r["arxiv_id"],
            noted=r["noted"],
            arxiv_value=r["arxiv_value"],
            suggestion=r["suggestion"],
        )
        for r in rows
    )


# --- what arXiv says: the notes themselves ---------------------------------------------------


def normalized(title: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", title).split())


def entries_by_id(entries: tuple[Entry, ...]) -> dict[str, list[Entry]]:
    grouped: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        for arxiv_id in dict.fromkeys((*((entry.arxiv_id,) if entry.arxiv_id else ()), *entry.arxiv_ids)):
            grouped[arxiv_id].append(entry)
    return grouped


def served_title(arxiv_id: str, notes: list[Entry]) -> str:
    """The title most entries note (the first noted one on a tie); a made-up one when none notes any."""
    titles = Counter(normalized(e.title) for e in notes if e.title)
    if not titles:
        return f"A Study of the Paper {arxiv_id}"
    best = max(titles.values())
    return next(normalized(e.title) for e in notes if e.title and titles[normalized(e.title)] == best)


def served_submission(arxiv_id: str, notes: list[Entry]) -> datetime:
    """v1's submission on the most precise noted date; from the ID's YYMM when no entry notes one."""
    rank = {"day": 0, "month": 1, "year": 2}
    dated = sorted((e for e in notes if e.year), key=lambda e: rank[e.precision or "year"])
    if not dated:
        yymm = arxiv_id[:4]
        return datetime(2000 + int(yymm[:2]), int(yymm[2:]), 15, 12, tzinfo=UTC)
    best = dated[0]
    month = best.month or 7  # a year alone: mid-year, far from either neighbour
    day = best.day or (15 if best.month else 1)
    return datetime(best.year or 2000, month, day, 12, tzinfo=UTC)


def agreeing_papers(entries: tuple[Entry, ...]) -> dict[str, StoredPaper]:
    papers = {}
    for arxiv_id, notes in entries_by_id(entries).items():
        venues = list(dict.fromkeys(e.venue for e in notes if e.venue))
        category = LIST_CATEGORY.get(notes[0].list_name, "cs.LG")
        title = served_title(arxiv_id, notes)
        papers[arxiv_id] = StoredPaper(
            id=arxiv_id,
            authors=(("Ada Curator", ()),),
            abstract=f"We present {title}.",  # arXiv never sends an empty abstract
            primary_category=category,
            categories=(category,),
            versions=(StoredVersion(1, served_submission(arxiv_id, notes), title),),
            comment="; ".join(venues) or None,
        )
    return papers


# --- what is wrong whatever arXiv says ----------------------------------------------------


def true_duplicates(entries: tuple[Entry, ...]) -> set[tuple[str, int]]:
    """Every entry but the first naming an arXiv ID already listed in the same list."""
    first: dict[tuple[str, str], Entry] = {}
    later = set()
    for entry in sorted(entries, key=lambda e: (e.list_name, e.line)):
        if entry.arxiv_id and first.setdefault((entry.list_name, entry.arxiv_id), entry) is not entry:
            later.add(entry.where)
    return later


def mirror_links(entries: tuple[Entry, ...]) -> Counter[tuple[str, int]]:
    return Counter({e.where: len(MIRROR_URL.findall(e.raw)) for e in entries if MIRROR_URL.search(e.raw)})


def two_papers_claimed(entries: tuple[Entry, ...]) -> set[tuple[str, int]]:
    """Entries whose title link and paper links (not an "Extension" or the like) name different IDs."""
    claimed = set()
    for entry in entries:
        ids = {
            match.group(1)
            for label, url in MARKDOWN_LINK.findall(entry.raw)
            if (match := NEW_STYLE_ID.search(url))
            and (label.strip().casefold() in PAPER_LABELS or (entry.title and normalized(label) == entry.title))
        }
        if len(ids) > 1:
            claimed.add(entry.where)
    return claimed


def contradicting_notes(entries: tuple[Entry, ...], papers: dict[str, StoredPaper]) -> set[tuple[str, int]]:
    """Entries noting another title for a paper than other entries do: no arXiv title agrees with both."""
    return {
        e.where
        for e in entries
        if e.arxiv_id and e.title and normalized(e.title) != papers[e.arxiv_id].versions[0].title
    }


def expected_findings(entries: tuple[Entry, ...], papers: dict[str, StoredPaper]) -> Counter[tuple[str, int, str]]:
    expected: Counter[tuple[str, int, str]] = Counter()
    for where, count in mirror_links(entries).items():
        expected[(*where, "mirror_link")] += count
    for where in true_duplicates(entries):
        expected[(*where, "duplicate_entry")] += 1
    for where in two_papers_claimed(entries):
        expected[(*where, "id_conflict")] += 1
    for where in contradicting_notes(entries, papers):
        expected[(*where, "title_typo")] += 1
    return expected


def reportable(findings: tuple[Seen, ...]) -> Counter[tuple[str, int, str]]:
    return Counter((f.list_name, f.entry_line, f.kind) for f in findings if f.severity in ("warning", "error"))


# --- the clean run --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> CleanRun:
    folder = tmp_path_factory.mktemp("clean")
    lists = copy_lists(folder / "lists")
    entries = run_import(folder / "h.db", lists)
    papers = agreeing_papers(entries)
    with ArxivStandIn(list(papers.values())) as arxiv:
        findings = fetch_and_reconcile(folder / "h.db", arxiv)
    return CleanRun(lists, entries, papers, findings)


def test_the_lists_are_all_read(clean: CleanRun) -> None:
    by_list = Counter(e.list_name for e in clean.entries if e.arxiv_id)
    assert set(by_list) == {p.name for p in LISTS}
    assert len(clean.papers) > 300  # enough papers for the assertions below to mean something


def test_mirror_and_duplicate_findings_are_exactly_the_real_ones(clean: CleanRun) -> None:
    """The two kinds that are wrong whatever arXiv says: each found where it is, and nowhere else."""
    found = reportable(clean.findings)
    for kind in ("mirror_link", "duplicate_entry"):
        expected = {k: n for k, n in expected_findings(clean.entries, clean.papers).items() if k[2] == kind}
        assert {k: n for k, n in found.items() if k[2] == kind} == expected, kind


def test_no_warnings_or_errors_when_arxiv_agrees_with_the_notes(clean: CleanRun) -> None:
    """Every warning and error on agreeing metadata is one of the real problems computed above.

    Two errors this once caught: a row's "[Extension1](arxiv.org/abs/...)" link taken for a second ID
    of the entry's own paper (now the `related` link role), and "UNIT: UNsupervised Image-to-image
    Translation Networks" called a wrong ID for arXiv's "Unsupervised Image-to-Image Translation
    Networks" (now a `title_typo`, as every note contradicting another entry's for one paper is).
    """
    expected = expected_findings(clean.entries, clean.papers)
    found = reportable(clean.findings)
    unexpected = [str(f) for f in clean.findings if (f.list_name, f.entry_line, f.kind) in found - expected]
    missed = sorted(expected - found)
    assert (unexpected, missed) == ([], [])


# --- planted slips -----------------------------------------------------------------------------


def quiet_entries(run: CleanRun) -> list[Entry]:
    """Entries whose clean run says nothing about their notes, naming a paper no other entry names.

    A retired mirror link is about the link alone: such an entry still takes a slip, and keeps
    its mirror_link finding.
    """
    noisy = {f.where for f in run.findings if f.kind != "mirror_link"}
    shared = {i for i, notes in entries_by_id(run.entries).items() if len(notes) > 1}
    return [
        e
        for e in run.entries
        if e.arxiv_id and e.where not in noisy and e.arxiv_ids == (e.arxiv_id,) and e.arxiv_id not in shared
    ]


def entry_text(path: Path, entry: Entry) -> str:
    lines = path.read_bytes().decode("utf-8").splitlines(keepends=True)
    return "".join(lines[entry.line - 1 : entry.end_line])


def occurs_once(path: Path, entry: Entry, text: str) -> bool:
    return len(re.findall(rf"(?<![\w.-]){re.escape(text)}(?![\w-])", entry_text(path, entry))) == 1


def title_typo(
    rng: random.Random, path: Path, entry: Entry, swap_in_words_of: int | None = None, longest: int = 99
) -> Slip | None:
    """One slip in one word of five or more letters: a letter changed, dropped or doubled, or
    (`swap_in_words_of` letters or more) two neighbours swapped. Shorter words are content: CNN, RNN."""
    shortest = swap_in_words_of or 5
    words = [w for w in re.findall(r"[^\W\d_]+", entry.title or "") if shortest <= len(w) <= longest]
    words = [w for w in dict.fromkeys(words) if occurs_once(path, entry, w)]
    if not words:
        return None
    word = rng.choice(words)
    at = rng.randrange(1, len(word) - 2)  # inside the word: a changed last letter reads as a plural
    if swap_in_words_of:
        if word[at].casefold() == word[at + 1].casefold():
            return None
        typo, how = word[:at] + word[at + 1] + word[at] + word[at + 2 :], "swapped"
    else:
        how = rng.choice(("changed", "dropped", "doubled"))
        letter = "e" if word[at].lower() != "e" else "a"
        typo = {
            "changed": word[:at] + letter + word[at + 1 :],
            "dropped": word[:at] + word[at + 1 :],
            "doubled": word[:at] + word[at] + word[at:],
        }[how]
    return Slip("title_typo", entry, f"title typo ({how}): {word} -> {typo}", word, typo)


def date_slip(rng: random.Random, path: Path, entry: Entry) -> Slip | None:
    """The noted year, or month, off by one, written as the curator writes dates."""
    text = entry.date_text
    if not text or not entry.year or not occurs_once(path, entry, text):
        return None
    step = rng.choice((-1, 1))
    month_off = entry.precision in ("day", "month") and rng.random() < 0.5 and 1 < (entry.month or 0) < 12
    if month_off and (entry.day or 1) <= 28:
        runs = list(re.finditer(r"\d+", text))
        if len(runs) < 2 or int(runs[1].group(0)) != entry.month:
            return None
        month = runs[1]
        written = f"{entry.month + step:0{len(month.group(0))}d}" if entry.month else ""
        new = text[: month.start()] + written + text[month.end() :]
        return Slip("date_mismatch", entry, f"month off: {text} -> {new}", text, new)
    new = text.replace(str(entry.year), str(entry.year + step), 1)
    return Slip("date_mismatch", entry, f"year off: {text} -> {new}", text, new) if new != text else None


RENAMES = ("Revisiting {}", "Towards {}", "{} at Scale", "Rethinking {}", "{} Made Practical")


def renamed(rng: random.Random, entry: Entry, papers: dict[str, StoredPaper]) -> Slip | None:
    """arXiv's v2 carries another title; the note keeps v1's."""
    if not entry.title or not entry.arxiv_id:
        return None
    new_title = rng.choice(RENAMES).format(papers[entry.arxiv_id].versions[0].title)
    return Slip("title_outdated", entry, f"renamed in v2: {new_title}", "", new_title)


def plant_slips(run: CleanRun, count: int, make: Callable[[random.Random, Path, Entry], Slip | None]) -> list[Slip]:
    """`count` slips on distinct quiet entries, taken from the lists in turn, the same ones on every run."""
    rng = random.Random(SLIP_SEED)
    paths = {p.name: p for p in run.lists}
    queues: dict[str, list[Entry]] = defaultdict(list)
    for entry in quiet_entries(run):
        queues[entry.list_name].append(entry)
    for queue in queues.values():
        rng.shuffle(queue)
    slips: list[Slip] = []
    while len(slips) < count and any(queues.values()):
        for name in sorted(queues):
            if queues[name] and len(slips) < count:
                entry = queues[name].pop()
                slip = make(rng, paths[name], entry)
                slips += [slip] if slip else []
    assert len(slips) == count, f"only {len(slips)} quiet entries could take a slip"
    return slips


def any_slip(papers: dict[str, StoredPaper]) -> Callable[[random.Random, Path, Entry], Slip | None]:
    def make(rng: random.Random, path: Path, entry: Entry) -> Slip | None:
        kind = rng.choice(("typo", "swap", "date", "rename"))
        if kind == "date":
            return date_slip(rng, path, entry)
        if kind == "rename":
            return renamed(rng, entry, papers)
        return title_typo(rng, path, entry, swap_in_words_of=LONG_WORD if kind == "swap" else None)

    return make


def short_word_swap(rng: random.Random, path: Path, entry: Entry) -> Slip | None:
    return title_typo(rng, path, entry, swap_in_words_of=5, longest=LONG_WORD - 1)


def write_slips(lists: tuple[Path, ...], slips: list[Slip]) -> None:
    by_name = {p.name: p for p in lists}
    for slip in slips:
        if not slip.old:
            continue
        path = by_name[slip.entry.list_name]
        text = path.read_bytes().decode("utf-8")
        lines = text.splitlines(keepends=True)
        block = "".join(lines[slip.entry.line - 1 : slip.entry.end_line])
        pattern = rf"(?<![\w.-]){re.escape(slip.old)}(?![\w-])"
        changed = re.sub(pattern, lambda _, new=slip.new: new, block, count=1)
        assert changed != block, slip
        lines[slip.entry.line - 1 : slip.entry.end_line] = [changed]
        path.write_bytes("".join(lines).encode("utf-8"))


def served_with_slips(papers: dict[str, StoredPaper], slips: list[Slip]) -> list[StoredPaper]:
    served = dict(papers)
    for slip in slips:
        if slip.kind == "title_outdated" and slip.entry.arxiv_id:
            paper = served[slip.entry.arxiv_id]
            v1 = paper.versions[0]
            v2 = StoredVersion(2, v1.submitted + RENAMED_AFTER, slip.new)
            served[paper.id] = replace(paper, versions=(v1, v2))
    return list(served.values())


def expected_slip_kinds(slip: Slip) -> Counter[str]:
    kinds = Counter([slip.kind])
    if slip.kind == "title_outdated" and slip.entry.date_text:
        kinds["new_version"] += 1  # v2 came after the noted date: news, said as info
    return kinds


def check_planted(entries: tuple[Entry, ...], slips: list[Slip]) -> Iterator[str]:
    """The edits landed in the notes the parser reads (else the test, not the reconciler, is wrong)."""
    by_where = {e.where: e for e in entries}
    for slip in slips:
        now = by_where.get(slip.entry.where)
        if slip.kind == "title_typo" and (
            now is None or now.title != (slip.entry.title or "").replace(slip.old, slip.new, 1)
        ):
            yield f"{slip.change}: the parser now reads {now.title if now else None!r}"
        if slip.kind == "date_mismatch" and (now is None or now.date_text != slip.new):
            yield f"{slip.change}: the parser now reads {now.date_text if now else None!r}"


def run_with_slips(run: CleanRun, folder: Path, slips: list[Slip]) -> tuple[Seen, ...]:
    lists = copy_lists(folder / "lists")
    write_slips(lists, slips)
    entries = run_import(folder / "h.db", lists)
    assert list(check_planted(entries, slips)) == []
    assert [e.where for e in entries] == [e.where for e in run.entries]  # no entry appeared, vanished or moved
    with ArxivStandIn(served_with_slips(run.papers, slips)) as arxiv:
        return fetch_and_reconcile(folder / "h.db", arxiv)


def slip_problems(run: CleanRun, slips: list[Slip], findings: tuple[Seen, ...]) -> list[str]:
    slipped = {s.entry.where: s for s in slips}
    problems = []
    for where, slip in slipped.items():
        expected = expected_slip_kinds(slip) + Counter(f.kind for f in run.findings if f.where == where)
        got = Counter(f.kind for f in findings if f.where == where)
        if got != expected:
            problems.append(f"{where[0]}:{where[1]} {slip.change}: expected {dict(expected)}, got {dict(got)}")
    before = Counter(f for f in run.findings if f.where not in slipped)
    after = Counter(f for f in findings if f.where not in slipped)
    problems += [f"appeared: {f}" for f in after - before]
    problems += [f"vanished: {f}" for f in before - after]
    return problems


@pytest.mark.timeout(120)
def test_every_planted_slip_is_found_with_its_kind_and_nothing_else_changes(clean: CleanRun, tmp_path: Path) -> None:
    slips = plant_slips(clean, SLIPS, any_slip(clean.papers))
    assert set(Counter(s.entry.list_name for s in slips)) == {p.name for p in LISTS}  # spread over every list
    assert {s.kind for s in slips} == {"title_typo", "date_mismatch", "title_outdated"}
    findings = run_with_slips(clean, tmp_path, slips)
    problems = slip_problems(clean, slips, findings)
    assert not problems, "\n".join(problems)


@pytest.mark.timeout(120)
def test_swapped_letters_in_short_words_are_typos(clean: CleanRun, tmp_path: Path) -> None:
    slips = plant_slips(clean, 30, short_word_swap)
    findings = run_with_slips(clean, tmp_path, slips)
    problems = slip_problems(clean, slips, findings)
    assert not problems, "\n".join(problems)
