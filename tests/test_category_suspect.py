"""category_suspect with topics pooled across lists: the seed's misfiled paper is found, real lists stay quiet.

The pure scorer gets a topic glossary (shipped as package data) and every list's
entries; the database tests load both the way `reconcile` does (reconciling.load_inputs).
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path

import pytest

from harvester.arxiv.client import BatchResult
from harvester.data import glossary_from_toml, topic_glossary
from harvester.harvest import HarvestSummary, save_batch
from harvester.importer import import_lists, read_source
from harvester.reconcile import EntryInput, Finding, PaperInfo, ReconcileInput, reconcile
from harvester.reconciling import load_inputs
from harvester.store import ensure_db_shape, open_db
from tests.cli import ROOT
from tests.seeddb import NOW, SEED, build_seed_db, fixture_papers

LISTS = ROOT / "tests" / "fixtures" / "reading-lists"
SHARED = ["gan-2019-03-26.md", "detection-2019-05-10.md", "awesome-pruning.md", "awesome-ml-model-compression.md"]
MISFILED = "1905.07376"  # Integer Discrete Flows and Lossless Compression, filed under 6 权值量化
PUBLISHED = datetime(2020, 1, 1, tzinfo=UTC)


def suspects(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.kind == "category_suspect"]


def database_with(tmp_path: Path, lists: list[Path], with_seed_papers: bool = True) -> ReconcileInput:
    """`lists` imported together, with the seed fixture's metadata (abstracts, categories) stored."""
    db = open_db(tmp_path / "h.db")
    import_lists(db, [read_source(path) for path in lists], NOW)
    if with_seed_papers:
        papers = tuple(fixture_papers())
        batch = BatchResult(requested=tuple(p.arxiv_id for p in papers), papers=papers, missing=(), invalid=())
        save_batch(db, batch, NOW, HarvestSummary())
    ensure_db_shape(db)
    data = load_inputs(db)
    db.close()
    return data


# --- the seed ------------------------------------------------------------------------


def test_seed_database_flags_the_lossless_compression_paper_and_nothing_else(tmp_path: Path) -> None:
    db = open_db(build_seed_db(tmp_path / "h.db"))
    data = load_inputs(db)
    found = reconcile(data)
    [suspect] = suspects(found)
    assert (suspect.arxiv_id, suspect.noted, suspect.suggestion, suspect.severity) == (
        MISFILED,
        "6 权值量化",
        "9 其他",
        "info",
    )
    assert "fits none of the list's topics" in suspect.detail
    assert "lossless" in suspect.arxiv_value and "lossless" in suspect.detail
    assert "cs.LG" in suspect.detail  # the categories are shown as evidence


def test_every_other_seed_finding_stays_exactly_as_it_was(tmp_path: Path) -> None:
    db = open_db(build_seed_db(tmp_path / "h.db"))
    data = load_inputs(db)
    without_topics = reconcile(replace(data, topics=None))
    assert suspects(without_topics) == []
    assert [f for f in reconcile(data) if f.kind != "category_suspect"] == without_topics


def test_seed_with_the_authors_other_lists_still_flags_only_the_misfiled_paper(tmp_path: Path) -> None:
    data = database_with(tmp_path, [SEED, LISTS / "gan-2019-03-26.md", LISTS / "detection-2019-05-10.md"])
    assert [(f.arxiv_id, f.noted) for f in suspects(reconcile(data))] == [(MISFILED, "6 权值量化")]


def test_seed_among_every_shared_list_flags_the_misfiled_paper_as_before(tmp_path: Path) -> None:
    data = database_with(tmp_path, [SEED, *(LISTS / name for name in SHARED)])
    seed_suspects = [f for f in suspects(reconcile(data)) if Path(f.list_path).name == SEED.name]
    assert [(f.arxiv_id, f.suggestion) for f in seed_suspects] == [(MISFILED, "9 其他")]


# --- real lists ----------------------------------------------------------------------


def test_at_most_two_percent_of_entries_are_suspect_across_the_shared_lists(tmp_path: Path) -> None:
    data = database_with(tmp_path, [LISTS / name for name in SHARED])
    assert len(data.entries) > 500
    found = suspects(reconcile(data))
    assert len(found) <= 0.02 * len(data.entries), [(f.list_path, f.line, f.detail) for f in found]
    for finding in found:  # each one says where it fits better and why
        assert finding.suggestion and finding.arxiv_value and finding.suggestion != finding.noted


# --- the pure scorer -----------------------------------------------------------------

