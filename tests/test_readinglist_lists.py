"""The four extra reading lists: every arXiv ID a careful reader finds, and entries field by field.

The expected ID sets were read off the files (every arxiv.org-family URL and
`arXiv:` mention, checked by eye), not produced by the parser.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harvester.readinglist import Entry, Link, NotedDate, ReadingList, parse_reading_list

LISTS = Path(__file__).parent / "fixtures" / "reading-lists"

GAN_IDS = frozenset(
    {
        "1406.2661",
        "1411.1784",
        "1506.05751",
        "1511.05440",
        "1511.05644",
        "1511.06390",
        "1511.06434",
        "1601.02644",
        "1601.05110",
        "1602.02644",
        "1602.05110",
        "1603.05631",
        "1603.07442",
        "1605.05396",
        "1605.07725",
        "1605.09304",
        "1605.09782",
        "1606.00704",
        "1606.03498",
        "1606.03657",
        "1606.07536",
        "1607.02748",
        "1609.02612",
        "1609.03126",
        "1609.03552",
        "1609.04468",
        "1609.05473",
        "1610.01945",
        "1610.02454",
        "1610.09585",
        "1611.00005",
        "1611.01799",
        "1611.02163",
        "1611.02200",
        "1611.03242",
        "1611.04051",
        "1611.04076",
        "1611.06355",
        "1611.07004",
        "1611.07828",
        "1611.09904",
        "1701.00160",
        "1701.01081",
        "1701.02206",
        "1701.02386",
        "1701.02676",
        "1701.04862",
        "1701.07717",
        "1701.07875",
        "1701.07983",
        "1701.08431",
        "1703.00573",
        "1703.00848",
        "1703.05192",
        "1703.05921",
        "1703.07195",
        "1703.10593",
        "1703.10717",
        "1703.10847",
        "1704.00028",
        "1705.09783",
        "1705.10513",
        "1705.11122",
        "1706.05274",
        "1706.08500",
        "1707.04993",
        "1707.07418",
        "1709.06548",
        "1711.05139",
        "1711.05914",
        "1711.09020",
        "1711.11585",
        "1711.11586",
        "1801.03446",
        "1801.04406",
        "1804.04732",
        "1805.08318",
        "1806.07755",
        "1807.09499",
        "1808.04859",
        "1808.07371",
        "1809.11096",
        "1811.04948",
        "1811.10666",
        "1811.11212",
        "1905.07290",
        "1905.08474",
        "1905.08613",
        "1905.08622",
        "1905.08633",
        "1905.08766",
        "1905.10170",
        "1907.04378",
        "1907.10107",
        "1910.04639",
    }
)
DETECTION_IDS = frozenset(
    {
        "1311.2524",
        "1504.08083",
        "1506.01497",
        "1506.02640",
        "1512.02325",
        "1601.04798",
        "1604.00600",
        "1605.06409",
        "1612.03144",
        "1612.08242",
        "1701.06659",
        "1703.06211",
        "1703.06870",
        "1704.03414",
        "1704.04503",
        "1704.05776",
        "1705.05274",
        "1705.08574",
        "1705.09587",
        "1707.01691",
        "1708.01241",
        "1708.02002",
        "1711.06897",
        "1711.07240",
        "1711.07767",
        "1711.08189",
        "1711.10398",
        "1711.11575",
        "1712.00433",
        "1712.00726",
        "1712.00960",
        "1712.01802",
        "1803.01534",
        "1803.03243",
        "1803.07113",
        "1804.00428",
        "1804.02767",
        "1804.04340",
        "1804.06215",
        "1804.06882",
        "1805.02152",
        "1805.06157",
        "1805.06361",
        "1805.09512",
        "1805.09790",
        "1806.04728",
        "1807.00980",
        "1807.05511",
        "1807.11590",
        "1808.01244",
        "1808.04974",
        "1808.07993",
        "1809.02165",
        "1809.03193",
        "1809.08545",
        "1810.12681",
        "1811.04533",
        "1811.05588",
        "1811.06700",
        "1811.08982",
        "1901.01892",
        "1901.03278",
        "1901.06563",
        "1901.08043",
        "1902.09630",
        "1903.11752",
        "1904.01355",
        "1904.02701",
        "1904.04402",
        "1904.07392",
        "1904.12619",
        "1905.05055",
        "1905.09994",
        "1905.10011",
        "1905.10296",
        "1907.00734",
        "1907.09408",
        "1908.07919",
        "1910.03159",
        "1910.04093",
        "1910.06528",
        "1910.11443",
        "1910.11534",
        "1911.09070",
        "2002.06797",
        "2004.10934",
        "2005.12872",
        "2006.11406",
        "2007.03496",
        "2010.04159",
        "2011.12450",
        "2012.03544",
        "2012.05780",
        "2012.06785",
        "2012.09958",
    }
)
PRUNING_IDS = frozenset(
    {
        "1506.02626",
        "1510.00149",
        "1608.04493",
        "1608.08710",
        "1611.05128",
        "1611.05162",
        "1611.06440",
        "1701.05369",
        "1705.07565",
        "1707.01213",
        "1707.06168",
        "1707.06342",
        "1708.06519",
        "1710.01878",
        "1711.05769",
        "1711.05908",
        "1802.00124",
        "1802.03494",
        "1803.03635",
        "1804.03294",
        "1807.09810",
        "1808.06866",
        "1810.00859",
        "1810.02340",
        "1810.05270",
        "1810.05331",
        "1810.11764",
        "1810.11809",
        "1811.00250",
        "1811.09332",
        "1811.12495",
        "1812.00353",
        "1812.01839",
        "1902.03538",
        "1903.03777",
        "1903.09291",
        "1903.10258",
        "1903.12561",
        "1904.03837",
        "1904.12368",
        "1905.01067",
        "1905.04748",
        "1905.04967",
        "1905.05934",
        "1905.09717",
        "1905.10138",
        "1905.11664",
        "1906.02773",
        "1906.03728",
        "1906.06307",
        "1906.10337",
        "1907.03141",
        "1907.04018",
        "1907.10804",
        "1908.00173",
        "1908.04355",
        "1908.08932",
        "1909.08174",
        "1909.12579",
        "1909.12778",
        "1911.07412",
        "1911.08020",
        "1911.08114",
        "1912.00120",
        "1912.04427",
        "2001.08565",
        "2002.00585",
        "2002.03231",
        "2002.04809",
        "2002.10179",
        "2002.10509",
        "2003.01794",
        "2003.02389",
        "2003.08935",
        "2003.12563",
        "2003.13683",
        "2004.02164",
        "2005.03354",
        "2005.07093",
        "2005.07683",
        "2005.11035",
        "2006.05467",
        "2006.08509",
        "2006.09358",
        "2006.10621",
        "2006.12156",
        "2007.02491",
        "2007.03219",
        "2007.03938",
        "2007.10463",
        "2009.11094",
        "2009.14410",
        "2010.04879",
        "2010.10732",
        "2010.13160",
        "2010.15703",
        "2012.00596",
        "2103.05861",
        "2104.02244",
        "2104.03438",
        "2105.10065",
        "2105.11228",
        "2105.12971",
        "2108.00708",
        "2303.00566",
    }
)
COMPRESSION_IDS = frozenset(
    {
        "1404.0736",
        "1411.4229",
        "1412.6115",
        "1412.6550",
        "1503.02531",
        "1505.06798",
        "1506.02626",
        "1510.00149",
        "1511.06067",
        "1511.06530",
        "1511.07838",
        "1512.01322",
        "1512.06473",
        "1602.02830",
        "1602.07360",
        "1603.05279",
        "1603.09382",
        "1606.05316",
        "1606.06160",
        "1606.07947",
        "1608.01409",
        "1608.04493",
        "1608.06049",
        "1608.08710",
        "1609.07061",
        "1610.02357",
        "1610.09650",
        "1611.01600",
        "1611.05128",
        "1611.05402",
        "1611.05431",
        "1611.06440",
        "1611.10176",
        "1612.00694",
        "1612.01051",
        "1612.01064",
        "1612.01543",
        "1612.03928",
        "1702.00953",
        "1702.04008",
        "1703.09746",
        "1704.04861",
        "1704.06904",
        "1706.02393",
        "1706.03912",
        "1707.01083",
        "1707.01209",
        "1707.01213",
        "1707.01219",
        "1707.01220",
        "1707.04319",
        "1707.04693",
        "1707.06342",
        "1707.09102",
        "1709.00513",
        "1709.02929",
        "1709.05943",
        "1710.07535",
        "1710.09282",
        "1710.09505",
        "1711.01243",
        "1711.02613",
        "1801.04381",
        "1809.08458",
        "1907.05686",
        "2106.08962",
        "2106.09685",
        "2109.12948",
        "2110.02861",
        "2111.11124",
        "2203.13483",
        "2206.01861",
        "2206.09557",
        "2208.07339",
        "2209.05433",
        "2210.17323",
        "2211.10438",
        "2212.09720",
        "2301.00774",
        "2301.02654",
        "2301.13741",
        "2305.14314",
        "2306.11695",
    }
)


def _parse(name: str) -> ReadingList:
    # newline="" keeps CRLF as written, so the parser sees the file's own line endings.
    with open(LISTS / name, encoding="utf-8", newline="") as handle:
        return parse_reading_list(handle.read())


def _found_ids(reading_list: ReadingList) -> set[str]:
    named = {arxiv_id for entry in reading_list.entries for arxiv_id in entry.arxiv_ids}
    linked = {link.arxiv_id for entry in reading_list.entries for link in entry.links if link.arxiv_id}
    return named | linked


def _at(reading_list: ReadingList, line: int) -> Entry:
    (entry,) = [entry for entry in reading_list.entries if entry.line == line]
    return entry


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gan-2019-03-26.md", GAN_IDS),
        ("detection-2019-05-10.md", DETECTION_IDS),
        ("awesome-pruning.md", PRUNING_IDS),
        ("awesome-ml-model-compression.md", COMPRESSION_IDS),
    ],
)
def test_every_arxiv_id_found_and_none_invented(name: str, expected: frozenset[str]) -> None:
    found = _found_ids(_parse(name))
    assert sorted(found - expected) == []  # invented
    assert sorted(expected - found) == []  # missed


@pytest.mark.parametrize(
    ("name", "entries", "papers"),
    [
        # 131 numbered items, 5 linked headings, 1 linked paragraph; 25 appendix entries,
        # the 5 headings and one code-only item are not papers.
        ("gan-2019-03-26.md", 137, 106),
        # 114 numbered and 6 bulleted items, 4 linked paragraphs, 2 table rows with links.
        ("detection-2019-05-10.md", 126, 108),
        # 278 table rows with links, 11 contents items, 2 paragraphs + 7 related repos, 2 headings.
        ("awesome-pruning.md", 300, 279),
        # 138 bullets and the badge heading.
        ("awesome-ml-model-compression.md", 139, 93),
    ],
)
def test_entry_counts(name: str, entries: int, papers: int) -> None:
    reading_list = _parse(name)
    assert len(reading_list.entries) == entries
    assert len(reading_list.paper_entries) == papers
    assert [entry.position for entry in reading_list.entries] == list(range(entries))


def test_every_entry_of_a_paper_entry_names_a_paper() -> None:
    for name in ("gan-2019-03-26.md", "detection-2019-05-10.md", "awesome-pruning.md"):
        for entry in _parse(name).paper_entries:
            assert entry.arxiv_id is not None or entry.noted_title is not None


# --- gan-2019-03-26.md ------------------------------------------------------


@pytest.fixture(scope="module")
def gan() -> ReadingList:
    return _parse("gan-2019-03-26.md")


def test_gan_title_and_link_chain_with_two_ids(gan: ReadingList) -> None:
    assert gan.title == "「DL」 GAN 资源汇总"
    entry = _at(gan, 410)
    assert entry.section_path == ("4 其他",)
    assert (entry.end_line, entry.is_paper) == (412, True)
    assert entry.noted_title == "Generating Images with Perceptual Similarity Metrics based on Deep Networks"
    # The title link and the paper link disagree; both are kept, the title's wins.
    assert (entry.arxiv_id, entry.arxiv_ids) == ("1601.02644", ("1601.02644", "1602.02644"))
    assert entry.noted_date == NotedDate("2016-02-08", "day", 2016, 2, 8)
    assert (entry.noted_venue, entry.rating, entry.notes) == (None, None, "DeepSim")
    assert [(link.role, link.arxiv_id, link.line) for link in entry.links] == [
        ("title", "1601.02644", 410),
        ("paper", "1602.02644", 411),
        ("code", None, 411),
    ]


def test_gan_versioned_pdf_link(gan: ReadingList) -> None:
    entry = _at(gan, 328)
    assert entry.section_path == ("3 业务", "3.3 NLP", "3.3.1 图像翻译")
    assert entry.end_line == 330
    assert entry.arxiv_id == "1611.07004"
    assert entry.links[0] == Link(
        url="http://cn.arxiv.org/pdf/1611.07004v1.pdf",
        label="Image-to-image translation using conditional adversarial nets",
        role="title",
        line=328,
        arxiv_id="1611.07004",
        arxiv_version=1,
    )
    assert [link.role for link in entry.links[1:]] == ["code", "code"]


def test_gan_mistyped_mirror_and_long_venue(gan: ReadingList) -> None:
    entry = _at(gan, 287)
    assert entry.links[0].url == "http://cv.arxiv.org/abs/1905.07290"
    assert entry.links[0].arxiv_id == "1905.07290"
    assert entry.noted_venue == "ICML Workshop on AI for Autonomous Driving 2019"
    assert entry.noted_date == NotedDate("2019-05-17", "day", 2019, 5, 17)


def test_gan_non_arxiv_title_link_with_marker(gan: ReadingList) -> None:
    entry = _at(gan, 442)
    assert entry.links[0].arxiv_id is None  # mathpubs.com is not arXiv, whatever its path says
    assert entry.arxiv_id == "1611.01799"
    assert entry.noted_venue == "ICLR 2017"
    assert entry.links[2] == Link("https://github.com/Shuangfei/vgan", "theano", "code", 443, marker="offical")


def test_gan_author_before_title_and_plain_date(gan: ReadingList) -> None:
    entry = _at(gan, 28)
    assert entry.noted_title == "NIPS 2016 tutorial: generative adversarial networks"
    assert entry.arxiv_ids == ("1701.00160",)
    assert entry.noted_date == NotedDate("2016-12-31", "day", 2016, 12, 31)
    assert [link.role for link in entry.links] == ["title", "paper"]


# --- detection-2019-05-10.md --------------------------------------------------


@pytest.fixture(scope="module")
def detection() -> ReadingList:
    return _parse("detection-2019-05-10.md")


def test_detection_rating_and_zero_width_spaces(detection: ReadingList) -> None:
    entry = _at(detection, 21)
    assert (entry.end_line, entry.arxiv_id) == (24, "1807.05511")
    assert (entry.rating, entry.rating_text) == (2, r"$\bullet \bullet$")
    assert entry.notes is not None and "\u200b" not in entry.notes
    assert entry.notes.split("\n")[0] == "review"
    assert entry.notes.endswith("这样就可以保证网络总是在同样scale的物体上训练，也就是标题中Scale Normalized的意思；")
    assert "\u200b" in entry.raw  # raw stays exactly as written


def test_detection_venue_before_hidden_space_and_markers(detection: ReadingList) -> None:
    entry = _at(detection, 66)
    assert entry.noted_venue == "ECCV 2016 Oral"
    assert entry.notes == "多特征图；"
    assert [(link.label, link.marker) for link in entry.links if link.marker] == [
        ("caffe", "official"),
        ("mxnet", "cpp"),
    ]
    assert sum(link.role == "code" for link in entry.links) == 14


def test_detection_empty_title_link_and_bare_url(detection: ReadingList) -> None:
    entry = _at(detection, 286)
    assert entry.section_path == ("3 检测框架", "3.4 Transformer")
    assert entry.end_line == 288
    assert entry.noted_title == "Receptive Field Block Net for Accurate and Fast Object Detection"
    assert entry.noted_date == NotedDate("2017.11", "month", 2017, 11)
    assert entry.links == (
        Link("", "Receptive Field Block Net for Accurate and Fast Object Detection", "title", 286),
        Link("https://arxiv.org/abs/1711.07767", "", "paper", 288, "1711.07767"),
    )
    assert (entry.arxiv_id, entry.notes, entry.is_paper) == ("1711.07767", "RBF", True)


def test_detection_month_date_and_versioned_pdf(detection: ReadingList) -> None:
    entry = _at(detection, 414)
    assert entry.noted_date == NotedDate("2018-07", "month", 2018, 7)
    assert entry.noted_venue == "NIPS 2018"
    assert (entry.links[0].arxiv_id, entry.links[0].arxiv_version) == ("1807.00980", 2)
    assert entry.notes == "旷视科技 & 复旦大学\n动态 anchor；"


def test_detection_item_without_paper_is_not_a_paper(detection: ReadingList) -> None:
    entry = _at(detection, 161)
    assert (entry.is_paper, entry.noted_title, entry.arxiv_id) == (False, None, None)
    assert [link.role for link in entry.links] == ["code", "notes"]


def test_detection_appendix_table_rows(detection: ReadingList) -> None:
    rows = [entry for entry in detection.entries if entry.section_path == ("附录", "C 数据集")]
    assert [(entry.line, entry.noted_title, entry.is_paper) for entry in rows] == [
        (562, "COCO", False),
        (563, "object365", False),
        (566, "COCO数据集提取自己需要的类转VOC", False),
    ]
    assert rows[0].notes == "类型: 通用目标检测\n微软"


# --- awesome-pruning.md (CRLF, tables) ----------------------------------------


@pytest.fixture(scope="module")
def pruning() -> ReadingList:
    return _parse("awesome-pruning.md")


def test_pruning_sections_skip_the_table_of_contents(pruning: ReadingList) -> None:
    assert pruning.title == "Awesome Pruning"
    assert [(section.path, section.is_paper_section) for section in pruning.sections[:4]] == [
        (("Awesome Pruning",), True),
        (("Awesome Pruning", "Table of Contents"), False),
        (("Awesome Pruning", "Type of Pruning"), True),
        (("Awesome Pruning", "A Survey of Structured Pruning (arXiv version and IEEE T-PAMI version)"), True),
    ]
    assert pruning.sections[-1].path == ("Awesome Pruning", "Related Repo")
    assert not pruning.sections[-1].is_paper_section


def test_pruning_row_with_two_ids(pruning: ReadingList) -> None:
    entry = _at(pruning, 304)
    assert entry.section_path == ("Awesome Pruning", "2019")
    assert entry.noted_title == "On Implicit Filter Level Sparsity in Convolutional Neural Networks"
    assert (entry.arxiv_id, entry.arxiv_ids) == ("1811.12495", ("1811.12495", "1905.04967"))
    assert (entry.noted_venue, entry.notes) == ("CVPR", "Type: F")
    # "Extension1" and "Extension2" are later papers of the same authors, not this entry's paper.
    assert [link.role for link in entry.links] == ["title", "related", "related", "code"]
    assert "\r" not in entry.raw and entry.raw.startswith("| [On Implicit Filter")


def test_pruning_versioned_and_pdf_rows(pruning: ReadingList) -> None:
    versioned = _at(pruning, 229)
    assert (versioned.links[0].arxiv_id, versioned.links[0].arxiv_version) == ("1912.04427", 4)
    assert versioned.noted_venue == "NeurIPS"
    pdf = _at(pruning, 324)
    assert (pdf.arxiv_id, pdf.links[0].url) == ("1810.11764", "https://arxiv.org/pdf/1810.11764.pdf")
    assert len(pdf.links) == 1


def test_pruning_openreview_row_with_marker(pruning: ReadingList) -> None:
    entry = _at(pruning, 58)
    assert entry.is_paper and entry.arxiv_id is None
    assert entry.noted_title == "Revisiting Pruning at Initialization Through the Lens of Ramanujan Graph"
    assert entry.noted_venue == "ICLR"
    assert entry.links[1] == Link(
        "https://github.com/VITA-Group/ramanujan-on-pai", "PyTorch(Author)", "code", 58, marker="Releasing"
    )


def test_pruning_paper_named_in_a_heading(pruning: ReadingList) -> None:
    entry = _at(pruning, 37)
    assert (entry.arxiv_id, entry.noted_title, entry.is_paper) == ("2303.00566", "A Survey of Structured Pruning", True)
    assert [link.role for link in entry.links] == ["paper", "other"]


# --- awesome-ml-model-compression.md -------------------------------------------


@pytest.fixture(scope="module")
def compression() -> ReadingList:
    return _parse("awesome-ml-model-compression.md")


def test_compression_non_paper_sections(compression: ReadingList) -> None:
    kinds = {section.path: section.is_paper_section for section in compression.sections}
    assert kinds[("Contents",)] is False
    assert kinds[("Papers", "Quantization")] is True
    assert kinds[("Tools", "Paper Implementations")] is False
    assert kinds[("License",)] is False
    assert kinds[("Articles", "Blogs")] is False


def test_compression_bullet_with_year_and_code(compression: ReadingList) -> None:
    entry = _at(compression, 78)
    assert entry.section_path == ("Papers", "Quantization")
    assert entry.arxiv_id == "2211.10438"
    assert entry.noted_date == NotedDate("2022", "year", 2022)
    assert entry.notes == "by MIT and NVIDIA"
    assert [(link.role, link.label) for link in entry.links] == [
        ("title", "SmoothQuant: Accurate and Efficient Post-Training Quantization for Large Language Models"),
        ("code", "code"),
    ]


def test_compression_versioned_link_and_nested_list(compression: ReadingList) -> None:
    entry = _at(compression, 56)
    assert (entry.links[0].arxiv_id, entry.links[0].arxiv_version) == ("1606.05316", 2)
    outer, inner = _at(compression, 86), _at(compression, 87)
    assert (outer.is_paper, outer.notes, outer.links) == (False, "Other lists:", ())
    assert (inner.is_paper, inner.links[0].role) == (False, "code")


def test_compression_trailing_space_in_destination(compression: ReadingList) -> None:
    entry = _at(compression, 145)
    assert entry.links[0].url == "https://arxiv.org/abs/2106.09685"
    assert entry.notes == "Low-rank adapters were proposed for GPT-like models by Hu et al."
