"""arXiv answers that lie (empty feeds, vanished papers, blank fields) never damage what is stored."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from standins.arxiv import ArxivStandIn, Fault
from test_fetch import SEED, fetch, rows

from harvester.arxiv.client import ArxivClient, RateLimiter, make_http_client
from harvester.arxiv.config import ClientConfig
from harvester.findings import open_findings
from harvester.harvest import HarvestSummary, harvest, listed_ids
from harvester.importer import import_lists, read_source
from harvester.links import LinkCheckConfig, check_links
from harvester.links.verdicts import DeadRule, missing_for_good
from harvester.reconciling import run_reconcile
from harvester.store import open_db
from tests.cli import invoke
from tests.seeddb import NOW

# Only arXiv's own links: they are judged from the harvested metadata, without a request.
ONLY_ARXIV = (r"^https?://(?!(\w+\.)?arxiv\.org/)",)
REMOVED = "1905.08922"  # a seed paper, linked as https://arxiv.org/abs/1905.08922


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """The seed list imported, no paper fetched yet."""
    path = tmp_path / "h.db"
    database = open_db(path)
    import_lists(database, [read_source(SEED)], NOW)
    database.close()
    return path


def links_cli(db: Path) -> dict[str, str]:
    result = invoke("links", "--json", "--exclude", ONLY_ARXIV[0], db=db)
    assert result.returncode == 0, result.stderr
    return {link["url"]: link["verdict"] for link in json.loads(result.stdout)["links"]}


def arxiv_verdicts(verdicts: dict[str, str]) -> dict[str, str]:
    """Links on arxiv.org itself (the retired mirrors are dead by rule, whatever the metadata says)."""
    return {url: v for url, v in verdicts.items() if url.startswith("https://arxiv.org/abs/")}


def reconcile_cli(db: Path, arxiv: ArxivStandIn) -> list[dict]:
    result = invoke("reconcile", "--json", db=db, env={"HARVESTER_ARXIV_URL": arxiv.url})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["findings"]


def assert_clean_failure(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr


def stored(db: Path) -> list[tuple]:
    return rows(
        db,
        "SELECT p.arxiv_id, p.title, p.abstract, p.published, p.missing_since, "
        "(SELECT count(*) FROM paper_authors a WHERE a.arxiv_id = p.arxiv_id) FROM papers p ORDER BY 1",
    )


# ---------------------------------------------------------------- 6a: an empty arXiv is an outage


def empty_feeds(arxiv: ArxivStandIn) -> None:
    # More empty answers than the client should ask for, as if arXiv's index were down.
    arxiv.queue_faults(*[Fault.empty_feed()] * 30)


def every_paper_gone(arxiv: ArxivStandIn) -> None:
    for arxiv_id in arxiv.paper_ids:
        arxiv.remove_paper(arxiv_id)


@pytest.mark.parametrize("lie", [empty_feeds, every_paper_gone], ids=["empty feeds", "answers without any paper"])
def test_arxiv_answering_without_every_held_paper_is_an_outage(
    db: Path, arxiv: ArxivStandIn, lie: Callable[[ArxivStandIn], None]
) -> None:
    assert fetch(db, arxiv).returncode == 0
    before = stored(db)
    lie(arxiv)
    result = fetch(db, arxiv, "--all")
    assert_clean_failure(result)
    assert "outage" in result.stderr and "nothing was marked missing" in result.stderr
    assert json.loads(result.stdout)["requests_made"] == 2  # the batch, and the batch again: not once per paper
    assert stored(db) == before  # no missing_since, no title touched
    assert rows(db, "SELECT * FROM missing_papers") == []
    verdicts = arxiv_verdicts(links_cli(db))
    assert verdicts and set(verdicts.values()) == {"ok"}
    assert not [f for f in reconcile_cli(db, arxiv) if f["kind"] == "not_found"]


def test_ids_never_held_may_all_be_missing(db: Path, arxiv: ArxivStandIn) -> None:
    assert fetch(db, arxiv).returncode == 0
    result = fetch(db, arxiv, "--ids", "2101.99998,2101.99999")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["missing"] == ["2101.99998", "2101.99999"]
    assert rows(db, "SELECT arxiv_id, missing_runs FROM missing_papers ORDER BY 1") == [
        ("2101.99998", 1),
        ("2101.99999", 1),
    ]


def test_held_papers_that_are_already_missing_do_not_make_an_outage(db: Path, arxiv: ArxivStandIn) -> None:
    # Two held papers arXiv had stopped returning, asked alone: nothing arXiv used to
    # return is absent, so their absence keeps counting instead of failing every run.
    assert fetch(db, arxiv).returncode == 0
    arxiv.remove_paper(REMOVED)
    arxiv.remove_paper("1907.05686")
    assert fetch(db, arxiv, "--all").returncode == 0
    _next_second()  # runs are told apart by their time, stored to the second
    result = fetch(db, arxiv, "--ids", f"{REMOVED},1907.05686")
    assert result.returncode == 0, result.stderr
    assert rows(db, "SELECT arxiv_id, missing_runs FROM missing_papers ORDER BY 1") == [
        ("1905.08922", 2),
        ("1907.05686", 2),
    ]


def _next_second() -> None:
    time.sleep(1 - time.time() % 1 + 0.01)


# ---------------------------------------------------------------- 6b: one vanished paper gets a grace period


def test_one_vanished_paper_is_recorded_but_not_reported_on_the_first_run(db: Path, arxiv: ArxivStandIn) -> None:
    assert fetch(db, arxiv).returncode == 0
    arxiv.remove_paper(REMOVED)
    result = fetch(db, arxiv, "--all")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["missing"] == [REMOVED]
    [(missing_since,)] = rows(db, "SELECT missing_since FROM papers WHERE arxiv_id = ?", (REMOVED,))
    assert missing_since is not None
    assert rows(db, "SELECT arxiv_id, missing_runs FROM missing_papers") == [(REMOVED, 1)]
    verdicts = arxiv_verdicts(links_cli(db))
    assert verdicts[f"https://arxiv.org/abs/{REMOVED}"] != "dead"
    assert "dead" not in verdicts.values()
    assert not [f for f in reconcile_cli(db, arxiv) if f["kind"] == "not_found"]


DAY1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def harvest_at(db_path: Path, arxiv: ArxivStandIn, now: datetime) -> HarvestSummary:
    async def run() -> HarvestSummary:
        config = ClientConfig(base_url=arxiv.url, delay=0, backoff_base=0.01, backoff_max=0.05)
        db = open_db(db_path)
        async with make_http_client(config) as http:
            return await harvest(db, ArxivClient(http, config, limiter=RateLimiter()), listed_ids(db), now)

    return asyncio.run(run())


def link_verdict_at(db_path: Path, url: str, now: datetime) -> str:
    config = LinkCheckConfig(exclude=ONLY_ARXIV)
    report = asyncio.run(check_links(open_db(db_path), config, all=True, now=lambda: now))
    [result] = [r for r in report.results if r.url == url]
    return result.verdict.value


def not_found_at(db_path: Path, now: datetime) -> list[str]:
    database = open_db(db_path)
    run_reconcile(database, now=now)
    return [f["arxiv_id"] for f in open_findings(database) if f["kind"] == "not_found"]


def test_a_vanished_paper_is_reported_after_three_runs_over_two_days_and_forgiven_when_back(
    db: Path, arxiv: ArxivStandIn
) -> None:
    url = f"https://arxiv.org/abs/{REMOVED}"
    assert harvest_at(db, arxiv, DAY1 - timedelta(days=1)).missing == []
    arxiv.remove_paper(REMOVED)
    for now in (DAY1, DAY1 + timedelta(hours=1), DAY1 + timedelta(hours=2)):  # three runs, one day
        assert harvest_at(db, arxiv, now).missing == [REMOVED]
        assert link_verdict_at(db, url, now) != "dead"
        assert not_found_at(db, now) == []
    day2 = DAY1 + timedelta(days=1)
    assert harvest_at(db, arxiv, day2).missing == [REMOVED]
    assert link_verdict_at(db, url, day2) == "dead"
    assert not_found_at(db, day2) == [REMOVED]

    arxiv.add_paper(
        {
            "id": REMOVED,
            "authors": [{"name": "A. Author"}],
            "abstract": "Back.",
            "primary_category": "cs.LG",
            "categories": ["cs.LG"],
            "versions": [{"version": 1, "submitted": "2019-05-22T00:00:00Z", "title": "Back"}],
        }
    )
    day3 = day2 + timedelta(days=1)
    assert harvest_at(db, arxiv, day3).missing == []
    assert rows(db, "SELECT * FROM missing_papers") == []
    assert link_verdict_at(db, url, day3) == "ok"
    assert not_found_at(db, day3) == []


def test_two_runs_over_two_days_are_not_enough(db: Path, arxiv: ArxivStandIn) -> None:
    url = f"https://arxiv.org/abs/{REMOVED}"
    assert harvest_at(db, arxiv, DAY1 - timedelta(days=1)).missing == []
    arxiv.remove_paper(REMOVED)
    for now in (DAY1, DAY1 + timedelta(days=1)):
        assert harvest_at(db, arxiv, now).missing == [REMOVED]
    assert link_verdict_at(db, url, DAY1 + timedelta(days=1)) != "dead"
    assert not_found_at(db, DAY1 + timedelta(days=1)) == []


T = DAY1


@pytest.mark.parametrize(
    ("runs", "first", "last", "gone"),
    [
        (1, T, T, False),
        (3, T, T + timedelta(hours=5), False),  # three runs, one day
        (2, T, T + timedelta(days=1), False),  # two days, two runs
        (3, T, T + timedelta(days=1), True),
        (3, datetime(2026, 3, 2, 23, 59, tzinfo=UTC), datetime(2026, 3, 3, 0, 1, tzinfo=UTC), True),
        (7, T, T + timedelta(days=9), True),
    ],
)
def test_the_grace_rule_is_the_failing_link_rule(runs: int, first: datetime, last: datetime, gone: bool) -> None:
    assert missing_for_good(runs, first, last) is gone
    assert missing_for_good(runs, first, last, DeadRule(runs=1, days=1)) is True


# ---------------------------------------------------------------- 7: entries with blank fields are a broken feed


BLANKS = {
    "empty title": Fault.blank_entries("title", keep_empty=True),
    "no title": Fault.blank_entries("title"),
    "empty summary": Fault.blank_entries("summary", keep_empty=True),
    "no summary": Fault.blank_entries("summary"),
    "no author": Fault.blank_entries("author"),
    "author without a name": Fault.blank_entries("name", keep_empty=True),
    "no published": Fault.blank_entries("published"),
    "no id": Fault.blank_entries("id"),
}


@pytest.mark.parametrize("fault", BLANKS.values(), ids=BLANKS.keys())
def test_entries_with_blank_fields_are_retried_and_never_stored(db: Path, arxiv: ArxivStandIn, fault: Fault) -> None:
    assert fetch(db, arxiv).returncode == 0
    before = stored(db)
    arxiv.reset_log()
    arxiv.queue_faults(fault)
    result = fetch(db, arxiv, "--all")
    assert result.returncode == 0, result.stderr
    assert [r.fault for r in arxiv.requests] == [fault.label, None]  # asked again, as for a garbled feed
    assert stored(db) == before


@pytest.mark.parametrize("fault", [BLANKS["empty title"], BLANKS["no author"]], ids=["empty title", "no author"])
def test_a_feed_that_stays_blank_fails_the_fetch_and_keeps_the_stored_papers(
    db: Path, arxiv: ArxivStandIn, fault: Fault
) -> None:
    assert fetch(db, arxiv).returncode == 0
    before = stored(db)
    arxiv.queue_faults(fault, fault)
    result = invoke(
        "fetch",
        "--all",
        db=db,
        env={
            "HARVESTER_ARXIV_URL": arxiv.url,
            "HARVESTER_ARXIV_DELAY": "0",
            "HARVESTER_ARXIV_BACKOFF": "0.01",
            "HARVESTER_ARXIV_ATTEMPTS": "2",
        },
    )
    assert_clean_failure(result)
    assert "error:" in result.stderr and "http://arxiv.org/abs/" in result.stderr
    assert stored(db) == before
    assert arxiv.pending_faults == 0


def test_blanking_a_field_in_a_feed_is_confined_to_entries() -> None:
    # The stand-in's fault must leave the feed's own <title> and <id> alone.
    from standins.arxiv import blank_entry_elements

    body = b"<feed><title>q</title><id>f</id><entry><id>e</id><title>t</title></entry></feed>"
    assert (
        blank_entry_elements(body, ("title", "id"), keep_empty=False)
        == b"<feed><title>q</title><id>f</id><entry></entry></feed>"
    )
    assert blank_entry_elements(body, ("title",), keep_empty=True) == (
        b"<feed><title>q</title><id>f</id><entry><id>e</id><title></title></entry></feed>"
    )
