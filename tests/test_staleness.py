"""An age of 0 means "ask again", even for what was stored in this very second (times are kept to the second)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from harvester.enrich.store import due_ids
from harvester.harvest import stale_ids
from harvester.links.history import ensure_link_tables, fresh_urls
from harvester.store import open_db
from harvester.timeutil import iso
from tests.seeddb import NOW, build_seed_db

ZERO = timedelta(0)


def test_papers_fetched_this_second_are_stale_at_age_zero(tmp_path: Path) -> None:
    db = open_db(build_seed_db(tmp_path / "h.db"))  # every paper fetched at NOW
    ids = [row["arxiv_id"] for row in db.query("SELECT arxiv_id FROM papers")]
    assert stale_ids(db, ids, NOW, ZERO) == ids
    assert stale_ids(db, ids, NOW, timedelta(hours=20)) == []


def test_enrichments_checked_this_second_are_due_at_age_zero(tmp_path: Path) -> None:
    db = open_db(build_seed_db(tmp_path / "h.db"))
    db.table("enrichments").insert(
        {
            "arxiv_id": "1510.00149",
            "source": "semantic_scholar",
            "status": "found",
            "fetched_at": iso(NOW),
            "checked_at": iso(NOW),
            "last_error": None,
        },
        alter=False,
    )
    assert due_ids(db, "semantic_scholar", ["1510.00149"], NOW, ZERO) == ["1510.00149"]
    assert due_ids(db, "semantic_scholar", ["1510.00149"], NOW, timedelta(days=7)) == []


def test_links_checked_this_second_are_not_fresh_at_age_zero(tmp_path: Path) -> None:
    db = open_db(build_seed_db(tmp_path / "h.db"))
    ensure_link_tables(db)
    url = "https://github.com/example/repo"
    db.table("links").insert(
        {
            "url": url,
            "verdict": "ok",
            "first_checked_at": iso(NOW),
            "last_checked_at": iso(NOW),
            "verdict_since": iso(NOW),
        }
    )
    db.table("link_checks").insert(
        {"url": url, "checked_at": iso(NOW), "verdict": "ok", "elapsed_ms": 1, "requests": 1, "counted": 1}
    )
    assert fresh_urls(db, NOW - ZERO) == set()
    assert fresh_urls(db, NOW - timedelta(hours=20)) == {url}
