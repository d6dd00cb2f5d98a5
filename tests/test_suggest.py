"""`harvester suggest`: candidates per section from the two stand-ins, scored, stored, remembered."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from harvester.arxiv.client import ArxivClient, make_http_client
from harvester.arxiv.config import ClientConfig
from harvester.enrich import EnrichConfig
from harvester.errors import ArxivUnavailable
from harvester.reconcile.sections import TextModel, paper_terms, pooled
from harvester.reconciling import load_inputs
from harvester.refresh import RefreshOptions, run_refresh
from harvester.store import open_db
from harvester.suggest import SuggestConfig, reject, run_suggest, suggestion_rows
from harvester.suggest.profile import Candidate, Profiles, search_query
from harvester.suggest.sources import parse_recommendations
from harvester.vocabulary import StepStatus, SuggestionStatus
from tests.cli import invoke
from tests.seeddb import NOW
from tests.standins.arxiv import ArxivStandIn, load_candidate_papers
from tests.standins.scholar import Fault, SemanticScholarStandIn

SEARCH_PATH = "/api/query"


@pytest.fixture
def arxiv() -> Iterator[ArxivStandIn]:
    """arXiv's stand-in holding the seed papers and the invented candidates."""
    with ArxivStandIn() as standin:
        for paper in load_candidate_papers():
            standin.add_paper(paper)
        yield standin


def _config(arxiv: ArxivStandIn, s2: SemanticScholarStandIn, attempts: int = 1) -> SuggestConfig:
    enrich = EnrichConfig().with_source(
        "semantic_scholar", base_url=s2.url, delay=0.0, max_attempts=attempts, backoff_base=0.0
    )
    return SuggestConfig(arxiv=ClientConfig(base_url=arxiv.url, delay=0.0, max_attempts=1), enrich=enrich)


def _sections_of_three(db_path: Path) -> set[str]:
    db = open_db(db_path)
    rows = db.query(
        "SELECT section FROM entries WHERE is_paper = 1 AND removed_at IS NULL AND arxiv_id IS NOT NULL "
        "GROUP BY list_id, section HAVING count(DISTINCT arxiv_id) >= 3"
    )
    return {r["section"] for r in rows}


def _listed(db_path: Path) -> set[str]:
    db = open_db(db_path)
    return {i for r in db.query("SELECT arxiv_ids FROM entries") for i in json.loads(r["arxiv_ids"])}


def test_every_section_of_three_papers_gets_suggestions_none_listed_each_with_evidence(
    seed_db: Path, arxiv: ArxivStandIn, s2: SemanticScholarStandIn
) -> None:
    summary = run_suggest(open_db(seed_db), _config(arxiv, s2), now=NOW)

    rows = suggestion_rows(open_db(seed_db))
    assert summary.status == "ok"
    wanted = _sections_of_three(seed_db)
    assert len(wanted) == 4
    assert {r["section"] for r in rows} == wanted
    assert not {r["arxiv_id"] for r in rows} & _listed(seed_db)
    for row in rows:
        assert row["words"] and row["resembles"] and row["sources"], row
        assert set(row["sources"]) <= {"semantic_scholar", "arxiv"}
        assert {r["arxiv_id"] for r in row["resembles"]} <= _listed(seed_db)
    # Both sources found something, and an unrelated paper was recommended but not kept.
    assert {s for r in rows for s in r["sources"]} == {"semantic_scholar", "arxiv"}
    assert "2309.00909" not in {r["arxiv_id"] for r in rows}
    by_id = {r["arxiv_id"]: r for r in rows}
    assert by_id["2306.00606"]["section"] == "7 知识蒸馏"
    assert "distillation" in by_id["2306.00606"]["words"]


