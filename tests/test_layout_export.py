"""The markdown export's styles: what a list's style is learned as, what the curator style adds
from enrichment (escaped), the awesome layout, and how several lists are exported."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from harvester.layout import PaperFacts, learn_styles, regenerate
from harvester.readinglist import parse_reading_list
from tests.cli import invoke
from tests.seeddb import SEED, build_seed_db

LISTS = Path(__file__).parent / "fixtures" / "reading-lists"


def styles_of(path: Path) -> dict:
    text = path.read_bytes().decode("utf-8")
    return learn_styles(text, parse_reading_list(text))


def test_the_seeds_style_is_learned_as_written() -> None:
    style = styles_of(SEED)[("7 知识蒸馏",)]
    assert (style.kind, style.marker, style.numbering, style.title_form) == ("item", "1.", "repeated", "link")
    assert (style.date_format, style.date_place, style.venue_place) == ("*YYYY-MM-DD*", "next line", "before date")
    assert (style.paper_link, style.line_ending, style.loose, style.rating) == ("paper", "\n", True, True)
    assert style.line_break.strip() == "" and len(style.line_break) >= 2
    assert style.code_link is not None and (style.code_link.separator, style.code_link.marker) == (" | ", "official")


def test_other_lists_styles_bullets_tables_crlf() -> None:
    awesome = styles_of(LISTS / "awesome-ml-model-compression.md")[("Papers", "Quantization")]
    assert (awesome.marker, awesome.numbering, awesome.date_format, awesome.loose) == ("-", "bullet", None, False)
    table = styles_of(LISTS / "awesome-pruning.md")[("Awesome Pruning", "2021")]
    assert table.kind == "row" and table.line_ending == "\r\n"
    assert [(c.header, c.kind) for c in table.columns] == [
        ("Title", "title"),
        ("Venue", "venue"),
        ("Type", "other"),
        ("Code", "code"),
    ]
    assert dict((c.header, c.placeholders) for c in table.columns)["Code"] == ("-",)
    gan = styles_of(LISTS / "gan-2019-03-26.md")[("1 学术", "1.4 模型评估")]
    assert gan.date_format == "*YYYY-MM*"


HOSTILE_VENUE = "ICLR](javascript:alert(1)) <b>2016</b>"
HOSTILE_TITLE = "Deep Compression](https://evil.example/) <script>x</script> *y* | z"
HOSTILE_CODE = "https://github.com/a/b_(c)&amp;"


def links_and_html(text: str) -> tuple[list[str], list[str]]:
    md = MarkdownIt("commonmark").enable(["table"])
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    tokens = md.parse(text)
    every = tokens + [child for token in tokens for child in token.children or []]
    links = [str(t.attrs["href"]) for t in every if t.type == "link_open"]
    return links, [t.content for t in every if t.type in ("html_inline", "html_block")]


def test_curator_style_adds_venue_and_official_code_where_the_section_writes_them() -> None:
    text = SEED.read_text(encoding="utf-8")
    parsed = parse_reading_list(text)
    facts = {
        "1905.10324": PaperFacts(
            "1905.10324", "Doctor of Crosswise", date(2019, 5, 23), "ICML 2020", "https://github.com/o/doc"
        ),
        "2006.09679": PaperFacts("2006.09679", "StatAssist", date(2020, 6, 17), None, "https://github.com/o/other"),
    }
    out = regenerate(text, parsed, facts)
    assert "1. [Doctor of Crosswise](https://arxiv.org/abs/1905.10324)   \n" in out
    assert (
        "ICML 2020 *2019-05-23* [paper](https://arxiv.org/abs/1905.10324) | [code](https://github.com/o/doc)-official   \n"
        in out
    )
    assert "https://github.com/o/other" not in out  # the entry already links code: the curator's choice stays
    entry = next(e for e in parse_reading_list(out).entries if e.arxiv_id == "1905.10324")
    assert entry.noted_venue == "ICML 2020" and [k.url for k in entry.links if k.role == "code"] == [
        "https://github.com/o/doc"
    ]
    # Every line the facts do not touch stays byte for byte.
    touched = ("1905.10324", "Crosswise", "StatAssist")
    untouched = [line for line in text.splitlines(keepends=True) if not any(t in line for t in touched)]
    assert all(line in out for line in untouched)


def test_curator_style_writes_hostile_metadata_as_text(seed_db: Path) -> None:
    with sqlite3.connect(seed_db) as conn:
        conn.execute("UPDATE papers SET title = ? WHERE arxiv_id = '1905.10324'", [HOSTILE_TITLE])
        conn.execute(
            "INSERT INTO enrichments (arxiv_id, source, status, fetched_at, checked_at, venue, year, code_url)"
            " VALUES ('1905.10324', 'huggingface', 'found', 'x', 'x', NULL, NULL, ?),"
            " ('1905.10324', 'semantic_scholar', 'found', 'x', 'x', ?, 2020, NULL)",
            [HOSTILE_CODE, HOSTILE_VENUE],
        )
    clean = invoke("export", "--format", "markdown", db=seed_db)
    assert clean.returncode == 0 and "plain layout" not in clean.stderr, clean.stderr
    links, html = links_and_html(clean.stdout)
    assert html == links_and_html(SEED.read_text(encoding="utf-8"))[1]  # only the list's own HTML
    assert not [url for url in links if "evil" in url or url.startswith("javascript")]
    assert "https://github.com/a/b_(c)&amp;" in links or "https://github.com/a/b_%28c%29&amp;" in links
    entry = next(e for e in parse_reading_list(clean.stdout).entries if e.arxiv_id == "1905.10324")
    assert entry.links[0].label == " ".join(HOSTILE_TITLE.split())  # the whole title is the link's text
    assert entry.links[0].url == "https://arxiv.org/abs/1905.10324"


def test_awesome_style_is_one_line_per_paper(shared_seed_db: Path) -> None:
    result = invoke("export", "--format", "markdown", "--style", "awesome", db=shared_seed_db)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "# 「DL」 模型压缩资源汇总" and "## 3 剪枝" in lines
    assert (
        "- [Deep Compression: Compressing Deep Neural Networks with Pruning, Trained Quantization and Huffman Coding](https://arxiv.org/abs/1510.00149) - ICLR 2016 oral."
        in lines
    )
    assert "- [Revisiting hard thresholding for DNN pruning](https://arxiv.org/abs/1905.08793) - arXiv 2019." in lines
    parsed = parse_reading_list(result.stdout)
    assert len(parsed.paper_entries) == len(parse_reading_list(SEED.read_text(encoding="utf-8")).paper_entries)


def test_several_lists_go_to_one_file_each_or_are_refused_on_one_stream(tmp_path: Path) -> None:
    lists = tmp_path / "lists"
    lists.mkdir()
    shutil.copyfile(SEED, lists / "model-compression.md")
    shutil.copyfile(LISTS / "awesome-pruning.md", lists / "awesome-pruning.md")
    db = tmp_path / "h.db"
    assert invoke("import", str(lists), db=db).returncode == 0
    refused = invoke("export", "--format", "markdown", db=db)
    assert refused.returncode == 1 and "2 lists" in refused.stderr and "--output-dir" in refused.stderr
    out = tmp_path / "out"
    written = invoke("export", "--format", "markdown", "--output-dir", str(out), db=db)
    assert written.returncode == 0, written.stderr
    assert sorted(p.name for p in out.iterdir()) == ["awesome-pruning.md", "model-compression.md"]
    crlf = (out / "awesome-pruning.md").read_bytes()
    assert crlf == (lists / "awesome-pruning.md").read_bytes()  # nothing fetched: nothing to change, CRLF kept
    one = invoke("export", "--format", "markdown", str(lists / "model-compression.md"), db=db)
    assert one.returncode == 0 and one.stdout.startswith("---\nlayout: article\n")
    over = invoke("export", "--format", "markdown", "--output-dir", str(lists), db=db)
    assert over.returncode == 1 and "is the list itself" in over.stderr
    assert (lists / "model-compression.md").read_bytes() == SEED.read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "csv", "--style", "awesome"], "--format csv takes no --style"),
        (["--format", "markdown", "--style", "published"], "takes one of curator"),
        (["--format", "json", "seeds/model-compression.md"], "markdown only"),
    ],
)
def test_style_and_lists_are_checked_per_format(shared_seed_db: Path, args: list[str], message: str) -> None:
    result = invoke("export", *args, db=shared_seed_db)
    assert result.returncode == 2 and message in " ".join(result.stderr.split()), result.stderr


def test_a_list_changed_since_import_is_exported_in_the_plain_layout_and_says_so(seed_db: Path) -> None:
    listing = seed_db.parent / "model-compression.md"
    listing.write_text(listing.read_text(encoding="utf-8") + "\n1. [Another](https://arxiv.org/abs/1907.05686)\n")
    result = invoke("export", "--format", "markdown", db=seed_db)
    assert result.returncode == 0 and "changed since it was imported" in result.stderr
    assert "layout: article" not in result.stdout and result.stdout.startswith("# ")
    db = build_seed_db(seed_db.parent / "again.db", listing=listing)
    assert "layout: article" in invoke("export", "--format", "markdown", db=db).stdout


COUNTING_CRLF = (
    "# Papers\r\n\r\n1. [A](https://arxiv.org/abs/1905.10324) (May 2019)<br>\r\n"
    "2. [B](https://arxiv.org/abs/1907.00274) (Jun 2019)<br>\r\n3. [C](https://arxiv.org/abs/1907.00262) (Jun 2019)<br>\r\n"
    "\r\n## Other\r\n"
)
BOLD_TITLES = (
    "## Pruning\n\n* **Some Title** [[paper](https://arxiv.org/pdf/1905.10324.pdf)] NIPS 2019 *2019-05-24*\n"
    "* **Other Title** [[paper](https://arxiv.org/pdf/1907.00274.pdf)] *2019-06-29*\n"
)


@pytest.mark.parametrize(
    ("text", "inserted", "shape"),
    [
        (COUNTING_CRLF, "\r\n4. [New \\*Paper\\*](https://arxiv.org/abs/2101.00001) (Jan 2021)<br>", "(Mon YYYY)"),
        (
            BOLD_TITLES,
            "\n* **New \\*Paper\\*** [[paper](https://arxiv.org/abs/2101.00001)] ICLR 2021 *2021-01-05*",
            "*YYYY-MM-DD*",
        ),
    ],
    ids=["counting-crlf-br", "bold-title-bracketed-link"],
)
def test_add_follows_counting_numbers_br_breaks_and_bold_titles(text: str, inserted: str, shape: str) -> None:
    from harvester.layout import add_entry

    parsed = parse_reading_list(text)
    section = parsed.paper_entries[0].section_path
    assert learn_styles(text, parsed)[section].date_format == shape
    paper = PaperFacts("2101.00001", "New *Paper*", date(2021, 1, 5), "ICLR 2021", None)
    added = add_entry(text, parsed, section, paper)
    assert added.inserted == inserted
    entry = next(e for e in parse_reading_list(added.text).entries if e.arxiv_id == "2101.00001")
    assert (entry.noted_title, entry.noted_date and entry.noted_date.year) == ("New *Paper*", 2021)
