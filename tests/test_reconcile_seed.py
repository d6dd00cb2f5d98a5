"""The seed list against its arXiv metadata: exactly the findings a careful reader makes.

Pure: the entries are read from the seed with a small line reader written for its
format (so these tests do not depend on the markdown parser), the papers come
from tests/fixtures/arxiv/seed_papers.json with every version.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

from harvester.ids import parse_arxiv_url
from harvester.readinglist import NotedDate
from harvester.reconcile import (
    EntryInput,
    NotedLink,
    PaperInfo,
    ReconcileInput,
    VersionInfo,
    reconcile,
)

ROOT = Path(__file__).parent.parent
SEED = ROOT / "seeds" / "model-compression.md"
SEED_PAPERS = ROOT / "tests" / "fixtures" / "arxiv" / "seed_papers.json"

_ENTRY = re.compile(r"^1\. \[(?P<title>[^\]]+)\]\((?P<url>[^)\s]+)\)")
_LINK = re.compile(r"\[(?P<label>[^\]]*)\]\((?P<url>[^)\s]+)\)")
_DATE = re.compile(r"\*(?P<text>\d{4}-\d{2}-\d{2})\*")

MIRROR_IDS = [
    "1905.10324",
    "1907.00274",
    "1905.08793",
    "1907.00262",
    "1905.10145",
    "1910.04576",
    "1905.07376",
    "1907.00593",
    "2006.09679",
    "1905.07072",
    "1907.05640",
    "1910.04641",
    "1906.08859",
    "1905.08170",
    "1905.08922",
    "1907.05642",
    "1907.05686",
]
EXPECTED_PROBLEMS = {
    ("title_typo", "1510.00149"),
    ("title_typo", "1910.04576"),
    ("title_outdated", "1907.05642"),
    ("date_mismatch", "1907.00262"),
    ("venue_mismatch", "1910.04641"),
} | {("mirror_link", i) for i in MIRROR_IDS}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def day(text: str) -> NotedDate:
    year, month, dom = (int(p) for p in text.split("-"))
    return NotedDate(text=text, precision="day", year=year, month=month, day=dom)


def seed_papers(path: Path = SEED_PAPERS) -> dict[str, PaperInfo]:
    return {p["id"]: paper_info(p) for p in json.loads(path.read_text())["papers"]}


def paper_info(record: dict) -> PaperInfo:
    versions = tuple(VersionInfo(v["version"], v["title"], utc(v["submitted"])) for v in record["versions"])
    return PaperInfo(
        arxiv_id=record["id"],
        title=versions[-1].title,
        published=versions[0].submitted,
        abstract=record["abstract"],
        comment=record["comment"],
        journal_ref=record["journal_ref"],
        versions=versions,
    )


def read_entries(text: str, list_path: str = "seed.md", list_id: int = 1) -> list[EntryInput]:
    """Entries of the seed's format: `1. [title](url)` then a line with venue, *date* and links."""
    lines = text.split("\n")
    entries, section = [], ""
    for number, line in enumerate(lines, 1):
        if line.startswith("#"):
            section = line.lstrip("#").strip()
        match = _ENTRY.match(line)
        if match and section != "A 参考资料":
            entries.append(_entry(lines, number, section, list_path, list_id))
    return entries


def _entry(lines: list[str], first: int, section: str, list_path: str, list_id: int) -> EntryInput:
    last = first
    while last < len(lines) and lines[last].strip():
        last += 1
    raw = "\n".join(lines[first - 1 : last])
    links = tuple(_links(lines, first, last))
    ids = tuple(dict.fromkeys(link.arxiv_id for link in links if link.arxiv_id))
    date_match = _DATE.search(raw)
    second = lines[first] if last > first else ""
    venue = second.split("*")[0].strip() if date_match and "*" in second else ""
    return EntryInput(
        list_id=list_id,
        list_path=list_path,
        entry_key=f"arxiv:{ids[0]}",
        section=section,
        line=first,
        end_line=last,
        noted_title=_ENTRY.match(lines[first - 1]).group("title"),
        arxiv_id=ids[0],
        arxiv_ids=ids,
        noted_date=day(date_match.group("text")) if date_match else None,
        noted_venue=venue or None,
        links=links,
        raw=raw,
    )


