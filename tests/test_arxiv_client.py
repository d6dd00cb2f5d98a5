"""ArxivClient against the local arXiv stand-in, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from harvester.arxiv.client import (
    ArxivClient,
    ArxivRedirected,
    BatchResult,
    RateLimiter,
    make_http_client,
    parse_retry_after,
)
from harvester.arxiv.config import ClientConfig
from harvester.arxiv.feed import Paper
from harvester.errors import ArxivUnavailable, InvalidArxivId
from tests.standins.arxiv import ArxivStandIn, Fault

SEED = json.loads((Path(__file__).parent / "fixtures" / "arxiv" / "seed_papers.json").read_text())["papers"]
SEED_IDS = [p["id"] for p in SEED]
LATEST_TITLE = {p["id"]: p["versions"][-1]["title"] for p in SEED}
LATEST_VERSION = {p["id"]: p["versions"][-1]["version"] for p in SEED}

T = TypeVar("T")


def fast_config(standin: ArxivStandIn, **changes: object) -> ClientConfig:
    config = ClientConfig(
        base_url=standin.url,
        delay=0.0,
        timeout=2.0,
        max_attempts=4,
        max_retry_after=0.05,
        backoff_base=0.01,
        backoff_max=0.05,
        contact="mailto:curator@example.org",
    )
    return replace(config, **changes)  # type: ignore[arg-type]


def run(config: ClientConfig, work: Callable[[ArxivClient], Awaitable[T]]) -> tuple[T, ArxivClient]:
    async def main() -> tuple[T, ArxivClient]:
        async with make_http_client(config) as http:
            client = ArxivClient(http, config, RateLimiter())
            return await work(client), client

    return asyncio.run(main())


def assert_every_seed_paper_once(papers: tuple[Paper, ...] | list[Paper]) -> None:
    assert sorted(p.arxiv_id for p in papers) == sorted(SEED_IDS)
    for paper in papers:
        assert paper.title == LATEST_TITLE[paper.arxiv_id]
        assert paper.version == LATEST_VERSION[paper.arxiv_id]


def test_the_seed_list_comes_in_one_request(arxiv: ArxivStandIn) -> None:
    result, client = run(fast_config(arxiv), lambda c: c.fetch_batch(SEED_IDS))
    assert_every_seed_paper_once(result.papers)
    assert (result.missing, result.invalid, result.requested) == ((), (), tuple(SEED_IDS))
    (request,) = arxiv.requests
    assert (request.method, request.ids, request.max_results, request.start) == ("POST", tuple(SEED_IDS), 19, 0)
    assert client.requests_made == 1


def test_default_of_ten_results_is_raised_to_the_batch_size(arxiv: ArxivStandIn) -> None:
    # The stand-in cuts at 10 like arXiv unless told otherwise; 19 asked, 19 back.
    result, _ = run(fast_config(arxiv), lambda c: c.fetch_batch(SEED_IDS))
    assert len(result.papers) == 19
    assert arxiv.requests[0].max_results == 19


def test_papers_carry_the_seed_metadata(arxiv: ArxivStandIn) -> None:
    result, _ = run(fast_config(arxiv), lambda c: c.fetch_batch(["1907.05642", "1906.08859"]))
    papers = {p.arxiv_id: p for p in result.papers}
    epitome = papers["1907.05642"]
    assert epitome.version == 3
    assert epitome.published == datetime(2019, 7, 12, 9, 38, 52, tzinfo=UTC)
    assert epitome.updated == datetime(2020, 2, 17, 12, 0, tzinfo=UTC)
    assert [a.name for a in epitome.authors] == [
        "Daquan Zhou",
        "Xiaojie Jin",
        "Qibin Hou",
        "Kaixin Wang",
        "Jianchao Yang",
        "Jiashi Feng",
    ]
    assert epitome.categories == ("cs.CV",)
    # Submitted 2019-05-06 yet numbered 1906: the ID's YYMM is not the date.
    assert papers["1906.08859"].published == datetime(2019, 5, 6, 12, 11, 5, tzinfo=UTC)


FAULTS = {
    "429 with 'Rate exceeded' text": Fault.rate_exceeded(),
    "403": Fault.forbidden(),
    "406": Fault.not_acceptable(),
    "500": Fault.http_status(500, b"Internal Server Error"),
    "empty 200 feed": Fault.empty_feed(),
    "truncated xml": Fault.truncated(),
    "200 'Rate exceeded' text": Fault.rate_exceeded(status=200),
    "hang past the timeout": Fault.hang(1.0),
    "dropped connection": Fault.drop(),
}


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_one_fault_then_every_paper_exactly_once(arxiv: ArxivStandIn, fault: Fault) -> None:
    arxiv.queue_faults(fault)
    config = fast_config(arxiv, timeout=0.3)
    result, client = run(config, lambda c: c.fetch_batch(SEED_IDS))
    assert_every_seed_paper_once(result.papers)
    assert (result.missing, result.invalid) == ((), ())
    first, second = arxiv.requests[0], arxiv.requests[-1]
    assert first.fault == fault.label and second.fault is None
    assert second.ids == tuple(SEED_IDS)  # the whole batch asked again, not one by one
    assert client.requests_made == 2 == len(arxiv.requests)


def test_retry_after_is_honoured_up_to_its_cap(arxiv: ArxivStandIn) -> None:
    arxiv.queue_faults(Fault.unavailable(retry_after="30"))
    config = fast_config(arxiv, max_retry_after=0.4)
    result, _ = run(config, lambda c: c.fetch_batch(SEED_IDS))
    assert_every_seed_paper_once(result.papers)
    first, second = arxiv.requests
    assert first.status == 503
    gap = second.started - first.started
    assert 0.4 <= gap < 30  # waited for Retry-After capped, not the 0.01 s backoff nor the 30 s asked


def test_retries_are_logged_with_their_reason(arxiv: ArxivStandIn, caplog: pytest.LogCaptureFixture) -> None:
    arxiv.queue_faults(Fault.rate_exceeded(), Fault.drop())
    with caplog.at_level(logging.WARNING, logger="harvester.arxiv.client"):
        run(fast_config(arxiv), lambda c: c.fetch_batch(SEED_IDS))
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "HTTP 429 ('Rate exceeded')" in messages[0] and "attempt 1 of 4" in messages[0]
    assert "RemoteProtocolError" in messages[1] and "attempt 2 of 4" in messages[1]


def test_giving_up_raises_arxiv_unavailable_naming_url_and_last_error(arxiv: ArxivStandIn) -> None:
    arxiv.queue_faults(*[Fault.unavailable()] * 3, Fault.rate_exceeded())
    with pytest.raises(ArxivUnavailable) as raised:
        run(fast_config(arxiv), lambda c: c.fetch_batch(SEED_IDS))
    assert arxiv.url in str(raised.value)
    assert "4 attempts" in str(raised.value) and "HTTP 429 ('Rate exceeded')" in str(raised.value)
    assert len(arxiv.requests) == 4


def test_redirect_is_reported_not_followed(arxiv: ArxivStandIn) -> None:
    arxiv.queue_faults(Fault.redirect("https://export.arxiv.org/api/query"))
    with pytest.raises(ArxivRedirected, match="301.*https://export.arxiv.org/api/query"):
        run(fast_config(arxiv), lambda c: c.fetch_batch(SEED_IDS))
    assert len(arxiv.requests) == 1


def test_malformed_id_is_isolated_and_the_rest_fetched(arxiv: ArxivStandIn) -> None:
    result, _ = run(fast_config(arxiv), lambda c: c.fetch_batch([*SEED_IDS[:10], "abc", *SEED_IDS[10:]]))
    assert_every_seed_paper_once(result.papers)
    assert result.invalid == (("abc", "incorrect id format for abc"),)
    assert [r.status for r in arxiv.requests] == [400, 200]
    assert "abc" not in arxiv.requests[1].ids


def test_malformed_id_is_found_by_bisection_when_arxiv_does_not_name_it() -> None:
    with ArxivStandIn(error_names_id=False) as arxiv:
        ids = [*SEED_IDS[:5], "1907.056", *SEED_IDS[5:8]]
        result, _ = run(fast_config(arxiv), lambda c: c.fetch_batch(ids))
        assert sorted(p.arxiv_id for p in result.papers) == sorted([*SEED_IDS[:5], *SEED_IDS[5:8]])
        assert result.invalid == (("1907.056", "incorrect id format"),)
        # Every 200 answer came from a request without the bad ID.
        assert all("1907.056" not in r.ids for r in arxiv.requests if r.status == 200)


def test_missing_id_is_asked_again_alone_before_it_is_called_missing(arxiv: ArxivStandIn) -> None:
    result, _ = run(fast_config(arxiv), lambda c: c.fetch_batch(["1907.05642", "0704.0001", "1510.00149"]))
    assert result.missing == ("0704.0001",)
    assert sorted(p.arxiv_id for p in result.papers) == ["1510.00149", "1907.05642"]
    assert [r.ids for r in arxiv.requests] == [("1907.05642", "0704.0001", "1510.00149"), ("0704.0001",)]


def test_paper_left_out_by_a_glitch_is_found_on_the_second_look(arxiv: ArxivStandIn) -> None:
    arxiv.queue_faults(Fault.omit_ids("1907.05640"))
    result, _ = run(fast_config(arxiv), lambda c: c.fetch_batch(["1907.05642", "1907.05640"]))
    assert result.missing == ()
    assert sorted(p.arxiv_id for p in result.papers) == ["1907.05640", "1907.05642"]
    assert [r.ids for r in arxiv.requests] == [("1907.05642", "1907.05640"), ("1907.05640",)]


def test_limiter_spaces_request_starts_and_keeps_one_connection(arxiv: ArxivStandIn) -> None:
    delay = 0.2
    config = fast_config(arxiv, delay=delay)

    async def concurrently(client: ArxivClient) -> list[BatchResult]:
        # A first request opens the connection, so that setting it up (tens of
        # milliseconds) does not blur the spacing the server measures below.
        await client.fetch_batch(SEED_IDS[4:5])
        return await asyncio.gather(*(client.fetch_batch([i]) for i in SEED_IDS[:4]))

    results, _ = run(config, concurrently)
    assert [r.papers[0].arxiv_id for r in results] == SEED_IDS[:4]
    starts = sorted(r.started for r in arxiv.requests)
    assert len(starts) == 5
    # Measured by the server, so allow for scheduling noise on a busy machine;
    # without the limiter the four would arrive within a few milliseconds.
    assert all(later - earlier >= delay - 0.05 for earlier, later in pairwise(starts[1:]))
    assert arxiv.max_concurrent_requests == 1
    assert arxiv.max_concurrent_connections == 1
    assert {r.connection for r in arxiv.requests} == {arxiv.requests[0].connection}


def test_limiter_waits_the_rest_of_the_interval_on_its_clock() -> None:
    now = [100.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(clock=lambda: now[0], sleep=fake_sleep)

    async def three_requests() -> None:
        for work in (0.5, 4.0, 0.0):
            async with limiter.slot(3.0):
                now[0] += work  # the request itself takes this long

    asyncio.run(three_requests())
    assert slept == [2.5]  # the second start waits 3.0 - 0.5; the third is already 4 s later


def test_limiter_spacing_holds_across_event_loops() -> None:
    # The CLI may call asyncio.run() more than once in a process; arXiv's limit still holds.
    now = [0.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(0)
        now[0] += seconds

    limiter = RateLimiter(clock=lambda: now[0], sleep=fake_sleep)

    async def two_at_once() -> None:
        async def one() -> None:
            async with limiter.slot(3.0):
                await asyncio.sleep(0)  # let the other task contend for the lock

        await asyncio.gather(one(), one())

    asyncio.run(two_at_once())
    now[0] += 1.0
    asyncio.run(two_at_once())
    assert slept == [3.0, 2.0, 3.0]


def test_user_agent_and_accept_headers(arxiv: ArxivStandIn) -> None:
    run(fast_config(arxiv), lambda c: c.fetch_batch(SEED_IDS[:1]))
    (request,) = arxiv.requests
    assert request.user_agent == "harvester/0.1.0 (+mailto:curator@example.org)"
    assert request.accept == "application/atom+xml"


def test_fetch_many_batches_and_hands_over_each_batch(arxiv: ArxivStandIn) -> None:
    handed: list[BatchResult] = []
    ids = ["abc", *SEED_IDS, "1907.05642", "arXiv:1510.00149"]  # one invalid, two duplicates
    summary, _ = run(fast_config(arxiv, batch_size=5), lambda c: c.fetch_many(ids, on_batch=handed.append))
    assert [len(b.requested) for b in handed] == [5, 5, 5, 4]
    assert_every_seed_paper_once([p for b in handed for p in b.papers])
    assert [r.ids for r in arxiv.requests] == [tuple(b.requested) for b in handed]
    assert [r.max_results for r in arxiv.requests] == [5, 5, 5, 4]
    assert summary.papers_fetched == 19 and summary.batches == 4 and summary.requests_made == 4
    assert summary.missing == ()
    assert summary.invalid == (("abc", "'abc' is not an arXiv identifier"),)


def test_fetch_many_keeps_finished_batches_when_arxiv_gives_up(arxiv: ArxivStandIn) -> None:
    handed: list[BatchResult] = []

    def keep_and_break(batch: BatchResult) -> None:
        handed.append(batch)
        arxiv.queue_faults(*[Fault.unavailable()] * 4)  # the next batch never succeeds

    with pytest.raises(ArxivUnavailable, match="HTTP 503"):
        run(fast_config(arxiv, batch_size=10), lambda c: c.fetch_many(SEED_IDS, on_batch=keep_and_break))
    assert len(handed) == 1
    assert sorted(p.arxiv_id for p in handed[0].papers) == sorted(SEED_IDS[:10])
    assert len(arxiv.requests) == 5


def test_fetch_versions_returns_each_version_as_it_was(arxiv: ArxivStandIn) -> None:
    papers, _ = run(fast_config(arxiv), lambda c: c.fetch_versions(["1907.05642v1", "1907.05642v2", "1510.00149v1"]))
    assert [(p.arxiv_id, p.version, p.title) for p in papers] == [
        ("1907.05642", 1, "Deep Model Compression via Filter Auto-sampling"),
        ("1907.05642", 2, "Neural Epitome Search for Architecture-Agnostic Network Compression"),
        ("1510.00149", 1, LATEST_TITLE["1510.00149"]),
    ]
    assert papers[0].updated == datetime(2019, 7, 12, 9, 38, 52, tzinfo=UTC)
    assert papers[1].updated == datetime(2019, 9, 26, 12, 0, tzinfo=UTC)
    assert len(arxiv.requests) == 1


def test_fetch_versions_refuses_an_id_without_version(arxiv: ArxivStandIn) -> None:
    with pytest.raises(InvalidArxivId, match="no version"):
        run(fast_config(arxiv), lambda c: c.fetch_versions(["1907.05642"]))
    assert arxiv.requests == []


def test_a_new_version_on_arxiv_is_what_the_next_fetch_sees(arxiv: ArxivStandIn) -> None:
    arxiv.add_version("1907.05642", title="Neural Epitome Search, Revised", submitted="2021-03-01T10:00:00Z")
    result, _ = run(fast_config(arxiv), lambda c: c.fetch_batch(["1907.05642"]))
    (paper,) = result.papers
    assert (paper.version, paper.title) == (4, "Neural Epitome Search, Revised")
    assert paper.updated == datetime(2021, 3, 1, 10, 0, tzinfo=UTC)
    assert paper.published == datetime(2019, 7, 12, 9, 38, 52, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 60.0),
        ("Wednesday, 21-Oct-15 07:29:30 GMT", 150.0),  # the obsolete RFC 850 form
        ("Wed, 21 Oct 2015 07:00:00 GMT", 0.0),  # already past
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_parsing(header: str | None, seconds: float | None) -> None:
    now = datetime(2015, 10, 21, 7, 27, 0, tzinfo=UTC)
    assert parse_retry_after(header, now=now) == seconds


def test_http_client_settings() -> None:
    config = ClientConfig(contact="mailto:curator@example.org")

    async def inspect() -> httpx.AsyncClient:
        async with make_http_client(config) as http:
            return http

    http = asyncio.run(inspect())
    assert http.headers["User-Agent"] == "harvester/0.1.0 (+mailto:curator@example.org)"
    assert http.headers["Accept"] == "application/atom+xml"
    assert http.timeout == httpx.Timeout(60.0, connect=10.0)
    assert http.follow_redirects is False
    assert ClientConfig().base_url == "https://export.arxiv.org/api/query"
    assert (ClientConfig().delay, ClientConfig().batch_size) == (3.0, 500)


def test_missing_ids_cost_one_re_ask_request_together(arxiv: ArxivStandIn) -> None:
    """Eight IDs left out of a batch (three glitches, five truly gone) are asked again in one request."""
    glitched, gone = SEED_IDS[:3], [f"2001.9999{n}" for n in range(5)]
    arxiv.queue_faults(Fault.omit_ids(*glitched))
    batch = [*SEED_IDS, *gone]
    result, client = run(fast_config(arxiv), lambda c: c.fetch_batch(batch))
    assert client.requests_made == 2
    assert sorted(arxiv.requests[1].ids) == sorted([*glitched, *gone])
    assert sorted(result.missing) == sorted(gone)
    assert sorted(p.arxiv_id for p in result.papers) == sorted(SEED_IDS)


def test_missing_ids_of_every_batch_cost_one_re_ask_request_for_the_whole_fetch(arxiv: ArxivStandIn) -> None:
    """A fetch of four batches with IDs left out of three of them asks again once, after the last batch."""
    gone = ["2001.99991", "2001.99992", "2001.99993"]
    ids = [*SEED_IDS[:5], gone[0], *SEED_IDS[5:10], gone[1], *SEED_IDS[10:15], gone[2], *SEED_IDS[15:]]
    handed: list[BatchResult] = []
    summary, client = run(fast_config(arxiv, batch_size=6), lambda c: c.fetch_many(ids, on_batch=handed.append))
    batches = -(-len(ids) // 6)
    assert client.requests_made == batches + 1
    assert sorted(arxiv.requests[-1].ids) == gone  # the re-ask: every left-out ID together
    assert sorted(summary.missing) == gone and summary.papers_fetched == len(SEED_IDS)
    # Nothing is called missing before it was asked again; each batch's re-ask answer carries its whole batch.
    assert all(not r.missing for r in handed[:batches])
    for result in handed[batches:]:
        (left_out,) = result.missing
        assert left_out in result.requested and len(result.requested) == 6


def _late_limiter(budget: bool, lateness: float) -> list[float]:
    """Start times of five requests 1 s apart when every wake-up comes `lateness` seconds late."""
    now = [0.0]
    starts: list[float] = []

    async def late_sleep(seconds: float) -> None:
        now[0] += seconds + lateness

    limiter = RateLimiter(clock=lambda: now[0], sleep=late_sleep, budget=budget)

    async def five() -> None:
        for _ in range(5):
            async with limiter.slot(1.0):
                starts.append(now[0])

    asyncio.run(five())
    return starts


def test_a_gap_limiter_lets_late_wake_ups_add_up_and_a_budget_limiter_does_not() -> None:
    # arXiv asks for a gap: every start at least 1 s after the last, lateness and all.
    gap = _late_limiter(budget=False, lateness=0.2)
    assert gap == pytest.approx([0.0, 1.2, 2.4, 3.6, 4.8])
    # Hugging Face gives a budget per window: a late start is counted from when it was due,
    # so the starts keep the budget's average rate and are never closer than half the interval.
    budget = _late_limiter(budget=True, lateness=0.2)
    assert budget == pytest.approx([0.0, 1.2, 2.2, 3.2, 4.2])
    assert min(b - a for a, b in zip(budget, budget[1:], strict=False)) >= 0.5
    # However late the wake-ups, no more than half an interval is made up.
    very_late = _late_limiter(budget=True, lateness=0.9)
    assert min(b - a for a, b in zip(very_late, very_late[1:], strict=False)) >= 0.5 - 1e-9
