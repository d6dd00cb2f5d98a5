"""Every fault arXiv is known for, through the whole harvest path into a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from harvester.arxiv.client import (
    ArxivClient,
    RateLimiter,
    make_http_client,
)
from harvester.arxiv.config import ClientConfig
from harvester.harvest import harvest
from harvester.store import open_db
from tests.seeddb import FIXTURE, NOW
from tests.standins.arxiv import ArxivStandIn, Fault

SEED = json.loads(FIXTURE.read_text(encoding="utf-8"))["papers"]
CURRENT_TITLES = sorted((p["id"], p["versions"][-1]["title"]) for p in SEED)

FAULTS = {
    "503 with Retry-After": Fault.unavailable(retry_after="0"),
    "429 with a text body": Fault.rate_exceeded(),
    "403 throttling": Fault.forbidden(),
    "406 throttling": Fault.not_acceptable(),
    "empty feed": Fault.empty_feed(),
    "truncated XML": Fault.truncated(),
    "hang past the timeout": Fault.hang(1.5),
    "dropped connection": Fault.drop(),
}


async def run_harvest(db_path: Path, url: str) -> object:
    config = ClientConfig(base_url=url, delay=0, timeout=0.5, backoff_base=0.01, backoff_max=0.05)
    db = open_db(db_path)
    async with make_http_client(config) as http:
        client = ArxivClient(http, config, limiter=RateLimiter())
        return await harvest(db, client, [p["id"] for p in SEED], NOW)


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_each_fault_ends_with_every_paper_stored_once_and_correctly(
    tmp_path: Path, arxiv: ArxivStandIn, fault: Fault
) -> None:
    db = tmp_path / "h.db"
    arxiv.queue_faults(fault)
    summary = asyncio.run(run_harvest(db, arxiv.url))
    assert (summary.fetched, summary.failed, summary.missing) == (19, None, [])
    with sqlite3.connect(db) as conn:
        assert sorted(conn.execute("SELECT arxiv_id, title FROM papers").fetchall()) == CURRENT_TITLES
        assert conn.execute(
            "SELECT count(*) - count(DISTINCT arxiv_id || '/' || position) FROM paper_authors"
        ).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM paper_versions").fetchone() == (19,)
    assert arxiv.pending_faults == 0
