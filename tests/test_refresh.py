"""`harvester refresh`, the nightly job, as real processes against the local arXiv and a local web."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli import ROOT, invoke, run_cli
from tests.standins.arxiv import ArxivStandIn, Fault
from tests.standins.scholar import HuggingFaceStandIn, SemanticScholarStandIn
from tests.standins.web import LocalWeb, Reply, page, redirect
from tests.test_reconcile_seed import MIRROR_IDS
from tests.waiting import wait_until

SEED = ROOT / "seeds" / "model-compression.md"
# Filled only by `refresh --suggest` (test_suggest.py), which is off by default.
SUGGEST_TABLES = ("suggestions", "suggestion_queries", "suggestion_rejections")
HISTORY_TABLES = {"runs", "_sqlite_migrations"}
# The seed also links to github.com and blogs; the suite must not even ask DNS about them.
HANG = 100  # seconds: longer than any kill takes to land
ONLY_LOCAL = ["--allow-private", "--exclude", r"^https?://(?!127\.0\.0\.1[:/]|(\w+\.)?arxiv\.org/)"]


@pytest.fixture
def tool_site(web: LocalWeb) -> LocalWeb:
    """The pages tools.md links to: a live one, a permanently moved one, a dead one."""
    web.route("/tool", page("A tool"))
    web.route("/old-home", redirect(301, "/new-home"))
    web.route("/new-home", page("New home"))
    web.route("/gone", page("Gone", status=404))
    return web


@pytest.fixture
def lists(tmp_path: Path, tool_site: LocalWeb) -> Path:
    """The seed list plus a small list whose links point at the local web."""
    folder = tmp_path / "lists"
    folder.mkdir()
    (folder / "model-compression.md").write_bytes(SEED.read_bytes())
    (folder / "tools.md").write_text(
        "# Tools\n\n"
        f"1. [And the Bit Goes Down](https://arxiv.org/abs/1907.05686) [code]({tool_site.url('/tool')})\n"
        f"1. [A moved home page]({tool_site.url('/old-home')})\n"
        f"1. [A page that is gone]({tool_site.url('/gone')})\n",
        encoding="utf-8",
    )
    return folder


def env_for(arxiv: ArxivStandIn, **extra: str) -> dict[str, str]:
    return {
        "HARVESTER_ARXIV_URL": arxiv.url,
        "HARVESTER_ARXIV_DELAY": "0",
        "HARVESTER_ARXIV_BACKOFF": "0.05",
        "HARVESTER_ARXIV_TIMEOUT": "5",
        "HARVESTER_ENRICH_SOURCES": "",
        "HARVESTER_LINKS_DELAY": "0",
        "HARVESTER_LINKS_BACKOFF": "0.01",
        **extra,
    }


def refresh(db: Path, lists: Path, arxiv: ArxivStandIn, *args: str) -> subprocess.CompletedProcess[str]:
    return invoke("refresh", str(lists), *ONLY_LOCAL, *args, db=db, env=env_for(arxiv))


def dump(db: Path, skip: set[str] = HISTORY_TABLES) -> dict[str, list[tuple]]:
    with sqlite3.connect(db) as conn:
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts%'")
        ]
        return {t: conn.execute(f"SELECT * FROM [{t}] ORDER BY 1, 2").fetchall() for t in tables if t not in skip}


def enrich_env(s2: SemanticScholarStandIn | str, hf: HuggingFaceStandIn | str) -> dict[str, str]:
    return {
        "HARVESTER_ENRICH_SOURCES": "semantic_scholar,huggingface",
        "HARVESTER_S2_URL": s2 if isinstance(s2, str) else s2.url,
        "HARVESTER_HF_URL": hf if isinstance(hf, str) else hf.url,
        "HARVESTER_S2_DELAY": "0",
        "HARVESTER_HF_DELAY": "0",
        "HARVESTER_ENRICH_BACKOFF": "0.05",
    }


def test_refresh_fills_every_table_and_a_second_run_changes_nothing(
    tmp_path: Path, lists: Path, arxiv: ArxivStandIn, tool_site: LocalWeb, scholars: tuple
) -> None:
    db = tmp_path / "h.db"
    s2, hf = scholars
    env = env_for(arxiv, **enrich_env(s2, hf))
    first = run_cli("refresh", str(lists), *ONLY_LOCAL, "--json", db=db, env=env)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["status"] == "ok"
    assert report["changes"]["new_papers"] == 19
    assert {s: v["status"] for s, v in report["steps"].items()} == {
        "import": "ok",
        "fetch": "ok",
        "enrich": "ok",
        "reconcile": "ok",
        "links": "ok",
    }
    assert report["changes"]["links_moved"] == [tool_site.url("/old-home")]
    assert tool_site.url("/gone") in report["changes"]["links_died"]
    with sqlite3.connect(db) as conn:
        problems = conn.execute(
            "SELECT f.kind, f.arxiv_id FROM findings f JOIN lists l ON l.id = f.list_id "
            "WHERE l.name = 'model-compression.md' AND f.resolved_at IS NULL AND f.severity IN ('error', 'warning')"
        ).fetchall()
    mirrored = MIRROR_IDS  # the seed's cn.arxiv.org links, as test_reconcile_seed lists them
    assert sorted(problems) == sorted(
        [
            ("title_typo", "1510.00149"),
            ("title_typo", "1910.04576"),
            ("title_outdated", "1907.05642"),
            ("date_mismatch", "1907.00262"),
            ("venue_mismatch", "1910.04641"),
        ]
        + [("mirror_link", arxiv_id) for arxiv_id in mirrored]
    )
    tables = dump(db, skip=set())
    # nothing accepted; citation keys are pinned by `export --format bibtex`, not by a refresh
    empty = sorted(
        t
        for t, rows in tables.items()
        if not rows and t not in ("missing_papers", "acceptances", "citation_keys", *SUGGEST_TABLES)
    )  # nothing accepted, nothing exported; suggest is off by default
    assert empty == [], f"tables left empty: {empty}"

    arxiv.reset_log()
    s2.reset_log()
    hf.reset_log()
    web_hits = len(tool_site.requests)
    second = run_cli("refresh", str(lists), *ONLY_LOCAL, "--json", db=db, env=env)
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert again["steps"]["fetch"]["counts"]["requests_made"] == 0
    assert arxiv.requests == [] and s2.requests == [] and hf.requests == []
    assert len(tool_site.requests) == web_hits
    assert dump(db) == {t: rows for t, rows in tables.items() if t not in HISTORY_TABLES}
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT status) FROM runs").fetchone() == (2, 1)


def test_a_failing_step_does_not_stop_the_others(tmp_path: Path, lists: Path, arxiv: ArxivStandIn) -> None:
    db = tmp_path / "h.db"
    result = invoke(
        "refresh",
        str(lists),
        *ONLY_LOCAL,
        "--json",
        db=db,
        env=env_for(arxiv, HARVESTER_ARXIV_URL="http://127.0.0.1:9/api/query", HARVESTER_ARXIV_ATTEMPTS="1"),
    )
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["status"] == "partial"
    assert report["steps"]["fetch"]["status"] == "failed"
    assert "127.0.0.1:9" in report["steps"]["fetch"]["error"]
    assert report["steps"]["import"]["status"] == "ok"
    assert report["steps"]["links"]["status"] == "ok"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM entries").fetchone()[0] > 0
        assert conn.execute("SELECT status FROM runs").fetchall() == [("partial",)]


def test_two_refreshes_at_once_one_runs_the_other_exits_1(tmp_path: Path, lists: Path, arxiv: ArxivStandIn) -> None:
    db = tmp_path / "h.db"
    assert invoke("import", str(lists), db=db).returncode == 0
    arxiv.queue_faults(Fault.hang(120))  # keeps the first refresh inside its lock until released
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_")} | env_for(
        arxiv, HARVESTER_ARXIV_TIMEOUT="100"
    )
    command = [sys.executable, "-m", "harvester", "--db", str(db), "refresh", str(lists), *ONLY_LOCAL]
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        arxiv.wait_for_requests(1)
        second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        # The second ended while the first still held the lock: it did not wait for it.
        assert first.poll() is None and arxiv.requests[0].ended is None
    finally:
        arxiv.release_hangs()
        first.communicate(timeout=60)
    assert second.returncode == 1
    assert "already running" in second.stderr
    assert first.returncode == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (1,)
        assert conn.execute("SELECT count(*) - count(DISTINCT arxiv_id) FROM papers").fetchone() == (0,)
        assert conn.execute("SELECT count(*) - count(DISTINCT key) FROM findings").fetchone() == (0,)


def test_refresh_killed_at_each_stage_keeps_a_valid_db_and_the_next_run_finishes(
    tmp_path: Path, lists: Path, arxiv: ArxivStandIn, tool_site: LocalWeb
) -> None:
    db = tmp_path / "h.db"
    # The link check of /tool never answers, so no killed run can finish before its kill lands.
    tool_site.route("/tool", Reply(delay=HANG))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_")}
    env |= env_for(arxiv, HARVESTER_ARXIV_TIMEOUT=str(HANG), HARVESTER_LINKS_TIMEOUT=str(HANG))
    command = [sys.executable, "-m", "harvester", "--db", str(db), "refresh", str(lists), *ONLY_LOCAL]
    arxiv.queue_faults(Fault.hang(HANG))  # the first run's fetch waits on arXiv
    # Each waits for a stage of the run just started, given how many runs and /tool checks came before it.
    kill_points: list[Callable[[int, int], object]] = [
        lambda _, __: arxiv.wait_for_requests(1),  # fetch, waiting for arXiv's answer
        lambda _, __: wait_until(lambda: arxiv.wait_for_requests(2)[1].ended, "arXiv's answer"),  # storing it, or later
        lambda runs, _: wait_until(lambda: step_recorded(db, runs, "fetch"), "the fetch step"),  # enrich, reconcile
        lambda runs, _: wait_until(lambda: step_recorded(db, runs, "reconcile"), "the reconcile step"),  # links
        lambda _, checks: wait_until(lambda: tool_site.hits("/tool") > checks, "the link check"),  # mid-check
    ]
    for wait_for_stage in kill_points:
        runs_before, asked_before = run_count(db), tool_site.hits("/tool")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_stage(runs_before, asked_before)
        finally:
            process.send_signal(signal.SIGKILL)
        assert process.wait() == -signal.SIGKILL, "the run ended before the kill"
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    tool_site.route("/tool", page("A tool"))
    final = refresh(db, lists, arxiv, "--json")
    assert final.returncode == 0, final.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*), count(DISTINCT arxiv_id) FROM papers").fetchone() == (19, 19)
        assert conn.execute("SELECT count(*) - count(DISTINCT key) FROM findings").fetchone() == (0,)
        open_kinds = {r[0] for r in conn.execute("SELECT kind FROM findings WHERE resolved_at IS NULL")}
        assert {"title_typo", "title_outdated", "date_mismatch", "mirror_link"} <= open_kinds
        statuses = [r[0] for r in conn.execute("SELECT status FROM runs ORDER BY id")]
    assert statuses == ["killed"] * len(kill_points) + ["ok"]


def run_count(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM runs").fetchone()[0]


def step_recorded(db: Path, runs_before: int, step: str) -> bool:
    """Whether the run after the first `runs_before` has logged `step` as done."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as conn:
            row = conn.execute("SELECT steps FROM runs ORDER BY id LIMIT 1 OFFSET ?", [runs_before]).fetchone()
    except sqlite3.OperationalError:  # a writer holds the database
        return False
    return row is not None and step in json.loads(row[0] or "{}")


