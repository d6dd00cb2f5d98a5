"""Each finding kind: one case that fires and a near miss that must not."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_reconcile_seed import day, utc

from harvester.arxiv.feed import says_withdrawn
from harvester.readinglist import NotedDate
from harvester.reconcile import (
    EntryInput,
    NotedLink,
    PaperInfo,
    ReconcileInput,
    VenueEvidence,
    VersionInfo,
    canonical_link,
    format_like,
    is_title_typo,
    reconcile,
)
from harvester.venues import find_venues, parse_noted_venue, venues_agree

PAPER = PaperInfo(
    arxiv_id="1907.00262",
    title="Dissecting Pruned Neural Networks",
    published=utc("2019-06-29T12:00:00Z"),
    abstract="We study whether pruning changes the interpretability of units.",
    versions=(VersionInfo(1, "Dissecting Pruned Neural Networks", utc("2019-06-29T12:00:00Z")),),
)
ENTRY = EntryInput(
    list_id=1,
    list_path="list.md",
    entry_key="arxiv:1907.00262",
    section="3 剪枝",
    line=10,
    end_line=11,
    noted_title="Dissecting Pruned Neural Networks",
    arxiv_id="1907.00262",
    arxiv_ids=("1907.00262",),
    noted_date=day("2019-06-29"),
    links=(NotedLink("https://arxiv.org/abs/1907.00262", "title", 10, 0, arxiv_id="1907.00262"),),
)


def kinds(entry: EntryInput = ENTRY, paper: PaperInfo = PAPER, **options) -> list[str]:
    data = ReconcileInput(entries=(entry,), papers={paper.arxiv_id: paper}, **options)
    return [f.kind for f in reconcile(data)]


def only(entry: EntryInput = ENTRY, paper: PaperInfo = PAPER, **options):
    data = ReconcileInput(entries=(entry,), papers={paper.arxiv_id: paper}, **options)
    [finding] = reconcile(data)
    return finding


def test_a_faithful_entry_has_no_findings() -> None:
    assert kinds() == []


# --- titles ---


@pytest.mark.parametrize(
    "noted",
    [
        "Disecting Pruned Neural Networks",  # a letter
        "Dissecting Pruned Neural Network",  # plural
        "Dissecting pruned neural networks",  # case
        "Dissecting Pruned Neural Networks.",  # punctuation
    ],
)
def test_title_typo(noted: str) -> None:
    finding = only(replace(ENTRY, noted_title=noted))
    assert (finding.kind, finding.severity, finding.suggestion) == (
        "title_typo",
        "warning",
        "Dissecting Pruned Neural Networks",
    )


@pytest.mark.parametrize(
    ("noted", "current"),
    [
        ("Learning Low-Rank Approximation for RNNs", "Learning Low-Rank Approximation for CNNs"),
        ("YOLOv2: Real-Time Object Detection", "YOLOv3: Real-Time Object Detection"),
        ("Dissecting Pruned Neural Networks for Speech", "Dissecting Pruned Neural Networks"),
        ("Integer Discrete Flows and Lossy Compression", "Integer Discrete Flows and Lossless Compression"),
    ],
)
def test_a_different_paper_with_a_similar_title_is_a_mismatch_never_a_typo(noted: str, current: str) -> None:
    assert not is_title_typo(noted, current)
    paper = replace(PAPER, title=current, versions=(VersionInfo(1, current, PAPER.published),))
    finding = only(replace(ENTRY, noted_title=noted), paper)
    assert (finding.kind, finding.severity) == ("title_mismatch", "error")


def test_title_outdated_names_the_current_title() -> None:
    paper = replace(
        PAPER,
        title="Neural Epitome Search for Architecture-Agnostic Network Compression",
        versions=(
            VersionInfo(1, "Deep Model Compression via Filter Auto-sampling", PAPER.published),
            VersionInfo(
                2, "Neural Epitome Search for Architecture-Agnostic Network Compression", utc("2019-09-26T12:00:00Z")
            ),
        ),
    )
    entry = replace(ENTRY, noted_title="Deep Model Compression via Filter Auto-sampling", noted_date=None)
    finding = only(entry, paper)
    assert (finding.kind, finding.suggestion) == (
        "title_outdated",
        "Neural Epitome Search for Architecture-Agnostic Network Compression",
    )


def test_old_title_without_earlier_versions_cannot_be_outdated() -> None:
    paper = replace(
        PAPER,
        title="Neural Epitome Search for Architecture-Agnostic Network Compression",
        versions=(),
    )
    entry = replace(ENTRY, noted_title="Deep Model Compression via Filter Auto-sampling")
    assert kinds(entry, paper) == ["title_mismatch"]


def test_short_name_before_the_colon_is_accepted() -> None:
    paper = replace(PAPER, title="Deep Compression: Compressing Deep Neural Networks", versions=())
    assert kinds(replace(ENTRY, noted_title="Deep Compression"), paper) == []


# --- dates ---


def test_date_mismatch_suggests_v1_in_the_noted_format() -> None:
    finding = only(replace(ENTRY, noted_date=day("2019-01-29")))
    assert (finding.kind, finding.noted, finding.suggestion) == ("date_mismatch", "2019-01-29", "2019-06-29")


def test_v1_date_in_another_month_than_the_id_is_no_mismatch() -> None:
    # 1906.08859 was submitted on 2019-05-06: the ID's YYMM is the announcement month.
    paper = replace(PAPER, arxiv_id="1906.08859", versions=(VersionInfo(1, PAPER.title, utc("2019-05-06T12:11:05Z")),))
    entry = replace(ENTRY, arxiv_id="1906.08859", arxiv_ids=("1906.08859",), noted_date=day("2019-05-06"))
    assert kinds(entry, paper) == []


@pytest.mark.parametrize(
    ("noted", "expected"),
    [
        (day("2019-06-30"), []),  # one day of time-zone tolerance
        (day("2019-07-01"), ["date_mismatch"]),  # two days off
        (NotedDate("2019-06", "month", 2019, 6), []),
        (NotedDate("2019-05", "month", 2019, 5), ["date_mismatch"]),
        (NotedDate("2019", "year", 2019), []),
        (NotedDate("2018", "year", 2018), ["date_mismatch"]),
    ],
)
def test_dates_compare_at_the_precision_written(noted: NotedDate, expected: list[str]) -> None:
    assert kinds(replace(ENTRY, noted_date=noted)) == expected


def test_a_later_version_date_is_no_mismatch() -> None:
    paper = replace(PAPER, versions=PAPER.versions + (VersionInfo(2, PAPER.title, utc("2019-09-01T00:00:00Z")),))
    assert kinds(replace(ENTRY, noted_date=day("2019-09-01")), paper) == []


def test_format_like_keeps_separators_padding_and_precision() -> None:
    v1 = utc("2019-06-09T12:00:00Z").date()
    assert format_like(NotedDate("2019.1.29", "day", 2019, 1, 29), v1) == "2019.6.9"
    assert format_like(NotedDate("2019/01", "month", 2019, 1), v1) == "2019/06"
    assert format_like(NotedDate("2018", "year", 2018), v1) == "2019"


# --- versions, withdrawn, not found ---


def test_new_version_after_the_noted_date_is_info() -> None:
    paper = replace(PAPER, versions=PAPER.versions + (VersionInfo(2, PAPER.title, utc("2019-08-01T00:00:00Z")),))
    finding = only(ENTRY, paper)
    assert (finding.kind, finding.severity, finding.arxiv_value) == ("new_version", "info", "v2 (2019-08-01)")


def test_a_version_within_the_tolerance_is_not_new() -> None:
    paper = replace(PAPER, versions=PAPER.versions + (VersionInfo(2, PAPER.title, utc("2019-06-30T20:00:00Z")),))
    assert kinds(ENTRY, paper) == []


def test_withdrawn_by_comment() -> None:
    comment = "This paper has been withdrawn by the author due to an error"
    # Harvest decides it from the comment, once; reconcile reads the flag.
    paper = replace(PAPER, comment=comment, withdrawn=says_withdrawn(comment))
    finding = only(ENTRY, paper)
    assert (finding.kind, finding.severity) == ("withdrawn", "warning")


@pytest.mark.parametrize(
    ("comment", "withdrawn"),
    [
        ("This paper has been withdrawn by the author", True),
        ("Withdrawn: a mistake in Lemma 2", True),
        ("we withdraw this paper", True),
        ("Withdrawal requested by the authors", True),
        ("10 pages; figures drawn by hand", False),
        ("withdrawing-room experiments", False),
        (None, False),
    ],
)
def test_withdrawn_is_decided_from_the_comment_at_harvest(comment: str | None, withdrawn: bool) -> None:
    assert says_withdrawn(comment) is withdrawn


def test_withdrawn_flag_and_an_unrelated_comment() -> None:
    assert kinds(ENTRY, replace(PAPER, withdrawn=True)) == ["withdrawn"]
    assert kinds(ENTRY, replace(PAPER, comment="arXiv admin note: text overlap with arXiv:1803.04239")) == []


def test_not_found_only_for_ids_arxiv_says_do_not_exist() -> None:
    entry = replace(ENTRY, arxiv_id="1907.99999", arxiv_ids=("1907.99999",))
    missing = reconcile(ReconcileInput(entries=(entry,), missing_ids=frozenset({"1907.99999"})))
    assert [(f.kind, f.severity, f.arxiv_id) for f in missing] == [("not_found", "error", "1907.99999")]
    assert reconcile(ReconcileInput(entries=(entry,))) == []  # not fetched yet: nothing to say


# --- IDs and duplicates ---


def test_id_conflict_when_links_name_different_papers() -> None:
    entry = replace(ENTRY, arxiv_ids=("1907.00262", "1907.00263"))
    finding = only(entry)
    assert (finding.kind, finding.severity, finding.noted) == ("id_conflict", "error", "1907.00262, 1907.00263")


def test_same_id_twice_with_versions_is_no_conflict() -> None:
    links = ENTRY.links + (
        NotedLink("https://arxiv.org/pdf/1907.00262v2", "paper", 11, 1, arxiv_id="1907.00262", arxiv_version=2),
    )
    assert kinds(replace(ENTRY, links=links, arxiv_ids=("1907.00262",))) == []


def test_duplicate_entry_in_one_list_but_not_across_lists() -> None:
    second = replace(ENTRY, entry_key="arxiv:1907.00262#2", line=40, end_line=41)
    other_list = replace(ENTRY, list_id=2, list_path="other.md")
    same = reconcile(ReconcileInput(entries=(ENTRY, second), papers={PAPER.arxiv_id: PAPER}))
    assert [(f.kind, f.line) for f in same] == [("duplicate_entry", 40)]
    assert reconcile(ReconcileInput(entries=(ENTRY, other_list), papers={PAPER.arxiv_id: PAPER})) == []


# --- links ---


def test_mirror_link_one_finding_per_link() -> None:
    links = (
        NotedLink("http://cn.arxiv.org/abs/1907.00262", "title", 10, 0, arxiv_id="1907.00262"),
        NotedLink("http://de.arxiv.org/pdf/1907.00262v2", "paper", 11, 1, arxiv_id="1907.00262", arxiv_version=2),
        NotedLink("https://arxiv.org/abs/1907.00262", "paper", 11, 2, arxiv_id="1907.00262"),
    )
    found = reconcile(ReconcileInput(entries=(replace(ENTRY, links=links),), papers={PAPER.arxiv_id: PAPER}))
    assert [(f.kind, f.line, f.suggestion) for f in found] == [
        ("mirror_link", 10, "https://arxiv.org/abs/1907.00262"),
        ("mirror_link", 11, "https://arxiv.org/pdf/1907.00262v2"),
    ]


def test_canonical_link_keeps_the_version() -> None:
    assert canonical_link("http://cn.arxiv.org/abs/1907.00262v3") == "https://arxiv.org/abs/1907.00262v3"
    assert canonical_link("http://xxx.lanl.gov/abs/hep-th/9901001") == "https://arxiv.org/abs/hep-th/9901001"


# --- venues ---


def venue_kinds(noted: str, comment: str | None, **paper_changes) -> list[str]:
    return kinds(replace(ENTRY, noted_venue=noted), replace(PAPER, comment=comment, **paper_changes))


@pytest.mark.parametrize(
    ("noted", "comment"),
    [
        ("NIPS 2019", "Accepted at NeurIPS 2019"),
        ("NIPS 2019 workshop", "NeurIPS-EMC2 2019 Workshop on Energy Efficient Machine Learning"),
        ("ICLR 2016 oral", "Published as a conference paper at ICLR 2016 (oral)"),
        ("ICML 2019 workshop", "Presented at the ICML 2019 Joint Workshop on On-Device Machine Learning"),
        ("NeurIPS 2019", "Accepted as a conference paper at Neural Information Processing Systems (NeurIPS) 2019"),
        ("CVPR 2019", None),  # silence is not a contradiction
        ("CVPR 2019", "10 pages, 5 figures"),
        ("Some Local Symposium 2019", "Accepted at ICIP 2019"),  # an unknown noted venue is not judged
        ("ICCV 2019", "Submitted to CVPR 2019"),  # a plan is not a venue
    ],
)
def test_venues_that_agree_or_cannot_be_judged(noted: str, comment: str | None) -> None:
    assert venue_kinds(noted, comment) == []


@pytest.mark.parametrize(
    ("noted", "comment", "suggestion"),
    [
        ("NIPS 2019", "Accepted at ICIP 2019", "ICIP 2019"),
        ("CVPR 2019", "Accepted at CVPR 2020", "CVPR 2020"),
        # Workshop and main conference are different publications.
        ("NIPS 2019", "NeurIPS 2019 Workshop on Learning with Rich Experience", "NeurIPS 2019 workshop"),
        ("CVPR 2019 workshop", "Accepted at CVPR 2019", "CVPR 2019"),
    ],
)
def test_venue_mismatch(noted: str, comment: str, suggestion: str) -> None:
    finding = only(replace(ENTRY, noted_venue=noted), replace(PAPER, comment=comment))
    assert (finding.kind, finding.severity, finding.suggestion, finding.source) == (
        "venue_mismatch",
        "warning",
        suggestion,
        "arxiv",
    )


def test_venue_from_an_enrichment_source() -> None:
    extra = (VenueEvidence("semantic_scholar", "ICIP"),)
    finding = only(replace(ENTRY, noted_venue="CVPR 2019"), replace(PAPER, extra_venues=extra))
    assert (finding.kind, finding.source, finding.suggestion) == ("venue_mismatch", "semantic_scholar", "ICIP")
    agreeing = (VenueEvidence("semantic_scholar", "IEEE Conference on Computer Vision and Pattern Recognition"),)
    assert venue_kinds("CVPR 2019", None, extra_venues=agreeing) == []


def test_journal_ref_is_evidence_too() -> None:
    assert venue_kinds("CVPR 2019", None, journal_ref="ICCV 2019, pp. 1-10") == ["venue_mismatch"]


def test_venue_normalization() -> None:
    noted = parse_noted_venue("NIPS'19 spotlight")
    assert (noted.name, noted.year, noted.workshop) == ("NeurIPS", 2019, False)
    assert [v.label() for v in find_venues("CVPRW 2019; extended version in TPAMI 2021")] == [
        "CVPR 2019 workshop",
        "TPAMI 2021",
    ]
    assert venues_agree(parse_noted_venue("ICLR"), parse_noted_venue("ICLR 2020"))
    assert find_venues("A micro-architecture for FPGA inference") == []


# --- sections ---

TOPICS = {
    "剪枝": ("pruning", "prune filters channels sparse weights magnitude pruning removes redundant filters"),
    "量化": ("quantization", "quantize weights activations low bit integer fixed point quantization error"),
    "蒸馏": ("distillation", "distill teacher student knowledge distillation soft targets logits teacher"),
}


def section_entries(misplaced: bool, per_section: int = 4) -> tuple[tuple[EntryInput, ...], dict[str, PaperInfo]]:
    entries, papers = [], {}
    number = 0
    for section, (topic, words) in TOPICS.items():
        for i in range(per_section):
            number += 1
            arxiv_id = f"2001.{number:05d}"
            title = f"A {topic} study number {i}"
            home = "剪枝" if (misplaced and section == "量化" and i == 0) else section
            papers[arxiv_id] = PaperInfo(arxiv_id, title, PAPER.published, abstract=f"We {words} variant {i}.")
            entries.append(
                replace(
                    ENTRY,
                    entry_key=f"arxiv:{arxiv_id}",
                    section=home,
                    line=number * 3,
                    end_line=number * 3 + 1,
                    noted_title=title,
                    arxiv_id=arxiv_id,
                    arxiv_ids=(arxiv_id,),
                    noted_date=None,
                    links=(),
                )
            )
    return tuple(entries), papers


def test_category_suspect_names_the_better_section_and_evidence() -> None:
    entries, papers = section_entries(misplaced=True, per_section=5)
    found = reconcile(ReconcileInput(entries=entries, papers=papers))
    assert [(f.kind, f.severity, f.arxiv_id, f.noted, f.suggestion) for f in found] == [
        ("category_suspect", "info", "2001.00006", "剪枝", "量化")
    ]
    assert "quantization" in found[0].detail


def test_category_is_silent_on_a_well_sorted_list() -> None:
    entries, papers = section_entries(misplaced=False, per_section=5)
    assert reconcile(ReconcileInput(entries=entries, papers=papers)) == []


def test_category_is_silent_on_sections_too_small_to_judge() -> None:
    # With four papers a section, the misplaced paper leaves only three in its true section.
    entries, papers = section_entries(misplaced=True, per_section=4)
    assert reconcile(ReconcileInput(entries=entries, papers=papers)) == []
