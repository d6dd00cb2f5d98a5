"""Reconciliation with enrichments: published venues, official code and DOIs, each naming its source."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlite_utils import Database
from test_enrich import make_config
from test_reconcile import ENTRY, PAPER

from harvester.coderepos import repo_key
from harvester.enrich import run_enrich
from harvester.enrich.huggingface import interpret
from harvester.enrich.semantic_scholar import parse_batch, parse_paper
from harvester.findings import open_findings
from harvester.importer import import_lists, read_source
from harvester.reconcile import CodeEvidence, DoiEvidence, NotedLink, ReconcileInput, reconcile
from harvester.reconciling import run_reconcile
from harvester.report import action_text
from harvester.store import open_db
from tests.seeddb import NOW, build_seed_db
from tests.standins.scholar import HuggingFaceStandIn, SemanticScholarStandIn

OFFICIAL = "https://github.com/clovaai/StatAssist-GradBoost"
CODE_MISSING = {"1905.10324", "1907.00274", "1910.04576", "1905.07376", "1907.05642", "1907.05686"}


@pytest.fixture
def enriched(tmp_path: Path) -> Iterator[tuple[Database, SemanticScholarStandIn, HuggingFaceStandIn]]:
    db = open_db(build_seed_db(tmp_path / "h.db"))
    with SemanticScholarStandIn() as s2, HuggingFaceStandIn() as hf:
        yield db, s2, hf
    db.close()


def findings_of(db: Database, kind: str) -> dict[str, dict]:
    return {r["arxiv_id"]: r for r in open_findings(db) if r["kind"] == kind}


def enrich_and_reconcile(db: Database, s2: SemanticScholarStandIn, hf: HuggingFaceStandIn) -> None:
    assert run_enrich(db, make_config(s2.url, hf.url), now=NOW).status == "ok"
    run_reconcile(db, now=NOW)


# --- venues ----------------------------------------------------------------------------


def test_a_published_venue_contradicting_the_note_names_its_source_when_arxiv_is_silent(enriched) -> None:
    db, s2, hf = enriched
    db.execute("UPDATE papers SET comment = NULL, journal_ref = NULL")
    enrich_and_reconcile(db, s2, hf)
    venues = findings_of(db, "venue_mismatch")
    assert list(venues) == ["1910.04641"]  # NIPS vs NeurIPS, workshop vs workshop, ICLR oral vs ICLR agree
    icip = venues["1910.04641"]
    assert {k: icip[k] for k in ("source", "noted", "arxiv_value", "suggestion", "severity")} == {
        "source": "semantic_scholar",
        "noted": "NIPS 2019",
        "arxiv_value": "IEEE International Conference on Image Processing",
        "suggestion": "ICIP 2019",
        "severity": "warning",
    }
    assert "semantic_scholar says 'ICIP 2019'" in icip["detail"]  # the source's year completes the suggestion


def test_without_enrichments_a_silent_arxiv_gives_no_venue_finding(enriched) -> None:
    db, _, _ = enriched
    db.execute("UPDATE papers SET comment = NULL, journal_ref = NULL")
    run_reconcile(db, now=NOW)
    assert findings_of(db, "venue_mismatch") == {}


def test_arxivs_own_comment_is_still_the_first_evidence(enriched) -> None:
    db, s2, hf = enriched
    enrich_and_reconcile(db, s2, hf)
    assert {i: r["source"] for i, r in findings_of(db, "venue_mismatch").items()} == {"1910.04641": "arxiv"}


# --- code ----------------------------------------------------------------------------------


def test_official_code_on_the_seed(enriched) -> None:
    db, s2, hf = enriched
    enrich_and_reconcile(db, s2, hf)
    missing = findings_of(db, "code_missing")
    assert set(missing) == CODE_MISSING  # 2006.09679 links its official repository: no finding
    assert findings_of(db, "code_mismatch") == {}
    nes = missing["1907.05642"]
    expected = ("info", "huggingface", "https://github.com/zhoudaquan/NES")
    assert (nes["severity"], nes["source"], nes["suggestion"]) == expected
    assert action_text(nes) == "Add the official code link https://github.com/zhoudaquan/NES"


TEST_LIST = """# Code links

