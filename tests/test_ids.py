"""The arXiv identifier grammar: every written form from field-notes.md, and malformed ones."""

from __future__ import annotations

import pytest

from harvester.errors import InvalidArxivId
from harvester.ids import (
    ArxivId,
    abs_url,
    find_arxiv_ids_in_text,
    is_retired_mirror,
    is_valid_arxiv_id,
    parse_arxiv_id,
    parse_arxiv_url,
    pdf_url,
)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        # Bare new-style IDs: 4 digits after the dot up to 1412, 5 from 1501 on.
        ("0704.0001", ArxivId("0704.0001")),
        ("1412.6980", ArxivId("1412.6980")),
        ("1501.00001", ArxivId("1501.00001")),
        ("1907.05642", ArxivId("1907.05642")),
        ("1907.05642v2", ArxivId("1907.05642", 2)),
        ("2303.00566v12", ArxivId("2303.00566", 12)),
        # Old-style IDs, with and without subject class and version.
        ("hep-th/9901001", ArxivId("hep-th/9901001")),
        ("hep-th/9901001v2", ArxivId("hep-th/9901001", 2)),
        ("math.GT/0309136", ArxivId("math/0309136")),
        ("math.GT/0309136v1", ArxivId("math/0309136", 1)),
        ("astro-ph/0601001", ArxivId("astro-ph/0601001")),
        ("quant-ph/0201082v1", ArxivId("quant-ph/0201082", 1)),
        ("solv-int/9107001", ArxivId("solv-int/9107001")),
        ("cs/0703999", ArxivId("cs/0703999")),
        # Prefixes written in text.
        ("arXiv:1907.05642", ArxivId("1907.05642")),
        ("arXiv: 1907.05642", ArxivId("1907.05642")),
        ("arxiv:hep-th/9901001v3", ArxivId("hep-th/9901001", 3)),
        ("10.48550/arXiv.1907.05642", ArxivId("1907.05642")),
        ("  1907.05642  ", ArxivId("1907.05642")),
    ],
)
def test_written_ids_parse_to_canonical_form(written: str, expected: ArxivId) -> None:
    assert parse_arxiv_id(written) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://arxiv.org/abs/1907.05642", ArxivId("1907.05642")),
        ("http://arxiv.org/abs/1907.05642v1", ArxivId("1907.05642", 1)),
        ("https://www.arxiv.org/abs/1907.05642", ArxivId("1907.05642")),
        ("https://arxiv.org/pdf/1907.05642", ArxivId("1907.05642")),
        ("https://arxiv.org/pdf/1907.05642.pdf", ArxivId("1907.05642")),
        ("http://cn.arxiv.org/pdf/1611.07004v1.pdf", ArxivId("1611.07004", 1)),
        ("https://arxiv.org/html/2303.00566v2", ArxivId("2303.00566", 2)),
        ("https://export.arxiv.org/abs/1905.10324", ArxivId("1905.10324")),
        ("https://browse.arxiv.org/abs/1905.10324v3", ArxivId("1905.10324", 3)),
        ("http://cn.arxiv.org/abs/1905.10324", ArxivId("1905.10324")),
        ("http://de.arxiv.org/abs/1905.10324", ArxivId("1905.10324")),
        ("http://in.arxiv.org/abs/1905.10324", ArxivId("1905.10324")),
        ("http://lanl.arxiv.org/abs/hep-th/9901001", ArxivId("hep-th/9901001")),
        ("http://xxx.lanl.gov/abs/hep-th/9901001v2", ArxivId("hep-th/9901001", 2)),
        ("https://arxiv.org/abs/math.GT/0309136", ArxivId("math/0309136")),
        ("https://arxiv.org/pdf/quant-ph/0201082v1.pdf", ArxivId("quant-ph/0201082", 1)),
        ("https://arxiv.org/abs/1808.07993?context=cs", ArxivId("1808.07993")),
        ("https://arxiv.org/abs/1907.05642/", ArxivId("1907.05642")),
        ("https://doi.org/10.48550/arXiv.1907.05642", ArxivId("1907.05642")),
        ("https://dx.doi.org/10.48550/arXiv.1907.05642", ArxivId("1907.05642")),
    ],
)
def test_arxiv_urls_name_their_paper(url: str, expected: ArxivId) -> None:
    assert parse_arxiv_url(url) == expected
    assert parse_arxiv_id(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/clovaai/StatAssist-GradBoost",
        "https://openreview.net/forum?id=B1QRgziT-",
        "http://www.mathpubs.com/detail/1611.01799v1/Generative",
        "https://arxiv.org/list/cs.LG/recent",
        "https://arxiv.org/",
        "https://doi.org/10.1109/TPAMI.2023.3334614",
        "http:cn.//arxiv.org/abs/1803.01534",
        "",
    ],
)
def test_urls_about_no_arxiv_paper_give_none(url: str) -> None:
    assert parse_arxiv_url(url) is None


