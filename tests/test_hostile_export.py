"""`export --format markdown` with hostile titles, venues, notes, headings and code links.

Titles come from arXiv and the rest from a list anyone may have sent a pull request to:
none of it may add a link, take one over, or pass HTML through.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from harvester.export import render_markdown
from tests.cli import invoke
from tests.seeddb import build_seed_db

PHISH = "Deep Compression](https://evil.example/phish) [see arXiv"
TITLE = PHISH + " <script>alert(1)</script> & &amp; `x` *y* | z \\"
NOTE = "see <img src=x onerror=alert(1)>\n# not a heading\n- not a list\n1. not a list either\n[a](javascript:alert(1))"
VENUE = "ICLR](javascript:alert(1)) <b>2016</b>"
SECTION = "Pruning](https://evil.example/) <i>x</i> ##"
LIST_TITLE = "Reading <script>x</script>\n# second heading"
AWKWARD_CODE = "https://github.com/a/b_(c)&amp;"


def parsed(text: str) -> list[Token]:
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    tokens = md.parse(text)
    return tokens + [child for token in tokens for child in token.children or []]


def links(text: str) -> list[str]:
    return [str(t.attrs["href"]) for t in parsed(text) if t.type == "link_open"]


def export(db: Path, fmt: str = "markdown", style: str = "plain") -> str:
    # `plain` and `awesome` are built from the database alone, so the hostile rows below are what they write;
    # the curator style writes the list file's own text (tests/test_layout_export.py tries it with hostile metadata).
    result = invoke("export", "--format", fmt, *(["--style", style] if fmt == "markdown" else []), db=db)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def dbs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("hostile-export")
    clean = build_seed_db(folder / "clean.db")
    hostile = build_seed_db(folder / "hostile.db")
    with sqlite3.connect(hostile) as conn:
        conn.execute("UPDATE papers SET title = ? WHERE arxiv_id = '1510.00149'", [TITLE])
        conn.execute(
            "UPDATE entries SET notes = ?, noted_venue = ?, section = ? WHERE arxiv_id = '1510.00149'",
            [NOTE, VENUE, SECTION],
        )
        conn.execute("UPDATE lists SET title = ?", [LIST_TITLE])
        entry_id, line = conn.execute("SELECT id, line FROM entries WHERE arxiv_id = '1510.00149'").fetchone()
        for position, (url, label, marker) in enumerate(
            [
                ("javascript:alert(1)", "x](javascript:alert(1)) [y", None),
                (AWKWARD_CODE, "code <b>", "official]("),
                ("https://ok.example/ (x", "spaced", None),
            ],
            start=100,
        ):
            conn.execute(
                "INSERT INTO entry_links (entry_id, position, url, label, role, line, marker) VALUES (?, ?, ?, ?, 'code', ?, ?)",
                [entry_id, position, url, label, line, marker],
            )
    return clean, hostile


@pytest.mark.parametrize("style", ["plain", "awesome"])
def test_markdown_export_keeps_hostile_text_as_text(dbs: tuple[Path, Path], style: str) -> None:
    clean, hostile = dbs
    text = export(hostile, style=style)
    expected = Counter(links(export(clean, style=style)))
    expected.update([AWKWARD_CODE, "https://ok.example/%20(x"])  # the javascript: code link is left out
    assert Counter(links(text)) == expected
    assert [t for t in parsed(text) if t.type in ("html_block", "html_inline")] == []
    assert not re.search(r"(?<!\\)\]\(\s*javascript:", text) and "<script>" not in text


def test_the_hostile_title_is_the_whole_text_of_its_link(dbs: tuple[Path, Path]) -> None:
    tokens = parsed(export(dbs[1]))
    inline = next(t for t in tokens if t.type == "inline" and "1510.00149" in t.content)
    children = inline.children or []
    start = next(i for i, t in enumerate(children) if t.type == "link_open")
    end = next(i for i, t in enumerate(children) if t.type == "link_close" and i > start)
    label = "".join(t.content for t in children[start + 1 : end] if t.type in ("text", "code_inline"))
    assert label == " ".join(TITLE.split())
    assert children[start].attrs["href"] == "https://arxiv.org/abs/1510.00149"


def test_headings_and_notes_start_no_block_of_their_own(dbs: tuple[Path, Path]) -> None:
    tokens = parsed(export(dbs[1]))
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[0] == "Reading \\<script\\>x\\</script\\> \\# second heading"
    assert headings[1] == "Pruning\\](https://evil.example/) \\<i\\>x\\</i\\> \\#\\#"
    nested = [t for t in tokens if t.type in ("bullet_list_open", "blockquote_open")]
    assert nested == []
    assert sum(1 for t in tokens if t.type == "heading_open") == len(set(headings)) == len(headings)


def test_render_markdown_escapes_every_field_it_did_not_write() -> None:
    entry = {
        "list": "l.md",
        "list_title": "<b>T</b>",
        "section": "*S*",
        "arxiv_id": None,
        "arxiv_title": None,
        "noted_title": "[x](https://evil.example)",
        "published": None,
        "noted_date": "2019 <i>",
        "noted_venue": "_V_",
        "notes": "&lt;ok&gt;",
        "code_links": [],
    }
    text = render_markdown([entry])
    assert links(text) == []
    assert [t for t in parsed(text) if t.type in ("html_block", "html_inline")] == []
    assert [t.type for t in parsed(text)].count("em_open") == 1  # the date's, written by the export
    assert "\\&lt;ok\\&gt;" in text


def test_csv_export_cells_cannot_start_a_formula(dbs: tuple[Path, Path], tmp_path: Path) -> None:
    hostile = tmp_path / "formula.db"
    hostile.write_bytes(dbs[1].read_bytes())
    with sqlite3.connect(hostile) as conn:
        conn.execute(
            "UPDATE entries SET notes = ?, noted_venue = ? WHERE arxiv_id = '1510.00149'",
            ['=HYPERLINK("https://evil.example","x")', "+cmd|' /C calc'!A0"],
        )
    rows = list(csv.DictReader(io.StringIO(export(hostile, "csv"))))
    row = next(r for r in rows if r["arxiv_id"] == "1510.00149")
    assert row["notes"] == '\'=HYPERLINK("https://evil.example","x")'
    assert row["noted_venue"] == "'+cmd|' /C calc'!A0"
    assert all(not value.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for value in r.values() if value)
