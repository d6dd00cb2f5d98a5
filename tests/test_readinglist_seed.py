"""The seed list, entry by entry, as a careful reader of seeds/model-compression.md sees it."""

from __future__ import annotations

from pathlib import Path

import pytest

from harvester.readinglist import Entry, Link, NotedDate, ReadingList, Section, parse_reading_list

SEED = Path(__file__).parent.parent / "seeds" / "model-compression.md"

# section, first line, last line, arXiv ID, date as written, venue, title as written, notes
EXPECTED = [
    (
        "1 综述",
        18,
        19,
        "1510.00149",
        "2015-10-01",
        "ICLR 2016 oral",
        "Deep Compression: Compressing Deep Neural Network with Pruning, Trained Quantization and Huffman Coding",
        None,
    ),
    (
        "2 理论",
        23,
        24,
        "1905.10324",
        "2019-05-24",
        None,
        "Doctor of Crosswise: Reducing Over-parametrization in Neural Networks",
        None,
    ),
    (
        "2 理论",
        26,
        27,
        "1907.00274",
        "2019-06-29",
        "CVPR 2019",
        "NetTailor: Tuning the Architecture, Not Just the Weights",
        None,
    ),
    (
        "3 剪枝",
        30,
        31,
        "1803.04239",
        "2018-03-12",
        None,
        "FeTa: A DCA Pruning Algorithm with Generalization Error Guarantees",
        None,
    ),
    ("3 剪枝", 33, 34, "1905.08793", "2019-05-21", None, "Revisiting hard thresholding for DNN pruning", None),
    (
        "3 剪枝",
        36,
        38,
        "1907.00262",
        "2019-01-29",
        None,
        "Dissecting Pruned Neural Networks",
        "修剪 resnet50，而不影响可解释性；",
    ),
    ("5 低秩分解", 41, 42, "1905.10145", "2019-05-24", None, "Learning Low-Rank Approximation for CNNs", None),
    (
        "5 低秩分解",
        44,
        46,
        "1910.04576",
        "2019-10-09",
        "NIPS 2019 workshop",
        "Traned Rank Pruning for Efficient Deep Neural Networks",
        "认为离线低秩分解误差太大，于是将其集成到训练过程；",
    ),
    ("6 权值量化", 49, 50, "1905.07376", "2019-05-17", None, "Integer Discrete Flows and Lossless Compression", None),
    (
        "6 权值量化",
        52,
        53,
        "1907.00593",
        "2019-07-01",
        None,
        "Weight Normalization based Quantization for Deep Neural Network Compression",
        None,
    ),
    (
        "6 权值量化",
        55,
        56,
        "2006.09679",
        "2020-06-17",
        None,
        "StatAssist & GradBoost: A Study on Optimal INT8 Quantization-aware Training from Scratch",
        None,
    ),
    (
        "7 知识蒸馏",
        59,
        62,
        "1905.07072",
        "2019-05-17",
        "ICML 2019 workshop",
        "Dream Distillation: A Data-Independent Model Compression Framework",
        "无需重新训练的模型压缩方法；",
    ),
    ("7 知识蒸馏", 64, 65, "1907.05640", "2019-07-12", None, "AVD: Adversarial Video Distillation", None),
    (
        "7 知识蒸馏",
        67,
        69,
        "1910.04641",
        "2019-10-10",
        "NIPS 2019",
        "Cross-modal knowledge distillation for action recognition",
        "跨模态知识蒸馏（动作识别），使用交叉熵损失代替 KL 散度；认为其对于小数据集效果更好；",
    ),
    (
        "8 嵌入式加速",
        72,
        73,
        "1906.08859",
        "2019-05-06",
        None,
        "Closing the Accuracy Gap in an Event-Based Visual Recognition Task",
        None,
    ),
    ("9 其他", 76, 77, "1905.08170", "2019-05-20", None, "DARC: Differentiable ARchitecture Compression", None),
    ("9 其他", 79, 80, "1905.08922", "2019-05-21", None, "Geometry of Deep Convolutional Networks", None),
    ("9 其他", 82, 83, "1907.05642", "2019-07-12", None, "Deep Model Compression via Filter Auto-sampling", None),
    (
        "9 其他",
        85,
        87,
        "1907.05686",
        "2019-07-12",
        None,
        "And the Bit Goes Down: Revisiting the Quantization of Neural Networks",
        "对 resnet 系列网络进行了压缩；",
    ),
]

# Title links that still point at the retired cn.arxiv.org mirror (the rest use arxiv.org).
ON_ARXIV_ORG = {"1510.00149", "1803.04239"}


@pytest.fixture(scope="module")
def seed() -> ReadingList:
    return parse_reading_list(SEED.read_text(encoding="utf-8"))


def test_title_and_front_matter(seed: ReadingList) -> None:
    assert seed.title == "\u300cDL\u300d \u6a21\u578b\u538b\u7f29\u8d44\u6e90\u6c47\u603b"
    assert seed.title == "「DL」 模型压缩资源汇总"
    assert seed.front_matter == {
        "layout": "article",
        "title": "「DL」 模型压缩资源汇总",
        "date": "2019-05-21 09:08:40 +0800",
        "key": "deep-compression-foundation-20190521",
        "aside": "",
        "category": "[AI, DL, compression]",
        "tags": "资源",
    }


