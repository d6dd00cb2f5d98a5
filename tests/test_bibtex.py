"""BibTeX as a reference manager writes it: pinned keys, TeX titles, the published version."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bibtexparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pybtex.database import parse_string as pybtex_parse

from harvester.bibtex import bibtex_keys, bibtex_record, family_name, key_base, tex_text, tex_title
from harvester.published import Enriched, Published, from_journal_ref, from_semantic_scholar
from tests.cli import invoke
from tests.seeddb import SEED, fixture_papers
from tests.standins.scholar import HuggingFaceStandIn, SemanticScholarStandIn

ICIP = "1910.04641"
ICIP_DOI = "10.1109/ICIP.2019.8802930"


def paper(**changes: Any) -> dict[str, Any]:
    base = {
        "arxiv_id": "2101.00001",
        "title": "A Title",
        "published": "2021-01-04T12:00:00Z",
        "primary_category": "cs.LG",
        "comment": None,
        "journal_ref": None,
        "doi": None,
        "author_names": '["Ada Lovelace"]',
    }
    return base | changes


def export(db: Path, *options: str) -> str:
    result = invoke("export", *options, db=db)
    assert result.returncode == 0, result.stderr
    return result.stdout


def by_eprint(text: str) -> dict[str, Any]:
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    return {entry["eprint"]: entry for entry in library.entries}


# --- titles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "written"),
    [
        # math and commands verbatim; only & % # outside math escaped
        (
            "$\\ell_1$-Regularized Sparse Coding & 50% Fewer #Params on $\\mathbb{R}^{n}$",
            "$\\ell_1$-Regularized Sparse Coding \\& 50\\% Fewer \\#Params on $\\mathbb{R}^{n}$",
        ),
        ("$$a & b % c$$ and $x_{1} # y$", "$$a & b % c$$ and $x_{1} # y$"),
        # capitals that matter are braced, title case is left to the style
        ("BERT Meets ImageNet: GANs for 3D k-NN", "{BERT} Meets {ImageNet}: {GANs} for {3D} k-{NN}"),
        # what arXiv already escaped or braced is not escaped again
        ("R\\&D with {CNN} and {\\em Deep} Nets", "R\\&D with {CNN} and {\\em Deep} Nets"),
        # whatever would unbalance the field: a lone dollar, stray braces, an escaped brace, a last backslash
        ("Costs $5 and {unclosed", "Costs \\$5 and unclosed"),
        ("closed} twice}", "closed twice"),
        ("Sets \\{x\\} \\", "Sets \\textbraceleft{}x\\textbraceright{} \\textbackslash{}"),
        ("Line\n  broken   title", "Line broken title"),
    ],
)
def test_titles_keep_their_tex(title: str, written: str) -> None:
    assert tex_title(title) == written


def test_math_in_a_title_survives_both_parsers_verbatim() -> None:
    title = "$\\ell_1$-Norm & $O(n \\log n)$ Pruning of {ResNet}-50"
    record = bibtex_record(paper(title=title), "lovelace2021norm", Enriched(), published=True)
    parsed = bibtexparser.parse_string(record).entries[0]["title"]
    assert parsed == "$\\ell_1$-Norm \\& $O(n \\log n)$ Pruning of {ResNet}-50"
    assert pybtex_parse(record, "bibtex").entries["lovelace2021norm"].fields["title"] == parsed


def test_other_fields_are_escaped_but_not_braced() -> None:
    assert tex_text("Ng & Jordan {x") == "Ng \\& Jordan x"
    assert tex_text("IEEE Transactions on PAMI") == "IEEE Transactions on PAMI"


# --- keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("Bodo Rückauer", "ruckauer"),
        ("Łukasz Kaiser", "kaiser"),
        ("Øyvind Ødegård", "odegard"),
        ("Hervé Jégou", "jegou"),
        ("Wei Zhang (张伟)", "zhang"),
        ("Guy Steele Jr.", "steele"),
        ("张伟", ""),
        ("Иван Петров", ""),
    ],
)
def test_family_names_fold_to_ascii(name: str, family: str) -> None:
    assert family_name(name) == family


def test_a_name_without_ascii_letters_gives_way_to_the_title() -> None:
    cjk = paper(author_names='["张伟", "Li Wei"]', title="$\\ell_1$ Sparse Coding for Images")
    assert key_base(cjk) == "sparse2021coding"
    assert key_base(paper(author_names="[]", title="Towards $k$-Means")) == "means2021"
    assert key_base(paper(author_names='["Kaiming He"]', title="Deep Residual Learning")) == "he2021deep"


def test_pinned_keys_stay_and_new_clashes_take_the_next_free_suffix() -> None:
    twins = [paper(arxiv_id=f"2101.0000{n}", author_names='["Jason Wei"]', title="Deep Things") for n in (1, 2, 3)]
    assert bibtex_keys(twins[:2]) == {"2101.00001": "wei2021deepa", "2101.00002": "wei2021deepb"}
    # the first twin left the list: the second keeps its key, the third does not take the first's
    pinned = {"2101.00001": "wei2021deepa", "2101.00002": "wei2021deepb"}
    assert bibtex_keys(twins[1:], pinned, {"wei2021deep"}) == {
        "2101.00002": "wei2021deepb",
        "2101.00003": "wei2021deepc",
    }
    # a paper alone with its base takes the bare base, unless a pinned key holds it
    assert bibtex_keys(twins[2:]) == {"2101.00003": "wei2021deep"}
    assert bibtex_keys(twins[2:], {"x": "wei2021deep"}, {"wei2021deep"}) == {"2101.00003": "wei2021deepa"}


# --- the published version ------------------------------------------------------------------


def s2_row(raw: dict[str, Any], **columns: Any) -> dict[str, Any]:
    return {"raw": json.dumps(raw), "venue_names": None, "dblp_key": None, "doi": None, "year": None} | columns


def test_a_conference_is_inproceedings_in_the_year_the_comment_names() -> None:
    raw = {"publicationVenue": {"type": "conference", "name": "International Conference on Learning Representations"}}
    row = s2_row(raw, venue="International Conference on Learning Representations", journal=None, year=2015)
    found = from_semantic_scholar(row, paper(comment="Published as a conference paper at ICLR 2016 (oral)"))
    assert found == Published("inproceedings", "International Conference on Learning Representations", 2016, None)


def test_a_journal_is_an_article_with_volume_and_pages() -> None:
    raw = {
        "publicationVenue": {"type": "journal"},
        "journal": {"name": "Neural Computation", "volume": "31", "pages": "1-20"},
    }
    row = s2_row(raw, venue="Neural Computation", journal="Neural Computation", year=2019, doi="10.1162/x")
    found = from_semantic_scholar(row, paper())
    assert found == Published("article", "Neural Computation", 2019, "10.1162/x", "31", "1-20")
    record = bibtex_record(paper(), "k", Enriched(found, found.doi), published=True)
    entry = pybtex_parse(record, "bibtex").entries["k"]
    assert entry.type == "article"
    assert (entry.fields["journal"], entry.fields["volume"], entry.fields["pages"]) == (
        "Neural Computation",
        "31",
        "1--20",
    )


def test_a_preprint_only_answer_names_no_published_version() -> None:
    assert from_semantic_scholar(s2_row({}, venue=None, journal=None, year=2019), paper()) is None


def test_arxivs_journal_ref_is_the_fallback() -> None:
    assert from_journal_ref("Proceedings of ICML 2019, pp. 1-9", None).kind == "inproceedings"
    assert from_journal_ref("Phys. Rev. D 99, 2019", "10.1103/x") == Published(
        "article", "Phys. Rev. D 99, 2019", 2019, "10.1103/x"
    )


def test_the_arxiv_style_and_a_comment_never_make_a_note() -> None:
    published = Published("inproceedings", "ICIP", 2019, "10.1/x")
    preprint = paper(comment="10 pages, 5 figures", journal_ref="ICIP 2019")
    record = bibtex_record(preprint, "k", Enriched(published, "10.1/x"), published=False)
    entry = pybtex_parse(record, "bibtex").entries["k"]
    assert entry.type == "misc"
    assert {"eprint", "archivePrefix", "primaryClass"} <= set(entry.fields)
    assert "note" not in entry.fields and "doi" not in entry.fields and "booktitle" not in entry.fields


# --- the seed, end to end -------------------------------------------------------------------


@pytest.fixture(scope="module")
def enriched_seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed, enriched by the stand-ins; the ICIP paper's published DOI is known."""
    from tests.seeddb import build_seed_db

    db = build_seed_db(tmp_path_factory.mktemp("bib") / "h.db")
    with SemanticScholarStandIn() as s2, HuggingFaceStandIn() as hf:
        s2.papers[ICIP] = s2.papers[ICIP] | {"externalIds": {"ArXiv": ICIP, "DOI": ICIP_DOI}}
        env = {
            "HARVESTER_S2_URL": s2.url,
            "HARVESTER_HF_URL": hf.url,
            "HARVESTER_S2_DELAY": "0",
            "HARVESTER_HF_DELAY": "0",
        }
        result = invoke("enrich", db=db, env=env)
        assert result.returncode == 0, result.stderr
    return db


