"""Issue 16, acceptance 2: `suggest --add` on every section of the seed and the four shared lists.

Each list is imported and the new papers fetched from the arXiv stand-in
(which invents a paper for any valid ID: none of them is in a list). For each
section that holds a paper entry with an arXiv title link, the planned
addition inserts exactly one entry: the list minus the inserted lines is the
list byte for byte, and the parser reads the new entry back in that section
with arXiv's title, v1's date (when the section writes dates) and the abs
link. Table sections get a row once the columns harvester cannot know are
given, and a refusal naming the column before.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlite_utils import Database

from harvester.addpaper import plan_add
from harvester.ids import abs_url
from harvester.layout import AddRefused, PaperFacts, add_entry, learn_styles
from harvester.publish import paper_facts
from harvester.readinglist import ReadingList, parse_reading_list
from harvester.store import open_db
from tests.cli import invoke, run_cli
from tests.seeddb import SEED
from tests.standins.arxiv import ArxivStandIn

LISTS = Path(__file__).parent / "fixtures" / "reading-lists"
ALL_LISTS = [SEED, *sorted(LISTS.glob("*.md"))]


def new_ids(count: int) -> list[str]:
    return [f"2112.{10000 + n:05d}" for n in range(count)]


def prepared(arxiv: ArxivStandIn, folder: Path, listing: Path, ids: list[str]) -> tuple[Path, Database]:
    arxiv.synthetic = True
    copy = folder / listing.name
    shutil.copyfile(listing, copy)
    db_path = folder / "h.db"
    env = {"HARVESTER_ARXIV_URL": arxiv.url, "HARVESTER_ARXIV_DELAY": "0"}
    for command in (["import", str(copy)], ["fetch", "--ids", ",".join(ids)]):
        result = invoke(*command, db=db_path, env=env, cwd=folder)
        assert result.returncode == 0, result.stderr
    return copy, open_db(db_path)


def check_entry(after: ReadingList, section: tuple[str, ...], paper: PaperFacts, dated: bool) -> None:
    """The paper reads back once, in `section`, with arXiv's title, v1's date and the abs link."""
    (entry,) = [e for e in after.entries if e.arxiv_id == paper.arxiv_id]
    assert entry.section_path == section and entry.is_paper
    assert entry.noted_title == " ".join(paper.title.split())
    assert any(link.url == abs_url(paper.arxiv_id) for link in entry.links)
    if dated:
        assert entry.noted_date is not None
        noted, v1 = entry.noted_date, paper.v1_date
        assert (noted.year, noted.month or v1.month, noted.day or v1.day) == (v1.year, v1.month, v1.day)


@pytest.mark.parametrize("listing", ALL_LISTS, ids=lambda p: p.stem)
def test_add_on_each_section_inserts_one_entry_in_its_style(listing: Path, arxiv: ArxivStandIn, tmp_path: Path) -> None:
    text = listing.read_bytes().decode("utf-8")
    parsed = parse_reading_list(text)
    styles = learn_styles(text, parsed)
    sections = [
        (path, style)
        for path, style in styles.items()
        if any(
            e.section_path == path and any(k.role == "title" and k.arxiv_id for k in e.links) for e in parsed.entries
        )
    ]
    assert sections
    ids = new_ids(len(sections))
    copy, db = prepared(arxiv, tmp_path, listing, ids)
    facts = paper_facts(db.conn, ids)
    # Bottom section first: the lines above an insertion stay where the list's parse says they are,
    # so every addition is planned against the one parse, and the result is parsed once.
    current, pieces, tables = text, [], 0
    for (path, style), arxiv_id in reversed(list(zip(sections, ids, strict=True))):
        paper = facts[arxiv_id]
        if style.kind == "row":
            with pytest.raises(AddRefused, match="column 'Venue' cannot be filled"):
                add_entry(current, parsed, path, paper)
            added = add_entry(current, parsed, path, paper, {"Venue": "arXiv", "Type": "`W`"})
            assert "| arXiv " in added.inserted and "`W`" in added.inserted and added.inserted.endswith("|")
            tables += 1
        else:
            added = add_entry(current, parsed, path, paper)
        assert added.text[: added.offset] == current[: added.offset]
        assert added.text[added.offset + len(added.inserted) :] == current[added.offset :]
        current = added.text
        pieces.append((added.offset, added.inserted))
    assert (tables > 0) == (listing.name == "awesome-pruning.md")
    rest = current
    for offset, inserted in reversed(pieces):
        assert rest[offset : offset + len(inserted)] == inserted
        rest = rest[:offset] + rest[offset + len(inserted) :]
    assert rest == text  # every other byte unchanged
    after = parse_reading_list(current)
    assert len(after.entries) == len(parsed.entries) + len(sections)
    for (path, style), arxiv_id in zip(sections, ids, strict=True):
        check_entry(after, path, facts[arxiv_id], dated=style.date_format is not None)
    for inserted in (piece for _, piece in pieces):
        assert "\r" not in inserted if "\r\n" not in text else inserted.count("\n") == inserted.count("\r\n") >= 1
    # The same through the command's module, against the database: one section per list.
    path, style = sections[-1]
    plan = plan_add(db, copy, ids[-1], " / ".join(path), cells={"Venue": "arXiv", "Type": "`W`"})
    (edit,) = plan.fix.edits
    fixed = plan.fix.fixed()
    assert fixed[: edit.start] + fixed[edit.start + len(edit.new) :] == plan.fix.original == listing.read_bytes()
    assert edit.new.decode("utf-8") == pieces[0][1]  # the same entry as planned from the text alone


def test_add_shows_a_diff_and_write_applies_it_atomically_and_reimports(arxiv: ArxivStandIn, tmp_path: Path) -> None:
    copy, db = prepared(arxiv, tmp_path, SEED, ["2112.20001"])
    db.close()
    env = {"HARVESTER_ARXIV_URL": arxiv.url, "HARVESTER_ARXIV_DELAY": "0"}
    args = ["suggest", "model-compression.md", "--add", "arXiv:2112.20001", "--section", "剪枝"]
    shown = invoke(*args, db=tmp_path / "h.db", env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("--- a/model-compression.md\n+++ b/model-compression.md\n@@ ")
    plus = [line for line in shown.stdout.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert (
        plus[0] == "+"
        and plus[1].startswith("+1. [Synthetic ")
        and plus[1].endswith("](https://arxiv.org/abs/2112.20001)   ")
    )
    assert copy.read_bytes() == SEED.read_bytes()  # nothing written without --write
    # The write as a real process: the atomic write and the re-import at the command's own entry point.
    written = run_cli(*args, "--write", db=tmp_path / "h.db", env=env, cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert written.stdout == shown.stdout
    assert (tmp_path / "model-compression.md.bak").read_bytes() == SEED.read_bytes()
    rows = list(Database(tmp_path / "h.db").query("SELECT section, line FROM entries WHERE arxiv_id = '2112.20001'"))
    assert rows == [{"section": "3 剪枝", "line": int(shown.stdout.split("@@ -")[1].split(",")[0]) + 4}]
    again = invoke(*args, db=tmp_path / "h.db", env=env, cwd=tmp_path)
    assert again.returncode == 1 and "already in the list" in again.stderr and again.stderr.count("\n") == 1


def test_add_fetches_a_paper_not_fetched_yet_and_refuses_one_arxiv_does_not_have(
    arxiv: ArxivStandIn, tmp_path: Path
) -> None:
    shutil.copyfile(SEED, tmp_path / "model-compression.md")
    env = {"HARVESTER_ARXIV_URL": arxiv.url, "HARVESTER_ARXIV_DELAY": "0"}
    assert invoke("import", "model-compression.md", db=tmp_path / "h.db", cwd=tmp_path).returncode == 0
    arxiv.synthetic = False  # the stand-in knows the seed's papers only
    missing = invoke("suggest", "--add", "2112.30001", "--section", "剪枝", db=tmp_path / "h.db", env=env, cwd=tmp_path)
    assert missing.returncode == 1 and "arXiv has no paper 2112.30001" in missing.stderr
    arxiv.synthetic = True
    found = invoke("suggest", "--add", "2112.30001", "--section", "剪枝", db=tmp_path / "h.db", env=env, cwd=tmp_path)
    assert found.returncode == 0 and "+1. [Synthetic" in found.stdout, found.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--section", "nothing like it"], "no paper section matches 'nothing like it'"),
        ([], "name the section with --section"),
        (["--section", "1 综述"], "1907.05642 is already in the list (line 82)"),
    ],
)
def test_add_says_in_one_line_why_it_cannot_add(args: list[str], message: str, shared_add_db: Path) -> None:
    result = invoke("suggest", "--add", "1907.05642", *args, db=shared_add_db, cwd=shared_add_db.parent)
    assert result.returncode == 1 and message in result.stderr and result.stderr.count("\n") == 1, result.stderr


@pytest.fixture(scope="module")
def shared_add_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.seeddb import build_seed_db

    folder = tmp_path_factory.mktemp("add")
    listing = folder / "model-compression.md"
    shutil.copyfile(SEED, listing)
    return build_seed_db(folder / "h.db", listing=listing)