GLOSSARY = topic_glossary()
PRUNING = [
    (
        "Magnitude pruning of convolution filters",
        "We prune filters with small magnitude and retrain the sparse network.",
    ),
    ("Structured channel pruning at initialization", "Channels are pruned before training, leaving a sparse model."),
    (
        "Pruned residual networks keep their accuracy",
        "Removing most weights by pruning costs little accuracy on residual networks.",
    ),
]
QUANTIZATION = [
    (
        "Quantized activations for integer inference",
        "Activations and weights are quantized to integers for fast inference.",
    ),
    (
        "Low-bit weight quantization with learned steps",
        "Quantization steps are learned so that low-bit weights lose little accuracy.",
    ),
    (
        "Ternary weights for tiny accelerators",
        "Weights take ternary values, which a tiny accelerator stores in two bits.",
    ),
]
DISTILLATION = [
    (
        "Distillation from an ensemble of teachers",
        "A student network learns from the soft outputs of several teachers.",
    ),
    ("Feature distillation for small detectors", "The student mimics the teacher's feature maps during distillation."),
    ("Self-distillation without a teacher", "The network distills its own deeper layers into its shallow ones."),
]
MOVED = (
    "Pruning filters by their sparse gradients",
    "We prune the filters whose gradients are sparse; the pruned network keeps its accuracy.",
)
CODER = ("Arithmetic coding with learned image priors", "A learned prior drives an arithmetic coder.")


class ListBuilder:
    def __init__(self, list_id: int = 1, path: str = "list.md") -> None:
        self.list_id, self.path = list_id, path
        self.entries: list[EntryInput] = []
        self.papers: dict[str, PaperInfo] = {}

    def add(
        self,
        section: str,
        title: str,
        abstract: str = "",
        categories: tuple[str, ...] = ("cs.LG",),
        arxiv_id: str | None = None,
        note: str = "",
    ) -> str:
        number = len(self.entries) + 1
        arxiv_id = arxiv_id or f"2101.{self.list_id:02d}{number:03d}"
        line = number * 3
        raw = f"1. [{title}](https://arxiv.org/abs/{arxiv_id})" + (f"\n{note}" if note else "")
        entry = EntryInput(
            list_id=self.list_id,
            list_path=self.path,
            entry_key=f"arxiv:{arxiv_id}",
            section=section,
            line=line,
            end_line=line + 1,
            noted_title=title,
            arxiv_id=arxiv_id,
            arxiv_ids=(arxiv_id,),
            raw=raw,
        )
        self.entries.append(entry)
        if abstract:
            self.papers[arxiv_id] = PaperInfo(arxiv_id, title, PUBLISHED, abstract=abstract, categories=categories)
        return arxiv_id

    def add_all(self, section: str, papers: list[tuple[str, str]]) -> None:
        for title, abstract in papers:
            self.add(section, title, abstract)

    def sorted_list(self) -> ListBuilder:
        self.add_all("一、剪枝", PRUNING)
        self.add_all("二、量化", QUANTIZATION)
        self.add_all("三、蒸馏", DISTILLATION)
        return self


def judge(*builders: ListBuilder, glossary=GLOSSARY) -> list[Finding]:
    entries = tuple(e for b in builders for e in b.entries)
    papers = {k: v for b in builders for k, v in b.papers.items()}
    return suspects(reconcile(ReconcileInput(entries=entries, papers=papers, topics=glossary)))


def test_a_well_sorted_bilingual_list_is_quiet() -> None:
    assert judge(ListBuilder().sorted_list()) == []


def test_chinese_heading_and_english_title_match_through_the_glossary() -> None:
    # Near miss: nothing of "quantiz-" in it, and little shared with the section's papers,
    # but "binarized" is one of 量化's words.
    builder = ListBuilder().sorted_list()
    builder.add("二、量化", "Binarized attention heads", "Attention heads of a transformer are reduced to signs.")
    assert judge(builder) == []


def test_chinese_notes_speak_for_the_section_too() -> None:
    builder = ListBuilder().sorted_list()
    surgery = ("Lean networks by surgery", "Connections are removed and regrown.")
    builder.add("一、剪枝", *surgery, note="通道剪枝；修剪后微调")
    assert judge(builder) == []


def test_an_entry_whose_words_name_another_section_is_suspect() -> None:
    builder = ListBuilder().sorted_list()
    moved = builder.add("二、量化", *MOVED)
    [finding] = judge(builder)
    assert (finding.arxiv_id, finding.noted, finding.suggestion) == (moved, "二、量化", "一、剪枝")
    assert "pruning" in finding.arxiv_value.split(", ")
    assert "names pruning" in finding.detail and "none of quantization's words" in finding.detail


def test_one_stray_word_of_its_own_topic_is_not_enough() -> None:
    builder = ListBuilder().sorted_list()
    stray = builder.add(
        "二、量化",
        "Pruning filters by their sparse gradients",
        "We prune sparse filters and quantize nothing; the pruned network keeps its accuracy.",
    )
    assert [f.arxiv_id for f in judge(builder)] == [stray]


