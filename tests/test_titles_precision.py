"""Title findings a curator can trust: translations are not wrong IDs, slips are typos, only unrelated titles are errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_reconcile import ENTRY, PAPER, kinds, only
from test_reconcile_seed import utc

from harvester.arxiv.client import BatchResult
from harvester.arxiv.feed import Paper
from harvester.harvest import HarvestSummary, save_batch
from harvester.importer import import_lists, read_source
from harvester.reconcile import (
    EntryInput,
    Finding,
    PaperInfo,
    ReconcileInput,
    VersionInfo,
    edit_distance,
    is_title_typo,
    reconcile,
)
from harvester.reconciling import load_inputs
from harvester.store import ensure_db_shape, open_db
from tests.cli import ROOT

LISTS = ROOT / "tests" / "fixtures" / "reading-lists"
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def paper_titled(title: str, *earlier: str) -> PaperInfo:
    titles = (*earlier, title)
    versions = tuple(VersionInfo(n, t, PAPER.published) for n, t in enumerate(titles, 1))
    return replace(PAPER, title=title, versions=versions)


def title_kinds(noted: str, paper: PaperInfo) -> list[str]:
    return [k for k in kinds(replace(ENTRY, noted_title=noted), paper) if k.startswith("title_")]


# --- item 2: translated titles ----------------------------------------------------------

DOPANET = paper_titled("DoPaNet: Domain Partition Networks for Scene Parsing")


@pytest.mark.parametrize(
    ("noted", "paper"),
    [
        ("剪枝神经网络的剖析", PAPER),  # Chinese, no Latin at all
        ("DoPaNet: 域分区网络", DOPANET),  # a Latin model name inside a Chinese title
        ("DoPaNet：面向场景解析的域分区网络", DOPANET),  # full-width colon, longer Chinese
        ("基于Transformer的剪枝网络剖析", PAPER),  # an ordinary English word inside Chinese
        ("枝刈りされたニューラルネットワークの分析", PAPER),  # Japanese: kanji, hiragana, katakana
        ("가지치기된 신경망 해부", PAPER),  # Korean
        ("Анализ прореженных нейронных сетей", PAPER),  # Russian
        ("GAN 剪枝的 CNN 分析 2019", PAPER),  # acronyms and digits around Chinese
    ],
)
def test_translated_title_is_neither_warning_nor_error(noted: str, paper: PaperInfo) -> None:
    found = reconcile_one(replace(ENTRY, noted_title=noted), paper)
    assert [(f.kind, f.severity) for f in found if f.severity != "info"] == []


def reconcile_one(entry: EntryInput, paper: PaperInfo) -> list[Finding]:
    return reconcile(ReconcileInput(entries=(entry,), papers={paper.arxiv_id: paper}))


@pytest.mark.parametrize(
    "noted",
    [
        "Dissecting Pruned Neural Networks（剪枝网络剖析）",
        "剪枝网络剖析 Dissecting Pruned Neural Networks",
        "剪枝网络剖析: Dissecting Pruned Neural Networks",
    ],
)
def test_bilingual_title_whose_latin_part_is_arxivs_has_no_finding(noted: str) -> None:
    assert title_kinds(noted, PAPER) == []


def test_bilingual_title_with_a_slip_in_its_latin_part_is_a_typo_keeping_the_translation() -> None:
    noted = "Disecting Pruned Neural Networks（剪枝网络剖析）"
    finding = only(replace(ENTRY, noted_title=noted))
    assert (finding.kind, finding.suggestion) == (
        "title_typo",
        "Dissecting Pruned Neural Networks（剪枝网络剖析）",
    )


def test_bilingual_title_naming_an_earlier_version_is_outdated() -> None:
    paper = paper_titled("Neural Epitome Search for Network Compression", "Deep Model Compression via Filter Sampling")
    noted = "Deep Model Compression via Filter Sampling（滤波器采样压缩）"
    finding = only(replace(ENTRY, noted_title=noted, noted_date=None), paper)
    assert (finding.kind, finding.suggestion) == (
        "title_outdated",
        "Neural Epitome Search for Network Compression（滤波器采样压缩）",
    )


def test_mostly_latin_title_of_another_paper_with_a_translation_stays_a_mismatch() -> None:
    noted = "Generative Adversarial Networks for Image Synthesis（生成网络）"
    assert title_kinds(noted, PAPER) == ["title_mismatch"]


def test_greek_letters_in_an_english_title_are_compared_as_written() -> None:
    paper = paper_titled("β-VAE: Learning Basic Visual Concepts with a Constrained Variational Framework")
    assert title_kinds("β-VAE: Learning Basic Visual Concepts with a Constrained Variational Framework", paper) == []
    assert title_kinds("β-VAE: Learning Basic Visual Concepts with a Constrained Variatonal Framework", paper) == [
        "title_typo"
    ]
    assert title_kinds("α-GAN: Generative Adversarial Networks for Speech Enhancement", paper) == ["title_mismatch"]


# --- item 4: typos called wrong IDs -------------------------------------------------------


def test_adjacent_transposition_is_one_edit() -> None:
    assert edit_distance("joruney", "journey") == 1
    assert edit_distance("fogrery", "forgery") == 1
    assert edit_distance("form", "from") == 1
    assert edit_distance("kitten", "sitting") == 3


@pytest.mark.parametrize(
    ("noted", "current"),
    [
        ("A Joruney into Deep Image Compression", "A Journey into Deep Image Compression"),
        ("Detecting Image Fogrery with Noise Residuals", "Detecting Image Forgery with Noise Residuals"),
        ("Dissecting Pruned Nueral Networks", "Dissecting Pruned Neural Networks"),
        ("Learning Efficient Detectors Form Weak Labels", "Learning Efficient Detectors From Weak Labels"),
        ("Dissecting Pruned Neural Netwroks", "Dissecting Pruned Neural Networks"),
        ("Depe Compression of Neural Networks", "Deep Compression of Neural Networks"),
    ],
)
def test_swapped_letters_are_a_typo_with_arxivs_title_as_suggestion(noted: str, current: str) -> None:
    finding = only(replace(ENTRY, noted_title=noted), paper_titled(current))
    assert (finding.kind, finding.severity, finding.suggestion) == ("title_typo", "warning", current)


@pytest.mark.parametrize(
    ("noted", "current"),
    [
        # one word missing from a long title
        (
            "Trained Rank Pruning for Deep Neural Networks",
            "Trained Rank Pruning for Efficient Deep Neural Networks",
        ),
        # one word too many
        (
            "Learning Efficient Deep Convolutional Networks through Network Slimming",
            "Learning Efficient Convolutional Networks through Network Slimming",
        ),
    ],
)
def test_long_title_with_one_word_more_or_less_is_a_typo_not_a_wrong_id(noted: str, current: str) -> None:
    finding = only(replace(ENTRY, noted_title=noted), paper_titled(current))
    assert (finding.kind, finding.suggestion) == ("title_typo", current)


@pytest.mark.parametrize(
    ("noted", "current"),
    [
        ("Generative Adversarial Networks", "Dissecting Pruned Neural Networks"),  # a generic word shared
        ("On the Effect of the Learning Rate", "On the Number of Linear Regions of the Networks"),  # stopwords only
        ("Pruned Networks", "Dissecting Pruned Neural Networks"),  # too short to miss two words
        ("Neural Architecture Search", "Efficient Neural Architecture Search"),  # short titles: a word is content
        ("Image Forgery Detection", "Image Forgery Localization"),
    ],
)
def test_a_different_papers_title_stays_a_mismatch(noted: str, current: str) -> None:
    assert not is_title_typo(noted, current)
    assert title_kinds(noted, paper_titled(current)) == ["title_mismatch"]


def test_acronyms_and_digits_are_never_swapped_letters() -> None:
    assert not is_title_typo("Pruning NCN Layers for Speed", "Pruning CNN Layers for Speed")
    assert not is_title_typo("YOLOv32: Real-Time Object Detection", "YOLOv23: Real-Time Object Detection")


def test_mismatch_requires_every_version_to_differ() -> None:
    paper = paper_titled("Neural Epitome Search for Network Compression", "Deep Model Compression via Filter Sampling")
    noted = "Deep Model Compression via Filter Smapling"
    finding = only(replace(ENTRY, noted_title=noted, noted_date=None), paper)
    assert finding.kind == "title_outdated"
    unrelated = only(replace(ENTRY, noted_title="Deep Model Quantization for Speech", noted_date=None), paper)
    assert unrelated.kind == "title_mismatch"
    # the detail measures every version, not only the current title
    assert "(closest: v1, " in unrelated.detail


def test_short_name_with_a_slip_is_a_typo_suggesting_the_short_name() -> None:
    paper = paper_titled("Deep Compression: Compressing Deep Neural Networks with Pruning")
    finding = only(replace(ENTRY, noted_title="Deep Compresion"), paper)
    assert (finding.kind, finding.suggestion) == ("title_typo", "Deep Compression")
    assert title_kinds("deep compression", paper) == ["title_typo"]


# --- the real lists -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in LISTS.glob("*.md")))
def test_real_lists_with_faithful_titles_have_no_title_findings(tmp_path: Path, name: str) -> None:
    db = open_db(tmp_path / "h.db")
    import_lists(db, [read_source(LISTS / name)], NOW)
    entries = load_inputs(db).entries
    titled = {e.arxiv_id: e.noted_title for e in entries if e.arxiv_id and e.noted_title}
    assert titled, "the list names arXiv papers"
    papers = tuple(_paper(arxiv_id, title) for arxiv_id, title in titled.items())
    save_batch(db, BatchResult(tuple(titled), papers, (), ()), NOW, HarvestSummary())
    ensure_db_shape(db)
    found = reconcile(load_inputs(db))
    db.close()
    # A paper listed twice under two noted titles gets one of them: only those may differ.
    twice = {e.arxiv_id for e in entries if e.noted_title and e.noted_title != titled.get(e.arxiv_id or "")}
    assert [
        (f.kind, f.arxiv_id, f.noted) for f in found if f.kind.startswith("title_") and f.arxiv_id not in twice
    ] == []


def _paper(arxiv_id: str, title: str) -> Paper:
    published = utc("2019-01-15T12:00:00Z")
    return Paper(
        arxiv_id=arxiv_id,
        version=1,
        title=" ".join(title.split()),
        abstract="An abstract.",
        authors=(),
        published=published,
        updated=published,
        primary_category="cs.CV",
        categories=("cs.CV",),
        other_classifications=(),
        comment=None,
        journal_ref=None,
        dois=(),
        abs_url=f"http://arxiv.org/abs/{arxiv_id}v1",
        pdf_url=f"http://arxiv.org/pdf/{arxiv_id}v1",
        raw_xml=f"<entry><id>http://arxiv.org/abs/{arxiv_id}v1</id></entry>",
    )
