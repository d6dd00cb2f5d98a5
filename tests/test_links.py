"""Link checking end to end: a real local web on loopback, a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import ssl
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import httpx
import pytest
from sqlite_utils import Database

from harvester.ids import parse_arxiv_url
from harvester.links import (
    DEFAULT_USER_AGENT,
    LinkCheckConfig,
    LinkResult,
    LinkRunReport,
    NameNotFound,
    NameResolutionFailed,
    check_links,
    link_rows,
    problem_findings,
    verdict_counts,
)
from harvester.links.verdicts import rest_after
from harvester.schema import MIGRATION_SETS
from harvester.timeutil import iso
from tests.standins.web import (
    LocalWeb,
    Reply,
    page,
    redirect,
    refused_port,
    self_signed_certificate,
)

ROOT = Path(__file__).parent.parent
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# Tiny timeouts and backoffs keep the file fast; loopback needs allow_private. No rest
# between the checks of a failing link: the tests of the rest ask for one.
FAST = LinkCheckConfig(
    concurrency=8,
    per_host=4,
    per_host_delay=0.0,
    timeout=0.5,
    retries=2,
    backoff=0.01,
    max_backoff=0.05,
    max_retry_after=0.3,
    allow_private=True,
    first_rest=timedelta(0),
)


# ---------------------------------------------------------------- helpers


def make_db(
    tmp_path: Path, urls: list[str], papers: dict[str, int] | None = None, missing: tuple[str, ...] = ()
) -> Database:
    """A migrated database whose list has one entry per URL (line = 10 + index)."""
    db = Database(tmp_path / "harvester.db")
    for migrations in MIGRATION_SETS:
        migrations.apply(db)
    db["lists"].insert(
        {
            "id": 1,
            "path": "/lists/reading.md",
            "name": "reading.md",
            "sha256": "0",
            "size": 0,
            "imported_at": "2026-01-01T00:00:00+00:00",
        }
    )
    for index, url in enumerate(urls):
        add_link(db, url, line=10 + index)
    for arxiv_id, version in (papers or {}).items():
        add_paper(db, arxiv_id, version)
    for arxiv_id in missing:
        db["missing_papers"].insert({"arxiv_id": arxiv_id, "first_missing": "2026-01-01", "last_checked": "2026-01-01"})
    return db


def add_link(db: Database, url: str, line: int, removed: bool = False) -> None:
    entry_id = (
        db["entries"]
        .insert(
            {
                "list_id": 1,
                "entry_key": f"entry-{line}",
                "section": "Papers",
                "position": line,
                "line": line,
                "end_line": line,
                "raw": url,
                "is_paper": 1,
                "arxiv_ids": "[]",
                "first_seen": "2026-01-01",
                "updated_at": "2026-01-01",
                "removed_at": "2026-01-02" if removed else None,
            }
        )
        .last_pk
    )
    try:
        found = parse_arxiv_url(url)
    except ValueError:
        found = None
    db["entry_links"].insert(
        {
            "entry_id": entry_id,
            "position": 0,
            "url": url,
            "label": "link",
            "role": "title",
            "line": line,
            "arxiv_id": found.id if found else None,
            "arxiv_version": found.version if found else None,
        }
    )


def add_paper(db: Database, arxiv_id: str, version: int = 1) -> None:
    db["papers"].insert(
        {
            "arxiv_id": arxiv_id,
            "version": version,
            "title": "A paper",
            "abstract": "",
            "published": "2019-05-24T00:00:00Z",
            "updated": "2019-05-24T00:00:00Z",
            "other_classifications": "[]",
            "dois": "[]",
            "abs_url": f"https://arxiv.org/abs/{arxiv_id}",
            "first_seen": "2026-01-01",
            "last_fetched": "2026-01-01",
        }
    )


def run(db: Database, config: LinkCheckConfig = FAST, **options: object) -> LinkRunReport:
    options.setdefault("now", lambda: T0)
    return asyncio.run(check_links(db, config, **options))  # type: ignore[arg-type]


def by_url(report: LinkRunReport) -> dict[str, LinkResult]:
    return {result.url: result for result in report.results}


def hops(result: LinkResult) -> list[tuple[str, int]]:
    return [(hop.url, hop.status) for hop in result.hops]


def stored(db: Database, url: str) -> dict[str, object]:
    return db["links"].get(url)


def resolver_for(
    names: dict[str, str], gone: tuple[str, ...] = (), asked: list[str] | None = None
) -> Callable[[str], object]:
    """An injected resolver: no DNS traffic ever leaves the test."""

    async def resolve(host: str) -> list[str]:
        if asked is not None:
            asked.append(host)
        if host in gone:
            raise NameNotFound(f"host name does not resolve: {host}")
        if host not in names:
            raise NameResolutionFailed(f"could not resolve {host}: no resolver in tests")
        return [names[host]]

    return resolve


# ---------------------------------------------------------------- verdicts per response


def test_a_200_is_ok_with_one_hop(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/paper", page("A paper"))
    url = web.url("/paper")
    db = make_db(tmp_path, [url])
    report = run(db)
    result = by_url(report)[url]
    assert (result.verdict, result.status, result.final_url, result.suggestion, result.error) == (
        "ok",
        200,
        url,
        None,
        None,
    )
    assert hops(result) == [(url, 200)]
    assert (report.checked, report.requests_made, report.network_down) == (1, 1, False)


@pytest.mark.parametrize(
    ("chain", "verdict"),
    [
        ([301], "moved"),
        ([301, 308], "moved"),
        ([302], "redirected"),
        ([301, 302], "redirected"),
    ],
)
def test_redirect_chains(web: LocalWeb, tmp_path: Path, chain: list[int], verdict: str) -> None:
    paths = [f"/hop{i}" for i in range(len(chain))] + ["/final"]
    for status, path, target in zip(chain, paths, paths[1:], strict=False):
        web.route(path, redirect(status, target))
    web.route("/final", page("Final"))
    start, final = web.url(paths[0]), web.url("/final")
    result = by_url(run(make_db(tmp_path, [start])))[start]
    assert result.verdict == verdict
    assert hops(result) == [(web.url(p), s) for p, s in zip(paths, chain, strict=False)] + [(final, 200)]
    assert (result.status, result.final_url) == (200, final)
    assert result.suggestion == (final if verdict == "moved" else None)
    if verdict == "redirected":
        assert result.note == f"temporary redirect (302) to {final}"


def test_a_trailing_slash_redirect_is_ok_and_noted(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/docs", redirect(301, "/docs/"))
    web.route("/docs/", page("Docs"))
    url = web.url("/docs")
    result = by_url(run(make_db(tmp_path, [url])))[url]
    assert (result.verdict, result.suggestion, result.note) == ("ok", None, "normalized: trailing slash")
    assert hops(result) == [(url, 301), (web.url("/docs/"), 200)]


@pytest.mark.parametrize("status", [404, 410])
def test_404_and_410_are_dead_at_once(web: LocalWeb, tmp_path: Path, status: int) -> None:
    web.route("/gone", Reply(status))
    url = web.url("/gone")
    db = make_db(tmp_path, [url])
    result = by_url(run(db))[url]
    assert (result.verdict, result.status, result.error, result.suggestion) == ("dead", status, f"HTTP {status}", None)
    assert hops(result) == [(url, status)]
    assert web.hits("/gone") == 1  # not retried


def test_a_500_then_200_is_ok_after_one_retry(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/flaky", Reply(500), page("Back"))
    url = web.url("/flaky")
    report = run(make_db(tmp_path, [url]))
    result = by_url(report)[url]
    assert (result.verdict, result.status) == ("ok", 200)
    assert hops(result) == [(url, 200)]
    assert (web.hits("/flaky"), report.requests_made) == (2, 2)


def test_429_honours_retry_after_up_to_the_cap(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/busy", Reply(429, headers=(("Retry-After", "5"),)), page("Done"))
    url = web.url("/busy")
    result = by_url(run(make_db(tmp_path, [url])))[url]
    assert (result.verdict, result.status) == ("ok", 200)
    first, second = [seen.at for seen in web.requests if seen.path == "/busy"]
    # Waited the capped Retry-After (0.3 s), not the backoff (0.01 s) nor the 5 s asked for.
    assert 0.28 <= second - first < 5


def test_a_429_that_never_ends_is_blocked(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/busy", Reply(429))
    url = web.url("/busy")
    result = by_url(run(make_db(tmp_path, [url])))[url]
    assert (result.verdict, result.status, result.error) == ("blocked", 429, "HTTP 429")
    assert web.hits("/busy") == 3  # the first try and two retries


def test_403_and_challenge_pages_are_blocked(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/forbidden", Reply(403))
    web.route("/challenge", page("Just a moment..."))
    forbidden, challenge = web.url("/forbidden"), web.url("/challenge")
    results = by_url(run(make_db(tmp_path, [forbidden, challenge])))
    assert (results[forbidden].verdict, results[forbidden].status) == ("blocked", 403)
    assert (results[challenge].verdict, results[challenge].status) == ("blocked", 200)
    assert results[challenge].error == "challenge page (title 'Just a moment...')"


def test_a_hang_past_the_timeout_is_unreachable(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/slow", Reply(delay=1.5))
    web.route("/fine", page("Fine"))
    slow = web.url("/slow")
    config = replace(FAST, timeout=0.2, retries=1)
    result = by_url(run(make_db(tmp_path, [slow, web.url("/fine")]), config))[slow]
    assert (result.verdict, result.status, result.hops) == ("unreachable", None, ())
    assert result.error == "timed out after 0.2 s"
    assert web.hits("/slow") == 1  # a hang costs one timeout per run, retries or not


def test_a_refused_port_is_unreachable_and_counted(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/fine", page("Fine"))
    refused = f"http://127.0.0.1:{refused_port()}/x"
    db = make_db(tmp_path, [refused, web.url("/fine")])
    report = run(db)
    result = by_url(report)[refused]
    assert (result.verdict, result.status, result.counted, report.network_down) == ("unreachable", None, True, False)
    assert result.error.startswith("cannot connect to 127.0.0.1: ")
    assert stored(db, refused)["consecutive_failures"] == 1


def test_a_name_that_does_not_resolve_is_dead_without_dns(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/fine", page("Fine"))
    gone = "https://gone.invalid/paper"
    asked: list[str] = []
    db = make_db(tmp_path, [gone, web.url("/fine")])
    report = run(db, resolver=resolver_for({}, gone=("gone.invalid",), asked=asked))
    result = by_url(report)[gone]
    assert (result.verdict, result.status, result.error) == ("dead", None, "host name does not resolve: gone.invalid")
    assert asked == ["gone.invalid"]  # once: a name that does not exist is not asked again
    assert report.requests_made == 1  # only the live link was fetched


def test_a_redirect_loop_is_unreachable(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/a", redirect(302, "/b"))
    web.route("/b", redirect(302, "/a"))
    a, b = web.url("/a"), web.url("/b")
    result = by_url(run(make_db(tmp_path, [a])))[a]
    assert result.verdict == "unreachable"
    assert result.error == f"redirect loop: {a} -> {b} -> {a}"
    assert hops(result) == [(a, 302), (b, 302)]


def test_more_than_max_redirects_is_unreachable(web: LocalWeb, tmp_path: Path) -> None:
    for i in range(4):
        web.route(f"/r{i}", redirect(301, f"/r{i + 1}"))
    web.route("/r4", page("End"))
    start = web.url("/r0")
    result = by_url(run(make_db(tmp_path, [start]), replace(FAST, max_redirects=3)))[start]
    assert (result.verdict, result.error) == ("unreachable", "more than 3 redirects")
    assert len(result.hops) == 4
    assert web.hits("/r4") == 0


def test_a_redirect_to_file_is_refused(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/sneaky", redirect(301, "file:///etc/passwd"))
    url = web.url("/sneaky")
    result = by_url(run(make_db(tmp_path, [url])))[url]
    assert (result.verdict, result.status) == ("dead", 301)
    assert result.error == "redirect to a non-http(s) URL refused: file:///etc/passwd"
    assert hops(result) == [(url, 301)]


def test_a_200_not_found_page_is_a_soft_404(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/moved-away", page("Page Not Found", "Sorry, we could not find that."))
    url = web.url("/moved-away")
    result = by_url(run(make_db(tmp_path, [url])))[url]
    assert (result.verdict, result.status) == ("dead", 200)
    assert result.error == "soft 404: page title says 'Page Not Found'"


def test_a_retired_arxiv_mirror_is_dead_by_rule_without_a_request(tmp_path: Path) -> None:
    url = "http://cn.arxiv.org/abs/1905.10324"
    asked: list[str] = []
    report = run(make_db(tmp_path, [url]), resolver=resolver_for({}, asked=asked))
    result = by_url(report)[url]
    assert (result.verdict, result.suggestion) == ("dead", "https://arxiv.org/abs/1905.10324")
    assert result.error == "retired host: cn.arxiv.org was shut down on 2024-09-15"
    assert (report.requests_made, asked) == (0, [])


def test_arxiv_links_are_judged_from_metadata(tmp_path: Path) -> None:
    exists, missing, unknown = (
        "https://arxiv.org/pdf/1905.08793v1.pdf",
        "https://arxiv.org/abs/1905.99999",
        "https://export.arxiv.org/abs/1907.00262",
    )
    too_new = "https://arxiv.org/abs/1905.08793v4"
    malformed = "https://arxiv.org/abs/1905.123"
    listing = "https://arxiv.org/list/cs.LG/recent"
    asked: list[str] = []
    db = make_db(
        tmp_path,
        [exists, missing, unknown, too_new, malformed, listing],
        papers={"1905.08793": 2},
        missing=("1905.99999",),
    )
    report = run(db, resolver=resolver_for({}, asked=asked))
    results = by_url(report)
    assert (results[exists].verdict, results[exists].note) == ("ok", "exists on arXiv")
    assert (results[missing].verdict, results[missing].error) == (
        "dead",
        "arXiv has no paper 1905.99999 since 2026-01-01",
    )
    assert (results[unknown].verdict, results[unknown].error) == ("skipped", "arXiv 1907.00262 not yet harvested")
    assert (results[too_new].verdict, results[too_new].suggestion) == ("dead", "https://arxiv.org/abs/1905.08793")
    assert results[too_new].error == "arXiv 1905.08793 has no v4 (latest is v2)"
    assert results[malformed].verdict == "dead"
    assert results[malformed].error.startswith("malformed arXiv identifier: ")
    assert (results[listing].verdict, results[listing].error) == (
        "skipped",
        "arXiv page that is not a paper: not crawled",
    )
    assert (report.requests_made, asked) == (0, [])


def test_non_web_links_and_exclusions_are_skipped(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/private-notes", page("Notes"))
    excluded = web.url("/private-notes")
    db = make_db(tmp_path, ["mailto:someone@example.org", "#head", excluded])
    report = run(db, replace(FAST, exclude=(r"/private-",)))
    results = by_url(report)
    assert results["mailto:someone@example.org"].verdict == "skipped"
    assert results["#head"].error == "not an http(s) link"
    assert (results[excluded].verdict, results[excluded].error) == ("skipped", "excluded by pattern '/private-'")
    assert (report.requests_made, web.hits("/private-notes")) == (0, 0)


# ---------------------------------------------------------------- safety


def test_private_addresses_are_refused_unless_allowed(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/inside", page("Inside"))
    loopback = web.url("/inside")
    intranet = "http://intranet.example/wiki"
    db = make_db(tmp_path, [loopback, intranet])
    resolve = resolver_for({"intranet.example": "10.1.2.3"})
    refused = by_url(run(db, replace(FAST, allow_private=False), resolver=resolve))
    assert (refused[loopback].verdict, refused[loopback].error) == ("skipped", "private address (127.0.0.1) refused")
    assert (refused[intranet].verdict, refused[intranet].error) == ("skipped", "private address (10.1.2.3) refused")
    assert web.hits("/inside") == 0
    # Never let the 10.x name through: nothing may leave loopback.
    allowed = by_url(run(db, replace(FAST, exclude=(r"intranet",)), all=True, resolver=resolve))
    assert (allowed[loopback].verdict, web.hits("/inside")) == ("ok", 1)


def test_a_redirect_to_a_private_address_is_refused(tmp_path: Path) -> None:
    seen: list[str] = []

    def public_site(request: httpx.Request) -> httpx.Response:
        # A mock transport: nothing leaves the process.
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data"})

    url = "http://public.example/go"
    resolve = resolver_for({"public.example": "93.184.215.14"})
    db = make_db(tmp_path, [url])
    report = run(db, replace(FAST, allow_private=False), resolver=resolve, transport=httpx.MockTransport(public_site))
    result = by_url(report)[url]
    assert (result.verdict, result.error) == ("skipped", "private address (169.254.169.254) refused")
    assert hops(result) == [(url, 302)]
    assert seen == ["http://93.184.215.14/go"]  # connected to the checked address, not a fresh lookup


def test_no_cookies_or_credentials_cross_hosts_and_the_user_agent_is_sent(web: LocalWeb, tmp_path: Path) -> None:
    web.route(
        "/login",
        Reply(
            302,
            headers=(("Location", f"http://other.test:{web.port}/landing"), ("Set-Cookie", "session=secret; Path=/")),
        ),
        host="site.test",
    )
    web.route("/landing", page("Landing"), host="other.test")
    url = f"http://user:password@site.test:{web.port}/login"
    resolve = resolver_for({"site.test": "127.0.0.1", "other.test": "127.0.0.1"})
    result = by_url(run(make_db(tmp_path, [url]), resolver=resolve))[url]
    assert result.verdict == "redirected"
    first, second = web.requests
    assert (first.host, second.host) == ("site.test", "other.test")
    assert "Authorization" not in first.headers and "Cookie" not in second.headers
    assert first.headers["User-Agent"] == DEFAULT_USER_AGENT


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_https_goes_to_the_checked_address_with_the_name_in_tls(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path, "secure.test")
    with LocalWeb(tls=(cert, key)) as secure:
        secure.route("/paper", page("Secure"))
        good = f"https://secure.test:{secure.port}/paper"
        wrong = f"https://impostor.test:{secure.port}/paper"
        resolve = resolver_for({"secure.test": "127.0.0.1", "impostor.test": "127.0.0.1"})
        transport = httpx.AsyncHTTPTransport(verify=ssl.create_default_context(cafile=str(cert)))
        results = by_url(
            run(make_db(tmp_path, [good, wrong]), replace(FAST, retries=0), resolver=resolve, transport=transport)
        )
    assert (results[good].verdict, results[good].status) == ("ok", 200)
    assert results[wrong].verdict == "unreachable"
    assert results[wrong].error.startswith("TLS error: ")
    assert [seen.host for seen in secure.requests] == ["secure.test"]


# ---------------------------------------------------------------- politeness and caching


def test_each_url_is_fetched_once_however_often_listed(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/popular", page("Popular"))
    url = web.url("/popular")
    db = make_db(tmp_path, [url, url, url + "#section"])
    report = run(db)
    assert web.hits("/popular") == 1
    assert (report.checked, report.requests_made) == (2, 1)  # two distinct strings, one fetch
    assert [(e.list_name, e.line) for e in by_url(report)[url].entries] == [("reading.md", 10), ("reading.md", 11)]


def test_requests_to_one_host_are_spaced_and_limited(web: LocalWeb, tmp_path: Path) -> None:
    names = {"a.test": "127.0.0.1", "b.test": "127.0.0.1"}
    urls = []
    for host in names:
        for i in range(3):
            web.route(f"/p{i}", page("Page"), host=host)
            urls.append(f"http://{host}:{web.port}/p{i}")
    config = replace(FAST, per_host=1, per_host_delay=0.15)
    report = run(make_db(tmp_path, urls), config, resolver=resolver_for(names))
    assert report.counts()["ok"] == 6
    for host in names:
        starts = [seen.at for seen in web.requests if seen.host == host]
        assert len(starts) == 3
        # Arrival times seen by the server: scheduling noise on a busy machine can bring
        # two arrivals closer than the client spaced them, never to back-to-back.
        assert min(b - a for a, b in pairwise(starts)) >= 0.09
    # The two hosts were checked side by side, not one after the other (that would put
    # one host's first request after the other's third).
    a_starts = [s.at for s in web.requests if s.host == "a.test"]
    b_starts = [s.at for s in web.requests if s.host == "b.test"]
    assert b_starts[0] < a_starts[2] and a_starts[0] < b_starts[2]


def test_ok_links_are_not_checked_again_within_max_age(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/stable", page("Stable"))
    web.route("/broken", Reply(404))
    stable, broken = web.url("/stable"), web.url("/broken")
    db = make_db(tmp_path, [stable, broken])
    run(db, now=lambda: T0)
    second = run(db, now=lambda: T0 + timedelta(hours=19))
    assert (web.hits("/stable"), web.hits("/broken")) == (1, 2)
    assert (second.checked, second.not_due) == (1, 1)
    run(db, now=lambda: T0 + timedelta(hours=19, minutes=30), all=True)
    assert web.hits("/stable") == 2
    run(db, now=lambda: T0 + timedelta(hours=40))
    assert web.hits("/stable") == 3


def test_links_of_removed_entries_are_not_checked(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/old", page("Old"))
    db = make_db(tmp_path, [])
    add_link(db, web.url("/old"), line=5, removed=True)
    report = run(db)
    assert (report.checked, web.hits("/old"), link_rows(db)) == (0, 0, [])


# ---------------------------------------------------------------- history


def test_three_failing_runs_on_two_days_make_unreachable_dead_and_one_success_resets(
    web: LocalWeb, tmp_path: Path
) -> None:
    web.route("/down", Reply(503))
    url = web.url("/down")
    db = make_db(tmp_path, [url])
    config = replace(FAST, retries=0)
    day1_morning, day1_evening, day2 = T0, T0 + timedelta(hours=12), T0 + timedelta(days=1)
    assert by_url(run(db, config, now=lambda: day1_morning))[url].verdict == "unreachable"
    assert by_url(run(db, config, now=lambda: day1_evening))[url].verdict == "unreachable"
    third = by_url(run(db, config, now=lambda: day2))[url]
    assert third.verdict == "dead"
    assert third.error == "unreachable on 3 runs over 2 days since 2026-03-02: HTTP 503"
    row = stored(db, url)
    assert (row["consecutive_failures"], row["failure_days"], row["first_failed_at"]) == (3, 2, "2026-03-02T09:00:00Z")
    web.route("/down", page("Up again"))
    back = by_url(run(db, config, now=lambda: day2 + timedelta(hours=1)))[url]
    assert back.verdict == "ok"
    row = stored(db, url)
    assert (row["verdict"], row["consecutive_failures"], row["first_failed_at"], row["last_ok_at"]) == (
        "ok",
        0,
        None,
        "2026-03-03T10:00:00Z",
    )
    checks = list(db.query("SELECT verdict, status, counted FROM link_checks WHERE url = ? ORDER BY id", [url]))
    assert [c["verdict"] for c in checks] == ["unreachable", "unreachable", "unreachable", "ok"]


def test_a_failing_link_rests_longer_after_each_failure_and_still_becomes_dead(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/down", Reply(503))
    url = web.url("/down")
    db = make_db(tmp_path, [url])
    config = replace(FAST, retries=0, first_rest=timedelta(hours=12), longest_rest=timedelta(days=7))
    night = T0.replace(hour=2)

    def checked_at(moment: datetime) -> LinkResult | None:
        return by_url(run(db, config, now=lambda: moment)).get(url)

    assert checked_at(night).verdict == "unreachable"  # type: ignore[union-attr]
    assert checked_at(night + timedelta(hours=11)) is None  # resting 12 h after one failure
    assert checked_at(night + timedelta(days=1)).verdict == "unreachable"  # type: ignore[union-attr]
    # Two failures: 24 h of rest. A nightly run a minute early is still within it.
    assert checked_at(night + timedelta(days=2) - timedelta(minutes=1)) is None
    third = checked_at(night + timedelta(days=3))
    assert third is not None and third.verdict == "dead"  # the dead rule saw 3 runs over 4 days
    assert web.hits("/down") == 3  # one request per check, none while resting
    assert len(list(db.query("SELECT 1 FROM link_checks WHERE url = ?", [url]))) == 3


def test_a_resting_link_is_checked_with_all_and_counted_as_not_due_without(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/down", Reply(503))
    web.route("/fine", page("Fine"))
    down, fine = web.url("/down"), web.url("/fine")
    db = make_db(tmp_path, [down, fine])
    config = replace(FAST, retries=0, first_rest=timedelta(hours=12), max_age=timedelta(0))
    run(db, config)
    later = run(db, config, now=lambda: T0 + timedelta(hours=1))
    assert set(by_url(later)) == {fine} and later.not_due == 1
    everything = run(db, config, all=True, now=lambda: T0 + timedelta(hours=2))
    assert set(by_url(everything)) == {down, fine}
    assert web.hits("/down") == 2


def test_the_rest_doubles_from_the_first_and_stops_at_the_longest() -> None:
    first, longest = timedelta(hours=12), timedelta(days=7)
    assert [rest_after(n, first, longest) for n in range(6)] == [
        timedelta(0),
        timedelta(hours=12),
        timedelta(days=1),
        timedelta(days=2),
        timedelta(days=4),
        timedelta(days=7),
    ]
    assert rest_after(10_000, first, longest) == longest


def test_three_failing_runs_on_one_day_stay_unreachable(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/down", Reply(503))
    url = web.url("/down")
    db = make_db(tmp_path, [url])
    config = replace(FAST, retries=0)
    for hour in (1, 5, 9, 13):
        result = by_url(run(db, config, now=lambda hour=hour: T0 + timedelta(hours=hour)))[url]
    assert (result.verdict, stored(db, url)["consecutive_failures"]) == ("unreachable", 4)


def test_history_rows_record_hops_timing_and_run(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/a", redirect(301, "/b"))
    web.route("/b", page("B"))
    a = web.url("/a")
    db = make_db(tmp_path, [a])
    run(db, run_id=7)
    check = list(db.query("SELECT * FROM link_checks"))[0]
    assert json.loads(check["hops"]) == [{"url": a, "status": 301}, {"url": web.url("/b"), "status": 200}]
    assert (check["verdict"], check["status"], check["run_id"], check["requests"], check["counted"]) == (
        "moved",
        200,
        7,
        2,
        1,
    )
    assert check["elapsed_ms"] >= 0
    row = stored(db, a)
    assert (row["verdict"], row["suggestion"], row["verdict_since"], row["first_checked_at"]) == (
        "moved",
        web.url("/b"),
        "2026-03-02T09:00:00Z",
        "2026-03-02T09:00:00Z",
    )


def test_link_rows_and_counts_for_display(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/ok", page("OK"))
    web.route("/gone", Reply(404))
    ok, gone = web.url("/ok"), web.url("/gone")
    db = make_db(tmp_path, [ok, gone, "http://cn.arxiv.org/abs/1907.05642"])
    run(db)
    rows = link_rows(db)
    assert [(r["url"], r["verdict"]) for r in rows] == [
        (gone, "dead"),
        ("http://cn.arxiv.org/abs/1907.05642", "dead"),
        (ok, "ok"),
    ]
    assert rows[1]["entries"] == [{"list": "reading.md", "line": 12, "section": "Papers"}]
    assert rows[2]["hops"] == [{"url": ok, "status": 200}]
    assert verdict_counts(db) == {
        "ok": 1,
        "moved": 0,
        "redirected": 0,
        "dead": 2,
        "unreachable": 0,
        "blocked": 0,
        "skipped": 0,
    }


def test_dead_and_moved_links_as_findings(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/gone", Reply(404))
    web.route("/old", redirect(308, "/new"))
    web.route("/new", page("New"))
    gone, old = web.url("/gone"), web.url("/old")
    db = make_db(tmp_path, [gone, old, "http://cn.arxiv.org/abs/1907.05642", web.url("/new")])
    run(db)
    found = problem_findings(db)
    assert [(f["kind"], f["severity"], f["line"], f["noted"], f["suggestion"], f["detail"]) for f in found] == [
        ("dead_link", "warning", 10, gone, None, "HTTP 404"),
        ("moved_link", "info", 11, old, web.url("/new"), None),
    ]  # the mirror is reconcile's mirror_link finding, not repeated here
    assert (found[0]["key"], found[0]["list_name"], found[0]["section"]) == (
        f"dead_link:entry-10:{gone}",
        "reading.md",
        "Papers",
    )


def test_a_killed_run_keeps_the_results_it_finished(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/quick", page("Quick"))
    web.route("/slow", Reply(delay=60.0))  # never answers before the cancel
    quick, slow = web.url("/quick"), web.url("/slow")
    db = make_db(tmp_path, [quick, slow])
    checking: asyncio.Task | None = None
    fetches_done: list[asyncio.Task] = []

    def clock() -> datetime:
        # check_links stamps a fetched result from inside that fetch's own task, once it is done.
        task = asyncio.current_task()
        if task is not None and task is not checking:
            fetches_done.append(task)
        return T0

    async def killed() -> None:
        nonlocal checking
        checking = asyncio.create_task(check_links(db, replace(FAST, timeout=100.0), now=clock))
        for _ in range(3000):  # up to 30 s: a bound for a hang, not a timing
            if fetches_done and web.hits("/slow"):
                break
            await asyncio.sleep(0.01)
        for _ in range(100):  # the finished fetch reaches the run through a few loop turns, no I/O
            await asyncio.sleep(0)
        assert len(fetches_done) == 1 and web.hits("/slow") == 1 and not checking.done()
        task = checking
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(killed())
    assert [r["url"] for r in db.query("SELECT url FROM links")] == [quick]


# ---------------------------------------------------------------- network down


def test_network_down_counts_no_failure(web: LocalWeb, tmp_path: Path) -> None:
    web.route("/known", page("Known"))
    known = web.url("/known")
    db = make_db(tmp_path, [known])
    run(db, now=lambda: T0)
    web.stop()  # the whole "internet" goes away
    refused = f"http://127.0.0.1:{refused_port()}/new"
    add_link(db, refused, line=30)
    add_link(db, "https://nowhere.example/x", line=31)
    later = T0 + timedelta(days=1)
    report = run(db, now=lambda: later, resolver=resolver_for({}))
    assert report.network_down is True
    results = by_url(report)
    assert {url: (r.verdict, r.counted) for url, r in results.items()} == {
        known: ("ok", False),
        refused: ("unreachable", False),
        "https://nowhere.example/x": ("unreachable", False),
    }
    assert results["https://nowhere.example/x"].error == (
        "network down, not counted: could not resolve nowhere.example: no resolver in tests"
    )
    assert (stored(db, known)["verdict"], stored(db, known)["last_checked_at"]) == ("ok", "2026-03-02T09:00:00Z")
    assert stored(db, refused)["consecutive_failures"] == 0
    assert [r["counted"] for r in db.query("SELECT counted FROM link_checks WHERE checked_at = ?", [iso(later)])] == [
        0,
        0,
        0,
    ]


def test_an_injected_transport_that_cannot_connect_means_network_down(tmp_path: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 101] Network is unreachable", request=request)

    db = make_db(tmp_path, ["https://github.com/a/b", "https://example.org/c"])
    resolve = resolver_for({"github.com": "140.82.112.3", "example.org": "93.184.215.14"})
    report = run(db, resolver=resolve, transport=httpx.MockTransport(refuse))
    assert report.network_down is True
    assert report.counts()["unreachable"] == 2
    assert report.requests_made == 6  # each tried, then retried twice


SEED = ROOT / "seeds" / "model-compression.md"


def test_the_seed_list_gets_a_verdict_for_every_link_with_no_network(tmp_path: Path) -> None:
    urls = re.findall(r"\]\(([^)\s]+)\)|<(https?://[^>\s]+)>", SEED.read_text(encoding="utf-8"))
    urls = [a or b for a, b in urls]
    seed_ids = [p["id"] for p in json.loads((ROOT / "tests/fixtures/arxiv/seed_papers.json").read_text())["papers"]]
    db = make_db(tmp_path, urls, papers={i: 1 for i in seed_ids})
    asked: list[str] = []

    def no_network(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no network", request=request)

    report = run(db, resolver=resolver_for({}, asked=asked), transport=httpx.MockTransport(no_network))
    results = by_url(report)
    assert report.network_down is True
    assert report.checked == len(set(urls))
    mirrors = [r for url, r in results.items() if url.startswith("http://cn.arxiv.org/")]
    assert len(mirrors) == 17
    assert all(
        r.verdict == "dead" and r.suggestion == r.url.replace("http://cn.arxiv.org", "https://arxiv.org")
        for r in mirrors
    )
    canonical = [r for url, r in results.items() if url.startswith("https://arxiv.org/")]
    assert len(canonical) == 19 and {r.verdict for r in canonical} == {"ok"}
    others = {url: r.verdict for url, r in results.items() if "arxiv.org" not in url}
    assert others == {
        "#head": "skipped",
        "https://github.com/clovaai/StatAssist-GradBoost": "unreachable",
        "https://blog.csdn.net/xiaoxiaowenqiang/article/details/80946522": "unreachable",
        "https://www.cnblogs.com/zhonghuasong/p/7822572.html": "unreachable",
    }
    assert not any("arxiv" in host for host in asked)
    assert all(not r.counted for url, r in results.items() if r.verdict == "unreachable")


def test_every_name_failing_to_resolve_is_network_down_not_dead_links(tmp_path: Path) -> None:
    # A sandbox or a broken resolver answers "no such name" for every host: that
    # is the network being down, not three dead links.
    urls = ["https://github.com/a/b", "https://blog.example.com/post", "https://example.org/c"]
    db = make_db(tmp_path, urls)
    report = run(db, resolver=resolver_for({}, gone=("github.com", "blog.example.com", "example.org")))
    assert report.network_down is True
    assert {url: (r.verdict, r.counted) for url, r in by_url(report).items()} == {
        url: ("unreachable", False) for url in urls
    }
    assert all(stored(db, url)["consecutive_failures"] == 0 for url in urls)