1. [StatAssist & GradBoost: A Study on Optimal INT8 Quantization-aware Training from Scratch](https://arxiv.org/abs/2006.09679)
*2020-06-17* [pytorch](https://github.com/someone/int8-qat)

1. [And the Bit Goes Down: Revisiting the Quantization of Neural Networks](https://arxiv.org/abs/1907.05686)
*2019-07-12* [code](http://www.github.com/FacebookResearch/Kill-The-Bits.git/)

1. [Integer Discrete Flows and Lossless Compression](https://arxiv.org/abs/1905.07376)
*2019-05-17* [code](https://github.com/someone/idf-port)-unofficial
"""


def test_code_links_against_the_official_repository(enriched, tmp_path: Path) -> None:
    db, s2, hf = enriched
    path = tmp_path / "code-links.md"
    path.write_text(TEST_LIST, encoding="utf-8")
    import_lists(db, [read_source(path)], NOW)
    enrich_and_reconcile(db, s2, hf)
    in_list = [r for r in open_findings(db) if r["list_path"] == str(path) and r["kind"].startswith("code")]
    assert [(r["kind"], r["arxiv_id"], r["line"], r["noted"], r["suggestion"], r["source"]) for r in in_list] == [
        ("code_mismatch", "2006.09679", 4, "https://github.com/someone/int8-qat", OFFICIAL, "huggingface"),
        ("code_missing", "1905.07376", 9, None, "https://github.com/jornpeters/integer_discrete_flows", "huggingface"),
    ]
    assert in_list[0]["severity"] == "warning"
    assert action_text(in_list[0]) == (
        f"Replace the code link https://github.com/someone/int8-qat with the official repository {OFFICIAL}"
    )
    assert "unofficial" in in_list[1]["detail"]


def test_code_findings_pure() -> None:
    paper = replace(PAPER, official_code=(CodeEvidence("huggingface", OFFICIAL),))

    def kinds(*links: NotedLink) -> list[str]:
        entry = replace(ENTRY, links=links)
        found = reconcile(ReconcileInput((entry,), {PAPER.arxiv_id: paper}))
        return [f.kind for f in found if f.kind.startswith("code")]

    assert kinds() == ["code_missing"]
    assert kinds(NotedLink(OFFICIAL.lower() + "/tree/master", "code", ENTRY.line)) == []
    assert kinds(NotedLink("https://github.com/x/y", "code", ENTRY.line, marker="official")) == ["code_mismatch"]
    assert kinds(NotedLink("https://github.com/x/y", "code", ENTRY.line, marker="unofficial")) == ["code_missing"]
    assert kinds(NotedLink("https://github.com/x/y", "notes", ENTRY.line)) == ["code_missing"]


def test_repo_key_normalizes_github_urls() -> None:
    same = [
        "https://github.com/ClovaAI/StatAssist-GradBoost",
        "http://www.github.com/clovaai/statassist-gradboost.git",
        "https://github.com/clovaai/StatAssist-GradBoost/",
        "https://github.com/clovaai/StatAssist-GradBoost/tree/main/src",
        "github.com/clovaai/StatAssist-GradBoost",
    ]
    assert {repo_key(u) for u in same} == {"github.com/clovaai/statassist-gradboost"}
    assert repo_key("https://github.com/clovaai/StatAssist") != repo_key(OFFICIAL)
    assert repo_key("https://gitlab.com/group/sub/project/-/tree/main") == "gitlab.com/group/sub/project"


# --- DOIs ----------------------------------------------------------------------------------


def test_published_doi_is_suggested_once_and_arxivs_never(enriched) -> None:
    db, s2, hf = enriched
    s2.papers["1910.04641"]["externalIds"]["DOI"] = "10.5555/stand-in.0001"
    enrich_and_reconcile(db, s2, hf)
    dois = findings_of(db, "published_doi")
    assert list(dois) == ["1910.04641"]  # the seed's other papers carry only 10.48550 DOIs
    assert {k: dois["1910.04641"][k] for k in ("severity", "source", "arxiv_value", "suggestion")} == {
        "severity": "info",
        "source": "semantic_scholar",
        "arxiv_value": "10.5555/stand-in.0001",
        "suggestion": "https://doi.org/10.5555/stand-in.0001",
    }
    expected = "Add the published version's DOI: https://doi.org/10.5555/stand-in.0001"
    assert action_text(dois["1910.04641"]) == expected


def test_a_doi_the_entry_already_gives_is_not_suggested() -> None:
    paper = replace(PAPER, published_dois=(DoiEvidence("semantic_scholar", "10.5555/X.1"),))
    with_doi = replace(ENTRY, raw=ENTRY.raw + " https://doi.org/10.5555/x.1")
    found = [f.kind for f in reconcile(ReconcileInput((with_doi,), {PAPER.arxiv_id: paper}))]
    assert "published_doi" not in found
    found = [f.kind for f in reconcile(ReconcileInput((ENTRY,), {PAPER.arxiv_id: paper}))]
    assert "published_doi" in found


# --- parsing the answers -----------------------------------------------------------------


def test_semantic_scholar_answers_parse_in_request_order() -> None:
    item = {
        "venue": "",
        "publicationVenue": {"name": "International Conference on Machine Learning"},
        "journal": {"name": "CoRR"},
        "year": 2020,
        "citationCount": 7,
        "externalIds": {"DOI": "10.48550/arXiv.2001.00001", "DBLP": "conf/icml/Example20"},
    }
    first, second = parse_batch(["2001.00001", "2001.00002"], [item, None])
    assert (first.status, first.venue, first.journal, first.doi, first.dblp_key, first.citation_count, first.year) == (
        "found",
        "International Conference on Machine Learning",
        None,
        None,
        "conf/icml/Example20",
        7,
        2020,
    )
    assert (second.arxiv_id, second.status) == ("2001.00002", "not_found")
    with pytest.raises(ValueError):
        parse_batch(["2001.00001", "2001.00002"], [item])
    assert parse_paper("1", {"externalIds": {"DOI": "10.1109/X.2"}, "venue": "arXiv.org"}).doi == "10.1109/X.2"


def test_hugging_face_answers() -> None:
    assert interpret("2006.09679", 404, b'{"error": "Paper not found"}').status == "not_found"
    assert (
        interpret("2006.09679", 200, b'{"id": "2006.09679", "githubRepo": " %s "}' % OFFICIAL.encode()).code_url
        == OFFICIAL
    )
    assert interpret("2006.09679", 200, b'{"id": "2006.09679"}').code_url is None
    broken = interpret("2006.09679", 200, b"<html>")
    assert (broken.status, broken.error is not None) == ("failed", True)
    assert interpret("2006.09679", 401, b"").error == "HTTP 401"