def test_enrichment_services_down_leave_the_rest_of_the_refresh_done(
    tmp_path: Path, lists: Path, arxiv: ArxivStandIn, scholars: tuple
) -> None:
    db = tmp_path / "h.db"
    s2, hf = scholars
    assert invoke("refresh", str(lists), *ONLY_LOCAL, db=db, env=env_for(arxiv, **enrich_env(s2, hf))).returncode == 0
    kept = "SELECT arxiv_id, source, status, fetched_at, venue, code_url, raw FROM enrichments ORDER BY 1, 2"
    with sqlite3.connect(db) as conn:
        before = conn.execute(kept).fetchall()
    assert len(before) == 38
    down = "http://127.0.0.1:9"  # nothing listens there
    env = env_for(arxiv, **enrich_env(down, down), HARVESTER_ENRICH_MAX_AGE="0s")
    result = run_cli("refresh", str(lists), *ONLY_LOCAL, "--json", "--stale-after", "0s", db=db, env=env)
    assert result.returncode == 0, result.stderr  # enrichment is advisory by default (fail_on_steps)
    assert "enrich: partial (advisory; not failing the run)" in result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "partial"
    assert report["steps"]["enrich"]["status"] == "partial"
    assert {report["steps"][s]["status"] for s in ("import", "fetch", "links")} == {"ok"}
    assert report["steps"]["reconcile"]["status"] in {"ok", "skipped"}
    with sqlite3.connect(db) as conn:
        assert conn.execute(kept).fetchall() == before  # every earlier answer kept


