"""Enrichment runs against local Semantic Scholar and Hugging Face stand-ins: requests, storage, failures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from sqlite_utils import Database

from harvester.config import from_environment
from harvester.enrich import EnrichConfig, run_enrich
from harvester.store import open_db
from tests.seeddb import NOW, build_seed_db
from tests.standins.scholar import Fault
from tests.standins.web import refused_port

S2, HF = "semantic_scholar", "huggingface"
HF_DELAY = 0.1
FAST = {
    "max_attempts": 2,
    "backoff_base": 0.01,
    "backoff_max": 0.02,
    "max_retry_after": 0.05,
    "timeout": 5.0,
}
HF_FOUND = [
    "1510.00149",
    "1905.07376",
    "1905.10324",
    "1907.00274",
    "1907.05642",
    "1907.05686",
    "1910.04576",
    "2006.09679",
]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_db(build_seed_db(tmp_path / "h.db"))
    yield database
    database.close()


def make_config(s2_url: str, hf_url: str, hf_delay: float = 0.01, **changes: object) -> EnrichConfig:
    return (
        EnrichConfig()
        .with_source(S2, base_url=s2_url, delay=0.01, **{**FAST, **changes})
        .with_source(HF, base_url=hf_url, delay=hf_delay, **{**FAST, **changes})
    )


def rows(db: Database, source: str) -> dict[str, dict]:
    return {r["arxiv_id"]: r for r in db.query("SELECT * FROM enrichments WHERE source = ?", [source])}


def test_seed_costs_one_batch_and_one_page_request_per_paper_spaced_by_the_rate(db, s2, hf) -> None:
    summary = run_enrich(db, make_config(s2.url, hf.url, hf_delay=HF_DELAY), now=NOW)
    assert summary.status == "ok"
    batch = [(r.method, r.path, len(r.ids), r.status) for r in s2.requests]
    assert batch == [("POST", "/graph/v1/paper/batch", 19, 200)]
    assert s2.requests[0].query["fields"] == "venue,publicationVenue,journal,year,externalIds,citationCount"
    assert len(hf.requests) == 19 and len({r.ids for r in hf.requests}) == 19
    starts = [r.started for r in hf.requests]
    # Hugging Face's limit is a budget per window, so a late request lets the next one
    # start up to half an interval early (politeness.RateLimiter): what holds is the
    # average pace, and no two requests anywhere near back to back, as they would be
    # without the limiter. Seen by the server, so scheduling noise is allowed for.
    assert starts[-1] - starts[0] >= (len(starts) - 1.5) * HF_DELAY * 0.95
    assert min(b - a for a, b in pairwise(starts)) >= HF_DELAY * 0.25
    counts = summary.as_dict()["sources"]
    assert (counts[S2]["found"], counts[S2]["not_found"], counts[S2]["requests_made"]) == (18, 1, 1)
    assert (counts[HF]["found"], counts[HF]["not_found"], counts[HF]["requests_made"]) == (8, 11, 19)
    assert sorted(i for i, r in rows(db, HF).items() if r["status"] == "found") == HF_FOUND


def test_a_second_run_within_the_age_asks_nothing_and_a_later_one_asks_again(db, s2, hf) -> None:
    config = make_config(s2.url, hf.url)
    run_enrich(db, config, now=NOW)
    s2.reset_log(), hf.reset_log()
    again = run_enrich(db, config, now=NOW + timedelta(days=6))
    assert (s2.requests, hf.requests, again.requests_made, again.status) == ([], [], 0, "ok")
    run_enrich(db, config, sources=[S2], now=NOW + timedelta(days=8))
    # After 7 days the 18 found papers are asked again; the one "not indexed" waits 30 days.
    assert (len(s2.requests), len(s2.requests[0].ids), hf.requests) == (1, 18, [])


def test_all_asks_again_within_the_age(db, s2, hf) -> None:
    config = make_config(s2.url, hf.url)
    run_enrich(db, config, sources=[S2], now=NOW)
    run_enrich(db, config, sources=[S2], all=True, now=NOW + timedelta(hours=1))
    assert len(s2.requests) == 2


def test_stored_fields_per_source_and_never_arxivs_doi(db, s2, hf) -> None:
    run_enrich(db, make_config(s2.url, hf.url), now=NOW)
    icip = rows(db, S2)["1910.04641"]
    assert {
        k: icip[k]
        for k in ("status", "venue", "journal", "year", "doi", "citation_count", "code_url", "fetched_at", "last_error")
    } == {
        "status": "found",
        "venue": "IEEE International Conference on Image Processing",
        "journal": "2019 IEEE International Conference on Image Processing (ICIP)",
        "year": 2019,
        "doi": None,
        "citation_count": 23,
        "code_url": None,
        "fetched_at": "2026-11-20T03:00:00Z",
        "last_error": None,
    }
    preprint = rows(db, S2)["1905.10324"]
    assert (preprint["venue"], preprint["journal"], preprint["doi"]) == (None, None, None)
    assert '"DOI": "10.48550/arXiv.1905.10324"' in preprint["raw"]
    assert rows(db, S2)["1906.08859"]["status"] == "not_found"
    assert rows(db, HF)["2006.09679"]["code_url"] == "https://github.com/clovaai/StatAssist-GradBoost"
    assert rows(db, HF)["1803.04239"]["status"] == "not_found"
    papers = db["papers"].get("1910.04641")
    assert (papers["doi"], papers["journal_ref"]) == (None, None)  # nothing merged into arXiv's columns


def test_keys_are_sent_only_when_configured(db, s2, hf) -> None:
    run_enrich(db, make_config(s2.url, hf.url), sources=[S2], now=NOW)
    assert "x-api-key" not in s2.requests[0].headers
    keyed = make_config(s2.url, hf.url).with_source(S2, api_key="s2-key").with_source(HF, api_key="hf-token")
    run_enrich(db, keyed, all=True, now=NOW)
    assert s2.requests[-1].headers["x-api-key"] == "s2-key"
    assert {r.headers["authorization"] for r in hf.requests} == {"Bearer hf-token"}
    assert s2.requests[-1].headers["user-agent"].startswith("harvester/")


def test_retry_after_is_honoured(db, s2, hf) -> None:
    s2.queue_faults(Fault(429, retry_after="1"))
    summary = run_enrich(db, make_config(s2.url, hf.url, max_retry_after=5.0), sources=[S2], now=NOW)
    assert summary.status == "ok"
    first, second = s2.requests
    assert (first.status, second.status) == (429, 200)
    assert second.started - first.started >= 0.95


def test_both_services_down_or_throttling_give_a_partial_summary_and_keep_earlier_answers(db, s2, hf) -> None:
    config = make_config(s2.url, hf.url)
    run_enrich(db, config, now=NOW)
    before = {S2: rows(db, S2), HF: rows(db, HF)}
    s2.always, hf.always = Fault(503), Fault(429, retry_after="1")
    s2.reset_log(), hf.reset_log()
    later = NOW + timedelta(days=1)
    summary = run_enrich(db, config, all=True, now=later)
    assert (summary.status, summary.as_dict()["partial"]) == ("partial", True)
    counts = summary.as_dict()["sources"]
    assert [(counts[s]["requests_made"], counts[s]["not_asked"]) for s in (S2, HF)] == [(2, 19), (2, 19)]
    assert "HTTP 503" in counts[S2]["error"] and "HTTP 429" in counts[HF]["error"]
    assert summary.error and summary.error.startswith("semantic_scholar: ")
    assert (len(s2.requests), len(hf.requests)) == (2, 2)  # a service that is down is not hammered
    assert {S2: rows(db, S2), HF: rows(db, HF)} == before


def test_an_unreachable_service_is_partial_not_an_error(db, hf) -> None:
    config = make_config(f"http://127.0.0.1:{refused_port()}", hf.url)
    summary = run_enrich(db, config, sources=[S2], now=NOW)
    assert summary.status == "partial"
    assert "ConnectError" in (summary.sources[0].error or "")
    assert db["enrichments"].count == 0


def test_a_failed_answer_never_overwrites_a_good_one(db, s2, hf) -> None:
    config = make_config(s2.url, hf.url)
    run_enrich(db, config, sources=[S2], now=NOW)
    s2.queue_faults(Fault(400, body=b'{"error": "bad request"}'))
    later = NOW + timedelta(days=8)
    summary = run_enrich(db, config, sources=[S2], now=later)
    # The 18 found papers are due after 7 days (the one not indexed is not: 30 days).
    assert (summary.status, summary.sources[0].failed) == ("partial", 18)
    icip = rows(db, S2)["1910.04641"]
    assert (icip["status"], icip["venue"], icip["fetched_at"], icip["checked_at"]) == (
        "found",
        "IEEE International Conference on Image Processing",
        "2026-11-20T03:00:00Z",
        "2026-11-28T03:00:00Z",
    )
    assert icip["last_error"].startswith("2026-11-28T03:00:00Z: HTTP 400")
    # The failure makes the paper due again at once; the next good answer clears the error.
    run_enrich(db, config, sources=[S2], now=later + timedelta(hours=1))
    assert rows(db, S2)["1910.04641"]["last_error"] is None


def test_a_failure_on_a_new_paper_is_stored_as_failed_and_asked_again(db, s2, hf) -> None:
    s2.queue_faults(Fault(400, body=b'{"error": "bad request"}'))
    run_enrich(db, make_config(s2.url, hf.url), sources=[S2], now=NOW)
    assert {r["status"] for r in rows(db, S2).values()} == {"failed"}
    summary = run_enrich(db, make_config(s2.url, hf.url), sources=[S2], now=NOW + timedelta(minutes=5))
    assert (summary.status, summary.sources[0].found) == ("ok", 18)


def test_a_paper_a_source_no_longer_knows_keeps_its_earlier_answer(db, s2, hf) -> None:
    config = make_config(s2.url, hf.url)
    run_enrich(db, config, sources=[HF], now=NOW)
    del hf.papers["2006.09679"]
    summary = run_enrich(db, config, sources=[HF], all=True, now=NOW + timedelta(days=1))
    assert summary.status == "ok"
    row = rows(db, HF)["2006.09679"]
    assert (row["status"], row["code_url"]) == ("found", "https://github.com/clovaai/StatAssist-GradBoost")
    assert "no longer knows the paper" in row["last_error"]


def test_unknown_source_is_partial_and_the_others_still_run(db, s2, hf) -> None:
    summary = run_enrich(db, make_config(s2.url, hf.url), sources=["dblp", S2], now=NOW)
    assert summary.status == "partial"
    assert summary.as_dict()["sources"]["dblp"]["error"].startswith("unknown source 'dblp'")
    assert summary.as_dict()["sources"][S2]["found"] == 18


def _from_env(environ: dict[str, str]) -> EnrichConfig:
    return from_environment(environ).enrich_config()


def test_config_from_env() -> None:
    config = _from_env(
        {
            "HARVESTER_S2_URL": "http://127.0.0.1:9/s2",
            "HARVESTER_HF_URL": "http://127.0.0.1:9/hf",
            "SEMANTIC_SCHOLAR_API_KEY": "k",
            "HF_TOKEN": "t",
            "HARVESTER_HF_DELAY": "2.5",
            "HARVESTER_ENRICH_MAX_AGE": "3d",
            "HARVESTER_CONTACT": "me@example.org",
        }
    )
    assert config.sources == (S2, HF)
    assert (config.settings_for(S2).base_url, config.settings_for(S2).api_key) == ("http://127.0.0.1:9/s2", "k")
    assert (config.settings_for(HF).base_url, config.settings_for(HF).delay) == ("http://127.0.0.1:9/hf", 2.5)
    assert (config.settings_for(S2).delay, config.max_age, config.contact) == (1.0, timedelta(days=3), "me@example.org")
    assert "'k'" not in repr(config)
    defaults = _from_env({})
    assert (defaults.settings_for(S2).base_url, defaults.settings_for(HF).base_url) == (
        "https://api.semanticscholar.org",
        "https://huggingface.co",
    )
    assert defaults.max_age == timedelta(days=7)
    assert _from_env({"HARVESTER_ENRICH_SOURCES": "huggingface"}).sources == (HF,)
    assert _from_env({"HARVESTER_ENRICH_SOURCES": ""}).sources == ()


def test_no_sources_means_no_requests(db, s2, hf) -> None:
    config = _from_env({"HARVESTER_ENRICH_SOURCES": "", "HARVESTER_S2_URL": s2.url})
    summary = run_enrich(db, config, now=NOW)
    assert (summary.status, summary.sources, s2.requests, hf.requests) == ("ok", (), [], [])


def test_not_indexed_answers_are_asked_again_after_30_days_found_ones_after_7(db, s2, hf) -> None:
    config = make_config(s2.url, hf.url)
    first = run_enrich(db, config, sources=[HF], now=NOW)
    (counts,) = first.sources
    not_indexed = {i for i, r in rows(db, HF).items() if r["status"] == "not_found"}
    found = {i for i, r in rows(db, HF).items() if r["status"] == "found"}
    assert (len(not_indexed), len(found)) == (counts.not_found, counts.found) and not_indexed and found
    # Found answers are asked again 7 days after each check (days 8 and 29); "not indexed" on day 31 only.
    for days, asked in [(6, set()), (8, found), (14, set()), (29, found), (31, not_indexed)]:
        hf.reset_log()
        run_enrich(db, config, sources=[HF], now=NOW + timedelta(days=days))
        assert {r.ids[0] for r in hf.requests} == asked, f"day {days}"


def test_the_not_found_age_is_a_setting() -> None:
    config = _from_env({"HARVESTER_ENRICH_NOT_FOUND_MAX_AGE": "2d"})
    assert (config.max_age, config.not_found_max_age) == (timedelta(days=7), timedelta(days=2))
    assert _from_env({}).not_found_max_age == timedelta(days=30)


def test_hugging_face_is_spaced_by_its_published_budget_and_faster_with_a_token() -> None:
    anonymous = _from_env({}).settings_for(HF).delay
    token = _from_env({"HF_TOKEN": "t"}).settings_for(HF).delay
    # 500 requests per 5 minutes anonymously, 1,000 with a token.
    assert (anonymous, token) == (0.6, 0.3)
    assert _from_env({"HF_TOKEN": "t", "HARVESTER_HF_DELAY": "2"}).settings_for(HF).delay == 2.0


def test_hugging_faces_rate_limit_header_sets_the_spacing(db, s2, hf, monkeypatch) -> None:
    from harvester.enrich import run as enrich_run
    from harvester.politeness import RateLimiter

    intervals: list[float] = []

    class Recording(RateLimiter):
        def slot(self, interval, shared=None):  # type: ignore[no-untyped-def]
            intervals.append(interval)
            return super().slot(0.0, shared)

    monkeypatch.setattr(enrich_run, "_LIMITERS", {HF: Recording()})
    hf.headers = (("RateLimit", '"api";r=400;t=100'),)
    run_enrich(db, make_config(s2.url, hf.url, hf_delay=0.6), sources=[HF], now=NOW)
    # The first request goes at the configured spacing; each later one at what the header says remains.
    assert intervals[0] == 0.6 and set(intervals[1:]) == {0.25} and len(intervals) == 19


@pytest.mark.parametrize(
    ("header", "spacing"),
    [
        ('"api";r=489;t=189', 189 / 489),  # Hugging Face's structured form
        ("limit=100, remaining=80, reset=54", 54 / 80),  # the draft's older form
        ('"api";r=0;t=30', 30.0),  # spent: wait for the window to reset
        ("", None),
        ("garbage", None),
        ('"api";q=500;w=300', None),  # a policy, not what remains
    ],
)
def test_spacing_from_a_rate_limit_header(header: str, spacing: float | None) -> None:
    from harvester.politeness import spacing_from_ratelimit

    assert spacing_from_ratelimit(header) == spacing


def test_refresh_asks_about_listed_ids_before_arxiv_answers_except_those_arxiv_never_had(db) -> None:
    from harvester.enrich.run import listed_to_enrich, papers_to_enrich

    entry_id, ids = next(iter(db.execute("SELECT id, arxiv_ids FROM entries WHERE arxiv_ids != '[]' LIMIT 1")))
    db.execute(
        "UPDATE entries SET arxiv_ids = ? WHERE id = ?",
        [json.dumps([*json.loads(ids), "2101.99998", "2101.99999v2"]), entry_id],
    )
    db.execute(
        "INSERT INTO missing_papers (arxiv_id, first_missing, last_checked, missing_runs) VALUES (?, ?, ?, 1)",
        ["2101.99999", "2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z"],
    )
    db.conn.commit()
    listed = listed_to_enrich(db)
    # Not yet fetched: asked. Said by arXiv never to exist: not asked. Papers arXiv has: asked, as before.
    assert "2101.99998" in listed and "2101.99999" not in listed
    assert set(papers_to_enrich(db)) == set(listed) - {"2101.99998"}
