"""parse_feed's two readers: the plain one gives what the feedparser-backed one gives, on every recorded response.

The plain reader (one xml.etree pass) takes the well-formed Atom the API returns;
anything else goes to the tolerant reader (feedparser). Each case here is read
both ways and must come out identical, and the cases that must go to feedparser
are shown to go there by making feedparser unavailable.
"""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest

from harvester.arxiv import feed
from harvester.arxiv.feed import parse_feed, parse_feed_tolerant
from tests.standins.arxiv import blank_entry_elements, load_seed_papers, render_error_feed, render_feed, synthetic_paper

RESPONSES = Path(__file__).parent / "fixtures" / "arxiv" / "responses"
INDEX = json.loads((RESPONSES / "index.json").read_text())
RECORDED = {record["file"]: (RESPONSES / record["file"]).read_bytes() for record in INDEX}


def _standin_feeds() -> dict[str, bytes]:
    papers = [*load_seed_papers(), *(synthetic_paper(f"2001.{n:05d}") for n in range(1, 40))]
    entries = [(paper, version) for paper in papers for version in paper.versions]
    return {
        f"standin {dialect}": render_feed(entries, "arXiv Query", len(entries), 0, len(entries), dialect)
        for dialect in ("current", "legacy")
    } | {"standin error": render_error_feed("abc")}


STANDIN = _standin_feeds()
EVERY = RECORDED | STANDIN


@pytest.fixture
def no_feedparser(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("feedparser was asked")

    monkeypatch.setattr(feedparser, "parse", refuse)


@pytest.mark.parametrize("name", EVERY, ids=list(EVERY))
def test_both_readers_give_the_same_feed(name: str) -> None:
    data = EVERY[name]
    tolerant = parse_feed_tolerant(data)
    assert parse_feed(data) == tolerant
    assert tolerant.papers or tolerant.errors or b"<entry>" not in data


@pytest.mark.parametrize("name", EVERY, ids=list(EVERY))
def test_what_the_api_returns_is_read_without_feedparser(name: str, no_feedparser: None) -> None:
    # Every recorded response and both stand-in dialects are plain Atom: the fast path, not the fallback.
    assert parse_feed(EVERY[name]) is not None


ASTRO = next(data for name, data in RECORDED.items() if name.startswith("id_astro-ph_0601001_"))

# Responses only feedparser reads as meant; each must still parse to the same papers both ways.
NOT_PLAIN = {
    "rfc 822 date": (b"<published>2006-01-02T14:57:58Z", b"<published>Mon, 02 Jan 2006 14:57:58 GMT"),
    "fractional seconds": (b"<published>2006-01-02T14:57:58Z", b"<published>2006-01-02T14:57:58.250Z"),
    "relative link": (b'href="https://arxiv.org/abs/astro-ph/0601001v1"', b'href="/abs/astro-ph/0601001v1"'),
    "xml:base": (b"<entry>", b'<entry xml:base="http://arxiv.org/">'),
    "category with text": (
        b'<category term="astro-ph"',
        b'<category term="" scheme="x">gr-qc</category><category term="astro-ph"',
    ),
    "another vocabulary": (
        b"<entry>",
        b'<entry><dc:date xmlns:dc="http://purl.org/dc/elements/1.1/">2006-01-02</dc:date>',
    ),
    "second updated": (b"<entry>", b"<entry><updated>2007-01-02T00:00:00Z</updated>"),
    "latin-1 declared": (b"encoding='UTF-8'", b"encoding='ISO-8859-1'"),
}


def _edited(case: str) -> bytes:
    old, new = NOT_PLAIN[case]
    assert old in ASTRO, case
    return ASTRO.replace(old, new, 1)


@pytest.mark.parametrize("case", NOT_PLAIN)
def test_what_only_feedparser_reads_goes_to_feedparser(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _edited(case)
    asked: list[bytes] = []
    real = feedparser.parse

    def counting(body: bytes) -> object:
        asked.append(body)
        return real(body)

    monkeypatch.setattr(feedparser, "parse", counting)
    assert parse_feed(data) == parse_feed_tolerant(data)
    assert asked, f"{case}: read without feedparser"


def test_an_rfc_822_date_is_read_by_feedparser_as_the_same_time() -> None:
    (paper,) = parse_feed(_edited("rfc 822 date")).papers
    (plain,) = parse_feed(ASTRO).papers
    assert paper.published == plain.published


def test_an_arxiv_namespace_under_another_prefix_goes_to_feedparser(no_feedparser: None) -> None:
    data = ASTRO.replace(b"xmlns:arxiv=", b"xmlns:ax=", 1).replace(b"<arxiv:", b"<ax:").replace(b"</arxiv:", b"</ax:")
    with pytest.raises(AssertionError, match="feedparser was asked"):
        parse_feed(data)


@pytest.mark.parametrize("tag", ["title", "summary", "name"])
def test_the_plain_reader_refuses_a_damaged_entry_itself(tag: str, no_feedparser: None) -> None:
    with pytest.raises(feed.FeedError, match="damaged answer"):
        parse_feed(blank_entry_elements(ASTRO, (tag,), keep_empty=True))


def test_an_entry_without_a_time_is_handed_to_feedparser_and_refused() -> None:
    data = blank_entry_elements(ASTRO, ("published",), keep_empty=False)
    with pytest.raises(feed.FeedError, match="no valid <published> time"):
        parse_feed(data)
