"""Venues outside the fixed table: the identity Semantic Scholar and DBLP give for the published venue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database
from test_enrich import make_config
from test_reconcile import ENTRY, PAPER

from harvester.enrich import run_enrich
from harvester.enrich.semantic_scholar import FIELDS, parse_paper
from harvester.enrich.store import migrations as enrichment_migrations
from harvester.findings import open_findings
from harvester.importer import import_lists, read_source
from harvester.reconcile import Finding, ReconcileInput, VenueEvidence, reconcile
from harvester.reconciling import load_inputs, run_reconcile
from harvester.store import open_db
from harvester.venues import dblp_venue, parse_noted_venue, venue_identity
from tests.seeddb import NOW, build_seed_db
from tests.standins.scholar import HuggingFaceStandIn, SemanticScholarStandIn, s2_paper

IJCNN = ("IEEE International Joint Conference on Neural Network", "IJCNN", "IEEE Int Jt Conf Neural Netw")
NEURIPS = ("Neural Information Processing Systems", "NeurIPS", "NIPS")


def venue_findings_for(noted: str | None, *evidence: VenueEvidence, comment: str | None = None) -> list[Finding]:
    entry = replace(ENTRY, noted_venue=noted)
    paper = replace(PAPER, comment=comment, extra_venues=evidence)
    return [f for f in reconcile(ReconcileInput((entry,), {paper.arxiv_id: paper})) if f.kind == "venue_mismatch"]


def s2_identity(*names: str, dblp: str | None = None, year: int | None = 2019) -> VenueEvidence:
    return VenueEvidence("semantic_scholar", names[0] if names else dblp or "", names=names, dblp_key=dblp, year=year)


# --- pure: names the table does not know --------------------------------------------------


def test_a_venue_outside_the_table_contradicts_a_recognised_note() -> None:
    [finding] = venue_findings_for("ICML 2019", s2_identity(*IJCNN))
    assert (finding.kind, finding.severity, finding.source, finding.suggestion, finding.noted) == (
        "venue_mismatch",
        "warning",
        "semantic_scholar",
        "IJCNN 2019",
        "ICML 2019",
    )
    assert finding.arxiv_value == IJCNN[0]
    assert "IJCNN 2019" in finding.detail


def test_any_of_the_venues_names_agrees() -> None:
    assert venue_findings_for("NIPS 2019", s2_identity(*NEURIPS)) == []
    assert venue_findings_for("NeurIPS", s2_identity(*NEURIPS)) == []
    assert venue_findings_for("NIPS 2019", s2_identity("Neural Information Processing Systems")) == []
    # The source's year is often the preprint's: it names the suggestion but never contradicts.
    assert (
        venue_findings_for(
            "ICLR 2016 oral", s2_identity("International Conference on Learning Representations", year=2015)
        )
        == []
    )


def test_a_dblp_key_alone_names_the_venue() -> None:
    [finding] = venue_findings_for("CVPR 2019", s2_identity(dblp="conf/icip/SmithD19"))
    assert (finding.source, finding.suggestion, finding.arxiv_value) == (
        "semantic_scholar",
        "ICIP 2019",
        "conf/icip/SmithD19",
    )
    assert venue_findings_for("ICIP 2019", s2_identity(dblp="conf/icip/SmithD19")) == []
    [journal] = venue_findings_for("CVPR 2019", s2_identity(dblp="journals/pami/SmithD20", year=None))
    assert journal.suggestion == "TPAMI 2020"
    [unknown] = venue_findings_for("ICML 2019", s2_identity(dblp="conf/ijcnn/SmithD19a"))
    assert unknown.suggestion == "IJCNN 2019"


def test_a_preprint_dblp_key_names_no_venue() -> None:
    assert dblp_venue("journals/corr/abs-1905-10324") is None
    assert venue_findings_for("CVPR 2019", s2_identity(dblp="journals/corr/abs-1905-10324")) == []


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("conf/nips/SmithD19", "NeurIPS 2019"),
        ("conf/icmcs/SmithD19", "ICME 2019"),
        ("conf/mm/SmithD19", "ACM MM 2019"),
        ("journals/tnn/SmithD20", "TNNLS 2020"),
        ("journals/tip/SmithD18", "TIP 2018"),
        ("conf/sysml/SmithD19", "MLSys 2019"),
        ("conf/iccvw/SmithD19", "ICCV 2019 workshop"),
        ("conf/icml/Smith98", "ICML 1998"),
    ],
)
def test_dblp_streams_whose_key_is_not_the_usual_acronym(key: str, label: str) -> None:
    identity = venue_identity((), key, None)
    assert identity is not None and identity.label() == label


def test_an_unknown_noted_venue_stays_silent() -> None:
    assert venue_findings_for("Some Workshop of Ours", s2_identity(*IJCNN)) == []
    assert venue_findings_for("Some Workshop of Ours", s2_identity(dblp="conf/icip/SmithD19")) == []
    assert venue_findings_for(None, s2_identity(*IJCNN)) == []


def test_workshop_and_main_conference_stay_different() -> None:
    [finding] = venue_findings_for("NIPS 2019 workshop", s2_identity(*NEURIPS))
    assert finding.suggestion == "NeurIPS 2019"
    [main] = venue_findings_for(
        "CVPR 2019",
        s2_identity("2019 IEEE/CVF Conference on Computer Vision and Pattern Recognition Workshops (CVPRW)"),
    )
    assert main.suggestion == "CVPR 2019 workshop"


def test_what_a_source_cannot_tell_is_no_contradiction() -> None:
    # DBLP files CVPR's workshops under conf/cvpr: the key cannot tell workshop from main track.
    assert venue_findings_for("CVPR 2019 workshop", s2_identity(dblp="conf/cvpr/SmithD19")) == []
    # A workshop goes by its own name; one the table does not know may be the noted one.
    emc2 = s2_identity("Energy Efficient Machine Learning and Cognitive Computing", dblp="conf/emc2/SmithD19")
    assert venue_findings_for("NIPS 2019 workshop", emc2) == []
    # "Workshop" inside a conference's own name does not make it a workshop.
    assert (
        venue_findings_for(
            "WACV 2020", s2_identity("IEEE Workshop/Winter Conference on Applications of Computer Vision", "WACV")
        )
        == []
    )


def test_a_venue_named_only_by_a_long_prefix_gets_its_own_acronym() -> None:
    visapp = ("International Conference on Computer Vision Theory and Applications", "VISAPP")
    [finding] = venue_findings_for("CVPR 2019", s2_identity(*visapp))
    assert finding.suggestion == "VISAPP 2019"


def test_full_names_of_table_venues_agree_with_their_acronyms() -> None:
    pairs = [
        ("KDD 2019", "Knowledge Discovery and Data Mining"),
        ("IJCAI 2019", "International Joint Conference on Artificial Intelligence"),
        ("ACL 2019", "Annual Meeting of the Association for Computational Linguistics"),
        ("EMNLP 2019", "Conference on Empirical Methods in Natural Language Processing"),
        ("NAACL 2019", "North American Chapter of the Association for Computational Linguistics"),
        ("ICASSP 2019", "IEEE International Conference on Acoustics, Speech, and Signal Processing"),
        ("AISTATS 2019", "International Conference on Artificial Intelligence and Statistics"),
        ("UAI 2019", "Conference on Uncertainty in Artificial Intelligence"),
        ("ICME 2019", "IEEE International Conference on Multimedia and Expo"),
        ("ICPR 2020", "International Conference on Pattern Recognition"),
        ("ACCV 2018", "Asian Conference on Computer Vision"),
        ("MLSys 2020", "Conference on Machine Learning and Systems"),
        ("COLT 2019", "Annual Conference Computational Learning Theory"),
        ("ISCA 2019", "International Symposium on Computer Architecture"),
        ("COLING 2020", "International Conference on Computational Linguistics"),
    ]
    for noted, name in pairs:
        assert venue_findings_for(noted, s2_identity(name)) == [], (noted, name)


# --- Semantic Scholar's answer --------------------------------------------------------------


def test_semantic_scholar_asks_for_and_keeps_the_venues_names_and_dblp_key() -> None:
    assert "publicationVenue" in FIELDS.split(",") and "externalIds" in FIELDS.split(",")
    item = s2_paper(names=IJCNN, dblp="conf/ijcnn/SmithD19", year=2019)
    found = parse_paper("1905.10324", item)
    assert (found.venue_names, found.dblp_key, found.year) == (IJCNN, "conf/ijcnn/SmithD19", 2019)
    preprint = parse_paper("1905.10324", s2_paper(names=("arXiv.org", "ArXiv"), kind="repository"))
    assert preprint.venue_names == ()
    odd = parse_paper("1905.10324", {"publicationVenue": {"name": 7, "alternate_names": "IJCNN"}})
    assert odd.venue_names == ()


# --- end to end: enrichment stand-in, store, reconcile ----------------------------------------

VENUE_LIST = """# Venues

