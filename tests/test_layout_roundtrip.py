"""Issue 15, acceptance 2: each list exported in its own layout imports back to the same entries.

The seed and the four shared lists are imported, harvested from the arXiv
stand-in (which answers every valid ID, so every arXiv paper gets a title and
a v1 date that differ from the curator's), exported with `export --format
markdown` (the curator style), and the export is imported again. Entry by
entry: same sections, IDs, venues, notes, ratings, link roles, labels and
markers; links equal but for retired mirrors, which become arxiv.org abs
links; titles are the curator's or arXiv's, dates the curator's or v1's.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from harvester.ids import RETIRED_MIRROR_HOSTS, host_of
from harvester.layout import PaperFacts
from harvester.publish import paper_facts
from harvester.readinglist import Entry, NotedDate, parse_reading_list
from tests.cli import invoke
from tests.seeddb import SEED
from tests.standins.arxiv import ArxivStandIn

LISTS = Path(__file__).parent / "fixtures" / "reading-lists"
ALL_LISTS = [SEED, *sorted(LISTS.glob("*.md"))]


def harvested(arxiv: ArxivStandIn, folder: Path, listing: Path) -> tuple[Path, Path]:
    """A copy of `listing` imported into a fresh database, its papers fetched from the stand-in."""
    arxiv.synthetic = True
    copy = folder / listing.name
    shutil.copyfile(listing, copy)
    db = folder / "h.db"
    env = {"HARVESTER_ARXIV_URL": arxiv.url, "HARVESTER_ARXIV_DELAY": "0"}
    for command in (["import", str(copy)], ["fetch"]):
        result = invoke(*command, db=db, env=env, cwd=folder)
        assert result.returncode == 0, result.stderr
    return copy, db


def agrees(noted: NotedDate, v1: date) -> bool:
    return (noted.year, noted.month or v1.month, noted.day or v1.day) == (v1.year, v1.month, v1.day)


def same_link(old_url: str, new_url: str, arxiv_id: str | None, version: int | None) -> bool:
    if old_url == new_url:
        return True
    suffix = f"v{version}" if version else ""
    return host_of(old_url) in RETIRED_MIRROR_HOSTS and new_url == f"https://arxiv.org/abs/{arxiv_id}{suffix}"


def compare(old: Entry, new: Entry, paper: PaperFacts | None) -> None:
    where = f"line {old.line}: {old.raw[:80]!r}"
    assert (new.section_path, new.is_paper, new.arxiv_id, new.arxiv_ids) == (
        old.section_path,
        old.is_paper,
        old.arxiv_id,
        old.arxiv_ids,
    ), where
    assert (new.noted_venue, new.notes, new.rating, new.rating_text) == (
        old.noted_venue,
        old.notes,
        old.rating,
        old.rating_text,
    ), where
    allowed_titles = {old.noted_title} | ({" ".join(paper.title.split())} if paper and old.is_paper else set())
    assert new.noted_title in allowed_titles, where
    assert len(new.links) == len(old.links), where
    for a, b in zip(old.links, new.links, strict=True):
        assert (a.role, a.marker, a.arxiv_id, a.arxiv_version) == (b.role, b.marker, b.arxiv_id, b.arxiv_version), where
        assert b.label == a.label or (a.role == "title" and b.label == new.noted_title), where
        assert same_link(a.url, b.url, a.arxiv_id, a.arxiv_version), where
    if old.noted_date is None or new.noted_date is None:
        assert old.noted_date == new.noted_date, where
    else:
        assert new.noted_date.precision == old.noted_date.precision, where
        assert new.noted_date == old.noted_date or (paper and agrees(new.noted_date, paper.v1_date)), where


@pytest.mark.parametrize("listing", ALL_LISTS, ids=lambda p: p.stem)
def test_a_list_exported_in_its_own_layout_imports_back_to_the_same_entries(
    listing: Path, arxiv: ArxivStandIn, tmp_path: Path
) -> None:
    copy, db = harvested(arxiv, tmp_path, listing)
    exported = tmp_path / f"exported-{listing.name}"
    result = invoke("export", "--format", "markdown", str(copy), "-o", str(exported), db=db, cwd=tmp_path)
    assert result.returncode == 0 and "plain layout" not in result.stderr, result.stderr
    with sqlite3.connect(db) as connection:
        facts = paper_facts(connection)
    before = parse_reading_list(copy.read_bytes().decode("utf-8"))
    text = exported.read_bytes().decode("utf-8")
    after = parse_reading_list(text)
    assert len(after.entries) == len(before.entries)
    for old, new in zip(before.entries, after.entries, strict=True):
        compare(old, new, facts.get(old.arxiv_id or ""))
    assert after.front_matter == before.front_matter and after.sections == before.sections
    assert ("\r\n" in text) == ("\r\n" in copy.read_bytes().decode("utf-8"))
    # What the export is for: arXiv's titles and v1 dates, and no retired mirror left in a link.
    papers = [e for e in after.paper_entries if e.arxiv_id in facts]
    retitled = [e for e in papers if e.noted_title == " ".join(facts[e.arxiv_id or ""].title.split())]
    redated = [e for e in papers if e.noted_date and agrees(e.noted_date, facts[e.arxiv_id or ""].v1_date)]
    dated = [e for e in papers if e.noted_date]
    assert len(retitled) >= 0.9 * len([e for e in papers if any(link.role == "title" for link in e.links)])
    assert len(redated) >= 0.9 * len(dated)
    assert not [link for e in papers for link in e.links if link.arxiv_id and host_of(link.url) in RETIRED_MIRROR_HOSTS]
    reimported = invoke("import", str(exported), db=tmp_path / "again.db", cwd=tmp_path)
    assert reimported.returncode == 0, reimported.stderr