@pytest.mark.parametrize(
    ("title", "abstract"),
    [
        ("Quantized filters by their sparse gradients", "We prune the filters whose gradients are sparse."),
        (
            "Filters by their sparse gradients",
            "We quantize and prune the filters whose gradients are sparse; pruned filters are quantized again.",
        ),
    ],
)
def test_its_own_topic_in_the_title_or_twice_in_the_abstract_settles_it(title: str, abstract: str) -> None:
    builder = ListBuilder().sorted_list()
    builder.add("二、量化", title, abstract)
    assert judge(builder) == []


def test_a_paper_of_no_topic_of_the_list_is_suspect_and_goes_to_the_catch_all() -> None:
    builder = ListBuilder().sorted_list()
    builder.add("九、其他", "Graph kernels for molecules", "Molecules are compared with graph kernels.")
    stranger = builder.add(
        "二、量化",
        "Arithmetic coding with learned image priors",
        "A learned prior over images drives an arithmetic coder, storing photographs without loss.",
        categories=("cs.IT", "eess.IV"),
    )
    [finding] = judge(builder)
    assert (finding.arxiv_id, finding.suggestion) == (stranger, "九、其他")
    assert "fits none of the list's topics" in finding.detail
    assert "cs.IT" in finding.detail and "cs.LG" in finding.detail  # its categories vs the section's


def test_without_an_abstract_no_topic_is_no_evidence() -> None:
    builder = ListBuilder().sorted_list()
    builder.add("二、量化", "Arithmetic coding with learned image priors")  # a title alone says too little
    assert judge(builder) == []


def test_categories_are_evidence_not_a_rule() -> None:
    builder = ListBuilder().sorted_list()
    builder.add(
        "二、量化",
        "Quantized channels for wireless links",
        "Symbols are quantized before coding.",
        categories=("cs.IT", "eess.SP"),
    )
    assert judge(builder) == []


@pytest.mark.parametrize("heading", ["9 其他", "Papers / Misc", "剪枝与量化", "2 理论", "Pruning and Quantization"])
def test_catch_all_untopical_and_two_topic_sections_are_never_judged(heading: str) -> None:
    builder = ListBuilder().sorted_list()
    builder.add(heading, *CODER)
    assert judge(builder) == []


@pytest.mark.parametrize(
    "heading",
    ["6 权值量化", "二、量化", "(2) 量化", "3.1 Quantization", "Papers / Binarization", "Awesome Quantization / 2019"],
)
def test_headings_name_their_topic_whatever_the_numbering(heading: str) -> None:
    builder = ListBuilder().sorted_list()
    builder.add(heading, *CODER)
    assert [f.noted for f in judge(builder)] == [heading]


def test_sections_are_pooled_across_lists() -> None:
    # Each list alone has too few papers per section to judge anything.
    first, second = ListBuilder(1, "a.md"), ListBuilder(2, "b.md")
    first.add_all("剪枝", PRUNING[:1])
    first.add_all("量化", QUANTIZATION[:1])
    second.add_all("Pruning", PRUNING[1:])
    second.add_all("Quantization", QUANTIZATION[1:])
    moved = first.add("量化", *MOVED)
    assert judge(first) == []
    assert [(f.arxiv_id, f.suggestion) for f in judge(first, second)] == [(moved, "剪枝")]


def test_a_paper_filed_the_same_way_elsewhere_cannot_vouch_for_itself() -> None:
    # b.md has no other topic: its copy fits none of them, and is reported there too.
    first, second = ListBuilder(1, "a.md").sorted_list(), ListBuilder(2, "b.md")
    abstract = "A learned prior over images drives an arithmetic coder, storing photographs without loss."
    first.add("二、量化", "Arithmetic coding with learned image priors", abstract, arxiv_id="2102.00001")
    second.add("Quantization", "Arithmetic coding with learned image priors", abstract, arxiv_id="2102.00001")
    found = judge(first, second)
    assert {(f.list_path, f.arxiv_id) for f in found} == {("a.md", "2102.00001"), ("b.md", "2102.00001")}
    assert {f.suggestion for f in found} == {"a section of its own"}


def test_without_a_glossary_the_pooled_rule_is_silent() -> None:
    builder = ListBuilder().sorted_list()
    builder.add("二、量化", *CODER)
    assert judge(builder, glossary=None) == []
    assert judge(builder, glossary=glossary_from_toml({})) == []


# --- the glossary as package data ----------------------------------------------------


def test_the_glossary_is_package_data_read_through_importlib_resources() -> None:
    assert {t.name for t in GLOSSARY.topics} >= {"quantization", "pruning", "distillation", "low-rank"}
    assert "其他" in GLOSSARY.catch_all
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["*"]  # every package's data files
    shipped = [p.name for p in (ROOT / "harvester" / "data").iterdir() if p.suffix != ".py" and p.is_file()]
    assert shipped and all(any(fnmatch(name, pattern) for pattern in patterns) for name in shipped)