def _links(lines: list[str], first: int, last: int) -> list[NotedLink]:
    found = []
    for number in range(first, last + 1):
        for match in _LINK.finditer(lines[number - 1]):
            parsed = parse_arxiv_url(match.group("url"))
            role = "title" if not found else ("paper" if match.group("label") == "paper" else "code")
            found.append(
                NotedLink(
                    url=match.group("url"),
                    role=role,
                    line=number,
                    position=len(found),
                    label=match.group("label"),
                    arxiv_id=parsed.id if parsed else None,
                    arxiv_version=parsed.version if parsed else None,
                )
            )
    return found


def seed_input(text: str | None = None) -> ReconcileInput:
    entries = read_entries(text if text is not None else SEED.read_text(encoding="utf-8"))
    return ReconcileInput(entries=tuple(entries), papers=seed_papers())


def problems(findings) -> set[tuple[str, str]]:
    return {(f.kind, f.arxiv_id) for f in findings if f.severity in ("error", "warning")}


def test_seed_reader_sees_19_papers() -> None:
    entries = read_entries(SEED.read_text(encoding="utf-8"))
    assert len(entries) == 19
    assert {e.arxiv_id for e in entries} == set(seed_papers())


def test_seed_findings_are_exactly_what_a_careful_reader_finds() -> None:
    assert problems(reconcile(seed_input())) == EXPECTED_PROBLEMS


def test_seed_mirror_links_one_finding_per_link_with_canonical_suggestion() -> None:
    mirrors = [f for f in reconcile(seed_input()) if f.kind == "mirror_link"]
    assert len(mirrors) == 17
    first = next(f for f in mirrors if f.arxiv_id == "1905.10324")
    assert (first.noted, first.suggestion, first.line) == (
        "http://cn.arxiv.org/abs/1905.10324",
        "https://arxiv.org/abs/1905.10324",
        23,
    )


def test_seed_suggestions_and_lines() -> None:
    by_kind = {(f.kind, f.arxiv_id): f for f in reconcile(seed_input())}
    typo = by_kind["title_typo", "1910.04576"]
    assert (typo.noted, typo.suggestion, typo.line) == (
        "Traned Rank Pruning for Efficient Deep Neural Networks",
        "Trained Rank Pruning for Efficient Deep Neural Networks",
        44,
    )
    date = by_kind["date_mismatch", "1907.00262"]
    assert (date.noted, date.suggestion, date.line) == ("2019-01-29", "2019-06-29", 37)
    outdated = by_kind["title_outdated", "1907.05642"]
    assert outdated.suggestion == "Neural Epitome Search for Architecture-Agnostic Network Compression"
    venue = by_kind["venue_mismatch", "1910.04641"]
    assert (venue.noted, venue.suggestion, venue.source) == ("NIPS 2019", "ICIP 2019", "arxiv")


def test_seed_info_findings_are_new_versions_after_the_noted_date() -> None:
    info = {(f.kind, f.arxiv_id) for f in reconcile(seed_input()) if f.severity == "info"}
    assert {i for i in info if i[0] == "new_version"} == {
        ("new_version", "1510.00149"),
        ("new_version", "1910.04576"),
        ("new_version", "1905.07376"),
        ("new_version", "2006.09679"),
        ("new_version", "1907.05642"),
    }


def correct_list(papers: dict[str, PaperInfo]) -> str:
    """The seed's papers written as a careful curator would: current titles, v1 dates, arxiv.org."""
    sections = {"1 Pruning": [], "2 Other": []}
    for number, paper in enumerate(sorted(papers.values(), key=lambda p: p.arxiv_id)):
        sections["1 Pruning" if number % 2 else "2 Other"].append(paper)
    out = ["# Reading list", ""]
    for heading, members in sections.items():
        out += [f"# {heading}"]
        for paper in members:
            out += [
                f"1. [{paper.title}](https://arxiv.org/abs/{paper.arxiv_id})   ",
                f"*{paper.published:%Y-%m-%d}* [paper](https://arxiv.org/abs/{paper.arxiv_id})   ",
                "",
            ]
    return "\n".join(out)


def test_a_correct_list_has_no_warnings_or_errors() -> None:
    papers = seed_papers()
    data = ReconcileInput(entries=tuple(read_entries(correct_list(papers))), papers=papers)
    assert len(data.entries) == 19
    assert problems(reconcile(data)) == set()


def test_finding_keys_are_unique_and_stable() -> None:
    first = reconcile(seed_input())
    second = reconcile(seed_input())
    assert len({f.key for f in first}) == len(first)
    assert [f.key for f in first] == [f.key for f in second]
