"""Entry shapes real curators write: daily-post blocks, citations as titles, broken title links.

The fixture lists under tests/fixtures/shapes/ were written for these tests in
those shapes (a heading per paper with a translated title, an APA-style
citation quoting the English title; citation-form bullets; unclosed `[`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_reconcile_db import NOW, import_file, load_papers, new_db

from harvester.findings import open_findings
from harvester.readinglist import Entry, NotedDate, ReadingList, parse_reading_list
from harvester.readinglist.citations import citation_title
from harvester.reconciling import run_reconcile
from tests.seeddb import SEED

SHAPES = Path(__file__).parent / "fixtures" / "shapes"

DAILY = [
    # line, end_line, arXiv ID, English title from the citation, noted date, translated heading
    (
        9,
        12,
        "1902.10001",
        "Partitioned Generators for Multi-Domain Synthesis",
        "2019-02-21",
        "1. 分区生成器：多域图像合成",
    ),
    (14, 18, "1812.20002", "Sparse Teachers for Compact Students", "2018-12-28", "2. 稀疏教师：蒸馏中的剪枝"),
    (20, 24, "1902.10003", "Calibrating Low-Bit Quantizers Without Data", "2019-02-22", "3. 低比特量化的校准"),
    (26, 29, "1902.10004", "Deformable Attention for One-Stage Detectors", "2019-02-23", "4. 可变形注意力检测器"),
    (
        31,
        34,
        "1902.10005",
        "Are Cycles Needed? Unpaired Translation With Contrastive Anchors",
        "2019-02-24",
        "5. 图像翻译的循环约束",
    ),
]


def _text(name: str, crlf: bool = False) -> str:
    text = (SHAPES / name).read_text(encoding="utf-8")
    return text.replace("\n", "\r\n") if crlf else text


def _parse(name: str, crlf: bool = False) -> ReadingList:
    return parse_reading_list(_text(name, crlf))


def _at(reading_list: ReadingList, line: int) -> Entry:
    (entry,) = [entry for entry in reading_list.entries if entry.line == line]
    return entry


# --- item 1: a paper written twice in one block ------------------------------


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_daily_post_block_is_one_entry_per_paper(crlf: bool) -> None:
    daily = _parse("daily-post.md", crlf)
    assert len(daily.entries) == len(DAILY)
    assert [entry.arxiv_ids for entry in daily.entries] == [(arxiv_id,) for _, _, arxiv_id, *_ in DAILY]
    for line, end_line, arxiv_id, title, date, heading in DAILY:
        entry = _at(daily, line)
        assert (entry.end_line, entry.arxiv_id, entry.is_paper) == (end_line, arxiv_id, True)
        assert entry.noted_title == title
        assert entry.noted_date is not None and entry.noted_date.text == date
        assert entry.title_as_written == heading
        assert heading in entry.raw and title in entry.raw


def test_daily_post_raw_keeps_the_whole_block_and_its_line_endings() -> None:
    entry = _at(_parse("daily-post.md", crlf=True), 9)
    assert entry.raw.count("\r\n") == 3
    assert entry.raw.startswith("#### [1. 分区生成器") and entry.raw.endswith("/1902.10001>.")


def test_daily_post_publication_year_never_beats_the_noted_date() -> None:
    # The citation says (2019); the post says it appeared on 2018-12-28.
    entry = _at(_parse("daily-post.md"), 14)
    assert entry.noted_date == NotedDate("2018-12-28", "day", 2018, 12, 28)


def test_daily_post_notes_keep_tags_and_comments_not_the_citation() -> None:
    entry = _at(_parse("daily-post.md"), 14)
    assert entry.notes == "标签：蒸馏, 剪枝\n作者把剪枝放进了蒸馏的教师网络里。"
    assert [(link.role, link.arxiv_id) for link in entry.links] == [("title", "1812.20002"), ("paper", "1812.20002")]


def test_heading_followed_by_another_paper_stays_two_entries() -> None:
    text = (
        "# Posts\n\n#### [1. 第一篇](https://arxiv.org/abs/1902.10001)\n发表时间：2019-02-21\n"
        ">Okafor, N. (2019). Some Other Paper. <https://arxiv.org/abs/1902.19999>.\n"
    )
    entries = parse_reading_list(text).entries
    assert [entry.arxiv_ids for entry in entries] == [("1902.10001",), ("1902.19999",)]
    assert entries[0].noted_title == "1. 第一篇"
    assert entries[0].title_as_written is None
    assert entries[1].noted_title == "Some Other Paper"


def test_labelled_date_wins_over_a_parenthesized_year() -> None:
    text = "- [Some Title](https://arxiv.org/abs/1902.10001) (2019) 发表时间：2019-02-21\n"
    (entry,) = parse_reading_list(text).entries
    assert entry.noted_date == NotedDate("2019-02-21", "day", 2019, 2, 21)


# --- item 3: citations as titles -----------------------------------------------


@pytest.mark.parametrize(
    ("line", "title"),
    [
        (7, "Mixed Precision Search by Gradient Descent"),
        (8, "Ternary Weights Revisited: A Training Recipe"),
        (9, "Quantized Attention for Edge Devices"),
        (10, "Bit-Serial Inference Kernels"),
        # Not citations: a title with a year after it, an author with no initials.
        (11, "Pruning Filters by Their Echo (2019)"),
        (12, "Smith (2019). Notes on Anything"),
    ],
)
def test_citation_form_titles_give_the_title_inside(line: int, title: str) -> None:
    entry = _at(_parse("awesome-citations.md"), line)
    assert entry.noted_title == title


def test_citation_notes_keep_the_free_text() -> None:
    entry = _at(_parse("awesome-citations.md"), 10)
    assert entry.notes == "fast kernels for 2-bit weights"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Csaba, B., Boukhayma, A., ... (2019). Domain Partitioning Network.", "Domain Partitioning Network"),
        ("Li, X.-Y., & van der Berg, J. (2020a). A Title: With a Colon. In CVPR.", "A Title: With a Colon"),
        ("Zhang, W., et al. (2018). Why Sparse? A Study.", "Why Sparse? A Study"),
        ("S. Han, H. Mao, and W. J. Dally. Deep Compact Nets. ICLR, 2016.", "Deep Compact Nets"),
        ("Han S, Mao H, Dally W J. Deep Compact Nets[J]. arXiv preprint, 2015.", "Deep Compact Nets"),
        # When unsure, nothing: no initials, no year, plain sentences, a title with a year.
        ("Smith (2019). Notes on Anything.", None),
        ("Deep Compact Nets. ICLR, 2016.", None),
        ("We prune (2019). Then we train. ICLR 2019.", None),
        ("Pruning Filters by Their Echo (2019)", None),
        ("Attention Is All You Need", None),
    ],
)
def test_citation_title(text: str, title: str | None) -> None:
    assert citation_title(text) == title


# --- item 5: broken title links and ID-only link text ---------------------------


@pytest.mark.parametrize(
    ("line", "title"),
    [
        (5, None),  # [arXiv:1806.40001](...)
        (6, None),  # [1806.40002](...)
        (7, "Learning to Grow Sparse Networks"),  # the text before an ID-only link
        (8, "Describing Textures in the Wild A Survey"),  # a `[` never closed: the link text it opened
        (9, None),  # a `[` never closed, then another item's number: which title is the link's is unclear
        (10, None),  # [arXiv: 1806.40006v2](...)
    ],
)
def test_broken_title_links_and_id_only_labels(line: int, title: str | None) -> None:
    entry = _at(_parse("broken-links.md"), line)
    assert entry.noted_title == title
    assert entry.is_paper and len(entry.arxiv_ids) == 1
    assert "[" not in (entry.notes or "")


def test_id_only_label_is_the_paper_link() -> None:
    entry = _at(_parse("broken-links.md"), 5)
    assert [(link.role, link.arxiv_id) for link in entry.links] == [("paper", "1806.40001")]


# --- end to end: import, reconcile ---------------------------------------------


def _papers_json(path: Path) -> Path:
    records = []
    for _, _, arxiv_id, title, date, _ in DAILY:
        records.append(
            {
                "id": arxiv_id,
                "authors": [{"name": "A. Author", "affiliations": []}],
                "abstract": "An abstract.",
                "primary_category": "cs.CV",
                "categories": ["cs.CV"],
                "comment": None,
                "journal_ref": None,
                "doi": None,
                "versions": [{"version": 1, "submitted": f"{date}T12:00:00Z", "title": title}],
            }
        )
    path.write_text(json.dumps({"papers": records}), encoding="utf-8")
    return path


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_daily_post_reconciles_without_noise(tmp_path: Path, crlf: bool) -> None:
    listing = tmp_path / "lists" / "daily-post.md"
    listing.parent.mkdir()
    listing.write_bytes(_text("daily-post.md", crlf).encode("utf-8"))
    db = new_db(tmp_path / "h.db")
    import_file(db, SEED)
    import_file(db, listing)
    load_papers(db)
    load_papers(db, _papers_json(tmp_path / "daily.json"))
    run_reconcile(db, now=NOW)
    daily_ids = {arxiv_id for _, _, arxiv_id, *_ in DAILY}
    found = [
        (row["kind"], row["arxiv_id"])
        for row in open_findings(db)
        if row["list_name"] == "daily-post.md" and row["arxiv_id"] in daily_ids
    ]
    noisy = {"duplicate_entry", "title_mismatch", "date_mismatch"}
    assert [item for item in found if item[0] in noisy] == []
    stored = db.execute(
        "SELECT noted_title, noted_date FROM entries WHERE list_id = (SELECT id FROM lists WHERE name = ?) ORDER BY line",
        ["daily-post.md"],
    ).fetchall()
    assert stored == [(title, date) for _, _, _, title, date, _ in DAILY]


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    "text",
    [
        "A B C and " * 59 + "x",  # names that split many ways, never ending in a title
        "Aa B C, " * 70 + "x",
        "Aa, B., " * 70 + "(2019) x",
        "A. " * 190 + "x",
    ],
)
def test_citation_shapes_that_never_end_cost_one_pass(text: str) -> None:
    assert citation_title(text) is None
    line = f"- [{text}](https://arxiv.org/abs/1902.10001)\n- {text} [pdf](https://arxiv.org/abs/1902.10002)\n"
    assert [entry.arxiv_id for entry in parse_reading_list(line * 50).entries] == ["1902.10001", "1902.10002"] * 50


def test_a_link_labelled_as_an_extension_is_another_paper_not_a_second_id() -> None:
    from harvester.readinglist.linkroles import label_role

    assert [label_role(label) for label in ("Extension1", "Extension", "extended version", "Journal version")] == [
        "related",
        "related",
        "related",
        "related",
    ]
    assert [label_role(label) for label in ("paper", "Extensive Experiments on Pruning", "code")] == [
        "paper",
        None,
        "code",
    ]


# The titles the curator meant (what arXiv would say), where the line gives one.
MEANT = {
    "1811.30001": "Mixed Precision Search by Gradient Descent",
    "1905.30002": "Ternary Weights Revisited: A Training Recipe",
    "1910.30003": "Quantized Attention for Edge Devices",
    "1709.30004": "Bit-Serial Inference Kernels",
    "1903.30005": "Pruning Filters by Their Echo",
    "1806.40003": "Learning to Grow Sparse Networks",
}


@pytest.mark.parametrize("name", ["awesome-citations.md", "broken-links.md"])
def test_citation_and_broken_title_lists_reconcile_without_noise_when_arxiv_agrees(tmp_path: Path, name: str) -> None:
    """arXiv agreeing with what the curator meant: citation titles, ID-only and broken links raise nothing."""
    listing = tmp_path / "lists" / name
    listing.parent.mkdir()
    listing.write_bytes((SHAPES / name).read_bytes())
    db = new_db(tmp_path / "h.db")
    import_file(db, listing)
    records = []
    for row in db.query(
        "SELECT arxiv_id, noted_title, noted_year, noted_month, noted_day FROM entries "
        "WHERE arxiv_id IS NOT NULL AND is_paper = 1"
    ):
        day = f"{row['noted_year'] or 2018}-{row['noted_month'] or 6:02d}-{row['noted_day'] or 15:02d}"
        records.append(
            {
                "id": row["arxiv_id"],
                "authors": [{"name": "A. Author", "affiliations": []}],
                "abstract": "An abstract.",
                "primary_category": "cs.LG",
                "categories": ["cs.LG"],
                "comment": None,
                "journal_ref": None,
                "doi": None,
                "versions": [
                    {
                        "version": 1,
                        "submitted": f"{day}T12:00:00Z",
                        "title": MEANT.get(row["arxiv_id"]) or row["noted_title"] or "A Title the Line Does Not Give",
                    }
                ],
            }
        )
    assert len(records) >= 6
    papers = tmp_path / "papers.json"
    papers.write_text(json.dumps({"papers": records}), encoding="utf-8")
    load_papers(db, papers)
    run_reconcile(db, now=NOW)
    noisy = [
        (row["line"], row["kind"], row["noted"])
        for row in open_findings(db)
        if row["severity"] != "info" and row["kind"] != "mirror_link"
    ]
    assert noisy == [], noisy
    assert {row["arxiv_id"] for row in db.query("SELECT arxiv_id FROM papers")} >= set(r["id"] for r in records)
