"""Any text at all: the parser never raises, and never returns an ID that is not a valid, canonical ID."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.ids import is_valid_arxiv_id, parse_arxiv_id
from harvester.readinglist import ReadingList, parse_reading_list

ROOT = Path(__file__).parent.parent
SOURCES = [
    (ROOT / "seeds" / "model-compression.md").read_bytes().decode("utf-8"),
    *(
        path.read_bytes().decode("utf-8")
        for path in sorted((ROOT / "tests" / "fixtures" / "reading-lists").glob("*.md"))
    ),
]
# Fragments that change markdown structure or arXiv links when dropped into a line.
SNIPPETS = [
    "[",
    "]",
    "(",
    ")",
    "](",
    "[x](",
    "<",
    ">",
    "*",
    "**",
    "_",
    "`",
    "|",
    "\\",
    "$",
    "#",
    "> ",
    "1. ",
    "- ",
    "---",
    "\r",
    "\r\n",
    "\n",
    "\u200b",
    "\x00",
    "\x01",
    "\ufeff",
    "https://arxiv.org/abs/",
    "arXiv:",
    "v",
    "v0",
    "v2",
    ".pdf",
    "1907.05642",
    "1913.01234",
    "hep-th/",
    "9901001",
    "cn.arxiv.org/pdf/",
    "*2019-13-45*",
    "| --- |",
    "\u202e",
    "𝟙𝟡𝟘𝟟.𝟘𝟝𝟞𝟜𝟚",
    "١٩٠٧.٠٥٦٤٢",
]

PROPERTY_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def mutated_lists(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(SOURCES)).splitlines(keepends=True)
    start = draw(st.integers(0, max(0, len(lines) - 1)))
    window = lines[start : start + draw(st.integers(1, 60))]
    for _ in range(draw(st.integers(0, 12))):
        window = _mutate(draw, window)
    return "".join(window)


def _mutate(draw: st.DrawFn, lines: list[str]) -> list[str]:
    if not lines:
        return [draw(st.text(max_size=40))]
    index = draw(st.integers(0, len(lines) - 1))
    operation = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "unicode", "truncate"]))
    if operation == "delete":
        return lines[:index] + lines[index + 1 :]
    if operation == "duplicate":
        return lines[: index + 1] + lines[index:]
    if operation == "swap":
        other = draw(st.integers(0, len(lines) - 1))
        lines = list(lines)
        lines[index], lines[other] = lines[other], lines[index]
        return lines
    line = lines[index]
    cut = draw(st.integers(0, len(line)))
    if operation == "truncate":
        return lines[:index] + [line[:cut]]
    piece = draw(st.sampled_from(SNIPPETS)) if operation == "insert" else draw(st.text(min_size=1, max_size=8))
    return lines[:index] + [line[:cut] + piece + line[cut:]] + lines[index + 1 :]


def _assert_sound(text: str, reading_list: ReadingList) -> None:
    line_count = text.count("\n") + text.count("\r") - text.count("\r\n") + 1
    for entry in reading_list.entries:
        ids = [entry.arxiv_id, *entry.arxiv_ids, *(link.arxiv_id for link in entry.links)]
        for arxiv_id in ids:
            if arxiv_id is None:
                continue
            assert is_valid_arxiv_id(arxiv_id), arxiv_id
            parsed = parse_arxiv_id(arxiv_id)
            assert (parsed.id, parsed.version) == (arxiv_id, None)
        assert entry.arxiv_id is None or entry.arxiv_id in entry.arxiv_ids
        assert len(set(entry.arxiv_ids)) == len(entry.arxiv_ids)
        assert 1 <= entry.line <= entry.end_line <= line_count
        for link in entry.links:
            assert link.role in {"title", "paper", "code", "notes", "related", "other"}
            assert link.arxiv_version is None or link.arxiv_version >= 1
        if entry.noted_date is not None:
            assert entry.noted_date.precision in {"day", "month", "year"}
            assert entry.noted_date.text
    for section in reading_list.sections:
        assert 1 <= section.line <= line_count
        assert section.path[-1] == section.heading


@PROPERTY_SETTINGS
@given(st.text(max_size=2000))
def test_random_text(text: str) -> None:
    _assert_sound(text, parse_reading_list(text))


@PROPERTY_SETTINGS
@given(mutated_lists())
def test_mutated_reading_lists(text: str) -> None:
    _assert_sound(text, parse_reading_list(text))


@PROPERTY_SETTINGS
@given(st.lists(st.sampled_from(SNIPPETS + ["x", " ", "2019-05-24", "paper", "code"]), max_size=60))
def test_markdown_shaped_noise(pieces: list[str]) -> None:
    text = "".join(pieces)
    _assert_sound(text, parse_reading_list(text))


def test_unmutated_sources_are_sound() -> None:
    for text in SOURCES:
        _assert_sound(text, parse_reading_list(text))