def test_a_second_run_asks_nothing_until_the_stored_candidates_are_stale(
    seed_db: Path, arxiv: ArxivStandIn, s2: SemanticScholarStandIn
) -> None:
    config = _config(arxiv, s2)
    run_suggest(open_db(seed_db), config, now=NOW)
    first = (len(s2.requests), len([r for r in arxiv.requests if r.path == SEARCH_PATH]))
    assert first == (4, 4)

    again = run_suggest(open_db(seed_db), config, now=NOW + timedelta(days=6))
    assert again.requests_made == 0
    assert (len(s2.requests), len(arxiv.requests)) == first
    assert again.sources["arxiv"].fresh == again.sources["semantic_scholar"].fresh == 4

    stale = run_suggest(open_db(seed_db), config, now=NOW + timedelta(days=7, seconds=1))
    assert stale.requests_made == 8
    assert (len(s2.requests), len(arxiv.requests)) == (8, 8)
    # The history: first seen stays, last seen moves.
    row = next(r for r in suggestion_rows(open_db(seed_db)) if r["arxiv_id"] == "2306.00606")
    assert row["first_seen"] < row["last_seen"]


def test_a_rejected_paper_is_never_suggested_again(
    seed_db: Path, arxiv: ArxivStandIn, s2: SemanticScholarStandIn
) -> None:
    config = _config(arxiv, s2)
    run_suggest(open_db(seed_db), config, now=NOW)
    assert "2301.00101" in {r["arxiv_id"] for r in suggestion_rows(open_db(seed_db))}

    result = invoke("suggest", "--reject", "arXiv:2301.00101v2", "--reason", "a survey covers it", db=seed_db)
    assert result.returncode == 0, result.stderr
    assert "2301.00101" in result.stdout

    run_suggest(open_db(seed_db), config, now=NOW + timedelta(days=30))  # asked again: both sources return it
    assert "2301.00101" not in {r["arxiv_id"] for r in suggestion_rows(open_db(seed_db))}
    closed = suggestion_rows(open_db(seed_db), status=SuggestionStatus.REJECTED)
    assert [(r["arxiv_id"], r["reason"]) for r in closed] == [("2301.00101", "a survey covers it")]


def test_a_paper_rejected_before_it_was_ever_suggested_is_never_stored(
    seed_db: Path, arxiv: ArxivStandIn, s2: SemanticScholarStandIn
) -> None:
    reject(open_db(seed_db), "2306.00606", None, NOW)
    run_suggest(open_db(seed_db), _config(arxiv, s2), now=NOW)
    db = open_db(seed_db)
    assert not list(db.query("SELECT * FROM suggestions WHERE arxiv_id = '2306.00606'"))


def test_a_paper_listed_since_becomes_accepted(seed_db: Path, arxiv: ArxivStandIn, s2: SemanticScholarStandIn) -> None:
    run_suggest(open_db(seed_db), _config(arxiv, s2), now=NOW)
    db = open_db(seed_db)
    db.execute("UPDATE entries SET arxiv_ids = '[\"2306.00606\"]' WHERE arxiv_id = '1905.10324'")
    db.conn.commit()
    summary = run_suggest(open_db(seed_db), _config(arxiv, s2), now=NOW + timedelta(hours=1))
    assert summary.accepted == 1
    accepted = suggestion_rows(open_db(seed_db), status=SuggestionStatus.ACCEPTED)
    assert {r["arxiv_id"] for r in accepted} == {"2306.00606"}


def test_a_source_that_fails_makes_the_run_partial_and_keeps_what_was_stored(
    seed_db: Path, arxiv: ArxivStandIn, s2: SemanticScholarStandIn
) -> None:
    config = _config(arxiv, s2)
    run_suggest(open_db(seed_db), config, now=NOW)
    before = {(r["arxiv_id"], r["section"]) for r in suggestion_rows(open_db(seed_db))}
    s2.always = Fault(503)

    summary = run_suggest(open_db(seed_db), config, now=NOW + timedelta(days=8))

    assert summary.partial and summary.sources["semantic_scholar"].failed == 4
    assert "HTTP 503" in (summary.error or "")
    assert summary.sources["arxiv"].failed == 0
    assert {(r["arxiv_id"], r["section"]) for r in suggestion_rows(open_db(seed_db))} == before
    # Failed asks are due again at once, the good ones are not.
    s2.always = None
    retry = run_suggest(open_db(seed_db), config, now=NOW + timedelta(days=8, minutes=1))
    assert (retry.sources["semantic_scholar"].asked, retry.sources["arxiv"].asked) == (4, 0)


