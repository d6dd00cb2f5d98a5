"""parse_feed on every recorded arXiv response, both dialects, and on what is not a feed."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harvester.arxiv.feed import Author, Feed, FeedErrorEntry, Paper, parse_feed
from harvester.errors import FeedError

RESPONSES = Path(__file__).parent / "fixtures" / "arxiv" / "responses"
INDEX = json.loads((RESPONSES / "index.json").read_text())


def load(prefix: str) -> bytes:
    (path,) = RESPONSES.glob(prefix + "*.xml")
    return path.read_bytes()


def feed_of(prefix: str) -> Feed:
    return parse_feed(load(prefix))


def by_id(feed: Feed) -> dict[str, Paper]:
    return {p.arxiv_id: p for p in feed.papers}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize("record", INDEX, ids=[r["file"] for r in INDEX])
def test_every_recorded_response_parses_to_one_record_per_entry(record: dict) -> None:
    data = (RESPONSES / record["file"]).read_bytes()
    feed = parse_feed(data)
    entries = ET.fromstring(data).findall("{http://www.w3.org/2005/Atom}entry")
    assert len(feed.papers) + len(feed.errors) == len(entries)
    assert (len(feed.errors) > 0) == (record["status_code"] == 400)
    for paper in feed.papers:
        assert paper.published.tzinfo == UTC and paper.updated.tzinfo == UTC
        assert paper.published <= paper.updated
        assert paper.title and paper.title == " ".join(paper.title.split())
        assert f"abs/{paper.arxiv_id}v{paper.version}" in paper.raw_xml
        assert ET.fromstring(paper.raw_xml).tag == "{http://www.w3.org/2005/Atom}entry"


def test_error_feed_becomes_an_error_entry_never_a_paper() -> None:
    feed = feed_of("id_abc_")
    assert feed.papers == ()
    assert feed.errors == (FeedErrorEntry(message="incorrect id format for abc", bad_id="abc"),)
    assert (feed.total_results, feed.start_index, feed.items_per_page) == (1, 0, 1)


@pytest.mark.parametrize("prefix", ["id_0000.0000_", "id_0808.05394_s0"])
def test_empty_answer_is_a_valid_feed_without_papers(prefix: str) -> None:
    feed = feed_of(prefix)
    assert feed == Feed(papers=(), errors=(), total_results=0, start_index=0, items_per_page=100)


def test_mixed_found_and_missing_answer_has_only_the_found_paper() -> None:
    feed = feed_of("id_0808.05394_1707.08567_")
    (paper,) = feed.papers
    assert paper.arxiv_id == "1707.08567" and paper.version == 1
    assert paper.title == "Proceedings of Workshop AEW10: Concepts in Information Theory and Communications"
    assert paper.authors[:3] == (
        Author("Kees A. Schouhamer Immink"),
        Author("Stan Baggen"),
        Author("Ferdaous Chaabane"),
    )
    assert paper.published == paper.updated == utc("2017-07-27T08:18:33")
    assert paper.primary_category == "cs.IT" and paper.categories == ("cs.IT",)
    assert paper.comment == "44 pages, editors for the proceedings: Yanling Chen and A. J. Han Vinck"
    assert paper.journal_ref is None and paper.dois == ()
    assert feed.total_results == 1


def test_old_style_id_keeps_its_archive_and_each_author_their_affiliation() -> None:
    (paper,) = feed_of("id_astro-ph_0601001_").papers
    assert (paper.arxiv_id, paper.version) == ("astro-ph/0601001", 1)
    assert paper.title == (
        "Frequency of Hot Jupiters and Very Hot Jupiters from the OGLE-III Transit Surveys "
        "Toward the Galactic Bulge and Carina"
    )
    assert paper.authors == (
        Author("Andrew Gould", ("Ohio State",)),
        Author("Susan Dorsher", ("Ohio State",)),
        Author("B. Scott Gaudi", ("CfA",)),
        Author("Andrzej Udalski", ("Warsaw University Observatory",)),
    )
    assert paper.abstract.startswith("We derive the frequencies of hot Jupiters (HJs)")
    assert "limit of V_max<17.5. Hence" in paper.abstract
    assert paper.journal_ref == "ActaAstron.56:1-50,2006"
    assert paper.primary_category == "astro-ph" and paper.categories == ("astro-ph",)
    assert paper.published == utc("2006-01-02T14:57:58")
    assert paper.abs_url == "https://arxiv.org/abs/astro-ph/0601001v1"
    assert paper.pdf_url == "https://arxiv.org/pdf/astro-ph/0601001v1"


def test_versioned_old_style_id() -> None:
    (paper,) = feed_of("id_quant-ph_0201082v1_").papers
    assert (paper.arxiv_id, paper.version) == ("quant-ph/0201082", 1)
    assert paper.categories == ("quant-ph", "cs.PL") and paper.primary_category == "quant-ph"
    assert paper.authors == (Author("Stephen Blaha"),)
    assert paper.comment == "32 pages"
    assert paper.updated == utc("2002-01-18T15:08:05")


def test_versioned_new_style_id_with_a_title_that_is_just_zero() -> None:
    (paper,) = feed_of("id_2104.12255v1_").papers
    assert (paper.arxiv_id, paper.version, paper.title) == ("2104.12255", 1, "0")
    assert paper.authors == (Author("Quan Thoi Minh Nguyen"),)
    assert paper.comment is None and paper.journal_ref is None


def test_two_categories_keep_their_order() -> None:
    (paper,) = feed_of("id_1605.08386_").papers
    assert paper.categories == ("math.CO", "math.ST")
    assert paper.authors == (Author("Caprice Stanley"), Author("Tobias Windisch"))


def test_search_page_dois_and_affiliations() -> None:
    feed = feed_of("q_testing_s0_m100_")
    papers = by_id(feed)
    assert len(feed.papers) == 100 and feed.total_results == 214881
    # Given both as arxiv:doi and as a doi.org link: reported once.
    assert papers["2202.12139"].dois == ("10.1109/ICSTW55395.2022.00035",)
    assert papers["hep-ph/0301050"].dois == ("10.1016/j.physletb.2003.08.045",)
    assert papers["hep-ph/0301050"].version == 2
    assert papers["0804.0970"].authors == (
        Author("Marie-Claude Gaudel", ("LRI",)),
        Author("Pascale Le Gall", ("IBISC",)),
    )
    assert papers["0804.0970"].journal_ref == "Formal Methods and Testing, Springer-Verlag (Ed.) (2008) 209-239"
    assert papers["2202.12139"].categories == ("cs.SE", "cs.LG")


def test_paged_search_results_report_their_window() -> None:
    feed = feed_of("q_testing_s40_m10_")
    assert (feed.start_index, feed.items_per_page, len(feed.papers)) == (40, 10, 10)


class TestLegacyDialect:
    feed = parse_feed(load("legacy_search_all_science_"))
    papers = {p.arxiv_id: p for p in feed.papers}

    def test_counts_and_the_feed_title_is_not_a_paper(self) -> None:
        assert (len(self.feed.papers), self.feed.total_results, self.feed.items_per_page) == (10, 120839, 10)
        assert not any("Query" in p.title for p in self.feed.papers)

    def test_hard_wrapped_title_and_abstract_are_collapsed(self) -> None:
        paper = self.papers["1503.01162"]
        assert paper.title == (
            "Report on a Boston University Conference December 7-8, 2012 on 'How Can the History "
            "and Philosophy of Science Contribute to Contemporary U.S. Science Teaching?'"
        )
        assert paper.abstract.startswith(
            "This is an editorial report on the outcomes of an international conference sponsored"
        )
        assert "\n" not in paper.abstract and "  " not in paper.abstract
        assert paper.comment == "Conference funded by NSF grant REESE-1205273. 31 pages"
        assert paper.journal_ref == "Science & Education, September 2014, 23(9): 1853-1873"
        assert paper.authors == (Author("Peter Garik"), Author("Yann Benétreau-Dupin"))

    def test_dx_doi_org_and_arxiv_doi_give_one_doi(self) -> None:
        assert self.papers["1503.01162"].dois == ("10.1007/s11191-014-9716-8",)
        assert self.papers["0808.0639"].dois == ("10.1214/08-STS246REJ",)
        assert self.papers["1501.05039"].dois == ()

    def test_acm_and_msc_codes_are_not_categories(self) -> None:
        paper = self.papers["1802.03292"]
        assert paper.categories == ("cs.LO",)
        assert paper.other_classifications == ("03B70", "68Q99", "F.4.1", "F.4.m", "K.2")
        assert self.papers["1503.01162"].categories == ("physics.ed-ph", "physics.hist-ph", "physics.soc-ph")

    def test_per_element_namespaces_give_affiliations_and_primary_category(self) -> None:
        paper = self.papers["physics/0507092"]
        assert paper.authors == (
            Author("G. Giacomelli", ("Bologna University and INFN",)),
            Author("R. Giacomelli", ("Bologna University and INFN",)),
        )
        assert paper.primary_category == "physics.soc-ph"
        assert paper.comment == "Lecture at the 7th School on Non-Accelerator Astroparticle Physics, Trieste,Italy,2004"

    def test_times_are_utc_and_links_are_as_given(self) -> None:
        paper = self.papers["quant-ph/0210005"]
        assert paper.published == paper.updated == utc("2002-10-01T13:23:14")
        assert paper.abs_url == "http://arxiv.org/abs/quant-ph/0210005v1"
        assert paper.pdf_url == "http://arxiv.org/pdf/quant-ph/0210005v1"


ASTRO = load("id_astro-ph_0601001_")


def edited(old: bytes, new: bytes) -> bytes:
    assert old in ASTRO
    return ASTRO.replace(old, new, 1)


def test_offsets_are_converted_to_utc() -> None:
    data = edited(b"<published>2006-01-02T14:57:58Z", b"<published>2006-01-02T10:57:58-04:00")
    (paper,) = parse_feed(data).papers
    assert paper.published == utc("2006-01-02T14:57:58")


def test_several_dois_and_several_affiliations_are_all_kept() -> None:
    data = edited(
        b"<arxiv:affiliation>CfA</arxiv:affiliation>",
        b"<arxiv:affiliation>CfA</arxiv:affiliation><arxiv:affiliation>Ohio State</arxiv:affiliation>"
        b"</author><arxiv:doi>10.1086/500001 10.48550/arXiv.astro-ph/0601001</arxiv:doi><author><name>X Y</name>",
    )
    (paper,) = parse_feed(data).papers
    assert paper.authors[2] == Author("B. Scott Gaudi", ("CfA", "Ohio State"))
    assert paper.authors[3] == Author("X Y")
    assert paper.dois == ("10.1086/500001", "10.48550/arXiv.astro-ph/0601001")


def test_text_that_looks_like_markup_is_kept_as_written() -> None:
    data = edited(b"<title>Frequency of", b"<title>Sets &lt;b&gt; with x&lt;y &amp; Frequency of")
    (paper,) = parse_feed(data).papers
    assert paper.title.startswith("Sets <b> with x<y & Frequency of Hot Jupiters")


def test_primary_category_is_listed_first() -> None:
    data = edited(b'<category term="astro-ph"', b'<category term="gr-qc" scheme="x"/><category term="astro-ph"')
    (paper,) = parse_feed(data).papers
    assert paper.categories == ("astro-ph", "gr-qc")


NOT_FEEDS = {
    "rate exceeded text": b"Rate exceeded",
    "empty body": b"",
    "whitespace": b"  \n",
    "html page": b"<!DOCTYPE html><html><head><title>403</title></head><body>Forbidden</body></html>",
    "truncated feed": ASTRO[: len(ASTRO) // 2],
    "rss feed": b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
    "other xml": b"<?xml version='1.0'?><error><message>busy</message></error>",
    "json": b'{"error": "busy"}',
    "binary garbage": bytes(range(256)),
}


@pytest.mark.parametrize("data", NOT_FEEDS.values(), ids=NOT_FEEDS.keys())
def test_what_is_not_an_atom_feed_raises_feed_error(data: bytes) -> None:
    with pytest.raises(FeedError):
        parse_feed(data)


def test_entry_whose_id_is_not_an_arxiv_paper_raises_feed_error() -> None:
    with pytest.raises(FeedError, match="not an arXiv paper"):
        parse_feed(edited(b"http://arxiv.org/abs/astro-ph/0601001v1</id>", b"http://example.org/x</id>"))


def test_text_is_refused_because_feedparser_would_treat_it_as_a_location() -> None:
    with pytest.raises(TypeError):
        parse_feed(ASTRO.decode())  # type: ignore[arg-type]


def test_raw_xml_is_the_entry_alone() -> None:
    (paper,) = parse_feed(ASTRO).papers
    root = ET.fromstring(paper.raw_xml)
    assert root.findtext("{http://www.w3.org/2005/Atom}id") == "http://arxiv.org/abs/astro-ph/0601001v1"
    assert len(re.findall("<atom:author>", paper.raw_xml)) == 4
