"""A database holding the seed list and the fixture metadata of its 19 papers, built without HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from harvester.arxiv.client import BatchResult
from harvester.arxiv.feed import Author, Paper
from harvester.harvest import HarvestSummary, save_batch, save_versions
from harvester.importer import import_lists, read_source
from harvester.store import ensure_db_shape, open_db
from tests.cli import ROOT

SEED = ROOT / "seeds" / "model-compression.md"
FIXTURE = ROOT / "tests" / "fixtures" / "arxiv" / "seed_papers.json"
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def fixture_papers(all_versions: bool = False) -> list[Paper]:
    """The fixture as Paper records: the latest version of each, or every version."""
    papers = []
    for record in json.loads(FIXTURE.read_text(encoding="utf-8"))["papers"]:
        versions = record["versions"] if all_versions else record["versions"][-1:]
        for version in versions:
            papers.append(_paper(record, version))
    return papers


def _paper(record: dict, version: dict) -> Paper:
    published = _time(record["versions"][0]["submitted"])
    return Paper(
        arxiv_id=record["id"],
        version=version["version"],
        title=version["title"],
        abstract=record["abstract"],
        authors=tuple(Author(a["name"], tuple(a["affiliations"])) for a in record["authors"]),
        published=published,
        updated=_time(version["submitted"]),
        primary_category=record["primary_category"],
        categories=tuple(record["categories"] or ()),
        other_classifications=(),
        comment=record["comment"],
        journal_ref=record["journal_ref"],
        dois=(record["doi"],) if record["doi"] else (),
        abs_url=f"http://arxiv.org/abs/{record['id']}v{version['version']}",
        pdf_url=f"http://arxiv.org/pdf/{record['id']}v{version['version']}",
        raw_xml=f"<entry><id>http://arxiv.org/abs/{record['id']}v{version['version']}</id></entry>",
    )


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def build_seed_db(path: Path, with_versions: bool = True, listing: Path = SEED) -> Path:
    """The seed list (or a copy of it at `listing`) imported, with the fixture's metadata stored."""
    db = open_db(path)
    import_lists(db, [read_source(listing)], NOW)
    latest = fixture_papers()
    save_batch(
        db,
        BatchResult(requested=tuple(p.arxiv_id for p in latest), papers=tuple(latest), missing=(), invalid=()),
        NOW,
        HarvestSummary(),
    )
    if with_versions:
        save_versions(db, fixture_papers(all_versions=True), NOW)
    ensure_db_shape(db)
    db.close()
    return path


def seed_repository(root: Path, db: Path) -> tuple[Path, Path, Path]:
    """A repository at `root` with the seed list in `lists/`, its database at `db` reconciled: (root, list, db)."""
    from tests.cli import invoke

    (root / "lists").mkdir(parents=True)
    listing = root / "lists" / "model-compression.md"
    listing.write_bytes(SEED.read_bytes())
    build_seed_db(db, listing=listing)
    assert invoke("reconcile", db=db).returncode == 0
    return root, listing, db