def test_refresh_suggests_only_when_asked_and_a_failing_source_makes_the_step_partial(
    tmp_path: Path, arxiv: ArxivStandIn, s2: SemanticScholarStandIn
) -> None:
    listing = tmp_path / "model-compression.md"
    listing.write_bytes((Path(__file__).parent.parent / "seeds" / "model-compression.md").read_bytes())
    options = RefreshOptions(
        db_path=tmp_path / "h.db", paths=(listing,), arxiv=ClientConfig(base_url=arxiv.url, delay=0.0)
    )
    plain = run_refresh(options)
    assert "suggest" not in plain.steps and not s2.requests

    s2.always = Fault(500)
    config = _config(arxiv, s2)
    report = run_refresh(RefreshOptions(**{**options.__dict__, "suggest": config}))

    step = report.steps["suggest"]
    assert step.status == StepStatus.PARTIAL and report.status == "partial"
    assert "semantic_scholar" in (step.error or "")
    assert step.counts["sources"]["arxiv"]["kept"] > 0
    assert suggestion_rows(open_db(tmp_path / "h.db"))  # arXiv's candidates were stored all the same


def test_cli_suggest_json_then_report_shows_them_per_section(
    seed_db: Path, arxiv: ArxivStandIn, s2: SemanticScholarStandIn
) -> None:
    env = {
        "HARVESTER_ARXIV_URL": arxiv.url,
        "HARVESTER_ARXIV_DELAY": "0",
        "HARVESTER_S2_URL": s2.url,
        "HARVESTER_S2_DELAY": "0",
    }
    result = invoke("suggest", "--json", "--limit", "1", "--section", "蒸馏", db=seed_db, env=env)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert [r["arxiv_id"] for r in payload["suggestions"]] == ["2306.00606"]
    assert payload["suggestions"][0]["evidence"].startswith("shares ")
    assert payload["summary"]["sections"] == 1

    report = invoke("report", "--suggestions", "--format", "json", db=seed_db)
    assert report.returncode == 0, report.stderr
    assert {r["section"] for r in json.loads(report.stdout)} == {"7 知识蒸馏"}
    markdown = invoke("report", "--suggestions", "--format", "markdown", db=seed_db)
    assert "## " in markdown.stdout and "https://arxiv.org/abs/2306.00606" in markdown.stdout


def test_cli_refuses_a_bad_date_and_a_reason_without_reject(seed_db: Path) -> None:
    bad = invoke("suggest", "--since", "last week", db=seed_db)
    assert bad.returncode == 2 and "--since" in bad.stderr
    lone = invoke("suggest", "--reason", "no", db=seed_db)
    assert lone.returncode == 2 and "--reject" in lone.stderr
    wrong = invoke("suggest", "--reject", "not-an-id", db=seed_db)
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr


def test_the_search_asks_for_the_sections_categories_and_words_since_its_newest_paper(seed_db: Path) -> None:
    inputs = load_inputs(open_db(seed_db))
    profiles = Profiles(inputs.entries, inputs.papers, inputs.topics)  # type: ignore[arg-type]
    quantization = next(s for s in profiles.sections() if s.name == "6 权值量化")
    query = search_query(quantization, quantization.newest, NOW)
    assert query.startswith("(cat:cs.LG) AND (all:")
    assert "quantization" in quantization.terms
    assert query.endswith("submittedDate:[202006170640 TO 202611200300]")


def test_candidates_are_scored_with_the_very_model_category_suspect_uses(seed_db: Path) -> None:
    inputs = load_inputs(open_db(seed_db))
    assert inputs.topics is not None
    profiles = Profiles(inputs.entries, inputs.papers, inputs.topics)
    pool = pooled(inputs.entries, inputs.papers, inputs.topics)
    # The same TF-IDF: fitted on the same documents, it gives the same weights.
    assert profiles.pool.model.df == pool.model.df and profiles.pool.model.n == pool.model.n
    section = next(s for s in profiles.sections() if s.name == "7 知识蒸馏")
    candidate = Candidate(
        "2306.00606", "Cross-Modal Distillation", "knowledge distillation for video", None, (), "arxiv"
    )
    scored = profiles.score(section, candidate)
    expected = pool.model.vector(paper_terms("Cross-Modal Distillation knowledge distillation for video"))
    assert scored.score == pytest.approx(
        sum(v * profiles.profile((section.list_id, section.name)).get(k, 0.0) for k, v in expected.items()), abs=1e-4
    )
    assert isinstance(profiles.pool.model, TextModel)


