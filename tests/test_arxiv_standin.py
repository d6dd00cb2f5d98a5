"""The arXiv stand-in answers like arXiv's /api/query (field-notes.md), in both dialects."""

from __future__ import annotations

from dataclasses import replace

import httpx

from harvester.arxiv.feed import Feed, parse_feed
from tests.standins.arxiv import ArxivStandIn, Fault

SEED_COUNT = 19


def get(standin: ArxivStandIn, **params: str) -> httpx.Response:
    return httpx.get(standin.url, params=params)


def feed(response: httpx.Response) -> Feed:
    assert response.status_code == 200
    return parse_feed(response.content)


def test_default_max_results_cuts_a_long_id_list_at_ten(arxiv: ArxivStandIn) -> None:
    ids = ",".join(arxiv.paper_ids)
    assert (len(feed(get(arxiv, id_list=ids)).papers), feed(get(arxiv, id_list=ids)).total_results) == (10, 19)
    assert len(feed(get(arxiv, id_list=ids, max_results="19")).papers) == 19


def test_post_form_and_order_not_kept(arxiv: ArxivStandIn) -> None:
    ids = list(arxiv.paper_ids)
    response = httpx.post(arxiv.url, data={"id_list": ",".join(ids), "max_results": "100"})
    returned = [p.arxiv_id for p in feed(response).papers]
    assert sorted(returned) == sorted(ids) and returned != ids
    assert arxiv.requests[0].method == "POST"


def test_versions_unknown_ids_and_duplicates(arxiv: ArxivStandIn) -> None:
    papers = feed(get(arxiv, id_list="1907.05642v1,1907.05642,1907.05642,0704.0001,1907.05642v9")).papers
    assert sorted((p.version, p.title) for p in papers) == [
        (1, "Deep Model Compression via Filter Auto-sampling"),
        (3, "Neural Epitome Search for Architecture-Agnostic Network Compression"),
    ]
    assert all(p.published == papers[0].published for p in papers)


def test_malformed_id_fails_the_whole_request_with_an_error_feed(arxiv: ArxivStandIn) -> None:
    response = get(arxiv, id_list="1907.05642,abc")
    assert response.status_code == 400
    parsed = parse_feed(response.content)
    assert parsed.papers == () and [(e.message, e.bad_id) for e in parsed.errors] == [
        ("incorrect id format for abc", "abc")
    ]


def test_legacy_dialect_gives_the_same_papers(arxiv: ArxivStandIn) -> None:
    ids = ",".join(arxiv.paper_ids)
    current = {p.arxiv_id: p for p in feed(get(arxiv, id_list=ids, max_results="50")).papers}
    arxiv.dialect = "legacy"
    response = get(arxiv, id_list=ids, max_results="50")
    assert b"-04:00</published>" in response.content and b'xmlns:arxiv="' in response.content
    legacy = {p.arxiv_id: p for p in feed(response).papers}

    def comparable(paper):  # type: ignore[no-untyped-def]
        return replace(paper, raw_xml="", abs_url="", pdf_url=None)

    assert {k: comparable(v) for k, v in legacy.items()} == {k: comparable(v) for k, v in current.items()}


def test_synthetic_papers_are_deterministic() -> None:
    with ArxivStandIn(synthetic=True) as arxiv:
        first = feed(get(arxiv, id_list="2301.00001,hep-th/9901001", max_results="5")).papers
        second = feed(get(arxiv, id_list="2301.00001,hep-th/9901001", max_results="5")).papers
    assert sorted(first, key=lambda p: p.arxiv_id) == sorted(second, key=lambda p: p.arxiv_id)
    assert {p.arxiv_id for p in first} == {"2301.00001", "hep-th/9901001"}
    assert all(p.title.startswith("Synthetic") and p.authors for p in first)


def test_add_version_changes_the_latest(arxiv: ArxivStandIn) -> None:
    arxiv.add_version("1905.10324", title="Doctor of Crosswise, Revised", submitted="2020-01-02T03:04:05Z")
    (paper,) = feed(get(arxiv, id_list="1905.10324")).papers
    assert (paper.version, paper.title, paper.updated.isoformat()) == (
        2,
        "Doctor of Crosswise, Revised",
        "2020-01-02T03:04:05+00:00",
    )


def test_faults_are_used_up_one_request_each(arxiv: ArxivStandIn) -> None:
    arxiv.queue_faults(Fault.unavailable(retry_after="7"), Fault.rate_exceeded())
    first, second, third = (get(arxiv, id_list="1905.10324") for _ in range(3))
    assert (first.status_code, first.headers["Retry-After"]) == (503, "7")
    assert (second.status_code, second.text) == (429, "Rate exceeded")
    assert third.status_code == 200
    assert [r.fault for r in arxiv.requests] == ["http 503", "http 429", None]
