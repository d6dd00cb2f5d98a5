"""refresh overlaps the steps that talk to different hosts: links beside fetch -> enrich -> reconcile.

Orderings seen by the servers, never wall-clock thresholds: arXiv holds its
first answer back, and the web link must have been asked while it waited.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from harvester.arxiv.config import ClientConfig
from harvester.links import LinkCheckConfig
from harvester.refresh import RefreshOptions, run_refresh
from tests.cli import ROOT
from tests.standins.arxiv import ArxivStandIn, Fault
from tests.standins.scholar import HuggingFaceStandIn, SemanticScholarStandIn
from tests.standins.web import LocalWeb, page
from tests.test_enrich import make_config
from tests.waiting import wait_until

HELD = 3.0  # seconds arXiv holds its first answer at most: the link check must not wait for it


@contextlib.contextmanager
def held_until(arxiv: ArxivStandIn, seen: Callable[[], object]) -> Iterator[None]:
    """arXiv holds its first answer until `seen()` (what must happen meanwhile) has happened, or HELD.

    The hold ends early only once the overlap is there to see, so a refresh that did
    not overlap still finds arXiv held for all of HELD and fails the test.
    """
    arxiv.queue_faults(Fault.hang(HELD))

    def release_when_seen() -> None:
        with contextlib.suppress(AssertionError):  # not seen within HELD: the hold runs out by itself
            wait_until(seen, "the overlap", timeout=HELD)
            arxiv.release_hangs()

    watcher = threading.Thread(target=release_when_seen, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        watcher.join()


def _options(tmp_path: Path, arxiv: ArxivStandIn, web: LocalWeb, enrich: object = None) -> RefreshOptions:
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "model-compression.md").write_bytes((ROOT / "seeds" / "model-compression.md").read_bytes())
    (lists / "tools.md").write_text(
        f"# Tools\n\n1. [And the Bit Goes Down](https://arxiv.org/abs/1907.05686) [code]({web.url('/tool')})\n",
        encoding="utf-8",
    )
    return RefreshOptions(
        db_path=tmp_path / "h.db",
        paths=(lists,),
        arxiv=ClientConfig(base_url=arxiv.url, delay=0.0),
        links=LinkCheckConfig(
            allow_private=True,
            per_host_delay=0.0,
            exclude=(r"^https?://(?!127\.0\.0\.1[:/]|(\w+\.)?arxiv\.org/)",),
        ),
        enrich=enrich,
    )


def test_links_are_checked_while_arxiv_is_still_answering(tmp_path: Path, arxiv: ArxivStandIn, web: LocalWeb) -> None:
    web.route("/tool", page("A tool"))
    with held_until(arxiv, lambda: web.hits("/tool")):
        report = run_refresh(_options(tmp_path, arxiv, web))

    assert report.status == "ok", report.errors
    (tool,) = [seen for seen in web.requests if seen.path == "/tool"]
    first_answer = arxiv.requests[0].ended
    assert first_answer is not None and tool.at < first_answer
    # Each step's row is its own: the links step began before the fetch step ended.
    steps = report.steps
    assert all(s.started_at and s.ended_at and s.seconds is not None for s in steps.values())
    assert steps["links"].started_at is not None and steps["fetch"].ended_at is not None
    assert steps["links"].started_at <= steps["fetch"].ended_at
    assert list(steps) == ["import", "fetch", "reconcile", "links"]


def test_arxiv_links_are_judged_after_the_papers_are_fetched(
    tmp_path: Path, arxiv: ArxivStandIn, web: LocalWeb
) -> None:
    web.route("/tool", page("A tool"))
    options = _options(tmp_path, arxiv, web)
    with held_until(arxiv, lambda: web.hits("/tool")):
        run_refresh(options)
    with sqlite3.connect(options.db_path) as conn:
        verdict, error = conn.execute(
            "SELECT verdict, error FROM links WHERE url = 'https://arxiv.org/abs/1907.05686'"
        ).fetchone()
    # Judged from the harvested paper (it exists): ok, not "unknown paper" from an empty table.
    assert (verdict, error) == ("ok", None)


def test_enrichment_services_are_asked_while_arxiv_is_still_answering(
    tmp_path: Path, arxiv: ArxivStandIn, web: LocalWeb, s2: SemanticScholarStandIn, hf: HuggingFaceStandIn
) -> None:
    web.route("/tool", page("A tool"))
    with held_until(arxiv, lambda: s2.requests and hf.requests):
        report = run_refresh(_options(tmp_path, arxiv, web, make_config(s2.url, hf.url)))
    assert report.status == "ok", report.errors
    first_answer = arxiv.requests[0].ended
    assert first_answer is not None
    assert s2.requests[0].started < first_answer and hf.requests[0].started < first_answer
    # Reconciliation waited for both: it read the enrichments (the seed's venue finding needs them).
    assert report.steps["reconcile"].started_at is not None and report.steps["enrich"].ended_at is not None
    assert report.steps["reconcile"].started_at >= report.steps["enrich"].ended_at
    assert report.steps["enrich"].counts["sources"]["semantic_scholar"]["found"] == 18


def test_enrichment_sources_and_links_all_run_in_the_one_refresh(
    tmp_path: Path, arxiv: ArxivStandIn, web: LocalWeb, s2: SemanticScholarStandIn, hf: HuggingFaceStandIn
) -> None:
    web.route("/tool", page("A tool"))
    report = run_refresh(_options(tmp_path, arxiv, web, make_config(s2.url, hf.url, hf_delay=0.05)))
    assert {name: step.status for name, step in report.steps.items()} == {
        "import": "ok",
        "fetch": "ok",
        "enrich": "ok",
        "reconcile": "ok",
        "links": "ok",
    }
    # Semantic Scholar's one batch went out before Hugging Face's last page: the sources run side by side.
    (batch,) = s2.requests
    assert batch.started < max(seen.started for seen in hf.requests)