def test_recommendations_without_an_arxiv_id_are_left_out() -> None:
    payload = {
        "recommendedPapers": [
            {"paperId": "a", "externalIds": {"DOI": "10.1/x"}, "title": "Journal only"},
            {
                "paperId": "b",
                "externalIds": {"ArXiv": "2301.00101"},
                "title": "On arXiv",
                "publicationDate": "2023-01-02",
            },
            {"paperId": "c", "externalIds": {"ArXiv": "2301.00101"}, "title": "Twice"},
        ]
    }
    found = parse_recommendations(payload)
    assert [(c.arxiv_id, c.title, c.source) for c in found] == [("2301.00101", "On arXiv", "semantic_scholar")]
    with pytest.raises(ValueError):
        parse_recommendations([])


def test_since_narrows_both_sources_and_asks_again_when_it_changes(
    seed_db: Path, arxiv: ArxivStandIn, s2: SemanticScholarStandIn
) -> None:
    config = _config(arxiv, s2)
    run_suggest(open_db(seed_db), config, now=NOW)
    later = replace(config, since=datetime(2023, 5, 1, tzinfo=UTC))

    summary = run_suggest(open_db(seed_db), later, now=NOW + timedelta(hours=1))

    assert summary.requests_made == 8  # a new --since is a new question, fresh or not
    searches = [r for r in arxiv.requests if r.path == SEARCH_PATH]
    assert len(searches) == 8
    queries = [
        row["query"] for row in open_db(seed_db).query("SELECT query FROM suggestion_queries WHERE source = 'arxiv'")
    ]
    assert all("submittedDate:[202305010000 TO " in q for q in queries)
    new = {(r["arxiv_id"]) for r in suggestion_rows(open_db(seed_db)) if r["last_seen"] > r["first_seen"]}
    assert new and all(i >= "2305" for i in new)  # only papers from May 2023 on were seen again


def test_a_throttled_recommendation_is_retried_after_retry_after(
    seed_db: Path, arxiv: ArxivStandIn, s2: SemanticScholarStandIn
) -> None:
    s2.queue_faults(Fault(429, retry_after="0"), Fault(503))
    summary = run_suggest(open_db(seed_db), _config(arxiv, s2, attempts=3), now=NOW)
    assert summary.status == "ok"
    assert [r.status for r in s2.requests[:3]] == [429, 503, 200]
    assert summary.sources["semantic_scholar"].requests_made == 6  # 4 sections, 2 retries


def test_suggest_for_a_list_never_imported_is_one_line_and_exit_1(seed_db: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.md"
    other.write_text("# Other\n\n## Pruning\n\n- [A](https://arxiv.org/abs/2301.00101)\n", encoding="utf-8")
    result = invoke("suggest", str(other), db=seed_db)
    assert result.returncode == 1
    assert "not imported" in result.stderr and "Traceback" not in result.stderr


def test_the_arxiv_search_is_answered_newest_first_in_both_dialects_and_a_bad_query_is_refused(
    arxiv: ArxivStandIn,
) -> None:
    config = ClientConfig(base_url=arxiv.url, delay=0.0, max_attempts=1)

    async def search(query: str) -> list[str]:
        async with make_http_client(config) as http:
            feed = await ArxivClient(http, config).search(query, max_results=3)
        return [p.arxiv_id for p in feed.papers]

    query = "cat:cs.LG AND (all:quantization OR all:pruning) AND submittedDate:[202301010000 TO 202312312359]"
    assert asyncio.run(search(query)) == ["2304.00404", "2303.00303", "2302.00202"]
    arxiv.dialect = "legacy"
    assert asyncio.run(search(query)) == ["2304.00404", "2303.00303", "2302.00202"]
    with pytest.raises(ArxivUnavailable, match="refused the search"):
        asyncio.run(search("cat:cs.LG AND ("))