def test_the_seed_parses_with_bibtexparser_and_pybtex(enriched_seed: Path) -> None:
    text = export(enriched_seed)
    entries = by_eprint(text)
    assert sorted(entries) == sorted(p.arxiv_id for p in fixture_papers())
    strict = pybtex_parse(text, "bibtex")
    assert sorted(strict.entries) == sorted(e.key for e in entries.values())
    for entry in entries.values():
        assert strict.entries[entry.key].fields["title"] == entry["title"]
        assert "note" not in entry.fields_dict


def test_a_semantic_scholar_venue_makes_an_inproceedings_with_booktitle_and_doi(enriched_seed: Path) -> None:
    icip = by_eprint(export(enriched_seed))[ICIP]
    assert icip.entry_type == "inproceedings"
    assert icip["booktitle"] == "2019 IEEE International Conference on Image Processing (ICIP)"
    assert (icip["doi"], icip["year"], icip["pages"]) == (ICIP_DOI, "2019", "6--10")
    assert icip["url"] == f"https://arxiv.org/abs/{ICIP}"
    deep = by_eprint(export(enriched_seed))["1510.00149"]
    assert (deep.entry_type, deep["booktitle"], deep["year"]) == (
        "inproceedings",
        "International Conference on Learning Representations",
        "2016",  # Semantic Scholar says 2015, the preprint's year; arXiv's comment names ICLR 2016
    )