1. [And the Bit Goes Down: Revisiting the Quantization of Neural Networks](https://arxiv.org/abs/1905.10324)
ICML 2019 *2019-05-24* [paper](https://arxiv.org/abs/1905.10324)

1. [Integer Discrete Flows and Lossless Compression](https://arxiv.org/abs/1905.07376)
NIPS 2019 *2019-05-17* [paper](https://arxiv.org/abs/1905.07376)

1. [Another Paper](https://arxiv.org/abs/1905.08793)
CVPR 2019 *2019-05-21* [paper](https://arxiv.org/abs/1905.08793)

1. [Yet Another Paper](https://arxiv.org/abs/1907.00262)
ICIP 2019 *2019-06-29* [paper](https://arxiv.org/abs/1907.00262)

1. [A Workshop Paper](https://arxiv.org/abs/1905.10145)
Some Workshop of Ours *2019-05-24* [paper](https://arxiv.org/abs/1905.10145)
"""


@pytest.fixture
def enriched(tmp_path: Path) -> Iterator[tuple[Database, Path, SemanticScholarStandIn, HuggingFaceStandIn]]:
    db = open_db(build_seed_db(tmp_path / "h.db"))
    listing = tmp_path / "venues.md"
    listing.write_text(VENUE_LIST, encoding="utf-8")
    import_lists(db, [read_source(listing)], NOW)
    db.execute("UPDATE papers SET comment = NULL, journal_ref = NULL")  # only Semantic Scholar speaks
    with SemanticScholarStandIn() as s2, HuggingFaceStandIn() as hf:
        s2.papers["1905.10324"] = s2_paper(names=IJCNN, year=2019)
        s2.papers["1905.07376"] = s2_paper(names=NEURIPS, year=2019)
        s2.papers["1905.08793"] = s2_paper(dblp="conf/icip/SmithD19", year=2019)
        s2.papers["1907.00262"] = s2_paper(dblp="conf/icip/SmithD19a", year=2019)
        s2.papers["1905.10145"] = s2_paper(names=IJCNN, year=2019)
        yield db, listing, s2, hf
    db.close()


def venue_rows(db: Database, listing: Path) -> dict[str, dict[str, Any]]:
    rows = open_findings(db)
    return {r["arxiv_id"]: r for r in rows if r["kind"] == "venue_mismatch" and r["list_path"] == str(listing)}


def test_end_to_end_through_the_stand_in(enriched) -> None:
    db, listing, s2, hf = enriched
    assert run_enrich(db, make_config(s2.url, hf.url), now=NOW).status == "ok"
    run_reconcile(db, now=NOW)
    found = venue_rows(db, listing)
    assert {i: (r["noted"], r["suggestion"], r["source"], r["line"]) for i, r in found.items()} == {
        "1905.10324": ("ICML 2019", "IJCNN 2019", "semantic_scholar", 4),
        "1905.08793": ("CVPR 2019", "ICIP 2019", "semantic_scholar", 10),
    }
    asked = s2.requests[-1].query["fields"].split(",")
    assert "publicationVenue" in asked and "externalIds" in asked


def test_rows_stored_before_the_venue_names_column_are_read_from_their_raw_answer(enriched) -> None:
    db, listing, s2, hf = enriched
    assert run_enrich(db, make_config(s2.url, hf.url), now=NOW).status == "ok"
    # A database enriched by the previous release: no column, only the raw answer.
    db.execute("ALTER TABLE enrichments DROP COLUMN venue_names")
    db.execute(
        "DELETE FROM _sqlite_migrations WHERE migration_set = ? AND name LIKE '0002%'", [enrichment_migrations.name]
    )
    db.conn.commit()
    db.close()
    reopened = open_db(listing.parent / "h.db")
    rows = reopened.query("SELECT arxiv_id, venue_names FROM enrichments WHERE source = 'semantic_scholar'")
    stored = {r["arxiv_id"]: r["venue_names"] for r in rows}
    assert json.loads(stored["1905.10324"]) == list(IJCNN)
    run_reconcile(reopened, now=NOW)
    assert set(venue_rows(reopened, listing)) == {"1905.10324", "1905.08793"}
    reopened.close()


# --- the four real lists: agreeing published venues add no noise --------------------------------

LISTS = Path(__file__).resolve().parent / "fixtures" / "reading-lists"
# How Semantic Scholar and DBLP name the venues these lists note (main name, alternates; DBLP stream).
PUBLISHED: dict[str, tuple[tuple[str, ...], str]] = {
    "NeurIPS": (("Neural Information Processing Systems", "Neural Inf Process Syst", "NeurIPS", "NIPS"), "conf/nips"),
    "ICLR": (("International Conference on Learning Representations", "Int Conf Learn Represent", "ICLR"), "conf/iclr"),
    "CVPR": (("Computer Vision and Pattern Recognition", "CVPR", "Comput Vis Pattern Recognit"), "conf/cvpr"),
    "ICML": (("International Conference on Machine Learning", "ICML", "Int Conf Mach Learn"), "conf/icml"),
    "ECCV": (("European Conference on Computer Vision", "Eur Conf Comput Vis", "ECCV"), "conf/eccv"),
    "ICCV": (("IEEE International Conference on Computer Vision", "ICCV", "IEEE Int Conf Comput Vis"), "conf/iccv"),
    "IJCAI": (
        ("International Joint Conference on Artificial Intelligence", "IJCAI", "Int Jt Conf Artif Intell"),
        "conf/ijcai",
    ),
    "AAAI": (
        ("AAAI Conference on Artificial Intelligence", "National Conference on Artificial Intelligence", "AAAI"),
        "conf/aaai",
    ),
    "ACL": (
        (
            "Annual Meeting of the Association for Computational Linguistics",
            "Annu Meet Assoc Comput Linguistics",
            "ACL",
        ),
        "conf/acl",
    ),
    "BMVC": (("British Machine Vision Conference", "BMVC", "Br Mach Vis Conf"), "conf/bmvc"),
    "IJCV": (("International Journal of Computer Vision", "Int J Comput Vis"), "journals/ijcv"),
    "ICIP": (("IEEE International Conference on Image Processing", "ICIP", "IEEE Int Conf Image Process"), "conf/icip"),
}
LIST_NAMES = ["gan-2019-03-26.md", "detection-2019-05-10.md", "awesome-pruning.md", "awesome-ml-model-compression.md"]


@pytest.fixture(scope="module")
def list_entries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    """Each real list imported through the importer, and its entries with a noted venue from the table."""
    db = open_db(tmp_path_factory.mktemp("lists") / "lists.db")
    import_lists(db, [read_source(LISTS / name) for name in LIST_NAMES], NOW)
    entries = [e for e in load_inputs(db).entries if e.arxiv_id and parse_noted_venue(e.noted_venue)]
    db.close()
    return {name: [e for e in entries if Path(e.list_path).name == name] for name in LIST_NAMES}


def published_as(entry: Any, how: str, year_shift: int = 0) -> VenueEvidence:
    noted = parse_noted_venue(entry.noted_venue)
    names, stream = PUBLISHED[noted.name]
    year = (noted.year or 2019) + year_shift
    if noted.workshop:  # a workshop's own name, as a source would give it
        names = ("Workshop on Something Particular", "WSP")
    key = f"{stream}/Someone{year % 100:02d}" if how != "names" and not noted.workshop else None
    return VenueEvidence(
        "semantic_scholar", names[0], names=names if how != "dblp" or noted.workshop else (), dblp_key=key, year=year
    )


@pytest.mark.parametrize("name", LIST_NAMES)
@pytest.mark.parametrize("how", ["names", "dblp", "both"])
def test_real_lists_agreeing_published_venues_are_silent(list_entries, name: str, how: str) -> None:
    entries = list_entries[name]
    for year_shift in (0, -1):  # the source's year may be the preprint's
        papers = {
            e.arxiv_id: replace(PAPER, arxiv_id=e.arxiv_id, extra_venues=(published_as(e, how, year_shift),))
            for e in entries
        }
        found = [f for f in reconcile(ReconcileInput(tuple(entries), papers)) if f.kind == "venue_mismatch"]
        assert found == [], [(f.noted, f.suggestion) for f in found]


@pytest.mark.parametrize("name", LIST_NAMES[:3])
def test_real_lists_a_venue_outside_the_table_contradicts_every_main_track_note(list_entries, name: str) -> None:
    entries = list_entries[name]
    ijcnn = VenueEvidence("semantic_scholar", IJCNN[0], names=IJCNN, year=2019)
    papers = {e.arxiv_id: replace(PAPER, arxiv_id=e.arxiv_id, extra_venues=(ijcnn,)) for e in entries}
    found = {f.entry_key for f in reconcile(ReconcileInput(tuple(entries), papers)) if f.kind == "venue_mismatch"}
    main_track = {e.entry_key for e in entries if not parse_noted_venue(e.noted_venue).workshop}
    assert found == main_track and main_track