def test_fix_rewrites_a_permanently_moved_link(
    tmp_path: Path, lists: Path, arxiv: ArxivStandIn, tool_site: LocalWeb
) -> None:
    db = tmp_path / "h.db"
    assert refresh(db, lists, arxiv).returncode in (0, 1)
    result = invoke("fix", str(lists / "tools.md"), "--kinds", "moved_link", db=db)
    assert result.returncode == 0, result.stderr
    removed = [line for line in result.stdout.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line for line in result.stdout.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert removed == [f"-1. [A moved home page]({tool_site.url('/old-home')})"]
    assert added == [f"+1. [A moved home page]({tool_site.url('/new-home')})"]


def test_an_edit_in_the_second_of_the_last_reconcile_is_still_reconciled(
    tmp_path: Path, lists: Path, arxiv: ArxivStandIn
) -> None:
    db = tmp_path / "h.db"
    assert refresh(db, lists, arxiv, "--no-links").returncode == 0
    listing = lists / "model-compression.md"
    listing.write_text(
        listing.read_text(encoding="utf-8").replace("Traned Rank Pruning", "Trained Rank Pruning"), encoding="utf-8"
    )
    # Timestamps are whole seconds: as if the edit's import fell in the second of the last
    # reconcile, or before it by the clock, the timestamps alone say nothing changed.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE reconcile_runs SET ran_at = '9999-12-31T23:59:59Z'")
    result = refresh(db, lists, arxiv, "--no-links", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["steps"]["reconcile"]["status"] == "ok"  # run, not skipped
    with sqlite3.connect(db) as conn:
        open_typos = conn.execute(
            "SELECT count(*) FROM findings WHERE kind = 'title_typo' AND resolved_at IS NULL AND noted LIKE 'Traned%'"
        ).fetchone()
    assert open_typos == (0,)