def test_schemeless_arxiv_url_is_read_as_https() -> None:
    assert parse_arxiv_id("arxiv.org/abs/1905.10324v2") == ArxivId("1905.10324", 2)
    assert parse_arxiv_id("cn.arxiv.org/pdf/1905.10324") == ArxivId("1905.10324")


MALFORMED = [
    "",
    "   ",
    "1234.567",  # three digits after the dot
    "1907.0564",  # 2019 IDs have five digits
    "1412.12345",  # 2014 IDs have four digits
    "1501.1234",  # 2015 IDs have five digits
    "1913.01234",  # month 13
    "1900.01234",  # month 00
    "0703.1234",  # new style starts in 0704
    "0612.1234",
    "1907.05642v0",  # versions start at 1
    "1907.05642v01",
    "1907.05642v",
    "1907.05642 v2",
    "1907.056421",
    "1907-05642",
    "190705642",
    "foo/0101001",  # not an archive
    "hep-th/0713001",  # month 13
    "hep-th/9001001",  # before 9107
    "hep-th/0704001",  # old style ends in 0703
    "hep-th/990100",  # six digits
    "hep-th/99010011",  # eight digits
    "hep-th/9901000",  # numbers start at 001
    "HEP-TH/9901001",
    "math.GTX/0309136",
    "hep-th9901001",
    "arXiv:",
    "arXiv:abc",
    "10.48550/arXiv.",
    "１９０７.０５６４２",  # full-width digits
    "١٩٠٧.٠٥٦٤٢",  # Arabic-Indic digits
    "arxiv.org/abs/",
    "https://arxiv.org/abs/",
    "https://arxiv.org/pdf/",
    "https://arxiv.org/abs/1234.567",
    "https://arxiv.org/abs/1913.01234",
    "https://arxiv.org/pdf/1907.05642v0.pdf",
    "https://example.com/abs/1907.05642",
]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_ids_are_rejected(text: str) -> None:
    with pytest.raises(InvalidArxivId):
        parse_arxiv_id(text)
    assert not is_valid_arxiv_id(text)


@pytest.mark.parametrize(
    "url", ["https://arxiv.org/abs/", "https://arxiv.org/abs/1234.567", "http://cn.arxiv.org/pdf/1913.01234v1.pdf"]
)
def test_arxiv_paper_urls_with_malformed_ids_raise(url: str) -> None:
    with pytest.raises(InvalidArxivId):
        parse_arxiv_url(url)


def test_rejection_says_why() -> None:
    with pytest.raises(InvalidArxivId, match="month 13"):
        parse_arxiv_id("1913.01234")
    with pytest.raises(InvalidArxivId, match="not an arXiv archive"):
        parse_arxiv_id("foo/0101001")


def test_ids_mentioned_in_text_are_found_in_order() -> None:
    text = "See arXiv:1907.05642v2, then arXiv: hep-th/9901001 and arXiv:math.GT/0309136."
    assert find_arxiv_ids_in_text(text) == [
        ArxivId("1907.05642", 2),
        ArxivId("hep-th/9901001"),
        ArxivId("math/0309136"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "arXiv:1907.056421",  # a longer number is not a shorter ID
        "arXiv:1913.01234",
        "arXiv:1907.05642.1",
        "no id here 1907.05642",  # bare numbers in prose are not mentions
        "xarXiv:1907.05642",
    ],
)
def test_text_without_a_valid_mention_yields_nothing(text: str) -> None:
    assert find_arxiv_ids_in_text(text) == []


def test_versioned_text_form_and_canonical_links() -> None:
    found = parse_arxiv_id("1905.10324v2")
    assert (found.id, found.version, found.versioned, str(found)) == ("1905.10324", 2, "1905.10324v2", "1905.10324v2")
    assert abs_url("1905.10324") == "https://arxiv.org/abs/1905.10324"
    assert pdf_url(found) == "https://arxiv.org/pdf/1905.10324v2"
    assert parse_arxiv_id("math.GT/0309136").is_old_style


@pytest.mark.parametrize(
    ("url", "retired"),
    [
        ("http://cn.arxiv.org/abs/1905.10324", True),
        ("http://xxx.lanl.gov/abs/hep-th/9901001", True),
        ("https://arxiv.org/abs/1905.10324", False),
        ("https://export.arxiv.org/abs/1905.10324", False),
    ],
)
def test_retired_mirrors_are_known(url: str, retired: bool) -> None:
    assert is_retired_mirror(url) is retired