def test_the_arxiv_style_writes_every_paper_as_the_preprint(enriched_seed: Path) -> None:
    published, preprints = export(enriched_seed), export(enriched_seed, "--style", "arxiv")
    assert {e.entry_type for e in by_eprint(preprints).values()} == {"misc"}
    icip = by_eprint(preprints)[ICIP]
    assert (icip["archivePrefix"], icip["primaryClass"], icip["year"]) == ("arXiv", "cs.CV", "2019")
    assert "doi" not in icip.fields_dict
    # the same keys either way
    assert sorted(e.key for e in by_eprint(published).values()) == sorted(e.key for e in by_eprint(preprints).values())


def test_json_and_csv_carry_the_enrichment(enriched_seed: Path) -> None:
    entries = {e["arxiv_id"]: e for e in json.loads(export(enriched_seed, "--format", "json"))}
    icip = entries[ICIP]
    assert (icip["published_venue"], icip["published_year"], icip["published_doi"]) == (
        "2019 IEEE International Conference on Image Processing (ICIP)",
        2019,
        ICIP_DOI,
    )
    assert icip["citation_count"] == 23
    assert entries["1907.00274"]["code_url"] == "https://github.com/pedro-morgado/nettailor"
    assert entries["1906.08859"]["published_venue"] is None  # Semantic Scholar does not know it
    header, *rows = export(enriched_seed, "--format", "csv").splitlines()
    assert header.endswith(",published_venue,published_year,published_doi,code_url,citation_count")
    row = next(r for r in rows if r.split(",")[3] == ICIP)
    assert row.endswith(f",2019,{ICIP_DOI},,23")


# --- keys across list edits -------------------------------------------------------------------


