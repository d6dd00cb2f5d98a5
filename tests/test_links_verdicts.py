"""The pure verdict rules: redirect chains, page heuristics, the dead-after-failures rule."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from harvester.links.verdicts import (
    DeadRule,
    Failure,
    Hop,
    Judgement,
    LinkState,
    Observation,
    PaperFacts,
    Reach,
    Verdict,
    challenge_reason,
    classify_redirects,
    hold,
    is_normalization,
    judge_arxiv,
    judge_observation,
    judge_without_request,
    private_address,
    settle,
    soft_404_reason,
)

T0 = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)


def chain(*steps: tuple[str, int]) -> tuple[Hop, ...]:
    return tuple(Hop(url, status) for url, status in steps)


@pytest.mark.parametrize(
    ("hops", "expected"),
    [
        (chain(("http://a.org/x", 301), ("https://a.org/x", 200)), (Verdict.OK, "normalized: http -> https")),
        (
            chain(("http://a.org/x", 301), ("https://a.org/x", 301), ("https://a.org/x/", 200)),
            (Verdict.OK, "normalized: http -> https, trailing slash"),
        ),
        (chain(("https://a.org/x", 302), ("https://a.org/x/", 200)), (Verdict.OK, "normalized: trailing slash")),
        (chain(("https://a.org/x", 301), ("https://b.org/y", 200)), (Verdict.MOVED, None)),
        (
            chain(("http://a.org/x", 301), ("https://a.org/x", 308), ("https://b.org/y", 200)),
            (Verdict.MOVED, None),
        ),
        (
            chain(("https://a.org/x", 307), ("https://b.org/y", 200)),
            (Verdict.REDIRECTED, "temporary redirect (307) to https://b.org/y"),
        ),
        (
            chain(("https://a.org/paper", 301), ("https://a.org/", 200)),
            (Verdict.REDIRECTED, "permanent redirect to a front page (https://a.org/): not a move"),
        ),
        (
            chain(("https://a.org/paper", 301), ("https://a.org/login?next=/paper", 200)),
            (Verdict.REDIRECTED, "permanent redirect to a login page (https://a.org/login?next=/paper): not a move"),
        ),
        (
            chain(("https://doi.org/10.1/x", 302), ("https://pub.org/x", 301), ("https://pub.org/y", 200)),
            (Verdict.OK, "resolver link (doi.org) leads to https://pub.org/y"),
        ),
    ],
)
def test_classify_redirects(hops: tuple[Hop, ...], expected: tuple[Verdict, str | None]) -> None:
    assert classify_redirects(hops) == expected


def test_normalization_never_downgrades_or_changes_host_or_query() -> None:
    assert is_normalization("http://a.org/x", "https://a.org/x/")
    assert not is_normalization("https://a.org/x", "http://a.org/x")
    assert not is_normalization("https://a.org/x", "https://www.a.org/x")
    assert not is_normalization("https://a.org/x?p=1", "https://a.org/x?p=2")
    assert not is_normalization("https://a.org/x", "https://a.org/x")


def test_soft_404_reads_only_the_title_and_first_heading() -> None:
    assert soft_404_reason(b"<title>404 - File or directory not found.</title>") == (
        "page title says '404 - File or directory not found.'"
    )
    assert soft_404_reason("<html><h1>页面不存在</h1>".encode()) == "page heading says '页面不存在'"
    assert soft_404_reason(b"<title>Pruning</title><p>the key was not found in the cache</p>") is None
    assert soft_404_reason(b"") is None


def test_challenge_pages_by_header_title_or_script() -> None:
    assert challenge_reason(b"", challenge_header=True) == "challenge page (cf-mitigated header)"
    assert challenge_reason(b"<title>Attention Required! | Cloudflare</title>", False) == (
        "challenge page (title 'Attention Required! | Cloudflare')"
    )
    assert challenge_reason(b'<script src="/cdn-cgi/challenge-platform/x.js">', False) == (
        "challenge page (bot-protection script)"
    )
    assert challenge_reason(b"<title>Quantization</title>", False) is None


@pytest.mark.parametrize(
    ("status", "verdict", "transient"),
    [
        (200, Verdict.OK, False),
        (404, Verdict.DEAD, False),
        (410, Verdict.DEAD, False),
        (401, Verdict.BLOCKED, False),
        (403, Verdict.BLOCKED, False),
        (429, Verdict.BLOCKED, False),
        (406, Verdict.BLOCKED, False),
        (500, Verdict.UNREACHABLE, True),
        (521, Verdict.UNREACHABLE, True),
    ],
)
def test_final_status(status: int, verdict: Verdict, transient: bool) -> None:
    judgement = judge_observation(Observation("https://a.org/x", chain(("https://a.org/x", status))))
    assert (judgement.verdict, judgement.status, judgement.transient, judgement.reach) == (
        verdict,
        status,
        transient,
        Reach.ANSWERED,
    )


@pytest.mark.parametrize(
    ("failure", "verdict", "reach"),
    [
        (Failure.NAME_NOT_FOUND, Verdict.DEAD, Reach.UNREACHED),
        (Failure.DNS, Verdict.UNREACHABLE, Reach.UNREACHED),
        (Failure.CONNECT, Verdict.UNREACHABLE, Reach.UNREACHED),
        (Failure.TLS, Verdict.UNREACHABLE, Reach.ANSWERED),
        (Failure.TIMEOUT, Verdict.UNREACHABLE, Reach.ANSWERED),
        (Failure.PRIVATE, Verdict.SKIPPED, Reach.NONE),
        (Failure.INVALID_URL, Verdict.DEAD, Reach.NONE),
    ],
)
def test_failures_without_any_answer(failure: Failure, verdict: Verdict, reach: Reach) -> None:
    judgement = judge_observation(Observation("https://a.org/x", failure=failure, error="why"))
    assert (judgement.verdict, judgement.reach, judgement.error, judgement.hops) == (verdict, reach, "why", ())


def test_a_connection_failure_after_a_redirect_means_the_network_was_up() -> None:
    observation = Observation("https://a.org/x", chain(("https://a.org/x", 301)), Failure.CONNECT, "refused")
    judgement = judge_observation(observation)
    assert (judgement.verdict, judgement.status, judgement.reach) == (Verdict.UNREACHABLE, 301, Reach.ANSWERED)


def test_urls_decided_without_a_request() -> None:
    assert judge_without_request("ftp://a.org/x", ()) == Judgement(Verdict.SKIPPED, error="not an http(s) link")
    assert judge_without_request("https://", ()) == Judgement(Verdict.SKIPPED, error="not an http(s) link")
    excluded = judge_without_request("https://a.org/private", (re.compile("private"),))
    assert excluded == Judgement(Verdict.SKIPPED, error="excluded by pattern 'private'")
    assert judge_without_request("https://a.org/x", (re.compile("private"),)) is None


def test_private_addresses() -> None:
    assert private_address(["140.82.112.3"]) is None
    assert private_address(["140.82.112.3", "192.168.1.9"]) == "192.168.1.9"
    assert private_address(["::1"]) == "::1"
    assert private_address(["fe80::1%eth0"]) == "fe80::1%eth0"
    assert private_address(["100.64.0.1"]) == "100.64.0.1"


def test_arxiv_mirror_without_a_paper_path_suggests_the_same_page_on_arxiv() -> None:
    judgement = judge_arxiv("http://cn.arxiv.org/list/cs.LG/recent?x=1", None, None, None)
    assert (judgement.verdict, judgement.suggestion) == (Verdict.DEAD, "https://arxiv.org/list/cs.LG/recent?x=1")


def test_a_withdrawn_paper_is_ok_with_a_note() -> None:
    facts = PaperFacts(exists=True, latest_version=3, withdrawn=True)
    assert judge_arxiv("https://arxiv.org/abs/1905.10324", "1905.10324", None, facts) == Judgement(
        Verdict.OK, note="withdrawn on arXiv"
    )


# ---------------------------------------------------------------- settle

RULE = DeadRule(runs=3, days=2)
DOWN = Judgement(Verdict.UNREACHABLE, error="HTTP 503", transient=True)
UP = Judgement(Verdict.OK, status=200)


def state_after(judgement: Judgement, moments: list[datetime]) -> LinkState:
    previous: LinkState | None = None
    for moment in moments:
        settled = settle(judgement, previous, moment, RULE)
        previous = LinkState(**settled.__dict__)
    assert previous is not None
    return previous


def test_three_runs_spanning_midnight_count_as_two_days() -> None:
    # 23:30, 23:45 and 00:15 the next day: three runs on two calendar days.
    state = state_after(DOWN, [T0, T0 + timedelta(minutes=15), T0 + timedelta(minutes=45)])
    assert (state.verdict, state.consecutive_failures, state.failure_days) == (Verdict.DEAD, 3, 2)
    assert state.error == "unreachable on 3 runs over 2 days since 2026-03-02: HTTP 503"


def test_two_runs_on_two_days_are_not_enough() -> None:
    state = state_after(DOWN, [T0, T0 + timedelta(days=3)])
    assert (state.verdict, state.consecutive_failures, state.failure_days) == (Verdict.UNREACHABLE, 2, 4)


def test_blocked_never_becomes_dead() -> None:
    blocked = Judgement(Verdict.BLOCKED, status=403, error="HTTP 403")
    state = state_after(blocked, [T0 + timedelta(days=d) for d in range(5)])
    assert (state.verdict, state.consecutive_failures) == (Verdict.BLOCKED, 5)


def test_a_success_resets_and_skipped_leaves_the_streak() -> None:
    failing = state_after(DOWN, [T0, T0 + timedelta(days=1)])
    skipped = settle(Judgement(Verdict.SKIPPED, error="excluded"), failing, T0 + timedelta(days=2), RULE)
    assert (skipped.consecutive_failures, skipped.first_failed_at) == (2, T0)
    ok = settle(UP, failing, T0 + timedelta(days=2), RULE)
    assert (ok.verdict, ok.consecutive_failures, ok.first_failed_at, ok.failure_days, ok.last_ok_at) == (
        Verdict.OK,
        0,
        None,
        0,
        T0 + timedelta(days=2),
    )


def test_hold_keeps_the_previous_state_or_records_unreachable_uncounted() -> None:
    previous = state_after(UP, [T0])
    kept = hold(DOWN, previous)
    assert (kept.verdict, kept.last_ok_at, kept.consecutive_failures) == (Verdict.OK, T0, 0)
    first = hold(DOWN, None)
    assert (first.verdict, first.consecutive_failures, first.first_failed_at) == (Verdict.UNREACHABLE, 0, None)
