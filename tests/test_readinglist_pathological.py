"""Hostile reading lists: 100k-deep nesting and 10 MB lines parse without raising, in bounded time.

One bad list must never take the nightly run down with it, so the parser is
held to "never raises on any str" for the inputs most likely to break a
recursive or backtracking implementation. Hangs are caught by per-test timeouts.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.readinglist import ReadingList, fields, frontmatter, parse_reading_list
from harvester.readinglist.inline import EMPHASIS

_SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
_ENTRY = "- [A paper](https://arxiv.org/abs/1901.00001) "


def _emphasis(depth: int, mark: str) -> str:
    return mark * depth + "x" + mark * depth


def _inline_list_markers(depth: int, marker: str) -> str:
    return marker * depth + "x"


def _indented_lists(depth: int, marker: str) -> str:
    # Indentation grows with depth, so the document grows quadratically: keep it to a few thousand levels.
    levels = min(depth, 3000)
    return "\n".join(" " * (2 * level) + f"{marker} [p](https://arxiv.org/abs/1901.00001)" for level in range(levels))


def _quotes(depth: int, marker: str) -> str:
    return marker * depth + " [p](https://arxiv.org/abs/1901.00001)"


def _quote_lines(depth: int, marker: str) -> str:
    levels = min(depth, 3000)
    return "\n".join(marker * level + " [p](https://arxiv.org/abs/1901.00001)" for level in range(1, levels))


def _brackets(depth: int, opener: str) -> str:
    return opener * depth + "x" + "](https://arxiv.org/abs/1901.00001)" * depth


def _unclosed(depth: int, opener: str) -> str:
    return opener * depth + "x"


NESTINGS = st.one_of(
    st.tuples(st.just(_emphasis), st.sampled_from(["*", "_", "**", "*_", "~~", "***"])),
    st.tuples(st.just(_inline_list_markers), st.sampled_from(["- ", "1. ", "* ", "> - ", "- > "])),
    st.tuples(st.just(_indented_lists), st.sampled_from(["-", "1.", "+"])),
    st.tuples(st.just(_quotes), st.sampled_from([">", "> ", "> > "])),
    st.tuples(st.just(_quote_lines), st.sampled_from([">", "> "])),
    st.tuples(st.just(_brackets), st.sampled_from(["[", "![", "[a", "[*"])),
    st.tuples(st.just(_unclosed), st.sampled_from(["[", "(", "[ ", "![", "<a ", "`", "\\", "&#"])),
)
DEPTHS = st.sampled_from([1_000, 30_000, 100_000])


def _survives(text: str) -> ReadingList:
    parsed = parse_reading_list(text)
    assert isinstance(parsed, ReadingList)
    return parsed


def test_the_reported_list_of_deep_emphasis_parses() -> None:
    _survives("*" * 100_000 + "x" + "*" * 100_000)


@pytest.mark.timeout(60)
def test_emphasis_nested_tens_of_thousands_deep_keeps_the_entry() -> None:
    depth = 20_000
    parsed = _survives(_ENTRY + "*" * depth + "2019-05-24" + "*" * depth)
    assert [entry.arxiv_id for entry in parsed.entries] == ["1901.00001"]


@pytest.mark.timeout(240)
@_SETTINGS
@given(nesting=NESTINGS, depth=DEPTHS, after=st.booleans())
def test_pathological_nesting_never_raises(nesting: tuple, depth: int, after: bool) -> None:
    build, marker = nesting
    text = build(depth, marker)
    if after:
        text = _ENTRY + text + "\n\n## Later\n\n" + _ENTRY + "\n"
    _survives(text)


LINE_UNITS = st.sampled_from(
    [
        "a",
        " ",
        "*",
        "_",
        "*_",
        "[",
        "[ ",
        "![",
        "(",
        "|",
        " |",
        "\\",
        "<",
        "$",
        "$\\bullet ",
        "*2019* ",
        "2019-",
        "[a](http://x)-",
        "http://a.b/",
        "&#",
        "`",
        "~~",
        "（",
        "arXiv:1901.",
        "\u200b",
        "\t",
    ]
)
TEN_MB = 10 * 1024 * 1024


@pytest.mark.timeout(300)
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(unit=LINE_UNITS, where=st.sampled_from(["entry", "heading", "row", "front matter", "alone"]))
def test_ten_megabyte_lines_parse(unit: str, where: str) -> None:
    filler = unit * (TEN_MB // len(unit))
    text = {
        "entry": _ENTRY + filler + " y\n",
        "heading": "# " + filler + "\n\n" + _ENTRY + "\n",
        "row": "| Title | Notes |\n|---|---|\n| [p](https://arxiv.org/abs/1901.00001) | " + filler + " |\n",
        "front matter": "---\ntitle: t" + filler + "x\n" + filler + ": v\n---\n" + _ENTRY + "\n",
        "alone": filler,
    }[where]
    parsed = _survives(text)
    if where != "alone":
        assert any(entry.arxiv_id == "1901.00001" for entry in parsed.entries)


# Our own regular expressions over one line, checked without markdown-it in the way:
# each of these backtracked quadratically on a long run of one character.


@pytest.mark.timeout(30)
def test_a_long_emphasis_run_does_not_make_date_finding_quadratic() -> None:
    assert fields.noted_date(["x" + EMPHASIS * 200_000 + "y"]) is None
    found = fields.noted_date(["x" + EMPHASIS * 200_000 + "2019-05-24" + EMPHASIS])
    assert found is not None and found.text == "2019-05-24" and found.emphasized


@pytest.mark.timeout(30)
def test_a_long_space_run_does_not_make_notes_quadratic() -> None:
    assert fields.notes(["x" + " " * 500_000 + "y"], []) == "x" + " " * 500_000 + "y"
    assert fields.notes(["\x00" + " " * 500_000 + "| \x00 kept"], [(0, 0, 1)]) == "kept"


@pytest.mark.timeout(30)
def test_a_long_space_run_does_not_make_front_matter_quadratic() -> None:
    spaces = " " * 500_000
    pairs, taken = frontmatter.split_front_matter(
        ["---", f"title: A{spaces}B{spaces}# a comment", f"key{spaces}: v{spaces}", f"x{spaces}y", "---"]
    )
    assert taken == 5
    assert pairs == {"title": f"A{spaces}B", "key": "v"}