def test_sections_as_written_with_the_gap_at_4(seed: ReadingList) -> None:
    assert seed.sections == (
        Section("1 综述", ("1 综述",), 1, 17, True),
        Section("2 理论", ("2 理论",), 1, 22, True),
        Section("3 剪枝", ("3 剪枝",), 1, 29, True),
        Section("5 低秩分解", ("5 低秩分解",), 1, 40, True),
        Section("6 权值量化", ("6 权值量化",), 1, 48, True),
        Section("7 知识蒸馏", ("7 知识蒸馏",), 1, 58, True),
        Section("8 嵌入式加速", ("8 嵌入式加速",), 1, 71, True),
        Section("9 其他", ("9 其他",), 1, 75, True),
        Section("附录", ("附录",), 1, 94, False),
        Section("A 参考资料", ("附录", "A 参考资料"), 2, 95, False),
    )


def test_exactly_19_paper_entries_with_their_ids(seed: ReadingList) -> None:
    assert [entry.arxiv_id for entry in seed.paper_entries] == [row[3] for row in EXPECTED]
    assert len(seed.paper_entries) == 19
    assert len(seed.entries) == 21


@pytest.mark.parametrize("index", range(19))
def test_paper_entry(seed: ReadingList, index: int) -> None:
    section, line, end_line, arxiv_id, date, venue, title, notes = EXPECTED[index]
    entry = seed.paper_entries[index]
    assert entry.section_path == (section,)
    assert (entry.line, entry.end_line) == (line, end_line)
    assert entry.position == index
    assert entry.arxiv_id == arxiv_id
    assert entry.arxiv_ids == (arxiv_id,)
    assert entry.noted_title == title
    assert entry.noted_date is not None and entry.noted_date.text == date
    assert entry.noted_venue == venue
    assert entry.notes == notes
    assert entry.is_paper


@pytest.mark.parametrize("index", range(19))
def test_paper_entry_links(seed: ReadingList, index: int) -> None:
    _, line, _, arxiv_id, _, _, title, _ = EXPECTED[index]
    entry = seed.paper_entries[index]
    title_host = "https://arxiv.org" if arxiv_id in ON_ARXIV_ORG else "http://cn.arxiv.org"
    assert entry.links[:2] == (
        Link(f"{title_host}/abs/{arxiv_id}", title, "title", line, arxiv_id),
        Link(f"https://arxiv.org/abs/{arxiv_id}", "paper", "paper", line + 1, arxiv_id),
    )


def test_raw_is_the_source_lines(seed: ReadingList) -> None:
    source = SEED.read_text(encoding="utf-8").split("\n")
    for entry in seed.entries:
        assert entry.raw == "\n".join(source[entry.line - 1 : entry.end_line])
    assert seed.paper_entries[5].raw == (
        "1. [Dissecting Pruned Neural Networks](http://cn.arxiv.org/abs/1907.00262)   \n"
        "*2019-01-29* [paper](https://arxiv.org/abs/1907.00262)   \n"
        "修剪 resnet50，而不影响可解释性；    "
    )


def test_dates_are_days(seed: ReadingList) -> None:
    assert seed.paper_entries[0].noted_date == NotedDate("2015-10-01", "day", 2015, 10, 1)
    assert seed.paper_entries[14].noted_date == NotedDate("2019-05-06", "day", 2019, 5, 6)


def test_rating_marks(seed: ReadingList) -> None:
    rated = [(entry.arxiv_id, entry.rating, entry.rating_text) for entry in seed.entries if entry.rating]
    assert rated == [("1905.07072", 2, r"$\bullet \bullet$")]


def test_code_link_with_its_marker(seed: ReadingList) -> None:
    code = [(entry.arxiv_id, link) for entry in seed.entries for link in entry.links if link.role == "code"]
    assert code == [
        (
            "2006.09679",
            Link("https://github.com/clovaai/StatAssist-GradBoost", "pytorch", "code", 56, marker="official"),
        )
    ]


def test_every_other_link_is_a_title_or_paper_link(seed: ReadingList) -> None:
    roles = [link.role for entry in seed.paper_entries for link in entry.links]
    assert roles.count("title") == 19
    assert roles.count("paper") == 19
    assert roles.count("code") == 1
    assert len(roles) == 39


def test_appendix_links_are_kept_as_non_paper_entries(seed: ReadingList) -> None:
    appendix = [entry for entry in seed.entries if not entry.is_paper]
    assert [(e.section_path, e.line, e.arxiv_id, e.arxiv_ids, e.noted_title) for e in appendix] == [
        (("附录", "A 参考资料"), 96, None, (), None),
        (("附录", "A 参考资料"), 97, None, (), None),
    ]
    assert [link.url for entry in appendix for link in entry.links] == [
        "https://blog.csdn.net/xiaoxiaowenqiang/article/details/80946522",
        "https://www.cnblogs.com/zhonghuasong/p/7822572.html",
    ]
    assert {link.label for entry in appendix for link in entry.links} == {""}


def test_crlf_copy_parses_the_same(seed: ReadingList) -> None:
    text = SEED.read_text(encoding="utf-8").replace("\n", "\r\n")
    crlf = parse_reading_list(text)
    assert [_fields(e) for e in crlf.entries] == [_fields(e) for e in seed.entries]
    assert crlf.entries[0].raw.endswith("\r\nICLR 2016 oral *2015-10-01* [paper](https://arxiv.org/abs/1510.00149)    ")


def _fields(entry: Entry) -> tuple[object, ...]:
    return (entry.line, entry.end_line, entry.arxiv_id, entry.noted_title, entry.noted_date, entry.notes, entry.links)