def test_keys_stay_the_same_when_a_sibling_leaves_the_list(seed_db: Path) -> None:
    listing = seed_db.parent / SEED.name
    with sqlite3.connect(seed_db) as conn:  # a second Pitas 2018 "FeTa" paper: the two keys clash
        conn.execute(
            "UPDATE papers SET title = 'FeTa Revisited: Hard Thresholding', published = '2018-05-21T12:00:00Z' "
            "WHERE arxiv_id = '1905.08793'"
        )
    first = {k: e.key for k, e in by_eprint(export(seed_db)).items()}
    assert (first["1803.04239"], first["1905.08793"]) == ("pitas2018fetaa", "pitas2018fetab")

    text = listing.read_text(encoding="utf-8")
    sibling = "1. [Revisiting hard thresholding for DNN pruning](http://cn.arxiv.org/abs/1905.08793)"
    start = text.index(sibling)
    listing.write_text(text[:start] + text[text.index("\n\n", start) + 2 :], encoding="utf-8")
    assert invoke("import", str(listing), db=seed_db).returncode == 0

    second = {k: e.key for k, e in by_eprint(export(seed_db)).items()}
    assert "1905.08793" not in second
    assert second == {k: v for k, v in first.items() if k != "1905.08793"}
    # the same keys a freshly computed export would not give: the pin is what holds them
    assert bibtex_keys(
        [paper(arxiv_id="1803.04239", author_names='["Konstantinos Pitas"]', title="FeTa", published="2018")]
    ) == {"1803.04239": "pitas2018feta"}
    with sqlite3.connect(seed_db) as conn:
        pinned = dict(conn.execute("SELECT arxiv_id, citation_key FROM citation_keys").fetchall())
    assert pinned == first

    listing.write_text(text, encoding="utf-8")  # and back: the sibling gets its own key again
    assert invoke("import", str(listing), db=seed_db).returncode == 0
    assert {k: e.key for k, e in by_eprint(export(seed_db)).items()} == first


def test_a_style_the_format_does_not_have_is_a_usage_error(tmp_path: Path) -> None:
    for options in (("--style", "awesome"), ("--format", "csv", "--style", "arxiv")):
        result = invoke("export", *options, db=tmp_path / "absent.db")
        assert result.returncode == 2, result.stderr
        assert "--style" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "absent.db").exists()


def test_bibtex_export_of_a_missing_database_creates_nothing(tmp_path: Path) -> None:
    result = invoke("export", db=tmp_path / "absent.db")
    assert result.returncode == 1
    assert "no database" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "absent.db").exists()


# --- any title -------------------------------------------------------------------------------

TEX_PIECES = [*"aZ 09${}\\&%#_^~@,=\"'\n", "\\ell", "{BERT}", "$x$", "é", "张", "\\{", "\\}", "$$", " and ", "\\ "]
TEX_TEXT = st.lists(st.sampled_from(TEX_PIECES), max_size=30).map("".join)


@settings(max_examples=200, deadline=None)
@given(title=TEX_TEXT, author=TEX_TEXT)
def test_no_title_or_name_can_break_out_of_its_field(title: str, author: str) -> None:
    record = bibtex_record(paper(title=title, author_names=json.dumps([author])), "k", Enriched(), published=True)
    library = bibtexparser.parse_string(record)
    assert not library.failed_blocks and len(library.entries) == 1
    strict = pybtex_parse(record, "bibtex").entries["k"]
    assert set(strict.fields) - {"title"} == {"year", "month", "eprint", "archivePrefix", "primaryClass", "url"}
    assert strict.fields.get("title", "") == library.entries[0].fields_dict.get("title", FieldStub("")).value
    assert strict.fields.get("title", "") == tex_title(title)


@dataclass
class FieldStub:
    value: str


def test_a_hostile_title_stays_inside_its_field() -> None:
    record = bibtex_record(paper(title="x}, note = {pwned}, y = {"), "k", Enriched(), published=True)
    entry = pybtex_parse(record, "bibtex").entries["k"]
    assert "note" not in entry.fields and "y" not in entry.fields
    assert entry.fields["title"] == "x, note = {pwned}, y ="  # the unmatched braces are dropped


@pytest.mark.timeout(60)
def test_an_export_while_another_process_writes_goes_on_without_pinning(seed_db: Path) -> None:
    holder = sqlite3.connect(seed_db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE lists SET title = title")
    try:
        result = invoke("export", db=seed_db, env={"HARVESTER_BUSY_TIMEOUT": "0.2"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 0, result.stderr
    assert "citation keys are not pinned" in result.stderr and "busy" in result.stderr
    assert "@misc{han2015deep," in result.stdout
    assert export(seed_db) == result.stdout  # the keys the next export pins
