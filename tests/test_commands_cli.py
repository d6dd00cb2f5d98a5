"""links, reconcile, report, status and enrich as real processes: output, --fail-on and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import invoke, run_cli
from tests.standins.scholar import HuggingFaceStandIn, SemanticScholarStandIn
from tests.standins.web import LocalWeb, page, redirect, refused_port


@pytest.fixture
def link_site(web: LocalWeb) -> LocalWeb:
    """A live page, a permanently moved one and a missing one."""
    web.route("/fine", page("Fine"))
    web.route("/old", redirect(308, "/new"))
    web.route("/new", page("New"))
    web.route("/missing", page("Missing", status=404))
    return web


# Polite defaults wait a second between two requests to a host; the local web needs no such care.
FAST_LINKS = {"HARVESTER_LINKS_DELAY": "0", "HARVESTER_LINKS_BACKOFF": "0.01", "HARVESTER_LINKS_TIMEOUT": "2"}


def web_db(tmp_path: Path, urls: list[str]) -> Path:
    listing = tmp_path / "web.md"
    listing.write_text(
        "# Links\n\n" + "".join(f"1. [Page {i}]({url})\n" for i, url in enumerate(urls)), encoding="utf-8"
    )
    db = tmp_path / "web.db"
    assert invoke("import", str(listing), db=db).returncode == 0
    return db


def test_links_reports_each_url_and_fails_on_dead(tmp_path: Path, link_site: LocalWeb) -> None:
    db = web_db(tmp_path, [link_site.url("/fine"), link_site.url("/old"), link_site.url("/missing")])
    result = run_cli("links", "--allow-private", "--json", "--fail-on", "dead", db=db, env=FAST_LINKS, cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    report = json.loads(result.stdout)
    verdicts = {row["url"]: (row["verdict"], row["status"], row["suggestion"]) for row in report["links"]}
    assert verdicts == {
        link_site.url("/fine"): ("ok", 200, None),
        link_site.url("/old"): ("moved", 200, link_site.url("/new")),
        link_site.url("/missing"): ("dead", 404, None),
    }
    assert report["network_down"] is False
    assert all(row["used_at"].startswith("web.md:") for row in report["links"])  # relative to the root, the cwd


def test_piped_links_table_keeps_every_url_whole_and_problems_only_shows_problems(
    tmp_path: Path, link_site: LocalWeb
) -> None:
    long_path = "/missing/" + "a-rather-long-path-segment/" * 6
    link_site.route(long_path, page("Missing", status=404))
    urls = [link_site.url("/fine"), link_site.url("/old"), link_site.url(long_path)]
    db = web_db(tmp_path, urls)
    result = invoke("links", "--allow-private", db=db, env=FAST_LINKS)
    assert result.returncode == 0, result.stderr
    for url in urls:  # each URL on one line, not folded to the page width
        assert any(url in line for line in result.stdout.splitlines()), url
    problems = invoke("links", "--allow-private", "--all", "--problems-only", db=db, env=FAST_LINKS)
    assert problems.returncode == 0, problems.stderr
    assert link_site.url(long_path) in problems.stdout and link_site.url("/old") in problems.stdout
    assert link_site.url("/fine") + " " not in problems.stdout and "│ ok " not in problems.stdout
    as_json = invoke("links", "--allow-private", "--all", "--problems-only", "--json", db=db, env=FAST_LINKS)
    report = json.loads(as_json.stdout)
    assert {row["verdict"] for row in report["links"]} == {"moved", "dead"}
    assert report["counts"]["ok"] == 1  # the counts still cover every link


def test_links_without_allow_private_skips_loopback(tmp_path: Path, link_site: LocalWeb) -> None:
    db = web_db(tmp_path, [link_site.url("/fine")])
    result = invoke("links", "--json", db=db, env=FAST_LINKS)
    assert result.returncode == 0, result.stderr
    [row] = json.loads(result.stdout)["links"]
    assert row["verdict"] == "skipped" and "private" in row["error"]
    assert link_site.requests == []


def test_links_with_nothing_reachable_says_network_down_and_exits_1(tmp_path: Path) -> None:
    db = web_db(tmp_path, [f"http://127.0.0.1:{refused_port()}/a", f"http://127.0.0.1:{refused_port()}/b"])
    result = invoke("links", "--allow-private", "--json", db=db, env=FAST_LINKS)
    assert result.returncode == 1
    assert "network down" in result.stderr
    report = json.loads(result.stdout)
    assert report["network_down"] is True
    assert {row["verdict"] for row in report["links"]} == {"unreachable"}


def test_reconcile_and_report_fail_on(seed_db: Path) -> None:
    reconciled = run_cli("reconcile", "--json", "--fail-on", "warning", db=seed_db)
    assert reconciled.returncode == 3, reconciled.stderr
    summary = json.loads(reconciled.stdout)["summary"]
    assert summary["by_severity"]["warning"] == 22 and "error" not in summary["by_severity"]
    assert invoke("reconcile", "--fail-on", "error", db=seed_db).returncode == 0
    report = run_cli("report", "--format", "json", "--fail-on", "warning", db=seed_db)
    assert report.returncode == 3
    rows = json.loads(report.stdout)
    assert {
        "kind",
        "severity",
        "line",
        "noted",
        "arxiv_value",
        "suggestion",
        "first_seen",
        "last_seen",
        "resolved_at",
    } <= set(rows[0])
    markdown = invoke("report", "--format", "markdown", db=seed_db)
    assert markdown.returncode == 0 and "| kind | severity | count |" in markdown.stdout
    assert "`title_typo`" in markdown.stdout
    table = invoke("report", db=seed_db)
    assert table.returncode == 0 and "Trained Rank Pruning" in table.stdout


def test_status_after_a_reconcile(seed_db: Path) -> None:
    invoke("reconcile", db=seed_db)
    result = invoke("status", "--json", db=seed_db)
    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout)
    assert state["counts"]["papers"] == 19 and state["counts"]["paper entries"] == 19
    assert state["attention"]["findings (warnings)"] == 22
    assert state["attention"]["papers never fetched"] == 0


def test_status_without_a_database_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli("status", db=tmp_path / "absent.db")
    assert result.returncode == 1
    assert "no database" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "absent.db").exists()


def test_enrich_command_against_the_stand_ins(seed_db: Path) -> None:
    with SemanticScholarStandIn() as s2, HuggingFaceStandIn() as hf:
        env = {
            "HARVESTER_S2_URL": s2.url,
            "HARVESTER_HF_URL": hf.url,
            "HARVESTER_S2_DELAY": "0",
            "HARVESTER_HF_DELAY": "0",
        }
        result = run_cli("enrich", "--json", db=seed_db, env=env)
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout)
        assert summary["status"] == "ok"
        assert (summary["sources"]["semantic_scholar"]["requests_made"], len(s2.requests)) == (1, 1)
        only = invoke("enrich", "--source", "huggingface", "--all", "--json", db=seed_db, env=env)
        assert only.returncode == 0
        assert list(json.loads(only.stdout)["sources"]) == ["huggingface"]
        assert len(s2.requests) == 1


def test_enrich_unknown_source_is_a_usage_error(seed_db: Path) -> None:
    result = invoke("enrich", "--source", "papers_with_code", db=seed_db)
    assert result.returncode == 2
    assert "unknown source" in result.stderr
